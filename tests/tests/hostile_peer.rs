//! A malformed or hostile peer gets its connection closed (with a Goodbye saying why) and the
//! server keeps serving everyone else.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_proto::{ErrorCode, FrameBody};
use yim_sdk::ChatType;
use yim_tests::raw::RawClient;
use yim_tests::TestServer;

/// Sends `bytes` on a raw connection (once it has its challenge) and returns the reason of
/// the Goodbye the server answers with; the server then closes the connection.
async fn goodbye_after(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    let mut raw = RawClient::connect(addr).await.expect("a challenge");
    raw.write(bytes).await;
    loop {
        let frame = raw.next().await.expect("a goodbye before the close");
        if let Some(FrameBody::Goodbye(goodbye)) = frame.body {
            assert_eq!(goodbye.code, ErrorCode::ParamInvalid.as_u32());
            assert!(
                raw.next().await.is_none(),
                "connection closed after goodbye"
            );
            return goodbye.reason;
        }
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
