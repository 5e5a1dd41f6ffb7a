//! Operator mutes: a user in a room, or a whole room, with a reason (0-7) and an end time.
//! While a mute is in force (server clock before its end time) room sends fail with
//! ForbiddenSpeak; a room mute is checked before a user mute. Private chat is never affected.
//! Mutes are written to the store before they are acknowledged, so they survive a restart.

use std::collections::BTreeMap;

use yim_proto::wire::{Forbid, Mute, Unmute};
use yim_proto::{limits, ErrorCode};

use super::{ConnId, Role, ServerCore};
use crate::store::{MuteRecord, Store, StoreError};

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

    fn put(&mut self, store: &mut dyn Store, mute: MuteRecord) -> Result<(), StoreError> {
        store.put_mute(&mute)?;
        let key = (
            mute.app_key.clone(),
            mute.room_id.clone(),
            mute.user_id.clone(),
        );
        self.entries.insert(key, mute);
        Ok(())
    }

    fn remove(&mut self, store: &mut dyn Store, key: MuteKey) -> Result<(), StoreError> {
        store.delete_mute(&key.0, &key.1, &key.2)?;
        self.entries.remove(&key);
        Ok(())
    }

    /// Drops mutes whose end time has passed, from memory and store.
    pub fn purge_expired(
        &mut self,
        store: &mut dyn Store,
        now_secs: u64,
    ) -> Result<(), StoreError> {
        let expired: Vec<MuteKey> = self
            .entries
            .iter()
            .filter(|(_, mute)| mute.end_time <= now_secs)
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            self.remove(store, key)?;
        }
        Ok(())
    }
}

impl ServerCore {
    /// The operator's app, or None after replying NotLogin.
    fn require_admin(&mut self, conn: ConnId, request_id: u64) -> Option<String> {
        match self.connections.get(&conn).map(|c| &c.role) {
            Some(Role::Admin { app_key }) => Some(app_key.clone()),
            _ => {
                self.reply(conn, request_id, ErrorCode::NotLogin);
                None
            }
        }
    }

    pub(super) fn handle_mute(&mut self, conn: ConnId, mute: Mute) {
        let Some(app_key) = self.require_admin(conn, mute.request_id) else {
            return;
        };
        let valid = limits::check_room_id(&mute.room_id).is_ok()
            && (mute.user_id.is_empty() || limits::is_valid_id(&mute.user_id))
            && mute.reason <= limits::MAX_FORBID_REASON;
        let code = if !valid {
            ErrorCode::ParamInvalid
        } else {
            let record = MuteRecord {
                app_key,
                room_id: mute.room_id,
                user_id: mute.user_id,
                reason: mute.reason,
                end_time: mute.end_time,
            };
            tracing::info!(?record, "mute");
            stored(self.mutes.put(self.store.0.as_mut(), record))
        };
        self.reply(conn, mute.request_id, code);
    }

    pub(super) fn handle_unmute(&mut self, conn: ConnId, unmute: Unmute) {
        let Some(app_key) = self.require_admin(conn, unmute.request_id) else {
            return;
        };
        tracing::info!(room = %unmute.room_id, user = %unmute.user_id, "unmute");
        let key = (app_key, unmute.room_id, unmute.user_id);
        let code = stored(self.mutes.remove(self.store.0.as_mut(), key));
        self.reply(conn, unmute.request_id, code);
    }
}

fn stored(result: Result<(), StoreError>) -> ErrorCode {
    match result {
        Ok(()) => ErrorCode::Success,
        Err(e) => {
            tracing::error!(error = %e, "store failure on a mute");
            ErrorCode::ServerError
        }
    }
}
