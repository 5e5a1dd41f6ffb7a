//! Durable server state: accounts, mutes, private mailboxes, the message-ID high-water mark,
//! each user's current session ID, recent idempotency keys of sends, per-room sequence
//! numbers with a bounded log of recent room messages, unfinished voice uploads and the
//! stored audio of voice messages.
//!
//! The `Store` trait is what survives a server restart: reads, and one way to change
//! anything, [`Store::commit`] of a [`WriteBatch`] (everything one input of the core writes,
//! applied all or nothing; see `crate::core` for the commit rule). Two implementations:
//! [`MemoryStore`] (tests and the simulator, where a cloned handle outlives a crashed server
//! and so plays the disk) and [`SqliteStore`] (the real binary's default, one transaction
//! per batch, synced as its [`Durability`] says). Everything else the server knows
//! (which connection holds a session, room membership) is rebuilt from connections and is not
//! stored. Growth is bounded by the callers' limits: send keys per user, log entries per room
//! (by count on append and by age in the periodic purge), uploads per user (the caller drops
//! the oldest, see [`Store::upload_keys`]; and by age), audio blobs per app (by count on put
//! and by age); one sequence row per room ever spoken in and one session row per account.
//! The store is not where limits are decided: it checks only what keeps its own data
//! consistent (an append must start at the received count and stay within the total size).

pub mod memory;
pub mod sqlite;

/// A registered user: the salt and the salted hash of the password of the first login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// A random salt, drawn at registration.
    pub salt: Vec<u8>,
    /// PBKDF2 of the password with the salt.
    pub password_hash: Vec<u8>,
}

/// A mute set by an operator. `user_id` empty means the whole room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuteRecord {
    /// The app.
    pub app_key: String,
    /// The room.
    pub room_id: String,
    /// The muted user; empty for the whole room.
    pub user_id: String,
    /// YIM's mute reason (0-7).
    pub reason: u32,
    /// Unix seconds; the mute is over from this second on.
    pub end_time: u64,
}

/// A private message kept until its receiver acknowledges it, as encoded `Message` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// The message's ID; IDs grow in the order messages arrive.
    pub message_id: u64,
    /// The encoded `Message`.
    pub message: Vec<u8>,
}

/// A successful send remembered under its idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendRecord {
    /// The message ID the send got.
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

/// Bytes to add to an upload: see [`Write::AppendUpload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadAppend {
    /// Size of the whole encoded audio (the upload's first chunk fixes it).
    pub total_size: u64,
    /// Where `data` starts in the audio: the upload's received count.
    pub at: u64,
    /// The bytes.
    pub data: Vec<u8>,
    /// Unix seconds now: the upload's last touch.
    pub now_secs: u64,
}

impl UploadAppend {
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
            return Err(StoreError::Failed(format!(
                "upload append of {len} bytes at {} (total {}) to an upload at {received} of {total_size}",
                self.at, self.total_size
            )));
        }
        Ok(end.unwrap_or(total_size))
    }
}

/// A range of a stored audio blob, the blob's whole size, and who may download it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioRange {
    /// Size of the whole blob.
    pub total_size: u64,
    /// The voice message's sender.
    pub sender_id: String,
    /// The token carried in the voice message's body (0 for audio stored before tokens).
    pub download_token: u64,
    /// The bytes from the requested offset, at most the requested length; empty when the
    /// offset is at or past the end.
    pub data: Vec<u8>,
}

/// A store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// It changed nothing: a read failed, or a commit was rolled back (disk full, an I/O
    /// error before the commit point, a write that contradicts the stored state). The
    /// request gets ServerError (8) and the server goes on.
    #[error("store: {0}")]
    Failed(String),
    /// A commit failed at its commit point, so it may or may not be durable. The server
    /// stops at once without sending anything of that input (a restart reads whichever
    /// state the disk holds; the client's resend with its idempotency key settles it).
    #[error("store: a commit's outcome is unknown: {0}")]
    CommitUncertain(String),
}

