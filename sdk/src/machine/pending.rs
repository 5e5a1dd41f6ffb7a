//! The table of calls waiting for their completion, with their deadlines, and the data each
//! kind of call keeps until then.
//!
//! What it is: a map from `RequestId` to what the call needs for its completion event and the
//! frame to send again after a reconnect, an ordered index of deadlines so the earliest is
//! found without a scan, and a "not sent yet" mark. No rules: which calls wait for which is
//! `order`'s, what a completion says is `complete`'s, when calls time out is `timers`'.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use yim_proto::{ChatType, Frame};

use super::action::Recorded;
use super::call::RequestId;
use super::event::Event;

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
    /// A text or custom send.
    Send,
    /// A voice message being uploaded, then sent.
    Voice(Box<VoiceUpload>),
    /// A voice message's audio being downloaded.
    Download(Box<Download>),
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
}

/// Pending calls, ordered by request ID, with a deadline index.
#[derive(Debug, Default)]
pub(crate) struct PendingCalls {
    calls: BTreeMap<RequestId, Pending>,
    deadlines: BTreeSet<(u64, RequestId)>,
}

impl PendingCalls {
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn insert(
        &mut self,
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
        };
        if let Some(old) = self.calls.insert(request_id, pending) {
            // Request IDs are never reused; keep the index consistent all the same.
            self.deadlines.remove(&(old.deadline_ms, request_id));
        }
        self.deadlines.insert((deadline_ms, request_id));
    }

    pub fn get(&self, request_id: RequestId) -> Option<&PendingKind> {
        self.calls.get(&request_id).map(|p| &p.kind)
    }

    pub fn get_mut(&mut self, request_id: RequestId) -> Option<&mut PendingKind> {
        self.calls.get_mut(&request_id).map(|p| &mut p.kind)
    }

    /// True if a call before `request_id` matches `pred`.
    pub fn any_before(&self, request_id: RequestId, pred: impl Fn(&PendingKind) -> bool) -> bool {
        self.calls.range(..request_id).any(|(_, p)| pred(&p.kind))
    }

    /// Marks a call as not sent yet: its frame waits for `release`.
    pub fn hold(&mut self, request_id: RequestId) {
        if let Some(pending) = self.calls.get_mut(&request_id) {
            pending.held = true;
        }
    }

    /// The frames of held calls, in request ID order, up to and including the first call
    /// that matches `stop_after`; those calls are no longer held.
    pub fn release(&mut self, stop_after: impl Fn(&PendingKind) -> bool) -> Vec<Frame> {
        let mut frames = Vec::new();
        for pending in self.calls.values_mut() {
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

    /// The frames of the pending calls that are not held, in request ID order, to send again
    /// on a new connection; every deadline restarts at `deadline_ms`.
    pub fn frames_for_resume(&mut self, deadline_ms: u64) -> Vec<Frame> {
        self.deadlines = self
            .calls
            .keys()
            .map(|request_id| (deadline_ms, *request_id))
            .collect();
        self.calls
            .values_mut()
            .filter_map(|pending| {
                pending.deadline_ms = deadline_ms;
                pending.frame.clone().filter(|_| !pending.held)
            })
            .collect()
    }

    /// Removes every pending call, in request ID order.
    pub fn drain(&mut self) -> Vec<(RequestId, PendingKind)> {
        self.deadlines.clear();
        std::mem::take(&mut self.calls)
            .into_iter()
            .map(|(request_id, pending)| (request_id, pending.kind))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_found_in_order_and_removed_with_their_calls() {
        let mut table = PendingCalls::default();
        table.insert(RequestId(1), PendingKind::Send, 300, None);
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
            table.insert(RequestId(n), PendingKind::Send, 0, Some(frame(n)));
            table.hold(RequestId(n));
        }
        table.insert(RequestId(4), PendingKind::Logout, 0, Some(frame(4)));
        assert!(table.any_before(RequestId(3), |k| *k == PendingKind::Send));
        assert!(!table.any_before(RequestId(1), |_| true));
        assert_eq!(
            table.frames_for_resume(5),
            vec![frame(4)],
            "held frames wait"
        );
        let released = table.release(|_| false);
        assert_eq!(released, vec![frame(1), frame(2), frame(3)]);
        assert_eq!(table.release(|_| false), vec![], "released once");
    }
}
