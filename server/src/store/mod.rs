//! Durable server state: accounts, mutes, private mailboxes, the message-ID high-water mark,
//! each user's current session ID, recent idempotency keys of sends, and per-room sequence
//! numbers with a bounded log of recent room messages.
//!
//! The `Store` trait is what survives a server restart. Two implementations: [`MemoryStore`]
//! (tests and the simulator, where a cloned handle outlives a crashed server and so plays the
//! disk) and [`SqliteStore`] (the real binary's default). Everything else the server knows
//! (which connection holds a session, room membership) is rebuilt from connections and is not
//! stored. Growth is bounded by the callers' limits: send keys per user, log entries per room
//! (by count on append and by age in the periodic purge); one sequence row per room ever
//! spoken in and one session row per account.

mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

/// A registered user: the salt and the salted hash of the password of the first login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub salt: Vec<u8>,
    pub password_hash: Vec<u8>,
}

/// A mute set by an operator. `user_id` empty means the whole room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuteRecord {
    pub app_key: String,
    pub room_id: String,
    pub user_id: String,
    pub reason: u32,
    /// Unix seconds; the mute is over from this second on.
    pub end_time: u64,
}

/// A private message kept until its receiver acknowledges it, as encoded `Message` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// The message's ID; IDs grow in the order messages arrive.
    pub message_id: u64,
    pub message: Vec<u8>,
}

/// A successful send remembered under its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendRecord {
    pub message_id: u64,
    /// Unix seconds, as in the first send's receipt.
    pub send_time: u64,
}

/// One room message kept for members that resume after a reconnect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLogEntry {
    /// The room sequence number (1, 2, ...).
    pub seq: u64,
    /// Unix seconds; the age purge compares it.
    pub create_time: u64,
    /// The encoded `Message`.
    pub message: Vec<u8>,
}

/// A store operation failed; the request gets ServerError (8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// What the server keeps across restarts. Calls are synchronous and made from the server's
/// single core task.
pub trait Store: Send + 'static {
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError>;
    fn put_account(
        &mut self,
        app_key: &str,
        user_id: &str,
        account: &Account,
    ) -> Result<(), StoreError>;

    /// Every mute ever set and not lifted, expired or not.
    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError>;
    /// Sets (or replaces) the mute for (app, room, user).
    fn put_mute(&mut self, mute: &MuteRecord) -> Result<(), StoreError>;
    fn delete_mute(
        &mut self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError>;

    /// Adds a message to a user's mailbox.
    fn push_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        message_id: u64,
        message: &[u8],
    ) -> Result<(), StoreError>;
    /// The user's mailbox in message ID order.
    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError>;
    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError>;
    /// Removes the mails with `message_id <= up_to_message_id` (they were acknowledged).
    fn delete_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        up_to_message_id: u64,
    ) -> Result<(), StoreError>;

    /// Reserves `count` message IDs and returns the first. IDs handed out are never handed out
    /// again, across restarts.
    fn reserve_message_ids(&mut self, count: u64) -> Result<u64, StoreError>;

    /// The ID of the user's current session (the last successful login), if any.
    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError>;
    fn put_current_session(
        &mut self,
        app_key: &str,
        user_id: &str,
        session_id: u64,
    ) -> Result<(), StoreError>;

    /// The successful send the user made with idempotency key `key`, if still remembered.
    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        key: u64,
    ) -> Result<Option<SendRecord>, StoreError>;
    /// Remembers a successful send under `key`, then forgets the user's oldest keys (lowest
    /// message ID, which is the order sends were made) beyond `max_keys`.
    fn put_send_key(
        &mut self,
        app_key: &str,
        user_id: &str,
        key: u64,
        record: SendRecord,
        max_keys: usize,
    ) -> Result<(), StoreError>;

    /// The sequence number of the room's last message (0: none yet). It never goes back,
    /// also when the log is trimmed or purged.
    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError>;
    /// Appends `entry` to the room's log and makes `entry.seq` the room's last seq (the
    /// caller passes seqs in increasing order), then drops the oldest entries beyond
    /// `max_entries`. One transaction.
    fn append_room_log(
        &mut self,
        app_key: &str,
        room_id: &str,
        entry: &RoomLogEntry,
        max_entries: usize,
    ) -> Result<(), StoreError>;
    /// The room's kept entries with `seq > after_seq`, in seq order.
    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError>;
    /// In every room, drops the oldest entries while they were created before `before_secs`
    /// (stopping at the first newer one, so each log stays a contiguous run of seqs).
    fn purge_room_logs(&mut self, before_secs: u64) -> Result<(), StoreError>;
}

#[cfg(test)]
pub(crate) mod conformance {
    //! The same checks run against every Store implementation.
    use super::*;

