//! The local history: what the SDK keeps of each conversation and the YIM calls on it.
//!
//! Kept: every private message received, every message the user sent that succeeded (with
//! its message ID, send time and room seq from the receipt; a voice message with its recorded
//! file as its local path), and the messages of the rooms whose history switch is on
//! (received, or handed over by room history from the server). Each conversation keeps at
//! most `history_max_per_conversation` messages and the store `history_max_messages`, the
//! oldest dropped first; a dropped or deleted voice message's cached audio is deleted. A
//! voice message's download, once saved, becomes its local path.
//!
//! What it is: the calls answered from the store alone (`QueryHistoryMessage`,
//! `SetRoomHistoryMessageSwitch`, `DeleteHistoryMessage`, `GetRecentContacts`,
//! `SetMessageRead`, `SetAllMessageRead`, `SetVoiceMessagePlayed`), each completing at once
//! with its one event, and the one way any rule writes to the store (`commit_history`). What
//! it is not: when a received message is kept (see `deliver`), or room history from the
//! server (see `room_history`).

use std::path::Path;

use tracing::warn;
use yim_proto::wire::reply;
use yim_proto::{ChatType, ErrorCode};

use super::action::AudioTask;
use super::call::{Call, RequestId};
use super::event::Event;
use super::message::{MessageBody, ReceivedMessage};
use super::validate::{MAX_RECENT_CONTACTS, MAX_SAVED_ROOMS};
use super::ClientMachine;
use crate::store::{Committed, HistoryBatch, HistoryError, HistoryMessage, HistoryWrite};

impl ClientMachine {
    /// A local history call: answered from the store now, its completion queued at once.
    pub(super) fn history_call(
        &mut self,
        _now_ms: u64,
        call: Call,
    ) -> Result<RequestId, ErrorCode> {
        if self.session().is_none() {
            return Err(ErrorCode::NotLogin);
        }
        let request_id = self.next_request_id();
        let event = match call {
            Call::QueryHistoryMessage {
                target_id,
                chat_type,
                start_message_id,
                count,
                direction,
            } => {
                let page = self.session().map(|s| {
                    s.history.page(
                        chat_type,
                        &target_id,
                        start_message_id,
                        count as usize,
                        direction,
                    )
                });
                let (code, slice) = match page {
                    Some(Ok(slice)) => (ErrorCode::Success, slice),
                    Some(Err(e)) => (read_failed(&e), Default::default()),
                    None => (ErrorCode::NotLogin, Default::default()),
                };
                Event::QueryHistoryMessage {
                    request_id,
                    code,
                    target_id,
                    chat_type,
                    remain: slice.remain,
                    messages: slice.messages,
                }
            }
            Call::GetRecentContacts => {
                let contacts = self
                    .session()
                    .map(|s| s.history.recent_contacts(MAX_RECENT_CONTACTS));
                let (code, contacts) = match contacts {
                    Some(Ok(contacts)) => (ErrorCode::Success, contacts),
                    Some(Err(e)) => (read_failed(&e), Vec::new()),
                    None => (ErrorCode::NotLogin, Vec::new()),
                };
                Event::RecentContacts {
                    request_id,
                    code,
                    contacts,
                }
            }
            call => {
                let (code, changed) = match self.history_change(call) {
                    Ok(committed) => (ErrorCode::Success, committed.changed),
                    Err(code) => (code, 0),
                };
                Event::HistoryChanged {
                    request_id,
                    code,
                    changed,
                }
            }
        };
        self.events.push_back(event);
        Ok(request_id)
    }

    /// The calls that change the store.
    fn history_change(&mut self, call: Call) -> Result<Committed, ErrorCode> {
        let mut batch = HistoryBatch::new();
        match call {
            Call::SetRoomHistoryMessageSwitch { room_ids, save } => {
                if save {
                    let saved = self
                        .session()
                        .map(|s| s.history.saved_rooms())
                        .transpose()
                        .map_err(|e| read_failed(&e))?
                        .unwrap_or_default();
                    let new = room_ids.iter().filter(|r| !saved.contains(r)).count();
                    if saved.len() + new > MAX_SAVED_ROOMS {
                        return Err(ErrorCode::StatusError);
                    }
                }
                for room_id in room_ids {
                    batch.push(HistoryWrite::RoomSwitch { room_id, save });
                }
            }
            Call::DeleteHistoryMessage(delete) => batch.push(HistoryWrite::Delete(delete)),
            Call::SetMessageRead { message_id, read } => {
                batch.push(HistoryWrite::SetRead { message_id, read });
            }
            Call::SetAllMessageRead { user_id, read } => batch.push(HistoryWrite::SetAllRead {
                contact_id: (!user_id.is_empty()).then_some(user_id),
                read,
            }),
            Call::SetVoiceMessagePlayed { message_id, played } => {
                batch.push(HistoryWrite::SetPlayed { message_id, played });
            }
            _ => return Err(ErrorCode::ParamInvalid),
        }
        self.commit_history(batch).map_err(|e| {
            warn!(error = %e, "the local history store failed");
            e.code()
        })
    }

