//! The `Client` driver end to end over real loopback TCP, against a tiny scripted fake server
//! (not the real one: `yim-sdk` does not depend on `yim-server`).

// Test code: a panic is how a failure is reported.
#![allow(clippy::unwrap_used)]
// The fake servers are test scaffolding on the test's own runtime, not SDK tasks.
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yim_proto::wire::{reply, Challenge, Reply, SendReceipt};
use yim_proto::{auth, encode_frame, wire, ChatType, Frame, FrameBody, FrameDecoder};
use yim_sdk::{Client, ClientConfig, ErrorCode, Event, MessageBody, SendStatus, ServerZone, State};

const SECRET: &str = "s3cret";
const NONCE: &[u8] = b"fake-nonce";
/// Bound on every wait, so a broken driver fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(5);

/// The fake server's side of one connection.
struct Peer {
    stream: TcpStream,
    decoder: FrameDecoder,
}

impl Peer {
    async fn send(&mut self, frame: Frame) {
        let bytes = encode_frame(&frame).unwrap();
        self.stream.write_all(&bytes).await.unwrap();
    }

    /// The next frame, or `None` at end of stream.
    async fn recv(&mut self) -> Option<Frame> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(frame) = self.decoder.next_frame().unwrap() {
                return Some(frame);
            }
            let n = self.stream.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return None;
            }
            self.decoder.extend(&chunk[..n]);
        }
    }

    async fn reply(&mut self, request_id: u64, code: ErrorCode, detail: Option<reply::Detail>) {
        self.send(Frame::new(FrameBody::Reply(Reply {
            request_id,
            code: code.as_u32(),
            detail,
        })))
        .await;
    }

    /// Accepts one connection, sends the challenge, checks the login proof and accepts it.
    async fn accept_and_login(listener: &TcpListener) -> (Peer, String) {
        let (stream, _) = listener.accept().await.unwrap();
        let mut peer = Peer {
            stream,
            decoder: FrameDecoder::new(),
        };
        peer.send(Frame::new(FrameBody::Challenge(Challenge {
            protocol_version: yim_proto::PROTOCOL_VERSION,
            nonce: NONCE.to_vec(),
        })))
        .await;
        let Some(FrameBody::Login(login)) = peer.recv().await.and_then(|f| f.body) else {
            panic!("expected Login");
        };
        assert!(auth::verify_challenge_proof(SECRET, NONCE, &login.proof));
        peer.reply(login.request_id, ErrorCode::Success, None).await;
        (peer, login.user_id)
    }
}

async fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

fn client(addr: &str, config: ClientConfig) -> Client {
    let config = config.with_zone(ServerZone::China, addr);
    let client = Client::builder().config(config).build();
    client.init("key", SECRET, ServerZone::China).unwrap();
    client
}

async fn next(client: &Client) -> Event {
    tokio::time::timeout(WAIT, client.next_event())
        .await
        .expect("an event in time")
        .expect("the driver is running")
}

/// Logs in, checking both ways a game hears of it: the awaited receipt and the event.
async fn logged_in(client: &Client) {
    let login = client.login("alice", "pw", "").unwrap();
    let id = login.request_id();
    let receipt = tokio::time::timeout(WAIT, login).await.unwrap().unwrap();
    assert_eq!(receipt.user_id, "alice");
    assert_eq!(
        next(client).await,
        Event::Login {
            request_id: id,
            code: ErrorCode::Success,
            user_id: "alice".to_owned()
        }
    );
    assert_eq!(client.state(), State::LoggedIn);
}

#[tokio::test]
async fn login_send_receive_and_logout_over_tcp() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut peer, user) = Peer::accept_and_login(&listener).await;
        assert_eq!(user, "alice");
        while let Some(frame) = peer.recv().await {
            match frame.body {
                Some(FrameBody::JoinRoom(join)) => {
                    peer.reply(join.request_id, ErrorCode::Success, None).await;
                }
                Some(FrameBody::SendMessage(send)) => {
                    let receipt = SendReceipt {
                        message_id: 17,
                        send_time: 1_700_000_000,
                        forbid: None,
                        room_seq: 0,
                    };
                    peer.reply(
                        send.request_id,
                        ErrorCode::Success,
                        Some(reply::Detail::SendReceipt(receipt)),
                    )
                    .await;
                    // Echo it back as a delivered room message from "bob" (another message:
                    // the client counts its own message 17 as handed already).
                    peer.send(Frame::new(FrameBody::Message(wire::Message {
                        message_id: 18,
                        sender_id: "bob".to_owned(),
                        receiver_id: send.receiver_id,
                        chat_type: send.chat_type,
                        create_time: 1_700_000_000,
                        room_seq: 1,
                        body: send.body,
                    })))
                    .await;
                }
                Some(FrameBody::Logout(logout)) => {
                    peer.reply(logout.request_id, ErrorCode::Success, None)
                        .await;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // The client closed the connection after the logout.
    });

    let client = client(&addr, ClientConfig::default());
    logged_in(&client).await;

    let join = client.join_chat_room("world").unwrap();
    let join_id = join.request_id();
    join.await.unwrap();
    assert_eq!(
        next(&client).await,
        Event::JoinChatRoom {
            request_id: join_id,
            code: ErrorCode::Success,
            room_id: "world".to_owned()
        }
    );
    assert!(client.joined_rooms().contains("world"));

    let send = client
        .send_text_message("world", ChatType::Room, "hello", "extra")
        .unwrap();
    let send_id = send.request_id();
    assert_eq!(
        send.await.unwrap(),
        yim_sdk::SendReceipt {
            message_id: 17,
            send_time: 1_700_000_000
        }
    );
    assert_eq!(
        next(&client).await,
        Event::SendMessageStatus(SendStatus {
            request_id: send_id,
            code: ErrorCode::Success,
            send_time: 1_700_000_000,
            forbid: None,
            message_id: 17
        })
    );
    let Event::RecvMessage(message) = next(&client).await else {
        panic!("expected the echoed message");
    };
    assert_eq!(message.sender_id, "bob");
    assert_eq!(message.receiver_id, "world");
    assert_eq!(message.chat_type, ChatType::Room);
    assert_eq!(
        message.body,
        MessageBody::Text {
            content: "hello".to_owned(),
            attach: "extra".to_owned()
        }
    );

    let logout = client.logout().unwrap().request_id();
    assert_eq!(
        next(&client).await,
        Event::Logout {
            request_id: Some(logout),
            code: ErrorCode::Success
        }
    );
    assert_eq!(client.state(), State::LoggedOut);
    tokio::time::timeout(WAIT, server)
        .await
        .expect("the client closes the connection")
        .unwrap();
}

