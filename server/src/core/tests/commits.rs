//! Unit tests of the commit rule: one commit per input, nothing out before it, and what a
//! failed or uncertain commit leaves behind. A `FaultyDisk` wraps the harness's memory store
//! and fails, or leaves uncertain, the commits it is told to. Uses the harness of the parent
//! module (mailboxes of 2, send keys 2, room logs 3).

use std::sync::{Arc, Mutex};

use yim_proto::wire::{reply, UploadAudio};

use super::*;
use crate::store::{Store, StoreError, Write, WriteBatch};

/// What the next commits do.
#[derive(Debug, Default)]
struct Plan {
    /// The next this many commits fail, writing nothing.
    fail: u32,
    /// The next commit's outcome is unknown: applied (true) or not (false).
    uncertain: Option<bool>,
    /// Every batch committed, in order.
    committed: Vec<WriteBatch>,
}

#[derive(Debug, Clone)]
struct FaultyDisk {
    store: MemoryStore,
    plan: Arc<Mutex<Plan>>,
}

impl FaultyDisk {
    fn plan(&self) -> std::sync::MutexGuard<'_, Plan> {
        self.plan.lock().unwrap()
    }
}

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> Result<$ret, StoreError> {
            self.store.$name($($arg),*)
        })*
    };
}

impl Store for FaultyDisk {
    delegate! {
        account(app_key: &str, user_id: &str) -> Option<crate::store::Account>;
        mutes() -> Vec<crate::store::MuteRecord>;
        mail(app_key: &str, user_id: &str) -> Vec<crate::store::StoredMail>;
        mail_count(app_key: &str, user_id: &str) -> usize;
        mail_count_from(app_key: &str, user_id: &str, sender_id: &str) -> usize;
        message_id_mark() -> u64;
        current_session(app_key: &str, user_id: &str) -> Option<u64>;
        send_key(app_key: &str, user_id: &str, key: u64) -> Option<crate::store::SendRecord>;
        room_last_seq(app_key: &str, room_id: &str) -> u64;
        room_log_after(app_key: &str, room_id: &str, after_seq: u64) -> Vec<crate::store::RoomLogEntry>;
        upload(app_key: &str, user_id: &str, upload_key: u64) -> Option<crate::store::UploadInfo>;
        upload_data(app_key: &str, user_id: &str, upload_key: u64) -> Option<Vec<u8>>;
        upload_keys(app_key: &str, user_id: &str) -> Vec<u64>;
        audio_range(app_key: &str, audio_id: u64, offset: u64, max_len: usize) -> Option<crate::store::AudioRange>;
    }

    fn commit(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        let mut plan = self.plan.lock().unwrap();
        if plan.fail > 0 {
            plan.fail -= 1;
            return Err(StoreError::Failed("disk full".into()));
        }
        if let Some(applied) = plan.uncertain.take() {
            if applied {
                self.store.commit(batch)?;
            }
            return Err(StoreError::CommitUncertain("I/O error at commit".into()));
        }
        self.store.commit(batch)?;
        plan.committed.push(batch.clone());
        Ok(())
    }
}

impl Harness {
    /// A harness over a faulty disk (that does nothing until told).
    fn faulty() -> (Harness, FaultyDisk) {
        let disk = FaultyDisk {
            store: MemoryStore::new(),
            plan: Arc::default(),
        };
        (
            Harness::over(disk.store.clone(), Box::new(disk.clone())),
            disk,
        )
    }
}

/// alice (1) and bob (2) logged in and in "world"; carol (3) registered and offline.
fn three_users(h: &mut Harness) {
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.logged_in(3, "carol");
    h.frame(3, FrameBody::Logout(Logout { request_id: 1 }));
    assert_eq!(h.join(1, "world"), ErrorCode::Success);
    assert_eq!(h.join(2, "world"), ErrorCode::Success);
}

#[test]
fn a_send_is_one_commit_holding_the_message_and_its_key() {
    let (mut h, disk) = Harness::faulty();
    three_users(&mut h);
    for (to, chat_type) in [("carol", ChatType::Private), ("world", ChatType::Room)] {
        let before = disk.plan().committed.len();
        let (code, receipt, _) = h.send_keyed(1, to, chat_type, "hi", 40 + chat_type as u64);
        assert_eq!(code, ErrorCode::Success);
        let plan = disk.plan();
        assert_eq!(plan.committed.len(), before + 1, "one commit for {to}");
        let writes = plan.committed[before].writes();
        assert!(writes.iter().any(|w| matches!(w,
            Write::PushMail { message_id, .. } if *message_id == receipt.message_id)
            || matches!(w, Write::AppendRoomLog { .. })));
        assert!(writes.iter().any(|w| matches!(w,
            Write::PutSendKey { record, .. } if record.message_id == receipt.message_id)));
    }
}

