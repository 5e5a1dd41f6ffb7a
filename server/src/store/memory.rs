//! An in-memory [`Store`]. Clones share the same data, so a handle kept outside a crashed
//! server (by a test or the simulator) is the "disk" a restarted server reopens.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Account, MuteRecord, RoomLogEntry, SendRecord, Store, StoreError, StoredMail};

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
    }
}
