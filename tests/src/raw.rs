//! A raw protocol connection, for the tests that speak the wire protocol themselves to see
//! what the server does with clients the SDK would never be (throttled, pipelining, flooding,
//! malformed): frames read and written with `yim_proto`, and the challenge, login, join and
//! send frames built as the SDK builds them.
//!
//! What it is: test scaffolding over one TCP connection. What it is not: an SDK client (see
//! [`TestClient`](crate::TestClient)) or assertions about behaviour.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{body, Body, JoinRoom, Login, Reply, SendMessage, Text};
use yim_proto::{encode_frame, ChatType, ErrorCode, Frame, FrameBody, FrameDecoder};

use crate::{APP_KEY, APP_SECRET, EVENT_WAIT};

/// A raw protocol connection of `APP_KEY` that has read its challenge.
#[derive(Debug)]
pub struct RawClient {
    stream: TcpStream,
    decoder: FrameDecoder,
    nonce: Vec<u8>,
    next_request: u64,
}

impl RawClient {
    /// Connects and reads the challenge; `None` if the server closes the connection first.
    pub async fn connect(addr: SocketAddr) -> Option<RawClient> {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut raw = RawClient {
            stream,
            decoder: FrameDecoder::new(),
            nonce: Vec::new(),
            next_request: 0,
        };
        match raw.next().await?.body {
            Some(FrameBody::Challenge(challenge)) => raw.nonce = challenge.nonce,
            other => panic!("expected a challenge, got {other:?}"),
        }
        Some(raw)
    }

    /// The next frame, waiting at most `EVENT_WAIT` for it; `None` once the server has
    /// closed the connection.
    pub async fn next(&mut self) -> Option<Frame> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(frame) = self.decoder.next_frame().expect("a frame the server sent") {
                return Some(frame);
            }
            let read = tokio::time::timeout(EVENT_WAIT, self.stream.read(&mut buf))
                .await
                .expect("the server answers in time");
            match read {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.extend(&buf[..n]),
            }
        }
    }

    /// Writes `bytes` as they are (a frame, part of one, or garbage).
    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Closes the writing side (a TCP half-close): the server sees the end of what this
    /// client sends, and this client can still read.
    pub async fn close_write(&mut self) {
        self.stream.shutdown().await.expect("shutdown");
    }

    /// Writes one frame.
    pub async fn write_frame(&mut self, body: FrameBody) {
        let bytes = encode_frame(&Frame::new(body)).expect("the frame encodes");
        self.write(&bytes).await;
    }

    /// The ID the next request will take, without taking it.
    pub fn upcoming_request_id(&self) -> u64 {
        self.next_request + 1
    }

    /// Takes the next request ID (1, 2, ...).
    pub fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// The reply to `request_id`, skipping anything else.
    pub async fn reply(&mut self, request_id: u64) -> Reply {
        loop {
            match self.next().await.expect("a reply before the close").body {
                Some(FrameBody::Reply(reply)) if reply.request_id == request_id => return reply,
                _ => {}
            }
        }
    }

    /// Logs `user` in with `password` and gives the reply's code.
    pub async fn login(&mut self, user: &str, password: &str) -> ErrorCode {
        let request_id = self.request_id();
        let credentials = LoginCredentials {
            app_key: APP_KEY,
            app_secret: APP_SECRET,
            user_id: user,
            password,
            token: "",
        };
        let login = Login::new(request_id, &credentials, &self.nonce);
        self.write_frame(FrameBody::Login(login)).await;
        reply_code(&self.reply(request_id).await)
    }

    /// Joins `room` and gives the reply's code.
    pub async fn join(&mut self, room: &str) -> ErrorCode {
        let request_id = self.request_id();
        let join = FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: room.into(),
            resume_after_seq: None,
        });
        self.write_frame(join).await;
        reply_code(&self.reply(request_id).await)
    }

    /// The bytes of a text send to `receiver_id`, to write at once or in a batch.
    pub fn send_bytes(&mut self, receiver_id: &str, chat_type: ChatType, text: &str) -> Vec<u8> {
        let send = SendMessage {
            request_id: self.request_id(),
            receiver_id: receiver_id.into(),
            chat_type: chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Text(Text {
                    content: text.into(),
                    attach: String::new(),
                })),
            }),
            idempotency_key: 0,
        };
        encode_frame(&Frame::new(FrameBody::SendMessage(send))).expect("the send encodes")
    }

    /// The connection and the frames read but not yet taken, for a test that reads and
    /// writes at once.
    pub fn into_parts(self) -> (TcpStream, FrameDecoder) {
        (self.stream, self.decoder)
    }
}

/// A reply's code as YIM's `ErrorCode`.
fn reply_code(reply: &Reply) -> ErrorCode {
    ErrorCode::from_u32(reply.code).expect("a YIM code")
}