#[test]
fn a_failed_send_commit_answers_server_error_stores_nothing_and_moves_nothing() {
    let (mut h, disk) = Harness::faulty();
    three_users(&mut h);
    let seq = h.room_send(1, "world", "first", 2);
    disk.plan().fail = 2;
    let (code, receipt, out) = h.send_keyed(1, "world", ChatType::Room, "lost", 7);
    assert_eq!((code, receipt.message_id), (ErrorCode::ServerError, 0));
    assert!(messages_to(&out, 2).is_empty(), "no fan-out");
    let (code, _, _) = h.send_keyed(1, "carol", ChatType::Private, "lost too", 8);
    assert_eq!(code, ErrorCode::ServerError);
    assert_eq!(
        h.store.mail_count(APP, "carol").unwrap(),
        0,
        "nothing half-written"
    );
    assert_eq!(h.store.send_key(APP, "alice", 7).unwrap(), None);
    assert_eq!(h.store.room_last_seq(APP, "world").unwrap(), seq);
    // Everyone else goes on; the room's seq did not move in memory either, and the resend
    // of the failed send is a new send, delivered once.
    let (code, _, out) = h.send_keyed(2, "world", ChatType::Room, "later", 9);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 1)[0].room_seq, seq + 1);
    let (code, receipt, out) = h.send_keyed(1, "world", ChatType::Room, "lost", 7);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 2).len(), 1);
    assert_eq!(messages_to(&out, 2)[0].room_seq, seq + 2);
    let (_, again, out) = h.send_keyed(1, "world", ChatType::Room, "lost", 7);
    assert_eq!(again.message_id, receipt.message_id);
    assert!(messages_to(&out, 2).is_empty());
}

/// The send that takes the first ID past the reserved block also reserves the next block;
/// if its commit fails, the block does not count: the next send reserves it again.
#[test]
fn message_ids_of_a_failed_block_reservation_are_never_handed_out_twice() {
    let (mut h, disk) = Harness::faulty();
    three_users(&mut h);
    let mut seen = std::collections::BTreeSet::new();
    let mut send = |h: &mut Harness, text: &str| {
        let (code, receipt, _) = h.send_keyed(1, "world", ChatType::Room, text, 0);
        (code == ErrorCode::Success).then(|| {
            assert!(
                seen.insert(receipt.message_id),
                "ID {} reused",
                receipt.message_id
            );
            receipt.message_id
        })
    };
    let mark = h.store.message_id_mark().unwrap();
    let mut last = 0;
    while last + 1 < mark {
        last = send(&mut h, &format!("m{last}")).expect("sent");
    }
    disk.plan().fail = 1;
    assert_eq!(
        send(&mut h, "crossing"),
        None,
        "the reserving commit failed"
    );
    assert_eq!(h.store.message_id_mark().unwrap(), mark);
    let after = send(&mut h, "after").expect("sent");
    assert!(after > mark, "the failed send's ID is skipped");
    assert!(h.store.message_id_mark().unwrap() > after, "reserved again");
    let mut h = h.restart();
    h.logged_in(1, "alice");
    h.join(1, "world");
    let restarted = send(&mut h, "restarted").expect("sent");
    assert!(restarted > after);
}

#[test]
fn a_failed_login_commit_refuses_the_login_and_kicks_no_one_off() {
    let (mut h, disk) = Harness::faulty();
    h.logged_in(1, "alice");
    disk.plan().fail = 1;
    let (code, out) = h.login(2, "alice", "pw");
    assert_eq!(code, ErrorCode::ServerError);
    assert!(closed(&out, 2));
    assert!(!closed(&out, 1), "the older session stays");
    disk.plan().fail = 1;
    let (code, _) = h.login(3, "dave", "pw");
    assert_eq!(code, ErrorCode::ServerError);
    assert_eq!(
        h.store.account(APP, "dave").unwrap(),
        None,
        "not registered"
    );
    let (code, _) = h.login(4, "dave", "other");
    assert_eq!(
        code,
        ErrorCode::Success,
        "the first login that commits registers"
    );
}

#[test]
fn a_failed_mute_commit_is_not_in_force() {
    let (mut h, disk) = Harness::faulty();
    h.logged_in(1, "alice");
    h.join(1, "world");
    h.admin(9);
    disk.plan().fail = 1;
    let end = h.now_ms / 1000 + 100;
    assert_eq!(h.mute(9, "world", "alice", 2, end), ErrorCode::ServerError);
    let (code, _, _) = h.send_text(1, "world", ChatType::Room, "still speaking");
    assert_eq!(code, ErrorCode::Success);
    assert!(h.store.mutes().unwrap().is_empty());
}

