//! Frames from the server: the challenge, replies (matched to pending calls by request ID),
//! delivered messages, kick-off, pong and goodbye.
//!
//! What it is: `handle_frame` and the rules for each frame in each state. A frame that makes
//! no sense in the current state is a protocol error and ends the session. What it is not:
//! decoding bytes (the driver does that with `yim_proto::FrameDecoder`), or what a delivered
//! message owes the application (see `deliver`).

use tracing::{debug, info, warn};
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{self, reply, Reply};
use yim_proto::{ErrorCode, Frame, FrameBody};

use super::call::RequestId;
use super::complete::Completing;
use super::inbound;
use super::outbound;
use super::pending::PendingKind;
use super::phase::{Ending, Step};
use super::state::State;
use super::ClientMachine;

/// Which kind of pending call a reply is for.
enum Replied {
    Login,
    Logout,
    Upload,
    Download,
    RoomHistory,
    Other,
}

impl Replied {
    fn to(kind: &PendingKind) -> Replied {
        match kind {
            PendingKind::Login { .. } => Replied::Login,
            PendingKind::Logout => Replied::Logout,
            PendingKind::Voice(_) => Replied::Upload,
            PendingKind::Download(_) => Replied::Download,
            PendingKind::RoomHistory(_) => Replied::RoomHistory,
            _ => Replied::Other,
        }
    }
}

impl ClientMachine {
    /// A frame arrived on the current connection. Ignored when there is no open connection.
    pub fn handle_frame(&mut self, now_ms: u64, frame: Frame) {
        let Some(session) = self.session() else {
            debug!(kind = frame.kind(), "frame without a session; ignored");
            return;
        };
        let waiting_for_connection = match session.step {
            Step::Connecting => true,
            Step::Reconnecting(_) => !self.reconnect_awaits_frames(),
            _ => false,
        };
        if waiting_for_connection {
            debug!(
                kind = frame.kind(),
                "frame before the connection opened; ignored"
            );
            return;
        }
        if let Some(session) = self.session_mut() {
            session.last_received_ms = now_ms;
        }
        let Some(body) = frame.body else {
            self.protocol_error(now_ms, "frame without a body");
            return;
        };
        let state = self.state();
        match body {
            FrameBody::Challenge(challenge) if state == State::Reconnecting => {
                self.reconnect_challenge(now_ms, &challenge.nonce);
            }
            FrameBody::Challenge(challenge) => {
                if state != State::AwaitingChallenge {
                    self.protocol_error(now_ms, "unexpected challenge");
                    return;
                }
                if challenge.protocol_version != yim_proto::PROTOCOL_VERSION {
                    warn!(
                        server = challenge.protocol_version,
                        client = yim_proto::PROTOCOL_VERSION,
                        "protocol versions differ; the server decides"
                    );
                }
                let Some(session) = self.session_mut() else {
                    return;
                };
                let login = outbound::login(
                    session.login_request,
                    &session.credentials,
                    &challenge.nonce,
                );
                session.step = Step::LoggingIn;
                self.send(now_ms, login);
            }
            FrameBody::Reply(reply) => self.on_reply(now_ms, reply),
            FrameBody::Message(message) => {
                if !matches!(state, State::LoggedIn | State::LoggingOut) {
                    self.protocol_error(now_ms, "message before login");
                    return;
                }
                if let Some(wire::body::Kind::Voice(voice)) =
                    message.body.as_ref().and_then(|b| b.kind.as_ref())
                {
                    if let Some(user_id) = self.phase.session().map(|s| &s.credentials.user_id) {
                        self.voice_tokens.remember(
                            user_id,
                            message.message_id,
                            voice.download_token,
                        );
                    }
                }
                match inbound::received_message(message) {
                    Ok(message) => self.deliver(now_ms, message),
                    Err(reason) => self.protocol_error(now_ms, reason),
                }
            }
            FrameBody::KickOff(_) => match state {
                State::LoggedIn if planted::active(Bug::ReconnectAfterKickOff) => {
                    // The bug YIM users meet: the kicked device logs in again by itself and
                    // takes the session back (a fresh login, not a resume).
                    if let Some(session) = self.session_mut() {
                        session.session_id = 0;
                    }
                    self.connection_lost(now_ms, Some("planted: kick-off taken for a loss".into()));
                }
                State::LoggedIn => {
                    info!("kicked off");
                    self.end_session(Ending::KickedOff, Some("kicked off".to_owned()));
                }
                State::LoggingOut => {
                    self.end_session(
                        Ending::LoggedOut(ErrorCode::Success),
                        Some("kicked off while logging out".to_owned()),
                    );
                }
                _ => self.protocol_error(now_ms, "kick-off before login"),
            },
            FrameBody::Pong(_) => {}
            FrameBody::Goodbye(goodbye) => {
                let reason = format!(
                    "server said goodbye: {} (code {})",
                    goodbye.reason, goodbye.code
                );
                info!(%reason);
                self.connection_lost(now_ms, Some(reason));
            }
            FrameBody::Login(_)
            | FrameBody::Logout(_)
            | FrameBody::JoinRoom(_)
            | FrameBody::LeaveRoom(_)
            | FrameBody::LeaveAllRooms(_)
            | FrameBody::GetRoomMemberCount(_)
            | FrameBody::SendMessage(_)
            | FrameBody::Ping(_)
            | FrameBody::AckMessages(_)
            | FrameBody::UploadAudio(_)
            | FrameBody::DownloadAudio(_)
            | FrameBody::QueryRoomHistory(_)
            | FrameBody::AdminLogin(_)
            | FrameBody::Mute(_)
            | FrameBody::Unmute(_) => {
                self.protocol_error(now_ms, "client-to-server frame from the server")
            }
        }
    }

