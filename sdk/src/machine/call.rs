//! What an application asks of the client: the `Call` enum, and the `RequestId` each accepted
//! call is given.
//!
//! What it is: plain data mirroring YIM's calls one for one, voice included. What it is not:
//! validation (see `validate`) or the wire frames the calls become (see `outbound`).

use std::fmt;
use std::path::PathBuf;

use yim_proto::ChatType;

use crate::store::{DeleteHistory, HistoryDirection};

/// The client's number for one accepted call, echoed in its one completion event.
/// Allocated by the machine: 1, 2, 3, ... in the order calls are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RequestId(pub u64);

impl RequestId {
    /// The number, as carried on the wire.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Whether a recording asks for speech to text (YIM's `SendAudioMessage`,
/// `SendOnlyAudioMessage`, and recognise-only mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Recognize {
    /// No speech to text (YIM `SendOnlyAudioMessage`).
    No,
    /// Recognise, and send the text with the voice message (YIM `SendAudioMessage`); a
    /// recognition failure leaves the text empty and the message is still sent.
    AlongWithSend,
    /// Recognise only (YIM `SetOnlyRecognizeSpeechText(true)`): nothing is sent, the result
    /// is one `Event::RecognizeText`; a recognition failure is `PttRecognizeFailed`.
    Only,
}

/// The order of the messages of room history from the server (YIM's `direction` of
/// `QueryRoomHistoryMessageFromServer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u32)]
pub enum TimeOrder {
    /// Oldest first (YIM 0).
    Ascending = 0,
    /// Newest first (YIM 1).
    Descending = 1,
}

/// One application call. Every call but `StopRecord` and `CancelRecord` gets exactly one
/// completion event when accepted; those two act on the recording under way, whose own
/// completion (the `StartRecord`'s) is the one that comes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// YIM `Login(userID, password, token)`; completes with `Event::Login`.
    Login {
        /// The user; the first login registers it.
        user_id: String,
        /// Checked against the one the user registered with.
        password: String,
        /// A login token, or empty when the server does not ask for one.
        token: String,
    },
    /// YIM `Logout()`; completes with `Event::Logout`.
    Logout,
    /// YIM `JoinChatRoom(roomID)`; completes with `Event::JoinChatRoom`.
    JoinChatRoom {
        /// The room; created on its first join.
        room_id: String,
    },
    /// YIM `LeaveChatRoom(roomID)`; completes with `Event::LeaveChatRoom`.
    LeaveChatRoom {
        /// The room.
        room_id: String,
    },
    /// YIM `LeaveAllChatRooms()`; completes with `Event::LeaveAllChatRooms`.
    LeaveAllChatRooms,
    /// YIM `GetRoomMemberCount(roomID)`; completes with `Event::RoomMemberCount`.
    GetRoomMemberCount {
        /// The room (one the client is in).
        room_id: String,
    },
    /// YIM `SendTextMessage`; completes with `Event::SendMessageStatus`.
    SendText {
        /// A user for private chat, a room for room chat.
        receiver_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// The text, at most 2048 bytes.
        text: String,
        /// Free text delivered with the message, at most 1024 bytes.
        attach: String,
    },
    /// YIM `SendCustomMessage`; completes with `Event::SendMessageStatus`.
    SendCustom {
        /// A user for private chat, a room for room chat.
        receiver_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// Raw bytes, at most 2048.
        content: Vec<u8>,
    },
    /// YIM `SendAudioMessage` / `SendOnlyAudioMessage` / recognise-only: starts recording from
    /// the microphone. Completes with one `Event::SendAudioStatus` (after `StartSendAudio` on
    /// success), or one `Event::RecognizeText` in recognise-only mode. Stops by itself at 60 s.
    StartRecord {
        /// A user for private chat, a room for room chat (ignored when recognising only).
        receiver_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// Speech to text, and whether anything is sent.
        recognize: Recognize,
    },
    /// YIM `StopAudioMessage(extraParam)`: stops the recording under way and sends it (or
    /// recognises it). Accepted: the recording's request ID; no completion of its own.
    StopRecord {
        /// Delivered with the voice message, at most 2048 bytes.
        extra_param: String,
    },
    /// YIM `CancleAudioMessage`: discards the recording under way; nothing is sent and no
    /// event ever comes for it. Accepted: the recording's request ID.
    CancelRecord,
    /// Sends a WAV file as a voice message, as if just recorded (its first 60 s): the events
    /// of a recording that was stopped at once. Not in YIM, whose voice comes only from the
    /// microphone.
    SendAudioFile {
        /// A user for private chat, a room for room chat.
        receiver_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// The WAV file.
        path: PathBuf,
        /// Speech to text, and whether anything is sent.
        recognize: Recognize,
        /// Delivered with the voice message, at most 2048 bytes.
        extra_param: String,
    },
    /// YIM `DownloadFile(messageID, savePath)` for a voice message: fetches its audio and
    /// saves it as a WAV (directories are created); completes with `Event::DownloadAudio`.
    DownloadAudio {
        /// The voice message's server message ID.
        message_id: u64,
        /// Where to write the WAV.
        save_path: PathBuf,
    },
    /// YIM `QueryHistoryMessage`: a page of a conversation of the local history (the user's
    /// own messages included); completes with `Event::QueryHistoryMessage`.
    QueryHistoryMessage {
        /// The other user, or the room.
        target_id: String,
        /// Private or room.
        chat_type: ChatType,
        /// 0: the newest messages; else the page starts next to this message.
        start_message_id: u64,
        /// At most this many, 1-100.
        count: u32,
        /// Which way from the start message (ignored when it is 0).
        direction: HistoryDirection,
    },
    /// YIM `SetRoomHistoryMessageSwitch(roomIDs, save)`: whether the rooms' messages are
    /// kept in the local history (off by default); completes with `Event::HistoryChanged`.
    SetRoomHistoryMessageSwitch {
        /// The rooms, 1-32 of them.
        room_ids: Vec<String>,
        /// Keep their messages from now on, or stop (what is kept stays).
        save: bool,
    },
    /// YIM `DeleteHistoryMessage` (by time, by conversation) and `DeleteHistoryMessageByID`;
    /// the cached audio of deleted voice messages is deleted too. Completes with
    /// `Event::HistoryChanged`.
    DeleteHistoryMessage(DeleteHistory),
    /// YIM `GetRecentContacts`: the private conversations of the local history, newest
    /// first, at most 100; completes with `Event::RecentContacts`.
    GetRecentContacts,
    /// YIM `SetMessageRead(messageID, read)`; completes with `Event::HistoryChanged`.
    SetMessageRead {
        /// The message.
        message_id: u64,
        /// Read or unread.
        read: bool,
    },
    /// YIM `SetAllMessageRead(userID, read)`: the conversation with the user, or every
    /// message when `user_id` is empty; completes with `Event::HistoryChanged`.
    SetAllMessageRead {
        /// The other user; empty for all.
        user_id: String,
        /// Read or unread.
        read: bool,
    },
    /// YIM `SetVoiceMsgPlayed(messageID, played)`; completes with `Event::HistoryChanged`.
    SetVoiceMessagePlayed {
        /// The voice message.
        message_id: u64,
        /// Played or not.
        played: bool,
    },
    /// YIM `QueryRoomHistoryMessageFromServer(roomID, count, direction)`: the room's most
    /// recent messages the server keeps that this app was never handed (unlike YIM, which
    /// returns its whole window every time), so a later call goes on with older ones; only in
    /// a room the client is in. Completes with `Event::RoomHistoryFromServer`.
    QueryRoomHistoryMessageFromServer {
        /// The room.
        room_id: String,
        /// At most this many, 1-200.
        count: u32,
        /// The order of the messages in the result.
        order: TimeOrder,
    },
}

