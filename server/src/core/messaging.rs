//! Sending: text, custom and voice messages to a user or a room, all on one path (a voice
//! body's checks and audio are in `voice`). Room messages get the room's next
//! sequence number, are appended to the room's (bounded) log in the store, and go to every
//! member but the sender; a muted sender gets ForbiddenSpeak with the forbid fields; past the
//! room's send rate (`room_sends`, all senders together) a send gets MessageBlocked (45).
//! Private messages are kept in the receiver's mailbox until its SDK acknowledges them: sent
//! at once to an online receiver, and again at each login until then. A mailbox holds at most
//! `max_mailbox_messages` (past it ServerError), of which at most `max_mail_per_sender` from
//! one sender: past that share the sender alone gets MessageBlocked (45), so one sender cannot
//! keep everyone else's mail out.
//!
//! A successful room send's receipt carries the message's room seq.
//!
//! Safe resend: a send with a non-zero idempotency key that the user already made
//! successfully (the key is remembered in the store, a bounded number per user) is answered
//! Success with the first send's message ID and send time (room seq 0: it is not remembered)
//! and is not delivered again. That
//! check comes before every other check of the send, because the first send was accepted.
//!
//! One commit per send: every check is a read; then the message (the mail or the room log
//! entry with the room's new seq), its key, its voice blob and the end of its upload, and any
//! new block of message IDs are staged and committed together, before anything is answered
//! or fanned out and before the room's seq moves in memory. A crash can therefore never leave
//! a stored message without its key; a failed commit answers ServerError and stores nothing.

use std::sync::Arc;

use prost::Message as _;
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{body, reply, Forbid, Message, SendMessage, SendReceipt};
use yim_proto::{limits, ChatType, ErrorCode, Frame, FrameBody};

use super::io::{ConnId, Now, Output};
use super::state::ServerCore;
use crate::store::{RoomLogEntry, SendRecord, Write};

/// Why a send was refused: the code and, for mutes, the forbid fields.
pub(super) struct Refusal {
    pub(super) code: ErrorCode,
    pub(super) forbid: Option<Forbid>,
}

impl From<ErrorCode> for Refusal {
    fn from(code: ErrorCode) -> Refusal {
        Refusal { code, forbid: None }
    }
}

