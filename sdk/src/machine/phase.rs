//! The machine's state with the data each state carries: `Phase` (uninitialised, logged out,
//! in a session), the `Session` (from its login call until it ends: credentials, pending
//! calls, rooms, the recording), its `Step`, and a reconnect's own steps.
//!
//! What it is: plain data whose shape is its invariant: pending calls, rooms and a recording
//! exist only inside a session, a reconnect only while reconnecting. What it is not: the rules
//! that move between states (see the rule modules); `State` is the public view of it.

use std::collections::{BTreeMap, BTreeSet};

use yim_proto::{ChatType, ErrorCode};

use super::call::{Recognize, RequestId};
use super::pending::{PendingCalls, SendSeq};
use super::state::State;
use crate::config::ServerZone;
use crate::store::HistoryStore;

/// What `init` set: the app's key and secret and the zone to connect to.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub app_key: String,
    pub app_secret: String,
    pub zone: ServerZone,
}

/// Where the machine stands, with what it holds there.
#[derive(Debug)]
pub(crate) enum Phase {
    /// `init` has not succeeded yet.
    Uninitialised,
    /// Initialised, no session.
    LoggedOut { settings: Settings },
    /// From a login call until its session ends.
    InSession {
        settings: Settings,
        session: Box<Session>,
    },
}

impl Phase {
    /// The public view.
    pub fn state(&self) -> State {
        match self {
            Phase::Uninitialised => State::Uninitialised,
            Phase::LoggedOut { .. } => State::LoggedOut,
            Phase::InSession { session, .. } => match session.step {
                Step::Connecting => State::Connecting,
                Step::AwaitingChallenge => State::AwaitingChallenge,
                Step::LoggingIn => State::LoggingIn,
                Step::LoggedIn => State::LoggedIn,
                Step::Reconnecting(_) => State::Reconnecting,
                Step::LoggingOut => State::LoggingOut,
            },
        }
    }

    pub fn settings(&self) -> Option<&Settings> {
        match self {
            Phase::Uninitialised => None,
            Phase::LoggedOut { settings } | Phase::InSession { settings, .. } => Some(settings),
        }
    }

    pub fn session(&self) -> Option<&Session> {
        match self {
            Phase::InSession { session, .. } => Some(session),
            _ => None,
        }
    }

    pub fn session_mut(&mut self) -> Option<&mut Session> {
        match self {
            Phase::InSession { session, .. } => Some(session),
            _ => None,
        }
    }
}

/// What a login needs to answer the server's challenge.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub app_key: String,
    pub app_secret: String,
    pub user_id: String,
    pub password: String,
    pub token: String,
}

/// One session, from the login call until it ends.
#[derive(Debug)]
pub(crate) struct Session {
    pub step: Step,
    pub credentials: Credentials,
    pub login_request: RequestId,
    /// When the machine last queued a frame; drives the heartbeat ping.
    pub last_sent_ms: u64,
    /// When the last frame arrived (or the connection opened); drives the heartbeat timeout.
    pub last_received_ms: u64,
    /// The server's name for the session (its `LoginReceipt`), passed back to resume it.
    pub session_id: u64,
    /// Calls accepted and not yet completed; all complete when the session ends.
    pub pending: PendingCalls,
    /// Rooms joined in this session: added by successful joins, removed by leaves.
    pub joined_rooms: BTreeSet<String>,
    /// For each joined room, the sequence number of the last room message delivered (or the
    /// room's last at the join): a resume asks the server for what came after it, and a room
    /// message at or below it is not delivered again.
    pub room_cursors: BTreeMap<String, u64>,
    /// Requests the machine made on its own (room re-joins after a resume): their replies
    /// complete no call.
    pub internal: BTreeMap<RequestId, Internal>,
    /// The voice recording under way; it ends with the session.
    pub recording: Option<Recording>,
    /// The user's local store, opened by the login call; it closes with the session.
    pub history: Box<dyn HistoryStore>,
}

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Login called; waiting for the transport connection.
    Connecting,
    /// Connected; waiting for the server's `Challenge`.
    AwaitingChallenge,
    /// `Login` frame sent; waiting for its reply.
    LoggingIn,
    /// Logged in.
    LoggedIn,
    /// The connection was lost; getting the session back.
    Reconnecting(Reconnect),
    /// `Logout` frame sent; waiting for its reply or for the connection to end.
    LoggingOut,
}

/// A reconnect under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reconnect {
    /// When the connection was lost: the budget counts from here.
    pub started_ms: u64,
    /// Attempts started so far.
    pub attempts: u32,
    pub attempt: Attempt,
}

/// Where the current reconnect attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// No connection; the next attempt starts at `attempt_ms`.
    Waiting { attempt_ms: u64 },
    /// Opening the connection.
    Connecting { deadline_ms: u64 },
    /// Connected, waiting for the challenge.
    AwaitingChallenge { deadline_ms: u64 },
    /// The resume `Login` is sent.
    LoggingIn {
        request_id: RequestId,
        deadline_ms: u64,
    },
}

/// A request the machine made on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Internal {
    /// Re-joining a room after a resume.
    Rejoin { room_id: String },
}

/// The recording under way, as the machine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recording {
    pub request_id: RequestId,
    pub receiver_id: String,
    pub chat_type: ChatType,
    pub recognize: Recognize,
    /// When it started; from a microphone it stops by itself 60 s later.
    pub started_ms: u64,
    /// From a file: taken whole, no time limit to keep.
    pub from_file: bool,
    /// Set by the stop: the driver is finishing the capture and `handle_recorded` comes next.
    pub stopping: Option<Stopping>,
}

impl Recording {
    /// Where the voice message goes in the send order, once stopped; `None` while it records
    /// and when it recognises only (it sends nothing).
    pub fn send_seq(&self) -> Option<SendSeq> {
        let stopping = self.stopping.as_ref()?;
        (self.recognize != Recognize::Only).then_some(stopping.send_seq)
    }
}

/// A recording being finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stopping {
    /// The stop's extra parameter, sent with the message.
    pub extra_param: String,
    /// The message's place in the send order, fixed by the stop: sends made after the stop
    /// wait for it even while the capture is still being finished.
    pub send_seq: SendSeq,
}

/// Why a session ended; decides the codes of the completions and the closing event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The transport ended, the server said goodbye, a protocol error, the heartbeat timed
    /// out, or the reconnect gave up.
    ConnectionLost,
    /// The server kicked this session off (same user logged in elsewhere).
    KickedOff,
    /// The login was refused or timed out, with this code.
    LoginFailed(ErrorCode),
    /// The logout completed, with this code.
    LoggedOut(ErrorCode),
}
