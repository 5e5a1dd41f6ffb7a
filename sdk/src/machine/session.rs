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
    /// The server's name for the session (its `LoginReceipt`), passed back to resume it.
    pub session_id: u64,
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
        if self.state == State::Reconnecting {
            self.reconnect_connected(now_ms);
            return;
        }
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
    pub fn handle_disconnect(&mut self, now_ms: u64) {
        let connected = match self.state {
            State::Reconnecting => self.reconnect_has_connection(),
            state => state.has_connection(),
        };
        if !connected {
            debug!(state = %self.state, "disconnect without a connection; ignored");
            return;
        }
        info!(state = %self.state, "connection lost");
        self.connection_lost(now_ms, None);
    }

    /// The application is shutting the client down: the session ends for good (no reconnect),
    /// every pending call completes with `NetError`, and a session that was up gets its
    /// unsolicited `Logout`.
    pub fn shutdown(&mut self, _now_ms: u64) {
        if self.state.has_connection() {
            self.end_session(Ending::ConnectionLost, Some("client shut down".to_owned()));
        }
    }

    /// The connection broke (transport ended, server goodbye, protocol error, heartbeat
    /// timeout). A logged-in session reconnects by itself (unless `reconnect_budget_ms` is 0);
    /// a reconnect attempt fails; anything else (a login under way, a logout under way) ends
    /// the session.
    pub(super) fn connection_lost(&mut self, now_ms: u64, close_reason: Option<String>) {
        match self.state {
            State::LoggedIn if self.config.reconnect_budget_ms > 0 => {
                self.start_reconnect(now_ms, close_reason)
            }
            State::Reconnecting => self.attempt_failed(now_ms, close_reason),
            _ => self.end_session(Ending::ConnectionLost, close_reason),
        }
    }

    /// Ends the session: asks the driver to close the connection (when `close_reason` is
    /// given), drops the frames not yet written, completes every pending call exactly once, emits the closing event, forgets the
    /// rooms, and goes back to `LoggedOut`.
    ///
    /// Completions come in request ID order, before the closing event (`Logout` or `KickOff`)
    /// so that the closing event is the last of the session.
    pub(super) fn end_session(&mut self, ending: Ending, close_reason: Option<String>) {
        let state_before = self.state;
        if let Some(reason) = close_reason {
            self.actions.push_back(Action::Close { reason });
        }
        // Frames not yet written belonged to the connection that is gone.
        self.transmits.clear();
        self.session = None;
        self.state = State::LoggedOut;
        self.reconnect = None;
        self.internal.clear();
        self.joined_rooms.clear();
        self.room_cursors.clear();
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
        let was_up = matches!(state_before, State::LoggedIn | State::Reconnecting);
        match ending {
            Ending::ConnectionLost if was_up => {
                self.events.push_back(Event::Logout {
                    request_id: None,
                    code: ErrorCode::NetError,
                });
            }
            Ending::KickedOff if was_up => self.events.push_back(Event::KickOff),
            _ => {}
        }
        info!(from = %state_before, ?ending, "session ended");
    }
}
