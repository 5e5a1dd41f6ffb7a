//! A server restart with SQLite keeps accounts (and their passwords), mutes and undelivered
//! private messages, and never reuses a message ID.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, ForbidReason, MessageBody};
use yim_server::store::sqlite::SqliteStore;
use yim_tests::{code, server_config, TestServer};

#[tokio::test]
async fn sqlite_keeps_accounts_mutes_and_mail_across_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = || Box::new(SqliteStore::open_in_dir(data_dir.path()).unwrap());

    let server = TestServer::start_with(server_config(), store()).await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    assert_eq!(code(bob.client.logout()).await, ErrorCode::Success);
    let before = alice
        .send_text("bob", ChatType::Private, "kept on disk")
        .await
        .unwrap();
    server
        .admin()
        .await
        .mute_user("world", "alice", 4, u64::MAX)
        .await
        .unwrap();
    server.stop().await;

    let server = TestServer::start_with(server_config(), store()).await;
    let mut impostor = server.client();
    assert_eq!(
        impostor.login("alice", "not_pw").await,
        ErrorCode::UsernamePasswordError
    );
    let mut alice = server.client();
    alice.login_ok("alice").await;
    alice.join_ok("world").await;
    let refused = alice
        .send_text("world", ChatType::Room, "x")
        .await
        .unwrap_err();
    let reason = refused.forbid().map(|f| f.reason);
    assert_eq!(reason, Some(ForbidReason::Terrorism), "the mute survived");

    let mut bob = server.client();
    bob.login_ok("bob").await;
    let message = bob.next_message().await;
    assert_eq!(message.message_id, before.message_id);
    assert_eq!(
        message.body,
        MessageBody::Text {
            content: "kept on disk".into(),
            attach: String::new()
        }
    );

    let after = alice
        .send_text("bob", ChatType::Private, "new")
        .await
        .unwrap();
    assert!(
        after.message_id > before.message_id,
        "message IDs are unique across restarts"
    );
}
