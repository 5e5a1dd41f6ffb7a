//! The mutes in force, in memory: a mirror of the store's mutes that room sends are checked
//! against, loaded at start. Only the table: the operator's mute and unmute rules that change
//! it (committing first) are in `mutes`, its sweep in `core`.

use std::collections::BTreeMap;

use yim_proto::wire::Forbid;

use crate::store::{MuteRecord, Store, StoreError, Write};

/// (app key, room ID, user ID or "" for the whole room).
type MuteKey = (String, String, String);

/// The mutes in force or not yet purged, mirrored from the store.
#[derive(Debug, Default)]
pub struct MuteTable {
    entries: BTreeMap<MuteKey, MuteRecord>,
}

impl MuteTable {
    /// Reads every mute from the store.
    pub fn load(store: &dyn Store) -> Result<MuteTable, StoreError> {
        let entries = store
            .mutes()?
            .into_iter()
            .map(|m| ((m.app_key.clone(), m.room_id.clone(), m.user_id.clone()), m))
            .collect();
        Ok(MuteTable { entries })
    }

    /// The forbid fields if `user_id` may not speak in the room at `now_secs`.
    pub fn forbid(
        &self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
        now_secs: u64,
    ) -> Option<Forbid> {
        let active = |user: &str| {
            self.entries
                .get(&(app_key.to_owned(), room_id.to_owned(), user.to_owned()))
                .filter(|mute| now_secs < mute.end_time)
        };
        let (mute, is_forbid_room) = match active("") {
            Some(mute) => (mute, true),
            None => (active(user_id)?, false),
        };
        Some(Forbid {
            is_forbid_room,
            reason: mute.reason,
            end_time: mute.end_time,
        })
    }

    pub(super) fn insert(&mut self, mute: MuteRecord) {
        let key = (
            mute.app_key.clone(),
            mute.room_id.clone(),
            mute.user_id.clone(),
        );
        self.entries.insert(key, mute);
    }

    pub(super) fn remove(&mut self, key: &MuteKey) {
        self.entries.remove(key);
    }

    /// The mutes whose end time has passed (the sweep deletes them).
    pub(super) fn expired(&self, now_secs: u64) -> Vec<MuteKey> {
        self.entries
            .iter()
            .filter(|(_, mute)| mute.end_time <= now_secs)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The write that deletes the mute `key` from the store.
    pub(super) fn delete(key: &MuteKey) -> Write {
        Write::DeleteMute {
            app_key: key.0.clone(),
            room_id: key.1.clone(),
            user_id: key.2.clone(),
        }
    }
}
