//! The driver over in-memory duplex streams: a reader slower than its output queue is cut off
//! while everyone else keeps being served.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{body, Body, JoinRoom, Login, SendMessage, Text};
use yim_proto::{encode_frame, ChatType, ErrorCode, Frame, FrameBody, FrameDecoder};
use yim_server::clock::{BoxFuture, SystemClock};
use yim_server::core::ServerCore;
use yim_server::net::{BoxStream, Listener};
use yim_server::store::memory::MemoryStore;
use yim_server::ServerConfig;

/// Hands out the server ends of duplex pipes created by the test.
struct DuplexListener(mpsc::Receiver<DuplexStream>);

impl Listener for DuplexListener {
    fn accept(&mut self) -> BoxFuture<'_, std::io::Result<(BoxStream, String)>> {
        Box::pin(async move {
            match self.0.recv().await {
                Some(stream) => Ok((Box::new(stream) as BoxStream, "duplex".to_owned())),
                None => std::future::pending().await,
            }
        })
    }
}

struct RawClient {
    stream: DuplexStream,
    decoder: FrameDecoder,
}

impl RawClient {
    async fn connect(accept: &mpsc::Sender<DuplexStream>, pipe_bytes: usize) -> RawClient {
        let (ours, theirs) = tokio::io::duplex(pipe_bytes);
        accept.send(theirs).await.unwrap();
        RawClient {
            stream: ours,
            decoder: FrameDecoder::new(),
        }
    }

    async fn write(&mut self, body: FrameBody) {
        self.stream
            .write_all(&encode_frame(&Frame::new(body)).unwrap())
            .await
            .unwrap();
    }

    /// The next frame, or None at end of stream.
    async fn read(&mut self) -> Option<Frame> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(frame) = self.decoder.next_frame().unwrap() {
                return Some(frame);
            }
            let n = tokio::time::timeout(Duration::from_secs(5), self.stream.read(&mut buf))
                .await
                .expect("server answers in time")
                .ok()?;
            if n == 0 {
                return None;
            }
            self.decoder.extend(&buf[..n]);
        }
    }

    async fn reply_code(&mut self, request_id: u64) -> ErrorCode {
        loop {
            if let Some(FrameBody::Reply(reply)) = self.read().await.expect("open").body {
                if reply.request_id == request_id {
                    return ErrorCode::from_u32(reply.code).unwrap();
                }
            }
        }
    }

    async fn login_and_join(&mut self, user: &str) {
        let Some(FrameBody::Challenge(challenge)) = self.read().await.unwrap().body else {
            panic!("expected a challenge")
        };
        let credentials = LoginCredentials {
            app_key: "app",
            app_secret: "secret",
            user_id: user,
            password: "pw",
            token: "",
        };
        self.write(FrameBody::Login(Login::new(
            1,
            &credentials,
            &challenge.nonce,
        )))
        .await;
        assert_eq!(self.reply_code(1).await, ErrorCode::Success);
        self.write(FrameBody::JoinRoom(JoinRoom {
            request_id: 2,
            room_id: "world".into(),
            resume_after_seq: None,
        }))
        .await;
        assert_eq!(self.reply_code(2).await, ErrorCode::Success);
    }
}

#[tokio::test]
async fn a_slow_reader_is_cut_off_and_others_are_still_served() {
    let mut config = ServerConfig::new("unused", &[("app", "secret")]);
    config.limits.password_hash_rounds = 1;
    config.limits.max_queued_frames = 8;
    let core = ServerCore::new(&config, Box::new(MemoryStore::new()), 1).unwrap();
    let (accept, incoming) = mpsc::channel(4);
    let server = tokio::spawn(yim_server::serve(
        Box::new(DuplexListener(incoming)),
        core,
        Arc::new(SystemClock::default()),
    ));

    let mut talker = RawClient::connect(&accept, 64 * 1024).await;
    talker.login_and_join("talker").await;
    // The slow reader's pipe holds only 256 bytes, and it stops reading after joining.
    let mut slow = RawClient::connect(&accept, 256).await;
    slow.login_and_join("slow").await;

    for request_id in 10..200u64 {
        talker
            .write(FrameBody::SendMessage(SendMessage {
                request_id,
                receiver_id: "world".into(),
                chat_type: ChatType::Room as i32,
                body: Some(Body {
                    kind: Some(body::Kind::Text(Text {
                        content: "spam ".repeat(20),
                        attach: String::new(),
                    })),
                }),
                idempotency_key: 0,
            }))
            .await;
        assert_eq!(
            talker.reply_code(request_id).await,
            ErrorCode::Success,
            "the talker is served"
        );
    }

    // The slow reader gets what was queued for it, then the end of the stream.
    let mut delivered = 0;
    while let Some(frame) = slow.read().await {
        if matches!(frame.body, Some(FrameBody::Message(_))) {
            delivered += 1;
        }
    }
    assert!(
        delivered < 190,
        "cut off before everything was delivered ({delivered})"
    );
    server.abort();
}
