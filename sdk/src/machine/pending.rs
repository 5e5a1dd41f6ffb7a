//! The table of calls waiting for their completion, with their deadlines, and the data each
//! kind of call keeps until then.
//!
//! What it is: a map from `RequestId` to what the call needs for its completion event and the
//! frame to send again after a reconnect, an ordered index of deadlines so the earliest is
//! found without a scan, each call's place in the send order (`SendSeq`) with an index by it,
//! and a "not sent yet" mark. No rules: which calls wait for which is `order`'s, what a
//! completion says is `complete`'s, when calls time out is `timers`'.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::path::PathBuf;

use yim_proto::{ChatType, Frame};

use super::action::Recorded;
use super::call::{RequestId, TimeOrder};
use super::event::Event;
use super::message::{MessageBody, ReceivedMessage};

/// A call's place in the order the application issued its sends: a call's is fixed when it is
/// made, a voice message's when its recording is stopped (so it sorts after every call made
/// before the stop and before every call made after it). Frames of pending calls leave, and
/// leave again after a reconnect, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SendSeq(u64);

impl SendSeq {
    /// The place of a call made now, with request ID `request_id`.
    pub fn of_call(request_id: RequestId) -> SendSeq {
        SendSeq(request_id.get().saturating_mul(2))
    }

    /// The place of a voice message stopped now, when `last_request_id` is the last request ID
    /// given out (at least its own recording's): after that call, before the next one.
    pub fn after(last_request_id: u64) -> SendSeq {
        SendSeq(last_request_id.saturating_mul(2).saturating_add(1))
    }
}

/// What a pending call needs to build its completion event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PendingKind {
    Login {
        user_id: String,
    },
    Logout,
    JoinChatRoom {
        room_id: String,
    },
    LeaveChatRoom {
        room_id: String,
    },
    LeaveAllChatRooms,
    RoomMemberCount {
        room_id: String,
    },
    /// A text or custom send, with what the local history keeps of it once it succeeds.
    Send(Box<Outgoing>),
    /// A voice message being uploaded, then sent.
    Voice(Box<VoiceUpload>),
    /// A voice message's audio being downloaded.
    Download(Box<Download>),
    /// Room history being fetched from the server, page by page.
    RoomHistory(Box<RoomPaging>),
}

/// A text or custom message on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub receiver_id: String,
    pub chat_type: ChatType,
    pub body: MessageBody,
}

/// A room history query on its way: the pages so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoomPaging {
    pub room_id: String,
    pub count: u32,
    pub order: TimeOrder,
    /// The room's messages received so far, newest first.
    pub messages: Vec<ReceivedMessage>,
}

/// A voice message on its way: the audio, how much of it the server has, and what the status
/// event will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VoiceUpload {
    pub upload_key: u64,
    pub send_key: u64,
    pub receiver_id: String,
    pub chat_type: ChatType,
    pub extra_param: String,
    pub recorded: Recorded,
    /// Bytes the server confirmed.
    pub received: u64,
    /// The `SendMessage` is out (the upload is complete).
    pub sending: bool,
    /// The planted `StartAfterStatus` bug holds the StartSendAudio here.
    pub late_start: Option<Box<Event>>,
}

/// A download on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Download {
    pub message_id: u64,
    /// The token the message came with (0: none, as for one this account sent).
    pub download_token: u64,
    pub save_path: PathBuf,
    /// The chunks received so far.
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct Pending {
    kind: PendingKind,
    deadline_ms: u64,
    /// The call's frame, sent again when the session resumes after a reconnect (a send keeps
    /// its idempotency key, so the server never delivers it twice). `None` for calls that
    /// have no frame of their own (login).
    frame: Option<Frame>,
    /// Not sent yet: held back until `release`.
    held: bool,
    send_seq: SendSeq,
}

/// Pending calls, ordered by request ID, with a deadline index and a send-order index.
#[derive(Debug, Default)]
pub(crate) struct PendingCalls {
    calls: BTreeMap<RequestId, Pending>,
    deadlines: BTreeSet<(u64, RequestId)>,
    /// Every pending call, in send order.
    send_order: BTreeMap<SendSeq, RequestId>,
}

