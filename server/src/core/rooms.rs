//! Room membership and resuming joins: rooms are created on first join and dropped when the
//! last member leaves; a user may be in several rooms (bounded), and membership ends on leave,
//! leave-all, logout, kick-off or disconnect.
//!
//! A successful join answers `RoomJoined` with the room's last sequence number (kept in the
//! store, so it continues across empty rooms and restarts). A join with `resume_after_seq`
//! also gets, right after the reply and so before any newer room message, the room log's kept
//! messages with a higher seq (up to the last one, in seq order, except the user's own: live
//! fan-out never echoes them either), and the range the log no longer holds, if any, as
//! `lost_from_seq..=lost_to_seq`. Joining a room already joined on the connection answers the
//! same way. Sending and logging room messages is in `messaging`.

use std::collections::BTreeSet;

use prost::Message as _;
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{reply, GetRoomMemberCount, JoinRoom, LeaveRoom, Message, RoomJoined};
use yim_proto::{limits, ErrorCode, FrameBody};

use super::io::ConnId;
use super::state::{Room, ServerCore};
use crate::store::StoreError;

/// What a successful join answers and then sends.
struct Joined {
    reply: RoomJoined,
    replay: Vec<Message>,
}

impl ServerCore {
    pub(super) fn handle_join(&mut self, conn: ConnId, join: JoinRoom) {
        let Some((app_key, user_id)) = self.require_user(conn, join.request_id) else {
            return;
        };
        let resume_after = join
            .resume_after_seq
            .filter(|_| !planted::active(Bug::NoGapFill));
        match self.join(conn, &app_key, &user_id, &join.room_id, resume_after) {
            Ok(joined) => {
                self.reply_with(
                    conn,
                    join.request_id,
                    ErrorCode::Success,
                    Some(reply::Detail::RoomJoined(joined.reply)),
                );
                for message in joined.replay {
                    self.send(conn, FrameBody::Message(message));
                }
            }
            Err(code) => self.reply(conn, join.request_id, code),
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        app_key: &str,
        user_id: &str,
        room_id: &str,
        resume_after: Option<u64>,
    ) -> Result<Joined, ErrorCode> {
        limits::check_room_id(room_id)?;
        let session = self.user_session(conn).ok_or(ErrorCode::NotLogin)?;
        let already = session.rooms.contains(room_id);
        if !already && session.rooms.len() >= self.limits.max_rooms_per_user {
            return Err(ErrorCode::StatusError);
        }
        let key = (app_key.to_owned(), room_id.to_owned());
        let room = self.rooms.get(&key);
        if !already && room.map_or(0, |r| r.members.len()) >= self.limits.max_room_members {
            return Err(ErrorCode::ChannelMemberOverflow);
        }
        let last_seq = match room {
            Some(room) => room.last_seq,
            None => self
                .store
                .0
                .room_last_seq(app_key, room_id)
                .map_err(store_failed)?,
        };
        let joined = match resume_after {
            Some(after) => self
                .missed(app_key, room_id, user_id, after, last_seq)
                .map_err(store_failed)?,
            None => Joined {
                reply: RoomJoined {
                    last_seq,
                    ..RoomJoined::default()
                },
                replay: Vec::new(),
            },
        };
        if !already {
            let room = self.rooms.entry(key).or_insert_with(|| Room {
                members: BTreeSet::new(),
                last_seq,
                sends: Default::default(),
            });
            room.members.insert(user_id.to_owned());
            self.membership_changes += 1;
            if let Some(session) = self.user_session_mut(conn) {
                session.rooms.insert(room_id.to_owned());
            }
        }
        Ok(joined)
    }

    /// The kept messages after `after` up to `last_seq` (not the user's own), and the range
    /// the log no longer holds.
    fn missed(
        &self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
        after: u64,
        last_seq: u64,
    ) -> Result<Joined, StoreError> {
        let mut reply = RoomJoined {
            last_seq,
            ..RoomJoined::default()
        };
        if after >= last_seq {
            return Ok(Joined {
                reply,
                replay: Vec::new(),
            });
        }
        let kept = self.store.0.room_log_after(app_key, room_id, after)?;
        let first_kept = kept
            .first()
            .map_or(last_seq.saturating_add(1), |entry| entry.seq);
        if first_kept > after + 1 {
            probe::hit(Probe::GapOutlastedRoomLog);
            reply.lost_from_seq = after + 1;
            reply.lost_to_seq = first_kept - 1;
        }
        let mut replay = Vec::with_capacity(kept.len());
        for entry in kept.into_iter().filter(|entry| entry.seq <= last_seq) {
            match Message::decode(entry.message.as_slice()) {
                Ok(message) if message.sender_id == user_id => {}
                Ok(message) => replay.push(message),
                Err(e) => {
                    tracing::error!(error = %e, room = %room_id, seq = entry.seq, "unreadable room log entry");
                }
            }
        }
        if !replay.is_empty() {
            probe::hit(Probe::GapFillReplayed);
        }
        Ok(Joined { reply, replay })
    }

    pub(super) fn handle_leave(&mut self, conn: ConnId, leave: LeaveRoom) {
        let Some((app_key, user_id)) = self.require_user(conn, leave.request_id) else {
            return;
        };
        let was_member = self
            .user_session_mut(conn)
            .is_some_and(|s| s.rooms.remove(&leave.room_id));
        let code = if was_member {
            self.remove_member(&app_key, &leave.room_id, &user_id);
            ErrorCode::Success
        } else {
            ErrorCode::NotJoinRoom
        };
        self.reply(conn, leave.request_id, code);
    }

    pub(super) fn handle_leave_all(&mut self, conn: ConnId, request_id: u64) {
        let Some((app_key, user_id)) = self.require_user(conn, request_id) else {
            return;
        };
        let rooms = self.user_session_mut(conn).map(|s| {
            let mut left = std::mem::take(&mut s.rooms);
            if planted::active(Bug::LeaveAllKeepsOne) {
                // The planted bug keeps the last room, in the session and the room.
                if let Some(kept) = left.pop_last() {
                    s.rooms.insert(kept);
                }
            }
            left
        });
        for room_id in rooms.unwrap_or_default() {
            self.remove_member(&app_key, &room_id, &user_id);
        }
        self.reply(conn, request_id, ErrorCode::Success);
    }

    pub(super) fn handle_member_count(&mut self, conn: ConnId, get: GetRoomMemberCount) {
        let Some((app_key, _)) = self.require_user(conn, get.request_id) else {
            return;
        };
        let joined = self
            .user_session(conn)
            .is_some_and(|s| s.rooms.contains(&get.room_id));
        if !joined {
            self.reply(conn, get.request_id, ErrorCode::NotJoinRoom);
            return;
        }
        let count = self.rooms.get(&(app_key, get.room_id)).map_or(0, |room| {
            u32::try_from(room.members.len()).unwrap_or(u32::MAX)
        });
        // The planted bug leaves the asker out.
        let count = if planted::active(Bug::MemberCountWithoutAsker) {
            count.saturating_sub(1)
        } else {
            count
        };
        self.reply_with(
            conn,
            get.request_id,
            ErrorCode::Success,
            Some(reply::Detail::MemberCount(count)),
        );
    }

    /// Removes `user_id` from the room, dropping the room when it empties (its seq and log
    /// stay in the store).
    pub(super) fn remove_member(&mut self, app_key: &str, room_id: &str, user_id: &str) {
        let key = (app_key.to_owned(), room_id.to_owned());
        if let Some(room) = self.rooms.get_mut(&key) {
            room.members.remove(user_id);
            self.membership_changes += 1;
            if room.members.is_empty() {
                self.rooms.remove(&key);
            }
        }
    }

    /// Members of a room (empty if the room does not exist).
    pub fn room_members(&self, app_key: &str, room_id: &str) -> Vec<String> {
        self.rooms
            .get(&(app_key.to_owned(), room_id.to_owned()))
            .map(|room| room.members.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn store_failed(e: StoreError) -> ErrorCode {
    tracing::error!(error = %e, "store failure during a join");
    ErrorCode::ServerError
}
