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
        resume_session_id: 0,
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

/// The `Login` frame of a reconnect: resumes `session_id`.
pub(crate) fn resume_login(
    request_id: RequestId,
    credentials: &Credentials,
    nonce: &[u8],
    session_id: u64,
) -> Frame {
    let mut frame = login(request_id, credentials, nonce);
    if let Some(FrameBody::Login(login)) = &mut frame.body {
        login.resume_session_id = session_id;
    }
    frame
}

/// The `JoinRoom` of a room re-joined after a reconnect: replays what came after `after_seq`.
pub(crate) fn rejoin(request_id: RequestId, room_id: &str, after_seq: u64) -> Frame {
    Frame::new(FrameBody::JoinRoom(JoinRoom {
        request_id: request_id.get(),
        room_id: room_id.to_owned(),
        resume_after_seq: Some(after_seq),
    }))
}

/// The frame a call made while logged in becomes; sends carry `idempotency_key`. `Login` has
/// none of its own (it is sent on the challenge), so it yields `None`.
pub(crate) fn for_call(request_id: RequestId, call: &Call, idempotency_key: u64) -> Option<Frame> {
    let request_id = request_id.get();
    let body = match call {
        Call::Login { .. } => return None,
        Call::Logout => FrameBody::Logout(Logout { request_id }),
        Call::JoinChatRoom { room_id } => FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: room_id.clone(),
            resume_after_seq: None,
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
            idempotency_key,
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
            idempotency_key,
        }),
    };
    Some(Frame::new(body))
}
