//! What the machine tells the application: `Event`s, YIM's callbacks, one stream for all.
//!
//! What it is: plain data (serialisable with the `serde` feature). What it is not: the rules
//! that decide when each is produced (see the rule modules).

use std::path::PathBuf;

use yim_proto::{ChatType, ErrorCode};

use super::call::RequestId;
use super::message::ReceivedMessage;
use super::status::{AudioStatus, SendStatus};
use crate::store::{Contact, HistoryMessage};

/// YIM's `ReconnectResult`: how one reconnect attempt (or the whole reconnect) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Event {
    /// YIM `OnLogin`: the completion of a `Login` call.
    Login {
        /// The login call.
        request_id: RequestId,
        /// `Success`, or why the login failed.
        code: ErrorCode,
        /// The user.
        user_id: String,
    },
    /// YIM `OnLogout`: the completion of a `Logout` call (`request_id: Some`), or unsolicited
    /// (`request_id: None`, code `NetError`) when the session was lost.
    Logout {
        /// The logout call, if this completes one.
        request_id: Option<RequestId>,
        /// `Success` for a logout call; `NetError` for a lost session.
        code: ErrorCode,
    },
    /// YIM `OnKickOff`: the same user logged in elsewhere; this session has ended.
    KickOff,
    /// YIM `OnJoinChatRoom`.
    JoinChatRoom {
        /// The join call.
        request_id: RequestId,
        /// `Success`, or why not.
        code: ErrorCode,
        /// The room.
        room_id: String,
    },
    /// YIM `OnLeaveChatRoom`.
    LeaveChatRoom {
        /// The leave call.
        request_id: RequestId,
        /// `Success`, or why not (the room is left all the same).
        code: ErrorCode,
        /// The room.
        room_id: String,
    },
    /// YIM `OnLeaveAllChatRooms`.
    LeaveAllChatRooms {
        /// The call.
        request_id: RequestId,
        /// `Success`, or why not (the rooms are left all the same).
        code: ErrorCode,
    },
    /// YIM `OnGetRoomMemberCount`.
    RoomMemberCount {
        /// The call.
        request_id: RequestId,
        /// `Success`, or why not.
        code: ErrorCode,
        /// The room.
        room_id: String,
        /// Its members; 0 on failure.
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
        /// The room.
        room_id: String,
        /// The first lost sequence number.
        from_seq: u64,
        /// The last lost sequence number.
        to_seq: u64,
    },
    /// After a reconnect, re-joining a room failed with `code` (the room is full, say): the
    /// client is no longer in it. (Not in YIM.)
    RejoinChatRoomFailed {
        /// The room.
        room_id: String,
        /// Why.
        code: ErrorCode,
    },
    /// YIM `OnStartSendAudioMessage`: the recording succeeded, its WAV is playable, the upload
    /// starts. Only on the success path, always before the `SendAudioStatus` of the request.
    StartSendAudio {
        /// The recording.
        request_id: RequestId,
        /// `Success`, or `PttReachMaxDuration` when it stopped by itself at 60 s.
        code: ErrorCode,
        /// Speech-to-text result; empty when not asked for or not recognised.
        text: String,
        /// The local WAV; empty when none is kept.
        audio_path: PathBuf,
        /// Length of the recording.
        duration_ms: u32,
    },
    /// YIM `OnSendAudioMessageStatus`: exactly one per recording in send mode that was not
    /// cancelled (stopped, stopped at 60 s, or ended with its session), success or failure.
    SendAudioStatus(AudioStatus),
    /// YIM `OnGetRecognizeSpeechText`: the result of a recording in recognise-only mode
    /// (nothing is sent).
    RecognizeText {
        /// The recording.
        request_id: RequestId,
        /// `Success`, or why recognising failed.
        code: ErrorCode,
        /// What was said; empty on failure.
        text: String,
    },
    /// YIM `OnDownload`: the completion of `DownloadAudio`.
    DownloadAudio {
        /// The download call.
        request_id: RequestId,
        /// `Success`, `ParamInvalid` (no such voice message), `PttDownloadFail`, or why the
        /// file could not be written.
        code: ErrorCode,
        /// The voice message.
        message_id: u64,
        /// Where its audio was (to be) saved.
        save_path: PathBuf,
    },
    /// YIM `OnPlayCompletion`: `Success` when played to the end, `PttCancelPlay` (2015) when
    /// stopped.
    PlayCompletion {
        /// How the playback ended.
        code: ErrorCode,
        /// The file that was played.
        path: PathBuf,
    },
    /// YIM `OnRecordVolumeChange`: the recording's level, 0..=1000 (YIM's float 0..1, in
    /// thousandths), about 8 times a second while a microphone records.
    RecordVolume {
        /// The level in thousandths.
        level_permille: u16,
    },
    /// YIM `OnQueryHistoryMessage`: the completion of `QueryHistoryMessage`.
    QueryHistoryMessage {
        /// The query.
        request_id: RequestId,
        /// `Success`, or why the store could not be read (`ReadWriteFileError`).
        code: ErrorCode,
        /// The other user, or the room.
        target_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// Messages of the conversation past this page, in the direction asked.
        remain: u32,
        /// The page, oldest first.
        messages: Vec<HistoryMessage>,
    },
    /// YIM `OnQueryRoomHistoryMessageFromServer`: the completion of
    /// `QueryRoomHistoryMessageFromServer`: messages this app was never handed.
    RoomHistoryFromServer {
        /// The query.
        request_id: RequestId,
        /// `Success`, `NotJoinRoom`, or why not.
        code: ErrorCode,
        /// The room.
        room_id: String,
        /// Older messages the server still keeps that this app was never handed.
        remain: u32,
        /// In the order asked for.
        messages: Vec<ReceivedMessage>,
    },
    /// YIM `OnGetRecentContacts`: the completion of `GetRecentContacts`.
    RecentContacts {
        /// The call.
        request_id: RequestId,
        /// `Success`, or why the store could not be read.
        code: ErrorCode,
        /// Newest first.
        contacts: Vec<Contact>,
    },
    /// The completion of a call that changes the local history: `SetRoomHistoryMessageSwitch`,
    /// `DeleteHistoryMessage`, `SetMessageRead`, `SetAllMessageRead`, `SetVoiceMessagePlayed`
    /// (YIM answers these synchronously only).
    HistoryChanged {
        /// The call.
        request_id: RequestId,
        /// `Success`, or why not (`ReadWriteFileError`; `StatusError` when too many rooms
        /// would be kept).
        code: ErrorCode,
        /// Messages (or rooms) it changed.
        changed: u32,
    },
}