    pub fn check(store: &mut dyn Store) {
        assert_eq!(store.account("app", "alice").unwrap(), None);
        let account = Account {
            salt: vec![1, 2],
            password_hash: vec![3, 4],
        };
        store.put_account("app", "alice", &account).unwrap();
        assert_eq!(store.account("app", "alice").unwrap(), Some(account));
        assert_eq!(store.account("other", "alice").unwrap(), None);

        let mute = MuteRecord {
            app_key: "app".into(),
            room_id: "world".into(),
            user_id: String::new(),
            reason: 2,
            end_time: 100,
        };
        store.put_mute(&mute).unwrap();
        store
            .put_mute(&MuteRecord {
                end_time: 200,
                ..mute.clone()
            })
            .unwrap();
        assert_eq!(
            store.mutes().unwrap(),
            vec![MuteRecord {
                end_time: 200,
                ..mute.clone()
            }]
        );
        store.delete_mute("app", "world", "").unwrap();
        assert!(store.mutes().unwrap().is_empty());

        store.push_mail("app", "bob", 7, b"one").unwrap();
        store.push_mail("app", "bob", 9, b"two").unwrap();
        store.push_mail("app", "carol", 8, b"three").unwrap();
        let mail = store.mail("app", "bob").unwrap();
        assert_eq!(mail.len(), 2);
        assert_eq!(
            (mail[0].message_id, mail[0].message.as_slice()),
            (7, &b"one"[..])
        );
        assert_eq!(
            (mail[1].message_id, mail[1].message.as_slice()),
            (9, &b"two"[..])
        );
        assert_eq!(store.mail_count("app", "bob").unwrap(), 2);
        store.delete_mail("app", "bob", 8).unwrap();
        assert_eq!(store.mail("app", "bob").unwrap()[0].message, b"two");
        assert_eq!(store.mail_count("app", "carol").unwrap(), 1);

        let first = store.reserve_message_ids(10).unwrap();
        let second = store.reserve_message_ids(10).unwrap();
        assert!(first >= 1);
        assert_eq!(second, first + 10);

        check_sessions_and_send_keys(store);
        check_room_logs(store);
    }

    fn check_sessions_and_send_keys(store: &mut dyn Store) {
        assert_eq!(store.current_session("app", "alice").unwrap(), None);
        store.put_current_session("app", "alice", 5).unwrap();
        store.put_current_session("app", "alice", 6).unwrap();
        assert_eq!(store.current_session("app", "alice").unwrap(), Some(6));
        assert_eq!(store.current_session("other", "alice").unwrap(), None);

        let record = |message_id| SendRecord {
            message_id,
            send_time: 1000 + message_id,
        };
        assert_eq!(store.send_key("app", "alice", 1).unwrap(), None);
        for (key, id) in [(11, 1), (12, 2), (13, 3)] {
            store
                .put_send_key("app", "alice", key, record(id), 2)
                .unwrap();
        }
        assert_eq!(
            store.send_key("app", "alice", 11).unwrap(),
            None,
            "oldest forgotten beyond the bound"
        );
        assert_eq!(store.send_key("app", "alice", 12).unwrap(), Some(record(2)));
        assert_eq!(store.send_key("app", "alice", 13).unwrap(), Some(record(3)));
        assert_eq!(store.send_key("app", "bob", 13).unwrap(), None, "per user");
        store.put_send_key("app", "bob", 13, record(4), 2).unwrap();
        assert_eq!(store.send_key("app", "bob", 13).unwrap(), Some(record(4)));
        assert_eq!(store.send_key("app", "alice", 13).unwrap(), Some(record(3)));
        store.put_send_key("app", "carol", 1, record(5), 0).unwrap();
        assert_eq!(store.send_key("app", "carol", 1).unwrap(), None, "bound 0");
    }

    pub fn log_entry(seq: u64, create_time: u64) -> RoomLogEntry {
        RoomLogEntry {
            seq,
            create_time,
            message: format!("m{seq}").into_bytes(),
        }
    }

    fn seqs(entries: &[RoomLogEntry]) -> Vec<u64> {
        entries.iter().map(|e| e.seq).collect()
    }

    fn check_room_logs(store: &mut dyn Store) {
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 0);
        assert!(store.room_log_after("app", "world", 0).unwrap().is_empty());
        for seq in 1..=5 {
            store
                .append_room_log("app", "world", &log_entry(seq, 100 + seq), 3)
                .unwrap();
        }
        store
            .append_room_log("app", "guild", &log_entry(1, 500), 3)
            .unwrap();
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 5);
        assert_eq!(store.room_last_seq("other", "world").unwrap(), 0);
        let kept = store.room_log_after("app", "world", 0).unwrap();
        assert_eq!(seqs(&kept), [3, 4, 5], "bounded to 3, oldest dropped");
        assert_eq!(kept[0], log_entry(3, 103));
        assert_eq!(seqs(&store.room_log_after("app", "world", 4).unwrap()), [5]);
        assert!(store.room_log_after("app", "world", 5).unwrap().is_empty());
        // Age purge: entries created before 105 go, the seq stays.
        store.purge_room_logs(105).unwrap();
        assert_eq!(seqs(&store.room_log_after("app", "world", 0).unwrap()), [5]);
        assert_eq!(seqs(&store.room_log_after("app", "guild", 0).unwrap()), [1]);
        store.purge_room_logs(1000).unwrap();
        assert!(store.room_log_after("app", "world", 0).unwrap().is_empty());
        assert!(store.room_log_after("app", "guild", 0).unwrap().is_empty());
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 5);
        assert_eq!(store.room_last_seq("app", "guild").unwrap(), 1);
        // A purge keeps a log contiguous: an old entry after a newer one stays.
        store
            .append_room_log("app", "world", &log_entry(6, 2000), 3)
            .unwrap();
        store
            .append_room_log("app", "world", &log_entry(7, 10), 3)
            .unwrap();
        store.purge_room_logs(1500).unwrap();
        assert_eq!(
            seqs(&store.room_log_after("app", "world", 0).unwrap()),
            [6, 7]
        );
    }
}
