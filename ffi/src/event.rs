//! Events as the game sees them: one tagged C struct, `YimEvent`, and the mapping of every SDK
//! `Event` onto it.
//!
//! What it is: `YimEventKind` (the tag), `YimEvent` (the tag and every field any kind uses; a
//! kind fills the fields its doc names and leaves the rest zero and ""), and `translate`,
//! which turns an SDK event into the struct plus the owned bytes its pointers point into.
//! What it is not: the queue or the ownership rules (see `pump`).
//!
//! Why one tagged struct and not one JSON document per event: C reads it with no parser and no
//! allocation, C# maps it field for field with `StructLayout.Sequential` (no JSON library in
//! Unity's or Mono's base profile is needed), custom messages stay raw bytes (JSON would need
//! base64), and the compiler checks field names on both sides. It stays stable the way EOS's
//! structs do: numbers of kinds and the order of fields never change, new kinds get new
//! numbers, new fields are appended under a new `api_version`, and the SDK writes only the
//! fields of the version the game asked for.

use std::ffi::c_char;
use std::path::Path;

use yim_sdk::{AudioStatus, Event, Forbid, MessageBody, ReceivedMessage, SendStatus};

use crate::codes::{YimChatType, YimErrorCode, YimMessageBodyType};

/// The `api_version` of `YimEvent` this header describes.
pub const YIM_EVENT_API_LATEST: u32 = 1;

/// What happened: the tag of a `YimEvent`. YIM's callback names; numbers never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub enum YimEventKind {
    /// No event (an empty or released struct).
    None = 0,
    /// YIM `OnLogin`: `request_id`, `code`, `user_id`.
    Login = 1,
    /// YIM `OnLogout`: `request_id` (0 when unsolicited: the session was lost, `code`
    /// `NET_ERROR`), `code`.
    Logout = 2,
    /// YIM `OnKickOff`: the same user logged in elsewhere; this session has ended.
    KickOff = 3,
    /// YIM `OnJoinChatRoom`: `request_id`, `code`, `room_id`.
    JoinChatRoom = 4,
    /// YIM `OnLeaveChatRoom`: `request_id`, `code`, `room_id`.
    LeaveChatRoom = 5,
    /// YIM `OnLeaveAllChatRooms`: `request_id`, `code`.
    LeaveAllChatRooms = 6,
    /// YIM `OnGetRoomMemberCount`: `request_id`, `code`, `room_id`, `count`.
    RoomMemberCount = 7,
    /// YIM `OnSendMessageStatus`: `request_id`, `code`, `send_time`, `message_id`, and with
    /// `FORBIDDEN_SPEAK` (23) `is_forbid_room`, `forbid_reason`, `forbid_end_time`.
    SendMessageStatus = 8,
    /// YIM `OnRecvMessage`: `message_id`, `sender_id`, `receiver_id` (the receiving user, or
    /// the room), `chat_type`, `create_time`, `room_seq`, `body_type`, and by body: text
    /// (`text`, `attach`), custom (`data`, `data_len`), voice (`text`, `attach` = extra
    /// parameter, `file_size`, `duration_ms`).
    RecvMessage = 9,
    /// YIM `OnStartReconnect`: the connection was lost while logged in; the SDK reconnects.
    StartReconnect = 10,
    /// YIM `OnRecvReconnectResult`: `reconnect_result` 0 success, 1 failed and trying again,
    /// 2 gave up (a `LOGOUT` or `KICK_OFF` follows).
    ReconnectResult = 11,
    /// After a reconnect the server no longer had some room messages: `room_id`, `from_seq`
    /// to `to_seq` will never come. (Not in YIM, which skips them silently.)
    RoomMessagesLost = 12,
    /// After a reconnect re-joining `room_id` failed with `code`; the client is not in it.
    /// (Not in YIM.)
    RejoinChatRoomFailed = 13,
    /// YIM `OnStartSendAudioMessage`: the recording `request_id` succeeded and is being sent:
    /// `code`, `text` (recognised), `path` (the local WAV), `duration_ms`.
    StartSendAudio = 14,
    /// YIM `OnSendAudioMessageStatus`: exactly one per recording stopped in send mode:
    /// `request_id`, `code` (`PTT_REACH_MAX_DURATION` 2009 is a success), `text`, `path`,
    /// `duration_ms`, `send_time`, `message_id`, the forbid fields.
    SendAudioStatus = 15,
    /// YIM `OnGetRecognizeSpeechText`: a recognise-only recording's `request_id`, `code`,
    /// `text`.
    RecognizeText = 16,
    /// YIM `OnDownload`: `request_id`, `code`, `message_id`, `path` (where the WAV was saved).
    DownloadAudio = 17,
    /// YIM `OnPlayCompletion`: `code` (`SUCCESS` at the end, `PTT_CANCEL_PLAY` 2015 when
    /// stopped), `path`.
    PlayCompletion = 18,
    /// YIM `OnRecordVolumeChange`: `volume_permille` 0-1000, about 8 times a second while a
    /// microphone records.
    RecordVolume = 19,
    /// An event this version of the C interface has no kind for (from a newer SDK): `text`
    /// describes it. Never dropped silently.
    Other = 20,
}

