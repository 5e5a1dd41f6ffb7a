//! The store's seams ([`HistoryDisk`], [`HistoryStore`]) and the data they speak: messages
//! with their local fields, conversations, pages, contacts, the writes of a batch. See the
//! parent module for what the store keeps.

use std::fmt;
use std::path::PathBuf;

use yim_proto::{ChatType, ErrorCode};

use crate::machine::message::ReceivedMessage;

/// A message of the local history (YIM `IYIMMessage` with its local fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HistoryMessage {
    /// The message as delivered (or, for the user's own, as sent: `sender_id` is the user).
    pub message: ReceivedMessage,
    /// YIM `IsRead`: set with `set_message_read`; the user's own messages are read.
    pub is_read: bool,
    /// YIM `IsPlayed` of a voice message: set with `set_voice_message_played`.
    pub is_played: bool,
    /// YIM `GetLocalPath` of a voice message: the file its audio was downloaded to (or, for
    /// the user's own, recorded to); empty when there is none.
    pub local_path: PathBuf,
}

/// A conversation of the private history (YIM `IYIMContactsMessageInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Contact {
    /// The other user.
    pub contact_id: String,
    /// The newest message of the conversation (its create time, content, type and local path
    /// are YIM's contact fields).
    pub last_message: HistoryMessage,
    /// Received messages of the conversation not marked read (YIM `GetNotReadMsgNum`).
    pub unread: u32,
}

/// Which way a history query pages from its start message (YIM's `direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u32)]
pub enum HistoryDirection {
    /// Messages older than the start message (YIM 0).
    Older = 0,
    /// Messages newer than the start message (YIM 1).
    Newer = 1,
}

/// What `delete_history_message` deletes (YIM's three `DeleteHistoryMessage` forms).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum DeleteHistory {
    /// YIM `DeleteHistoryMessage(chatType, time)`: every message of `chat_type` (`Unknown`:
    /// of every chat type) created before `time` (unix seconds; 0: whenever created).
    OlderThan {
        /// Which chat type; `Unknown` for all.
        chat_type: ChatType,
        /// Unix seconds; 0 deletes regardless of time.
        time: u64,
    },
    /// YIM `DeleteHistoryMessage(targetID, chatType, 0, 0)`: the whole conversation.
    Conversation {
        /// The other user, or the room.
        target_id: String,
        /// Private or room.
        chat_type: ChatType,
    },
    /// YIM `DeleteHistoryMessageByID(messageID)`.
    Message {
        /// The message.
        message_id: u64,
    },
}

impl DeleteHistory {
    /// True if the stored message of `target`'s conversation matches.
    pub fn matches(&self, target: &str, message: &ReceivedMessage) -> bool {
        match self {
            DeleteHistory::OlderThan { chat_type, time } => {
                (*chat_type == ChatType::Unknown || *chat_type == message.chat_type)
                    && (*time == 0 || message.create_time < *time)
            }
            DeleteHistory::Conversation {
                target_id,
                chat_type,
            } => *chat_type == message.chat_type && target_id == target,
            DeleteHistory::Message { message_id } => *message_id == message.message_id,
        }
    }
}

/// One page of a conversation's history: at most the count asked for, oldest first, and how
/// many more there are beyond it in the direction asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySlice {
    /// Oldest first.
    pub messages: Vec<HistoryMessage>,
    /// Messages of the conversation past the page, in the direction asked.
    pub remain: u32,
}

/// A stored message with its conversation, as [`HistoryStore::messages`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The other user of a private conversation, or the room.
    pub target: String,
    /// The message and its local fields.
    pub message: HistoryMessage,
}

/// One write to a store; see [`HistoryBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryWrite {
    /// Keeps `message` in `target`'s conversation (nothing if a message with its ID is kept
    /// already), then trims: the conversation's oldest beyond `max_per_conversation`, then the
    /// store's oldest beyond `max_messages`.
    Keep {
        /// The other user, or the room.
        target: String,
        /// The message and its local fields.
        message: HistoryMessage,
        /// The conversation's bound.
        max_per_conversation: usize,
        /// The store's bound.
        max_messages: usize,
    },
    /// Remembers that the message was handed to the application, then forgets the oldest
    /// handed IDs beyond `max_handed`.
    Handed {
        /// The message.
        message_id: u64,
        /// The bound on handed IDs.
        max_handed: usize,
    },
    /// Turns the keeping of a room's messages on or off (kept ones stay).
    RoomSwitch {
        /// The room.
        room_id: String,
        /// On or off.
        save: bool,
    },
    /// Deletes the matching messages.
    Delete(DeleteHistory),
    /// YIM `SetMessageRead`.
    SetRead {
        /// The message.
        message_id: u64,
        /// Read or not.
        read: bool,
    },
    /// YIM `SetAllMessageRead`: the private conversation with `contact_id`, or every message
    /// when `None`.
    SetAllRead {
        /// The other user; `None` for all.
        contact_id: Option<String>,
        /// Read or not.
        read: bool,
    },
    /// YIM `SetVoiceMsgPlayed`.
    SetPlayed {
        /// The voice message.
        message_id: u64,
        /// Played or not.
        played: bool,
    },
    /// Where a voice message's audio was saved.
    SetLocalPath {
        /// The voice message.
        message_id: u64,
        /// The file.
        path: PathBuf,
    },
}

