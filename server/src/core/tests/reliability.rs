//! Unit tests of reliability under faults: session IDs and resuming them, safe resends with
//! idempotency keys, durable room sequence numbers and the resuming join's replay. Uses the
//! harness of the parent module (`max_send_keys_per_user` 2, `room_log_messages` 3).

use yim_proto::wire::{reply, JoinRoom, Login, RoomJoined, SendReceipt};

use super::*;

impl Harness {
    /// Connects and logs `user` in, resuming `resume` (0: fresh); the code and session ID.
    fn login_resuming(
        &mut self,
        conn: ConnId,
        user: &str,
        resume: u64,
    ) -> (ErrorCode, Option<u64>, Vec<Output>) {
        self.connect(conn);
        let login = Login {
            resume_session_id: resume,
            ..self.login_frame(conn, APP, SECRET, user, "pw", "")
        };
        let id = login.request_id;
        let out = self.frame(conn, FrameBody::Login(login));
        let reply = reply_of(&out, conn, id);
        let session_id = match reply.detail {
            Some(reply::Detail::LoginReceipt(receipt)) => Some(receipt.session_id),
            _ => None,
        };
        (ErrorCode::from_u32(reply.code).unwrap(), session_id, out)
    }

    fn session_id(&mut self, conn: ConnId, user: &str) -> u64 {
        let (code, id, _) = self.login_resuming(conn, user, 0);
        assert_eq!(code, ErrorCode::Success);
        id.expect("a login receipt")
    }

    /// A join, resuming after `after` if given: the code, the RoomJoined detail, the outputs.
    pub(super) fn join_resuming(
        &mut self,
        conn: ConnId,
        room: &str,
        after: Option<u64>,
    ) -> (ErrorCode, Option<RoomJoined>, Vec<Output>) {
        let id = self.request_id();
        let out = self.frame(
            conn,
            FrameBody::JoinRoom(JoinRoom {
                request_id: id,
                room_id: room.into(),
                resume_after_seq: after,
            }),
        );
        let reply = reply_of(&out, conn, id);
        let joined = match reply.detail {
            Some(reply::Detail::RoomJoined(joined)) => Some(joined),
            _ => None,
        };
        (ErrorCode::from_u32(reply.code).unwrap(), joined, out)
    }

    pub(super) fn send_keyed(
        &mut self,
        conn: ConnId,
        to: &str,
        chat_type: ChatType,
        text: &str,
        key: u64,
    ) -> (ErrorCode, SendReceipt, Vec<Output>) {
        let id = self.request_id();
        let message = SendMessage {
            idempotency_key: key,
            ..send(id, to, chat_type, text)
        };
        let out = self.frame(conn, FrameBody::SendMessage(message));
        let reply = reply_of(&out, conn, id);
        let Some(reply::Detail::SendReceipt(receipt)) = reply.detail else {
            panic!("send replies carry a receipt")
        };
        (ErrorCode::from_u32(reply.code).unwrap(), receipt, out)
    }

    /// A room message from `conn`; its seq as received by `receiver`.
    pub(super) fn room_send(
        &mut self,
        conn: ConnId,
        room: &str,
        text: &str,
        receiver: ConnId,
    ) -> u64 {
        let (code, _, out) = self.send_text(conn, room, ChatType::Room, text);
        assert_eq!(code, ErrorCode::Success);
        let received = messages_to(&out, receiver);
        assert_eq!(received.len(), 1, "{text} reaches {receiver}");
        received[0].room_seq
    }
}

fn joined(last_seq: u64, lost: (u64, u64)) -> Option<RoomJoined> {
    Some(RoomJoined {
        last_seq,
        lost_from_seq: lost.0,
        lost_to_seq: lost.1,
    })
}

fn seqs_and_texts(messages: &[Message]) -> Vec<(u64, String)> {
    messages
        .iter()
        .map(|m| (m.room_seq, text_of(m).to_owned()))
        .collect()
}

/// Position of the reply to `request_id` and of every message to `conn` in `out`.
fn reply_then_messages(out: &[Output], conn: ConnId) -> (usize, Vec<usize>) {
    let mut reply = None;
    let mut messages = Vec::new();
    for (i, o) in out.iter().enumerate() {
        if let Output::Send { conn: c, frame } = o {
            match &frame.body {
                Some(FrameBody::Reply(_)) if *c == conn => reply = reply.or(Some(i)),
                Some(FrameBody::Message(_)) if *c == conn => messages.push(i),
                _ => {}
            }
        }
    }
    (reply.expect("a reply"), messages)
}

