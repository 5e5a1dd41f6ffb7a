//! The life of one session's connection: its start (`handle_connected`) and every way it
//! ends (`end_session`), with the completions and events each ending owes the application.
//!
//! What it is: the one place where a session ends, so every pending call, and the recording
//! under way, is completed exactly once whatever ended it. What it is not: deciding *that* a
//! session ends (frames, timers and calls decide that, see `receive`, `timers`, `dispatch`).
//!
//! A recording ends with its session (logout, kick-off, a reconnect given up, the client shut
//! down): it completes at once with `NetError` (`SendAudioStatus`, or `RecognizeText` when
//! recognising only), its capture is abandoned and its file deleted, and a later stop gets
//! `PttNotStartRecord` (2016). YIM says nothing of recordings across a logout; it does promise
//! that every recording not cancelled gets its one status, so it gets one, and a recording is
//! never sent as another account.

use tracing::{debug, info};
use yim_hooks::planted::{self, Bug};
use yim_proto::ErrorCode;

use super::action::{Action, AudioTask};
use super::complete::Completing;
use super::event::Event;
use super::pending::PendingKind;
use super::phase::{Ending, Phase, Step};
use super::state::State;
use super::ClientMachine;

impl ClientMachine {
    /// The transport connection asked for by `Action::Connect` is open. Ignored unless the
    /// machine is waiting for one.
    pub fn handle_connected(&mut self, now_ms: u64) {
        match self.state() {
            State::Reconnecting => self.reconnect_connected(now_ms),
            State::Connecting => {
                if let Some(session) = self.session_mut() {
                    session.last_sent_ms = now_ms;
                    session.last_received_ms = now_ms;
                    session.step = Step::AwaitingChallenge;
                }
            }
            state => {
                debug!(%state, "connected in a state that does not wait for it; ignored");
            }
        }
    }

    /// The transport connection ended (or could not be opened, or its bytes could not be
    /// decoded). Ignored when there is no connection.
    ///
    /// Like `handle_connected` and `handle_frame`, this speaks of the connection asked for by
    /// the last `Action::Connect` not followed by an `Action::Close`: the driver executes the
    /// queued actions before reporting anything, and drops output of closed connections.
    pub fn handle_disconnect(&mut self, now_ms: u64) {
        let connected = match self.state() {
            State::Reconnecting => self.reconnect_has_connection(),
            _ => self.session().is_some(),
        };
        if !connected {
            debug!(state = %self.state(), "disconnect without a connection; ignored");
            return;
        }
        info!(state = %self.state(), "connection lost");
        self.connection_lost(now_ms, None);
    }

    /// The application is shutting the client down: the session ends for good (no reconnect),
    /// every pending call and the recording complete with `NetError`, and a session that was
    /// up gets its unsolicited `Logout`.
    pub fn shutdown(&mut self, _now_ms: u64) {
        if self.session().is_some() {
            self.end_session(Ending::ConnectionLost, Some("client shut down".to_owned()));
        }
    }

    /// The connection broke (transport ended, server goodbye, protocol error, heartbeat
    /// timeout). A logged-in session reconnects by itself (unless `reconnect_budget_ms` is 0);
    /// a reconnect attempt fails; anything else (a login under way, a logout under way) ends
    /// the session.
    pub(super) fn connection_lost(&mut self, now_ms: u64, close_reason: Option<String>) {
        match self.state() {
            State::LoggedIn if self.config.reconnect_budget_ms > 0 => {
                self.start_reconnect(now_ms, close_reason)
            }
            State::Reconnecting => self.attempt_failed(now_ms, close_reason),
            _ => self.end_session(Ending::ConnectionLost, close_reason),
        }
    }

    /// Ends the session: asks the driver to close the connection (when `close_reason` is
    /// given), drops the frames not yet written, completes every pending call and the
    /// recording exactly once, emits the closing event, and goes back to `LoggedOut` (the
    /// rooms go with the session).
    ///
    /// Completions come in request ID order, before the closing event (`Logout` or `KickOff`)
    /// so that the closing event is the last of the session.
    pub(super) fn end_session(&mut self, ending: Ending, close_reason: Option<String>) {
        let state_before = self.state();
        if let Some(reason) = close_reason {
            self.actions.push_back(Action::Close { reason });
        }
        // Frames not yet written belonged to the connection that is gone.
        self.transmits.clear();
        let phase = std::mem::replace(&mut self.phase, Phase::Uninitialised);
        let Phase::InSession {
            settings,
            mut session,
        } = phase
        else {
            self.phase = phase;
            return;
        };
        self.phase = Phase::LoggedOut { settings };
        let mut completions: Vec<_> = session
            .pending
            .drain()
            .into_iter()
            .map(|(request_id, kind)| {
                let code = match (&kind, ending) {
                    (PendingKind::Login { .. }, Ending::LoginFailed(code)) => code,
                    (PendingKind::Logout, Ending::LoggedOut(code)) => code,
                    // YIM: logout can be assumed to succeed once the connection is gone.
                    (PendingKind::Logout, _) => ErrorCode::Success,
                    _ => ErrorCode::NetError,
                };
                (request_id, Completing::Call(kind), code)
            })
            .collect();
        if planted::active(Bug::RecordingOutlivesSession) {
            self.planted.carry_recording(session.recording.take());
        }
        if let Some(recording) = session.recording.take() {
            if recording.stopping.is_none() {
                self.audio.push_back(AudioTask::CancelCapture {
                    request_id: recording.request_id,
                });
            }
            let what = Completing::Recording {
                recognize: recording.recognize,
                text: String::new(),
            };
            completions.push((recording.request_id, what, ErrorCode::NetError));
            completions.sort_by_key(|(request_id, _, _)| *request_id);
        }
        if planted::active(Bug::LoseCompletionOnDisconnect) {
            completions.clear();
        }
        for (request_id, what, code) in completions {
            self.complete(request_id, what, code, None);
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