/// What an acknowledgement survives (the `[store] durability` setting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Every commit is synced to disk before its outputs leave: whatever is acknowledged
    /// survives a process crash and a power loss. SQLite `synchronous=FULL` in WAL mode.
    #[default]
    Full,
    /// Commits of private messages, acknowledgements of mail, upload chunks and purges are
    /// not synced one by one (SQLite `synchronous=NORMAL`): they survive a process crash,
    /// but a power loss (or an OS crash) can lose the last of them. Commits that must never
    /// go back ([`WriteBatch::needs_sync`]) are synced all the same.
    Normal,
}

/// One write to the store; see [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// Registers a user (or replaces its account).
    PutAccount {
        /// The app.
        app_key: String,
        /// The user.
        user_id: String,
        /// Salt and password hash.
        account: Account,
    },
    /// Sets (or replaces) the mute for (app, room, user).
    PutMute(MuteRecord),
    /// Lifts the mute for (app, room, user).
    DeleteMute {
        /// The app.
        app_key: String,
        /// The room.
        room_id: String,
        /// The user; empty for the room's own mute.
        user_id: String,
    },
    /// Adds an encoded message to a user's mailbox.
    PushMail {
        /// The app.
        app_key: String,
        /// The mailbox's owner, the receiver.
        user_id: String,
        /// Who sent it (the mailbox share of `mail_count_from`).
        sender_id: String,
        /// The message's ID.
        message_id: u64,
        /// The encoded `Message`.
        message: Vec<u8>,
    },
    /// Removes the mails with `message_id <= up_to_message_id` (they were acknowledged).
    DeleteMail {
        /// The app.
        app_key: String,
        /// The mailbox's owner.
        user_id: String,
        /// The last ID acknowledged.
        up_to_message_id: u64,
    },
    /// Message IDs below `next` have been handed out and are never handed out again (the
    /// mark never goes down: a lower value changes nothing).
    MessageIdMark {
        /// The first ID not yet handed out.
        next: u64,
    },
    /// The ID of the user's current session (the last successful login).
    PutSession {
        /// The app.
        app_key: String,
        /// The user.
        user_id: String,
        /// The session's ID.
        session_id: u64,
    },
    /// Remembers a successful send under its idempotency key, then forgets the user's
    /// oldest keys (lowest message ID, which is the order sends were made) beyond
    /// `max_keys`.
    PutSendKey {
        /// The app.
        app_key: String,
        /// The sender.
        user_id: String,
        /// The idempotency key.
        key: u64,
        /// What the send got.
        record: SendRecord,
        /// Keys kept per user at most.
        max_keys: usize,
    },
    /// Appends `entry` to the room's log and makes `entry.seq` the room's last seq (the
    /// caller passes seqs in increasing order), then drops the oldest entries beyond
    /// `max_entries`.
    AppendRoomLog {
        /// The app.
        app_key: String,
        /// The room.
        room_id: String,
        /// The message and its seq.
        entry: RoomLogEntry,
        /// Entries kept per room at most.
        max_entries: usize,
    },
    /// In every room, drops the oldest entries while they were created before
    /// `before_secs` (stopping at the first newer one, so each log stays a contiguous run of
    /// seqs).
    PurgeRoomLogs {
        /// Unix seconds.
        before_secs: u64,
    },
    /// Appends to the upload (creating it with `append.total_size` if it does not exist)
    /// and stamps it with `append.now_secs`. The commit fails, changing nothing, unless
    /// `append.at` is the current received count (0 for a new upload), the total size is
    /// the upload's, and the data stays within it.
    AppendUpload {
        /// The app.
        app_key: String,
        /// The uploader.
        user_id: String,
        /// The upload's key, chosen by the client.
        upload_key: u64,
        /// The bytes and where they go.
        append: UploadAppend,
    },
    /// Drops an upload (finished or abandoned) and its chunks.
    DeleteUpload {
        /// The app.
        app_key: String,
        /// The uploader.
        user_id: String,
        /// The upload's key.
        upload_key: u64,
    },
    /// Drops every upload last touched before `before_secs`.
    PurgeUploads {
        /// Unix seconds.
        before_secs: u64,
    },
    /// Stores (or replaces) the audio `audio_id` of the app, created at `create_time` (unix
    /// seconds) by `sender_id` with the message's `download_token`, then drops the app's
    /// oldest blobs (lowest ID) beyond `max_blobs`.
    PutAudio {
        /// The app.
        app_key: String,
        /// The audio's ID: the voice message's ID.
        audio_id: u64,
        /// Unix seconds.
        create_time: u64,
        /// The voice message's sender.
        sender_id: String,
        /// The token a download must show.
        download_token: u64,
        /// The encoded audio.
        data: Vec<u8>,
        /// Blobs kept per app at most.
        max_blobs: usize,
    },
    /// Drops one blob.
    DeleteAudio {
        /// The app.
        app_key: String,
        /// The audio's ID.
        audio_id: u64,
    },
    /// Drops every blob created before `before_secs`.
    PurgeAudio {
        /// Unix seconds.
        before_secs: u64,
    },
}

