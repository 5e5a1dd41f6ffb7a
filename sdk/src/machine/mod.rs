//! The sans-IO client: `ClientMachine` holds every rule of the YIM session, voice included,
//! and decides everything observable, without ever reading a clock, touching a socket, a
//! device or a file.
//!
//! What it is: inputs (`init`, `handle_call`, `handle_connected`, `handle_frame`,
//! `handle_disconnect`, `handle_timeout`, and the audio side's answers `handle_recorded`,
//! `handle_capture_failed`, `handle_saved`, `handle_record_level`, `handle_played`, each
//! given the time `now_ms` on the driver's monotonic clock where time matters) and outputs
//! (`poll_action`, `poll_audio`, `poll_transmit`, `poll_event`, `poll_timeout`), in the style
//! of quinn-proto. What it is not: a driver. Someone else opens connections, moves bytes,
//! records and plays audio, writes files, keeps time and hands the events to the application
//! (see `crate::driver`).
//!
//! The modules are layered and import only from the layers above them in this list:
//! 1. data: `call`, `message`, `status`, `event`, `action`, `state`;
//! 2. the pending table, with no rules: `pending`; then the machine's own state: `phase`;
//! 3. pure conversions and checks: `outbound` (frames), `inbound` (replies, messages),
//!    `validate` (parameters and states);
//! 4. this file (the `ClientMachine` and its outputs), then the one completion function:
//!    `complete`;
//! 5. the rules, each an `impl ClientMachine` block that imports nothing from another rule:
//!    `dispatch` (calls), `receive` (frames), `deliver` (messages to the application),
//!    `session` (a connection's start and every way a session ends), `reconnect`, `timers`
//!    (time-outs, heartbeat, the 60 s recording limit), `order` (sends leave in order behind
//!    a voice upload), `voice` (recordings), `upload` (a voice message's chunks and send),
//!    `download`, `write_queue` (the bound on frames waiting to be written), `history` (the
//!    local history: what is kept, the calls on it), `room_history` (room history from the
//!    server, paged and deduplicated).
//!
//! The local history store (`crate::store`) is a seam like the others, but a synchronous one
//! the machine calls itself, as the server's core calls its store: opened by the login call,
//! written before a message is handed to the application or acknowledged.

mod action;
mod call;
mod complete;
mod deliver;
mod dispatch;
mod download;
mod event;
mod history;
mod inbound;
pub(crate) mod message;
mod order;
mod outbound;
mod pending;
mod phase;
mod planted_state;
mod receive;
mod reconnect;
mod room_history;
mod session;
mod state;
mod status;
mod timers;
mod upload;
mod validate;
mod voice;
mod voice_tokens;
mod write_queue;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use yim_proto::rng::SplitMix64;
use yim_proto::{ErrorCode, Frame};

use crate::config::{ClientConfig, ServerZone};
use crate::store::{HistoryDisk, MemoryDisk};

pub use action::{Action, AudioTask, CaptureSource, Recorded};
pub use call::{Call, Recognize, RequestId, TimeOrder};
pub use event::{Event, ReconnectResult};
pub use message::{MessageBody, ReceivedMessage};
pub use state::State;
pub use status::{AudioStatus, Forbid, ForbidReason, SendStatus};
pub use validate::{
    MAX_APP_KEY_BYTES, MAX_APP_SECRET_BYTES, MAX_HISTORY_QUERY_COUNT, MAX_RECENT_CONTACTS,
    MAX_ROOM_HISTORY_COUNT, MAX_SAVED_ROOMS, MAX_SWITCH_ROOMS,
};

use phase::{Phase, Session, Settings};

/// The YIM client session as a pure state machine. See the module docs.
#[derive(Debug)]
pub struct ClientMachine {
    config: ClientConfig,
    phase: Phase,
    /// Downloads whose audio the driver is saving: request -> (message ID, path). They outlive
    /// their session: a save under way still completes.
    saving: BTreeMap<RequestId, (u64, PathBuf)>,
    rng: SplitMix64,
    /// Opens each session's local store.
    disk: Arc<dyn HistoryDisk>,
    /// Kept across sessions of one account: see `voice_tokens`.
    voice_tokens: voice_tokens::VoiceTokens,
    /// What the planted bugs carry between inputs (empty without the feature `planted-bugs`).
    planted: planted_state::PlantedState,
    last_request_id: u64,
    last_ping_nonce: u64,
    events: VecDeque<Event>,
    transmits: VecDeque<Frame>,
    actions: VecDeque<Action>,
    audio: VecDeque<AudioTask>,
}