impl PendingCalls {
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Adds a call made now: its place in the send order is its request ID's.
    pub fn insert(
        &mut self,
        request_id: RequestId,
        kind: PendingKind,
        deadline_ms: u64,
        frame: Option<Frame>,
    ) {
        let send_seq = SendSeq::of_call(request_id);
        self.insert_at(send_seq, request_id, kind, deadline_ms, frame);
    }

    /// Adds a call whose place in the send order was fixed earlier (a stopped recording).
    pub fn insert_at(
        &mut self,
        send_seq: SendSeq,
        request_id: RequestId,
        kind: PendingKind,
        deadline_ms: u64,
        frame: Option<Frame>,
    ) {
        let pending = Pending {
            kind,
            deadline_ms,
            frame,
            held: false,
            send_seq,
        };
        if let Some(old) = self.calls.insert(request_id, pending) {
            // Request IDs are never reused; keep the indexes consistent all the same.
            self.deadlines.remove(&(old.deadline_ms, request_id));
            self.send_order.remove(&old.send_seq);
        }
        self.deadlines.insert((deadline_ms, request_id));
        self.send_order.insert(send_seq, request_id);
    }

    pub fn get(&self, request_id: RequestId) -> Option<&PendingKind> {
        self.calls.get(&request_id).map(|p| &p.kind)
    }

    pub fn get_mut(&mut self, request_id: RequestId) -> Option<&mut PendingKind> {
        self.calls.get_mut(&request_id).map(|p| &mut p.kind)
    }

    /// The place of pending call `request_id` in the send order.
    pub fn send_seq(&self, request_id: RequestId) -> Option<SendSeq> {
        self.calls.get(&request_id).map(|p| p.send_seq)
    }

    /// The pending calls in send order.
    fn in_send_order(&self) -> impl Iterator<Item = &Pending> {
        self.send_order.values().filter_map(|id| self.calls.get(id))
    }

    /// True if a call before `request_id` in the send order matches `pred`.
    pub fn any_before(&self, request_id: RequestId, pred: impl Fn(&PendingKind) -> bool) -> bool {
        let Some(send_seq) = self.send_seq(request_id) else {
            return false;
        };
        self.send_order
            .range(..send_seq)
            .filter_map(|(_, id)| self.calls.get(id))
            .any(|p| pred(&p.kind))
    }

    /// Marks a call as not sent yet: its frame waits for `release`.
    pub fn hold(&mut self, request_id: RequestId) {
        if let Some(pending) = self.calls.get_mut(&request_id) {
            pending.held = true;
        }
    }

    /// The frames of held calls, in send order, up to and including the first call that
    /// matches `stop_after`, and before `until` (a place not in the table: a stopped
    /// recording still being finished); those calls are no longer held.
    pub fn release(
        &mut self,
        until: Option<SendSeq>,
        stop_after: impl Fn(&PendingKind) -> bool,
    ) -> Vec<Frame> {
        let mut frames = Vec::new();
        let bound = until.map_or(Bound::Unbounded, Bound::Excluded);
        for (_, request_id) in self.send_order.range((Bound::Unbounded, bound)) {
            let Some(pending) = self.calls.get_mut(request_id) else {
                continue;
            };
            if pending.held {
                pending.held = false;
                frames.extend(pending.frame.clone());
            }
            if stop_after(&pending.kind) {
                break;
            }
        }
        frames
    }

    /// A call's next step: `frame` is what it now waits on (sent again after a reconnect), with
    /// a new deadline.
    pub fn set_frame(&mut self, request_id: RequestId, frame: Frame, deadline_ms: u64) {
        if let Some(pending) = self.calls.get_mut(&request_id) {
            self.deadlines.remove(&(pending.deadline_ms, request_id));
            pending.deadline_ms = deadline_ms;
            pending.frame = Some(frame);
            self.deadlines.insert((deadline_ms, request_id));
        }
    }