impl Call {
    /// The call's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Login { .. } => "Login",
            Call::Logout => "Logout",
            Call::JoinChatRoom { .. } => "JoinChatRoom",
            Call::LeaveChatRoom { .. } => "LeaveChatRoom",
            Call::LeaveAllChatRooms => "LeaveAllChatRooms",
            Call::GetRoomMemberCount { .. } => "GetRoomMemberCount",
            Call::SendText { .. } => "SendText",
            Call::SendCustom { .. } => "SendCustom",
            Call::StartRecord { .. } => "StartRecord",
            Call::StopRecord { .. } => "StopRecord",
            Call::CancelRecord => "CancelRecord",
            Call::SendAudioFile { .. } => "SendAudioFile",
            Call::DownloadAudio { .. } => "DownloadAudio",
            Call::QueryHistoryMessage { .. } => "QueryHistoryMessage",
            Call::SetRoomHistoryMessageSwitch { .. } => "SetRoomHistoryMessageSwitch",
            Call::DeleteHistoryMessage(_) => "DeleteHistoryMessage",
            Call::GetRecentContacts => "GetRecentContacts",
            Call::SetMessageRead { .. } => "SetMessageRead",
            Call::SetAllMessageRead { .. } => "SetAllMessageRead",
            Call::SetVoiceMessagePlayed { .. } => "SetVoiceMessagePlayed",
            Call::QueryRoomHistoryMessageFromServer { .. } => "QueryRoomHistoryMessageFromServer",
        }
    }

    /// True for the history calls answered from the local store alone (all but the room
    /// history from the server).
    pub fn is_local_history(&self) -> bool {
        matches!(
            self,
            Call::QueryHistoryMessage { .. }
                | Call::SetRoomHistoryMessageSwitch { .. }
                | Call::DeleteHistoryMessage(_)
                | Call::GetRecentContacts
                | Call::SetMessageRead { .. }
                | Call::SetAllMessageRead { .. }
                | Call::SetVoiceMessagePlayed { .. }
        )
    }

    /// True if the accepted call gets a completion of its own (all but stop and cancel,
    /// which act on an earlier `StartRecord`).
    pub fn gets_completion(&self) -> bool {
        !matches!(self, Call::StopRecord { .. } | Call::CancelRecord)
    }
}