/// One event, filled by `yim_poll_event` / `yim_wait_event` into a struct the game owns.
/// Strings are UTF-8, NUL-terminated, never NULL ("" when a kind does not use them), with
/// their length in bytes beside them (a text from another SDK may hold a NUL). Every pointer
/// points into memory the SDK owns, valid until `yim_free_event` is called on this event.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct YimEvent {
    /// Set by the game to `YIM_EVENT_API_LATEST` before polling; kept by the SDK.
    pub api_version: u32,
    /// What happened; says which fields below are filled.
    pub kind: YimEventKind,
    /// Names the SDK memory behind this event's pointers; 0 when none. Used by
    /// `yim_free_event`; the game only keeps it unchanged.
    pub handle: u64,
    /// The call this event completes (its ID from the call's out-parameter); 0 for
    /// unsolicited events.
    pub request_id: u64,
    /// YIM's result code of the completion or failure; `SUCCESS` for events without one.
    pub code: YimErrorCode,
    /// Received messages: private or room.
    pub chat_type: YimChatType,
    /// Received messages: text, custom or voice.
    pub body_type: YimMessageBodyType,
    /// The server's message ID (received messages, send statuses, downloads); 0 otherwise.
    pub message_id: u64,
    /// Login: the user logged in.
    pub user_id: *const c_char,
    /// Bytes in `user_id`, without its NUL.
    pub user_id_len: usize,
    /// Received messages: who sent it.
    pub sender_id: *const c_char,
    /// Bytes in `sender_id`.
    pub sender_id_len: usize,
    /// Received messages: the receiving user (private) or the room.
    pub receiver_id: *const c_char,
    /// Bytes in `receiver_id`.
    pub receiver_id_len: usize,
    /// Room events: the room.
    pub room_id: *const c_char,
    /// Bytes in `room_id`.
    pub room_id_len: usize,
    /// A text message's text; recognised speech (voice messages, voice statuses,
    /// recognise-only results); the description of an `OTHER` event.
    pub text: *const c_char,
    /// Bytes in `text`.
    pub text_len: usize,
    /// A text message's attach parameter; a voice message's extra parameter.
    pub attach: *const c_char,
    /// Bytes in `attach`.
    pub attach_len: usize,
    /// A file: the recording's local WAV, a download's saved WAV, the file played.
    pub path: *const c_char,
    /// Bytes in `path`.
    pub path_len: usize,
    /// A custom message's bytes; never NULL (points to an empty buffer when unused).
    pub data: *const u8,
    /// Bytes in `data`.
    pub data_len: usize,
    /// Received messages: when the server took it, unix seconds.
    pub create_time: u64,
    /// Send statuses: the server's send time, unix seconds; 0 if the send failed.
    pub send_time: u64,
    /// Received room messages: the room's sequence number (1, 2, ...); 0 for private chat.
    pub room_seq: u64,
    /// `ROOM_MESSAGES_LOST`: the first sequence number lost.
    pub from_seq: u64,
    /// `ROOM_MESSAGES_LOST`: the last sequence number lost.
    pub to_seq: u64,
    /// `ROOM_MEMBER_COUNT`: members in the room.
    pub count: u32,
    /// Voice: length of the recording in milliseconds.
    pub duration_ms: u32,
    /// Voice messages: bytes of encoded audio on the server.
    pub file_size: u64,
    /// With `FORBIDDEN_SPEAK`: 1 if the whole room is muted, 0 if only this user.
    pub is_forbid_room: u8,
    /// With `FORBIDDEN_SPEAK`: YIM's `ForbidSpeakReason`, 0-7.
    pub forbid_reason: u32,
    /// With `FORBIDDEN_SPEAK`: when the mute ends, unix seconds.
    pub forbid_end_time: u64,
    /// `RECONNECT_RESULT`: 0 success, 1 failed and retrying, 2 gave up.
    pub reconnect_result: u32,
    /// `RECORD_VOLUME`: the level, 0-1000.
    pub volume_permille: u32,
}

