//! The SDK's local history over real TCP, with SQLite files in a temporary directory: what a
//! player finds after the game was killed (the client dropped without logout, the store
//! reopened by a new client on the same directory), room history from the server deduplicated
//! against what the app had before the restart, and the history calls' limits and codes.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::path::Path;
use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, Client, DeleteHistory, Error, HistoryDirection, MessageBody, TimeOrder};
use yim_tests::{code, done, refusal, TestClient, TestServer, APP_KEY};

/// A client of the test app whose local history is kept under `dir`.
fn client_on_disk(server: &TestServer, dir: &Path) -> TestClient {
    TestClient::from_builder(server.client_builder().history_dir(dir))
}

/// The game is killed: the client goes without a logout, its store stays on disk.
async fn kill(app: TestClient) {
    app.client.shutdown();
    drop(app);
    // Let the driver close the connection and the store.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

fn text_of(body: &MessageBody) -> &str {
    match body {
        MessageBody::Text { content, .. } => content,
        _ => "",
    }
}

#[tokio::test]
async fn private_history_survives_the_app_being_killed_and_nothing_comes_twice() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bob = client_on_disk(&server, dir.path());
    bob.login_ok("bob").await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    let mut sent = Vec::new();
    for text in ["one", "two", "three"] {
        sent.push(
            alice
                .send_text("bob", ChatType::Private, text)
                .await
                .unwrap()
                .message_id,
        );
    }
    for id in &sent {
        assert_eq!(bob.next_message().await.message_id, *id);
    }
    let reply = bob
        .send_text("alice", ChatType::Private, "four")
        .await
        .unwrap();
    kill(bob).await;
    assert!(
        dir.path().join(APP_KEY).join("bob.sqlite3").exists(),
        "one file per app key and user"
    );

    let mut bob = client_on_disk(&server, dir.path());
    bob.login_ok("bob").await;
    bob.assert_no_message(Duration::from_millis(500)).await;
    let page = done(bob.client.query_history_message(
        "alice",
        ChatType::Private,
        0,
        100,
        HistoryDirection::Older,
    ))
    .await
    .unwrap();
    let kept: Vec<(u64, &str, &str)> = page
        .messages
        .iter()
        .map(|m| {
            (
                m.message.message_id,
                m.message.sender_id.as_str(),
                text_of(&m.message.body),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            (sent[0], "alice", "one"),
            (sent[1], "alice", "two"),
            (sent[2], "alice", "three"),
            (reply.message_id, "bob", "four"),
        ],
        "received and own messages, oldest first, after the restart"
    );
    assert_eq!(page.remain, 0);

    // Paging older than the newest: the two before it, and one more remains.
    let older = done(bob.client.query_history_message(
        "alice",
        ChatType::Private,
        reply.message_id,
        2,
        HistoryDirection::Older,
    ))
    .await
    .unwrap();
    let ids: Vec<u64> = older
        .messages
        .iter()
        .map(|m| m.message.message_id)
        .collect();
    assert_eq!((ids, older.remain), (vec![sent[1], sent[2]], 1));

    let contacts = done(bob.client.get_recent_contacts()).await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].contact_id, "alice");
    assert_eq!(
        contacts[0].last_message.message.message_id,
        reply.message_id
    );
    assert_eq!(contacts[0].unread, 3, "alice's three, not bob's own");
    assert_eq!(
        done(bob.client.set_all_message_read("alice", true))
            .await
            .unwrap(),
        3
    );
    let contacts = done(bob.client.get_recent_contacts()).await.unwrap();
    assert_eq!(contacts[0].unread, 0);

    let deleted = done(bob.client.delete_history_message(DeleteHistory::Message {
        message_id: sent[0],
    }))
    .await
    .unwrap();
    assert_eq!(deleted, 1);
    let deleted = done(
        bob.client
            .delete_history_message(DeleteHistory::Conversation {
                target_id: "alice".into(),
                chat_type: ChatType::Private,
            }),
    )
    .await
    .unwrap();
    assert_eq!(deleted, 3);
    let page = done(bob.client.query_history_message(
        "alice",
        ChatType::Private,
        0,
        100,
        HistoryDirection::Older,
    ))
    .await
    .unwrap();
    assert!(page.messages.is_empty());
    assert!(done(bob.client.get_recent_contacts())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn room_history_from_the_server_skips_what_the_app_had_before_it_was_killed() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = server.client();
    alice.login_ok("alice").await;
    alice.join_ok("world").await;
    let before = alice
        .send_text("world", ChatType::Room, "before bob came")
        .await
        .unwrap();

    let mut bob = client_on_disk(&server, dir.path());
    bob.login_ok("bob").await;
    bob.join_ok("world").await;
    assert_eq!(
        done(bob.client.set_room_history_message_switch(&["world"], true))
            .await
            .unwrap(),
        1
    );
    let mut live = Vec::new();
    for text in ["live one", "live two"] {
        let receipt = alice
            .send_text("world", ChatType::Room, text)
            .await
            .unwrap();
        assert_eq!(bob.next_message().await.message_id, receipt.message_id);
        live.push(receipt.message_id);
    }
    let own = bob
        .send_text("world", ChatType::Room, "bob here")
        .await
        .unwrap();
    kill(bob).await;

    let mut bob = client_on_disk(&server, dir.path());
    bob.login_ok("bob").await;
    bob.join_ok("world").await;
    let page = done(bob.client.query_room_history_message_from_server(
        "world",
        200,
        TimeOrder::Ascending,
    ))
    .await
    .unwrap();
    let ids: Vec<u64> = page.messages.iter().map(|m| m.message_id).collect();
    assert_eq!(
        ids,
        [before.message_id],
        "only the message the app never had: not the live ones, not its own"
    );
    let again = done(bob.client.query_room_history_message_from_server(
        "world",
        200,
        TimeOrder::Ascending,
    ))
    .await
    .unwrap();
    assert!(again.messages.is_empty(), "never handed over twice");

    // The room's switch stayed on across the restart: everything is in the local history.
    let local = done(bob.client.query_history_message(
        "world",
        ChatType::Room,
        0,
        100,
        HistoryDirection::Older,
    ))
    .await
    .unwrap();
    let ids: Vec<u64> = local
        .messages
        .iter()
        .map(|m| m.message.message_id)
        .collect();
    assert_eq!(ids, [before.message_id, live[0], live[1], own.message_id]);
}

