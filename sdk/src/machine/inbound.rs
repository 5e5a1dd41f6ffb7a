//! Turning what the server sends into events: a `Reply` into the completion of its call, a
//! `Message` into a `ReceivedMessage`.
//!
//! What it is: pure conversions. What it is not: matching replies to calls or changing the
//! session state (see `ClientMachine`).

use yim_proto::wire::{self, body, reply};
use yim_proto::{ChatType, ErrorCode};

use super::call::RequestId;
use super::event::{Event, MessageBody, ReceivedMessage, SendStatus};
use super::pending::PendingKind;

/// The code a reply carries; numbers YIM does not define become `ServerError`.
pub(crate) fn reply_code(code: u32) -> ErrorCode {
    ErrorCode::from_u32(code).unwrap_or(ErrorCode::ServerError)
}

/// The completion event of a pending call. `detail` is the reply's detail, `None` when the
/// call ends locally (time-out, connection loss).
pub(crate) fn completion(
    request_id: RequestId,
    kind: PendingKind,
    code: ErrorCode,
    detail: Option<&reply::Detail>,
) -> Event {
    match kind {
        PendingKind::Login { user_id } => Event::Login {
            request_id,
            code,
            user_id,
        },
        PendingKind::Logout => Event::Logout {
            request_id: Some(request_id),
            code,
        },
        PendingKind::JoinChatRoom { room_id } => Event::JoinChatRoom {
            request_id,
            code,
            room_id,
        },
        PendingKind::LeaveChatRoom { room_id } => Event::LeaveChatRoom {
            request_id,
            code,
            room_id,
        },
        PendingKind::LeaveAllChatRooms => Event::LeaveAllChatRooms { request_id, code },
        PendingKind::RoomMemberCount { room_id } => {
            let count = match detail {
                Some(reply::Detail::MemberCount(count)) => *count,
                _ => 0,
            };
            Event::RoomMemberCount {
                request_id,
                code,
                room_id,
                count,
            }
        }
        PendingKind::Send => Event::SendMessageStatus(send_status(request_id, code, detail)),
        PendingKind::Voice(upload) => {
            Event::SendAudioStatus(upload.status(request_id, code, detail))
        }
        PendingKind::Download(download) => Event::DownloadAudio {
            request_id,
            // YIM: an unknown message is ParamInvalid; anything else is a failed download.
            code: match code {
                ErrorCode::ParamInvalid => ErrorCode::ParamInvalid,
                _ => ErrorCode::PttDownloadFail,
            },
            message_id: download.message_id,
            save_path: download.save_path,
        },
    }
}

/// The `SendMessageStatus` of a send: the receipt's fields when the reply carries one, the
/// forbid fields only with ForbiddenSpeak.
pub(crate) fn send_status(
    request_id: RequestId,
    code: ErrorCode,
    detail: Option<&reply::Detail>,
) -> SendStatus {
    let mut status = SendStatus {
        request_id,
        code,
        send_time: 0,
        is_forbid_room: false,
        reason: 0,
        forbid_end_time: 0,
        message_id: 0,
    };
    if let Some(reply::Detail::SendReceipt(receipt)) = detail {
        status.send_time = receipt.send_time;
        status.message_id = receipt.message_id;
        // YIM: the forbid fields mean something only with ForbiddenSpeak.
        if code == ErrorCode::ForbiddenSpeak {
            if let Some(forbid) = &receipt.forbid {
                status.is_forbid_room = forbid.is_forbid_room;
                status.reason = forbid.reason;
                status.forbid_end_time = forbid.end_time;
            }
        }
    }
    status
}

/// A delivered message, or why the frame is a protocol error.
pub(crate) fn received_message(message: wire::Message) -> Result<ReceivedMessage, &'static str> {
    let kind = message
        .body
        .and_then(|b| b.kind)
        .ok_or("message frame without a body")?;
    let body = match kind {
        body::Kind::Text(text) => MessageBody::Text {
            content: text.content,
            attach: text.attach,
        },
        body::Kind::Custom(custom) => MessageBody::Custom(custom.content),
        body::Kind::Voice(voice) => MessageBody::Voice {
            file_size: voice.file_size,
            duration_ms: voice.duration_ms,
            text: voice.text,
            extra_param: voice.extra_param,
        },
    };
    Ok(ReceivedMessage {
        message_id: message.message_id,
        sender_id: message.sender_id,
        receiver_id: message.receiver_id,
        chat_type: ChatType::try_from(message.chat_type).unwrap_or(ChatType::Unknown),
        create_time: message.create_time,
        room_seq: message.room_seq,
        body,
    })
}
