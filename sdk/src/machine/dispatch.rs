//! Application calls: `handle_call` checks a call, gives it a request ID, records it as
//! pending and queues what it needs (a connection for a login, a frame for the rest; the
//! recording calls go to `voice`).
//!
//! What it is: the synchronous half of every YIM call: the error it returns at once, with one
//! state check, one parameter check and one capacity check for all calls. What it is not: the
//! completion (see `complete`).

use std::collections::{BTreeMap, BTreeSet};

use tracing::debug;
use yim_proto::ErrorCode;

use super::action::Action;
use super::call::{Call, RequestId};
use super::message::MessageBody;
use super::outbound;
use super::pending::{Download, Outgoing, PendingCalls, PendingKind, RoomPaging};
use super::phase::{Credentials, Ending, Phase, Session, Step};
use super::state::State;
use super::{validate, ClientMachine};

impl ClientMachine {
    /// Makes a call. `Ok(request_id)`: exactly one completion event carrying `request_id` will
    /// follow (for `StopRecord` and `CancelRecord`: the recording's ID; its completion is the
    /// recording's, and none comes after a cancel). `Err(code)`: nothing was sent and no
    /// event will ever follow.
    ///
    /// Checks, in order: the state (`EngineNotInit`, `NotLogin`, `AlreadyLogin`, or
    /// `StatusError` while a logout is under way), the parameters (`ParamInvalid`,
    /// `RoomIDTooLong`, `MessageTooLong`, `ReceiverEmpty`, `InvalidChatType`, ...), then, for
    /// calls that wait for the server, room for one more pending call (`StatusError`; while
    /// reconnecting, past `max_outage_calls`, `NetError`) and for one more frame waiting to be
    /// written (`NetError`, see `write_queue`), and for the recording calls the
    /// recording rules (`PttIsSpeeching`, `PttNotStartRecord`).
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
        validate::check_state(self.state(), &call)?;
        validate::check_params(&call)?;
        match call {
            Call::StartRecord { .. } | Call::SendAudioFile { .. } => {
                self.start_recording(now_ms, call)
            }
            Call::StopRecord { extra_param } => self.stop_recording(now_ms, extra_param),
            Call::CancelRecord => self.cancel_recording(now_ms),
            call if call.is_local_history() => self.history_call(now_ms, call),
            call => {
                if self.pending_calls() >= self.config.max_pending_calls {
                    return Err(ErrorCode::StatusError);
                }
                self.check_write_queue()?;
                match call {
                    Call::Login { .. } => self.start_login(now_ms, call),
                    call => self.start_request(now_ms, call),
                }
            }
        }
    }

    /// A login: a new session with the user's local store, connecting. A store that cannot be
    /// opened refuses the login (`ReadWriteFileError`, or `CreateDirectoryFailed`).
    fn start_login(&mut self, now_ms: u64, call: Call) -> Result<RequestId, ErrorCode> {
        let Call::Login {
            user_id,
            password,
            token,
        } = call
        else {
            return Err(ErrorCode::ParamInvalid);
        };
        let settings = self
            .phase
            .settings()
            .ok_or(ErrorCode::EngineNotInit)?
            .clone();
        let addr = self
            .config
            .zones
            .get(&settings.zone)
            .ok_or(ErrorCode::ParamInvalid)?
            .clone();
        let history = self.disk.open(&settings.app_key, &user_id).map_err(|e| {
            tracing::warn!(error = %e, "the local history store cannot be opened");
            e.code()
        })?;
        let request_id = self.next_request_id();
        let mut pending = PendingCalls::default();
        let kind = PendingKind::Login {
            user_id: user_id.clone(),
        };
        pending.insert(request_id, kind, self.request_deadline_ms(now_ms), None);
        let session = Session {
            step: Step::Connecting,
            credentials: Credentials {
                app_key: settings.app_key.clone(),
                app_secret: settings.app_secret.clone(),
                user_id,
                password,
                token,
            },
            login_request: request_id,
            last_sent_ms: now_ms,
            last_received_ms: now_ms,
            session_id: 0,
            pending,
            joined_rooms: BTreeSet::new(),
            room_cursors: BTreeMap::new(),
            internal: BTreeMap::new(),
            recording: self.planted.take_recording(),
            history,
        };
        self.phase = Phase::InSession {
            settings,
            session: Box::new(session),
        };
        self.actions.push_back(Action::Connect { addr });
        debug!(%request_id, "login started");
        Ok(request_id)
    }

    /// A call answered by the server: pending with its frame, sent now or after the resume.
    fn start_request(&mut self, now_ms: u64, call: Call) -> Result<RequestId, ErrorCode> {
        let kind = match &call {
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
            Call::SendText {
                receiver_id,
                chat_type,
                text,
                attach,
            } => PendingKind::Send(Box::new(Outgoing {
                receiver_id: receiver_id.clone(),
                chat_type: *chat_type,
                body: MessageBody::Text {
                    content: text.clone(),
                    attach: attach.clone(),
                },
            })),
            Call::SendCustom {
                receiver_id,
                chat_type,
                content,
            } => PendingKind::Send(Box::new(Outgoing {
                receiver_id: receiver_id.clone(),
                chat_type: *chat_type,
                body: MessageBody::Custom(content.clone()),
            })),
            Call::DownloadAudio {
                message_id,
                save_path,
            } => PendingKind::Download(Box::new(Download {
                message_id: *message_id,
                download_token: self
                    .user_id()
                    .map_or(0, |user| self.voice_tokens.token(user, *message_id)),
                save_path: save_path.clone(),
                data: Vec::new(),
            })),
            Call::QueryRoomHistoryMessageFromServer {
                room_id,
                count,
                order,
            } => PendingKind::RoomHistory(Box::new(RoomPaging {
                room_id: room_id.clone(),
                count: *count,
                order: *order,
                messages: Vec::new(),
            })),
            _ => return Err(ErrorCode::ParamInvalid),
        };
        let reconnecting = self.state() == State::Reconnecting;
        if reconnecting && self.pending_calls() >= self.config.max_outage_calls {
            return Err(ErrorCode::NetError);
        }
        let request_id = self.next_request_id();
        // Every call but a download (or a history query) draws a key, used or not: which
        // calls draw is part of every seeded run's jitter, so it stays as it is.
        let idempotency_key = match kind {
            PendingKind::Download(_) | PendingKind::RoomHistory(_) => 0,
            _ => self.rng.nonzero(),
        };
        let frame = match &kind {
            PendingKind::Download(download) => Some(outbound::download(
                request_id,
                download.message_id,
                download.download_token,
                0,
            )),
            _ => outbound::for_call(request_id, &call, idempotency_key),
        };
        let deadline_ms = self.request_deadline_ms(now_ms);
        if matches!(call, Call::Logout) {
            if reconnecting {
                // No session to say goodbye to: the logout is done, the reconnect stops (and
                // an attempt's connection, if one is open, is closed).
                if let Some(session) = self.session_mut() {
                    session.pending.insert(request_id, kind, deadline_ms, None);
                }
                debug!(%request_id, "logout while reconnecting");
                let close = self
                    .reconnect_has_connection()
                    .then(|| "logout while reconnecting".to_owned());
                self.end_session(Ending::LoggedOut(ErrorCode::Success), close);
                return Ok(request_id);
            }
            if let Some(session) = self.session_mut() {
                session.step = Step::LoggingOut;
            }
        }
        let is_send = matches!(kind, PendingKind::Send(_));
        let Some(session) = self.session_mut() else {
            return Err(ErrorCode::NotLogin);
        };
        session
            .pending
            .insert(request_id, kind, deadline_ms, frame.clone());
        let Some(frame) = frame else {
            return Ok(request_id);
        };
        if is_send {
            if self.send_in_order(now_ms, request_id, frame) {
                debug!(%request_id, "send waits behind a voice message");
            }
        } else if !reconnecting {
            self.send(now_ms, frame);
            debug!(%request_id, call = call.name(), "call sent");
        } else {
            debug!(%request_id, call = call.name(), "call waits for the reconnect");
        }
        Ok(request_id)
    }
}
