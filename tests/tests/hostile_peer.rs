//! A malformed or hostile peer gets its connection closed (with a Goodbye saying why) and the
//! server keeps serving everyone else.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yim_proto::{ErrorCode, FrameBody, FrameDecoder};
use yim_sdk::ChatType;
use yim_tests::TestServer;

/// Sends `bytes` on a raw connection and returns the Goodbye reason the server answers with.
async fn goodbye_after(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut decoder = FrameDecoder::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        while let Some(frame) = decoder.next_frame().unwrap() {
            if let Some(FrameBody::Goodbye(goodbye)) = frame.body {
                assert_eq!(goodbye.code, ErrorCode::ParamInvalid.as_u32());
                // After the goodbye the server closes the connection.
                let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
                    .await
                    .unwrap();
                assert!(
                    matches!(n, Ok(0) | Err(_)),
                    "connection closed after goodbye"
                );
                return goodbye.reason;
            }
        }
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed without a goodbye");
        decoder.extend(&buf[..n]);
    }
}

#[tokio::test]
async fn garbage_oversized_and_out_of_place_frames_close_only_that_connection() {
    let server = TestServer::start().await;
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;

    let reason = goodbye_after(server.addr, &[0, 0, 0, 3, 0xff, 0xff, 0xff]).await;
    assert!(reason.contains("protobuf"), "{reason}");
    let reason = goodbye_after(server.addr, &u32::MAX.to_be_bytes()).await;
    assert!(reason.contains("exceeds"), "{reason}");
    let pong = yim_proto::encode_frame(&yim_proto::Frame::new(FrameBody::Pong(Default::default())))
        .unwrap();
    let reason = goodbye_after(server.addr, &pong).await;
    assert!(reason.contains("unexpected Pong"), "{reason}");

    // Everyone else is still served.
    let status = alice.send_text("world", ChatType::Room, "still here").await;
    let status = status.unwrap();
    assert_eq!(bob.next_message().await.message_id, status.message_id);
}
