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
pub const APP_SECRET: &str = "load_secret";
pub const PASSWORD: &str = "load_pw";
/// How many sends one client may have queued before the dispatcher counts a backlog.
pub const COMMAND_QUEUE: usize = 256;
/// Raw clients ping this often (the server closes connections idle for 45 s).
pub const PING_INTERVAL_MS: u64 = 10_000;

/// Where a send goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Room(usize),
    User(usize),
}

/// One send the dispatcher asks of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendCommand {
    pub kind: Kind,
    pub target: Target,
    /// When the send was due, on the run's clock: latency counts from here, so a client that
    /// could not write in time is charged for it.
    pub stamp_ns: u64,
    pub seq: u64,
}

/// What a client needs to know to take part.
#[derive(Debug, Clone)]
pub struct ClientPlan {
    pub index: usize,
    pub rooms: Vec<usize>,
    pub names: Arc<Names>,
    pub text_bytes: usize,
    pub voice_bytes: usize,
    pub shared: Arc<Shared>,
}

/// Room and user names by index.
#[derive(Debug, Clone)]
pub struct Names {
    pub rooms: Vec<String>,
    pub users: Vec<String>,
}

/// A connected, logged-in client.
#[derive(Debug)]
pub struct ClientHandle {
    pub index: usize,
    pub sdk: bool,
    /// Rooms the client is in (the joins that succeeded).
    pub joined: Vec<usize>,
    pub commands: mpsc::Sender<SendCommand>,
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
    #[error("connecting: {0}")]
    Connect(std::io::Error),
    #[error("the connection ended during setup: {0}")]
    Closed(String),
    #[error("login refused: code {0}")]
    LoginRefused(u32),
    #[error("no answer during setup within {0} s")]
    Timeout(u64),
}
