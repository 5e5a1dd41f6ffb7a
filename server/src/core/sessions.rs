//! Who is logged in where: each app's users and the connection of each one's session,
//! found by `&str` so that a room message's fan-out looks up every member's connection
//! without building a key. What it is not: a session's state (`UserSession`, on its
//! connection) or the sessions kept in the store for resuming.

use std::collections::BTreeMap;

use super::io::ConnId;

/// App key, then user ID, to the connection of the user's session. Iterates in (app, user)
/// order.
#[derive(Debug, Default)]
pub(super) struct Sessions {
    by_app: BTreeMap<String, BTreeMap<String, ConnId>>,
}

impl Sessions {
    /// The connection of `user_id`'s session in `app_key`.
    pub(super) fn get(&self, app_key: &str, user_id: &str) -> Option<ConnId> {
        self.by_app.get(app_key)?.get(user_id).copied()
    }

    /// Makes `conn` the user's session; returns the connection it replaces.
    pub(super) fn insert(&mut self, app_key: &str, user_id: &str, conn: ConnId) -> Option<ConnId> {
        self.by_app
            .entry(app_key.to_owned())
            .or_default()
            .insert(user_id.to_owned(), conn)
    }

    /// Forgets the user's session if it is `conn`'s.
    pub(super) fn remove_if_on(&mut self, app_key: &str, user_id: &str, conn: ConnId) {
        let Some(users) = self.by_app.get_mut(app_key) else {
            return;
        };
        if users.get(user_id) == Some(&conn) {
            users.remove(user_id);
            if users.is_empty() {
                self.by_app.remove(app_key);
            }
        }
    }

    /// Every session: app key, user ID, connection.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, &str, ConnId)> {
        self.by_app.iter().flat_map(|(app_key, users)| {
            users
                .iter()
                .map(move |(user_id, &conn)| (app_key.as_str(), user_id.as_str(), conn))
        })
    }
}