/// What `joined_rooms` answers outside a session.
static NO_ROOMS: BTreeSet<String> = BTreeSet::new();

impl ClientMachine {
    /// A machine in `State::Uninitialised`, with random numbers from seed 0 (see
    /// [`ClientMachine::with_seed`]).
    pub fn new(config: ClientConfig) -> ClientMachine {
        ClientMachine::with_seed(config, 0)
    }

    /// A machine in `State::Uninitialised` whose random numbers (reconnect jitter, send
    /// idempotency keys) come from `rng_seed`. Give each client its own seed. Its local
    /// history is in memory (see [`ClientMachine::with_disk`]).
    pub fn with_seed(config: ClientConfig, rng_seed: u64) -> ClientMachine {
        ClientMachine::with_disk(config, rng_seed, Arc::new(MemoryDisk::new()))
    }

    /// A machine whose sessions keep their local history on `disk` (one store per app key
    /// and user, opened by each login call).
    pub fn with_disk(
        config: ClientConfig,
        rng_seed: u64,
        disk: Arc<dyn HistoryDisk>,
    ) -> ClientMachine {
        ClientMachine {
            disk,
            config,
            phase: Phase::Uninitialised,
            saving: BTreeMap::new(),
            rng: SplitMix64::new(rng_seed),
            voice_tokens: voice_tokens::VoiceTokens::default(),
            planted: planted_state::PlantedState::default(),
            last_request_id: 0,
            last_ping_nonce: 0,
            events: VecDeque::new(),
            transmits: VecDeque::new(),
            actions: VecDeque::new(),
            audio: VecDeque::new(),
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
        if self.phase.session().is_some() {
            return Err(ErrorCode::StatusError);
        }
        validate::check_init(app_key, app_secret)?;
        if !self.config.zones.contains_key(&zone) {
            return Err(ErrorCode::ParamInvalid);
        }
        let settings = Settings {
            app_key: app_key.to_owned(),
            app_secret: app_secret.to_owned(),
            zone,
        };
        self.phase = Phase::LoggedOut { settings };
        Ok(())
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.phase.state()
    }

    /// The configuration the machine was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The user of the current (or starting) session.
    pub fn user_id(&self) -> Option<&str> {
        self.session().map(|s| s.credentials.user_id.as_str())
    }

    /// Rooms joined in this session: added by successful joins, removed by leaves (whatever
    /// their outcome), empty outside a session.
    pub fn joined_rooms(&self) -> &BTreeSet<String> {
        self.session().map_or(&NO_ROOMS, |s| &s.joined_rooms)
    }

    /// Calls accepted and not yet completed (a recording counts once it is being uploaded).
    pub fn pending_calls(&self) -> usize {
        self.session().map_or(0, |s| s.pending.len())
    }

    /// The request ID of the recording under way, if any.
    pub fn recording(&self) -> Option<RequestId> {
        self.session()?.recording.as_ref().map(|r| r.request_id)
    }

    /// The next connection command for the driver.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next piece of audio work for the driver.
    pub fn poll_audio(&mut self) -> Option<AudioTask> {
        self.audio.pop_front()
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

    fn session(&self) -> Option<&Session> {
        self.phase.session()
    }

    fn session_mut(&mut self) -> Option<&mut Session> {
        self.phase.session_mut()
    }

    fn next_request_id(&mut self) -> RequestId {
        self.last_request_id += 1;
        RequestId(self.last_request_id)
    }

    /// Queues a frame on the current connection and notes the time for the heartbeat.
    fn send(&mut self, now_ms: u64, frame: Frame) {
        if let Some(session) = self.session_mut() {
            session.last_sent_ms = now_ms;
        }
        self.transmits.push_back(frame);
    }

    /// The deadline of a call made now.
    fn request_deadline_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_add(self.config.request_timeout_ms)
    }
}