    /// A reply: completes its pending call. A reply for no pending call (late, after a
    /// time-out) is ignored.
    fn on_reply(&mut self, now_ms: u64, reply: Reply) {
        let request_id = RequestId(reply.request_id);
        let code = inbound::reply_code(reply.code);
        let detail = reply.detail.as_ref();
        if self.reconnect_login_reply(now_ms, request_id, code, detail) {
            return;
        }
        let internal = self
            .session_mut()
            .and_then(|s| s.internal.remove(&request_id));
        if let Some(internal) = internal {
            self.internal_reply(internal, code, detail);
            return;
        }
        let Some(kind) = self.session().and_then(|s| s.pending.get(request_id)) else {
            debug!(%request_id, %code, "reply for no pending call; ignored");
            probe::hit(Probe::LateAnswerAfterTimeOut);
            return;
        };
        match Replied::to(kind) {
            Replied::Login => self.login_reply(now_ms, request_id, code, detail),
            Replied::Logout => {
                info!(%request_id, %code, "logged out");
                self.end_session(Ending::LoggedOut(code), Some("logged out".to_owned()));
            }
            Replied::Upload => self.upload_reply(now_ms, request_id, code, detail),
            Replied::Download => self.download_reply(now_ms, request_id, code, detail),
            Replied::RoomHistory => self.room_history_reply(now_ms, request_id, code, detail),
            Replied::Other => {
                let kind = self
                    .session_mut()
                    .and_then(|s| s.pending.remove(request_id));
                if let Some(kind) = kind {
                    self.complete(request_id, Completing::Call(kind), code, detail);
                }
            }
        }
    }

    /// The reply to the login call.
    fn login_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        if self.state() != State::LoggingIn {
            self.protocol_error(now_ms, "login reply before the login was sent");
        } else if code == ErrorCode::Success {
            let Some(session) = self.session_mut() else {
                return;
            };
            let Some(kind) = session.pending.remove(request_id) else {
                return;
            };
            session.step = Step::LoggedIn;
            if let Some(reply::Detail::LoginReceipt(receipt)) = detail {
                session.session_id = receipt.session_id;
            }
            info!(%request_id, "logged in");
            self.complete(request_id, Completing::Call(kind), code, None);
        } else {
            info!(%request_id, %code, "login refused");
            self.end_session(
                Ending::LoginFailed(code),
                Some(format!("login refused: {code}")),
            );
        }
    }

    /// The server broke the protocol: close and treat as a connection loss.
    pub(super) fn protocol_error(&mut self, now_ms: u64, reason: &str) {
        warn!(%reason, state = %self.state(), "protocol error; closing");
        self.connection_lost(now_ms, Some(format!("protocol error: {reason}")));
    }
}