    pub fn remove(&mut self, request_id: RequestId) -> Option<PendingKind> {
        let pending = self.calls.remove(&request_id)?;
        self.deadlines.remove(&(pending.deadline_ms, request_id));
        self.send_order.remove(&pending.send_seq);
        Some(pending.kind)
    }

    /// The earliest deadline of any pending call.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.deadlines.first().map(|(deadline_ms, _)| *deadline_ms)
    }

    /// The pending call with the earliest deadline, if that deadline is at or before `now_ms`.
    pub fn first_expired(&self, now_ms: u64) -> Option<RequestId> {
        self.deadlines
            .first()
            .filter(|(deadline_ms, _)| *deadline_ms <= now_ms)
            .map(|(_, request_id)| *request_id)
    }

    /// The frames of the pending calls that are not held, in send order, to send again on a
    /// new connection; every deadline restarts at `deadline_ms`.
    pub fn frames_for_resume(&mut self, deadline_ms: u64) -> Vec<Frame> {
        self.deadlines = self
            .calls
            .keys()
            .map(|request_id| (deadline_ms, *request_id))
            .collect();
        for pending in self.calls.values_mut() {
            pending.deadline_ms = deadline_ms;
        }
        self.in_send_order()
            .filter_map(|pending| pending.frame.clone().filter(|_| !pending.held))
            .collect()
    }

    /// Removes every pending call, in request ID order.
    pub fn drain(&mut self) -> Vec<(RequestId, PendingKind)> {
        self.deadlines.clear();
        self.send_order.clear();
        std::mem::take(&mut self.calls)
            .into_iter()
            .map(|(request_id, pending)| (request_id, pending.kind))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send() -> PendingKind {
        PendingKind::Send(Box::new(Outgoing {
            receiver_id: "bob".into(),
            chat_type: ChatType::Private,
            body: MessageBody::Custom(Vec::new()),
        }))
    }

    #[test]
    fn deadlines_are_found_in_order_and_removed_with_their_calls() {
        let mut table = PendingCalls::default();
        table.insert(RequestId(1), send(), 300, None);
        table.insert(RequestId(2), PendingKind::LeaveAllChatRooms, 100, None);
        table.insert(RequestId(3), PendingKind::Logout, 200, None);
        assert_eq!(table.next_deadline_ms(), Some(100));
        assert_eq!(table.first_expired(99), None);
        assert_eq!(table.first_expired(100), Some(RequestId(2)));
        assert_eq!(
            table.remove(RequestId(2)),
            Some(PendingKind::LeaveAllChatRooms)
        );
        assert_eq!(table.remove(RequestId(2)), None);
        assert_eq!(table.next_deadline_ms(), Some(200));
        let drained: Vec<_> = table.drain().into_iter().map(|(id, _)| id).collect();
        assert_eq!(drained, vec![RequestId(1), RequestId(3)]);
        assert_eq!(table.len(), 0);
        assert_eq!(table.next_deadline_ms(), None);
    }

    #[test]
    fn held_calls_are_released_in_order_up_to_the_stop() {
        let frame = |n: u64| {
            Frame::new(yim_proto::FrameBody::Ping(yim_proto::wire::Ping {
                nonce: n,
            }))
        };
        let mut table = PendingCalls::default();
        for n in 1..=3 {
            table.insert(RequestId(n), send(), 0, Some(frame(n)));
            table.hold(RequestId(n));
        }
        table.insert(RequestId(4), PendingKind::Logout, 0, Some(frame(4)));
        assert!(table.any_before(RequestId(3), |k| *k == send()));
        assert!(!table.any_before(RequestId(1), |_| true));
        assert_eq!(
            table.frames_for_resume(5),
            vec![frame(4)],
            "held frames wait"
        );
        let released = table.release(None, |_| false);
        assert_eq!(released, vec![frame(1), frame(2), frame(3)]);
        assert_eq!(table.release(None, |_| false), vec![], "released once");
    }
}
