//! The history of a run: every call (invoke) with its immediate result, every event each
//! client delivered (completions, messages, kick-offs, logouts), operator actions, faults, and
//! each client's final state, stamped with simulated time. Checkers judge it after the run;
//! it exports as JSON lines and hashes to one value for determinism checks.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use yim_sdk::{
    Call, ChatType, ErrorCode, Event, Forbid, MessageBody, ReceivedMessage, ReconnectResult,
};

use crate::scenario::{Fault, TokenKind};

/// Identifies one run of one client app: `client` is the scenario's client index, and
/// `incarnation` counts app (re)starts, since request IDs restart with each app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AppId {
    pub client: usize,
    pub incarnation: u32,
}

/// A call as recorded (YIM's calls, serialisable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum CallRecord {
    Login {
        user: String,
        password: String,
        /// The kind of login token the call carried, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<TokenKind>,
    },
    Logout,
    Join {
        room: String,
    },
    Leave {
        room: String,
    },
    LeaveAll,
    CountMembers {
        room: String,
    },
    Send {
        receiver: String,
        room: bool,
        body: BodyRecord,
    },
    /// A voice recording to be sent (its body: the text spoken, and the extra parameter).
    RecordVoice {
        receiver: String,
        room: bool,
        body: BodyRecord,
    },
    /// A download of a voice message's audio.
    DownloadAudio {
        message_id: u64,
    },
    /// A query of the local history (`QueryHistoryMessage`).
    QueryHistory {
        target: String,
        room: bool,
        count: u32,
    },
    /// `QueryRoomHistoryMessageFromServer`.
    RoomHistoryFromServer {
        room: String,
        count: u32,
    },
    /// `SetRoomHistoryMessageSwitch`: whether the rooms' messages are kept in the local history.
    RoomHistorySwitch {
        rooms: Vec<String>,
        save: bool,
    },
    /// Another local history call (delete, contacts, read and played marks), by name.
    HistoryCall {
        name: String,
    },
}

/// A message body as recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyRecord {
    Text {
        content: String,
        attach: String,
    },
    Custom(Vec<u8>),
    /// A voice message: its recognised text and extra parameter (its audio is checked by
    /// download).
    Voice {
        text: String,
        extra_param: String,
    },
}

/// A delivered message as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub message_id: u64,
    pub sender: String,
    pub receiver: String,
    pub room: bool,
    pub create_time: u64,
    pub room_seq: u64,
    pub body: BodyRecord,
    /// A voice message's length and encoded size, as delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceMeta>,
}

/// A voice message's length and the bytes of its encoded audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceMeta {
    pub duration_ms: u32,
    pub file_size: u64,
}

/// A message of a client's local history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// The conversation: the room, or the other user.
    pub target: String,
    pub message_id: u64,
    pub sender: String,
    pub room: bool,
    pub room_seq: u64,
}

/// The forbid fields and IDs of a send completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendInfo {
    /// The server's message ID; 0 when the send failed.
    pub message_id: u64,
    /// The server's send time, unix seconds.
    pub send_time: u64,
    /// The mute behind a `ForbiddenSpeak`, as the server reported it.
    pub forbid: Option<Forbid>,
    /// A voice message's status: the length of the recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u32>,
}

/// What an operator action came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminOutcome {
    Applied,
    /// Certainly not applied (no connection, or refused).
    NotApplied,
    /// The request may or may not have been applied (no answer).
    Unknown,
}

