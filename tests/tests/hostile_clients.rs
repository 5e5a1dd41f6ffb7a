//! Hostile and careless clients over real TCP: login and registration throttles, the frame
//! limit and the cap before login, a pipelining client, the room send rate and the mailbox
//! share. Each refusal carries its code; nothing is dropped silently, and everyone else keeps
//! being served. (Latency under these loads is measured by `yim-load`, not asserted here.)

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yim_proto::wire::{reply, Ping};
use yim_proto::{encode_frame, ErrorCode, Frame, FrameBody};
use yim_sdk::ChatType;
use yim_server::core::Rate;
use yim_server::store::memory::MemoryStore;
use yim_tests::raw::RawClient;
use yim_tests::{server_config, TestServer, EVENT_WAIT};

#[tokio::test]
async fn failed_logins_and_registrations_are_throttled_with_user_status_error() {
    let mut config = server_config();
    config.limits.failed_logins_per_account = Rate::new(3, 600_000);
    config.limits.registrations_per_address = Rate::new(4, 600_000);
    let server = TestServer::start_with(config, Box::new(MemoryStore::new())).await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    let mut mallory = server.client();
    for _ in 0..3 {
        assert_eq!(
            mallory.login("alice", "guess").await,
            ErrorCode::UsernamePasswordError
        );
    }
    assert_eq!(
        mallory.login("alice", "guess").await,
        ErrorCode::UserStatusError,
        "past the account's failed logins: refused without hashing"
    );
    assert_eq!(
        mallory.login("alice", "pw").await,
        ErrorCode::UserStatusError,
        "a locked account refuses its password too until it refills"
    );
    // The session alice has is untouched, and other accounts log in and chat.
    let mut bob = server.client();
    bob.login_ok("bob").await;
    bob.send_text("alice", ChatType::Private, "still here?")
        .await
        .unwrap();
    assert_eq!(alice.next_message().await.sender_id, "bob");

    // Registrations from this address: alice and bob, then two more, then no more.
    for user in ["carol", "dave"] {
        server.client().login_ok(user).await;
    }
    assert_eq!(
        server.client().login("erin", "pw").await,
        ErrorCode::UserStatusError
    );
    assert_eq!(
        server.client().login("bob", "pw").await,
        ErrorCode::Success,
        "logins of existing accounts are not registrations"
    );
}

#[tokio::test]
async fn frames_before_login_are_small_and_connections_not_logged_in_are_capped() {
    let mut config = server_config();
    config.limits.max_login_frame_bytes = 2048;
    config.limits.max_unauthenticated_connections = 3;
    let server = TestServer::start_with(config, Box::new(MemoryStore::new())).await;

    // A prefix past the login limit is refused on the prefix, before any body.
    let mut big = RawClient::connect(server.addr).await.unwrap();
    big.write(&3000u32.to_be_bytes()).await;
    match big.next().await.and_then(|f| f.body) {
        Some(FrameBody::Goodbye(goodbye)) => {
            assert_eq!(goodbye.code, ErrorCode::ParamInvalid.as_u32());
            assert!(goodbye.reason.contains("exceeds"), "{}", goodbye.reason);
        }
        other => panic!("expected a goodbye, got {other:?}"),
    }
    assert!(big.next().await.is_none(), "closed after the goodbye");
    // The server notices the close before the next accept is counted.
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Three connections may wait for their login; a fourth is closed at once.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        waiting.push(RawClient::connect(server.addr).await.expect("a challenge"));
    }
    assert!(
        RawClient::connect(server.addr).await.is_none(),
        "the fourth unauthenticated connection is closed without a challenge"
    );
    // Once one logs in, its place is free, and its frames may be long.
    assert_eq!(waiting[0].login("alice", "pw").await, ErrorCode::Success);
    let mut fifth = RawClient::connect(server.addr).await.expect("a free place");
    assert_eq!(fifth.login("bob", "pw").await, ErrorCode::Success);
    let long = "x".repeat(2040);
    let request_id = waiting[0].upcoming_request_id();
    let send = waiting[0].send_bytes("bob", ChatType::Private, &long);
    assert!(send.len() > 2048);
    waiting[0].write(&send).await;
    assert_eq!(waiting[0].reply(request_id).await.code, 0);
}

