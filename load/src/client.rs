//! What every load client is given and takes: its plan (user, rooms), the commands the
//! dispatcher sends it, and the handle the run keeps. The two kinds of client are in `raw`
//! (the protocol by hand, cheap enough for thousands) and `sdk_client` (the SDK's `Client`,
//! with its heartbeats, acknowledgements and dedupe).

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::stats::{Kind, Shared};

/// The app the load logs into (the server config the tool writes hosts it).
pub const APP_KEY: &str = "load_app";
/// The load app's secret, for the login's challenge proof.
pub const APP_SECRET: &str = "load_secret";
/// Every load user's password (`yim-server` registers a user at its first login).
pub const PASSWORD: &str = "load_pw";
/// How many sends one client may have queued before the dispatcher counts a backlog.
pub const COMMAND_QUEUE: usize = 256;
/// Raw clients ping this often (the server closes connections idle for 45 s).
pub const PING_INTERVAL_MS: u64 = 10_000;

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A room, by index into [`Names::rooms`].
    Room(usize),
    /// A user, by client index into [`Names::users`].
    User(usize),
}

/// One send the dispatcher asks of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendCommand {
    /// What to send.
    pub kind: Kind,
    /// Where to.
    pub target: Target,
    /// When the send was due, on the run's clock: latency counts from here, so a client that
    /// could not write in time is charged for it.
    pub stamp_ns: u64,
    /// The dispatcher's count of sends (from 1): makes the payload and idempotency key unique.
    pub seq: u64,
}

/// What a client needs to know to take part.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    /// The client's index: its user is `names.users[index]`, its stats shard follows from it.
    pub index: usize,
    /// Rooms to join, by index.
    pub rooms: Vec<usize>,
    /// Every room and user name of the run.
    pub names: Arc<Names>,
    /// Bytes of each text message (and of a voice message's stamped `extra_param`).
    pub text_bytes: usize,
    /// Bytes of audio uploaded for each voice message.
    pub voice_bytes: usize,
    /// Where the client records what it sees.
    pub shared: Arc<Shared>,
}

/// Room and user names by index.
#[derive(Debug, Clone)]
pub struct Names {
    /// Room IDs by room index.
    pub rooms: Vec<String>,
    /// User IDs by client index.
    pub users: Vec<String>,
}

/// A connected, logged-in client.
#[derive(Debug)]
pub struct ClientHandle {
    /// The client's index ([`ClientPlan::index`]).
    pub index: usize,
    /// Whether it is the SDK's `Client` (it sends no voice messages) or a raw client.
    pub sdk: bool,
    /// Rooms the client is in (the joins that succeeded).
    pub joined: Vec<usize>,
    /// The client's send queue ([`COMMAND_QUEUE`] long).
    pub commands: mpsc::Sender<SendCommand>,
    /// The client's tasks (reader and writer, or the SDK client's event loop).
    pub tasks: Vec<JoinHandle<()>>,
    /// Keeps an SDK client alive (its driver stops when the last handle goes).
    pub sdk_client: Option<yim_sdk::Client>,
}

impl ClientHandle {
    /// Stops the client's tasks and closes its connection.
    pub fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(client) = &self.sdk_client {
            client.shutdown();
        }
    }
}

/// Why a client could not get going.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The TCP connection could not be made.
    #[error("connecting: {0}")]
    Connect(std::io::Error),
    /// The connection broke, or the server sent something unreadable, during setup.
    #[error("the connection ended during setup: {0}")]
    Closed(String),
    /// The login (or, for an SDK client, a call during setup) was refused with this YIM code.
    #[error("login refused: code {0}")]
    LoginRefused(u32),
    /// Setup took longer than this many seconds.
    #[error("no answer during setup within {0} s")]
    Timeout(u64),
}
