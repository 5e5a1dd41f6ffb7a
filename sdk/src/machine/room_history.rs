//! Room history from the server (YIM `QueryRoomHistoryMessageFromServer`), deduplicated.
//!
//! The SDK fetches the room's log from the server page by page (newest first, each page
//! below the last), then keeps only the messages this app was never handed: not delivered to
//! it, not sent by it, not returned by an earlier query (the store's handed IDs, so also
//! across app restarts). Of those it returns the newest `count`, in the order asked for, and
//! says how many older ones remain; a later call goes on with those. Before they are handed
//! over they are marked handed (and kept in the history if the room's switch is on) in one
//! commit, so no message reaches the application twice, whichever way it came. Unlike YIM,
//! which returns its whole window every time.
//!
//! What it is: `room_history_reply` (the next page, or the result). What it is not: the
//! call's checks (`validate`) or the server's window (its room log).

use std::collections::BTreeSet;

use tracing::debug;
use yim_hooks::planted::{self, Bug};
use yim_proto::wire::reply;
use yim_proto::{ChatType, ErrorCode};

use super::call::{RequestId, TimeOrder};
use super::complete::Completing;
use super::inbound;
use super::outbound;
use super::pending::PendingKind;
use super::ClientMachine;
use crate::store::HistoryBatch;

impl ClientMachine {
    /// A reply to a room history query: the next page, or the result.
    pub(super) fn room_history_reply(
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
        let Some(PendingKind::RoomHistory(paging)) = session.pending.get_mut(request_id) else {
            return;
        };
        let page = match detail {
            Some(reply::Detail::RoomHistory(page)) if code == ErrorCode::Success => page,
            _ => {
                let code = if code == ErrorCode::Success {
                    ErrorCode::ServerError
                } else {
                    code
                };
                if let Some(kind) = session.pending.remove(request_id) {
                    self.complete(request_id, Completing::Call(kind), code, None);
                }
                return;
            }
        };
        let before = paging.messages.last().map_or(u64::MAX, |m| m.room_seq);
        let mut lowest = before;
        for wire in &page.messages {
            let Ok(message) = inbound::received_message(wire.clone()) else {
                continue;
            };
            // Newest first, each below the last: anything else (a repeat) is dropped.
            let of_room =
                message.chat_type == ChatType::Room && message.receiver_id == paging.room_id;
            if !of_room || message.room_seq == 0 || message.room_seq >= lowest {
                debug!(
                    seq = message.room_seq,
                    "room history message out of place; dropped"
                );
                continue;
            }
            lowest = message.room_seq;
            paging.messages.push(message);
        }
        let exhausted = lowest == before || lowest <= page.first_seq.max(1);
        if !exhausted {
            let frame = outbound::room_history(request_id, &paging.room_id, lowest);
            session
                .pending
                .set_frame(request_id, frame.clone(), deadline_ms);
            self.send(now_ms, frame);
            return;
        }
        self.finish_room_history(request_id);
    }

    /// Every page is in: keep what the app was never handed, newest first up to the count,
    /// mark it handed, and complete.
    fn finish_room_history(&mut self, request_id: RequestId) {
        let Some(PendingKind::RoomHistory(paging)) = self
            .session_mut()
            .and_then(|s| s.pending.remove(request_id))
        else {
            return;
        };
        let paging = *paging;
        let mut fresh = Vec::new();
        let mut seen = BTreeSet::new();
        for message in paging.messages {
            if !seen.insert(message.message_id) {
                continue;
            }
            let handed = self.session().map(|s| s.history.handed(message.message_id));
            match handed {
                Some(Ok(true)) if !planted::active(Bug::NoHistoryDedupe) => {}
                Some(Ok(_)) => fresh.push(message),
                Some(Err(e)) => {
                    let what = Completing::RoomHistory {
                        room_id: paging.room_id,
                        remain: 0,
                        messages: Vec::new(),
                    };
                    self.complete(request_id, what, e.code(), None);
                    return;
                }
                None => return,
            }
        }
        let count = paging.count as usize;
        let remain = u32::try_from(fresh.len().saturating_sub(count)).unwrap_or(u32::MAX);
        fresh.truncate(count);
        let mut batch = HistoryBatch::new();
        let keep = self.saves_room(&paging.room_id);
        for message in &fresh {
            if keep {
                batch.push(self.keep_write(message, false));
            }
            batch.push(self.handed_write(message.message_id));
        }
        let (code, mut messages, remain) = match self.commit_history(batch) {
            Ok(_) => (ErrorCode::Success, fresh, remain),
            Err(e) => {
                tracing::warn!(error = %e, "room history could not be marked handed");
                (e.code(), Vec::new(), 0)
            }
        };
        if paging.order == TimeOrder::Ascending {
            messages.reverse();
        }
        let what = Completing::RoomHistory {
            room_id: paging.room_id,
            remain,
            messages,
        };
        self.complete(request_id, what, code, None);
    }
}
