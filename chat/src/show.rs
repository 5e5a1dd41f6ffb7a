//! One readable line per SDK event, for the terminal.
//!
//! What it is: pure formatting. What it is not: deciding what to do about an event (see
//! `main`).

use yim_sdk::{
    ChatType, ErrorCode, Event, MessageBody, ReceivedMessage, ReconnectResult, SendStatus,
};

fn outcome(code: ErrorCode) -> String {
    if code == ErrorCode::Success {
        "ok".to_owned()
    } else {
        format!("failed: {code}")
    }
}

fn message(m: &ReceivedMessage) -> String {
    let body = match &m.body {
        MessageBody::Text { content, attach } if attach.is_empty() => content.clone(),
        MessageBody::Text { content, attach } => format!("{content} (attach: {attach})"),
        MessageBody::Custom(bytes) => format!("<custom message, {} bytes>", bytes.len()),
        MessageBody::Voice {
            file_size,
            duration_ms,
            text,
            ..
        } => format!(
            "<voice message, {:.1} s, {file_size} bytes; /download {} FILE.wav> {text}",
            f64::from(*duration_ms) / 1000.0,
            m.message_id
        ),
    };
    match m.chat_type {
        ChatType::Room => format!("[room {}] {}: {body}", m.receiver_id, m.sender_id),
        ChatType::Private => format!("[private] {}: {body}", m.sender_id),
        ChatType::Unknown => format!("[?] {}: {body}", m.sender_id),
    }
}

fn send_status(s: &SendStatus) -> String {
    match s.code {
        ErrorCode::Success => format!("send {} ok id={}", s.request_id, s.message_id),
        ErrorCode::ForbiddenSpeak => match s.forbid {
            Some(forbid) => format!(
                "send {} refused: {} muted, reason {:?}, until {}",
                s.request_id,
                if forbid.whole_room { "room" } else { "you are" },
                forbid.reason,
                forbid.end_time
            ),
            None => format!("send {} refused: muted", s.request_id),
        },
        code => format!("send {} failed: {code}", s.request_id),
    }
}

/// The line printed for `event`.
pub fn event_line(event: &Event) -> String {
    match event {
        Event::Login { code, user_id, .. } => match code {
            ErrorCode::Success => format!("logged in as {user_id}"),
            code => format!("login of {user_id} failed: {code}"),
        },
        Event::Logout {
            request_id: Some(_),
            code,
        } => format!("logout {}", outcome(*code)),
        Event::Logout {
            request_id: None,
            code,
        } => format!("connection lost, logged out: {code}"),
        Event::KickOff => "kicked off (logged in elsewhere)".to_owned(),
        Event::JoinChatRoom { code, room_id, .. } => format!("join {room_id} {}", outcome(*code)),
        Event::LeaveChatRoom { code, room_id, .. } => {
            format!("leave {room_id} {}", outcome(*code))
        }
        Event::LeaveAllChatRooms { code, .. } => format!("leave all rooms {}", outcome(*code)),
        Event::RoomMemberCount {
            code,
            room_id,
            count,
            ..
        } => match code {
            ErrorCode::Success => format!("room {room_id}: {count} members"),
            code => format!("count {room_id} failed: {code}"),
        },
        Event::SendMessageStatus(status) => send_status(status),
        Event::RecvMessage(m) => message(m),
        Event::StartReconnect => "connection lost; reconnecting".to_owned(),
        Event::ReconnectResult(ReconnectResult::Success) => "reconnected".to_owned(),
        Event::ReconnectResult(ReconnectResult::FailAgain) => {
            "reconnect attempt failed; trying again".to_owned()
        }
        Event::ReconnectResult(ReconnectResult::Fail) => "gave up reconnecting".to_owned(),
        Event::RoomMessagesLost {
            room_id,
            from_seq,
            to_seq,
        } => format!("room {room_id}: messages {from_seq}..={to_seq} were missed and are gone"),
        Event::RejoinChatRoomFailed { room_id, code } => {
            format!("could not re-join {room_id}: {code}")
        }
        Event::StartSendAudio {
            text,
            audio_path,
            duration_ms,
            ..
        } => format!(
            "recorded {:.1} s ({}), sending... {text}",
            f64::from(*duration_ms) / 1000.0,
            audio_path.display()
        ),
        Event::SendAudioStatus(status) => match status.code {
            ErrorCode::Success | ErrorCode::PttReachMaxDuration => {
                format!("voice message sent (id {})", status.message_id)
            }
            code => format!("voice message failed: {code}"),
        },
        Event::RecognizeText { code, text, .. } => match code {
            ErrorCode::Success => format!("recognised: {text}"),
            code => format!("recognition failed: {code}"),
        },
        Event::DownloadAudio {
            code,
            message_id,
            save_path,
            ..
        } => match code {
            ErrorCode::Success => {
                format!(
                    "voice message {message_id} saved to {}",
                    save_path.display()
                )
            }
            code => format!("download of {message_id} failed: {code}"),
        },
        Event::RecordVolume { level_permille } => {
            let bars = usize::from(*level_permille / 100);
            format!("level {}", "#".repeat(bars.max(1)))
        }
        Event::PlayCompletion { code, path } => match code {
            ErrorCode::Success => format!("played {}", path.display()),
            code => format!("playing {} ended: {code}", path.display()),
        },
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use yim_sdk::{Forbid, ForbidReason, RequestId};

    use super::*;

    #[test]
    fn lines() {
        let m = ReceivedMessage {
            message_id: 1,
            sender_id: "bob".to_owned(),
            receiver_id: "world".to_owned(),
            chat_type: ChatType::Room,
            create_time: 0,
            room_seq: 1,
            body: MessageBody::Text {
                content: "hello".to_owned(),
                attach: String::new(),
            },
        };
        assert_eq!(
            event_line(&Event::RecvMessage(m)),
            "[room world] bob: hello"
        );
        let status = SendStatus {
            request_id: RequestId(3),
            code: ErrorCode::Success,
            send_time: 0,
            forbid: None,
            message_id: 17,
        };
        assert_eq!(
            event_line(&Event::SendMessageStatus(status.clone())),
            "send #3 ok id=17"
        );
        let muted = SendStatus {
            code: ErrorCode::ForbiddenSpeak,
            forbid: Some(Forbid {
                whole_room: true,
                reason: ForbidReason::Insult,
                end_time: 99,
            }),
            ..status
        };
        assert_eq!(
            event_line(&Event::SendMessageStatus(muted)),
            "send #3 refused: room muted, reason Insult, until 99"
        );
        assert_eq!(
            event_line(&Event::KickOff),
            "kicked off (logged in elsewhere)"
        );
        assert_eq!(
            event_line(&Event::RoomMemberCount {
                request_id: RequestId(4),
                code: ErrorCode::Success,
                room_id: "world".to_owned(),
                count: 5
            }),
            "room world: 5 members"
        );
    }
}
