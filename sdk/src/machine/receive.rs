//! Frames from the server: the challenge, replies (matched to pending calls by request ID),
//! delivered messages, kick-off, pong and goodbye.
//!
//! What it is: `handle_frame` and the rules for each frame in each state. A frame that makes
//! no sense in the current state is a protocol error and ends the session. What it is not:
//! decoding bytes (the driver does that with `yim_proto::FrameDecoder`).

use tracing::{debug, info, warn};
use yim_proto::planted::{self, Bug};
use yim_proto::wire::Reply;
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody};

use super::call::RequestId;
use super::event::{Event, ReceivedMessage};
use super::inbound;
use super::outbound;
use super::pending::PendingKind;
use super::session::Ending;
use super::state::State;
use super::ClientMachine;

impl ClientMachine {
    /// A frame arrived on the current connection. Ignored when there is no open connection.
    pub fn handle_frame(&mut self, now_ms: u64, frame: Frame) {
        let Some(session) = &mut self.session else {
            debug!(kind = frame.kind(), "frame without a session; ignored");
            return;
        };
        if self.state == State::Connecting {
            debug!(
                kind = frame.kind(),
                "frame before the connection opened; ignored"
            );
            return;
        }
        session.last_received_ms = now_ms;
        let Some(body) = frame.body else {
            self.protocol_error("frame without a body");
            return;
        };
        match body {
            FrameBody::Challenge(challenge) => {
                if self.state != State::AwaitingChallenge {
                    self.protocol_error("unexpected challenge");
                    return;
                }
                if challenge.protocol_version != yim_proto::PROTOCOL_VERSION {
                    warn!(
                        server = challenge.protocol_version,
                        client = yim_proto::PROTOCOL_VERSION,
                        "protocol versions differ; the server decides"
                    );
                }
                let login = outbound::login(
                    session.login_request,
                    &session.credentials,
                    &challenge.nonce,
                );
                self.state = State::LoggingIn;
                self.send(now_ms, login);
            }
            FrameBody::Reply(reply) => self.on_reply(reply),
            FrameBody::Message(message) => {
                if !matches!(self.state, State::LoggedIn | State::LoggingOut) {
                    self.protocol_error("message before login");
                    return;
                }
                match inbound::received_message(message) {
                    Ok(message) => self.deliver(now_ms, message),
                    Err(reason) => self.protocol_error(reason),
                }
            }
            FrameBody::KickOff(_) => match self.state {
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
                _ => self.protocol_error("kick-off before login"),
            },
            FrameBody::Pong(_) => {}
            FrameBody::Goodbye(goodbye) => {
                let reason = format!(
                    "server said goodbye: {} (code {})",
                    goodbye.reason, goodbye.code
                );
                info!(%reason);
                self.end_session(Ending::ConnectionLost, Some(reason));
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
            | FrameBody::AdminLogin(_)
            | FrameBody::Mute(_)
            | FrameBody::Unmute(_) => self.protocol_error("client-to-server frame from the server"),
        }
    }

    /// A reply: completes its pending call. A reply for no pending call (late, after a
    /// time-out) is ignored.
    fn on_reply(&mut self, reply: Reply) {
        let request_id = RequestId(reply.request_id);
        let code = inbound::reply_code(reply.code);
        let Some(kind) = self.pending.get(request_id) else {
            debug!(%request_id, %code, "reply for no pending call; ignored");
            return;
        };
        match kind {
            PendingKind::Login { .. } => {
                if self.state != State::LoggingIn {
                    self.protocol_error("login reply before the login was sent");
                } else if code == ErrorCode::Success {
                    if let Some(kind) = self.pending.remove(request_id) {
                        self.state = State::LoggedIn;
                        info!(%request_id, "logged in");
                        let event = inbound::completion(request_id, kind, code, None);
                        self.events.push_back(event);
                    }
                } else {
                    info!(%request_id, %code, "login refused");
                    self.end_session(
                        Ending::LoginFailed(code),
                        Some(format!("login refused: {code}")),
                    );
                }
            }
            PendingKind::Logout => {
                info!(%request_id, %code, "logged out");
                self.end_session(Ending::LoggedOut(code), Some("logged out".to_owned()));
            }
            _ => {
                if let Some(kind) = self.pending.remove(request_id) {
                    if code == ErrorCode::Success {
                        self.track_rooms(&kind);
                    }
                    let event = inbound::completion(request_id, kind, code, reply.detail.as_ref());
                    self.events.push_back(event);
                }
            }
        }
    }

    /// Keeps `joined_rooms` up to date after a successful room call.
    fn track_rooms(&mut self, kind: &PendingKind) {
        match kind {
            PendingKind::JoinChatRoom { room_id } => {
                self.joined_rooms.insert(room_id.clone());
            }
            PendingKind::LeaveChatRoom { room_id } => {
                self.joined_rooms.remove(room_id);
            }
            PendingKind::LeaveAllChatRooms => self.joined_rooms.clear(),
            _ => {}
        }
    }

    /// The server broke the protocol: close and treat as a connection loss.
    pub(super) fn protocol_error(&mut self, reason: &str) {
        warn!(%reason, state = %self.state, "protocol error; closing");
        self.end_session(
            Ending::ConnectionLost,
            Some(format!("protocol error: {reason}")),
        );
    }

    /// Hands a received message to the application once, and acknowledges private messages
    /// so the server stops keeping them (after the event is queued: a message is acknowledged
    /// only once the application has it).
    fn deliver(&mut self, now_ms: u64, message: ReceivedMessage) {
        let message_id = message.message_id;
        let private = message.chat_type == ChatType::Private;
        if self.delivered.first_delivery(message_id) || planted::active(Bug::NoDedupe) {
            if planted::active_every(Bug::DuplicateDelivery, 5) {
                self.events.push_back(Event::RecvMessage(message.clone()));
            }
            self.events.push_back(Event::RecvMessage(message));
        } else {
            debug!(message_id, "delivered before; not again");
        }
        if private {
            self.send(now_ms, outbound::ack(message_id));
        }
    }
}
