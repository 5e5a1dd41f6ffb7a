//! Private chat over real TCP: online delivery, and store-and-forward to offline users,
//! delivered exactly once at the next login.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, MessageBody};
use yim_tests::{code, result_code, TestServer};

#[tokio::test]
async fn private_messages_reach_an_online_user() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    let status = alice.send_text("bob", ChatType::Private, "psst").await;
    let status = status.unwrap();
    let message = bob.next_message().await;
    assert_eq!(message.chat_type, ChatType::Private);
    assert_eq!(
        (message.sender_id.as_str(), message.receiver_id.as_str()),
        ("alice", "bob")
    );
    assert_eq!(message.message_id, status.message_id);
    assert_eq!(message.room_seq, 0);
}

#[tokio::test]
async fn messages_to_an_offline_user_are_delivered_once_at_its_next_login() {
    let server = TestServer::start().await;
    let mut bob = server.client();
    bob.login_ok("bob").await; // registers bob
    assert_eq!(code(bob.client.logout()).await, ErrorCode::Success);

    let mut alice = server.client();
    alice.login_ok("alice").await;
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        let status = alice.send_text("bob", ChatType::Private, text).await;
        let status = status.unwrap();
        sent.push(status.message_id);
    }

    let mut bob = server.client();
    bob.login_ok("bob").await;
    let mut received = Vec::new();
    for text in ["one", "two", "three"] {
        let message = bob.next_message().await;
        assert_eq!(
            message.body,
            MessageBody::Text {
                content: text.into(),
                attach: String::new()
            }
        );
        received.push(message.message_id);
    }
    assert_eq!(received, sent);
    bob.assert_no_message(Duration::from_millis(200)).await;

    // Not delivered a second time.
    assert_eq!(code(bob.client.logout()).await, ErrorCode::Success);
    let mut bob = server.client();
    bob.login_ok("bob").await;
    bob.assert_no_message(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn private_messages_to_unknown_users_are_refused() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    let status = alice
        .send_text("nobody_here", ChatType::Private, "hello?")
        .await;
    assert_eq!(result_code(&status), ErrorCode::InvalidReceiver);
}