#[test]
fn a_login_receipt_carries_a_new_session_id() {
    let mut h = Harness::new();
    let alice = h.session_id(1, "alice");
    let bob = h.session_id(2, "bob");
    let alice_again = h.session_id(3, "alice");
    assert!(alice != 0 && bob != 0 && alice_again != 0);
    assert_ne!(alice, bob);
    assert_ne!(alice, alice_again, "a fresh login is a new session");
    assert_eq!(
        crate::store::Store::current_session(&h.store, APP, "alice").unwrap(),
        Some(alice_again)
    );
}

#[test]
fn resuming_the_current_session_works_after_a_restart_and_keeps_its_id() {
    let mut h = Harness::new();
    let id = h.session_id(1, "alice");
    let mut h = h.restart();
    let (code, resumed, _) = h.login_resuming(2, "alice", id);
    assert_eq!((code, resumed), (ErrorCode::Success, Some(id)));
    // A resume is a normal login: it takes over from an older connection of the user.
    let (code, resumed, out) = h.login_resuming(3, "alice", id);
    assert_eq!((code, resumed), (ErrorCode::Success, Some(id)));
    assert!(closed(&out, 2), "the older connection is kicked off");
}

#[test]
fn resuming_a_stale_session_is_refused_and_kicks_no_one_off() {
    let mut h = Harness::new();
    let stale = h.session_id(1, "alice");
    let current = h.session_id(2, "alice");
    assert_eq!(h.join(2, "world"), ErrorCode::Success);
    let (code, id, out) = h.login_resuming(3, "alice", stale);
    assert_eq!((code, id), (ErrorCode::LoginSessionError, None));
    assert!(closed(&out, 3), "the refused connection is closed");
    assert!(!closed(&out, 2), "the current session is not kicked off");
    assert!(!out.iter().any(|o| matches!(
        o,
        Output::Send { conn: 2, frame } if matches!(frame.body, Some(FrameBody::KickOff(_)))
    )));
    assert_eq!(h.core.room_members(APP, "world"), ["alice"]);
    // Still refused after a restart; the current one still resumes.
    let mut h = h.restart();
    assert_eq!(
        h.login_resuming(4, "alice", stale).0,
        ErrorCode::LoginSessionError
    );
    assert_eq!(
        h.login_resuming(5, "bob", stale).0,
        ErrorCode::LoginSessionError,
        "not bob's"
    );
    let (code, id, _) = h.login_resuming(6, "alice", current);
    assert_eq!((code, id), (ErrorCode::Success, Some(current)));
}

#[test]
fn a_resend_gets_the_first_receipt_and_is_not_delivered_again() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    let (code, first, out) = h.send_keyed(1, "world", ChatType::Room, "once", 77);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 2).len(), 1);
    h.now_ms += 5_000;
    let (code, again, out) = h.send_keyed(1, "world", ChatType::Room, "once", 77);
    // The room seq is not remembered with the key: a resend's receipt says 0.
    let first = SendReceipt {
        room_seq: 0,
        ..first
    };
    assert_eq!((code, again), (ErrorCode::Success, first));
    assert!(messages_to(&out, 2).is_empty(), "not delivered again");
    // Private chat too: the receiver gets one copy.
    let (_, private, out) = h.send_keyed(1, "bob", ChatType::Private, "hi", 78);
    assert_eq!(messages_to(&out, 2).len(), 1);
    let (_, again, out) = h.send_keyed(1, "bob", ChatType::Private, "hi", 78);
    assert_eq!(again, private);
    assert!(messages_to(&out, 2).is_empty());
    // After a restart, and before every other check: alice is in no room now.
    let mut h = h.restart();
    h.logged_in(3, "alice");
    h.logged_in(4, "bob");
    h.join(4, "world");
    let (code, again, out) = h.send_keyed(3, "world", ChatType::Room, "once", 77);
    assert_eq!((code, again), (ErrorCode::Success, first));
    assert!(messages_to(&out, 4).is_empty());
    h.admin(9);
    h.mute(9, "world", "alice", 1, u64::MAX);
    h.join(3, "world");
    assert_eq!(
        h.send_keyed(3, "world", ChatType::Room, "once", 77).0,
        ErrorCode::Success,
        "the first send was accepted before the mute"
    );
    assert_eq!(
        h.send_keyed(3, "world", ChatType::Room, "new", 79).0,
        ErrorCode::ForbiddenSpeak
    );
    let (code, again, out) = h.send_keyed(3, "bob", ChatType::Private, "hi", 78);
    assert_eq!((code, again), (ErrorCode::Success, private));
    assert!(
        messages_to(&out, 4).is_empty(),
        "mail is not stored twice either"
    );
}