/// One entry of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    AppStart {
        app: AppId,
    },
    /// The app's host crashed or the app was restarted: its pending calls die with it.
    AppStop {
        app: AppId,
    },
    /// A call and its immediate result: the request ID, or the refusing code.
    Invoke {
        app: AppId,
        call: CallRecord,
        request_id: Option<u64>,
        refused: Option<ErrorCode>,
    },
    /// A completion event.
    Complete {
        app: AppId,
        request_id: u64,
        code: ErrorCode,
        send: Option<SendInfo>,
        count: Option<u32>,
    },
    Deliver {
        app: AppId,
        message: MessageRecord,
    },
    KickOff {
        app: AppId,
    },
    /// The unsolicited logout (session lost).
    SessionLost {
        app: AppId,
        code: ErrorCode,
    },
    /// The SDK started reconnecting by itself.
    StartReconnect {
        app: AppId,
    },
    /// YIM's ReconnectResult: resumed, failed and retrying, or gave up.
    ReconnectResult {
        app: AppId,
        result: ReconnectResult,
    },
    /// Room messages the server no longer kept for a resuming member.
    RoomMessagesLost {
        app: AppId,
        room: String,
        from_seq: u64,
        to_seq: u64,
    },
    /// The app stopped recording `request_id` (to send it).
    VoiceStopped {
        app: AppId,
        request_id: u64,
    },
    /// The app cancelled recording `request_id`: no event may follow for it.
    VoiceCancelled {
        app: AppId,
        request_id: u64,
    },
    /// YIM's OnStartSendAudioMessage.
    VoiceStarted {
        app: AppId,
        request_id: u64,
        code: ErrorCode,
        text: String,
        /// The length of the recording.
        #[serde(default)]
        duration_ms: u32,
    },
    /// A download completed; `heard` is what the deterministic recognizer reads in the saved
    /// WAV (`None` when nothing was saved or it could not be read).
    Downloaded {
        app: AppId,
        request_id: u64,
        message_id: u64,
        code: ErrorCode,
        heard: Option<String>,
        /// The length of the saved audio.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heard_ms: Option<u64>,
    },
    /// The messages of a room history query's completion (`QueryRoomHistoryMessageFromServer`;
    /// its `Complete` entry comes just before), in the order the SDK returned them.
    RoomHistory {
        app: AppId,
        request_id: u64,
        room: String,
        messages: Vec<MessageRecord>,
    },
    /// What a client's disk holds at the end of the run (the local store of its user, which
    /// outlives its app runs): the kept messages in message ID order, and the IDs the store
    /// marked handed to the application.
    LocalHistory {
        /// The client's last app run.
        app: AppId,
        user: String,
        messages: Vec<StoredRecord>,
        handed: Vec<u64>,
    },
    /// Re-joining a room after a reconnect failed: the member is out of it.
    RejoinFailed {
        app: AppId,
        room: String,
        code: ErrorCode,
    },
    /// The server's room membership of a user changed (or its session did), observed after
    /// the server's input (see `yim_hooks::probe::observe`): the server incarnation, the
    /// session's connection (`None`: no session) and the rooms whose member lists hold it.
    ServerRooms {
        user: String,
        server: u64,
        conn: Option<u64>,
        rooms: Vec<String>,
    },
    Admin {
        room: String,
        /// Empty: the whole room.
        user: String,
        /// `None` for an unmute.
        mute: Option<MuteRecord>,
        outcome: AdminOutcome,
        /// When the operator sent it (simulated ms); `at_ms` is when the outcome was known.
        invoked_ms: u64,
    },
    Fault {
        fault: Fault,
    },
    /// What the server's simulated disk did (see `crate::disk`).
    Disk {
        event: DiskEvent,
    },
    Heal,
    /// A client's state at the end of the run.
    Final {
        app: AppId,
        user: String,
        state: String,
        pending_calls: usize,
        wants_online: bool,
    },
}

/// A disk fault striking (see `crate::disk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "disk", rename_all = "snake_case")]
pub enum DiskEvent {
    /// A crash point struck at the server's `commit`-th commit; `durable`: that commit was
    /// made durable first (only its outputs are lost).
    Crash {
        kind: String,
        commit: u64,
        durable: bool,
    },
    /// The `commit`-th commit failed and wrote nothing.
    CommitFailed { commit: u64 },
    /// Power was lost: the commits not yet synced are gone, with the private messages they
    /// stored (acknowledged or not).
    PowerLoss {
        lost_commits: usize,
        lost_message_ids: Vec<u64>,
    },
}

/// The mute fields of an operator action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRecord {
    pub reason: u32,
    pub end_time: u64,
}

