//! Sending: text, custom and voice messages to a user or a room, all on one path (a voice
//! body's checks and audio are in `voice`). Room messages get the room's next
//! sequence number, are appended to the room's (bounded) log in the store, and go to every
//! member but the sender; a muted sender gets ForbiddenSpeak with the forbid fields. Private
//! messages are kept in the receiver's mailbox until its SDK acknowledges them: sent at once
//! to an online receiver, and again at each login until then.
//!
//! Safe resend: a send with a non-zero idempotency key that the user already made
//! successfully (the key is remembered in the store, a bounded number per user) is answered
//! Success with the first send's message ID and send time and is not delivered again. That
//! check comes before every other check of the send, because the first send was accepted.

use prost::Message as _;
use yim_proto::planted::{self, Bug};
use yim_proto::wire::{body, reply, Forbid, Message, SendMessage, SendReceipt};
use yim_proto::{limits, ChatType, ErrorCode, FrameBody};

use super::{ConnId, Now, ServerCore};
use crate::store::{RoomLogEntry, SendRecord};

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
                    }),
                ),
                Err(e) => {
                    tracing::error!(error = %e, "store failure looking up a send key");
                    let receipt = SendReceipt {
                        message_id: 0,
                        send_time: now_secs,
                        forbid: None,
                    };
                    (ErrorCode::ServerError, Some(receipt))
                }
            };
            if let Some(receipt) = receipt {
                let detail = Some(reply::Detail::SendReceipt(receipt));
                self.reply_with(conn, request_id, code, detail);
                return;
            }
        }
        let receipt = match self.send_message(now_secs, conn, &app_key, &sender_id, send) {
            Ok(message_id) => {
                if dedupe {
                    self.remember_send_key(&app_key, &sender_id, key, message_id, now_secs);
                }
                let receipt = SendReceipt {
                    message_id,
                    send_time: now_secs,
                    forbid: None,
                };
                (ErrorCode::Success, receipt)
            }
            Err(Refusal { code, forbid }) => (
                code,
                SendReceipt {
                    message_id: 0,
                    send_time: now_secs,
                    forbid,
                },
            ),
        };
        let (code, receipt) = receipt;
        self.reply_with(
            conn,
            request_id,
            code,
            Some(reply::Detail::SendReceipt(receipt)),
        );
    }

    /// Remembers a successful send's key. If the store fails the message is out already, so
    /// the send still succeeds; only a resend of it would be delivered again.
    fn remember_send_key(
        &mut self,
        app_key: &str,
        sender_id: &str,
        key: u64,
        message_id: u64,
        send_time: u64,
    ) {
        let record = SendRecord {
            message_id,
            send_time,
        };
        let max_keys = self.limits.max_send_keys_per_user;
        if let Err(e) = self
            .store
            .0
            .put_send_key(app_key, sender_id, key, record, max_keys)
        {
            tracing::error!(error = %e, "store failure remembering a send key");
        }
    }

    /// Checks and delivers one message; returns its message ID. One path for every body:
    /// check the body (a voice body also takes its audio from its upload), check the
    /// receiver (room membership and mutes, or a registered user), give the message its ID
    /// (and a voice message its stored audio), then deliver it.
    fn send_message(
        &mut self,
        now_secs: u64,
        conn: ConnId,
        app_key: &str,
        sender_id: &str,
        send: SendMessage,
    ) -> Result<u64, Refusal> {
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
            body::Kind::Voice(voice) => Some(self.voice_audio(app_key, sender_id, voice)?),
        };
        let mut message = Message {
            message_id: 0,
            sender_id: sender_id.to_owned(),
            receiver_id: send.receiver_id,
            chat_type: chat_type as i32,
            create_time: now_secs,
            room_seq: 0,
            body: Some(body),
        };
        match chat_type {
            ChatType::Room => self.check_room_send(now_secs, conn, app_key, &message)?,
            _ => self.check_private_receiver(app_key, &message.receiver_id)?,
        }
        message.message_id = self.allocate_message_id()?;
        let id = message.message_id;
        if let Some(audio) = &audio {
            self.store_audio(app_key, &mut message, audio)?;
        }
        let delivered = match chat_type {
            ChatType::Room => self.deliver_to_room(app_key, message),
            _ => self.deliver_private(app_key, message),
        };
        if let Some(audio) = &audio {
            self.settle_audio(app_key, sender_id, id, audio, delivered.is_ok());
        }
        delivered.map(|()| id)
    }

    /// The sender must be in the room and not muted there.
    fn check_room_send(
        &self,
        now_secs: u64,
        conn: ConnId,
        app_key: &str,
        message: &Message,
    ) -> Result<(), Refusal> {
        let room_id = &message.receiver_id;
        let joined = self
            .user_session(conn)
            .is_some_and(|s| s.rooms.contains(room_id));
        if !joined {
            return Err(ErrorCode::NotJoinRoom.into());
        }
        let forbid = self
            .mutes
            .forbid(app_key, room_id, &message.sender_id, now_secs);
        if let Some(forbid) = forbid.filter(|_| !planted::active(Bug::SkipMuteCheck)) {
            return Err(Refusal {
                code: ErrorCode::ForbiddenSpeak,
                forbid: Some(forbid),
            });
        }
        Ok(())
    }

    /// Gives the (checked) message the room's next seq, logs it, and fans it out.
    fn deliver_to_room(&mut self, app_key: &str, mut message: Message) -> Result<(), Refusal> {
        let key = (app_key.to_owned(), message.receiver_id.clone());
        let Some(room) = self.rooms.get(&key) else {
            return Err(ErrorCode::NotJoinRoom.into());
        };
        message.room_seq = room.last_seq + 1;
        let entry = RoomLogEntry {
            seq: message.room_seq,
            create_time: message.create_time,
            message: message.encode_to_vec(),
        };
        let max_entries = self.limits.room_log_messages;
        if let Err(e) = self
            .store
            .0
            .append_room_log(app_key, &key.1, &entry, max_entries)
        {
            tracing::error!(error = %e, "store failure appending to a room log");
            return Err(ErrorCode::ServerError.into());
        }
        let Some(room) = self.rooms.get_mut(&key) else {
            return Err(ErrorCode::NotJoinRoom.into());
        };
        room.last_seq = message.room_seq;
        let mut receivers: Vec<ConnId> = room
            .members
            .iter()
            .filter(|member| **member != message.sender_id)
            .filter_map(|member| {
                self.sessions
                    .get(&(app_key.to_owned(), member.clone()))
                    .copied()
            })
            .collect();
        if planted::active(Bug::DeliverToNonMember) {
            let outsider = self.sessions.iter().find(|((app, user), conn)| {
                app == app_key && *user != message.sender_id && !receivers.contains(conn)
            });
            receivers.extend(outsider.map(|(_, conn)| *conn));
        }
        for receiver in receivers {
            self.fan_out(receiver, message.clone());
        }
        Ok(())
    }

    /// Queues one room message for one member (where the planted room bugs live).
    fn fan_out(&mut self, receiver: ConnId, mut message: Message) {
        if planted::active_every(Bug::DropFanout, 7) {
            return;
        }
        if planted::active(Bug::AlterMessage) {
            if let Some(body::Kind::Text(text)) =
                message.body.as_mut().and_then(|b| b.kind.as_mut())
            {
                text.content.push('!');
            }
        }
        self.send(receiver, FrameBody::Message(message));
    }

    /// Private messages go to registered users only.
    fn check_private_receiver(&mut self, app_key: &str, receiver_id: &str) -> Result<(), Refusal> {
        match self.store.0.account(app_key, receiver_id) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(ErrorCode::InvalidReceiver.into()),
            Err(e) => {
                tracing::error!(error = %e, "store failure looking up a receiver");
                Err(ErrorCode::ServerError.into())
            }
        }
    }

    /// To the receiver's session if online, else into its (bounded) mailbox.
    fn deliver_private(&mut self, app_key: &str, message: Message) -> Result<(), Refusal> {
        let key = (app_key.to_owned(), message.receiver_id.clone());
        let online = self.sessions.get(&key).copied();
        if online.is_some() || !planted::active(Bug::LoseOfflineMail) {
            self.store_mail(app_key, &message)?;
        }
        if let Some(receiver) = online {
            self.send(receiver, FrameBody::Message(message));
        }
        Ok(())
    }

    /// Keeps a private message in its receiver's (bounded) mailbox until acknowledged.
    fn store_mail(&mut self, app_key: &str, message: &Message) -> Result<(), Refusal> {
        let receiver = &message.receiver_id;
        let stored = self
            .store
            .0
            .mail_count(app_key, receiver)
            .and_then(|count| {
                if count >= self.limits.max_mailbox_messages {
                    return Ok(false);
                }
                let bytes = message.encode_to_vec();
                self.store
                    .0
                    .push_mail(app_key, receiver, message.message_id, &bytes)?;
                Ok(true)
            });
        match stored {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::warn!(%receiver, "mailbox full");
                Err(ErrorCode::ServerError.into())
            }
            Err(e) => {
                tracing::error!(error = %e, "store failure storing private mail");
                Err(ErrorCode::ServerError.into())
            }
        }
    }

    fn allocate_message_id(&mut self) -> Result<u64, Refusal> {
        self.next_message_id().map_err(|e| {
            tracing::error!(error = %e, "store failure reserving message IDs");
            Refusal::from(ErrorCode::ServerError)
        })
    }
}
