//! Durable server state: accounts, mutes, private mailboxes, the message-ID high-water mark,
//! each user's current session ID, recent idempotency keys of sends, per-room sequence
//! numbers with a bounded log of recent room messages, unfinished voice uploads and the
//! stored audio of voice messages.
//!
//! The `Store` trait is what survives a server restart. Two implementations: [`MemoryStore`]
//! (tests and the simulator, where a cloned handle outlives a crashed server and so plays the
//! disk) and [`SqliteStore`] (the real binary's default). Everything else the server knows
//! (which connection holds a session, room membership) is rebuilt from connections and is not
//! stored. Growth is bounded by the callers' limits: send keys per user, log entries per room
//! (by count on append and by age in the periodic purge), uploads per user (the caller drops
//! the oldest, see [`Store::upload_keys`]; and by age), audio blobs per app (by count on put
//! and by age); one sequence row per room ever spoken in and one session row per account.
//! The store is not where limits are decided: it checks only what keeps its own data
//! consistent (an append must start at the received count and stay within the total size).

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

/// How far one unfinished voice upload has come (its bytes are read with
/// [`Store::upload_data`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadInfo {
    /// Size of the whole encoded audio, fixed by the upload's first chunk.
    pub total_size: u64,
    /// Bytes held so far: always the first `received` bytes of the audio.
    pub received: u64,
    /// Unix seconds of the last chunk; the age purge compares it.
    pub touched_secs: u64,
}

/// Bytes to add to an upload: see [`Store::append_upload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadAppend<'a> {
    pub total_size: u64,
    /// Where `data` starts in the audio: the upload's received count.
    pub at: u64,
    pub data: &'a [u8],
    pub now_secs: u64,
}

impl UploadAppend<'_> {
    /// Checks the append against the upload's current state (None: a new upload) and
    /// returns the received count after it; a description of the problem otherwise.
    pub fn received_after(&self, current: Option<UploadInfo>) -> Result<u64, StoreError> {
        let (total_size, received) =
            current.map_or((self.total_size, 0), |u| (u.total_size, u.received));
        let len = u64::try_from(self.data.len()).unwrap_or(u64::MAX);
        let end = self.at.checked_add(len);
        if total_size != self.total_size
            || self.at != received
            || end.is_none_or(|end| end > total_size)
        {
            return Err(StoreError(format!(
                "upload append of {len} bytes at {} (total {}) to an upload at {received} of {total_size}",
                self.at, self.total_size
            )));
        }
        Ok(end.unwrap_or(total_size))
    }
}

