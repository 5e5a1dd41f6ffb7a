//! The send-order rule, in one place: a client's messages leave in the order the application
//! issued them, a text or custom message when its call is made, a voice message when its
//! recording is stopped (`SendSeq`). A message whose turn comes while an earlier voice message
//! is still being finished (stopped, capture not answered yet) or uploading waits (is held)
//! until that voice message's own send is out or it ended; then the waiting ones leave in send
//! order, up to the next voice message still being finished or uploading. After a reconnect
//! the frames in flight go again in send order.
//!
//! What it is: the rule over the pending table's "held" mark and send order. Held calls are
//! not sent again after a reconnect until released. What it is not: the upload itself (see
//! `upload`).

use yim_proto::Frame;

use super::call::RequestId;
use super::pending::{PendingKind, SendSeq};
use super::phase::{Recording, Session, Step};
use super::ClientMachine;

/// A voice message whose upload goes on: later messages wait behind it.
fn blocks_later_sends(kind: &PendingKind) -> bool {
    matches!(kind, PendingKind::Voice(upload) if !upload.sending)
}

/// The place in the send order of a voice message stopped and still being finished (not in
/// the pending table yet): later messages wait behind it too.
fn stopped_recording(session: &Session) -> Option<SendSeq> {
    session.recording.as_ref().and_then(Recording::send_seq)
}

impl ClientMachine {
    /// A message's first frame is ready (the call is in the pending table with it): sends it
    /// now when logged in and nothing earlier blocks it, holds it when something does, and
    /// otherwise leaves it for the resume. True if it was held.
    pub(super) fn send_in_order(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        frame: Frame,
    ) -> bool {
        let Some(session) = self.session_mut() else {
            return false;
        };
        let stopped_before = match (
            stopped_recording(session),
            session.pending.send_seq(request_id),
        ) {
            (Some(stopped), Some(own)) => stopped < own,
            _ => false,
        };
        if stopped_before || session.pending.any_before(request_id, blocks_later_sends) {
            session.pending.hold(request_id);
            return true;
        }
        if session.step == Step::LoggedIn {
            self.send(now_ms, frame);
        }
        false
    }

    /// Sends what no longer waits (after a voice message's send went out, or it ended, or the
    /// session resumed).
    pub(super) fn release_held_sends(&mut self, now_ms: u64) {
        let Some(session) = self.session_mut() else {
            return;
        };
        if session.step != Step::LoggedIn {
            return;
        }
        let until = stopped_recording(session);
        for frame in session.pending.release(until, blocks_later_sends) {
            self.send(now_ms, frame);
        }
    }
}