/// The bytes a translated event's pointers point into: each string with a NUL appended, and
/// the custom payload. Their heap buffers never move while this is kept.
#[derive(Debug, Default)]
pub struct EventBytes {
    buffers: Vec<Vec<u8>>,
}

/// The empty string every unused string field points to.
static EMPTY: [u8; 1] = [0];

impl EventBytes {
    /// Keeps a copy of a path as UTF-8 (a path the SDK made from the game's UTF-8 string, so
    /// lossless); see `string`.
    fn path(&mut self, path: &Path) -> (*const c_char, usize) {
        self.string(&path.to_string_lossy())
    }

    /// Keeps a copy of `text` with a NUL after it; its pointer and length.
    fn string(&mut self, text: &str) -> (*const c_char, usize) {
        if text.is_empty() {
            return (EMPTY.as_ptr().cast(), 0);
        }
        let mut buffer = Vec::with_capacity(text.len() + 1);
        buffer.extend_from_slice(text.as_bytes());
        buffer.push(0);
        let ptr = buffer.as_ptr().cast();
        self.buffers.push(buffer);
        (ptr, text.len())
    }

    /// Keeps a copy of `data`; its pointer and length.
    fn data(&mut self, data: &[u8]) -> (*const u8, usize) {
        if data.is_empty() {
            return (EMPTY.as_ptr(), 0);
        }
        let buffer = data.to_vec();
        let ptr = buffer.as_ptr();
        self.buffers.push(buffer);
        (ptr, data.len())
    }
}

impl YimEvent {
    /// An event of no kind: every number 0, every string "".
    pub fn empty(api_version: u32) -> YimEvent {
        let none: *const c_char = EMPTY.as_ptr().cast();
        YimEvent {
            api_version,
            kind: YimEventKind::None,
            handle: 0,
            request_id: 0,
            code: YimErrorCode::Success,
            chat_type: YimChatType::Unknown,
            body_type: YimMessageBodyType::Unknow,
            message_id: 0,
            user_id: none,
            user_id_len: 0,
            sender_id: none,
            sender_id_len: 0,
            receiver_id: none,
            receiver_id_len: 0,
            room_id: none,
            room_id_len: 0,
            text: none,
            text_len: 0,
            attach: none,
            attach_len: 0,
            path: none,
            path_len: 0,
            data: EMPTY.as_ptr(),
            data_len: 0,
            create_time: 0,
            send_time: 0,
            room_seq: 0,
            from_seq: 0,
            to_seq: 0,
            count: 0,
            duration_ms: 0,
            file_size: 0,
            is_forbid_room: 0,
            forbid_reason: 0,
            forbid_end_time: 0,
            reconnect_result: 0,
            volume_permille: 0,
        }
    }
}

