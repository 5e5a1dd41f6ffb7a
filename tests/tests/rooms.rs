//! Rooms over real TCP: join, leave, leave-all, member counts, fan-out, custom messages.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, MessageBody};
use yim_tests::{code, done, refusal, result_code, TestServer};

#[tokio::test]
async fn room_messages_reach_members_but_not_the_sender_or_outsiders() {
    let server = TestServer::start().await;
    let (mut alice, mut bob, mut carol) = (server.client(), server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    carol.login_ok("carol").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;
    carol.join_ok("guild").await;

    let status = alice
        .send_text("world", ChatType::Room, "hello world")
        .await;
    let status = status.unwrap();
    assert!(status.message_id > 0 && status.send_time > 0);
    let message = bob.next_message().await;
    assert_eq!(message.message_id, status.message_id);
    assert_eq!(
        (message.sender_id.as_str(), message.receiver_id.as_str()),
        ("alice", "world")
    );
    assert_eq!(message.chat_type, ChatType::Room);
    assert_eq!(message.room_seq, 1);
    assert_eq!(
        message.body,
        MessageBody::Text {
            content: "hello world".into(),
            attach: String::new()
        }
    );
    alice.assert_no_message(Duration::from_millis(200)).await;
    carol.assert_no_message(Duration::from_millis(50)).await;

    let sent = bob.send_text("world", ChatType::Room, "second").await;
    assert_eq!(alice.next_message().await.room_seq, 2);
    assert!(sent.is_ok(), "{sent:?}");
}

#[tokio::test]
async fn sending_to_a_room_you_have_not_joined_fails_with_not_join_room() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    let status = alice.send_text("world", ChatType::Room, "hi").await;
    assert_eq!(result_code(&status), ErrorCode::NotJoinRoom);
}

#[tokio::test]
async fn membership_ends_on_leave_and_leave_all_and_counts_follow() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    for room in ["world", "guild", "team"] {
        alice.join_ok(room).await;
    }
    bob.join_ok("world").await;
    let count = done(bob.client.get_room_member_count("world")).await;
    assert_eq!(count.ok(), Some(2));

    assert_eq!(
        code(alice.client.leave_chat_room("team")).await,
        ErrorCode::Success
    );
    assert_eq!(
        code(alice.client.leave_chat_room("team")).await,
        ErrorCode::NotJoinRoom,
        "leaving twice"
    );
    assert_eq!(
        result_code(&alice.send_text("team", ChatType::Room, "x").await),
        ErrorCode::NotJoinRoom
    );

    assert_eq!(
        code(alice.client.leave_all_chat_rooms()).await,
        ErrorCode::Success
    );
    let count = done(bob.client.get_room_member_count("world")).await;
    assert_eq!(count.ok(), Some(1));
    assert!(bob
        .send_text("world", ChatType::Room, "anyone?")
        .await
        .is_ok());
    alice.assert_no_message(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn room_ids_are_checked_locally() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    assert_eq!(
        refusal(alice.client.join_chat_room(&"r".repeat(256))),
        ErrorCode::RoomIDTooLong
    );
    assert_eq!(
        refusal(alice.client.join_chat_room("no spaces")),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        refusal(
            alice
                .client
                .send_text_message("world", ChatType::Room, &"x".repeat(2049), "")
        ),
        ErrorCode::MessageTooLong
    );
    assert_eq!(
        refusal(alice.client.send_text_message("", ChatType::Room, "x", "")),
        ErrorCode::ReceiverEmpty
    );
}

#[tokio::test]
async fn custom_messages_carry_arbitrary_bytes() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;
    let payload = vec![0u8, 255, 0, 1, 2, 3, 0];
    let sent = alice
        .client
        .send_custom_message("world", ChatType::Room, &payload);
    assert_eq!(code(sent).await, ErrorCode::Success);
    assert_eq!(
        bob.next_message().await.body,
        MessageBody::Custom(payload.clone())
    );
    let sent = alice
        .client
        .send_custom_message("bob", ChatType::Private, &payload);
    assert_eq!(code(sent).await, ErrorCode::Success);
    assert_eq!(bob.next_message().await.body, MessageBody::Custom(payload));
}