#[tokio::test]
async fn without_reconnect_a_server_hang_up_completes_pending_calls_then_logs_out() {
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut peer, _) = Peer::accept_and_login(&listener).await;
        // Take two sends, answer neither, hang up.
        for _ in 0..2 {
            assert!(matches!(
                peer.recv().await.and_then(|f| f.body),
                Some(FrameBody::SendMessage(_))
            ));
        }
    });
    let config = ClientConfig {
        reconnect_budget_ms: 0,
        ..ClientConfig::default()
    };
    let client = client(&addr, config);
    logged_in(&client).await;
    let a = client
        .send_custom_message("bob", ChatType::Private, &[0, 1])
        .unwrap()
        .request_id();
    let b = client
        .send_text_message("bob", ChatType::Private, "x", "")
        .unwrap();
    let b_id = b.request_id();
    server.await.unwrap();
    let mut completed = Vec::new();
    for _ in 0..2 {
        let event = next(&client).await;
        assert_eq!(event.code(), Some(ErrorCode::NetError));
        completed.push(event.request_id());
    }
    assert_eq!(completed, vec![Some(a), Some(b_id)]);
    assert_eq!(b.await.unwrap_err().code(), ErrorCode::NetError);
    assert_eq!(
        next(&client).await,
        Event::Logout {
            request_id: None,
            code: ErrorCode::NetError
        }
    );
    assert_eq!(
        client
            .send_text_message("bob", ChatType::Private, "x", "")
            .unwrap_err()
            .code(),
        ErrorCode::NotLogin
    );
}

#[tokio::test]
async fn connection_refused_fails_the_login_with_net_error() {
    // Bind, learn the port, close: nothing listens there any more.
    let (listener, addr) = listener().await;
    drop(listener);
    let client = client(&addr, ClientConfig::default());
    let login = client.login("alice", "pw", "").unwrap();
    let id = login.request_id();
    assert_eq!(login.await.unwrap_err().code(), ErrorCode::NetError);
    assert_eq!(
        next(&client).await,
        Event::Login {
            request_id: id,
            code: ErrorCode::NetError,
            user_id: "alice".to_owned()
        }
    );
    assert_eq!(client.state(), State::LoggedOut);
}

#[tokio::test]
async fn a_slow_reader_gets_every_message_in_order() {
    const MESSAGES: u64 = 300;
    let (listener, addr) = listener().await;
    let server = tokio::spawn(async move {
        let (mut peer, _) = Peer::accept_and_login(&listener).await;
        for id in 1..=MESSAGES {
            peer.send(Frame::new(FrameBody::Message(wire::Message {
                message_id: id,
                sender_id: "bob".to_owned(),
                receiver_id: "alice".to_owned(),
                chat_type: ChatType::Private as i32,
                create_time: 0,
                room_seq: 0,
                body: Some(wire::Body {
                    kind: Some(wire::body::Kind::Custom(wire::Custom {
                        content: vec![7; 1024],
                    })),
                }),
            })))
            .await;
        }
        // Keep the connection open until the client goes.
        while peer.recv().await.is_some() {}
    });
    let config = ClientConfig {
        max_queued_events: 4,
        ..ClientConfig::default()
    };
    let client = client(&addr, config);
    logged_in(&client).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut ids = Vec::new();
    while ids.len() < MESSAGES as usize {
        match next(&client).await {
            Event::RecvMessage(message) => ids.push(message.message_id),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(ids, (1..=MESSAGES).collect::<Vec<_>>());
    drop(client);
    tokio::time::timeout(WAIT, server)
        .await
        .expect("dropping the last handle closes the connection")
        .unwrap();
}

#[tokio::test]
async fn shutdown_completes_pending_calls_and_ends_the_event_stream() {
    let (listener, addr) = listener().await;
    let _server = tokio::spawn(async move {
        let (mut peer, _) = Peer::accept_and_login(&listener).await;
        while peer.recv().await.is_some() {}
    });
    let client = client(&addr, ClientConfig::default());
    logged_in(&client).await;
    let pending = client.join_chat_room("world").unwrap().request_id();
    let other_handle = client.clone();
    client.shutdown();
    let events: Vec<Event> = tokio::time::timeout(WAIT, async {
        let mut events = Vec::new();
        while let Some(event) = other_handle.next_event().await {
            events.push(event);
        }
        events
    })
    .await
    .expect("the stream ends");
    assert_eq!(
        events,
        vec![
            Event::JoinChatRoom {
                request_id: pending,
                code: ErrorCode::NetError,
                room_id: "world".to_owned()
            },
            Event::Logout {
                request_id: None,
                code: ErrorCode::NetError
            },
        ]
    );
    assert!(!client.is_running());
    assert_eq!(
        client.login("alice", "pw", "").unwrap_err().code(),
        ErrorCode::NotStartUp
    );
}