/// An entry with its simulated time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub at_ms: u64,
    #[serde(flatten)]
    pub entry: Entry,
}

/// See the module doc.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub records: Vec<Record>,
}

impl History {
    pub fn push(&mut self, at_ms: u64, entry: Entry) {
        self.records.push(Record { at_ms, entry });
    }

    /// One JSON object per line.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for record in &self.records {
            // Records are plain data: serialisation cannot fail.
            if let Ok(line) = serde_json::to_string(record) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    /// SHA-256 of the JSON lines, hex: equal histories, equal hashes.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.to_jsonl().as_bytes()))
    }

    /// Iterates entries with their times.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Entry)> {
        self.records.iter().map(|r| (r.at_ms, &r.entry))
    }
}

pub fn body_record(body: &MessageBody) -> BodyRecord {
    match body {
        MessageBody::Text { content, attach } => BodyRecord::Text {
            content: content.clone(),
            attach: attach.clone(),
        },
        MessageBody::Custom(bytes) => BodyRecord::Custom(bytes.clone()),
        MessageBody::Voice {
            text, extra_param, ..
        } => BodyRecord::Voice {
            text: text.clone(),
            extra_param: extra_param.clone(),
        },
    }
}

pub fn message_record(message: &ReceivedMessage) -> MessageRecord {
    MessageRecord {
        message_id: message.message_id,
        sender: message.sender_id.clone(),
        receiver: message.receiver_id.clone(),
        room: message.chat_type == ChatType::Room,
        create_time: message.create_time,
        room_seq: message.room_seq,
        body: body_record(&message.body),
        voice: match message.body {
            MessageBody::Voice {
                duration_ms,
                file_size,
                ..
            } => Some(VoiceMeta {
                duration_ms,
                file_size,
            }),
            _ => None,
        },
    }
}

/// The record of a call; `None` for the calls that act on a recording (stop, cancel), which
/// the history records as their own entries.
pub fn call_record(call: &Call) -> Option<CallRecord> {
    Some(match call {
        Call::Login {
            user_id, password, ..
        } => CallRecord::Login {
            user: user_id.clone(),
            password: password.clone(),
            token: None,
        },
        Call::Logout => CallRecord::Logout,
        Call::JoinChatRoom { room_id } => CallRecord::Join {
            room: room_id.clone(),
        },
        Call::LeaveChatRoom { room_id } => CallRecord::Leave {
            room: room_id.clone(),
        },
        Call::LeaveAllChatRooms => CallRecord::LeaveAll,
        Call::GetRoomMemberCount { room_id } => CallRecord::CountMembers {
            room: room_id.clone(),
        },
        Call::SendText {
            receiver_id,
            chat_type,
            text,
            attach,
        } => CallRecord::Send {
            receiver: receiver_id.clone(),
            room: *chat_type == ChatType::Room,
            body: BodyRecord::Text {
                content: text.clone(),
                attach: attach.clone(),
            },
        },
        Call::SendCustom {
            receiver_id,
            chat_type,
            content,
        } => CallRecord::Send {
            receiver: receiver_id.clone(),
            room: *chat_type == ChatType::Room,
            body: BodyRecord::Custom(content.clone()),
        },
        Call::StartRecord {
            receiver_id,
            chat_type,
            ..
        } => CallRecord::RecordVoice {
            receiver: receiver_id.clone(),
            room: *chat_type == ChatType::Room,
            body: BodyRecord::Voice {
                text: String::new(),
                extra_param: String::new(),
            },
        },
        Call::SendAudioFile {
            receiver_id,
            chat_type,
            extra_param,
            ..
        } => CallRecord::RecordVoice {
            receiver: receiver_id.clone(),
            room: *chat_type == ChatType::Room,
            body: BodyRecord::Voice {
                text: String::new(),
                extra_param: extra_param.clone(),
            },
        },
        Call::DownloadAudio { message_id, .. } => CallRecord::DownloadAudio {
            message_id: *message_id,
        },
        Call::QueryHistoryMessage {
            target_id,
            chat_type,
            count,
            ..
        } => CallRecord::QueryHistory {
            target: target_id.clone(),
            room: *chat_type == ChatType::Room,
            count: *count,
        },
        Call::QueryRoomHistoryMessageFromServer { room_id, count, .. } => {
            CallRecord::RoomHistoryFromServer {
                room: room_id.clone(),
                count: *count,
            }
        }
        Call::SetRoomHistoryMessageSwitch { room_ids, save } => CallRecord::RoomHistorySwitch {
            rooms: room_ids.clone(),
            save: *save,
        },
        Call::DeleteHistoryMessage(_)
        | Call::GetRecentContacts
        | Call::SetMessageRead { .. }
        | Call::SetAllMessageRead { .. }
        | Call::SetVoiceMessagePlayed { .. } => CallRecord::HistoryCall {
            name: call.name().to_owned(),
        },
        Call::StopRecord { .. } | Call::CancelRecord => return None,
    })
}

