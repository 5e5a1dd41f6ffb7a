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
    /// The scenario's client index.
    pub client: usize,
    /// Which start of the client's app: 1 for the first, one more per restart.
    pub incarnation: u32,
}

/// A call as recorded (YIM's calls, serialisable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum CallRecord {
    /// `Login` with the user's password.
    Login {
        /// The user ID.
        user: String,
        /// The password given.
        password: String,
        /// The kind of login token the call carried, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<TokenKind>,
    },
    /// `Logout`.
    Logout,
    /// `JoinChatRoom`.
    Join {
        /// The room ID.
        room: String,
    },
    /// `LeaveChatRoom`.
    Leave {
        /// The room ID.
        room: String,
    },
    /// `LeaveAllChatRooms`.
    LeaveAll,
    /// `GetRoomMemberCount`.
    CountMembers {
        /// The room ID.
        room: String,
    },
    /// A text or custom message (`SendTextMessage`, `SendCustomMessage`).
    Send {
        /// The receiving user's or room's ID.
        receiver: String,
        /// True for a room message, false for a private one.
        room: bool,
        /// What was sent.
        body: BodyRecord,
    },
    /// A voice recording to be sent (its body: the text spoken, and the extra parameter).
    RecordVoice {
        /// The receiving user's or room's ID.
        receiver: String,
        /// True for a room message, false for a private one.
        room: bool,
        /// The text spoken and the extra parameter.
        body: BodyRecord,
    },
    /// A download of a voice message's audio.
    DownloadAudio {
        /// The voice message's ID.
        message_id: u64,
    },
    /// A query of the local history (`QueryHistoryMessage`).
    QueryHistory {
        /// The conversation: the room, or the other user.
        target: String,
        /// True for a room's history, false for a private conversation.
        room: bool,
        /// How many messages were asked for.
        count: u32,
    },
    /// `QueryRoomHistoryMessageFromServer`.
    RoomHistoryFromServer {
        /// The room ID.
        room: String,
        /// How many messages were asked for.
        count: u32,
    },
    /// `SetRoomHistoryMessageSwitch`: whether the rooms' messages are kept in the local history.
    RoomHistorySwitch {
        /// The rooms the switch is for.
        rooms: Vec<String>,
        /// True to keep their messages, false to stop keeping them.
        save: bool,
    },
    /// Another local history call (delete, contacts, read and played marks), by name.
    HistoryCall {
        /// The call's YIM name.
        name: String,
    },
}

/// A message body as recorded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyRecord {
    /// A text message.
    Text {
        /// The text.
        content: String,
        /// The attached parameter string.
        attach: String,
    },
    /// A custom (binary) message's bytes.
    Custom(Vec<u8>),
    /// A voice message: its recognised text and extra parameter (its audio is checked by
    /// download).
    Voice {
        /// The text recognised in the recording.
        text: String,
        /// The extra parameter sent with it.
        extra_param: String,
    },
}

/// A delivered message as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    /// The server's message ID.
    pub message_id: u64,
    /// The sending user's ID.
    pub sender: String,
    /// The receiving user's or room's ID.
    pub receiver: String,
    /// True for a room message, false for a private one.
    pub room: bool,
    /// The server's send time, unix seconds.
    pub create_time: u64,
    /// The room's sequence number (1, 2, ...); 0 for private chat.
    pub room_seq: u64,
    /// The message's body.
    pub body: BodyRecord,
    /// A voice message's length and encoded size, as delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<VoiceMeta>,
}

/// A voice message's length and the bytes of its encoded audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceMeta {
    /// The recording's length.
    pub duration_ms: u32,
    /// The encoded audio's size in bytes.
    pub file_size: u64,
}