/// A range of a stored audio blob and the blob's whole size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioRange {
    pub total_size: u64,
    /// The bytes from the requested offset, at most the requested length; empty when the
    /// offset is at or past the end.
    pub data: Vec<u8>,
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

    /// The state of the user's upload `upload_key`, if it exists.
    fn upload(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<UploadInfo>, StoreError>;
    /// The bytes received so far of the user's upload `upload_key`, if it exists.
    fn upload_data(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    /// Appends `append.data` to the upload (creating it with `append.total_size` if it does
    /// not exist) and stamps it with `append.now_secs`; returns the new received count. An
    /// error, changing nothing, unless `append.at` is the current received count (0 for a new
    /// upload), the total size is the upload's, and the data stays within it. One
    /// transaction.
    fn append_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
        append: &UploadAppend<'_>,
    ) -> Result<u64, StoreError>;
    fn delete_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<(), StoreError>;
    /// The keys of the user's uploads, oldest (first created) first.
    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError>;
    /// Drops every upload last touched before `before_secs`.
    fn purge_uploads(&mut self, before_secs: u64) -> Result<(), StoreError>;

    /// Stores (or replaces) the audio `audio_id` of the app, created at `create_time` (unix
    /// seconds), then drops the app's oldest blobs (lowest ID) beyond `max_blobs`. One
    /// transaction.
    fn put_audio(
        &mut self,
        app_key: &str,
        audio_id: u64,
        create_time: u64,
        data: &[u8],
        max_blobs: usize,
    ) -> Result<(), StoreError>;
    /// Up to `max_len` bytes of the audio from `offset`, and its size; None if unknown.
    fn audio_range(
        &self,
        app_key: &str,
        audio_id: u64,
        offset: u64,
        max_len: usize,
    ) -> Result<Option<AudioRange>, StoreError>;
    fn delete_audio(&mut self, app_key: &str, audio_id: u64) -> Result<(), StoreError>;
    /// Drops every blob created before `before_secs`.
    fn purge_audio(&mut self, before_secs: u64) -> Result<(), StoreError>;
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
        check_uploads(store);
        check_audio(store);
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

    fn append(total_size: u64, at: u64, data: &[u8], now_secs: u64) -> UploadAppend<'_> {
        UploadAppend {
            total_size,
            at,
            data,
            now_secs,
        }
    }

    fn check_uploads(store: &mut dyn Store) {
        assert_eq!(store.upload("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_data("app", "alice", 1).unwrap(), None);
        assert!(store.upload_keys("app", "alice").unwrap().is_empty());
        assert!(
            store
                .append_upload("app", "alice", 1, &append(10, 3, b"abc", 100))
                .is_err(),
            "a new upload starts at 0"
        );
        assert_eq!(
            store.upload("app", "alice", 1).unwrap(),
            None,
            "nothing kept"
        );
        assert_eq!(
            store
                .append_upload("app", "alice", 1, &append(10, 0, b"abcd", 100))
                .unwrap(),
            4
        );
        // Keys use all 64 bits.
        store
            .append_upload("app", "alice", u64::MAX, &append(5, 0, b"", 101))
            .unwrap();
        store
            .append_upload("app", "alice", 3, &append(5, 0, b"xy", 102))
            .unwrap();
        store
            .append_upload("app", "bob", 1, &append(99, 0, b"other", 100))
            .unwrap();
        for bad in [
            store.append_upload("app", "alice", 1, &append(10, 3, b"d", 103)),
            store.append_upload("app", "alice", 1, &append(10, 5, b"f", 103)),
            store.append_upload("app", "alice", 1, &append(11, 4, b"e", 103)),
            store.append_upload("app", "alice", 1, &append(10, 4, b"efghijk", 103)),
        ] {
            assert!(bad.is_err(), "wrong offset, total size or overflow");
        }
        assert_eq!(
            store
                .append_upload("app", "alice", 1, &append(10, 4, b"efghij", 104))
                .unwrap(),
            10
        );
        assert_eq!(
            store.upload("app", "alice", 1).unwrap(),
            Some(UploadInfo {
                total_size: 10,
                received: 10,
                touched_secs: 104
            })
        );
        assert_eq!(
            store.upload_data("app", "alice", 1).unwrap().as_deref(),
            Some(&b"abcdefghij"[..])
        );
        assert_eq!(
            store.upload("app", "alice", u64::MAX).unwrap(),
            Some(UploadInfo {
                total_size: 5,
                received: 0,
                touched_secs: 101
            })
        );
        assert_eq!(
            store.upload_data("app", "alice", u64::MAX).unwrap(),
            Some(Vec::new())
        );
        assert_eq!(
            store.upload_keys("app", "alice").unwrap(),
            [1, u64::MAX, 3],
            "oldest first, whatever the keys"
        );
        assert_eq!(store.upload_keys("app", "bob").unwrap(), [1]);
        assert_eq!(store.upload("other", "alice", 1).unwrap(), None, "per app");
        store.delete_upload("app", "alice", 1).unwrap();
        assert_eq!(store.upload("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_data("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [u64::MAX, 3]);
        // A recreated key is the newest.
        store
            .append_upload("app", "alice", 1, &append(2, 0, b"z", 105))
            .unwrap();
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [u64::MAX, 3, 1]);
        // Age purge by last touch: 101 and 102 go (and bob's 100), 105 stays.
        store.purge_uploads(103).unwrap();
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [1]);
        assert!(store.upload_keys("app", "bob").unwrap().is_empty());
        assert_eq!(store.upload_data("app", "alice", 3).unwrap(), None);
        store.purge_uploads(1000).unwrap();
        assert!(store.upload_keys("app", "alice").unwrap().is_empty());
    }

    fn check_audio(store: &mut dyn Store) {
        assert_eq!(store.audio_range("app", 5, 0, 10).unwrap(), None);
        let blob: Vec<u8> = (0..=255).collect();
        store.put_audio("app", 5, 100, &blob, 3).unwrap();
        let range = |store: &dyn Store, id, offset, len| store.audio_range("app", id, offset, len);
        assert_eq!(
            range(store, 5, 0, 1000).unwrap(),
            Some(AudioRange {
                total_size: 256,
                data: blob.clone()
            })
        );
        assert_eq!(
            range(store, 5, 250, 4).unwrap().unwrap().data,
            [250, 251, 252, 253]
        );
        assert_eq!(range(store, 5, 254, 4).unwrap().unwrap().data, [254, 255]);
        for offset in [256, 300, u64::MAX] {
            assert_eq!(
                range(store, 5, offset, 4).unwrap(),
                Some(AudioRange {
                    total_size: 256,
                    data: Vec::new()
                }),
                "offset {offset}"
            );
        }
        assert_eq!(range(store, 5, 0, 0).unwrap().unwrap().data, b"");
        assert_eq!(
            store.audio_range("other", 5, 0, 10).unwrap(),
            None,
            "per app"
        );
        // Per-app cap: the lowest IDs go first.
        for id in [6, 7, 8] {
            store.put_audio("app", id, 100 + id, b"x", 3).unwrap();
        }
        store.put_audio("other", 1, 50, b"y", 3).unwrap();
        assert_eq!(range(store, 5, 0, 1).unwrap(), None, "beyond the cap");
        for id in [6, 7, 8] {
            assert_eq!(range(store, id, 0, 9).unwrap().unwrap().data, b"x");
        }
        assert!(store.audio_range("other", 1, 0, 9).unwrap().is_some());
        store.delete_audio("app", 7).unwrap();
        assert_eq!(range(store, 7, 0, 1).unwrap(), None);
        // Age purge by create time: 106 goes, 108 stays, and the other app's 50 goes.
        store.purge_audio(107).unwrap();
        assert_eq!(range(store, 6, 0, 1).unwrap(), None);
        assert!(range(store, 8, 0, 1).unwrap().is_some());
        assert_eq!(store.audio_range("other", 1, 0, 9).unwrap(), None);
        store.purge_audio(1000).unwrap();
        assert_eq!(range(store, 8, 0, 1).unwrap(), None);
    }
}
