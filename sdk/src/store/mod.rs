//! The SDK's local message store: what the history calls read and what makes delivery exactly
//! once across app restarts.
//!
//! What it is: two seams and the data they speak. A [`HistoryDisk`] opens one user's
//! [`HistoryStore`] (one per app key and user); a store answers reads and applies a
//! [`HistoryBatch`] of writes as one atomic unit ([`HistoryStore::commit`]). It keeps:
//! - the messages of the user's history ([`HistoryMessage`]): received ones, the user's own
//!   sent ones, and room messages of the rooms whose history switch is on, each under its
//!   conversation (the chat type and the other user or the room), bounded per conversation
//!   and in total, oldest (lowest message ID) trimmed first;
//! - the IDs of the messages handed to the application (bounded, oldest forgotten first), so a
//!   message the server sends again is never handed over twice, also after a restart;
//! - which rooms' history is kept (YIM's `SetRoomHistoryMessageSwitch`, off by default).
//!
//! Two implementations: [`MemoryDisk`] (the default when the game gives no directory: nothing
//! survives the process, as before the store existed; the simulator keeps a handle that
//! outlives the app, as a disk would) and [`SqliteDisk`] (one SQLite file per app key and user
//! under the game's directory). What it is not: the rules of what is kept and when (the
//! machine's `deliver` and `history`), or the history calls' parameter checks.

mod memory;
mod sqlite;
mod types;

pub use memory::MemoryDisk;
pub use sqlite::SqliteDisk;
pub use types::{
    conversation_of, Committed, Contact, DeleteHistory, HistoryBatch, HistoryDirection,
    HistoryDisk, HistoryError, HistoryMessage, HistorySlice, HistoryStore, HistoryWrite, Kept,
};

#[cfg(test)]
pub(crate) mod conformance;