/// A message of a client's local history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRecord {
    /// The conversation: the room, or the other user.
    pub target: String,
    /// The server's message ID.
    pub message_id: u64,
    /// The sending user's ID.
    pub sender: String,
    /// True for a room message, false for a private one.
    pub room: bool,
    /// The room's sequence number; 0 for private chat.
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
    /// Certainly applied (the server acknowledged it).
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
    /// A client's app started (its SDK created).
    AppStart {
        /// The app run that started.
        app: AppId,
    },
    /// The app's host crashed or the app was restarted: its pending calls die with it.
    AppStop {
        /// The app run that stopped.
        app: AppId,
    },
    /// A call and its immediate result: the request ID, or the refusing code.
    Invoke {
        /// The app run that made the call.
        app: AppId,
        /// The call.
        call: CallRecord,
        /// The request ID the SDK gave the call, if it took it.
        request_id: Option<u64>,
        /// The code the SDK refused the call with at once, if it did.
        refused: Option<ErrorCode>,
    },
    /// A completion event.
    Complete {
        /// The app run the completion reached.
        app: AppId,
        /// The completed call's request ID.
        request_id: u64,
        /// The call's result code.
        code: ErrorCode,
        /// For a send: the server's IDs and any forbid.
        send: Option<SendInfo>,
        /// For a member count: the count.
        count: Option<u32>,
    },
    /// A message the app received (`OnRecvMessage`).
    Deliver {
        /// The receiving app run.
        app: AppId,
        /// The message.
        message: MessageRecord,
    },
    /// The session was kicked off by a login elsewhere (`OnKickOff`).
    KickOff {
        /// The app run kicked off.
        app: AppId,
    },
    /// The unsolicited logout (session lost).
    SessionLost {
        /// The app run whose session was lost.
        app: AppId,
        /// The logout's code.
        code: ErrorCode,
    },
    /// The SDK started reconnecting by itself.
    StartReconnect {
        /// The reconnecting app run.
        app: AppId,
    },
    /// YIM's ReconnectResult: resumed, failed and retrying, or gave up.
    ReconnectResult {
        /// The reconnecting app run.
        app: AppId,
        /// What the reconnect came to.
        result: ReconnectResult,
    },
    /// Room messages the server no longer kept for a resuming member.
    RoomMessagesLost {
        /// The app run told of the loss.
        app: AppId,
        /// The room ID.
        room: String,
        /// The first lost room sequence number.
        from_seq: u64,
        /// The last lost room sequence number.
        to_seq: u64,
    },
    /// The app stopped recording `request_id` (to send it).
    VoiceStopped {
        /// The recording app run.
        app: AppId,
        /// The recording's request ID.
        request_id: u64,
    },
    /// The app cancelled recording `request_id`: no event may follow for it.
    VoiceCancelled {
        /// The recording app run.
        app: AppId,
        /// The recording's request ID.
        request_id: u64,
    },
    /// YIM's OnStartSendAudioMessage.
    VoiceStarted {
        /// The recording app run.
        app: AppId,
        /// The recording's request ID.
        request_id: u64,
        /// The event's result code.
        code: ErrorCode,
        /// The text recognised in the recording.
        text: String,
        /// The length of the recording.
        #[serde(default)]
        duration_ms: u32,
    },
    /// A download completed; `heard` is what the deterministic recognizer reads in the saved
    /// WAV (`None` when nothing was saved or it could not be read).
    Downloaded {
        /// The downloading app run.
        app: AppId,
        /// The download's request ID.
        request_id: u64,
        /// The voice message's ID.
        message_id: u64,
        /// The download's result code.
        code: ErrorCode,
        /// The text the recognizer reads in the saved WAV.
        heard: Option<String>,
        /// The length of the saved audio.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        heard_ms: Option<u64>,
    },
    /// The messages of a room history query's completion (`QueryRoomHistoryMessageFromServer`;
    /// its `Complete` entry comes just before), in the order the SDK returned them.
    RoomHistory {
        /// The querying app run.
        app: AppId,
        /// The query's request ID.
        request_id: u64,
        /// The room ID.
        room: String,
        /// The messages returned.
        messages: Vec<MessageRecord>,
    },
    /// What a client's disk holds at the end of the run (the local store of its user, which
    /// outlives its app runs): the kept messages in message ID order, and the IDs the store
    /// marked handed to the application.
    LocalHistory {
        /// The client's last app run.
        app: AppId,
        /// The user whose store it is.
        user: String,
        /// The kept messages, in message ID order.
        messages: Vec<StoredRecord>,
        /// The message IDs the store marked handed to the application.
        handed: Vec<u64>,
    },
    /// Re-joining a room after a reconnect failed: the member is out of it.
    RejoinFailed {
        /// The app run that failed to re-join.
        app: AppId,
        /// The room ID.
        room: String,
        /// The join's result code.
        code: ErrorCode,
    },
    /// The server's room membership of a user changed (or its session did), observed after
    /// the server's input (see `yim_hooks::probe::observe`): the server incarnation, the
    /// session's connection (`None`: no session) and the rooms whose member lists hold it.
    ServerRooms {
        /// The user ID.
        user: String,
        /// The server's incarnation (one more per restart).
        server: u64,
        /// The connection of the user's session; `None`: no session.
        conn: Option<u64>,
        /// The rooms whose member lists hold the user, sorted.
        rooms: Vec<String>,
    },
    /// An operator's mute or unmute, with its outcome.
    Admin {
        /// The room ID.
        room: String,
        /// Empty: the whole room.
        user: String,
        /// `None` for an unmute.
        mute: Option<MuteRecord>,
        /// Whether the server applied it.
        outcome: AdminOutcome,
        /// When the operator sent it (simulated ms); `at_ms` is when the outcome was known.
        invoked_ms: u64,
    },
    /// A fault of the scenario, applied.
    Fault {
        /// The fault.
        fault: Fault,
    },
    /// What the server's simulated disk did (see `crate::disk`).
    Disk {
        /// What struck.
        event: DiskEvent,
    },
    /// The faults ended: every link repaired, held messages released.
    Heal,
    /// A client's state at the end of the run.
    Final {
        /// The client's last app run.
        app: AppId,
        /// The user it was logged in as last.
        user: String,
        /// The SDK's state, by name.
        state: String,
        /// How many calls were still pending.
        pending_calls: usize,
        /// Whether the player wants to be online (see `app::Slot`).
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
        /// The crash point's kind.
        kind: String,
        /// The commit it struck at, counted from 1.
        commit: u64,
        /// Whether that commit was made durable first.
        durable: bool,
    },
    /// The `commit`-th commit failed and wrote nothing.
    CommitFailed {
        /// The failed commit, counted from 1.
        commit: u64,
    },
    /// Power was lost: the commits not yet synced are gone, with the private messages they
    /// stored (acknowledged or not).
    PowerLoss {
        /// How many commits were lost.
        lost_commits: usize,
        /// The IDs of the private messages those commits stored.
        lost_message_ids: Vec<u64>,
    },
    /// The sync after the `commit`-th commit failed: the core halts, and `fate` is what the
    /// reopened store finds of the commits it was for.
    SyncFailed {
        /// The last commit before the sync, counted from 1.
        commit: u64,
        /// What becomes of the unsynced commits.
        fate: crate::scenario::UnsyncedFate,
    },
    /// The store was reopened after a failed sync whose commits the disk dropped: they are
    /// gone, with the private messages they stored.
    LostAtReopen {
        /// How many commits were lost.
        lost_commits: usize,
        /// The IDs of the private messages those commits stored.
        lost_message_ids: Vec<u64>,
    },
}

/// The mute fields of an operator action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRecord {
    /// The mute's reason code.
    pub reason: u32,
    /// When the mute ends, unix seconds.
    pub end_time: u64,
}

/// An entry with its simulated time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Simulated time, ms since the run began.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub entry: Entry,
}

/// See the module doc.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// The entries, in the order they happened.
    pub records: Vec<Record>,
}

impl History {
    /// Appends `entry` at simulated time `at_ms`.
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

/// The record of a message body.
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

/// The record of a received message.
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
