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
            Event::Logout {
                request_id: None,
                code,
            } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(
        alice
            .client
            .send_text_message("world", ChatType::Room, "x", ""),
        Err(ErrorCode::NotLogin)
    );
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

fn client_with_timeout(
    addr: std::net::SocketAddr,
    request_timeout_ms: u64,
) -> yim_tests::TestClient {
    let mut config = yim_sdk::ClientConfig::with_server(addr.to_string());
    config.request_timeout_ms = request_timeout_ms;
    let client = yim_sdk::Client::builder().config(config).build();
    client
        .init(
            yim_tests::APP_KEY,
            yim_tests::APP_SECRET,
            yim_sdk::ServerZone::China,
        )
        .unwrap();
    yim_tests::TestClient::from_client(client)
}

#[tokio::test]
async fn a_call_the_server_never_answers_completes_once_with_time_out() {
    let addr = silent_server("never").await;
    let mut alice = client_with_timeout(addr, 300);
    alice.login_ok("alice").await;
    let id = alice.client.join_chat_room("world").unwrap();
    assert_eq!(alice.code(id).await, ErrorCode::TimeOut);
    // Exactly one completion: nothing more arrives for it.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    while let Some(event) = alice.client.try_next_event() {
        assert_ne!(event.request_id(), Some(id), "second completion: {event:?}");
    }
}

#[tokio::test]
async fn a_call_pending_when_the_connection_drops_completes_once_with_net_error() {
    let addr = silent_server("SendMessage").await;
    let mut alice = client_with_timeout(addr, 5_000);
    alice.login_ok("alice").await;
    let status = alice
        .send_text("bob", ChatType::Private, "into the void")
        .await;
    assert_eq!(status.code, ErrorCode::NetError);
    alice
        .wait_for("unsolicited logout", |e| {
            matches!(
                e,
                Event::Logout {
                    request_id: None,
                    code: ErrorCode::NetError
                }
            )
            .then_some(())
        })
        .await;
}
