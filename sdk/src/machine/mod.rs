//! The sans-IO client: `ClientMachine` holds every rule of the YIM session and decides
//! everything observable, without ever reading a clock or touching a socket.
//!
//! What it is: inputs (`init`, `handle_call`, `handle_connected`, `handle_frame`,
//! `handle_disconnect`, `handle_timeout`, each given the time `now_ms` on the driver's clock)
//! and outputs (`poll_action`, `poll_transmit`, `poll_event`, `poll_timeout`), in the style of
//! quinn-proto. What it is not: a driver. Someone else opens connections, moves bytes, keeps
//! time and hands the events to the application (see `crate::client`).
//!
//! The rules are split by concern: `dispatch` (calls), `receive` (frames), `session`
//! (connection start and end), `reconnect` (getting a lost session back: attempts, backoff,
//! resume with room re-joins and replays), `timers` (request time-outs and the heartbeat).

mod call;
mod delivered;
mod dispatch;
mod event;
mod inbound;
mod outbound;
mod pending;
mod receive;
mod reconnect;
mod session;
mod state;
mod timers;
mod validate;
mod voice;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use yim_proto::rng::SplitMix64;
use yim_proto::{ErrorCode, Frame};

use crate::config::{ClientConfig, ServerZone};

pub use call::{Call, RequestId};
pub use event::{
    Action, AudioStatus, Event, MessageBody, ReceivedMessage, ReconnectResult, SendStatus,
};

pub use state::State;
pub use validate::{MAX_APP_KEY_BYTES, MAX_APP_SECRET_BYTES};
pub use voice::Recorded;

use pending::PendingCalls;
use reconnect::{Internal, Reconnect};
use session::Session;

/// What `init` set: the app's key and secret and the zone to connect to.
#[derive(Debug, Clone)]
struct Settings {
    app_key: String,
    app_secret: String,
    zone: ServerZone,
}

/// The YIM client session as a pure state machine. See the module docs.
#[derive(Debug)]
pub struct ClientMachine {
    config: ClientConfig,
    settings: Option<Settings>,
    state: State,
    /// Present exactly while `state.has_connection()`.
    session: Option<Session>,
    pending: PendingCalls,
    joined_rooms: BTreeSet<String>,
    /// For each joined room, the sequence number of the last room message delivered (or the
    /// room's last at the join): a resume asks the server for what came after it, and a room
    /// message at or below it is not delivered again.
    room_cursors: BTreeMap<String, u64>,
    /// Present exactly while `state == Reconnecting`.
    reconnect: Option<Reconnect>,
    /// Requests the machine made on its own (the resume login, room re-joins): their replies
    /// complete no call.
    internal: BTreeMap<RequestId, Internal>,
    rng: SplitMix64,
    /// The voice recording under way (see `voice`).
    recording: Option<voice::ActiveRecording>,
    /// Downloads whose audio the driver is saving: request -> (message ID, path).
    saving: BTreeMap<RequestId, (u64, String)>,
    /// A room message held back by the planted `ReorderRoom` bug.
    planted_held: Option<ReceivedMessage>,
    last_request_id: u64,
    last_ping_nonce: u64,
    events: VecDeque<Event>,
    transmits: VecDeque<Frame>,
    actions: VecDeque<Action>,
    /// Kept across sessions: see `delivered`.
    delivered: delivered::DeliveredWindow,
}

impl ClientMachine {
    /// A machine in `State::Uninitialised`, with random numbers from seed 0 (see
    /// [`ClientMachine::with_seed`]).
    pub fn new(config: ClientConfig) -> ClientMachine {
        ClientMachine::with_seed(config, 0)
    }

    /// A machine in `State::Uninitialised` whose random numbers (reconnect jitter, send
    /// idempotency keys) come from `rng_seed`. Give each client its own seed.
    pub fn with_seed(config: ClientConfig, rng_seed: u64) -> ClientMachine {
        let delivered = delivered::DeliveredWindow::new(config.delivered_window);
        ClientMachine {
            delivered,
            room_cursors: BTreeMap::new(),
            reconnect: None,
            internal: BTreeMap::new(),
            rng: SplitMix64::new(rng_seed),
            planted_held: None,
            recording: None,
            saving: BTreeMap::new(),
            config,
            settings: None,
            state: State::Uninitialised,
            session: None,
            pending: PendingCalls::default(),
            joined_rooms: BTreeSet::new(),
            last_request_id: 0,
            last_ping_nonce: 0,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
        }
    }

    /// YIM `Init(appKey, appSecret, zone)`: synchronous, no completion event.
    ///
    /// Empty (or over-long) key or secret, or a zone missing from the configured zone table:
    /// `ParamInvalid`. Calling it again while logged out replaces the settings; while a
    /// session is being set up, is up, or is being closed: `StatusError`.
    pub fn init(
        &mut self,
        app_key: &str,
        app_secret: &str,
        zone: ServerZone,
    ) -> Result<(), ErrorCode> {
        if self.state.has_connection() {
            return Err(ErrorCode::StatusError);
        }
        validate::check_init(app_key, app_secret)?;
        if !self.config.zones.contains_key(&zone) {
            return Err(ErrorCode::ParamInvalid);
        }
        self.settings = Some(Settings {
            app_key: app_key.to_owned(),
            app_secret: app_secret.to_owned(),
            zone,
        });
        self.state = State::LoggedOut;
        Ok(())
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration the machine was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The user of the current (or starting) session.
    pub fn user_id(&self) -> Option<&str> {
        self.session
            .as_ref()
            .map(|s| s.credentials.user_id.as_str())
    }

    /// Rooms joined in this session: added by successful joins, removed by successful leaves,
    /// cleared when the session ends.
    pub fn joined_rooms(&self) -> &BTreeSet<String> {
        &self.joined_rooms
    }

    /// Calls accepted and not yet completed.
    pub fn pending_calls(&self) -> usize {
        self.pending.len()
    }

    /// Events waiting for `poll_event`.
    pub fn queued_events(&self) -> usize {
        self.events.len()
    }

    /// False while more than `max_queued_events` events wait: the driver should stop reading
    /// frames until the application drains events (backpressure, nothing is dropped).
    pub fn wants_frames(&self) -> bool {
        self.events.len() <= self.config.max_queued_events
    }

    /// The next connection command for the driver.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// True if frames wait for `poll_transmit`.
    pub fn has_transmits(&self) -> bool {
        !self.transmits.is_empty()
    }

    /// The next frame to write to the current connection.
    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.transmits.pop_front()
    }

    /// The next event for the application.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn next_request_id(&mut self) -> RequestId {
        self.last_request_id += 1;
        RequestId(self.last_request_id)
    }

    /// Queues a frame on the current connection and notes the time for the heartbeat.
    fn send(&mut self, now_ms: u64, frame: Frame) {
        if let Some(session) = &mut self.session {
            session.last_sent_ms = now_ms;
        }
        self.transmits.push_back(frame);
    }
}
