//! When the server goes away the SDK reconnects by itself: calls made meanwhile wait and
//! complete after the resume, or with NetError when the reconnect budget runs out (then the
//! unsolicited Logout); a restarted server resumes sessions, rooms and waiting sends.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_proto::ErrorCode;
use yim_sdk::{ChatType, ClientConfig, Event, MessageBody, ReconnectResult};
use yim_server::store::sqlite::SqliteStore;
use yim_tests::{code, refusal, server_config, TestClient, TestServer};

/// A client of `addr` that reconnects quickly and gives up after `budget_ms`.
fn quick_client(addr: &str, budget_ms: u64) -> TestClient {
    let config = ClientConfig {
        reconnect_budget_ms: budget_ms,
        reconnect_initial_backoff_ms: 50,
        reconnect_max_backoff_ms: 200,
        ..ClientConfig::with_server(addr)
    };
    TestClient::from_builder(yim_sdk::Client::builder().config(config))
}

async fn reconnect_started(client: &mut TestClient) {
    client
        .wait_for("start of the reconnect", |e| {
            matches!(e, Event::StartReconnect).then_some(())
        })
        .await;
}

async fn reconnect_result(client: &mut TestClient, wanted: ReconnectResult) {
    client
        .wait_for("a reconnect result", |e| match e {
            Event::ReconnectResult(result) if *result == wanted => Some(()),
            _ => None,
        })
        .await;
}

#[tokio::test]
async fn a_lost_server_starts_a_reconnect_that_gives_up_with_net_error_then_logout() {
    let server = TestServer::start().await;
    let mut alice = quick_client(&server.addr.to_string(), 1_000);
    alice.login_ok("alice").await;
    server.stop().await;
    reconnect_started(&mut alice).await;
    let waiting = alice
        .client
        .send_text_message("bob", ChatType::Private, "x", "");
    reconnect_result(&mut alice, ReconnectResult::Fail).await;
    assert_eq!(code(waiting).await, ErrorCode::NetError);
    alice
        .wait_for("unsolicited logout", |e| match e {
            Event::Logout {
                request_id: None,
                code,
            } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(
        refusal(
            alice
                .client
                .send_text_message("world", ChatType::Room, "x", "")
        ),
        ErrorCode::NotLogin
    );
}

#[tokio::test]
async fn a_restarted_server_resumes_sessions_rooms_and_waiting_sends() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = || Box::new(SqliteStore::open_in_dir(data_dir.path()).unwrap());
    let server = TestServer::start_with(server_config(), store()).await;
    let addr = server.addr.to_string();
    let (mut alice, mut bob) = (quick_client(&addr, 60_000), quick_client(&addr, 60_000));
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;
    server.stop().await;
    for client in [&mut alice, &mut bob] {
        reconnect_started(client).await;
    }
    let waiting =
        alice
            .client
            .send_text_message("world", ChatType::Room, "sent during the outage", "");

    let mut config = server_config();
    config.listen = addr.clone();
    let _server = TestServer::start_with(config, store()).await;
    reconnect_result(&mut alice, ReconnectResult::Success).await;
    reconnect_result(&mut bob, ReconnectResult::Success).await;
    assert_eq!(code(waiting).await, ErrorCode::Success);
    let message = bob.next_message().await;
    assert_eq!(
        message.body,
        MessageBody::Text {
            content: "sent during the outage".into(),
            attach: String::new()
        }
    );
    assert!(bob.client.joined_rooms().contains("world"));
}
/// A fake server that logs anyone in and then never answers; it drops the connection when
/// it receives a frame of the kind `drop_on` names.
async fn silent_server(drop_on: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use yim_proto::wire::{Challenge, Reply};
    use yim_proto::{encode_frame, Frame, FrameBody, FrameDecoder};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let challenge = FrameBody::Challenge(Challenge {
            protocol_version: 1,
            nonce: vec![1; 16],
        });
        stream
            .write_all(&encode_frame(&Frame::new(challenge)).unwrap())
            .await
            .unwrap();
        let mut decoder = FrameDecoder::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            decoder.extend(&buf[..n]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                if frame.kind() == drop_on {
                    return; // drops the connection
                }
                if let Some(FrameBody::Login(login)) = frame.body {
                    let ok = FrameBody::Reply(Reply {
                        request_id: login.request_id,
                        code: 0,
                        detail: None,
                    });
                    stream
                        .write_all(&encode_frame(&Frame::new(ok)).unwrap())
                        .await
                        .unwrap();
                }
            }
        }
    });
    addr
}

fn client_with_timeout(addr: std::net::SocketAddr, request_timeout_ms: u64) -> TestClient {
    let mut config = ClientConfig::with_server(addr.to_string());
    config.request_timeout_ms = request_timeout_ms;
    TestClient::from_builder(yim_sdk::Client::builder().config(config))
}

#[tokio::test]
async fn a_call_the_server_never_answers_completes_once_with_time_out() {
    let addr = silent_server("never").await;
    let mut alice = client_with_timeout(addr, 300);
    alice.login_ok("alice").await;
    let join = alice.client.join_chat_room("world").unwrap();
    let id = join.request_id();
    assert_eq!(code(Ok(join)).await, ErrorCode::TimeOut);
    // Exactly one completion: the stream has it once, and nothing more arrives for it.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let mut completions = 0;
    while let Some(event) = alice.client.try_next_event() {
        completions += usize::from(event.request_id() == Some(id));
    }
    assert_eq!(completions, 1);
}
