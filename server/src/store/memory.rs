//! An in-memory [`Store`]. Clones share the same data, so a handle kept outside a crashed
//! server (by a test or the simulator) is the "disk" a restarted server reopens.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{
    Account, AudioRange, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError, StoredMail,
    UploadAppend, UploadInfo,
};

type AppUser = (String, String);

#[derive(Debug, Default)]
struct Data {
    accounts: BTreeMap<AppUser, Account>,
    mutes: BTreeMap<(String, String, String), MuteRecord>,
    /// Message ID -> encoded message, per user.
    mailboxes: BTreeMap<AppUser, BTreeMap<u64, Vec<u8>>>,
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

#[derive(Debug)]
struct Upload {
    info: UploadInfo,
    /// When it was created, relative to the other uploads.
    serial: u64,
    data: Vec<u8>,
}

#[derive(Debug)]
struct Audio {
    create_time: u64,
    data: Vec<u8>,
}

/// See the module doc.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    data: Arc<Mutex<Data>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock cannot leave `Data` half-updated in a way that matters
        // here (each operation is one insertion or removal), so recover from poisoning.
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

    fn put_account(
        &mut self,
        app_key: &str,
        user_id: &str,
        account: &Account,
    ) -> Result<(), StoreError> {
        self.data()
            .accounts
            .insert(key(app_key, user_id), account.clone());
        Ok(())
    }

    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError> {
        Ok(self.data().mutes.values().cloned().collect())
    }

    fn put_mute(&mut self, mute: &MuteRecord) -> Result<(), StoreError> {
        let id = (
            mute.app_key.clone(),
            mute.room_id.clone(),
            mute.user_id.clone(),
        );
        self.data().mutes.insert(id, mute.clone());
        Ok(())
    }

    fn delete_mute(
        &mut self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let id = (app_key.to_owned(), room_id.to_owned(), user_id.to_owned());
        self.data().mutes.remove(&id);
        Ok(())
    }

