//! A scenario is data: the clients, the rooms, the operations over simulated time and the
//! fault schedule. A run is a pure function of a scenario (its seed seeds turmoil), so a
//! scenario saved to a file replays exactly.

use std::path::Path;

use serde::{Deserialize, Serialize};
use yim_server::store::Durability;

/// One logical SDK client (an app on one device). Several clients may share a user: a
/// second device of the same player.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSpec {
    /// The user ID it logs in as.
    pub user: String,
    /// The user's password.
    pub password: String,
    /// Which client host (turmoil host `c<host>`) runs it.
    pub host: usize,
}

/// The login token a login carries (see `yim_proto::auth`): one the game's backend issued
/// for this user and still valid, one that expired an hour ago, one whose MAC is forged, or
/// a valid one issued for another user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Issued for this user, and still valid.
    Valid,
    /// Issued for this user, expired an hour ago.
    Expired,
    /// Its MAC is forged.
    Forged,
    /// Valid, but issued for another user.
    OtherUser,
}

impl TokenKind {
    /// Only a valid token of the user's own may let a login in.
    pub fn accepted(self) -> bool {
        self == TokenKind::Valid
    }
}

/// Something a client app or the operator does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A login with the right password.
    Login {
        /// The client index.
        client: usize,
    },
    /// A login with a wrong password.
    LoginWrongPassword {
        /// The client index.
        client: usize,
    },
    /// A login with the right password and a login token of the given kind.
    LoginToken {
        /// The client index.
        client: usize,
        /// The kind of token the login carries.
        token: TokenKind,
    },
    /// A login with a user ID YIM does not allow.
    LoginInvalidName {
        /// The client index.
        client: usize,
    },
    /// Joins the room.
    Join {
        /// The client index.
        client: usize,
        /// The room's index in `Scenario::rooms`.
        room: usize,
    },
    /// Leaves the room.
    Leave {
        /// The client index.
        client: usize,
        /// The room's index in `Scenario::rooms`.
        room: usize,
    },
    /// Leaves every room.
    LeaveAll {
        /// The client index.
        client: usize,
    },
    /// Asks for the room's member count.
    CountMembers {
        /// The client index.
        client: usize,
        /// The room's index in `Scenario::rooms`.
        room: usize,
    },
    /// A text (or custom, binary) message to a room; its content is unique in the run.
    SendRoom {
        /// The client index.
        client: usize,
        /// The room's index in `Scenario::rooms`.
        room: usize,
        /// A custom (binary) message instead of text.
        custom: bool,
    },
    /// A private message to the user of client `to`.
    SendPrivate {
        /// The client index.
        client: usize,
        /// The receiver's client index.
        to: usize,
        /// A custom (binary) message instead of text.
        custom: bool,
    },
    /// A voice message to the room, or to the user of client `to`: the app records
    /// tone-coded speech of its content for the speech's natural length, then stops and sends
    /// it (with speech to text), or cancels it.
    SendVoice {
        /// The client index.
        client: usize,
        /// The room's index in `Scenario::rooms`.
        room: usize,
        /// The receiver's client index, for a private message; `None`: the room.
        to: Option<usize>,
        /// Cancel the recording instead of sending it.
        cancel: bool,
    },
    /// Operator: mute the user of client `user` in the room, or the whole room if `None`.
    Mute {
        /// The room's index in `Scenario::rooms`.
        room: usize,
        /// The client index of the user muted; `None`: the whole room.
        user: Option<usize>,
        /// The mute's reason code.
        reason: u32,
        /// How long the mute lasts.
        duration_ms: u64,
    },
    /// Operator: unmute the user of client `user` in the room, or the whole room if `None`.
    Unmute {
        /// The room's index in `Scenario::rooms`.
        room: usize,
        /// The client index of the user unmuted; `None`: the whole room.
        user: Option<usize>,
    },
    /// Logs out.
    Logout {
        /// The client index.
        client: usize,
    },
    /// The app is closed (its SDK shut down) and started again, logged out.
    AppRestart {
        /// The client index.
        client: usize,
    },
    /// Another account on the same client while a voice message is being recorded: the app
    /// starts recording to the user of client `to`, logs out, logs in as the player's second
    /// account (`{user}_alt`), stops the recording (which ended with the first session, so
    /// nothing may be sent, least of all as the second account), logs out and logs back in as
    /// the player. The client's later ops wait for it.
    SwitchAccount {
        /// The client index.
        client: usize,
        /// The client index of the recording's receiver.
        to: usize,
    },
    /// A curious player: the app asks for the audio of the latest voice message delivered to
    /// anyone in the run, by its message ID, whether or not it was sent to this player.
    Eavesdrop {
        /// The client index.
        client: usize,
    },
}

