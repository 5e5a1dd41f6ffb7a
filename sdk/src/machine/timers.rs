//! Time in the machine: request time-outs and the heartbeat (ping when idle, give up when the
//! server is silent).
//!
//! What it is: `poll_timeout` (the earliest deadline) and `handle_timeout` (act on every
//! deadline that has passed). What it is not: a clock; `now_ms` is always an argument.

use tracing::{debug, info};
use yim_proto::ErrorCode;

use super::outbound;
use super::pending::PendingKind;
use super::session::Ending;
use super::state::State;
use super::ClientMachine;

impl ClientMachine {
    /// The earliest time at which `handle_timeout` has something to do, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.state == State::Reconnecting {
            // Waiting calls do not time out during an outage: they wait for the resume (their
            // deadlines restart then) or complete when the reconnect gives up.
            return self.reconnect_deadline_ms();
        }
        let heartbeat = self.heartbeat_deadlines_ms();
        [
            self.pending.next_deadline_ms(),
            heartbeat.map(|(ping_ms, _)| ping_ms),
            heartbeat.map(|(_, dead_ms)| dead_ms),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Acts on every deadline at or before `now_ms`: calls without a reply complete with
    /// `TimeOut` (a login or logout ends the session), then the heartbeat. While reconnecting,
    /// only the reconnect's own deadlines count.
    pub fn handle_timeout(&mut self, now_ms: u64) {
        if self.state == State::Reconnecting {
            self.handle_reconnect_timeout(now_ms);
            return;
        }
        while let Some(request_id) = self.pending.first_expired(now_ms) {
            match self.pending.get(request_id) {
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
                    if let Some(kind) = self.pending.remove(request_id) {
                        debug!(%request_id, "call timed out");
                        self.complete(request_id, kind, ErrorCode::TimeOut, None);
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
            } else if let Some(session) = &mut self.session {
                // A frame is still waiting to be written: it will do as the heartbeat, and
                // pings never pile up behind a stalled writer.
                session.last_sent_ms = now_ms;
            }
        }
    }

    /// (when to ping, when to give up) while the heartbeat runs: logged in or logging out.
    /// Before that, the login's own deadline bounds the wait.
    fn heartbeat_deadlines_ms(&self) -> Option<(u64, u64)> {
        if !matches!(self.state, State::LoggedIn | State::LoggingOut) {
            return None;
        }
        let session = self.session.as_ref()?;
        let ping_ms = session
            .last_sent_ms
            .saturating_add(self.config.heartbeat_interval_ms.max(1));
        let dead_ms = session
            .last_received_ms
            .saturating_add(self.config.heartbeat_timeout_ms.max(1));
        Some((ping_ms, dead_ms))
    }
}