/// Writes committed as one atomic unit by [`HistoryStore::commit`]: after a crash the store
/// holds all of them or none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryBatch {
    writes: Vec<HistoryWrite>,
}

impl HistoryBatch {
    /// An empty batch.
    pub fn new() -> HistoryBatch {
        HistoryBatch::default()
    }

    /// Adds a write after the others.
    pub fn push(&mut self, write: HistoryWrite) {
        self.writes.push(write);
    }

    /// Appends the writes of `other` after these.
    pub fn append(&mut self, other: HistoryBatch) {
        self.writes.extend(other.writes);
    }

    /// True if there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The writes, in order.
    pub fn writes(&self) -> &[HistoryWrite] {
        &self.writes
    }

    /// True if the batch must be on disk before the SDK goes on: it keeps or marks handed a
    /// private message, which is acknowledged to the server right after (and then never sent
    /// again).
    pub fn needs_sync(&self) -> bool {
        self.writes.iter().any(|write| match write {
            HistoryWrite::Keep { message, .. } => message.message.chat_type == ChatType::Private,
            HistoryWrite::Handed { .. } => true,
            _ => false,
        })
    }

    /// The IDs of the messages the batch keeps or marks handed.
    pub fn message_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .writes
            .iter()
            .filter_map(|write| match write {
                HistoryWrite::Keep { message, .. } => Some(message.message.message_id),
                HistoryWrite::Handed { message_id, .. } => Some(*message_id),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// What a commit changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Messages or rooms the writes changed (kept, deleted, marked; rooms switched).
    pub changed: u32,
    /// Local audio files of voice messages that left the store (deleted or trimmed): the
    /// SDK deletes them.
    pub removed_audio: Vec<PathBuf>,
}

/// A store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// Nothing changed: a read failed, or a commit was rolled back (disk full, I/O error).
    #[error("history store: {0}")]
    Failed(String),
    /// The commit failed at its commit point: it may or may not be on disk.
    #[error("history store: a commit's outcome is unknown: {0}")]
    Uncertain(String),
    /// The store's directory could not be created.
    #[error("history store: cannot create the directory: {0}")]
    Directory(String),
}

impl HistoryError {
    /// YIM's code for the failure: `CreateDirectoryFailed` (49) for the directory, else
    /// `ReadWriteFileError` (36).
    pub fn code(&self) -> ErrorCode {
        match self {
            HistoryError::Directory(_) => ErrorCode::CreateDirectoryFailed,
            HistoryError::Failed(_) | HistoryError::Uncertain(_) => ErrorCode::ReadWriteFileError,
        }
    }
}

/// One user's local store. Reads see committed state; every change goes through
/// [`HistoryStore::commit`]. Calls are synchronous and made under the client's one lock.
pub trait HistoryStore: Send + fmt::Debug {
    /// True if the message was handed to the application (within the bounded window).
    fn handed(&self, message_id: u64) -> Result<bool, HistoryError>;
    /// True if the room's messages are kept (its history switch is on).
    fn saves_room(&self, room_id: &str) -> Result<bool, HistoryError>;
    /// The rooms whose messages are kept, in room ID order.
    fn saved_rooms(&self) -> Result<Vec<String>, HistoryError>;
    /// A page of `target`'s conversation of `chat_type`: with `start_message_id` 0, its
    /// newest `count` messages; else the `count` messages nearest to the start message in
    /// `direction` (older: those just before it; newer: those just after it). Oldest first.
    fn page(
        &self,
        chat_type: ChatType,
        target: &str,
        start_message_id: u64,
        count: usize,
        direction: HistoryDirection,
    ) -> Result<HistorySlice, HistoryError>;
    /// The private conversations, newest last message first, at most `max`.
    fn recent_contacts(&self, max: usize) -> Result<Vec<Contact>, HistoryError>;
    /// Every kept message, in message ID order (tests and the simulator's checkers).
    fn messages(&self) -> Result<Vec<Kept>, HistoryError>;
    /// Every handed message ID, in the order handed (tests and the simulator's checkers).
    fn handed_ids(&self) -> Result<Vec<u64>, HistoryError>;
    /// Applies every write of `batch`, in order, as one atomic unit: all of it, or (with
    /// [`HistoryError::Failed`]) none of it.
    fn commit(&mut self, batch: &HistoryBatch) -> Result<Committed, HistoryError>;
}

/// Opens the store of one user of one app: the client's disk.
pub trait HistoryDisk: Send + Sync + fmt::Debug {
    /// The store of `user_id` of `app_key`, created if it does not exist.
    fn open(&self, app_key: &str, user_id: &str) -> Result<Box<dyn HistoryStore>, HistoryError>;
}

/// The conversation a message belongs to for `user_id`: the room, or the other user.
pub fn conversation_of(user_id: &str, message: &ReceivedMessage) -> String {
    if message.chat_type == ChatType::Room || message.sender_id == user_id {
        message.receiver_id.clone()
    } else {
        message.sender_id.clone()
    }
}