impl Op {
    /// The client this op runs on; `None` for operator ops.
    pub fn client(&self) -> Option<usize> {
        match *self {
            Op::Login { client }
            | Op::LoginWrongPassword { client }
            | Op::LoginToken { client, .. }
            | Op::LoginInvalidName { client }
            | Op::Join { client, .. }
            | Op::Leave { client, .. }
            | Op::LeaveAll { client }
            | Op::CountMembers { client, .. }
            | Op::SendRoom { client, .. }
            | Op::SendPrivate { client, .. }
            | Op::SendVoice { client, .. }
            | Op::Logout { client }
            | Op::AppRestart { client }
            | Op::SwitchAccount { client, .. }
            | Op::Eavesdrop { client } => Some(client),
            Op::Mute { .. } | Op::Unmute { .. } => None,
        }
    }
}

/// Which way a partition cuts a client host off the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Nothing passes either way.
    Both,
    /// The client host's packets to the server are lost.
    ToServer,
    /// The server's packets to the client host are lost.
    FromServer,
}

/// A host whose clock can be skewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostRef {
    /// The server's host.
    Server,
    /// Client host `c<n>`.
    Client(usize),
}

/// What a restarted server finds of the commits whose sync failed (see `crate::disk`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsyncedFate {
    /// They are on the disk after all.
    Kept,
    /// They are gone (the kernel dropped their pages).
    Lost,
    /// The kernel keeps their pages in its cache, marked clean, so the restarted process
    /// reads them, but no later sync writes them: they vanish at the next power loss unless
    /// the store rewrites them (the "fsync-gate" case; `SqliteStore` checkpoints at open).
    VisibleUntilPowerLoss,
}

impl UnsyncedFate {
    /// The fault kind of a sync failure with this fate, for statistics.
    pub fn kind(self) -> &'static str {
        match self {
            UnsyncedFate::Kept => "sync_failure_kept",
            UnsyncedFate::Lost => "sync_failure_lost",
            UnsyncedFate::VisibleUntilPowerLoss => "sync_failure_visible",
        }
    }
}

/// A fault, applied by the runner at its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Cuts the client host off the server.
    Partition {
        /// The client host's index.
        host: usize,
        /// Which way is cut.
        direction: Direction,
    },
    /// Ends the client host's partition.
    Repair {
        /// The client host's index.
        host: usize,
    },
    /// Messages between the client host and the server are held (a long delay) until release.
    Hold {
        /// The client host's index.
        host: usize,
    },
    /// Releases the client host's held messages.
    Release {
        /// The client host's index.
        host: usize,
    },
    /// Changes the maximum latency of every link.
    Latency {
        /// The new maximum latency.
        max_ms: u64,
    },
    /// The server crashes between two inputs, now.
    ServerCrash,
    /// The server, if down, starts again over its disk; any armed crash point is disarmed.
    ServerRestart,
    /// The server crashes at its next commit (the sweep's purge-only commits aside):
    /// `durable`: after the commit is durable, so its outputs never leave (the reply is lost
    /// although the write is on disk); else before, losing the commit. Armed until it
    /// strikes or the next `ServerRestart`.
    CrashAtCommit {
        /// Crash after the commit is durable (else before it).
        durable: bool,
    },
    /// The server crashes right after the next commit that stores a chunk of a voice
    /// upload, in the middle of the upload and its voice message (the chunk is durable, its
    /// reply lost; the SDK resumes the upload). Armed until it strikes or the next
    /// `ServerRestart`.
    CrashMidUpload,
    /// The server host loses power: it crashes now, and the commits not yet synced are lost
    /// (under `full`, those whose sync has not returned; see `crate::disk`).
    PowerLoss,
    /// The server dies at its next sync that has commits to make durable, after their
    /// commits and before the sync returns, so that the outputs held for them never leave:
    /// `power_loss`: the host loses power there, losing those commits; else the process
    /// crashes and they survive. Armed until it strikes or the next `ServerRestart`.
    CrashAtSync {
        /// The host loses power (else only the process crashes).
        power_loss: bool,
    },
    /// The server's next sync that has commits to make durable fails: the core halts
    /// without releasing the outputs held for them and the process restarts; what the
    /// restarted server finds of those commits is `fate`. Armed until it strikes or the next
    /// `ServerRestart`.
    SyncFailure {
        /// What becomes of the commits the failed sync was for.
        fate: UnsyncedFate,
    },
    /// The next `commits` commits fail and write nothing (disk full, an I/O error).
    StoreFailure {
        /// How many commits fail.
        commits: u32,
    },
    /// The client host crashes: its apps die with it.
    ClientHostCrash {
        /// The client host's index.
        host: usize,
    },
    /// The crashed client host starts again, its clients' disks reopened.
    ClientHostRestart {
        /// The client host's index.
        host: usize,
    },
    /// The client host crashes right after the next commit of an SDK's local store that keeps
    /// or marks handed a message (see `crate::client_disk`): the message is on the disk, its
    /// hand-over never reaches the game, its acknowledgement may or may not leave. Armed until
    /// it strikes or the next `ClientHostRestart` of the host.
    ClientCrashAtStore {
        /// The client host's index.
        host: usize,
    },
    /// Sets a host's clock offset.
    ClockSkew {
        /// The host whose clock is skewed.
        host: HostRef,
        /// The offset from simulated time.
        offset_ms: i64,
    },
}

