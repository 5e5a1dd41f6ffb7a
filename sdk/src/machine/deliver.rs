//! What a received message owes the application: delivery once, in room order, to members
//! only, and an acknowledgement for private mail once the application has it.
//!
//! What it is: `deliver`, the rule applied to every `Message` frame of a logged-in session.
//! What it is not: reading the frame (see `inbound`) or remembering IDs (see `delivered`).

use tracing::debug;
use yim_proto::planted::{self, Bug};
use yim_proto::probe::{self, Probe};
use yim_proto::ChatType;

use super::event::Event;
use super::message::ReceivedMessage;
use super::ClientMachine;

impl ClientMachine {
    /// Hands a received message to the application once, and acknowledges private messages
    /// so the server stops keeping them (after the event is queued: a message is acknowledged
    /// only once the application has it).
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
        if message.chat_type == ChatType::Room
            && !session.joined_rooms.contains(&message.receiver_id)
            && !planted::active(Bug::DeliverToNonMember)
        {
            debug!(message_id, room = %message.receiver_id, "message of a room not joined");
            return;
        }
        if message.chat_type == ChatType::Room && message.room_seq > 0 {
            if let Some(cursor) = session.room_cursors.get_mut(&message.receiver_id) {
                if message.room_seq <= *cursor {
                    debug!(
                        message_id,
                        seq = message.room_seq,
                        "room message seen before"
                    );
                    probe::hit(Probe::RedeliveryDropped);
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
            probe::hit(Probe::RedeliveryDropped);
        }
        if private {
            self.acknowledge(now_ms, message_id);
        }
    }
}