#[tokio::test]
async fn a_pipelining_client_is_answered_in_order_and_slows_no_one_else() {
    let mut config = server_config();
    config.limits.max_requests_in_flight = 4;
    let server = TestServer::start_with(config, Box::new(MemoryStore::new())).await;
    let mut flood = RawClient::connect(server.addr).await.unwrap();
    assert_eq!(flood.login("flood", "pw").await, ErrorCode::Success);
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;

    const PINGS: u64 = 20_000;
    let pings: Vec<u8> = (1..=PINGS)
        .flat_map(|nonce| encode_frame(&Frame::new(FrameBody::Ping(Ping { nonce }))).unwrap())
        .collect();
    let (stream, mut decoder) = flood.into_parts();
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move { writer.write_all(&pings).await.unwrap() });
    // The pair chats while the flood is in the server's hands.
    for i in 0..5 {
        alice
            .send_text("bob", ChatType::Private, &format!("hi {i}"))
            .await
            .unwrap();
        assert_eq!(bob.next_message().await.sender_id, "alice");
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut next_nonce = 1;
    while next_nonce <= PINGS {
        while let Some(frame) = decoder.next_frame().unwrap() {
            if let Some(FrameBody::Pong(pong)) = frame.body {
                assert_eq!(pong.nonce, next_nonce, "answers in order, none dropped");
                next_nonce += 1;
            }
        }
        if next_nonce > PINGS {
            break;
        }
        let n = tokio::time::timeout(EVENT_WAIT, reader.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the flooding client is served, not cut off");
        decoder.extend(&buf[..n]);
    }
    writing.await.unwrap();
}

#[tokio::test]
async fn a_client_that_closes_its_side_still_gets_every_answer_then_the_server_closes() {
    let server = TestServer::start().await;
    let mut client = RawClient::connect(server.addr).await.unwrap();
    assert_eq!(client.login("leaver", "pw").await, ErrorCode::Success);
    const PINGS: u64 = 500;
    let pings: Vec<u8> = (1..=PINGS)
        .flat_map(|nonce| encode_frame(&Frame::new(FrameBody::Ping(Ping { nonce }))).unwrap())
        .collect();
    client.write(&pings).await;
    client.close_write().await;
    let mut nonces = Vec::new();
    while let Some(frame) = tokio::time::timeout(EVENT_WAIT, client.next())
        .await
        .unwrap()
    {
        if let Some(FrameBody::Pong(pong)) = frame.body {
            nonces.push(pong.nonce);
        }
    }
    assert_eq!(
        nonces,
        (1..=PINGS).collect::<Vec<_>>(),
        "every ping answered, in order"
    );
}

#[tokio::test]
async fn the_room_send_rate_refuses_with_message_blocked_and_delivers_the_rest() {
    let mut config = server_config();
    config.limits.room_sends = Rate::new(5, 600_000);
    let server = TestServer::start_with(config, Box::new(MemoryStore::new())).await;
    let mut bob = server.client();
    bob.login_ok("bob").await;
    bob.join_ok("world").await;
    let mut spammer = RawClient::connect(server.addr).await.unwrap();
    assert_eq!(spammer.login("spammer", "pw").await, ErrorCode::Success);
    assert_eq!(spammer.join("world").await, ErrorCode::Success);
    let first = spammer.upcoming_request_id();
    let sends: Vec<u8> = (0..8)
        .flat_map(|i| spammer.send_bytes("world", ChatType::Room, &format!("spam {i}")))
        .collect();
    spammer.write(&sends).await;
    let mut codes = Vec::new();
    for request_id in first..first + 8 {
        let reply = spammer.reply(request_id).await;
        assert!(
            reply.code != 0 || matches!(reply.detail, Some(reply::Detail::SendReceipt(_))),
            "a success carries its receipt"
        );
        codes.push(ErrorCode::from_u32(reply.code).unwrap());
    }
    let blocked = ErrorCode::MessageBlocked;
    assert_eq!(
        codes,
        [[ErrorCode::Success; 5].as_slice(), &[blocked; 3]].concat()
    );
    for i in 0..5 {
        let message = bob.next_message().await;
        assert_eq!(message.sender_id, "spammer", "message {i}");
    }
    bob.assert_no_message(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn one_sender_fills_only_its_share_of_an_offline_mailbox() {
    let mut config = server_config();
    config.limits.max_mail_per_sender = 3;
    let server = TestServer::start_with(config, Box::new(MemoryStore::new())).await;
    let mut bob = server.client();
    bob.login_ok("bob").await;
    yim_tests::done(bob.client.logout()).await.unwrap();
    let (mut alice, mut carol) = (server.client(), server.client());
    alice.login_ok("alice").await;
    carol.login_ok("carol").await;
    for i in 0..3 {
        alice
            .send_text("bob", ChatType::Private, &format!("a{i}"))
            .await
            .unwrap();
    }
    let refused = alice.send_text("bob", ChatType::Private, "a3").await;
    assert_eq!(
        yim_tests::result_code(&refused),
        ErrorCode::MessageBlocked,
        "past alice's share"
    );
    carol
        .send_text("bob", ChatType::Private, "c0")
        .await
        .unwrap();
    bob.login_ok("bob").await;
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(bob.next_message().await.sender_id);
    }
    assert_eq!(got, ["alice", "alice", "alice", "carol"]);
    bob.assert_no_message(Duration::from_millis(500)).await;
}
