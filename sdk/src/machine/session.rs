//! The life of one session's connection: its start (`handle_connected`) and every way it
//! ends (`end_session`), with the completions and events each ending owes the application.
//!
//! What it is: the one place where a session ends, so every pending call is completed exactly
//! once whatever ended it. What it is not: deciding *that* a session ends (frames, timers and
//! calls decide that, see `receive`, `timers` and `dispatch`).

use tracing::{debug, info};
use yim_proto::ErrorCode;

use super::call::RequestId;
use super::event::{Action, Event};
use super::inbound;
use super::outbound::Credentials;
use super::pending::PendingKind;
use super::state::State;
use super::ClientMachine;

/// The data of a session, from the login call until the session ends.
#[derive(Debug)]
pub(super) struct Session {
    pub credentials: Credentials,
    pub login_request: RequestId,
    /// When the machine last queued a frame; drives the heartbeat ping.
    pub last_sent_ms: u64,
    /// When the last frame arrived (or the connection opened); drives the heartbeat timeout.
    pub last_received_ms: u64,
}

/// Why a session ended; decides the codes of the completions and the closing event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ending {
    /// The transport ended, the server said goodbye, a protocol error, or the heartbeat timed
    /// out.
    ConnectionLost,
    /// The server kicked this session off (same user logged in elsewhere).
    KickedOff,
    /// The login was refused or timed out, with this code.
    LoginFailed(ErrorCode),
    /// The logout completed, with this code.
    LoggedOut(ErrorCode),
}

impl ClientMachine {
    /// The transport connection asked for by `Action::Connect` is open. Ignored unless the
    /// machine is waiting for one.
    pub fn handle_connected(&mut self, now_ms: u64) {
        if self.state != State::Connecting {
            debug!(state = %self.state, "connected in a state that does not wait for it; ignored");
            return;
        }
        if let Some(session) = &mut self.session {
            session.last_sent_ms = now_ms;
            session.last_received_ms = now_ms;
        }
        self.state = State::AwaitingChallenge;
    }

    /// The transport connection ended (or could not be opened, or its bytes could not be
    /// decoded). Ignored when there is no connection.
    ///
    /// Like `handle_connected` and `handle_frame`, this speaks of the connection asked for by
    /// the last `Action::Connect` not followed by an `Action::Close`: the driver executes the
    /// queued actions before reporting anything, and drops output of closed connections.
    pub fn handle_disconnect(&mut self, _now_ms: u64) {
        if !self.state.has_connection() {
            debug!(state = %self.state, "disconnect without a connection; ignored");
            return;
        }
        info!(state = %self.state, "connection lost");
        self.end_session(Ending::ConnectionLost, None);
    }

    /// Ends the session: asks the driver to close the connection (when `close_reason` is
    /// given), drops the frames not yet written, completes every pending call exactly once, emits the closing event, forgets the
    /// rooms, and goes back to `LoggedOut`.
    ///
    /// Completions come in request ID order, before the closing event (`Logout` or `KickOff`)
    /// so that the closing event is the last of the session. A reconnecting state would branch
    /// here instead of going to `LoggedOut`.
    pub(super) fn end_session(&mut self, ending: Ending, close_reason: Option<String>) {
        let state_before = self.state;
        if let Some(reason) = close_reason {
            self.actions.push_back(Action::Close { reason });
        }
        // Frames not yet written belonged to the connection that is gone.
        self.transmits.clear();
        self.session = None;
        self.state = State::LoggedOut;
        self.joined_rooms.clear();
        let mut pending = self.pending.drain();
        if yim_proto::planted::active(yim_proto::planted::Bug::LoseCompletionOnDisconnect) {
            pending.clear();
        }
        for (request_id, kind) in pending {
            let code = match (&kind, ending) {
                (PendingKind::Login { .. }, Ending::LoginFailed(code)) => code,
                (PendingKind::Logout, Ending::LoggedOut(code)) => code,
                // YIM: logout can be assumed to succeed once the connection is gone.
                (PendingKind::Logout, _) => ErrorCode::Success,
                _ => ErrorCode::NetError,
            };
            let event = inbound::completion(request_id, kind, code, None);
            self.events.push_back(event);
        }
        match (state_before, ending) {
            (State::LoggedIn, Ending::ConnectionLost) => {
                self.events.push_back(Event::Logout {
                    request_id: None,
                    code: ErrorCode::NetError,
                });
            }
            (State::LoggedIn, Ending::KickedOff) => self.events.push_back(Event::KickOff),
            _ => {}
        }
        info!(from = %state_before, ?ending, "session ended");
    }
}
