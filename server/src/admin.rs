//! The operator client: logs in with the app secret (challenge proof) and mutes or unmutes.
//! Used by `yim-server admin ...`, by tests, and later by the simulator's admin host.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yim_proto::wire::{AdminLogin, Mute, Unmute};
use yim_proto::{auth, encode_frame, ErrorCode, Frame, FrameBody, FrameDecoder};

use crate::net::BoxStream;

/// Why an operator request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The connection failed.
    #[error("network: {0}")]
    Io(#[from] std::io::Error),
    /// The server answered something the protocol does not allow there.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The server refused the request with this YIM code.
    #[error("refused: {0}")]
    Refused(ErrorCode),
}

/// An authenticated operator session.
#[derive(Debug)]
pub struct AdminClient {
    stream: BoxStream,
    decoder: FrameDecoder,
    next_request_id: u64,
}

impl std::fmt::Debug for dyn crate::net::ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ByteStream")
    }
}

impl AdminClient {
    /// Logs in as operator of `app_key` over a fresh connection.
    pub async fn login(
        stream: BoxStream,
        app_key: &str,
        app_secret: &str,
    ) -> Result<AdminClient, AdminError> {
        let mut client = AdminClient {
            stream,
            decoder: FrameDecoder::new(),
            next_request_id: 1,
        };
        let nonce = match client.read_frame().await?.body {
            Some(FrameBody::Challenge(challenge)) => challenge.nonce,
            _ => return Err(AdminError::Protocol("expected a challenge".into())),
        };
        let request_id = client.take_request_id();
        client
            .request(
                request_id,
                FrameBody::AdminLogin(AdminLogin {
                    request_id,
                    protocol_version: yim_proto::PROTOCOL_VERSION,
                    app_key: app_key.to_owned(),
                    proof: auth::challenge_proof(app_secret, &nonce),
                }),
            )
            .await?;
        Ok(client)
    }

    /// Mutes `user_id` in `room_id` until `end_time` (unix seconds) for `reason` (0-7).
    pub async fn mute_user(
        &mut self,
        room_id: &str,
        user_id: &str,
        reason: u32,
        end_time: u64,
    ) -> Result<(), AdminError> {
        let request_id = self.take_request_id();
        let mute = Mute {
            request_id,
            room_id: room_id.to_owned(),
            user_id: user_id.to_owned(),
            reason,
            end_time,
        };
        self.request(request_id, FrameBody::Mute(mute)).await
    }

    /// Mutes the whole room.
    pub async fn mute_room(
        &mut self,
        room_id: &str,
        reason: u32,
        end_time: u64,
    ) -> Result<(), AdminError> {
        self.mute_user(room_id, "", reason, end_time).await
    }

    /// Lifts the mute of `user_id` in `room_id` ("" = the room mute).
    pub async fn unmute(&mut self, room_id: &str, user_id: &str) -> Result<(), AdminError> {
        let request_id = self.take_request_id();
        let unmute = Unmute {
            request_id,
            room_id: room_id.to_owned(),
            user_id: user_id.to_owned(),
        };
        self.request(request_id, FrameBody::Unmute(unmute)).await
    }

    fn take_request_id(&mut self) -> u64 {
        let id = self.next_request_id;
        self.next_request_id += 1;
        id
    }

    /// Sends a request and waits for its reply; Ok only for Success.
    async fn request(&mut self, request_id: u64, body: FrameBody) -> Result<(), AdminError> {
        let bytes =
            encode_frame(&Frame::new(body)).map_err(|e| AdminError::Protocol(e.to_string()))?;
        self.stream.write_all(&bytes).await?;
        loop {
            match self.read_frame().await?.body {
                Some(FrameBody::Reply(reply)) if reply.request_id == request_id => {
                    let code = ErrorCode::from_u32(reply.code).unwrap_or(ErrorCode::ServerError);
                    return if code == ErrorCode::Success {
                        Ok(())
                    } else {
                        Err(AdminError::Refused(code))
                    };
                }
                Some(FrameBody::Goodbye(goodbye)) => {
                    return Err(AdminError::Protocol(format!(
                        "server closed: {}",
                        goodbye.reason
                    )));
                }
                _ => {}
            }
        }
    }

    async fn read_frame(&mut self) -> Result<Frame, AdminError> {
        let mut chunk = [0u8; 4096];
        loop {
            if let Some(frame) = self
                .decoder
                .next_frame()
                .map_err(|e| AdminError::Protocol(e.to_string()))?
            {
                return Ok(frame);
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(AdminError::Protocol("connection closed".into()));
            }
            self.decoder.extend(&chunk[..n]);
        }
    }
}
