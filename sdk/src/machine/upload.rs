//! A voice message's upload and send: the encoded audio goes up in chunks of at most 16 KiB,
//! each answered with how much the server holds, then the `SendMessage` (with its idempotency
//! key) waits for its receipt; the recording's request ID is on every frame, one frame in
//! flight at a time.
//!
//! After a reconnect the frame in flight is sent again; the server takes overlapping chunks
//! once and answers a resent send with the first receipt, so a voice message is uploaded and
//! delivered once. What it is: `upload_reply`. What it is not: the recording (see `voice`) or
//! the order of sends behind an upload (see `order`).

use yim_proto::wire::reply;
use yim_proto::ErrorCode;

use super::call::RequestId;
use super::complete::Completing;
use super::outbound;
use super::pending::PendingKind;
use super::ClientMachine;

impl ClientMachine {
    /// A reply to a voice message's upload or send: the next chunk, the send, or the status.
    pub(super) fn upload_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let deadline_ms = self.request_deadline_ms(now_ms);
        let Some(session) = self.phase.session_mut() else {
            return;
        };
        let Some(PendingKind::Voice(upload)) = session.pending.get_mut(request_id) else {
            return;
        };
        if upload.sending || code != ErrorCode::Success {
            let sending = upload.sending;
            if let Some(kind) = session.pending.remove(request_id) {
                let code = match code {
                    // A refused chunk means the upload cannot go on.
                    ErrorCode::ParamInvalid if !sending => ErrorCode::PttUploadFail,
                    code => code,
                };
                self.complete(request_id, Completing::Call(kind), code, detail);
            }
            self.release_held_sends(now_ms);
            return;
        }
        let total = upload.recorded.encoded.len() as u64;
        if let Some(reply::Detail::UploadState(state)) = detail {
            upload.received = state.received.min(total);
        }
        if upload.received >= total {
            upload.sending = true;
        }
        let frame = outbound::upload(request_id, upload);
        session
            .pending
            .set_frame(request_id, frame.clone(), deadline_ms);
        self.send(now_ms, frame);
        self.release_held_sends(now_ms);
    }
}
