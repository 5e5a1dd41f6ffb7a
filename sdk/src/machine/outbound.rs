//! The frames the client sends: one per call kind, the login answer to a challenge, the
//! heartbeat ping, and the chunks of voice uploads and downloads.
//!
//! What it is: pure constructors from already-validated data. What it is not: validation (see
//! `validate`) or the decision to send (see `ClientMachine`).

use yim_proto::auth::LoginCredentials;
use yim_proto::limits::MAX_AUDIO_CHUNK_BYTES;
use yim_proto::wire::{
    body, AckMessages, Body, Custom, DownloadAudio, GetRoomMemberCount, JoinRoom, LeaveAllRooms,
    LeaveRoom, Login, Logout, Ping, QueryRoomHistory, SendMessage, Text, UploadAudio, Voice,
};
use yim_proto::{Frame, FrameBody};

use super::call::{Call, RequestId};
use super::pending::VoiceUpload;
use super::phase::Credentials;

/// The `Login` frame answering a challenge `nonce`.
pub(crate) fn login(request_id: RequestId, credentials: &Credentials, nonce: &[u8]) -> Frame {
    Frame::new(FrameBody::Login(fresh_login(
        request_id,
        credentials,
        nonce,
    )))
}

fn fresh_login(request_id: RequestId, credentials: &Credentials, nonce: &[u8]) -> Login {
    let credentials = LoginCredentials {
        app_key: &credentials.app_key,
        app_secret: &credentials.app_secret,
        user_id: &credentials.user_id,
        password: &credentials.password,
        token: &credentials.token,
    };
    Login::new(request_id.get(), &credentials, nonce)
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
    Frame::new(FrameBody::Login(Login {
        resume_session_id: session_id,
        ..fresh_login(request_id, credentials, nonce)
    }))
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
/// none of its own (it is sent on the challenge), nor have the recording calls (a recording
/// becomes frames when it is uploaded), so they yield `None`; so does `DownloadAudio`, whose
/// frames carry the message's token (see [`download`]).
pub(crate) fn for_call(request_id: RequestId, call: &Call, idempotency_key: u64) -> Option<Frame> {
    let body = match call {
        Call::Login { .. }
        | Call::StartRecord { .. }
        | Call::StopRecord { .. }
        | Call::CancelRecord
        | Call::SendAudioFile { .. }
        | Call::DownloadAudio { .. } => return None,
        _ => for_request(request_id.get(), call, idempotency_key)?,
    };
    Some(Frame::new(body))
}

fn for_request(request_id: u64, call: &Call, idempotency_key: u64) -> Option<FrameBody> {
    Some(match call {
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
        Call::QueryRoomHistoryMessageFromServer { room_id, .. } => {
            FrameBody::QueryRoomHistory(QueryRoomHistory {
                request_id,
                room_id: room_id.clone(),
                before_seq: 0,
            })
        }
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
        _ => return None,
    })
}

/// The frame for a voice message's next step: the chunk from what the server has, or the send
/// once all of it is up.
pub(crate) fn upload(request_id: RequestId, upload: &VoiceUpload) -> Frame {
    let total = upload.recorded.encoded.len() as u64;
    if upload.sending {
        return Frame::new(FrameBody::SendMessage(SendMessage {
            request_id: request_id.get(),
            receiver_id: upload.receiver_id.clone(),
            chat_type: upload.chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Voice(Voice {
                    audio_id: 0,
                    file_size: total,
                    duration_ms: upload.recorded.duration_ms,
                    text: upload.recorded.text.clone(),
                    extra_param: upload.extra_param.clone(),
                    upload_key: upload.upload_key,
                    download_token: 0,
                })),
            }),
            idempotency_key: upload.send_key,
        }));
    }
    let start = usize::try_from(upload.received).unwrap_or(usize::MAX);
    let data: Vec<u8> = upload
        .recorded
        .encoded
        .iter()
        .skip(start)
        .take(MAX_AUDIO_CHUNK_BYTES)
        .copied()
        .collect();
    Frame::new(FrameBody::UploadAudio(UploadAudio {
        request_id: request_id.get(),
        upload_key: upload.upload_key,
        total_size: total,
        offset: upload.received,
        data,
    }))
}

/// Asks for the page of `room_id`'s history below `before_seq`.
pub(crate) fn room_history(request_id: RequestId, room_id: &str, before_seq: u64) -> Frame {
    Frame::new(FrameBody::QueryRoomHistory(QueryRoomHistory {
        request_id: request_id.get(),
        room_id: room_id.to_owned(),
        before_seq,
    }))
}

/// Asks for the chunk of voice message `audio_id`'s audio from `offset`, showing the token the
/// message came with (0 for one this account sent).
pub(crate) fn download(
    request_id: RequestId,
    audio_id: u64,
    download_token: u64,
    offset: u64,
) -> Frame {
    Frame::new(FrameBody::DownloadAudio(DownloadAudio {
        request_id: request_id.get(),
        audio_id,
        offset,
        max_bytes: MAX_AUDIO_CHUNK_BYTES as u32,
        download_token,
    }))
}
