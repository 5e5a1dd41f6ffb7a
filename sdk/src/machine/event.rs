//! What the machine tells the application and the driver: `Event`s (YIM's callbacks) and
//! `Action`s (connection commands for the driver).
//!
//! What it is: plain data. What it is not: the rules that decide when each is produced (see
//! `ClientMachine`).

use yim_proto::{ChatType, ErrorCode};

use super::call::RequestId;

/// Something the driver must do to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection to `addr` ("host:port"), then call `handle_connected` or, if it
    /// fails, `handle_disconnect`.
    Connect { addr: String },
    /// Close the current connection. The machine has already forgotten it: do not report its
    /// disconnect.
    Close { reason: String },
    /// Decode the downloaded voice audio `encoded` and write it as a WAV file at `save_path`
    /// (creating its directories), then call `handle_saved` with the outcome.
    SaveAudio {
        request_id: RequestId,
        save_path: String,
        encoded: Vec<u8>,
    },
}

/// The body of a received message (YIM `IYIMMessageBody*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageBody {
    /// YIM TXT: the text and its attach parameter.
    Text { content: String, attach: String },
    /// YIM CustomMesssage: raw bytes.
    Custom(Vec<u8>),
    /// YIM Voice: a voice message; its audio is fetched with `download_audio(message_id, ..)`.
    Voice {
        /// Bytes of encoded audio on the server.
        file_size: u64,
        /// Length of the recording in milliseconds (YIM's `GetAudioTime` is in seconds).
        duration_ms: u32,
        /// Speech-to-text result; empty when not recognised.
        text: String,
        /// YIM's extraParam.
        extra_param: String,
    },
}

/// A delivered message (YIM `IYIMMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// Server message ID.
    pub message_id: u64,
    pub sender_id: String,
    /// The receiving user for private chat, the room for room chat.
    pub receiver_id: String,
    /// `ChatType::Unknown` if the server sent a number this SDK does not know.
    pub chat_type: ChatType,
    /// Unix seconds.
    pub create_time: u64,
    /// Per-room sequence number (1, 2, ...); 0 for private chat.
    pub room_seq: u64,
    pub body: MessageBody,
}

/// The completion of a send (YIM `OnSendMessageStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendStatus {
    pub request_id: RequestId,
    pub code: ErrorCode,
    /// Server send time, unix seconds; 0 when the server did not say.
    pub send_time: u64,
    /// Only meaningful when `code` is `ForbiddenSpeak`: true if the whole room is muted.
    pub is_forbid_room: bool,
    /// Only meaningful when `code` is `ForbiddenSpeak`: YIM's ForbidSpeakReason, 0-7.
    pub reason: u32,
    /// Only meaningful when `code` is `ForbiddenSpeak`: when the mute ends, unix seconds.
    pub forbid_end_time: u64,
    /// Server message ID; 0 when the send failed.
    pub message_id: u64,
}

/// The completion of a voice message (YIM `OnSendAudioMessageStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioStatus {
    pub request_id: RequestId,
    /// `Success`, or `PttReachMaxDuration` (2009, also a success: the recording hit 60 s and
    /// was sent by itself), or why it failed.
    pub code: ErrorCode,
    /// Speech-to-text result; empty when not asked for or not recognised.
    pub text: String,
    /// The local WAV of the recording.
    pub audio_path: String,
    pub duration_ms: u32,
    /// Server send time, unix seconds; 0 when the server did not say.
    pub send_time: u64,
    /// Only meaningful when `code` is `ForbiddenSpeak`.
    pub is_forbid_room: bool,
    pub reason: u32,
    pub forbid_end_time: u64,
    /// Server message ID; 0 when the send failed.
    pub message_id: u64,
}

/// YIM's `ReconnectResult`: how one reconnect attempt (or the whole reconnect) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u32)]
pub enum ReconnectResult {
    /// The session resumed: rooms are being re-joined and waiting calls are sent.
    Success = 0,
    /// An attempt failed; the SDK tries again.
    FailAgain = 1,
    /// The SDK gave up (budget spent, or the server refused the session); a `Logout` or a
    /// `KickOff` follows at once.
    Fail = 2,
}

impl ReconnectResult {
    /// YIM's number for the result.
    pub fn as_u32(self) -> u32 {
        self as u32
    }
}

