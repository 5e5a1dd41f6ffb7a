//! The SDK's examples (`sdk/examples/`), run against an in-process server on loopback, so
//! they stay correct, not only compiling. Each example's `run` is what its `main` runs.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

#[allow(dead_code)] // its `main` is for `cargo run --example`
#[path = "../../sdk/examples/login_join_send.rs"]
mod login_join_send;

#[allow(dead_code)]
#[path = "../../sdk/examples/game_loop.rs"]
mod game_loop;

#[allow(dead_code)]
#[path = "../../sdk/examples/push_to_talk.rs"]
mod push_to_talk;

use yim_tests::{TestServer, APP_KEY, APP_SECRET};

#[tokio::test]
async fn login_join_send_logs_in_joins_sends_and_logs_out() {
    let server = TestServer::start().await;
    let steps = login_join_send::run(&server.addr.to_string(), APP_KEY, APP_SECRET)
        .await
        .unwrap();
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert_eq!(steps[1], "logged in as alice");
    assert_eq!(steps[2], "joined world (1 members)");
    assert!(steps[3].starts_with("sent message "), "{steps:?}");
}

#[tokio::test]
async fn the_game_loop_polls_once_a_frame_until_bob_hears_alice() {
    let server = TestServer::start().await;
    let addr = server.addr.to_string();
    let heard = tokio::task::spawn_blocking(move || game_loop::run(&addr, APP_KEY, APP_SECRET))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(heard, vec!["alice: gg".to_owned()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_to_talk_records_sends_downloads_and_plays() {
    let server = TestServer::start().await;
    let heard = push_to_talk::run(&server.addr.to_string(), APP_KEY, APP_SECRET)
        .await
        .unwrap();
    assert_eq!(heard, "push middle");
}