impl Write {
    /// True for the periodic purges, which only forget what has expired.
    pub fn is_purge(&self) -> bool {
        matches!(
            self,
            Write::PurgeRoomLogs { .. } | Write::PurgeUploads { .. } | Write::PurgeAudio { .. }
        )
    }
}

/// Everything one input of the server core writes, committed as one atomic unit by
/// [`Store::commit`]: after a crash the store holds all of it or none of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    writes: Vec<Write>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }

    /// Adds a write at the end.
    pub fn push(&mut self, write: Write) {
        self.writes.push(write);
    }

    /// True if it holds no write.
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// How many writes it holds.
    pub fn len(&self) -> usize {
        self.writes.len()
    }

    /// Its writes, in order.
    pub fn writes(&self) -> &[Write] {
        &self.writes
    }

    /// Takes the writes out, leaving the batch empty.
    pub fn take(&mut self) -> WriteBatch {
        std::mem::take(self)
    }

    /// True if the batch must be synced even under [`Durability::Normal`]: it registers an
    /// account, records a session, sets or lifts a mute, reserves message IDs, or logs a
    /// room message. Losing any of those to a power loss would break a promise the server
    /// keeps under both settings: a password, a session being resumed, a mute, an ID or a
    /// room sequence number handed out twice.
    pub fn needs_sync(&self) -> bool {
        self.writes.iter().any(|write| {
            matches!(
                write,
                Write::PutAccount { .. }
                    | Write::PutMute(_)
                    | Write::DeleteMute { .. }
                    | Write::MessageIdMark { .. }
                    | Write::PutSession { .. }
                    | Write::AppendRoomLog { .. }
            )
        })
    }

    /// True if every write is a purge (the sweep's housekeeping).
    pub fn is_purge_only(&self) -> bool {
        self.writes.iter().all(Write::is_purge)
    }

    /// True if the batch stores a chunk of a voice upload (whose voice message is not sent
    /// yet: the send's batch deletes the upload instead).
    pub fn stores_upload_chunk(&self) -> bool {
        self.writes.iter().any(
            |write| matches!(write, Write::AppendUpload { append, .. } if !append.data.is_empty()),
        )
    }

    /// The IDs of the private messages the batch stores in mailboxes.
    pub fn mail_message_ids(&self) -> Vec<u64> {
        self.writes
            .iter()
            .filter_map(|write| match write {
                Write::PushMail { message_id, .. } => Some(*message_id),
                _ => None,
            })
            .collect()
    }
}