impl ServerCore {
    pub(super) fn handle_send(&mut self, now: Now, conn: ConnId, send: SendMessage) {
        let request_id = send.request_id;
        let Some((app_key, sender_id)) = self.require_user(conn, request_id) else {
            return;
        };
        let now_secs = now.wall_secs();
        let key = send.idempotency_key;
        let dedupe = key != 0 && !planted::active(Bug::NoResendDedupe);
        if dedupe {
            let (code, receipt) = match self.store.0.send_key(&app_key, &sender_id, key) {
                Ok(None) => (ErrorCode::Success, None),
                Ok(Some(first)) => (
                    ErrorCode::Success,
                    Some(SendReceipt {
                        message_id: first.message_id,
                        send_time: first.send_time,
                        forbid: None,
                        room_seq: 0,
                    }),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "store failure looking up a send key");
                    let receipt = SendReceipt {
                        message_id: 0,
                        send_time: now_secs,
                        forbid: None,
                        room_seq: 0,
                    };
                    (ErrorCode::ServerError, Some(receipt))
                }
            };
            if let Some(receipt) = receipt {
                probe::hit(Probe::ResendFromKeyTable);
                let detail = Some(reply::Detail::SendReceipt(receipt));
                self.reply_with(conn, request_id, code, detail);
                return;
            }
        }
        let sender = Sender {
            conn,
            app_key: &app_key,
            user_id: &sender_id,
            key: dedupe.then_some(key),
        };
        let (code, receipt) = match self.send_message(now, &sender, send) {
            Ok((message_id, room_seq)) => (
                ErrorCode::Success,
                SendReceipt {
                    message_id,
                    send_time: now_secs,
                    forbid: None,
                    room_seq,
                },
            ),
            Err(Refusal { code, forbid }) => (
                code,
                SendReceipt {
                    message_id: 0,
                    send_time: now_secs,
                    forbid,
                    room_seq: 0,
                },
            ),
        };
        self.reply_with(
            conn,
            request_id,
            code,
            Some(reply::Detail::SendReceipt(receipt)),
        );
    }

    /// Checks, commits and delivers one message; returns its message ID and room seq (0 for
    /// private messages). One path for every
    /// body: check the body (a voice body also takes its audio from its upload) and the
    /// receiver (room membership and mutes, or a registered user with room in its mailbox),
    /// all with reads; then stage the message with its ID (and a voice message its blob),
    /// its key, commit, and only then deliver it.
    fn send_message(
        &mut self,
        now: Now,
        sender: &Sender<'_>,
        send: SendMessage,
    ) -> Result<(u64, u64), Refusal> {
        let now_secs = now.wall_secs();
        let app_key = sender.app_key;
        let chat_type = ChatType::try_from(send.chat_type).unwrap_or(ChatType::Unknown);
        limits::check_receiver(&send.receiver_id, chat_type)?;
        let body = send.body.ok_or(ErrorCode::ParamInvalid)?;
        let audio = match body.kind.as_ref().ok_or(ErrorCode::ParamInvalid)? {
            body::Kind::Text(text) => {
                limits::check_text(&text.content, &text.attach)?;
                None
            }
            body::Kind::Custom(custom) => {
                limits::check_custom(&custom.content)?;
                None
            }
            body::Kind::Voice(voice) => Some(self.voice_audio(app_key, sender.user_id, voice)?),
        };
        let mut body = body;
        if let Some(body::Kind::Voice(voice)) = body.kind.as_mut() {
            if planted::active(Bug::VoiceDurationInSeconds) {
                // The planted bug keeps whole seconds only (YIM's own API counts seconds).
                voice.duration_ms = voice.duration_ms / 1000 * 1000;
            }
        }
        let mut message = Message {
            message_id: 0,
            sender_id: sender.user_id.to_owned(),
            receiver_id: send.receiver_id,
            chat_type: chat_type as i32,
            create_time: now_secs,
            room_seq: 0,
            body: Some(body),
        };
        let room = chat_type == ChatType::Room;
        if room {
            message.room_seq = self.check_room_send(now, sender.conn, app_key, &message)?;
        } else {
            self.check_private_receiver(app_key, sender.user_id, &message.receiver_id)?;
        }
        // Checked: from here on only the commit can fail.
        message.message_id = self.next_message_id();
        let id = message.message_id;
        let room_seq = message.room_seq;
        if let Some(audio) = audio {
            self.stage_audio(app_key, sender.user_id, &mut message, audio);
        }
        if room {
            self.stage_room_message(app_key, &message);
        } else {
            self.stage_mail(app_key, &message);
        }
        if planted::active(Bug::SplitSendCommit) {
            self.commit().map_err(send_commit_failed)?;
        }
        if let Some(key) = sender.key {
            self.stage(Write::PutSendKey {
                app_key: app_key.to_owned(),
                user_id: sender.user_id.to_owned(),
                key,
                record: SendRecord {
                    message_id: id,
                    send_time: now_secs,
                },
                max_keys: self.limits.max_send_keys_per_user,
            });
        }
        if planted::active(Bug::SplitSendCommit) {
            // As the old code did: the message is stored already, so the send succeeds.
            if let Err(e) = self.commit() {
                tracing::error!(error = %e, "store failure remembering a send key");
            }
        } else if !planted::active(Bug::ReplyBeforeCommit) {
            self.commit().map_err(send_commit_failed)?;
        }
        if room {
            self.deliver_to_room(app_key, message);
        } else {
            self.deliver_private(app_key, message);
        }
        Ok((id, room_seq))
    }

    /// The sender must be in the room (which exists while it has a member), not muted there,
    /// and within the room's send rate (checked last, so only a send that would go out takes
    /// a token); returns the message's room seq.
    fn check_room_send(
        &mut self,
        now: Now,
        conn: ConnId,
        app_key: &str,
        message: &Message,
    ) -> Result<u64, Refusal> {
        let room_id = &message.receiver_id;
        let joined = self
            .user_session(conn)
            .is_some_and(|s| s.rooms.contains(room_id));
        let forbid = self
            .mutes
            .forbid(app_key, room_id, &message.sender_id, now.wall_secs());
        let rate = self.limits.room_sends;
        let room = self.rooms.get_mut(&(app_key.to_owned(), room_id.clone()));
        let Some(room) = room.filter(|_| joined) else {
            return Err(ErrorCode::NotJoinRoom.into());
        };
        if let Some(forbid) = forbid.filter(|_| !planted::active(Bug::SkipMuteCheck)) {
            return Err(Refusal {
                code: ErrorCode::ForbiddenSpeak,
                forbid: Some(forbid),
            });
        }
        if !room.sends.take(rate, now.mono_ms) {
            tracing::warn!(room = %room_id, "room send rate exceeded");
            return Err(ErrorCode::MessageBlocked.into());
        }
        Ok(room.last_seq + 1)
    }

    /// Stages the (checked) message as the room log's next entry.
    fn stage_room_message(&mut self, app_key: &str, message: &Message) {
        let entry = RoomLogEntry {
            seq: message.room_seq,
            create_time: message.create_time,
            message: message.encode_to_vec(),
        };
        self.stage(Write::AppendRoomLog {
            app_key: app_key.to_owned(),
            room_id: message.receiver_id.clone(),
            entry,
            max_entries: self.limits.room_log_messages,
        });
    }

    /// After the commit: the room's seq moves on and the message goes to every member but
    /// the sender.
    fn deliver_to_room(&mut self, app_key: &str, message: Message) {
        let key = (app_key.to_owned(), message.receiver_id.clone());
        let Some(room) = self.rooms.get_mut(&key) else {
            return; // checked before the commit; the input changed no membership since
        };
        room.last_seq = message.room_seq;
        let mut receivers: Vec<ConnId> = room
            .members
            .iter()
            .filter(|member| **member != message.sender_id || planted::active(Bug::EchoToSender))
            .filter_map(|member| self.sessions.get(app_key, member))
            .collect();
        if planted::active(Bug::DeliverToNonMember) {
            let outsider = self.sessions.iter().find(|&(app, user, conn)| {
                app == app_key && user != message.sender_id && !receivers.contains(&conn)
            });
            receivers.extend(outsider.map(|(_, _, conn)| conn));
        }
        // One frame for every receiver: the driver encodes it once.
        let frame = Arc::new(Frame::new(FrameBody::Message(message)));
        for receiver in receivers {
            self.fan_out(receiver, &frame);
        }
    }

    /// Queues one room message for one member (where the planted room bugs live).
    fn fan_out(&mut self, receiver: ConnId, frame: &Arc<Frame>) {
        if planted::active_every(Bug::DropFanout, 7) {
            return;
        }
        let mut frame = frame.clone();
        if planted::active(Bug::AlterMessage) {
            if let Some(FrameBody::Message(message)) = &mut Arc::make_mut(&mut frame).body {
                if let Some(body::Kind::Text(text)) =
                    message.body.as_mut().and_then(|b| b.kind.as_mut())
                {
                    text.content.push('!');
                }
            }
        }
        self.queue(Output::Send {
            conn: receiver,
            frame,
        });
    }

    /// Private messages go to registered users only, with room in their (bounded) mailbox and
    /// in the sender's share of it.
    fn check_private_receiver(
        &mut self,
        app_key: &str,
        sender_id: &str,
        receiver_id: &str,
    ) -> Result<(), Refusal> {
        let checked = self
            .store
            .0
            .account(app_key, receiver_id)
            .and_then(|account| {
                if account.is_none() {
                    return Ok(Err(ErrorCode::InvalidReceiver));
                }
                let from_sender = self.store.0.mail_count_from(app_key, receiver_id, sender_id)?;
                if from_sender >= self.limits.max_mail_per_sender {
                    tracing::warn!(receiver = %receiver_id, sender = %sender_id, "mailbox share full");
                    return Ok(Err(ErrorCode::MessageBlocked));
                }
                let count = self.store.0.mail_count(app_key, receiver_id)?;
                if count >= self.limits.max_mailbox_messages {
                    tracing::warn!(receiver = %receiver_id, "mailbox full");
                    probe::hit(Probe::MailboxFull);
                    return Ok(Err(ErrorCode::ServerError));
                }
                Ok(Ok(()))
            });
        match checked {
            Ok(result) => result.map_err(Refusal::from),
            Err(e) => {
                tracing::error!(error = %e, "store failure checking a private receiver");
                Err(ErrorCode::ServerError.into())
            }
        }
    }

    /// Stages the message in its receiver's mailbox, where it stays until acknowledged.
    fn stage_mail(&mut self, app_key: &str, message: &Message) {
        let online = self.sessions.get(app_key, &message.receiver_id).is_some();
        if online || !planted::active(Bug::LoseOfflineMail) {
            self.stage(Write::PushMail {
                app_key: app_key.to_owned(),
                user_id: message.receiver_id.clone(),
                sender_id: message.sender_id.clone(),
                message_id: message.message_id,
                message: message.encode_to_vec(),
            });
        }
    }

    /// After the commit: to the receiver's session if online (else it waits in the
    /// mailbox for the next login).
    fn deliver_private(&mut self, app_key: &str, message: Message) {
        if let Some(receiver) = self.sessions.get(app_key, &message.receiver_id) {
            self.send(receiver, FrameBody::Message(message));
        }
    }
}

/// Who sends: the connection, the user, and the idempotency key to remember (if any).
struct Sender<'a> {
    conn: ConnId,
    app_key: &'a str,
    user_id: &'a str,
    key: Option<u64>,
}

fn send_commit_failed(e: crate::store::StoreError) -> Refusal {
    tracing::error!(error = %e, "store failure committing a send");
    ErrorCode::ServerError.into()
}
