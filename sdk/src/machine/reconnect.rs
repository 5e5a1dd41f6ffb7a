//! Getting a lost session back: when the connection of a logged-in session breaks, the machine
//! emits `StartReconnect` and tries again and again (exponential backoff with jitter) until the
//! session resumes (`ReconnectResult::Success`) or the budget is spent (`ReconnectResult::Fail`,
//! then an unsolicited `Logout`). Each failed attempt that will be retried emits
//! `ReconnectResult::FailAgain`.
//!
//! An attempt is: connect, answer the challenge with a `Login` that names the session to
//! resume, and on Success re-join every room with the sequence number of the last message
//! delivered (the server replays what was missed), then send again every call still waiting
//! (sends keep their idempotency keys). The server refuses to resume a session another login
//! has taken over: that is a kick-off that happened while the client was away.
//!
//! What it is: the reconnect rules over `ClientMachine`. What it is not: the decision that a
//! connection is lost (see `session::connection_lost`) or timers in general (see `timers`).

use tracing::{debug, info};
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{reply, RoomJoined};
use yim_proto::ErrorCode;

use super::action::Action;
use super::call::RequestId;
use super::event::{Event, ReconnectResult};
use super::outbound;
use super::phase::{Attempt, Ending, Internal, Reconnect, Step};
use super::ClientMachine;

/// Login refusals worth another attempt: the server or the network had a problem. Anything
/// else (wrong password, bad app key, expired token) will not change by trying again.
fn retryable(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::TimeOut | ErrorCode::NetError | ErrorCode::ServerError | ErrorCode::Disconnect
    )
}

impl ClientMachine {
    /// The reconnect under way, if any.
    fn reconnect(&self) -> Option<Reconnect> {
        match self.session()?.step {
            Step::Reconnecting(reconnect) => Some(reconnect),
            _ => None,
        }
    }

    /// Moves the reconnect under way to `attempt`.
    fn set_attempt(&mut self, reconnect: Reconnect) {
        if let Some(session) = self.session_mut() {
            if matches!(session.step, Step::Reconnecting(_)) {
                session.step = Step::Reconnecting(reconnect);
            }
        }
    }

    /// The connection of the logged-in session broke: start reconnecting.
    pub(super) fn start_reconnect(&mut self, now_ms: u64, close_reason: Option<String>) {
        if let Some(reason) = close_reason {
            self.actions.push_back(Action::Close { reason });
        }
        self.transmits.clear();
        let first_wait_ms = self.backoff_ms(0);
        let Some(session) = self.session_mut() else {
            return;
        };
        session.internal.clear();
        session.step = Step::Reconnecting(Reconnect {
            started_ms: now_ms,
            attempts: 0,
            attempt: Attempt::Waiting {
                attempt_ms: now_ms.saturating_add(first_wait_ms),
            },
        });
        info!(first_wait_ms, "connection lost; reconnecting");
        self.events.push_back(Event::StartReconnect);
    }

    /// The wait before attempt `attempts + 1`: the initial backoff doubled per failed attempt,
    /// capped, then drawn between half of it and all of it.
    fn backoff_ms(&mut self, attempts: u32) -> u64 {
        let initial = self.config.reconnect_initial_backoff_ms.max(1);
        let cap = self.config.reconnect_max_backoff_ms.max(initial);
        let full = initial
            .checked_shl(attempts.min(32))
            .filter(|ms| *ms <= cap)
            .unwrap_or(cap);
        let half = full / 2;
        half + self.rng.up_to(full - half)
    }

    /// When the reconnect next has something to do.
    pub(super) fn reconnect_deadline_ms(&self) -> Option<u64> {
        Some(match self.reconnect()?.attempt {
            Attempt::Waiting { attempt_ms } => attempt_ms,
            Attempt::Connecting { deadline_ms }
            | Attempt::AwaitingChallenge { deadline_ms }
            | Attempt::LoggingIn { deadline_ms, .. } => deadline_ms,
        })
    }