impl Event {
    /// The request this event completes, if it is a completion.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Event::Login { request_id, .. }
            | Event::JoinChatRoom { request_id, .. }
            | Event::LeaveChatRoom { request_id, .. }
            | Event::LeaveAllChatRooms { request_id, .. }
            | Event::RoomMemberCount { request_id, .. }
            | Event::RecognizeText { request_id, .. }
            | Event::DownloadAudio { request_id, .. }
            | Event::QueryHistoryMessage { request_id, .. }
            | Event::RoomHistoryFromServer { request_id, .. }
            | Event::RecentContacts { request_id, .. }
            | Event::HistoryChanged { request_id, .. } => Some(*request_id),
            Event::Logout { request_id, .. } => *request_id,
            Event::SendMessageStatus(status) => Some(status.request_id),
            Event::SendAudioStatus(status) => Some(status.request_id),
            Event::StartSendAudio { .. }
            | Event::PlayCompletion { .. }
            | Event::RecordVolume { .. }
            | Event::KickOff
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
            | Event::RoomMemberCount { code, .. }
            | Event::RejoinChatRoomFailed { code, .. }
            | Event::StartSendAudio { code, .. }
            | Event::RecognizeText { code, .. }
            | Event::DownloadAudio { code, .. }
            | Event::PlayCompletion { code, .. }
            | Event::QueryHistoryMessage { code, .. }
            | Event::RoomHistoryFromServer { code, .. }
            | Event::RecentContacts { code, .. }
            | Event::HistoryChanged { code, .. } => Some(*code),
            Event::SendMessageStatus(status) => Some(status.code),
            Event::SendAudioStatus(status) => Some(status.code),
            Event::KickOff
            | Event::RecvMessage(_)
            | Event::StartReconnect
            | Event::ReconnectResult(_)
            | Event::RoomMessagesLost { .. }
            | Event::RecordVolume { .. } => None,
        }
    }
}
