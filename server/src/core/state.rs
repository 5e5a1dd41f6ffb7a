//! The state a `ServerCore` keeps between inputs: the core itself and what it holds (its
//! connections and their roles, the rooms in memory, the message-ID allocator, the store).
//! Only data: the rules that change it are `impl ServerCore` blocks in `core` (the input
//! machinery: the commit rule, group commit, dispatch, the helpers the rules share) and in
//! its rule modules (`login`, `rooms`, `messaging`, ...), which all import it from here.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand_chacha::ChaCha8Rng;

use super::io::{ConnId, Output};
use super::login_state::{PendingLogin, Throttles};
use super::mute_table::MuteTable;
use super::sessions::Sessions;
use super::throttle;
use crate::config::Limits;
use crate::store::{Store, StoreError, WriteBatch};

#[derive(Debug)]
pub(super) struct Connection {
    pub(super) peer: String,
    pub(super) connected_ms: u64,
    pub(super) last_received_ms: u64,
    /// The challenge nonce sent at connect.
    pub(super) nonce: Vec<u8>,
    pub(super) role: Role,
    /// A login of this connection waits for its password hash (the job's ID).
    pub(super) hashing: Option<u64>,
}

#[derive(Debug)]
pub(super) enum Role {
    /// Connected, not logged in yet.
    Pending,
    User(UserSession),
    Admin {
        app_key: String,
    },
}

#[derive(Debug)]
pub(super) struct UserSession {
    pub(super) app_key: String,
    pub(super) user_id: String,
    pub(super) rooms: BTreeSet<String>,
}

/// App key and user or room ID.
pub(super) type Scoped = (String, String);

#[derive(Debug, Default)]
pub(super) struct Room {
    pub(super) members: BTreeSet<String>,
    /// The sequence number of the room's last message: read from the store when the room is
    /// created in memory, and written there (with the message, in the room log) before each
    /// new message goes out.
    pub(super) last_seq: u64,
    /// The room's send rate (`room_sends`).
    pub(super) sends: throttle::Bucket,
}

/// Hands out message IDs from blocks reserved in the store, so IDs stay unique across
/// restarts: an ID at or past the committed end of the block stages the reservation of a
/// new block (a [`Write::MessageIdMark`](crate::store::Write::MessageIdMark)) in the input
/// that takes it, and the block counts only once that input's commit succeeds. IDs taken by
/// an input whose commit failed are skipped, never reused.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct MessageIds {
    pub(super) next: u64,
    /// IDs below this are reserved in the store.
    pub(super) end: u64,
    /// The end reserved by the writes staged now, if any.
    pub(super) staged_end: u64,
}

/// See the module doc of [`crate::core`].
#[derive(Debug)]
pub struct ServerCore {
    pub(super) apps: BTreeMap<String, String>,
    pub(super) limits: Limits,
    pub(super) store: StoreBox,
    pub(super) rng: ChaCha8Rng,
    pub(super) connections: BTreeMap<ConnId, Connection>,
    pub(super) sessions: Sessions,
    pub(super) rooms: BTreeMap<Scoped, Room>,
    /// Counts changes of `sessions` and of the rooms' members, so the membership report (a
    /// probe for the simulator) is built only after an input that changed them.
    pub(super) membership_changes: u64,
    /// `membership_changes` when the membership was last reported.
    pub(super) membership_reported: u64,
    pub(super) mutes: MuteTable,
    pub(super) message_ids: MessageIds,
    pub(super) next_sweep_ms: u64,
    /// The writes of the input being handled (see the module doc of `core`).
    pub(super) batch: WriteBatch,
    /// Commits made by the input being handled (at most one).
    pub(super) commits_in_input: u32,
    /// The outputs of the input being handled, released when it ends.
    pub(super) pending: Vec<Output>,
    /// Outputs of inputs that ended, waiting for the store's sync (see the module doc of
    /// `core`).
    pub(super) held: Vec<Output>,
    /// A commit has returned since the last sync.
    pub(super) unsynced: bool,
    /// Released outputs, for `poll_output`.
    pub(super) outputs: VecDeque<Output>,
    /// Set by a commit whose outcome is unknown: the core handles nothing more.
    pub(super) halt: Option<StoreError>,
    /// Whether the store already held data when this core started (a restart).
    pub(super) restarted: bool,
    /// Logins waiting for their password hash, by job ID (see the module doc of `core`).
    pub(super) hashing: BTreeMap<u64, PendingLogin>,
    pub(super) next_hash_job: u64,
    /// The login rate limits.
    pub(super) throttles: Throttles,
    /// Connections that have not logged in.
    pub(super) unauthenticated: usize,
}

/// `Box<dyn Store>` with a Debug impl.
pub(super) struct StoreBox(pub(super) Box<dyn Store>);

impl std::fmt::Debug for StoreBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}
