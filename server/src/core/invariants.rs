//! What must hold of the core's memory between two inputs, checked by the server fuzz target
//! (`fuzz/fuzz_targets/server_core.rs`) and tests after every input: sessions, connections and
//! room memberships agree with each other, and every table that grows with clients is within
//! its bound. What it is not: a check of the store (the store's conformance tests are).

use super::state::{Role, ServerCore};
use yim_hooks::planted::{self, Bug};

impl ServerCore {
    /// Checks the invariants; the first one broken, described.
    pub fn check_invariants(&self) -> Result<(), String> {
        if !self.pending.is_empty() || !self.batch.is_empty() {
            return Err("outputs or writes left over from an input".into());
        }
        let pending = self
            .connections
            .values()
            .filter(|c| matches!(c.role, Role::Pending))
            .count();
        if pending != self.unauthenticated {
            return Err(format!(
                "{pending} connections not logged in, counted as {}",
                self.unauthenticated
            ));
        }
        for (app_key, user_id, conn) in self.sessions.iter() {
            match self.connections.get(&conn).map(|c| &c.role) {
                Some(Role::User(s)) if s.app_key == app_key && s.user_id == user_id => {}
                other => {
                    return Err(format!(
                        "session of {user_id} names connection {conn} holding {other:?}"
                    ))
                }
            }
        }
        for (&conn, connection) in &self.connections {
            if let Some(id) = connection.hashing {
                if !matches!(connection.role, Role::Pending)
                    || self.hashing.get(&id).is_none_or(|p| p.conn() != conn)
                {
                    return Err(format!("connection {conn} waits for hash job {id} wrongly"));
                }
            }
            let Role::User(session) = &connection.role else {
                continue;
            };
            if self.sessions.get(&session.app_key, &session.user_id) != Some(conn)
                && !planted::active(Bug::NoKickOff)
            {
                return Err(format!(
                    "connection {conn} is logged in as {} without being its session",
                    session.user_id
                ));
            }
            if session.rooms.len() > self.limits.max_rooms_per_user {
                return Err(format!("{} is in too many rooms", session.user_id));
            }
            for room_id in &session.rooms {
                let room = self.rooms.get(&(session.app_key.clone(), room_id.clone()));
                if !room.is_some_and(|r| r.members.contains(&session.user_id)) {
                    return Err(format!(
                        "{} thinks it is in {room_id}, which does not list it",
                        session.user_id
                    ));
                }
            }
        }
        for ((app_key, room_id), room) in &self.rooms {
            if room.members.is_empty() || room.members.len() > self.limits.max_room_members {
                return Err(format!("room {room_id} has {} members", room.members.len()));
            }
            for member in &room.members {
                let in_session = self.sessions.get(app_key, member).and_then(|conn| {
                    match &self.connections.get(&conn)?.role {
                        Role::User(s) => Some(s.rooms.contains(room_id)),
                        _ => None,
                    }
                });
                if in_session != Some(true) {
                    return Err(format!(
                        "room {room_id} lists {member}, whose session is not in it"
                    ));
                }
            }
        }
        if self.hashing.len() > self.limits.max_pending_hashes {
            return Err(format!("{} logins wait for a hash", self.hashing.len()));
        }
        for (held, bound) in self.throttles.sizes() {
            if held > bound {
                return Err(format!("a throttle holds {held} keys, over {bound}"));
            }
        }
        Ok(())
    }
}