    fn push_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        message_id: u64,
        message: &[u8],
    ) -> Result<(), StoreError> {
        self.data()
            .mailboxes
            .entry(key(app_key, user_id))
            .or_default()
            .insert(message_id, message.to_vec());
        Ok(())
    }

    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError> {
        let data = self.data();
        let Some(mailbox) = data.mailboxes.get(&key(app_key, user_id)) else {
            return Ok(Vec::new());
        };
        Ok(mailbox
            .iter()
            .map(|(&message_id, message)| StoredMail {
                message_id,
                message: message.clone(),
            })
            .collect())
    }

    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError> {
        Ok(self
            .data()
            .mailboxes
            .get(&key(app_key, user_id))
            .map_or(0, BTreeMap::len))
    }

    fn delete_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        up_to_message_id: u64,
    ) -> Result<(), StoreError> {
        let mut data = self.data();
        let id = key(app_key, user_id);
        if let Some(mailbox) = data.mailboxes.get_mut(&id) {
            mailbox.retain(|&message_id, _| message_id > up_to_message_id);
            if mailbox.is_empty() {
                data.mailboxes.remove(&id);
            }
        }
        Ok(())
    }

    fn reserve_message_ids(&mut self, count: u64) -> Result<u64, StoreError> {
        let mut data = self.data();
        let first = data.next_message_id.max(1);
        data.next_message_id = first + count;
        Ok(first)
    }

    fn current_session(&self, app_key: &str, user_id: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.data().sessions.get(&key(app_key, user_id)).copied())
    }

    fn put_current_session(
        &mut self,
        app_key: &str,
        user_id: &str,
        session_id: u64,
    ) -> Result<(), StoreError> {
        self.data()
            .sessions
            .insert(key(app_key, user_id), session_id);
        Ok(())
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

    fn put_send_key(
        &mut self,
        app_key: &str,
        user_id: &str,
        send_key: u64,
        record: SendRecord,
        max_keys: usize,
    ) -> Result<(), StoreError> {
        let mut data = self.data();
        let id = key(app_key, user_id);
        let keys = data.send_keys.entry(id.clone()).or_default();
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
            data.send_keys.remove(&id);
        }
        Ok(())
    }

    fn room_last_seq(&self, app_key: &str, room_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .data()
            .room_seqs
            .get(&key(app_key, room_id))
            .copied()
            .unwrap_or(0))
    }

    fn append_room_log(
        &mut self,
        app_key: &str,
        room_id: &str,
        entry: &RoomLogEntry,
        max_entries: usize,
    ) -> Result<(), StoreError> {
        let mut data = self.data();
        let id = key(app_key, room_id);
        data.room_seqs.insert(id.clone(), entry.seq);
        let log = data.room_logs.entry(id.clone()).or_default();
        log.insert(entry.seq, entry.clone());
        while log.len() > max_entries {
            log.pop_first();
        }
        if log.is_empty() {
            data.room_logs.remove(&id);
        }
        Ok(())
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

    fn purge_room_logs(&mut self, before_secs: u64) -> Result<(), StoreError> {
        let mut data = self.data();
        for log in data.room_logs.values_mut() {
            while log
                .first_key_value()
                .is_some_and(|(_, entry)| entry.create_time < before_secs)
            {
                log.pop_first();
            }
        }
        data.room_logs.retain(|_, log| !log.is_empty());
        Ok(())
    }

    fn upload(
        &self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<Option<UploadInfo>, StoreError> {
        Ok(self
            .data()
            .uploads
            .get(&key(app_key, user_id))
            .and_then(|uploads| uploads.get(&upload_key))
            .map(|upload| upload.info))
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

    fn append_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
        append: &UploadAppend<'_>,
    ) -> Result<u64, StoreError> {
        let mut data = self.data();
        let id = key(app_key, user_id);
        let current = data
            .uploads
            .get(&id)
            .and_then(|uploads| uploads.get(&upload_key))
            .map(|upload| upload.info);
        let received = append.received_after(current)?;
        let serial = data.next_upload_serial;
        let uploads = data.uploads.entry(id).or_default();
        let upload = uploads.entry(upload_key).or_insert_with(|| Upload {
            info: UploadInfo {
                total_size: append.total_size,
                received: 0,
                touched_secs: append.now_secs,
            },
            serial,
            data: Vec::new(),
        });
        upload.data.extend_from_slice(append.data);
        upload.info.received = received;
        upload.info.touched_secs = append.now_secs;
        if current.is_none() {
            data.next_upload_serial += 1;
        }
        Ok(received)
    }

    fn delete_upload(
        &mut self,
        app_key: &str,
        user_id: &str,
        upload_key: u64,
    ) -> Result<(), StoreError> {
        let mut data = self.data();
        let id = key(app_key, user_id);
        if let Some(uploads) = data.uploads.get_mut(&id) {
            uploads.remove(&upload_key);
            if uploads.is_empty() {
                data.uploads.remove(&id);
            }
        }
        Ok(())
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

    fn purge_uploads(&mut self, before_secs: u64) -> Result<(), StoreError> {
        let mut data = self.data();
        for uploads in data.uploads.values_mut() {
            uploads.retain(|_, upload| upload.info.touched_secs >= before_secs);
        }
        data.uploads.retain(|_, uploads| !uploads.is_empty());
        Ok(())
    }

    fn put_audio(
        &mut self,
        app_key: &str,
        audio_id: u64,
        create_time: u64,
        data: &[u8],
        max_blobs: usize,
    ) -> Result<(), StoreError> {
        let mut all = self.data();
        let blobs = all.audio.entry(app_key.to_owned()).or_default();
        blobs.insert(
            audio_id,
            Audio {
                create_time,
                data: data.to_vec(),
            },
        );
        while blobs.len() > max_blobs {
            blobs.pop_first();
        }
        if blobs.is_empty() {
            all.audio.remove(app_key);
        }
        Ok(())
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
            data: audio.data.get(start..end).unwrap_or_default().to_vec(),
        }))
    }

    fn delete_audio(&mut self, app_key: &str, audio_id: u64) -> Result<(), StoreError> {
        let mut data = self.data();
        if let Some(blobs) = data.audio.get_mut(app_key) {
            blobs.remove(&audio_id);
            if blobs.is_empty() {
                data.audio.remove(app_key);
            }
        }
        Ok(())
    }

    fn purge_audio(&mut self, before_secs: u64) -> Result<(), StoreError> {
        let mut data = self.data();
        for blobs in data.audio.values_mut() {
            blobs.retain(|_, audio| audio.create_time >= before_secs);
        }
        data.audio.retain(|_, blobs| !blobs.is_empty());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conformance() {
        super::super::conformance::check(&mut MemoryStore::new());
    }

    #[test]
    fn clones_share_data() {
        let mut store = MemoryStore::new();
        let other = store.clone();
        store.push_mail("app", "bob", 1, b"hi").unwrap();
        assert_eq!(other.mail_count("app", "bob").unwrap(), 1);
        let append = UploadAppend {
            total_size: 3,
            at: 0,
            data: b"abc",
            now_secs: 1,
        };
        store.append_upload("app", "bob", 9, &append).unwrap();
        store.put_audio("app", 4, 1, b"voice", 10).unwrap();
        assert_eq!(other.upload_data("app", "bob", 9).unwrap().unwrap(), b"abc");
        assert_eq!(
            other.audio_range("app", 4, 0, 9).unwrap().unwrap().data,
            b"voice"
        );
    }
}
