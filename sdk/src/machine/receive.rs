//! Frames from the server: the challenge, replies (matched to pending calls by request ID),
//! delivered messages, kick-off, pong and goodbye.
//!
//! What it is: `handle_frame` and the rules for each frame in each state. A frame that makes
//! no sense in the current state is a protocol error and ends the session. What it is not:
//! decoding bytes (the driver does that with `yim_proto::FrameDecoder`).

use tracing::{debug, info, warn};
use yim_proto::planted::{self, Bug};
use yim_proto::wire::{reply, Reply};
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
        if self.session.is_none() {
            debug!(kind = frame.kind(), "frame without a session; ignored");
            return;
        }
        let waiting_for_connection = match self.state {
            State::Connecting => true,
            State::Reconnecting => !self.reconnect_awaits_frames(),
            _ => false,
        };
        if waiting_for_connection {
            debug!(
                kind = frame.kind(),
                "frame before the connection opened; ignored"
            );
            return;
        }
        if let Some(session) = &mut self.session {
            session.last_received_ms = now_ms;
        }
        let Some(body) = frame.body else {
            self.protocol_error(now_ms, "frame without a body");
            return;
        };
        match body {
            FrameBody::Challenge(challenge) if self.state == State::Reconnecting => {
                self.reconnect_challenge(now_ms, &challenge.nonce);
            }
            FrameBody::Challenge(challenge) => {
                if self.state != State::AwaitingChallenge {
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
                let Some(session) = &self.session else {
                    return;
                };
                let login = outbound::login(
                    session.login_request,
                    &session.credentials,
                    &challenge.nonce,
                );
                self.state = State::LoggingIn;
                self.send(now_ms, login);
            }
            FrameBody::Reply(reply) => self.on_reply(now_ms, reply),
            FrameBody::Message(message) => {
                if !matches!(self.state, State::LoggedIn | State::LoggingOut) {
                    self.protocol_error(now_ms, "message before login");
                    return;
                }
                match inbound::received_message(message) {
                    Ok(message) => self.deliver(now_ms, message),
                    Err(reason) => self.protocol_error(now_ms, reason),
                }
            }
            FrameBody::KickOff(_) => match self.state {
                State::LoggedIn if planted::active(Bug::ReconnectAfterKickOff) => {
                    // The bug YIM users meet: the kicked device logs in again by itself and
                    // takes the session back (a fresh login, not a resume).
                    if let Some(session) = &mut self.session {
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
        if let Some(internal) = self.internal.remove(&request_id) {
            self.internal_reply(internal, code, detail);
            return;
        }
        let Some(kind) = self.pending.get(request_id) else {
            debug!(%request_id, %code, "reply for no pending call; ignored");
            return;
        };
        match kind {
            PendingKind::Login { .. } => {
                if self.state != State::LoggingIn {
                    self.protocol_error(now_ms, "login reply before the login was sent");
                } else if code == ErrorCode::Success {
                    if let Some(kind) = self.pending.remove(request_id) {
                        self.state = State::LoggedIn;
                        if let (Some(session), Some(reply::Detail::LoginReceipt(receipt))) =
                            (&mut self.session, detail)
                        {
                            session.session_id = receipt.session_id;
                        }
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
            PendingKind::Voice(_) => {
                self.voice_reply(now_ms, request_id, code, detail);
            }
            PendingKind::Download(_) => {
                self.download_reply(now_ms, request_id, code, detail);
            }
            _ => {
                if let Some(kind) = self.pending.remove(request_id) {
                    self.complete(request_id, kind, code, detail);
                }
            }
        }
    }

    /// Completes a call that is not a login or logout: keeps the rooms up to date, then queues
    /// its completion event.
    pub(super) fn complete(
        &mut self,
        request_id: RequestId,
        kind: PendingKind,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        self.track_rooms(&kind, code, detail);
        let event = inbound::completion(request_id, kind, code, detail);
        self.events.push_back(event);
    }

    /// Keeps `joined_rooms` and the room cursors up to date as room calls complete. A join
    /// counts once it succeeded, and starts the room's cursor at the room's last message (what
    /// came before the join is not the member's). A leave counts whatever its outcome: the
    /// application asked to be out, so a leave that failed or timed out (the server may or may
    /// not have done it) still takes the room off the list, its messages are no longer
    /// delivered, and it is not re-joined after a reconnect.
    fn track_rooms(&mut self, kind: &PendingKind, code: ErrorCode, detail: Option<&reply::Detail>) {
        match kind {
            PendingKind::JoinChatRoom { room_id } if code == ErrorCode::Success => {
                self.joined_rooms.insert(room_id.clone());
                let last_seq = match detail {
                    Some(reply::Detail::RoomJoined(joined)) => joined.last_seq,
                    _ => 0,
                };
                self.room_cursors.entry(room_id.clone()).or_insert(last_seq);
            }
            PendingKind::LeaveChatRoom { room_id } => {
                self.joined_rooms.remove(room_id);
                self.room_cursors.remove(room_id);
            }
            PendingKind::LeaveAllChatRooms => {
                self.joined_rooms.clear();
                self.room_cursors.clear();
            }
            _ => {}
        }
    }

    /// The server broke the protocol: close and treat as a connection loss.
    pub(super) fn protocol_error(&mut self, now_ms: u64, reason: &str) {
        warn!(%reason, state = %self.state, "protocol error; closing");
        self.connection_lost(now_ms, Some(format!("protocol error: {reason}")));
    }

    /// Hands a received message to the application once, and acknowledges private messages
    /// so the server stops keeping them (after the event is queued: a message is acknowledged
    /// only once the application has it).
    ///
    /// A room message at or below the room's cursor was delivered before (a replay after a
    /// resume overlapping what arrived earlier) and is skipped. A message of a room the client
    /// does not count as joined (its join timed out, or its leave did) is not delivered.
    fn deliver(&mut self, now_ms: u64, message: ReceivedMessage) {
        let message_id = message.message_id;
        let private = message.chat_type == ChatType::Private;
        if message.chat_type == ChatType::Room
            && !self.joined_rooms.contains(&message.receiver_id)
            && !planted::active(Bug::DeliverToNonMember)
        {
            debug!(message_id, room = %message.receiver_id, "message of a room not joined");
            return;
        }
        if message.chat_type == ChatType::Room && message.room_seq > 0 {
            if let Some(cursor) = self.room_cursors.get_mut(&message.receiver_id) {
                if message.room_seq <= *cursor {
                    debug!(
                        message_id,
                        seq = message.room_seq,
                        "room message seen before"
                    );
                    return;
                }
                *cursor = message.room_seq;
            }
        }
        if self.delivered.first_delivery(message_id) || planted::active(Bug::NoDedupe) {
            if planted::active_every(Bug::DuplicateDelivery, 5) {
                self.events.push_back(Event::RecvMessage(message.clone()));
            }
            if planted::active(Bug::ReorderRoom) && !private {
                match self.planted_held.take() {
                    Some(held) => {
                        self.events.push_back(Event::RecvMessage(message));
                        self.events.push_back(Event::RecvMessage(held));
                    }
                    None if planted::active_every(Bug::ReorderRoom, 3) => {
                        self.planted_held = Some(message);
                    }
                    None => self.events.push_back(Event::RecvMessage(message)),
                }
                return;
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
