//! Rooms over real TCP: join, leave, leave-all, member counts, fan-out, custom messages.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, Event, MessageBody};
use yim_tests::TestServer;

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
    assert_eq!(status.code, ErrorCode::Success);
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

    let status = bob.send_text("world", ChatType::Room, "second").await;
    assert_eq!(alice.next_message().await.room_seq, 2);
    assert_eq!(status.code, ErrorCode::Success);
}

#[tokio::test]
async fn sending_to_a_room_you_have_not_joined_fails_with_not_join_room() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    let status = alice.send_text("world", ChatType::Room, "hi").await;
    assert_eq!(status.code, ErrorCode::NotJoinRoom);
    assert_eq!(status.message_id, 0);
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
    let count = |event: Event| match event {
        Event::RoomMemberCount { code, count, .. } => (code, count),
        other => panic!("unexpected {other:?}"),
    };
    let id = bob.client.get_room_member_count("world").unwrap();
    assert_eq!(count(bob.completion(id).await), (ErrorCode::Success, 2));

    let id = alice.client.leave_chat_room("team").unwrap();
    assert_eq!(alice.code(id).await, ErrorCode::Success);
    let id = alice.client.leave_chat_room("team").unwrap();
    assert_eq!(
        alice.code(id).await,
        ErrorCode::NotJoinRoom,
        "leaving twice"
    );
    assert_eq!(
        alice.send_text("team", ChatType::Room, "x").await.code,
        ErrorCode::NotJoinRoom
    );

    let id = alice.client.leave_all_chat_rooms().unwrap();
    assert_eq!(alice.code(id).await, ErrorCode::Success);
    let id = bob.client.get_room_member_count("world").unwrap();
    assert_eq!(count(bob.completion(id).await), (ErrorCode::Success, 1));
    bob.send_text("world", ChatType::Room, "anyone?").await;
    alice.assert_no_message(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn room_ids_are_checked_locally() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    assert_eq!(
        alice.client.join_chat_room(&"r".repeat(256)),
        Err(ErrorCode::RoomIDTooLong)
    );
    assert_eq!(
        alice.client.join_chat_room("no spaces"),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(
        alice
            .client
            .send_text_message("world", ChatType::Room, &"x".repeat(2049), ""),
        Err(ErrorCode::MessageTooLong)
    );
    assert_eq!(
        alice.client.send_text_message("", ChatType::Room, "x", ""),
        Err(ErrorCode::ReceiverEmpty)
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
    let id = alice
        .client
        .send_custom_message("world", ChatType::Room, &payload)
        .unwrap();
    assert_eq!(alice.code(id).await, ErrorCode::Success);
    assert_eq!(
        bob.next_message().await.body,
        MessageBody::Custom(payload.clone())
    );
    let id = alice
        .client
        .send_custom_message("bob", ChatType::Private, &payload)
        .unwrap();
    assert_eq!(alice.code(id).await, ErrorCode::Success);
    assert_eq!(bob.next_message().await.body, MessageBody::Custom(payload));
}
