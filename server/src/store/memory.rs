//! An in-memory [`Store`]. Clones share the same data, so a handle kept outside a crashed
//! server (by a test or the simulator) is the "disk" a restarted server reopens. A commit is
//! checked whole before anything is applied, so it is all or nothing. It never fails by
//! itself: the simulator's disk wraps it to inject failures and crashes.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    Account, AudioRange, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError, StoredMail,
    UploadAppend, UploadInfo, Write, WriteBatch,
};

type AppUser = (String, String);

#[derive(Debug, Clone, Default)]
struct Data {
    accounts: BTreeMap<AppUser, Account>,
    mutes: BTreeMap<(String, String, String), MuteRecord>,
    /// Message ID -> mail, per user.
    mailboxes: BTreeMap<AppUser, BTreeMap<u64, Mail>>,
    next_message_id: u64,
    sessions: BTreeMap<AppUser, u64>,
    /// Idempotency key -> send, per user.
    send_keys: BTreeMap<AppUser, BTreeMap<u64, SendRecord>>,
    /// (app, room) -> last seq.
    room_seqs: BTreeMap<AppUser, u64>,
    /// Seq -> entry, per (app, room).
    room_logs: BTreeMap<AppUser, BTreeMap<u64, RoomLogEntry>>,
    /// Upload key -> upload, per user.
    uploads: BTreeMap<AppUser, BTreeMap<u64, Upload>>,
    /// Orders uploads by creation.
    next_upload_serial: u64,
    /// Audio ID -> blob, per app.
    audio: BTreeMap<String, BTreeMap<u64, Audio>>,
}

#[derive(Debug, Clone)]
struct Upload {
    info: UploadInfo,
    /// When it was created, relative to the other uploads.
    serial: u64,
    data: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Mail {
    sender_id: String,
    message: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Audio {
    create_time: u64,
    sender_id: String,
    download_token: u64,
    data: Vec<u8>,
}

/// See the module doc.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A copy that shares nothing with this one (the simulator's synced disk image).
    pub fn deep_copy(&self) -> MemoryStore {
        MemoryStore {
            data: Arc::new(Mutex::new(self.data().clone())),
        }
    }

    /// Makes this store (and every clone of it) hold what `other` holds.
    pub fn restore_from(&self, other: &MemoryStore) {
        let copy = other.data().clone();
        *self.data() = copy;
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A commit is checked before anything is applied and applying cannot fail, so a
        // panic while holding the lock cannot leave a batch half-applied: recover from
        // poisoning.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn key(app_key: &str, user_id: &str) -> AppUser {
    (app_key.to_owned(), user_id.to_owned())
}

impl Store for MemoryStore {
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.data().accounts.get(&key(app_key, user_id)).cloned())
    }

    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError> {
        Ok(self.data().mutes.values().cloned().collect())
    }

    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError> {
        let data = self.data();
        let Some(mailbox) = data.mailboxes.get(&key(app_key, user_id)) else {
            return Ok(Vec::new());
        };
        Ok(mailbox
            .iter()
            .map(|(&message_id, mail)| StoredMail {
                message_id,
                message: mail.message.clone(),
            })
            .collect())
    }

    fn mail_count_from(
        &self,
        app_key: &str,
        user_id: &str,
        sender_id: &str,
    ) -> Result<usize, StoreError> {
        Ok(self
            .data()
            .mailboxes
            .get(&key(app_key, user_id))
            .map_or(0, |mailbox| {
                mailbox
                    .values()
                    .filter(|mail| mail.sender_id == sender_id)
                    .count()
            }))
    }

    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError> {
        Ok(self
            .data()
            .mailboxes
            .get(&key(app_key, user_id))
            .map_or(0, BTreeMap::len))
    }