    /// Time passed: start the next attempt, or fail the current one that took too long.
    pub(super) fn handle_reconnect_timeout(&mut self, now_ms: u64) {
        let Some(reconnect) = self.reconnect() else {
            return;
        };
        match reconnect.attempt {
            Attempt::Waiting { attempt_ms } if now_ms >= attempt_ms => {
                let budget_end_ms = reconnect
                    .started_ms
                    .saturating_add(self.config.reconnect_budget_ms);
                if now_ms >= budget_end_ms {
                    self.give_up(None);
                    return;
                }
                let Some(addr) = self.server_addr() else {
                    self.give_up(None);
                    return;
                };
                let deadline_ms = self.request_deadline_ms(now_ms);
                self.set_attempt(Reconnect {
                    attempts: reconnect.attempts + 1,
                    attempt: Attempt::Connecting { deadline_ms },
                    ..reconnect
                });
                debug!(attempt = reconnect.attempts + 1, %addr, "reconnect attempt");
                self.actions.push_back(Action::Connect { addr });
            }
            Attempt::Waiting { .. } => {}
            Attempt::Connecting { deadline_ms }
            | Attempt::AwaitingChallenge { deadline_ms }
            | Attempt::LoggingIn { deadline_ms, .. } => {
                if now_ms >= deadline_ms {
                    self.attempt_failed(now_ms, Some("reconnect attempt timed out".to_owned()));
                }
            }
        }
    }

    /// The address of the zone `init` chose.
    fn server_addr(&self) -> Option<String> {
        let zone = self.phase.settings()?.zone;
        self.config.zones.get(&zone).cloned()
    }

    /// True while an attempt's connection is open and frames on it mean something.
    pub(super) fn reconnect_awaits_frames(&self) -> bool {
        self.reconnect().is_some_and(|r| {
            matches!(
                r.attempt,
                Attempt::AwaitingChallenge { .. } | Attempt::LoggingIn { .. }
            )
        })
    }

    /// True while an attempt holds (or is opening) a connection.
    pub(super) fn reconnect_has_connection(&self) -> bool {
        self.reconnect()
            .is_some_and(|r| !matches!(r.attempt, Attempt::Waiting { .. }))
    }

    /// The attempt's connection opened.
    pub(super) fn reconnect_connected(&mut self, now_ms: u64) {
        let Some(reconnect) = self.reconnect() else {
            return;
        };
        let Attempt::Connecting { deadline_ms } = reconnect.attempt else {
            debug!("connected in a reconnect step that does not wait for it; ignored");
            return;
        };
        self.set_attempt(Reconnect {
            attempt: Attempt::AwaitingChallenge { deadline_ms },
            ..reconnect
        });
        if let Some(session) = self.session_mut() {
            session.last_sent_ms = now_ms;
            session.last_received_ms = now_ms;
        }
    }

    /// The attempt's connection got its challenge: answer with the resume login.
    pub(super) fn reconnect_challenge(&mut self, now_ms: u64, nonce: &[u8]) {
        let Some(
            reconnect @ Reconnect {
                attempt: Attempt::AwaitingChallenge { deadline_ms },
                ..
            },
        ) = self.reconnect()
        else {
            self.attempt_failed(now_ms, Some("unexpected challenge".to_owned()));
            return;
        };
        let request_id = self.next_request_id();
        let Some(session) = self.session() else {
            return;
        };
        let login =
            outbound::resume_login(request_id, &session.credentials, nonce, session.session_id);
        self.set_attempt(Reconnect {
            attempt: Attempt::LoggingIn {
                request_id,
                deadline_ms,
            },
            ..reconnect
        });
        self.send(now_ms, login);
    }