impl Fault {
    /// The fault's kind, for statistics.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Partition {
                direction: Direction::Both,
                ..
            } => "partition",
            Fault::Partition { .. } => "partition_oneway",
            Fault::Repair { .. } => "repair",
            Fault::Hold { .. } => "hold",
            Fault::Release { .. } => "release",
            Fault::Latency { .. } => "latency",
            Fault::ServerCrash => "server_crash",
            Fault::ServerRestart => "server_restart",
            Fault::CrashAtCommit { durable: true } => "crash_after_commit",
            Fault::CrashAtCommit { durable: false } => "crash_before_commit",
            Fault::CrashMidUpload => "crash_mid_upload",
            Fault::PowerLoss => "power_loss",
            Fault::CrashAtSync { power_loss: false } => "crash_at_sync",
            Fault::CrashAtSync { power_loss: true } => "power_loss_at_sync",
            Fault::SyncFailure { fate } => fate.kind(),
            Fault::StoreFailure { .. } => "store_failure",
            Fault::ClientHostCrash { .. } => "client_crash",
            Fault::ClientHostRestart { .. } => "client_restart",
            Fault::ClientCrashAtStore { .. } => "client_crash_at_store",
            Fault::ClockSkew { .. } => "clock_skew",
        }
    }

    /// True for faults that break TCP connections (turmoil's TCP has no retransmission, so
    /// lost segments stall a stream until a heartbeat times out).
    pub fn breaks_connections(&self) -> bool {
        matches!(
            self,
            Fault::Partition { .. }
                | Fault::Hold { .. }
                | Fault::ServerCrash
                | Fault::CrashAtCommit { .. }
                | Fault::CrashMidUpload
                | Fault::PowerLoss
                | Fault::CrashAtSync { .. }
                | Fault::SyncFailure { .. }
                | Fault::ClientHostCrash { .. }
                | Fault::ClientCrashAtStore { .. }
        )
    }

    /// True for faults that wait for a commit to strike: statistics count them when they
    /// strike, not when they are armed.
    pub fn is_armed(&self) -> bool {
        matches!(
            self,
            Fault::CrashAtCommit { .. }
                | Fault::CrashMidUpload
                | Fault::CrashAtSync { .. }
                | Fault::SyncFailure { .. }
                | Fault::StoreFailure { .. }
                | Fault::ClientCrashAtStore { .. }
        )
    }
}

/// An op at its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedOp {
    /// Simulated time, ms since the run began.
    pub at_ms: u64,
    /// The op.
    #[serde(flatten)]
    pub op: Op,
}