/// An SDK event as a `YimEvent` (`handle` not yet set) and the bytes behind its pointers.
pub fn translate(event: &Event, api_version: u32) -> (YimEvent, EventBytes) {
    let mut bytes = EventBytes::default();
    let mut e = YimEvent::empty(api_version);
    let b = &mut bytes;
    match event {
        Event::Login {
            request_id,
            code,
            user_id,
        } => {
            e.kind = YimEventKind::Login;
            completion(&mut e, request_id.get(), *code);
            (e.user_id, e.user_id_len) = b.string(user_id);
        }
        Event::Logout { request_id, code } => {
            e.kind = YimEventKind::Logout;
            completion(&mut e, request_id.map_or(0, |id| id.get()), *code);
        }
        Event::KickOff => e.kind = YimEventKind::KickOff,
        Event::JoinChatRoom {
            request_id,
            code,
            room_id,
        } => {
            e.kind = YimEventKind::JoinChatRoom;
            completion(&mut e, request_id.get(), *code);
            (e.room_id, e.room_id_len) = b.string(room_id);
        }
        Event::LeaveChatRoom {
            request_id,
            code,
            room_id,
        } => {
            e.kind = YimEventKind::LeaveChatRoom;
            completion(&mut e, request_id.get(), *code);
            (e.room_id, e.room_id_len) = b.string(room_id);
        }
        Event::LeaveAllChatRooms { request_id, code } => {
            e.kind = YimEventKind::LeaveAllChatRooms;
            completion(&mut e, request_id.get(), *code);
        }
        Event::RoomMemberCount {
            request_id,
            code,
            room_id,
            count,
        } => {
            e.kind = YimEventKind::RoomMemberCount;
            completion(&mut e, request_id.get(), *code);
            (e.room_id, e.room_id_len) = b.string(room_id);
            e.count = *count;
        }
        Event::SendMessageStatus(status) => send_status(&mut e, status),
        Event::RecvMessage(message) => received(&mut e, b, message),
        Event::StartReconnect => e.kind = YimEventKind::StartReconnect,
        Event::ReconnectResult(result) => {
            e.kind = YimEventKind::ReconnectResult;
            e.reconnect_result = result.as_u32();
        }
        Event::RoomMessagesLost {
            room_id,
            from_seq,
            to_seq,
        } => {
            e.kind = YimEventKind::RoomMessagesLost;
            (e.room_id, e.room_id_len) = b.string(room_id);
            e.from_seq = *from_seq;
            e.to_seq = *to_seq;
        }
        Event::RejoinChatRoomFailed { room_id, code } => {
            e.kind = YimEventKind::RejoinChatRoomFailed;
            e.code = (*code).into();
            (e.room_id, e.room_id_len) = b.string(room_id);
        }
        Event::StartSendAudio {
            request_id,
            code,
            text,
            audio_path,
            duration_ms,
        } => {
            e.kind = YimEventKind::StartSendAudio;
            completion(&mut e, request_id.get(), *code);
            (e.text, e.text_len) = b.string(text);
            (e.path, e.path_len) = b.path(audio_path);
            e.duration_ms = *duration_ms;
        }
        Event::SendAudioStatus(status) => audio_status(&mut e, b, status),
        Event::RecognizeText {
            request_id,
            code,
            text,
        } => {
            e.kind = YimEventKind::RecognizeText;
            completion(&mut e, request_id.get(), *code);
            (e.text, e.text_len) = b.string(text);
        }
        Event::DownloadAudio {
            request_id,
            code,
            message_id,
            save_path,
        } => {
            e.kind = YimEventKind::DownloadAudio;
            completion(&mut e, request_id.get(), *code);
            e.message_id = *message_id;
            (e.path, e.path_len) = b.path(save_path);
        }
        Event::PlayCompletion { code, path } => {
            e.kind = YimEventKind::PlayCompletion;
            e.code = (*code).into();
            (e.path, e.path_len) = b.path(path);
        }
        Event::RecordVolume { level_permille } => {
            e.kind = YimEventKind::RecordVolume;
            e.volume_permille = u32::from(*level_permille);
        }
        other => {
            e.kind = YimEventKind::Other;
            (e.text, e.text_len) = b.string(&format!("{other:?}"));
        }
    }
    (e, bytes)
}

fn completion(e: &mut YimEvent, request_id: u64, code: yim_sdk::ErrorCode) {
    e.request_id = request_id;
    e.code = code.into();
}

/// The forbid fields, meaningful only with `FORBIDDEN_SPEAK` (23); zero otherwise.
fn forbid(e: &mut YimEvent, forbid: Option<&Forbid>) {
    if let Some(forbid) = forbid {
        e.is_forbid_room = u8::from(forbid.whole_room);
        e.forbid_reason = forbid.reason.as_u32();
        e.forbid_end_time = forbid.end_time;
    }
}

fn send_status(e: &mut YimEvent, status: &SendStatus) {
    e.kind = YimEventKind::SendMessageStatus;
    completion(e, status.request_id.get(), status.code);
    e.send_time = status.send_time;
    e.message_id = status.message_id;
    forbid(e, status.forbid.as_ref());
}

fn audio_status(e: &mut YimEvent, b: &mut EventBytes, status: &AudioStatus) {
    e.kind = YimEventKind::SendAudioStatus;
    completion(e, status.request_id.get(), status.code);
    (e.text, e.text_len) = b.string(&status.text);
    (e.path, e.path_len) = b.path(&status.audio_path);
    e.duration_ms = status.duration_ms;
    e.send_time = status.send_time;
    e.message_id = status.message_id;
    forbid(e, status.forbid.as_ref());
}

