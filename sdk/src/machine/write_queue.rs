//! The bound on the frames waiting to be written to the server (`transmits`), for when the
//! writer stalls (the server or the network stops taking bytes).
//!
//! What it is: two rules. A call that would queue a frame while `MAX_QUEUED_TRANSMITS` frames
//! already wait is refused at once with `NetError` (9), as a call past `max_outage_calls` is;
//! and acknowledgements, which are cumulative (one acknowledges every private message up to
//! its ID), take one place in the queue however many messages arrive meanwhile: a new one
//! raises the one not yet written. Frames the machine owes on its own (a resume's resends and
//! room re-joins, a voice message's next chunk, one ping) are never refused, so the queue can
//! pass the bound by those (see `docs/limits.md`). What it is not: the writer's own channel
//! (see `driver::link`, `OUTBOUND_FRAMES`).

use yim_proto::{ErrorCode, FrameBody};

use super::outbound;
use super::ClientMachine;

/// Frames waiting to be written past which calls are refused with `NetError`.
pub(crate) const MAX_QUEUED_TRANSMITS: usize = 256;

impl ClientMachine {
    /// `NetError` while `MAX_QUEUED_TRANSMITS` frames wait to be written.
    pub(super) fn check_write_queue(&self) -> Result<(), ErrorCode> {
        if self.transmits.len() >= MAX_QUEUED_TRANSMITS {
            return Err(ErrorCode::NetError);
        }
        Ok(())
    }

    /// Acknowledges every private message up to `message_id`: raises the acknowledgement
    /// still waiting to be written, if one does, else queues one.
    pub(super) fn acknowledge(&mut self, now_ms: u64, message_id: u64) {
        let waiting = self
            .transmits
            .iter_mut()
            .find_map(|frame| match &mut frame.body {
                Some(FrameBody::AckMessages(ack)) => Some(ack),
                _ => None,
            });
        match waiting {
            Some(ack) => ack.up_to_message_id = ack.up_to_message_id.max(message_id),
            None => self.send(now_ms, outbound::ack(message_id)),
        }
    }
}
