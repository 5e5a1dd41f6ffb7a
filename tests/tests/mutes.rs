//! Operator mutes over real TCP: a muted user or room gets ForbiddenSpeak with the forbid
//! fields, nothing is delivered while muted, private chat is unaffected, and sends succeed
//! again after the end time (by the server's clock) or an unmute.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, Forbid, ForbidReason};
use yim_tests::{result_code, TestClient, TestServer};

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn two_in_world(server: &TestServer) -> (TestClient, TestClient) {
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;
    (alice, bob)
}

#[tokio::test]
async fn a_muted_user_gets_forbidden_speak_until_the_end_time() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = two_in_world(&server).await;
    let end_time = now_secs() + 2;
    server
        .admin()
        .await
        .mute_user("world", "alice", 2, end_time)
        .await
        .unwrap();

    let refused = alice
        .send_text("world", ChatType::Room, "let me speak")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::ForbiddenSpeak);
    let forbid = Forbid {
        whole_room: false,
        reason: ForbidReason::Insult,
        end_time,
    };
    assert_eq!(refused.forbid(), Some(&forbid));
    bob.assert_no_message(Duration::from_millis(200)).await;

    // Others in the room, and alice's private chat, are unaffected.
    assert_eq!(
        result_code(&bob.send_text("world", ChatType::Room, "fine").await),
        ErrorCode::Success
    );
    assert_eq!(
        result_code(&alice.send_text("bob", ChatType::Private, "psst").await),
        ErrorCode::Success
    );

    // After the end time the mute is over.
    let wait_ms = (end_time * 1000).saturating_sub(now_secs() * 1000) + 1100;
    tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    let sent = alice.send_text("world", ChatType::Room, "free again").await;
    assert!(sent.is_ok(), "{sent:?}");
}

#[tokio::test]
async fn a_room_mute_silences_everyone_until_unmuted() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = two_in_world(&server).await;
    let mut admin = server.admin().await;
    let end_time = now_secs() + 3600;
    admin.mute_room("world", 1, end_time).await.unwrap();
    for client in [&mut alice, &mut bob] {
        let refused = client
            .send_text("world", ChatType::Room, "x")
            .await
            .unwrap_err();
        let forbid = Forbid {
            whole_room: true,
            reason: ForbidReason::Advertising,
            end_time,
        };
        assert_eq!(refused.forbid(), Some(&forbid));
    }
    admin.unmute("world", "").await.unwrap();
    assert_eq!(
        result_code(&alice.send_text("world", ChatType::Room, "x").await),
        ErrorCode::Success
    );
    bob.next_message().await;
}

#[tokio::test]
async fn operators_need_the_app_secret() {
    let server = TestServer::start().await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let result =
        yim_server::admin::AdminClient::login(Box::new(stream), yim_tests::APP_KEY, "wrong").await;
    assert!(
        matches!(
            result,
            Err(yim_server::admin::AdminError::Refused(
                ErrorCode::SDKInvalid
            ))
        ),
        "{result:?}"
    );
}