/// The IDs and the mute of a send completion as recorded.
fn send_info(message_id: u64, send_time: u64, forbid: Option<Forbid>) -> SendInfo {
    SendInfo {
        message_id,
        send_time,
        forbid,
        duration_ms: None,
    }
}

/// The entry of a call and its immediate result: the request ID, or the refusing code.
pub fn invoke_entry(
    app: AppId,
    call: CallRecord,
    result: Result<yim_sdk::RequestId, ErrorCode>,
) -> Entry {
    let (request_id, refused) = match result {
        Ok(id) => (Some(id.get()), None),
        Err(code) => (None, Some(code)),
    };
    Entry::Invoke {
        app,
        call,
        request_id,
        refused,
    }
}

/// The history entry for an SDK event.
pub fn event_entry(app: AppId, event: &Event) -> Option<Entry> {
    let complete = |request_id: u64, code: ErrorCode| Entry::Complete {
        app,
        request_id,
        code,
        send: None,
        count: None,
    };
    Some(match event {
        Event::RecvMessage(message) => Entry::Deliver {
            app,
            message: message_record(message),
        },
        Event::KickOff => Entry::KickOff { app },
        Event::StartReconnect => Entry::StartReconnect { app },
        Event::ReconnectResult(result) => Entry::ReconnectResult {
            app,
            result: *result,
        },
        Event::RoomMessagesLost {
            room_id,
            from_seq,
            to_seq,
        } => Entry::RoomMessagesLost {
            app,
            room: room_id.clone(),
            from_seq: *from_seq,
            to_seq: *to_seq,
        },
        Event::StartSendAudio {
            request_id,
            code,
            text,
            duration_ms,
            ..
        } => Entry::VoiceStarted {
            app,
            request_id: request_id.get(),
            code: *code,
            text: text.clone(),
            duration_ms: *duration_ms,
        },
        Event::SendAudioStatus(status) => Entry::Complete {
            app,
            request_id: status.request_id.get(),
            code: status.code,
            send: Some(SendInfo {
                duration_ms: Some(status.duration_ms),
                ..send_info(status.message_id, status.send_time, status.forbid)
            }),
            count: None,
        },
        Event::PlayCompletion { .. } => return None,
        Event::RejoinChatRoomFailed { room_id, code } => Entry::RejoinFailed {
            app,
            room: room_id.clone(),
            code: *code,
        },
        Event::Logout {
            request_id: None,
            code,
        } => Entry::SessionLost { app, code: *code },
        Event::SendMessageStatus(status) => Entry::Complete {
            app,
            request_id: status.request_id.get(),
            code: status.code,
            send: Some(send_info(
                status.message_id,
                status.send_time,
                status.forbid,
            )),
            count: None,
        },
        Event::RoomMemberCount {
            request_id,
            code,
            count,
            ..
        } => Entry::Complete {
            app,
            request_id: request_id.get(),
            code: *code,
            send: None,
            count: Some(*count),
        },
        other => {
            let request_id = other.request_id()?;
            complete(request_id.get(), other.code()?)
        }
    })
}
