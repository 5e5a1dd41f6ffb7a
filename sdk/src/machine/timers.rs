//! Time in the machine: request time-outs, the heartbeat (ping when idle, give up when the
//! server is silent), and the 60 s limit of a recording (it stops and sends by itself).
//!
//! What it is: `poll_timeout` (the earliest deadline) and `handle_timeout` (act on every
//! deadline that has passed). What it is not: a clock; `now_ms` is always an argument.

use tracing::{debug, info};
use yim_hooks::planted::{self, Bug};
use yim_proto::limits::MAX_VOICE_DURATION_MS;
use yim_proto::ErrorCode;

use super::complete::Completing;
use super::outbound;
use super::pending::PendingKind;
use super::phase::{Ending, Step};
use super::state::State;
use super::ClientMachine;

impl ClientMachine {
    /// The earliest time at which `handle_timeout` has something to do, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        let recording = self.recording_deadline_ms();
        if self.state() == State::Reconnecting {
            // Waiting calls do not time out during an outage: they wait for the resume (their
            // deadlines restart then) or complete when the reconnect gives up.
            return [self.reconnect_deadline_ms(), recording]
                .into_iter()
                .flatten()
                .min();
        }
        let heartbeat = self.heartbeat_deadlines_ms();
        [
            self.session().and_then(|s| s.pending.next_deadline_ms()),
            heartbeat.map(|(ping_ms, _)| ping_ms),
            heartbeat.map(|(_, dead_ms)| dead_ms),
            recording,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Acts on every deadline at or before `now_ms`: a recording at its 60 s limit stops,
    /// calls without a reply complete with `TimeOut` (a login or logout ends the session),
    /// then the heartbeat. While reconnecting, only the reconnect's own deadlines and the
    /// recording's count.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self
            .recording_deadline_ms()
            .is_some_and(|deadline_ms| now_ms >= deadline_ms)
        {
            info!("the recording reached 60 s: it stops and is sent");
            // The recording is under way, so the stop is accepted.
            let _ = self.stop_recording(now_ms, String::new());
        }
        if self.state() == State::Reconnecting {
            self.handle_reconnect_timeout(now_ms);
            return;
        }
        while let Some(request_id) = self.session().and_then(|s| s.pending.first_expired(now_ms)) {
            match self.session().and_then(|s| s.pending.get(request_id)) {
                Some(PendingKind::Login { .. }) => {
                    info!(%request_id, "login timed out");
                    self.end_session(
                        Ending::LoginFailed(ErrorCode::TimeOut),
                        Some("login timed out".to_owned()),
                    );
                }
                Some(PendingKind::Logout) => {
                    info!(%request_id, "logout reply timed out; logged out anyway");
                    self.end_session(
                        Ending::LoggedOut(ErrorCode::Success),
                        Some("logout reply timed out".to_owned()),
                    );
                }
                _ => {
                    let kind = self
                        .session_mut()
                        .and_then(|s| s.pending.remove(request_id));
                    if let Some(kind) = kind {
                        debug!(%request_id, "call timed out");
                        if planted::active(Bug::CompleteLateAnswer) {
                            // The planted bug keeps the call, so a late answer completes it again.
                            if let Some(session) = self.session_mut() {
                                session
                                    .pending
                                    .insert(request_id, kind.clone(), u64::MAX, None);
                            }
                        }
                        self.complete(request_id, Completing::Call(kind), ErrorCode::TimeOut, None);
                        self.release_held_sends(now_ms);
                    }
                }
            }
        }
        let Some((ping_ms, dead_ms)) = self.heartbeat_deadlines_ms() else {
            return;
        };
        if now_ms >= dead_ms {
            info!("nothing received within the heartbeat timeout; closing");
            self.connection_lost(now_ms, Some("heartbeat timeout".to_owned()));
        } else if now_ms >= ping_ms {
            if self.transmits.is_empty() {
                self.last_ping_nonce += 1;
                let ping = outbound::ping(self.last_ping_nonce);
                self.send(now_ms, ping);
            } else if let Some(session) = self.session_mut() {
                // A frame is still waiting to be written: it will do as the heartbeat, and
                // pings never pile up behind a stalled writer.
                session.last_sent_ms = now_ms;
            }
        }
    }

    /// (when to ping, when to give up) while the heartbeat runs: logged in or logging out.
    /// Before that, the login's own deadline bounds the wait.
    fn heartbeat_deadlines_ms(&self) -> Option<(u64, u64)> {
        let session = self.session()?;
        if !matches!(session.step, Step::LoggedIn | Step::LoggingOut) {
            return None;
        }
        let ping_ms = session
            .last_sent_ms
            .saturating_add(self.config.heartbeat_interval_ms.max(1));
        let dead_ms = session
            .last_received_ms
            .saturating_add(self.config.heartbeat_timeout_ms.max(1));
        Some((ping_ms, dead_ms))
    }

    /// When the recording from a microphone under way reaches its 60 s limit.
    fn recording_deadline_ms(&self) -> Option<u64> {
        let recording = self.session()?.recording.as_ref()?;
        if recording.stopping.is_some() || recording.from_file {
            return None;
        }
        Some(
            recording
                .started_ms
                .saturating_add(u64::from(MAX_VOICE_DURATION_MS)),
        )
    }
}
