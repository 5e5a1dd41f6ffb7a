//! The test helpers themselves are shown to catch what they are for: `assert_no_message`
//! waits for its whole window and checks every event in it, so a message that comes after
//! another event of the window is caught (it used to look at the first event only), and it
//! fails when the event stream ends inside the window (it used to pass at once).

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use yim_sdk::ChatType;
use yim_tests::TestServer;

#[tokio::test]
#[should_panic(expected = "unexpected message")]
async fn a_message_after_another_event_of_the_window_is_caught() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    bob.join_ok("world").await;
    // The first event of bob's window is this count's completion; the message comes later.
    let _count = bob.client.get_room_member_count("world").unwrap();
    let sender = alice.client.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let sent = sender.send_text_message("bob", ChatType::Private, "late", "");
        let _ = sent.unwrap().await;
    });
    bob.assert_no_message(Duration::from_millis(1_000)).await;
}

#[tokio::test]
#[should_panic(expected = "the event stream ended inside the window")]
async fn a_stream_that_ends_inside_the_window_fails_it() {
    let server = TestServer::start().await;
    let mut bob = server.client();
    bob.login_ok("bob").await;
    bob.client.shutdown();
    bob.assert_no_message(Duration::from_millis(500)).await;
}