    /// The reply to the resume login, if `request_id` is it; false if it is not.
    pub(super) fn reconnect_login_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) -> bool {
        let Some(Reconnect {
            attempt:
                Attempt::LoggingIn {
                    request_id: login_request,
                    ..
                },
            ..
        }) = self.reconnect()
        else {
            return false;
        };
        if request_id != login_request {
            return false;
        }
        match code {
            ErrorCode::Success => self.resume(now_ms, detail),
            ErrorCode::LoginSessionError => {
                probe::hit(Probe::KickOffDuringReconnect);
                info!("the session was taken over while away: kicked off");
                self.events
                    .push_back(Event::ReconnectResult(ReconnectResult::Fail));
                self.end_session(
                    Ending::KickedOff,
                    Some("session taken over by another login".to_owned()),
                );
            }
            code if retryable(code) => {
                self.attempt_failed(now_ms, Some(format!("resume login refused: {code}")));
            }
            code => {
                info!(%code, "resume login refused for good");
                self.give_up(Some(format!("resume login refused: {code}")));
            }
        }
        true
    }

    /// The session is back: re-join the rooms (asking for what was missed), send the waiting
    /// calls again in request order, restart their deadlines.
    fn resume(&mut self, now_ms: u64, detail: Option<&reply::Detail>) {
        let deadline_ms = self.request_deadline_ms(now_ms);
        let Some(session) = self.session_mut() else {
            return;
        };
        session.step = Step::LoggedIn;
        if let Some(reply::Detail::LoginReceipt(receipt)) = detail {
            session.session_id = receipt.session_id;
        }
        let rooms: Vec<(String, u64)> = session
            .joined_rooms
            .iter()
            .map(|room| {
                let cursor = session.room_cursors.get(room).copied().unwrap_or(0);
                (room.clone(), cursor)
            })
            .collect();
        info!(
            rooms = rooms.len(),
            waiting = session.pending.len(),
            "session resumed"
        );
        if !planted::active(Bug::ForgetRejoin) {
            for (room_id, after_seq) in rooms {
                let request_id = self.next_request_id();
                self.send(now_ms, outbound::rejoin(request_id, &room_id, after_seq));
                if let Some(session) = self.session_mut() {
                    session
                        .internal
                        .insert(request_id, Internal::Rejoin { room_id });
                }
            }
        }
        let frames = match self.session_mut() {
            Some(session) => session.pending.frames_for_resume(deadline_ms),
            None => Vec::new(),
        };
        if !frames.is_empty() {
            probe::hit(Probe::CallResentAfterResume);
        }
        for frame in frames {
            self.send(now_ms, frame);
        }
        // A voice message that ended while away may have unblocked waiting sends.
        self.release_held_sends(now_ms);
        self.events
            .push_back(Event::ReconnectResult(ReconnectResult::Success));
    }

    /// The reply to a request the machine made on its own.
    pub(super) fn internal_reply(
        &mut self,
        internal: Internal,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let Some(session) = self.phase.session_mut() else {
            return;
        };
        match internal {
            Internal::Rejoin { room_id } => {
                if code != ErrorCode::Success {
                    info!(%room_id, %code, "re-joining a room failed");
                    session.joined_rooms.remove(&room_id);
                    session.room_cursors.remove(&room_id);
                    self.events
                        .push_back(Event::RejoinChatRoomFailed { room_id, code });
                    return;
                }
                if let Some(reply::Detail::RoomJoined(RoomJoined {
                    lost_from_seq,
                    lost_to_seq,
                    ..
                })) = detail
                {
                    if *lost_to_seq > 0 {
                        let cursor = session.room_cursors.entry(room_id.clone()).or_insert(0);
                        *cursor = (*cursor).max(*lost_to_seq);
                        self.events.push_back(Event::RoomMessagesLost {
                            room_id,
                            from_seq: *lost_from_seq,
                            to_seq: *lost_to_seq,
                        });
                    }
                }
            }
        }
    }

    /// The current attempt failed: try again after a backoff, or give up when the next
    /// attempt would start past the budget.
    pub(super) fn attempt_failed(&mut self, now_ms: u64, close_reason: Option<String>) {
        let Some(reconnect) = self.reconnect() else {
            return;
        };
        if let Some(reason) = close_reason {
            self.actions.push_back(Action::Close { reason });
        }
        self.transmits.clear();
        let budget_end_ms = reconnect
            .started_ms
            .saturating_add(self.config.reconnect_budget_ms);
        let attempt_ms = now_ms.saturating_add(self.backoff_ms(reconnect.attempts));
        if attempt_ms >= budget_end_ms {
            self.give_up(None);
            return;
        }
        debug!(
            attempts = reconnect.attempts,
            attempt_ms, "reconnect attempt failed"
        );
        self.set_attempt(Reconnect {
            attempt: Attempt::Waiting { attempt_ms },
            ..reconnect
        });
        self.events
            .push_back(Event::ReconnectResult(ReconnectResult::FailAgain));
    }

    /// The reconnect is over, unsuccessfully: `Fail`, then the session ends (waiting calls
    /// and the recording complete with `NetError`, then the unsolicited `Logout`).
    fn give_up(&mut self, close_reason: Option<String>) {
        info!("giving up reconnecting");
        self.events
            .push_back(Event::ReconnectResult(ReconnectResult::Fail));
        self.end_session(Ending::ConnectionLost, close_reason);
    }
}
