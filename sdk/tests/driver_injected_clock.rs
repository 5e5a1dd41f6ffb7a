//! The driver keeps time only through the injected `Clock`: with a hand-driven clock, nothing
//! times out until the test moves time, and then it does at once (this is what lets the
//! simulator run the SDK on virtual time).

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used)]
// The fake servers are test scaffolding on the test's own runtime, not SDK tasks.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;
use yim_proto::wire::{Challenge, Reply};
use yim_proto::{encode_frame, ErrorCode, Frame, FrameBody, FrameDecoder};
use yim_sdk::{BoxFuture, Client, ClientConfig, Clock, Event, ServerZone, State};

/// A clock that moves only when the test says so.
struct ManualClock {
    now_ms: watch::Sender<u64>,
}

impl ManualClock {
    fn new(start_ms: u64) -> Arc<ManualClock> {
        Arc::new(ManualClock {
            now_ms: watch::Sender::new(start_ms),
        })
    }

    fn set(&self, now_ms: u64) {
        self.now_ms.send_replace(now_ms);
    }
}

impl Clock for ManualClock {
    fn monotonic_ms(&self) -> u64 {
        *self.now_ms.borrow()
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let mut now = self.now_ms.subscribe();
        Box::pin(async move {
            let _ = now.wait_for(|now_ms| *now_ms >= deadline_ms).await;
        })
    }
}

const WAIT: Duration = Duration::from_secs(5);

async fn next(client: &Client) -> Event {
    tokio::time::timeout(WAIT, client.next_event())
        .await
        .expect("an event in time")
        .expect("the driver is running")
}

/// A server that logs every client in and forwards each frame it receives to `seen`.
async fn recording_server(seen: tokio::sync::mpsc::UnboundedSender<Frame>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let challenge = Frame::new(FrameBody::Challenge(Challenge {
            protocol_version: yim_proto::PROTOCOL_VERSION,
            nonce: b"n".to_vec(),
        }));
        stream
            .write_all(&encode_frame(&challenge).unwrap())
            .await
            .unwrap();
        let mut decoder = FrameDecoder::new();
        let mut chunk = [0u8; 1024];
        loop {
            while let Some(frame) = decoder.next_frame().unwrap() {
                if let Some(FrameBody::Login(login)) = &frame.body {
                    let ok = Frame::new(FrameBody::Reply(Reply {
                        request_id: login.request_id,
                        code: 0,
                        detail: None,
                    }));
                    stream.write_all(&encode_frame(&ok).unwrap()).await.unwrap();
                }
                let _ = seen.send(frame);
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => decoder.extend(&chunk[..n]),
            }
        }
    });
    addr
}

#[tokio::test]
async fn heartbeat_and_time_outs_follow_the_injected_clock() {
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let addr = recording_server(seen_tx).await;
    let clock = ManualClock::new(1_000_000);
    let client = Client::builder()
        .config(ClientConfig::with_server(addr))
        .clock(clock.clone())
        .build();
    client.init("key", "secret", ServerZone::China).unwrap();
    let login = client.login("alice", "pw", "").unwrap();
    assert_eq!(
        next(&client).await,
        Event::Login {
            request_id: login.request_id(),
            code: ErrorCode::Success,
            user_id: "alice".to_owned()
        }
    );
    assert_eq!(seen.recv().await.unwrap().kind(), "Login");

    // A join the server never answers: no time-out while the clock stands still.
    assert_eq!(login.await.unwrap().user_id, "alice");
    let join = client.join_chat_room("world").unwrap();
    assert_eq!(seen.recv().await.unwrap().kind(), "JoinRoom");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(client.try_next_event(), None);

    // Ten seconds later on the injected clock: the join times out and a ping goes out.
    clock.set(1_010_000);
    assert_eq!(
        next(&client).await,
        Event::JoinChatRoom {
            request_id: join.request_id(),
            code: ErrorCode::TimeOut,
            room_id: "world".to_owned()
        }
    );
    assert_eq!(join.await.unwrap_err().code(), ErrorCode::TimeOut);
    let ping = tokio::time::timeout(WAIT, seen.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ping.kind(), "Ping");

    // The server never answers pings: at 30 s of silence the connection counts as lost and
    // the client starts reconnecting by itself.
    clock.set(1_030_000);
    assert_eq!(next(&client).await, Event::StartReconnect);
    assert_eq!(client.state(), State::Reconnecting);
    // A logout while reconnecting completes at once and stops the reconnect.
    let logout = client.logout().unwrap();
    assert_eq!(
        next(&client).await,
        Event::Logout {
            request_id: Some(logout.request_id()),
            code: ErrorCode::Success
        }
    );
    logout.await.unwrap();
    assert_eq!(client.state(), State::LoggedOut);
}
