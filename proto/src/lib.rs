//! The YIM reference wire protocol.
//!
//! What it is: the protobuf schema (`proto/yim.proto`, compiled at build time by protox and
//! prost-build), the length-prefixed framing with a pure decoder, YIM's error codes, the limits
//! both ends enforce, and the HMAC proofs used at login. What it is not: any I/O. Sockets,
//! clocks and state machines live in `yim-sdk` and `yim-server`.

pub mod auth;
pub mod error_code;
pub mod framing;
#[cfg(feature = "arbitrary")]
pub mod fuzzing;
pub mod limits;
pub mod rng;
#[allow(missing_docs, clippy::all)]
pub mod wire;

pub use error_code::ErrorCode;
pub use framing::{encode_frame, DecodeError, FrameDecoder, MAX_FRAME_BYTES};
pub use wire::frame::Body as FrameBody;
pub use wire::{ChatType, Frame};

/// The protocol version this crate speaks, carried in `Challenge` and `Login`.
pub const PROTOCOL_VERSION: u32 = 1;

impl Frame {
    /// Wraps a frame body.
    pub fn new(body: FrameBody) -> Frame {
        Frame { body: Some(body) }
    }

    /// The body's variant name, for logs and traces.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            None => "Empty",
            Some(body) => match body {
                FrameBody::Challenge(_) => "Challenge",
                FrameBody::Reply(_) => "Reply",
                FrameBody::Message(_) => "Message",
                FrameBody::KickOff(_) => "KickOff",
                FrameBody::Pong(_) => "Pong",
                FrameBody::Goodbye(_) => "Goodbye",
                FrameBody::Login(_) => "Login",
                FrameBody::Logout(_) => "Logout",
                FrameBody::JoinRoom(_) => "JoinRoom",
                FrameBody::LeaveRoom(_) => "LeaveRoom",
                FrameBody::LeaveAllRooms(_) => "LeaveAllRooms",
                FrameBody::GetRoomMemberCount(_) => "GetRoomMemberCount",
                FrameBody::SendMessage(_) => "SendMessage",
                FrameBody::Ping(_) => "Ping",
                FrameBody::AckMessages(_) => "AckMessages",
                FrameBody::UploadAudio(_) => "UploadAudio",
                FrameBody::DownloadAudio(_) => "DownloadAudio",
                FrameBody::QueryRoomHistory(_) => "QueryRoomHistory",
                FrameBody::AdminLogin(_) => "AdminLogin",
                FrameBody::Mute(_) => "Mute",
                FrameBody::Unmute(_) => "Unmute",
            },
        }
    }
}