#[test]
fn a_failed_upload_commit_keeps_nothing_and_the_chunk_can_be_sent_again() {
    let (mut h, disk) = Harness::faulty();
    h.logged_in(1, "alice");
    let chunk = |request_id| {
        FrameBody::UploadAudio(UploadAudio {
            request_id,
            upload_key: 5,
            total_size: 8,
            offset: 0,
            data: b"abcd".to_vec(),
        })
    };
    disk.plan().fail = 1;
    let (code, out) = h.call(1, chunk);
    assert_eq!(code, ErrorCode::ServerError);
    assert_eq!(reply_of(&out, 1, h.next_request).detail, None);
    assert_eq!(h.store.upload(APP, "alice", 5).unwrap(), None);
    let (code, out) = h.call(1, chunk);
    assert_eq!(code, ErrorCode::Success);
    assert!(matches!(
        reply_of(&out, 1, h.next_request).detail,
        Some(reply::Detail::UploadState(state)) if state.received == 4
    ));
}

/// The commit's outcome is unknown: the core halts without letting anything of that input
/// out, and handles nothing more. After a restart on the same disk the resend settles it:
/// delivered once whether the commit had been applied or not.
#[test]
fn an_uncertain_commit_halts_the_core_before_any_output_of_its_input() {
    for applied in [true, false] {
        let (mut h, disk) = Harness::faulty();
        three_users(&mut h);
        disk.plan().uncertain = Some(applied);
        let id = h.request_id();
        let message = SendMessage {
            idempotency_key: 77,
            ..send(id, "world", ChatType::Room, "maybe")
        };
        let out = h.frame(1, FrameBody::SendMessage(message));
        assert!(out.is_empty(), "no reply, no fan-out: {out:?}");
        assert!(matches!(
            h.core.halted(),
            Some(StoreError::CommitUncertain(_))
        ));
        assert!(h.frame(2, FrameBody::Ping(Ping { nonce: 1 })).is_empty());
        h.core.handle_timeout(Now::at(h.now_ms + 60_000));
        assert!(h.drain().is_empty(), "a halted core does nothing");

        let mut h = h.restart();
        h.logged_in(1, "alice");
        h.logged_in(2, "bob");
        h.join(1, "world");
        let (_, joined, out) = h.join_resuming(2, "world", Some(0));
        let replayed = messages_to(&out, 2).len();
        assert_eq!(replayed, usize::from(applied), "applied: {applied}");
        let (code, receipt, out) = h.send_keyed(1, "world", ChatType::Room, "maybe", 77);
        assert_eq!(code, ErrorCode::Success);
        let live = messages_to(&out, 2).len();
        assert_eq!(replayed + live, 1, "delivered once (applied: {applied})");
        assert_ne!(receipt.message_id, 0);
        assert_eq!(joined.map(|j| j.last_seq), Some(u64::from(applied)));
    }
}

/// The sweep's purges are one commit; if it fails, expired mutes stay in memory and in the
/// store alike, and the next sweep purges them.
#[test]
fn a_failed_sweep_commit_changes_nothing_and_the_next_sweep_purges() {
    let (mut h, disk) = Harness::faulty();
    h.admin(9);
    let end = h.now_ms / 1000 + 1;
    assert_eq!(h.mute(9, "world", "", 1, end), ErrorCode::Success);
    disk.plan().fail = 1;
    h.now_ms += 5_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    h.drain();
    assert_eq!(h.store.mutes().unwrap().len(), 1);
    h.now_ms += 5_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    h.drain();
    assert!(h.store.mutes().unwrap().is_empty());
}

/// Over real SQLite with a full disk (`max_page_count`): the request that does not fit gets
/// ServerError and leaves nothing behind; smaller ones from others still go through.
#[test]
fn a_full_sqlite_disk_fails_the_request_that_does_not_fit_and_serves_the_rest() {
    use crate::store::sqlite::SqliteStore;
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open_in_dir(dir.path()).unwrap();
    let pages = sqlite.page_count().unwrap();
    sqlite.limit_pages(pages + 3).unwrap();
    let mut h = Harness::over(MemoryStore::new(), Box::new(sqlite));
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    let (code, out) = h.call(1, |request_id| {
        FrameBody::UploadAudio(UploadAudio {
            request_id,
            upload_key: 5,
            total_size: 60_000,
            offset: 0,
            data: vec![9u8; 16 * 1024],
        })
    });
    assert_eq!(code, ErrorCode::ServerError, "the chunk does not fit");
    assert_eq!(reply_of(&out, 1, h.next_request).detail, None);
    let (code, _, out) = h.send_text(2, "alice", ChatType::Private, "small");
    assert_eq!(code, ErrorCode::Success, "others are still served");
    assert_eq!(messages_to(&out, 1).len(), 1);
    drop(h);
    let reopened = SqliteStore::open_in_dir(dir.path()).unwrap();
    assert_eq!(
        reopened.upload(APP, "alice", 5).unwrap(),
        None,
        "nothing half-written"
    );
    assert_eq!(reopened.mail_count(APP, "alice").unwrap(), 1);
}
