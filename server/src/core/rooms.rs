//! Room membership: rooms are created on first join and dropped when the last member leaves;
//! a user may be in several rooms (bounded), and membership ends on leave, leave-all, logout,
//! kick-off or disconnect.

use yim_proto::wire::{reply, GetRoomMemberCount, JoinRoom, LeaveRoom};
use yim_proto::{limits, ErrorCode};

use super::{ConnId, ServerCore};

impl ServerCore {
    pub(super) fn handle_join(&mut self, conn: ConnId, join: JoinRoom) {
        let Some((app_key, user_id)) = self.require_user(conn, join.request_id) else {
            return;
        };
        let code = self.join(conn, &app_key, &user_id, &join.room_id);
        self.reply(conn, join.request_id, code);
    }

    fn join(&mut self, conn: ConnId, app_key: &str, user_id: &str, room_id: &str) -> ErrorCode {
        if let Err(code) = limits::check_room_id(room_id) {
            return code;
        }
        let max_rooms = self.limits.max_rooms_per_user;
        let max_members = self.limits.max_room_members;
        let Some(session) = self.user_session(conn) else {
            return ErrorCode::NotLogin;
        };
        if session.rooms.contains(room_id) {
            return ErrorCode::Success;
        }
        if session.rooms.len() >= max_rooms {
            return ErrorCode::StatusError;
        }
        let room = self
            .rooms
            .entry((app_key.to_owned(), room_id.to_owned()))
            .or_default();
        if room.members.len() >= max_members {
            if room.members.is_empty() {
                self.rooms.remove(&(app_key.to_owned(), room_id.to_owned()));
            }
            return ErrorCode::ChannelMemberOverflow;
        }
        room.members.insert(user_id.to_owned());
        if let Some(session) = self.user_session_mut(conn) {
            session.rooms.insert(room_id.to_owned());
        }
        ErrorCode::Success
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
        let rooms = self
            .user_session_mut(conn)
            .map(|s| std::mem::take(&mut s.rooms));
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
        self.reply_with(
            conn,
            get.request_id,
            ErrorCode::Success,
            Some(reply::Detail::MemberCount(count)),
        );
    }

    /// Removes `user_id` from the room, dropping the room when it empties.
    pub(super) fn remove_member(&mut self, app_key: &str, room_id: &str, user_id: &str) {
        let key = (app_key.to_owned(), room_id.to_owned());
        if let Some(room) = self.rooms.get_mut(&key) {
            room.members.remove(user_id);
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
