//! The send-order rule, in one place: messages leave in the order they were sent, so a text,
//! custom or voice message sent while an earlier voice message is still uploading waits (is
//! held) until that voice message's own send is out or it ended; then the waiting ones leave
//! in request order, up to the next voice message still uploading.
//!
//! What it is: the rule over the pending table's "held" mark. Held calls are not sent again
//! after a reconnect until released. What it is not: the upload itself (see `upload`).

use yim_proto::Frame;

use super::call::RequestId;
use super::pending::PendingKind;
use super::phase::Step;
use super::ClientMachine;

/// A voice message whose upload goes on: later messages wait behind it.
fn blocks_later_sends(kind: &PendingKind) -> bool {
    matches!(kind, PendingKind::Voice(upload) if !upload.sending)
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
        if session.pending.any_before(request_id, blocks_later_sends) {
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
        for frame in session.pending.release(blocks_later_sends) {
            self.send(now_ms, frame);
        }
    }
}
