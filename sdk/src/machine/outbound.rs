//! The frames the client sends: one per call kind, plus the login answer to a challenge and
//! the heartbeat ping.
//!
//! What it is: pure constructors from already-validated data. What it is not: validation (see
//! `validate`) or the decision to send (see `ClientMachine`).

use yim_proto::wire::{
    body, AckMessages, Body, Custom, GetRoomMemberCount, JoinRoom, LeaveAllRooms, LeaveRoom, Login,
    Logout, Ping, SendMessage, Text,
};
use yim_proto::{auth, Frame, FrameBody, PROTOCOL_VERSION};

use super::call::{Call, RequestId};

/// What a login needs to answer the server's challenge.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub app_key: String,
    pub app_secret: String,
    pub user_id: String,
    pub password: String,
    pub token: String,
}

/// The `Login` frame answering a challenge `nonce`.
pub(crate) fn login(request_id: RequestId, credentials: &Credentials, nonce: &[u8]) -> Frame {
    Frame::new(FrameBody::Login(Login {
        request_id: request_id.get(),
        protocol_version: PROTOCOL_VERSION,
        app_key: credentials.app_key.clone(),
        proof: auth::challenge_proof(&credentials.app_secret, nonce),
        user_id: credentials.user_id.clone(),
        password: credentials.password.clone(),
        token: credentials.token.clone(),
    }))
}

/// Acknowledges private messages up to `message_id`.
pub(crate) fn ack(message_id: u64) -> Frame {
    Frame::new(FrameBody::AckMessages(AckMessages {
        up_to_message_id: message_id,
    }))
}

/// A heartbeat ping.
pub(crate) fn ping(nonce: u64) -> Frame {
    Frame::new(FrameBody::Ping(Ping { nonce }))
}

/// The frame a call made while logged in becomes. `Login` has none of its own (it is sent
/// on the challenge), so it yields `None`.
pub(crate) fn for_call(request_id: RequestId, call: &Call) -> Option<Frame> {
    let request_id = request_id.get();
    let body = match call {
        Call::Login { .. } => return None,
        Call::Logout => FrameBody::Logout(Logout { request_id }),
        Call::JoinChatRoom { room_id } => FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: room_id.clone(),
        }),
        Call::LeaveChatRoom { room_id } => FrameBody::LeaveRoom(LeaveRoom {
            request_id,
            room_id: room_id.clone(),
        }),
        Call::LeaveAllChatRooms => FrameBody::LeaveAllRooms(LeaveAllRooms { request_id }),
        Call::GetRoomMemberCount { room_id } => FrameBody::GetRoomMemberCount(GetRoomMemberCount {
            request_id,
            room_id: room_id.clone(),
        }),
        Call::SendText {
            receiver_id,
            chat_type,
            text,
            attach,
        } => FrameBody::SendMessage(SendMessage {
            request_id,
            receiver_id: receiver_id.clone(),
            chat_type: *chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Text(Text {
                    content: text.clone(),
                    attach: attach.clone(),
                })),
            }),
        }),
        Call::SendCustom {
            receiver_id,
            chat_type,
            content,
        } => FrameBody::SendMessage(SendMessage {
            request_id,
            receiver_id: receiver_id.clone(),
            chat_type: *chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Custom(Custom {
                    content: content.clone(),
                })),
            }),
        }),
    };
    Some(Frame::new(body))
}
