//! Operator mutes: a user in a room, or a whole room, with a reason (0-7) and an end time.
//! While a mute is in force (server clock before its end time) room sends fail with
//! ForbiddenSpeak; a room mute is checked before a user mute. Private chat is never affected.
//! Mutes are committed to the store before they are acknowledged (and before the table in
//! memory changes), so they survive a restart.

use yim_hooks::planted::{self, Bug};
use yim_proto::wire::{Mute, Unmute};
use yim_proto::{limits, ErrorCode};

use super::io::ConnId;
use super::mute_table::MuteTable;
use super::state::{Role, ServerCore};
use crate::store::{MuteRecord, StoreError, Write};

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
            self.stage(Write::PutMute(record.clone()));
            let committed = self.commit();
            if committed.is_ok() {
                self.mutes.insert(record);
            }
            stored(committed)
        };
        self.reply(conn, mute.request_id, code);
    }

    pub(super) fn handle_unmute(&mut self, conn: ConnId, unmute: Unmute) {
        let Some(app_key) = self.require_admin(conn, unmute.request_id) else {
            return;
        };
        tracing::info!(room = %unmute.room_id, user = %unmute.user_id, "unmute");
        let key = (app_key, unmute.room_id, unmute.user_id);
        self.stage(MuteTable::delete(&key));
        let committed = self.commit();
        if committed.is_ok() && !planted::active(Bug::IgnoreUnmute) {
            self.mutes.remove(&key);
        }
        let code = stored(committed);
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