#[test]
fn send_keys_are_per_user_and_bounded_and_zero_is_no_key() {
    // Room chat: the private mailbox holds only 2 unacknowledged messages here.
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    let (_, alice_first, _) = h.send_keyed(1, "world", ChatType::Room, "a1", 1);
    let (code, bob_first, out) = h.send_keyed(2, "world", ChatType::Room, "b1", 1);
    assert_eq!(code, ErrorCode::Success);
    assert_ne!(
        bob_first.message_id, alice_first.message_id,
        "keys are per user"
    );
    assert_eq!(messages_to(&out, 1).len(), 1);
    for key in [0, 0] {
        let (_, receipt, out) = h.send_keyed(1, "world", ChatType::Room, "no key", key);
        assert_ne!(receipt.message_id, alice_first.message_id);
        assert_eq!(
            messages_to(&out, 2).len(),
            1,
            "key 0: every send is delivered"
        );
    }
    // The bound is 2 here: keys 2 and 3 push key 1 out, so its resend is a new send.
    h.send_keyed(1, "world", ChatType::Room, "a2", 2);
    let (_, third, _) = h.send_keyed(1, "world", ChatType::Room, "a3", 3);
    let (_, again, out) = h.send_keyed(1, "world", ChatType::Room, "a1", 1);
    assert_ne!(
        again.message_id, alice_first.message_id,
        "key 1 was forgotten"
    );
    assert_eq!(messages_to(&out, 2).len(), 1);
    let (_, again, out) = h.send_keyed(1, "world", ChatType::Room, "a3", 3);
    let third = SendReceipt {
        room_seq: 0,
        ..third
    };
    assert_eq!(again, third, "the newest keys are kept");
    assert!(messages_to(&out, 2).is_empty());
}

#[test]
fn room_seq_continues_after_the_room_empties_and_after_a_restart() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    assert_eq!(h.join_resuming(1, "world", None).1, joined(0, (0, 0)));
    h.join(2, "world");
    assert_eq!(h.room_send(1, "world", "one", 2), 1);
    assert_eq!(h.room_send(1, "world", "two", 2), 2);
    h.leave(1, "world");
    h.leave(2, "world");
    assert!(h.core.room_members(APP, "world").is_empty());
    assert_eq!(h.join_resuming(1, "world", None).1, joined(2, (0, 0)));
    h.join(2, "world");
    assert_eq!(h.room_send(2, "world", "three", 1), 3);
    let mut h = h.restart();
    h.logged_in(3, "alice");
    h.logged_in(4, "bob");
    assert_eq!(h.join_resuming(3, "world", None).1, joined(3, (0, 0)));
    h.join(4, "world");
    assert_eq!(h.room_send(3, "world", "four", 4), 4);
}

#[test]
fn a_resuming_join_replays_exactly_the_missed_messages_in_order_before_new_ones() {
    let mut h = Harness::new();
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        h.logged_in(conn, user);
        h.join(conn, "world");
    }
    assert_eq!(h.room_send(1, "world", "one", 2), 1);
    let (_, _, _) = h.send_text(2, "world", ChatType::Room, "bob's own");
    h.core.handle_disconnect(2, "network lost");
    assert_eq!(h.room_send(1, "world", "three", 3), 3);
    assert_eq!(h.room_send(3, "world", "four", 1), 4);
    h.logged_in(5, "bob");
    let (code, reply, out) = h.join_resuming(5, "world", Some(1));
    assert_eq!((code, reply), (ErrorCode::Success, joined(4, (0, 0))));
    let replayed = messages_to(&out, 5);
    assert_eq!(
        seqs_and_texts(&replayed),
        [(3, "three".to_owned()), (4, "four".to_owned())],
        "after seq 1, in order, without bob's own message (no echo)"
    );
    let (reply_at, message_at) = reply_then_messages(&out, 5);
    assert!(
        message_at.iter().all(|&i| i > reply_at),
        "the replay follows the reply"
    );
    let (_, _, out) = h.send_text(1, "world", ChatType::Room, "five");
    assert_eq!(
        seqs_and_texts(&messages_to(&out, 5)),
        [(5, "five".to_owned())]
    );
    // A join of a room already joined on the connection answers and replays the same way.
    let (code, reply, out) = h.join_resuming(5, "world", Some(3));
    assert_eq!((code, reply), (ErrorCode::Success, joined(5, (0, 0))));
    assert_eq!(
        seqs_and_texts(&messages_to(&out, 5)),
        [(4, "four".to_owned()), (5, "five".to_owned())]
    );
    assert_eq!(h.core.room_members(APP, "world"), ["alice", "bob", "carol"]);
}

