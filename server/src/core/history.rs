//! Room history from the server (YIM `QueryRoomHistoryMessageFromServer`): a member of a room
//! asks for a page of the room's recent messages and gets them newest first.
//!
//! What it is: `handle_room_history`, over the same durable room log as the gap fill after a
//! reconnect (`messaging` appends to it, the sweep purges it by age; its window is
//! `room_log_messages` by count and `room_log_max_age_secs` by age). A page holds the kept
//! messages below `before_seq` (0: from the newest), as many as fit in one frame, with the
//! log's first and the room's last sequence number, so the client pages on until it has what
//! it wants. The requester's own messages are included (the client knows which ones it has).
//! Only a member of the room is served (`NotJoinRoom` otherwise). What it is not: the
//! deduplication against what the client already has (the SDK's) or the log itself (`store`).

use prost::Message as _;
use yim_hooks::planted::{self, Bug};
use yim_proto::wire::{reply, Message, QueryRoomHistory, RoomHistory};
use yim_proto::{limits, ErrorCode};

use super::io::ConnId;
use super::state::ServerCore;

/// Bytes of encoded messages in one page: with the reply's own fields it stays well inside
/// the 64 KiB frame limit (the largest message is about 3.7 KB).
pub(super) const ROOM_HISTORY_PAGE_BYTES: usize = 48 * 1024;

impl ServerCore {
    pub(super) fn handle_room_history(&mut self, conn: ConnId, query: QueryRoomHistory) {
        let Some((app_key, _)) = self.require_user(conn, query.request_id) else {
            return;
        };
        match self.room_history(conn, &app_key, &query) {
            Ok(page) => self.reply_with(
                conn,
                query.request_id,
                ErrorCode::Success,
                Some(reply::Detail::RoomHistory(page)),
            ),
            Err(code) => self.reply(conn, query.request_id, code),
        }
    }

    fn room_history(
        &self,
        conn: ConnId,
        app_key: &str,
        query: &QueryRoomHistory,
    ) -> Result<RoomHistory, ErrorCode> {
        let room_id = &query.room_id;
        limits::check_room_id(room_id)?;
        let member = self
            .user_session(conn)
            .is_some_and(|s| s.rooms.contains(room_id));
        if !member {
            return Err(ErrorCode::NotJoinRoom);
        }
        let store_failed = |e| {
            tracing::error!(error = %e, "store failure reading room history");
            ErrorCode::ServerError
        };
        let last_seq = match self.rooms.get(&(app_key.to_owned(), room_id.clone())) {
            Some(room) => room.last_seq,
            None => self
                .store
                .0
                .room_last_seq(app_key, room_id)
                .map_err(store_failed)?,
        };
        let kept = self
            .store
            .0
            .room_log_after(app_key, room_id, 0)
            .map_err(store_failed)?;
        let first_seq = kept.first().map_or(0, |entry| entry.seq);
        let below = match query.before_seq {
            0 => u64::MAX,
            before => before,
        };
        let mut candidates = kept
            .iter()
            .rev()
            .filter(|entry| entry.seq < below && entry.seq <= last_seq);
        if query.before_seq == 0 && planted::active(Bug::HistorySkipsNewest) {
            candidates.next();
        }
        let mut messages = Vec::new();
        let mut bytes = 0;
        for entry in candidates {
            let message = match Message::decode(entry.message.as_slice()) {
                Ok(message) => message,
                Err(e) => {
                    tracing::error!(error = %e, room = %room_id, seq = entry.seq, "unreadable room log entry");
                    continue;
                }
            };
            let size = message.encoded_len() + 8;
            if !messages.is_empty() && bytes + size > ROOM_HISTORY_PAGE_BYTES {
                break;
            }
            bytes += size;
            messages.push(message);
        }
        Ok(RoomHistory {
            messages,
            first_seq,
            last_seq,
        })
    }
}