/// A fault at its time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedFault {
    /// Simulated time, ms since the run began.
    pub at_ms: u64,
    /// The fault.
    #[serde(flatten)]
    pub fault: Fault,
}

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// Seeds turmoil (latencies) and the server's nonces and salts.
    pub seed: u64,
    /// How many client hosts (`c0`, `c1`, ...) run the clients.
    pub client_hosts: usize,
    /// The clients, by index.
    pub clients: Vec<ClientSpec>,
    /// The room IDs, by index.
    pub rooms: Vec<String>,
    /// Sorted by time.
    pub ops: Vec<TimedOp>,
    /// Sorted by time; all within the safety phase.
    pub faults: Vec<TimedFault>,
    /// Faults are on until here; then everything heals.
    pub safety_ms: u64,
    /// After healing, the system must converge within this long.
    pub liveness_ms: u64,
    /// The links' minimum latency.
    pub min_latency_ms: u64,
    /// The links' maximum latency (before any `Latency` fault).
    pub max_latency_ms: u64,
    /// The SDK's reconnect budget in every client (`ClientConfig::reconnect_budget_ms`).
    #[serde(default = "default_reconnect_budget_ms")]
    pub reconnect_budget_ms: u64,
    /// Room messages the server keeps per room for resuming members; `None`: the server's
    /// default. Small logs make reconnecting members miss messages they must be told about.
    #[serde(default)]
    pub room_log_messages: Option<usize>,
    /// The server store's durability (`[store] durability`); a power loss needs `normal`.
    #[serde(default)]
    pub durability: Durability,
    /// Under `normal`, the simulated disk syncs at a checkpoint every this many commits
    /// (besides the commits that are always synced); see `crate::disk`.
    #[serde(default = "default_checkpoint_commits")]
    pub checkpoint_commits: u32,
    /// The first message ID the server hands out (its store starts with this mark); `None`:
    /// 1, as on a fresh store. Starting just below a power of ten (or 2^32, 2^53) makes IDs
    /// cross it in the run, where ordering by text or narrow integers goes wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_message_id: Option<u64>,
}

fn default_reconnect_budget_ms() -> u64 {
    yim_sdk::ClientConfig::DEFAULT_RECONNECT_BUDGET_MS
}

fn default_checkpoint_commits() -> u32 {
    16
}

/// A scenario file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario could not be parsed from JSON or written as JSON.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: String,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The scenario breaks a rule (an index out of range, ops out of order...).
    #[error("invalid scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Total simulated time of a run.
    pub fn duration_ms(&self) -> u64 {
        self.safety_ms + self.liveness_ms
    }

    /// Reads a scenario from a JSON file and checks it.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: shown.clone(),
            source,
        })?;
        let scenario: Scenario =
            serde_json::from_str(&text).map_err(|source| ScenarioError::Json {
                path: shown,
                source,
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Writes the scenario as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), ScenarioError> {
        let shown = path.display().to_string();
        let text = serde_json::to_string_pretty(self).map_err(|source| ScenarioError::Json {
            path: shown.clone(),
            source,
        })?;
        std::fs::write(path, text + "\n").map_err(|source| ScenarioError::Io {
            path: shown,
            source,
        })
    }

    /// Every index in range, times sorted, at least one host.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let bad = |what: String| Err(ScenarioError::Invalid(what));
        if self.client_hosts == 0 || self.clients.iter().any(|c| c.host >= self.client_hosts) {
            return bad("client host out of range".into());
        }
        if self.min_latency_ms > self.max_latency_ms {
            return bad("min latency above max latency".into());
        }
        let clients = self.clients.len();
        let rooms = self.rooms.len();
        for timed in &self.ops {
            let ok = match &timed.op {
                Op::Join { client, room }
                | Op::Leave { client, room }
                | Op::CountMembers { client, room }
                | Op::SendRoom { client, room, .. } => *client < clients && *room < rooms,
                Op::SendPrivate { client, to, .. } | Op::SwitchAccount { client, to } => {
                    *client < clients && *to < clients
                }
                Op::SendVoice {
                    client, room, to, ..
                } => *client < clients && *room < rooms && to.is_none_or(|t| t < clients),
                Op::Mute {
                    room, user, reason, ..
                } => *room < rooms && user.is_none_or(|u| u < clients) && *reason <= 7,
                Op::Unmute { room, user } => *room < rooms && user.is_none_or(|u| u < clients),
                op => op.client().is_some_and(|c| c < clients),
            };
            if !ok {
                return bad(format!("op out of range: {timed:?}"));
            }
        }
        for timed in &self.faults {
            let ok = match &timed.fault {
                Fault::Partition { host, .. }
                | Fault::Repair { host }
                | Fault::Hold { host }
                | Fault::Release { host }
                | Fault::ClientHostCrash { host }
                | Fault::ClientHostRestart { host }
                | Fault::ClockSkew {
                    host: HostRef::Client(host),
                    ..
                } => *host < self.client_hosts,
                Fault::Latency { .. } => true,
                _ => true,
            };
            if !ok || timed.at_ms >= self.safety_ms {
                return bad(format!("fault out of range: {timed:?}"));
            }
        }
        if !self.ops.windows(2).all(|w| w[0].at_ms <= w[1].at_ms)
            || !self.faults.windows(2).all(|w| w[0].at_ms <= w[1].at_ms)
        {
            return bad("ops and faults must be sorted by time".into());
        }
        Ok(())
    }
}