    fn message_id_mark(&self) -> Result<u64, StoreError> {
        Ok(self.data().next_message_id.max(1))
    }

    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.data().sessions.get(&key(app_key, user_id)).copied())
    }

    fn send_key(
        &self,
        app_key: &str,
        user_id: &str,
        send_key: u64,
    ) -> Result<Option<SendRecord>, StoreError> {
        Ok(self
            .data()
            .send_keys
            .get(&key(app_key, user_id))
            .and_then(|keys| keys.get(&send_key))
            .copied())
    }

    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .data()
            .room_seqs
            .get(&key(app_key, room_id))
            .copied()
            .unwrap_or(0))
    }

    fn room_log_after(
        &self,
        app_key: &str,
        room_id: &str,
        after_seq: u64,
    ) -> Result<Vec<RoomLogEntry>, StoreError> {
        let data = self.data();
        let Some(log) = data.room_logs.get(&key(app_key, room_id)) else {
            return Ok(Vec::new());
        };
        Ok(log
            .range((Bound::Excluded(after_seq), Bound::Unbounded))
            .map(|(_, entry)| entry.clone())
            .collect())
    }

    fn upload(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<UploadInfo>, StoreError> {
        Ok(self.data().upload_info(&key(app_key, user_id), upload_key))
    }

    fn upload_data(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .data()
            .uploads
            .get(&key(app_key, user_id))
            .and_then(|uploads| uploads.get(&upload_key))
            .map(|upload| upload.data.clone()))
    }

    fn upload_keys(&self, app_key: &str, user_id: &str) -> Result<Vec<u64>, StoreError> {
        let data = self.data();
        let Some(uploads) = data.uploads.get(&key(app_key, user_id)) else {
            return Ok(Vec::new());
        };
        let mut keys: Vec<(u64, u64)> = uploads
            .iter()
            .map(|(&upload_key, upload)| (upload.serial, upload_key))
            .collect();
        keys.sort_unstable();
        Ok(keys.into_iter().map(|(_, upload_key)| upload_key).collect())
    }

    fn audio_range(
        &self,
        app_key: &str,
        audio_id: u64,
        offset: u64,
        max_len: usize,
    ) -> Result<Option<AudioRange>, StoreError> {
        let data = self.data();
        let Some(audio) = data.audio.get(app_key).and_then(|b| b.get(&audio_id)) else {
            return Ok(None);
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(audio.data.len());
        let end = start.saturating_add(max_len).min(audio.data.len());
        Ok(Some(AudioRange {
            total_size: u64::try_from(audio.data.len()).unwrap_or(u64::MAX),
            sender_id: audio.sender_id.clone(),
            download_token: audio.download_token,
            data: audio.data.get(start..end).unwrap_or_default().to_vec(),
        }))
    }

    fn commit(&mut self, batch: &WriteBatch) -> Result<(), StoreError> {
        let mut data = self.data();
        data.check(batch)?;
        for write in batch.writes() {
            data.apply(write);
        }
        Ok(())
    }
}

impl Data {
    fn upload_info(&self, id: &AppUser, upload_key: u64) -> Option<UploadInfo> {
        self.uploads
            .get(id)
            .and_then(|uploads| uploads.get(&upload_key))
            .map(|upload| upload.info)
    }

