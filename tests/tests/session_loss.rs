//! When the server goes away, every pending call completes exactly once with NetError and the
//! application gets the unsolicited Logout; the server closes connections that go silent.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, Event};
use yim_tests::TestServer;

#[tokio::test]
async fn a_lost_server_ends_the_session_with_an_unsolicited_logout() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    server.stop().await;
    alice
        .wait_for("unsolicited logout", |e| match e {
            Event::Logout { request_id: None, code } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(
        alice.client.send_text_message("world", ChatType::Room, "x", ""),
        Err(ErrorCode::NotLogin)
    );
}