/// One YIM callback, delivered through the client's single event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// YIM `OnLogin`: the completion of a `Login` call.
    Login {
        request_id: RequestId,
        code: ErrorCode,
        user_id: String,
    },
    /// YIM `OnLogout`: the completion of a `Logout` call (`request_id: Some`), or unsolicited
    /// (`request_id: None`, code `NetError`) when the session was lost.
    Logout {
        request_id: Option<RequestId>,
        code: ErrorCode,
    },
    /// YIM `OnKickOff`: the same user logged in elsewhere; this session has ended.
    KickOff,
    /// YIM `OnJoinChatRoom`.
    JoinChatRoom {
        request_id: RequestId,
        code: ErrorCode,
        room_id: String,
    },
    /// YIM `OnLeaveChatRoom`.
    LeaveChatRoom {
        request_id: RequestId,
        code: ErrorCode,
        room_id: String,
    },
    /// YIM `OnLeaveAllChatRooms`.
    LeaveAllChatRooms {
        request_id: RequestId,
        code: ErrorCode,
    },
    /// YIM `OnGetRoomMemberCount`.
    RoomMemberCount {
        request_id: RequestId,
        code: ErrorCode,
        room_id: String,
        count: u32,
    },
    /// YIM `OnSendMessageStatus`.
    SendMessageStatus(SendStatus),
    /// YIM `OnRecvMessage`.
    RecvMessage(ReceivedMessage),
    /// YIM `OnStartReconnect`: the connection was lost while logged in; the SDK reconnects by
    /// itself. Exactly one `ReconnectResult` of `Success` or `Fail` ends the reconnect (unless
    /// the application logs out first).
    StartReconnect,
    /// YIM `OnRecvReconnectResult`.
    ReconnectResult(ReconnectResult),
    /// After a reconnect, the server no longer kept some room messages the client missed:
    /// sequence numbers `from_seq..=to_seq` of the room will never be delivered. (Not in YIM,
    /// which skips them silently.)
    RoomMessagesLost {
        room_id: String,
        from_seq: u64,
        to_seq: u64,
    },
    /// After a reconnect, re-joining a room failed with `code` (the room is full, say): the
    /// client is no longer in it. (Not in YIM.)
    RejoinChatRoomFailed { room_id: String, code: ErrorCode },
    /// YIM `OnStartSendAudioMessage`: the recording succeeded, its WAV is playable, the upload
    /// starts. Only on the success path, always before the `SendAudioStatus` of the request.
    StartSendAudio {
        request_id: RequestId,
        code: ErrorCode,
        text: String,
        audio_path: String,
        duration_ms: u32,
    },
    /// YIM `OnSendAudioMessageStatus`: exactly one per recording that was stopped (not
    /// cancelled) in send mode, success or failure.
    SendAudioStatus(AudioStatus),
    /// YIM `OnGetRecognizeSpeechText`: the result of a recording in recognise-only mode
    /// (nothing is sent).
    RecognizeText {
        request_id: RequestId,
        code: ErrorCode,
        text: String,
    },
    /// YIM `OnDownload`: the completion of `DownloadAudio`.
    DownloadAudio {
        request_id: RequestId,
        code: ErrorCode,
        message_id: u64,
        save_path: String,
    },
    /// YIM `OnPlayCompletion`: `Success` when played to the end, `PttCancelPlay` (2015) when
    /// stopped.
    PlayCompletion { code: ErrorCode, path: String },
    /// YIM `OnRecordVolumeChange`: the recording's level, 0..=1000 (YIM's float 0..1, in
    /// thousandths), about 8 times a second while a microphone records.
    RecordVolume { level_permille: u16 },
}

impl Event {
    /// The request this event completes, if it is a completion.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Event::Login { request_id, .. }
            | Event::JoinChatRoom { request_id, .. }
            | Event::LeaveChatRoom { request_id, .. }
            | Event::LeaveAllChatRooms { request_id, .. }
            | Event::RoomMemberCount { request_id, .. } => Some(*request_id),
            Event::Logout { request_id, .. } => *request_id,
            Event::SendMessageStatus(status) => Some(status.request_id),
            Event::SendAudioStatus(status) => Some(status.request_id),
            Event::RecognizeText { request_id, .. } | Event::DownloadAudio { request_id, .. } => {
                Some(*request_id)
            }
            Event::StartSendAudio { .. }
            | Event::PlayCompletion { .. }
            | Event::RecordVolume { .. } => None,
            Event::KickOff
            | Event::RecvMessage(_)
            | Event::StartReconnect
            | Event::ReconnectResult(_)
            | Event::RoomMessagesLost { .. }
            | Event::RejoinChatRoomFailed { .. } => None,
        }
    }

    /// The completion or failure code the event carries, if any.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Event::Login { code, .. }
            | Event::Logout { code, .. }
            | Event::JoinChatRoom { code, .. }
            | Event::LeaveChatRoom { code, .. }
            | Event::LeaveAllChatRooms { code, .. }
            | Event::RoomMemberCount { code, .. } => Some(*code),
            Event::SendMessageStatus(status) => Some(status.code),
            Event::SendAudioStatus(status) => Some(status.code),
            Event::RejoinChatRoomFailed { code, .. }
            | Event::StartSendAudio { code, .. }
            | Event::RecognizeText { code, .. }
            | Event::DownloadAudio { code, .. }
            | Event::PlayCompletion { code, .. } => Some(*code),
            Event::KickOff
            | Event::RecvMessage(_)
            | Event::StartReconnect
            | Event::ReconnectResult(_)
            | Event::RoomMessagesLost { .. }
            | Event::RecordVolume { .. } => None,
        }
    }
}