#[tokio::test]
async fn history_calls_check_their_limits_and_codes() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut bob = client_on_disk(&server, dir.path());
    let query = |client: &Client, count| {
        client.query_history_message(
            "alice",
            ChatType::Private,
            0,
            count,
            HistoryDirection::Older,
        )
    };
    assert_eq!(refusal(query(&bob.client, 10)), ErrorCode::NotLogin);
    bob.login_ok("bob").await;
    assert_eq!(refusal(query(&bob.client, 0)), ErrorCode::ParamInvalid);
    assert_eq!(refusal(query(&bob.client, 101)), ErrorCode::ParamInvalid);
    assert_eq!(code(query(&bob.client, 100)).await, ErrorCode::Success);
    let room_history = |client: &Client, room: &str, count| {
        client.query_room_history_message_from_server(room, count, TimeOrder::Descending)
    };
    assert_eq!(
        refusal(room_history(&bob.client, "world", 201)),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        refusal(room_history(&bob.client, "", 10)),
        ErrorCode::ParamInvalid
    );
    let outside: Result<_, Error> = done(room_history(&bob.client, "world", 10)).await;
    assert_eq!(
        outside.map(|p| p.messages.len()).map_err(|e| e.code()),
        Err(ErrorCode::NotJoinRoom),
        "only members get a room's history"
    );
    let too_many: Vec<String> = (0..33).map(|i| format!("r{i}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    assert_eq!(
        refusal(bob.client.set_room_history_message_switch(&too_many, true)),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        refusal(bob.client.set_message_read(0, true)),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        refusal(
            bob.client
                .delete_history_message(DeleteHistory::Message { message_id: 0 })
        ),
        ErrorCode::ParamInvalid
    );

    // A history directory that cannot be made: the login is refused at once with YIM's code.
    let blocker = dir.path().join("a_file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let carol = client_on_disk(&server, &blocker.join("history"));
    assert_eq!(
        refusal(carol.client.login("carol", "pw", "")),
        ErrorCode::CreateDirectoryFailed
    );
}