#[test]
fn a_trimmed_or_purged_log_reports_the_lost_range() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.join(1, "world");
    for i in 1..=6 {
        h.send_text(1, "world", ChatType::Room, &format!("m{i}"));
    }
    // The log keeps 3 here: 4, 5 and 6. Also after a restart.
    let mut h = h.restart();
    h.logged_in(2, "bob");
    let (_, reply, out) = h.join_resuming(2, "world", Some(1));
    assert_eq!(reply, joined(6, (2, 3)));
    let seqs: Vec<u64> = messages_to(&out, 2).iter().map(|m| m.room_seq).collect();
    assert_eq!(seqs, [4, 5, 6]);
    let (_, reply, out) = h.join_resuming(2, "world", Some(4));
    assert_eq!(reply, joined(6, (0, 0)), "nothing missed is lost");
    assert_eq!(messages_to(&out, 2).len(), 2);
    // Older than room_log_max_age_secs: purged by the sweep; the seq stays.
    h.now_ms += 601_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    h.drain();
    h.logged_in(3, "carol");
    let (_, reply, out) = h.join_resuming(3, "world", Some(0));
    assert_eq!(reply, joined(6, (1, 6)));
    assert!(messages_to(&out, 3).is_empty());
}

#[test]
fn resuming_at_or_past_the_last_seq_replays_nothing() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.send_text(1, "world", ChatType::Room, "one");
    h.send_text(1, "world", ChatType::Room, "two");
    for after in [2, 3, u64::MAX] {
        let (code, reply, out) = h.join_resuming(2, "world", Some(after));
        assert_eq!((code, reply), (ErrorCode::Success, joined(2, (0, 0))));
        assert!(messages_to(&out, 2).is_empty(), "after {after}");
    }
    // A failed join answers no RoomJoined and replays nothing.
    let (code, reply, out) = h.join_resuming(2, "bad room", Some(0));
    assert_eq!((code, reply), (ErrorCode::ParamInvalid, None));
    assert!(messages_to(&out, 2).is_empty());
}

#[cfg(feature = "planted-bugs")]
mod planted_bugs {
    use yim_hooks::planted::{self, Bug};

    use super::*;

    /// Switches `bug` on for this thread until dropped.
    struct Planted;

    impl Planted {
        fn on(bug: Bug) -> Planted {
            planted::set(Some(bug));
            Planted
        }
    }

    impl Drop for Planted {
        fn drop(&mut self) {
            planted::set(None);
        }
    }

    #[test]
    fn no_resend_dedupe_delivers_a_resend_again() {
        let _bug = Planted::on(Bug::NoResendDedupe);
        let mut h = Harness::new();
        h.logged_in(1, "alice");
        h.logged_in(2, "bob");
        let (_, first, _) = h.send_keyed(1, "bob", ChatType::Private, "hi", 5);
        let (code, again, out) = h.send_keyed(1, "bob", ChatType::Private, "hi", 5);
        assert_eq!(code, ErrorCode::Success);
        assert_ne!(again.message_id, first.message_id);
        assert_eq!(messages_to(&out, 2).len(), 1, "delivered a second time");
    }

    #[test]
    fn no_gap_fill_replays_nothing_and_reports_no_loss() {
        let _bug = Planted::on(Bug::NoGapFill);
        let mut h = Harness::new();
        h.logged_in(1, "alice");
        h.logged_in(2, "bob");
        h.join(1, "world");
        for i in 1..=5 {
            h.send_text(1, "world", ChatType::Room, &format!("m{i}"));
        }
        let (code, reply, out) = h.join_resuming(2, "world", Some(0));
        assert_eq!((code, reply), (ErrorCode::Success, joined(5, (0, 0))));
        assert!(messages_to(&out, 2).is_empty());
    }
}