fn received(e: &mut YimEvent, b: &mut EventBytes, message: &ReceivedMessage) {
    e.kind = YimEventKind::RecvMessage;
    e.message_id = message.message_id;
    (e.sender_id, e.sender_id_len) = b.string(&message.sender_id);
    (e.receiver_id, e.receiver_id_len) = b.string(&message.receiver_id);
    e.chat_type = message.chat_type.into();
    e.create_time = message.create_time;
    e.room_seq = message.room_seq;
    match &message.body {
        MessageBody::Text { content, attach } => {
            e.body_type = YimMessageBodyType::Txt;
            (e.text, e.text_len) = b.string(content);
            (e.attach, e.attach_len) = b.string(attach);
        }
        MessageBody::Custom(data) => {
            e.body_type = YimMessageBodyType::CustomMesssage;
            (e.data, e.data_len) = b.data(data);
        }
        MessageBody::Voice {
            file_size,
            duration_ms,
            text,
            extra_param,
        } => {
            e.body_type = YimMessageBodyType::Voice;
            e.file_size = *file_size;
            e.duration_ms = *duration_ms;
            (e.text, e.text_len) = b.string(text);
            (e.attach, e.attach_len) = b.string(extra_param);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yim_sdk::{ChatType, ErrorCode, RequestId};

    /// The string a field points to.
    fn read(ptr: *const c_char, len: usize) -> &'static str {
        // SAFETY: the test keeps the event's bytes alive while it reads; `len` bytes and a NUL
        // were written there by `EventBytes::string`.
        unsafe {
            assert_eq!(ptr.cast::<u8>().add(len).read(), 0, "NUL-terminated");
            std::str::from_utf8(std::slice::from_raw_parts(ptr.cast(), len)).unwrap()
        }
    }

    #[test]
    fn a_text_message_fills_its_fields() {
        let event = Event::RecvMessage(ReceivedMessage {
            message_id: 77,
            sender_id: "alice".into(),
            receiver_id: "world".into(),
            chat_type: ChatType::Room,
            create_time: 1_700_000_000,
            room_seq: 3,
            body: MessageBody::Text {
                content: "a\0b".into(),
                attach: "{}".into(),
            },
        });
        let (e, _bytes) = translate(&event, YIM_EVENT_API_LATEST);
        assert_eq!(e.kind, YimEventKind::RecvMessage);
        assert_eq!(e.body_type, YimMessageBodyType::Txt);
        assert_eq!(e.chat_type, YimChatType::Room);
        assert_eq!(read(e.sender_id, e.sender_id_len), "alice");
        assert_eq!(read(e.receiver_id, e.receiver_id_len), "world");
        assert_eq!(
            read(e.text, e.text_len),
            "a\0b",
            "a NUL inside is kept, with the length"
        );
        assert_eq!(read(e.attach, e.attach_len), "{}");
        assert_eq!(
            read(e.user_id, e.user_id_len),
            "",
            "unused strings are empty"
        );
        assert_eq!((e.message_id, e.room_seq, e.data_len), (77, 3, 0));
    }

    #[test]
    fn a_custom_message_keeps_its_bytes() {
        let event = Event::RecvMessage(ReceivedMessage {
            message_id: 1,
            sender_id: "bob".into(),
            receiver_id: "alice".into(),
            chat_type: ChatType::Private,
            create_time: 0,
            room_seq: 0,
            body: MessageBody::Custom(vec![0, 1, 2, 255]),
        });
        let (e, _bytes) = translate(&event, YIM_EVENT_API_LATEST);
        assert_eq!(e.body_type, YimMessageBodyType::CustomMesssage);
        // SAFETY: `_bytes` is alive and holds `data_len` bytes at `data`.
        let data = unsafe { std::slice::from_raw_parts(e.data, e.data_len) };
        assert_eq!(data, [0, 1, 2, 255]);
    }

    #[test]
    fn completions_carry_request_and_code() {
        let event = Event::SendMessageStatus(SendStatus {
            request_id: RequestId(9),
            code: ErrorCode::ForbiddenSpeak,
            send_time: 0,
            forbid: Some(yim_sdk::Forbid {
                whole_room: true,
                reason: yim_sdk::ForbidReason::Insult,
                end_time: 1_800_000_000,
            }),
            message_id: 0,
        });
        let (e, _) = translate(&event, YIM_EVENT_API_LATEST);
        assert_eq!(e.kind, YimEventKind::SendMessageStatus);
        assert_eq!((e.request_id, e.code), (9, YimErrorCode::ForbiddenSpeak));
        assert_eq!(
            (e.is_forbid_room, e.forbid_reason, e.forbid_end_time),
            (1, 2, 1_800_000_000)
        );
        let unsolicited = Event::Logout {
            request_id: None,
            code: ErrorCode::NetError,
        };
        let (e, _) = translate(&unsolicited, YIM_EVENT_API_LATEST);
        assert_eq!((e.kind, e.request_id), (YimEventKind::Logout, 0));
    }
}