    /// Fails if a write of the batch cannot be applied (an upload append that does not fit
    /// the upload as the writes before it leave it), so that nothing is applied.
    fn check(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        // Upload states as the batch changes them, where it does.
        let mut uploads: BTreeMap<(AppUser, u64), Option<UploadInfo>> = BTreeMap::new();
        for write in batch.writes() {
            match write {
                Write::AppendUpload {
                    app_key,
                    user_id,
                    upload_key,
                    append,
                } => {
                    let id = (key(app_key, user_id), *upload_key);
                    let current = match uploads.get(&id) {
                        Some(state) => *state,
                        None => self.upload_info(&id.0, id.1),
                    };
                    let received = append.received_after(current)?;
                    let info = UploadInfo {
                        total_size: append.total_size,
                        received,
                        touched_secs: append.now_secs,
                    };
                    uploads.insert(id, Some(info));
                }
                Write::DeleteUpload {
                    app_key,
                    user_id,
                    upload_key,
                } => {
                    uploads.insert((key(app_key, user_id), *upload_key), None);
                }
                Write::PurgeUploads { before_secs } => {
                    for (id, list) in &self.uploads {
                        for (&upload_key, upload) in list {
                            if upload.info.touched_secs < *before_secs {
                                uploads.entry((id.clone(), upload_key)).or_insert(None);
                            }
                        }
                    }
                    for state in uploads.values_mut() {
                        if state.is_some_and(|info| info.touched_secs < *before_secs) {
                            *state = None;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Applies one (checked) write.
    fn apply(&mut self, write: &Write) {
        match write {
            Write::PutAccount {
                app_key,
                user_id,
                account,
            } => {
                self.accounts.insert(key(app_key, user_id), account.clone());
            }
            Write::PutMute(mute) => {
                let id = (
                    mute.app_key.clone(),
                    mute.room_id.clone(),
                    mute.user_id.clone(),
                );
                self.mutes.insert(id, mute.clone());
            }
            Write::DeleteMute {
                app_key,
                room_id,
                user_id,
            } => {
                let id = (app_key.clone(), room_id.clone(), user_id.clone());
                self.mutes.remove(&id);
            }
            Write::PushMail {
                app_key,
                user_id,
                sender_id,
                message_id,
                message,
            } => {
                let mail = Mail {
                    sender_id: sender_id.clone(),
                    message: message.clone(),
                };
                self.mailboxes
                    .entry(key(app_key, user_id))
                    .or_default()
                    .insert(*message_id, mail);
            }
            Write::DeleteMail {
                app_key,
                user_id,
                up_to_message_id,
            } => {
                let id = key(app_key, user_id);
                if let Some(mailbox) = self.mailboxes.get_mut(&id) {
                    mailbox.retain(|&message_id, _| message_id > *up_to_message_id);
                    if mailbox.is_empty() {
                        self.mailboxes.remove(&id);
                    }
                }
            }
            Write::MessageIdMark { next } => {
                self.next_message_id = self.next_message_id.max(*next);
            }
            Write::PutSession {
                app_key,
                user_id,
                session_id,
            } => {
                self.sessions.insert(key(app_key, user_id), *session_id);
            }
            Write::PutSendKey {
                app_key,
                user_id,
                key: send_key,
                record,
                max_keys,
            } => self.put_send_key(key(app_key, user_id), *send_key, *record, *max_keys),
            Write::AppendRoomLog {
                app_key,
                room_id,
                entry,
                max_entries,
            } => {
                let id = key(app_key, room_id);
                self.room_seqs.insert(id.clone(), entry.seq);
                let log = self.room_logs.entry(id.clone()).or_default();
                log.insert(entry.seq, entry.clone());
                while log.len() > *max_entries {
                    log.pop_first();
                }
                if log.is_empty() {
                    self.room_logs.remove(&id);
                }
            }
            Write::PurgeRoomLogs { before_secs } => {
                for log in self.room_logs.values_mut() {
                    while log
                        .first_key_value()
                        .is_some_and(|(_, entry)| entry.create_time < *before_secs)
                    {
                        log.pop_first();
                    }
                }
                self.room_logs.retain(|_, log| !log.is_empty());
            }
            Write::AppendUpload {
                app_key,
                user_id,
                upload_key,
                append,
            } => self.append_upload(key(app_key, user_id), *upload_key, append),
            Write::DeleteUpload {
                app_key,
                user_id,
                upload_key,
            } => {
                let id = key(app_key, user_id);
                if let Some(uploads) = self.uploads.get_mut(&id) {
                    uploads.remove(upload_key);
                    if uploads.is_empty() {
                        self.uploads.remove(&id);
                    }
                }
            }
            Write::PurgeUploads { before_secs } => {
                for uploads in self.uploads.values_mut() {
                    uploads.retain(|_, upload| upload.info.touched_secs >= *before_secs);
                }
                self.uploads.retain(|_, uploads| !uploads.is_empty());
            }
            Write::PutAudio {
                app_key,
                audio_id,
                create_time,
                sender_id,
                download_token,
                data,
                max_blobs,
            } => {
                let blobs = self.audio.entry(app_key.clone()).or_default();
                blobs.insert(
                    *audio_id,
                    Audio {
                        create_time: *create_time,
                        sender_id: sender_id.clone(),
                        download_token: *download_token,
                        data: data.clone(),
                    },
                );
                while blobs.len() > *max_blobs {
                    blobs.pop_first();
                }
                if blobs.is_empty() {
                    self.audio.remove(app_key);
                }
            }
            Write::DeleteAudio { app_key, audio_id } => {
                if let Some(blobs) = self.audio.get_mut(app_key) {
                    blobs.remove(audio_id);
                    if blobs.is_empty() {
                        self.audio.remove(app_key);
                    }
                }
            }
            Write::PurgeAudio { before_secs } => {
                for blobs in self.audio.values_mut() {
                    blobs.retain(|_, audio| audio.create_time >= *before_secs);
                }
                self.audio.retain(|_, blobs| !blobs.is_empty());
            }
        }
    }

    fn put_send_key(&mut self, id: AppUser, send_key: u64, record: SendRecord, max_keys: usize) {
        let keys = self.send_keys.entry(id.clone()).or_default();
        keys.insert(send_key, record);
        while keys.len() > max_keys {
            // At most max_keys + 1 entries, so this scan is bounded by the limit.
            let oldest = keys
                .iter()
                .min_by_key(|(_, r)| r.message_id)
                .map(|(&k, _)| k);
            match oldest {
                Some(k) => keys.remove(&k),
                None => break,
            };
        }
        if keys.is_empty() {
            self.send_keys.remove(&id);
        }
    }

    /// Applies a checked append (see [`Data::check`]).
    fn append_upload(&mut self, id: AppUser, upload_key: u64, append: &UploadAppend) {
        let serial = self.next_upload_serial;
        let uploads = self.uploads.entry(id).or_default();
        let mut created = false;
        let upload = uploads.entry(upload_key).or_insert_with(|| {
            created = true;
            Upload {
                info: UploadInfo {
                    total_size: append.total_size,
                    received: 0,
                    touched_secs: append.now_secs,
                },
                serial,
                data: Vec::new(),
            }
        });
        upload.data.extend_from_slice(&append.data);
        upload.info.received = u64::try_from(upload.data.len()).unwrap_or(u64::MAX);
        upload.info.touched_secs = append.now_secs;
        if created {
            self.next_upload_serial += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::conformance::{self, put};
    use super::*;

    #[test]
    fn conformance() {
        conformance::check(&mut MemoryStore::new());
    }

    #[test]
    fn clones_share_data_and_deep_copies_do_not() {
        let mut store = MemoryStore::new();
        let other = store.clone();
        put(&mut store, conformance::mail("bob", 1, b"hi"));
        assert_eq!(other.mail_count("app", "bob").unwrap(), 1);
        conformance::upload(&mut store, "bob", 9, conformance::append(3, 0, b"abc", 1)).unwrap();
        put(&mut store, conformance::audio("app", 4, 1, b"voice", 10));
        assert_eq!(other.upload_data("app", "bob", 9).unwrap().unwrap(), b"abc");
        assert_eq!(
            other.audio_range("app", 4, 0, 9).unwrap().unwrap().data,
            b"voice"
        );
        let copy = store.deep_copy();
        put(&mut store, conformance::mail("bob", 2, b"again"));
        assert_eq!(copy.mail_count("app", "bob").unwrap(), 1, "a copy is apart");
        store.restore_from(&copy);
        assert_eq!(
            other.mail_count("app", "bob").unwrap(),
            1,
            "restored for every clone"
        );
    }
}
