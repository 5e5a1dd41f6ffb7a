//! Reading what the server sends: a reply's code, a send receipt's fields, a `Message` as a
//! `ReceivedMessage`.
//!
//! What it is: pure conversions. What it is not: matching replies to calls or changing the
//! session state (see `receive` and `complete`).

use yim_proto::wire::{self, body, reply};
use yim_proto::{ChatType, ErrorCode};

use super::call::RequestId;
use super::message::{MessageBody, ReceivedMessage};
use super::status::{Forbid, ForbidReason, SendStatus};

/// The code a reply carries; numbers YIM does not define become `ServerError`.
pub(crate) fn reply_code(code: u32) -> ErrorCode {
    ErrorCode::from_u32(code).unwrap_or(ErrorCode::ServerError)
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
        forbid: None,
        message_id: 0,
    };
    if let Some(reply::Detail::SendReceipt(receipt)) = detail {
        status.send_time = receipt.send_time;
        status.message_id = receipt.message_id;
        // YIM: the forbid fields mean something only with ForbiddenSpeak.
        if code == ErrorCode::ForbiddenSpeak {
            status.forbid = receipt.forbid.as_ref().map(|forbid| Forbid {
                whole_room: forbid.is_forbid_room,
                reason: ForbidReason::from_u32(forbid.reason),
                end_time: forbid.end_time,
            });
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
