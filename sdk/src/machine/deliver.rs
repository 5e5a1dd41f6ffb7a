//! What a received message owes the application: delivery once (also across app restarts),
//! in room order, to members only; its place in the local history; and an acknowledgement
//! for private mail once all that is on disk.
//!
//! The order is the rule: the message is written to the local store (kept in the history
//! when it is private or its room's switch is on, and marked handed) in one commit, then
//! handed to the application, then acknowledged. So after any crash the store has it before
//! the application or the server could have seen it go, and a message the store marked
//! handed is never handed over again: if the app dies between the write and the hand-over,
//! the message is in the history but never handed over (at most once to the application,
//! always in history). A store that fails (disk full, I/O error) gets nothing handed over or
//! acknowledged: the connection is dropped as if broken, the SDK reconnects, and the server
//! sends the message again (mail from the mailbox, room messages from the room log).
//!
//! What it is: `deliver`, the rule applied to every `Message` frame of a logged-in session.
//! What it is not: reading the frame (see `inbound`) or the store (see `crate::store`).

use tracing::debug;
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::ChatType;

use super::event::Event;
use super::message::ReceivedMessage;
use super::ClientMachine;
use crate::store::HistoryBatch;

impl ClientMachine {
    /// Hands a received message to the application once (see the module doc).
    ///
    /// A room message at or below the room's cursor was delivered before (a replay after a
    /// resume overlapping what arrived earlier) and is skipped. A message of a room the client
    /// does not count as joined (its join timed out, or its leave did) is not delivered.
    pub(super) fn deliver(&mut self, now_ms: u64, message: ReceivedMessage) {
        let message_id = message.message_id;
        let private = message.chat_type == ChatType::Private;
        let Some(session) = self.phase.session_mut() else {
            return;
        };
        let room = message.chat_type == ChatType::Room;
        if room
            && !session.joined_rooms.contains(&message.receiver_id)
            && !planted::active(Bug::DeliverToNonMember)
        {
            debug!(message_id, room = %message.receiver_id, "message of a room not joined");
            return;
        }
        let cursor = session.room_cursors.get(&message.receiver_id).copied();
        if room && message.room_seq > 0 && cursor.is_some_and(|c| message.room_seq <= c) {
            debug!(
                message_id,
                seq = message.room_seq,
                "room message seen before"
            );
            probe::hit(Probe::RedeliveryDropped);
            return;
        }
        let handed = match session.history.handed(message_id) {
            Ok(handed) => handed && !planted::active(Bug::NoDedupe),
            Err(e) => {
                self.store_failed(now_ms, &e);
                return;
            }
        };
        if handed {
            debug!(message_id, "handed over before; not again");
            probe::hit(Probe::RedeliveryDropped);
            self.move_cursor(&message);
            if private {
                self.acknowledge(now_ms, message_id);
            }
            return;
        }
        let mut batch = HistoryBatch::new();
        if private || self.saves_room(&message.receiver_id) {
            batch.push(self.keep_write(&message, false));
        }
        batch.push(self.handed_write(message_id));
        if planted::active(Bug::AckBeforeStore) {
            // The bug: hand over and acknowledge now; the write waits for the next commit.
            self.planted.defer_history(batch);
        } else if let Err(e) = self.commit_history(batch) {
            self.store_failed(now_ms, &e);
            return;
        }
        self.move_cursor(&message);
        self.hand_over(message);
        if private {
            self.acknowledge(now_ms, message_id);
        }
    }

    /// The room's cursor moves to a room message handed over (or found handed before).
    fn move_cursor(&mut self, message: &ReceivedMessage) {
        if message.chat_type != ChatType::Room || message.room_seq == 0 {
            return;
        }
        if let Some(cursor) = self
            .phase
            .session_mut()
            .and_then(|s| s.room_cursors.get_mut(&message.receiver_id))
        {
            *cursor = (*cursor).max(message.room_seq);
        }
    }

    /// Queues the message for the application (where the planted delivery bugs live).
    fn hand_over(&mut self, message: ReceivedMessage) {
        if planted::active_every(Bug::DuplicateDelivery, 5) {
            self.events.push_back(Event::RecvMessage(message.clone()));
        }
        if planted::active(Bug::ReorderRoom) && message.chat_type != ChatType::Private {
            match self.planted.take_held() {
                Some(held) => {
                    self.events.push_back(Event::RecvMessage(message));
                    self.events.push_back(Event::RecvMessage(held));
                }
                None if planted::active_every(Bug::ReorderRoom, 3) => {
                    self.planted.hold(message);
                }
                None => self.events.push_back(Event::RecvMessage(message)),
            }
            return;
        }
        self.events.push_back(Event::RecvMessage(message));
    }

    /// The local store failed under a received message: nothing of it is handed over or
    /// acknowledged, and the connection is dropped as if broken, so the server sends it again
    /// after the reconnect (a logged-in session reconnects; see `session::connection_lost`).
    fn store_failed(&mut self, now_ms: u64, error: &crate::store::HistoryError) {
        tracing::warn!(%error, "the local history store failed under a received message");
        self.connection_lost(now_ms, Some(format!("local store failed: {error}")));
    }
}
