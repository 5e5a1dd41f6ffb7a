//! Application calls: `handle_call` checks a call, gives it a request ID, records it as
//! pending and queues what it needs (a connection for a login, a frame for the rest).
//!
//! What it is: the synchronous half of every YIM call: the error it returns at once. What it
//! is not: the completion (see `receive`, `timers`, `session`).

use tracing::debug;
use yim_proto::ErrorCode;

use super::call::{Call, RequestId};
use super::event::Action;
use super::outbound::{self, Credentials};
use super::pending::PendingKind;
use super::session::{Ending, Session};
use super::state::State;
use super::{validate, ClientMachine};

impl ClientMachine {
    /// Makes a call. `Ok(request_id)`: exactly one completion event carrying `request_id` will
    /// follow. `Err(code)`: nothing was sent and no event will ever follow.
    ///
    /// Checks, in order: the state (`EngineNotInit`, `NotLogin`, `AlreadyLogin`, or
    /// `StatusError` while a logout is under way), the parameters (`ParamInvalid`,
    /// `RoomIDTooLong`, `MessageTooLong`, `ReceiverEmpty`, `InvalidChatType`, ...), then room
    /// for one more pending call (`StatusError`; while reconnecting, past
    /// `max_outage_calls`, `NetError`).
    ///
    /// While reconnecting, calls are accepted and wait: they are sent when the session resumes
    /// and complete then, or with `NetError` if the reconnect gives up. A logout while
    /// reconnecting completes at once with `Success` and stops the reconnect.
    pub fn handle_call(&mut self, now_ms: u64, call: Call) -> Result<RequestId, ErrorCode> {
        let result = self.accept_call(now_ms, call);
        if let Err(code) = &result {
            debug!(%code, "call refused");
        }
        result
    }

    fn accept_call(&mut self, now_ms: u64, call: Call) -> Result<RequestId, ErrorCode> {
        validate::check_state(self.state, &call)?;
        validate::check_params(&call)?;
        if self.pending.len() >= self.config.max_pending_calls {
            return Err(ErrorCode::StatusError);
        }
        let deadline_ms = now_ms.saturating_add(self.config.request_timeout_ms);
        let kind = match &call {
            Call::Login {
                user_id,
                password,
                token,
            } => {
                let settings = self.settings.as_ref().ok_or(ErrorCode::EngineNotInit)?;
                let addr = self
                    .config
                    .zones
                    .get(&settings.zone)
                    .ok_or(ErrorCode::ParamInvalid)?
                    .clone();
                let credentials = Credentials {
                    app_key: settings.app_key.clone(),
                    app_secret: settings.app_secret.clone(),
                    user_id: user_id.clone(),
                    password: password.clone(),
                    token: token.clone(),
                };
                let request_id = self.next_request_id();
                self.session = Some(Session {
                    credentials,
                    login_request: request_id,
                    last_sent_ms: now_ms,
                    last_received_ms: now_ms,
                    session_id: 0,
                });
                self.state = State::Connecting;
                self.actions.push_back(Action::Connect { addr });
                let kind = PendingKind::Login {
                    user_id: user_id.clone(),
                };
                self.pending.insert(request_id, kind, deadline_ms, None);
                debug!(%request_id, "login started");
                return Ok(request_id);
            }
            Call::Logout => PendingKind::Logout,
            Call::JoinChatRoom { room_id } => PendingKind::JoinChatRoom {
                room_id: room_id.clone(),
            },
            Call::LeaveChatRoom { room_id } => PendingKind::LeaveChatRoom {
                room_id: room_id.clone(),
            },
            Call::LeaveAllChatRooms => PendingKind::LeaveAllChatRooms,
            Call::GetRoomMemberCount { room_id } => PendingKind::RoomMemberCount {
                room_id: room_id.clone(),
            },
            Call::SendText { .. } | Call::SendCustom { .. } => PendingKind::Send,
        };
        let reconnecting = self.state == State::Reconnecting;
        if reconnecting && self.pending.len() >= self.config.max_outage_calls {
            return Err(ErrorCode::NetError);
        }
        let request_id = self.next_request_id();
        let idempotency_key = self.rng.nonzero();
        let frame = outbound::for_call(request_id, &call, idempotency_key);
        if matches!(call, Call::Logout) {
            if reconnecting {
                // No session to say goodbye to: the logout is done, the reconnect stops (and
                // an attempt's connection, if one is open, is closed).
                self.pending.insert(request_id, kind, deadline_ms, None);
                debug!(%request_id, "logout while reconnecting");
                let close = self
                    .reconnect_has_connection()
                    .then(|| "logout while reconnecting".to_owned());
                self.end_session(Ending::LoggedOut(ErrorCode::Success), close);
                return Ok(request_id);
            }
            self.state = State::LoggingOut;
        }
        let is_send = matches!(kind, PendingKind::Send);
        self.pending
            .insert(request_id, kind, deadline_ms, frame.clone());
        if is_send && self.pending.is_blocked(request_id) {
            // Messages leave in the order they are sent: this one waits for an earlier voice
            // message to finish uploading.
            self.pending.hold(request_id);
            debug!(%request_id, "send waits behind a voice message");
            return Ok(request_id);
        }
        match frame {
            Some(frame) if !reconnecting => {
                self.send(now_ms, frame);
                debug!(%request_id, call = call.name(), "call sent");
            }
            _ => debug!(%request_id, call = call.name(), "call waits for the reconnect"),
        }
        Ok(request_id)
    }
}