    /// Commits `batch` to the session's store (with any writes the planted `AckBeforeStore`
    /// left behind), and asks the driver to delete the audio of the voice messages that left
    /// the store. Nothing is written outside a session.
    pub(super) fn commit_history(
        &mut self,
        batch: HistoryBatch,
    ) -> Result<Committed, HistoryError> {
        let mut all = self.planted.take_deferred_history();
        all.append(batch);
        let Some(session) = self.phase.session_mut() else {
            return Err(HistoryError::Failed("no session".into()));
        };
        let committed = session.history.commit(&all)?;
        for path in &committed.removed_audio {
            self.audio
                .push_back(AudioTask::DeleteFile { path: path.clone() });
        }
        Ok(committed)
    }

    /// The write that keeps `message` in the user's history.
    pub(super) fn keep_write(&self, message: &ReceivedMessage, is_read: bool) -> HistoryWrite {
        let user_id = self.user_id().unwrap_or_default();
        HistoryWrite::Keep {
            target: crate::store::conversation_of(user_id, message),
            message: HistoryMessage {
                message: message.clone(),
                is_read,
                is_played: false,
                local_path: Default::default(),
            },
            max_per_conversation: self.config.history_max_per_conversation,
            max_messages: self.config.history_max_messages,
        }
    }

    /// The write that remembers `message_id` as handed to the application.
    pub(super) fn handed_write(&self, message_id: u64) -> HistoryWrite {
        HistoryWrite::Handed {
            message_id,
            max_handed: self.config.delivered_window,
        }
    }

    /// A send of the user succeeded: the message joins the history (and counts as handed, so
    /// room history from the server does not hand it back). `local_path` is a voice message's
    /// recorded file. A store failure is logged; the send has succeeded all the same.
    pub(super) fn keep_sent(
        &mut self,
        receiver_id: &str,
        chat_type: ChatType,
        body: MessageBody,
        local_path: &Path,
        detail: Option<&reply::Detail>,
    ) {
        let Some(reply::Detail::SendReceipt(receipt)) = detail else {
            return;
        };
        if receipt.message_id == 0 {
            return;
        }
        let Some(user_id) = self.user_id().map(str::to_owned) else {
            return;
        };
        let message = ReceivedMessage {
            message_id: receipt.message_id,
            sender_id: user_id,
            receiver_id: receiver_id.to_owned(),
            chat_type,
            create_time: receipt.send_time,
            room_seq: receipt.room_seq,
            body,
        };
        let keep = chat_type == ChatType::Private || self.saves_room(&message.receiver_id);
        let mut batch = HistoryBatch::new();
        if keep {
            let mut write = self.keep_write(&message, true);
            if let HistoryWrite::Keep { message: kept, .. } = &mut write {
                kept.local_path = local_path.to_path_buf();
            }
            batch.push(write);
        }
        batch.push(self.handed_write(message.message_id));
        if let Err(e) = self.commit_history(batch) {
            warn!(error = %e, message_id = message.message_id, "a sent message could not be kept");
        }
    }

    /// True if the room's messages are kept (false when the store cannot say).
    pub(super) fn saves_room(&self, room_id: &str) -> bool {
        self.session()
            .is_some_and(|s| s.history.saves_room(room_id).unwrap_or(false))
    }

    /// A download of voice message `message_id` was saved at `path`: its local path.
    pub(super) fn keep_saved_path(&mut self, message_id: u64, path: &Path) {
        if self.session().is_none() {
            return;
        }
        let mut batch = HistoryBatch::new();
        batch.push(HistoryWrite::SetLocalPath {
            message_id,
            path: path.to_path_buf(),
        });
        if let Err(e) = self.commit_history(batch) {
            warn!(error = %e, message_id, "a download's path could not be kept");
        }
    }
}

/// The code of a failed read.
fn read_failed(error: &HistoryError) -> ErrorCode {
    warn!(%error, "the local history store failed");
    error.code()
}