/// What the server keeps across restarts. Reads see committed state only (no input reads
/// what it has staged); every change goes through [`Store::commit`]. Calls are synchronous
/// and made from the server's single core task.
pub trait Store: Send + 'static {
    /// The account of a registered user, if any.
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError>;
    /// Every mute ever set and not lifted, expired or not.
    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError>;
    /// The user's mailbox in message ID order.
    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError>;
    /// How many mails wait in a user's mailbox.
    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError>;
    /// How many of the user's mails `sender_id` sent.
    fn mail_count_from(
        &self,
        app_key: &str,
        user_id: &str,
        sender_id: &str,
    ) -> Result<usize, StoreError>;
    /// The first message ID never handed out (at least 1): see [`Write::MessageIdMark`].
    fn message_id_mark(&self) -> Result<u64, StoreError>;
    /// The ID of the user's current session (the last successful login), if any.
    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError>;
    /// The successful send the user made with idempotency key `key`, if still remembered.
    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        key: u64,
    ) -> Result<Option<SendRecord>, StoreError>;
    /// The sequence number of the room's last message (0: none yet). It never goes back,
    /// also when the log is trimmed or purged.
    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError>;
    /// The room's kept entries with `seq > after_seq`, in seq order.
    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError>;
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
    /// The keys of the user's uploads, oldest (first created) first.
    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError>;
    /// Up to `max_len` bytes of the audio from `offset`, and its size; None if unknown.
    fn audio_range(
        &self,
        app_key: &str,
        audio_id: u64,
        offset: u64,
        max_len: usize,
    ) -> Result<Option<AudioRange>, StoreError>;

    /// Applies every write of `batch`, in order, as one atomic unit: all of it, or (with
    /// [`StoreError::Failed`]) none of it. Once it returns the batch survives a crash of the
    /// process; it is as durable as the store's [`Durability`] promises (a power loss) once
    /// [`Store::sync`] has returned after it, which a store may do at once. An empty batch
    /// changes nothing.
    fn commit(&mut self, batch: &WriteBatch) -> Result<(), StoreError>;

    /// Makes every commit so far as durable as the store's [`Durability`] promises (group
    /// commit: one sync for the commits of several inputs). A power loss before it returns
    /// loses a suffix of those commits, never one without the commits before it. A failure
    /// leaves that unknown: [`StoreError::CommitUncertain`]. Stores that sync in `commit`
    /// have nothing to do.
    fn sync(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod conformance {
    //! The same checks run against every Store implementation.
    use super::*;

    /// Commits one write.
    pub fn put(store: &mut dyn Store, write: Write) {
        store.commit(&batch(vec![write])).unwrap();
    }

    pub fn batch(writes: Vec<Write>) -> WriteBatch {
        let mut batch = WriteBatch::new();
        for write in writes {
            batch.push(write);
        }
        batch
    }

    pub fn check(store: &mut dyn Store) {
        assert_eq!(store.account("app", "alice").unwrap(), None);
        let account = Account {
            salt: vec![1, 2],
            password_hash: vec![3, 4],
        };
        put(
            store,
            Write::PutAccount {
                app_key: "app".into(),
                user_id: "alice".into(),
                account: account.clone(),
            },
        );
        assert_eq!(store.account("app", "alice").unwrap(), Some(account));
        assert_eq!(store.account("other", "alice").unwrap(), None);

        let mute = MuteRecord {
            app_key: "app".into(),
            room_id: "world".into(),
            user_id: String::new(),
            reason: 2,
            end_time: 100,
        };
        put(store, Write::PutMute(mute.clone()));
        put(
            store,
            Write::PutMute(MuteRecord {
                end_time: 200,
                ..mute.clone()
            }),
        );
        assert_eq!(
            store.mutes().unwrap(),
            vec![MuteRecord {
                end_time: 200,
                ..mute.clone()
            }]
        );
        put(
            store,
            Write::DeleteMute {
                app_key: "app".into(),
                room_id: "world".into(),
                user_id: String::new(),
            },
        );
        assert!(store.mutes().unwrap().is_empty());

        put(store, mail("bob", 7, b"one"));
        put(store, mail("bob", 9, b"two"));
        put(store, mail("carol", 8, b"three"));
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
        put(
            store,
            Write::DeleteMail {
                app_key: "app".into(),
                user_id: "bob".into(),
                up_to_message_id: 8,
            },
        );
        assert_eq!(store.mail("app", "bob").unwrap()[0].message, b"two");
        assert_eq!(store.mail_count("app", "carol").unwrap(), 1);
        put(store, mail_from("dave", "carol", 10, b"four"));
        put(store, mail_from("dave", "carol", 11, b"five"));
        assert_eq!(store.mail_count_from("app", "carol", "dave").unwrap(), 2);
        assert_eq!(store.mail_count_from("app", "carol", "sender").unwrap(), 1);
        assert_eq!(store.mail_count_from("app", "carol", "erin").unwrap(), 0);
        assert_eq!(store.mail_count_from("app", "bob", "dave").unwrap(), 0);
        put(
            store,
            Write::DeleteMail {
                app_key: "app".into(),
                user_id: "carol".into(),
                up_to_message_id: 10,
            },
        );
        assert_eq!(
            store.mail_count_from("app", "carol", "dave").unwrap(),
            1,
            "an acknowledged mail no longer counts"
        );

        assert_eq!(store.message_id_mark().unwrap(), 1, "IDs start at 1");
        put(store, Write::MessageIdMark { next: 20 });
        put(store, Write::MessageIdMark { next: 10 });
        assert_eq!(
            store.message_id_mark().unwrap(),
            20,
            "the mark never goes down"
        );

        check_atomic_batches(store);

        check_sessions_and_send_keys(store);
        check_room_logs(store);
        check_uploads(store);
        check_audio(store);
    }

    pub fn mail(user_id: &str, message_id: u64, message: &[u8]) -> Write {
        mail_from("sender", user_id, message_id, message)
    }

    pub fn mail_from(sender_id: &str, user_id: &str, message_id: u64, message: &[u8]) -> Write {
        Write::PushMail {
            app_key: "app".into(),
            user_id: user_id.into(),
            sender_id: sender_id.into(),
            message_id,
            message: message.to_vec(),
        }
    }

    pub fn session(user_id: &str, session_id: u64) -> Write {
        Write::PutSession {
            app_key: "app".into(),
            user_id: user_id.into(),
            session_id,
        }
    }

    pub fn send_key(user_id: &str, key: u64, record: SendRecord, max_keys: usize) -> Write {
        Write::PutSendKey {
            app_key: "app".into(),
            user_id: user_id.into(),
            key,
            record,
            max_keys,
        }
    }

    pub fn room_log(room_id: &str, entry: RoomLogEntry, max_entries: usize) -> Write {
        Write::AppendRoomLog {
            app_key: "app".into(),
            room_id: room_id.into(),
            entry,
            max_entries,
        }
    }

    pub fn audio(
        app_key: &str,
        audio_id: u64,
        create_time: u64,
        data: &[u8],
        max_blobs: usize,
    ) -> Write {
        Write::PutAudio {
            app_key: app_key.into(),
            audio_id,
            create_time,
            sender_id: "sender".into(),
            download_token: token_of(audio_id),
            data: data.to_vec(),
            max_blobs,
        }
    }

    /// The download token the conformance blobs are stored with.
    pub fn token_of(audio_id: u64) -> u64 {
        audio_id.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1
    }

    /// A batch whose last write cannot be applied changes nothing; one that can is applied
    /// whole, in order.
    fn check_atomic_batches(store: &mut dyn Store) {
        let record = SendRecord {
            message_id: 30,
            send_time: 1,
        };
        let bad_append = Write::AppendUpload {
            app_key: "app".into(),
            user_id: "dave".into(),
            upload_key: 1,
            append: append(10, 5, b"late", 1),
        };
        let failing = batch(vec![
            mail("dave", 30, b"m"),
            send_key("dave", 77, record, 5),
            Write::MessageIdMark { next: 1000 },
            bad_append,
        ]);
        assert!(matches!(store.commit(&failing), Err(StoreError::Failed(_))));
        assert_eq!(
            store.mail_count("app", "dave").unwrap(),
            0,
            "nothing half-written"
        );
        assert_eq!(store.send_key("app", "dave", 77).unwrap(), None);
        assert_eq!(store.message_id_mark().unwrap(), 20);
        let whole = batch(vec![
            mail("dave", 30, b"m"),
            send_key("dave", 77, record, 5),
            Write::DeleteMail {
                app_key: "app".into(),
                user_id: "dave".into(),
                up_to_message_id: 30,
            },
            mail("dave", 31, b"n"),
        ]);
        store.commit(&whole).unwrap();
        let kept = store.mail("app", "dave").unwrap();
        assert_eq!(kept.len(), 1, "applied in order");
        assert_eq!(kept[0].message_id, 31);
        assert_eq!(store.send_key("app", "dave", 77).unwrap(), Some(record));
        store.commit(&WriteBatch::new()).unwrap();
        // Two appends to one upload in one batch: the second sees the first.
        let appends = batch(vec![
            Write::AppendUpload {
                app_key: "app".into(),
                user_id: "dave".into(),
                upload_key: 2,
                append: append(4, 0, b"ab", 1),
            },
            Write::AppendUpload {
                app_key: "app".into(),
                user_id: "dave".into(),
                upload_key: 2,
                append: append(4, 2, b"cd", 2),
            },
        ]);
        store.commit(&appends).unwrap();
        assert_eq!(
            store.upload_data("app", "dave", 2).unwrap().as_deref(),
            Some(&b"abcd"[..])
        );
        put(
            store,
            Write::DeleteUpload {
                app_key: "app".into(),
                user_id: "dave".into(),
                upload_key: 2,
            },
        );
    }

    fn check_sessions_and_send_keys(store: &mut dyn Store) {
        assert_eq!(store.current_session("app", "alice").unwrap(), None);
        put(store, session("alice", 5));
        put(store, session("alice", 6));
        assert_eq!(store.current_session("app", "alice").unwrap(), Some(6));
        assert_eq!(store.current_session("other", "alice").unwrap(), None);

        let record = |message_id| SendRecord {
            message_id,
            send_time: 1000 + message_id,
        };
        assert_eq!(store.send_key("app", "alice", 1).unwrap(), None);
        for (key, id) in [(11, 1), (12, 2), (13, 3)] {
            put(store, send_key("alice", key, record(id), 2));
        }
        assert_eq!(
            store.send_key("app", "alice", 11).unwrap(),
            None,
            "oldest forgotten beyond the bound"
        );
        assert_eq!(store.send_key("app", "alice", 12).unwrap(), Some(record(2)));
        assert_eq!(store.send_key("app", "alice", 13).unwrap(), Some(record(3)));
        assert_eq!(store.send_key("app", "bob", 13).unwrap(), None, "per user");
        put(store, send_key("bob", 13, record(4), 2));
        assert_eq!(store.send_key("app", "bob", 13).unwrap(), Some(record(4)));
        assert_eq!(store.send_key("app", "alice", 13).unwrap(), Some(record(3)));
        put(store, send_key("carol", 1, record(5), 0));
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
            put(store, room_log("world", log_entry(seq, 100 + seq), 3));
        }
        put(store, room_log("guild", log_entry(1, 500), 3));
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 5);
        assert_eq!(store.room_last_seq("other", "world").unwrap(), 0);
        let kept = store.room_log_after("app", "world", 0).unwrap();
        assert_eq!(seqs(&kept), [3, 4, 5], "bounded to 3, oldest dropped");
        assert_eq!(kept[0], log_entry(3, 103));
        assert_eq!(seqs(&store.room_log_after("app", "world", 4).unwrap()), [5]);
        assert!(store.room_log_after("app", "world", 5).unwrap().is_empty());
        // Age purge: entries created before 105 go, the seq stays.
        put(store, Write::PurgeRoomLogs { before_secs: 105 });
        assert_eq!(seqs(&store.room_log_after("app", "world", 0).unwrap()), [5]);
        assert_eq!(seqs(&store.room_log_after("app", "guild", 0).unwrap()), [1]);
        put(store, Write::PurgeRoomLogs { before_secs: 1000 });
        assert!(store.room_log_after("app", "world", 0).unwrap().is_empty());
        assert!(store.room_log_after("app", "guild", 0).unwrap().is_empty());
        assert_eq!(store.room_last_seq("app", "world").unwrap(), 5);
        assert_eq!(store.room_last_seq("app", "guild").unwrap(), 1);
        // A purge keeps a log contiguous: an old entry after a newer one stays.
        put(store, room_log("world", log_entry(6, 2000), 3));
        put(store, room_log("world", log_entry(7, 10), 3));
        put(store, Write::PurgeRoomLogs { before_secs: 1500 });
        assert_eq!(
            seqs(&store.room_log_after("app", "world", 0).unwrap()),
            [6, 7]
        );
    }

    pub fn append(total_size: u64, at: u64, data: &[u8], now_secs: u64) -> UploadAppend {
        UploadAppend {
            total_size,
            at,
            data: data.to_vec(),
            now_secs,
        }
    }

    /// Commits one upload append; returns the received count after it.
    pub fn upload(
        store: &mut dyn Store,
        user_id: &str,
        upload_key: u64,
        append: UploadAppend,
    ) -> Result<u64, StoreError> {
        let write = Write::AppendUpload {
            app_key: "app".into(),
            user_id: user_id.into(),
            upload_key,
            append,
        };
        store.commit(&batch(vec![write]))?;
        Ok(store
            .upload("app", user_id, upload_key)?
            .map_or(0, |u| u.received))
    }

    fn check_uploads(store: &mut dyn Store) {
        assert_eq!(store.upload("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_data("app", "alice", 1).unwrap(), None);
        assert!(store.upload_keys("app", "alice").unwrap().is_empty());
        assert!(
            upload(store, "alice", 1, append(10, 3, b"abc", 100)).is_err(),
            "a new upload starts at 0"
        );
        assert_eq!(
            store.upload("app", "alice", 1).unwrap(),
            None,
            "nothing kept"
        );
        assert_eq!(
            upload(store, "alice", 1, append(10, 0, b"abcd", 100)).unwrap(),
            4
        );
        // Keys use all 64 bits.
        upload(store, "alice", u64::MAX, append(5, 0, b"", 101)).unwrap();
        upload(store, "alice", 3, append(5, 0, b"xy", 102)).unwrap();
        upload(store, "bob", 1, append(99, 0, b"other", 100)).unwrap();
        for bad in [
            upload(store, "alice", 1, append(10, 3, b"d", 103)),
            upload(store, "alice", 1, append(10, 5, b"f", 103)),
            upload(store, "alice", 1, append(11, 4, b"e", 103)),
            upload(store, "alice", 1, append(10, 4, b"efghijk", 103)),
        ] {
            assert!(bad.is_err(), "wrong offset, total size or overflow");
        }
        assert_eq!(
            upload(store, "alice", 1, append(10, 4, b"efghij", 104)).unwrap(),
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
        put(
            store,
            Write::DeleteUpload {
                app_key: "app".into(),
                user_id: "alice".into(),
                upload_key: 1,
            },
        );
        assert_eq!(store.upload("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_data("app", "alice", 1).unwrap(), None);
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [u64::MAX, 3]);
        // A recreated key is the newest.
        upload(store, "alice", 1, append(2, 0, b"z", 105)).unwrap();
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [u64::MAX, 3, 1]);
        // Age purge by last touch: 101 and 102 go (and bob's 100), 105 stays.
        put(store, Write::PurgeUploads { before_secs: 103 });
        assert_eq!(store.upload_keys("app", "alice").unwrap(), [1]);
        assert!(store.upload_keys("app", "bob").unwrap().is_empty());
        assert_eq!(store.upload_data("app", "alice", 3).unwrap(), None);
        put(store, Write::PurgeUploads { before_secs: 1000 });
        assert!(store.upload_keys("app", "alice").unwrap().is_empty());
    }

    fn check_audio(store: &mut dyn Store) {
        assert_eq!(store.audio_range("app", 5, 0, 10).unwrap(), None);
        let blob: Vec<u8> = (0..=255).collect();
        put(store, audio("app", 5, 100, &blob, 3));
        let range = |store: &dyn Store, id, offset, len| store.audio_range("app", id, offset, len);
        assert_eq!(
            range(store, 5, 0, 1000).unwrap(),
            Some(AudioRange {
                total_size: 256,
                sender_id: "sender".into(),
                download_token: token_of(5),
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
                    sender_id: "sender".into(),
                    download_token: token_of(5),
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
            put(store, audio("app", id, 100 + id, b"x", 3));
        }
        put(store, audio("other", 1, 50, b"y", 3));
        assert_eq!(range(store, 5, 0, 1).unwrap(), None, "beyond the cap");
        for id in [6, 7, 8] {
            assert_eq!(range(store, id, 0, 9).unwrap().unwrap().data, b"x");
        }
        assert!(store.audio_range("other", 1, 0, 9).unwrap().is_some());
        put(
            store,
            Write::DeleteAudio {
                app_key: "app".into(),
                audio_id: 7,
            },
        );
        assert_eq!(range(store, 7, 0, 1).unwrap(), None);
        // Age purge by create time: 106 goes, 108 stays, and the other app's 50 goes.
        put(store, Write::PurgeAudio { before_secs: 107 });
        assert_eq!(range(store, 6, 0, 1).unwrap(), None);
        assert!(range(store, 8, 0, 1).unwrap().is_some());
        assert_eq!(store.audio_range("other", 1, 0, 9).unwrap(), None);
        put(store, Write::PurgeAudio { before_secs: 1000 });
        assert_eq!(range(store, 8, 0, 1).unwrap(), None);
    }
}
