//! Durable server state: accounts, mutes, private mailboxes and the message-ID high-water mark.
//!
//! The `Store` trait is what survives a server restart. Two implementations: [`MemoryStore`]
//! (tests and the simulator, where a cloned handle outlives a crashed server and so plays the
//! disk) and [`SqliteStore`] (the real binary's default). Everything else the server knows
//! (sessions, room membership) is rebuilt from connections and is not stored.

mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

/// A registered user: the salt and the salted hash of the password of the first login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub salt: Vec<u8>,
    pub password_hash: Vec<u8>,
}

/// A mute set by an operator. `user_id` empty means the whole room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuteRecord {
    pub app_key: String,
    pub room_id: String,
    pub user_id: String,
    pub reason: u32,
    /// Unix seconds; the mute is over from this second on.
    pub end_time: u64,
}

/// A private message kept until its receiver acknowledges it, as encoded `Message` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMail {
    /// The message's ID; IDs grow in the order messages arrive.
    pub message_id: u64,
    pub message: Vec<u8>,
}

/// A store operation failed; the request gets ServerError (8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreError(pub String);

/// What the server keeps across restarts. Calls are synchronous and made from the server's
/// single core task.
pub trait Store: Send + 'static {
    fn account(&self, app_key: &str, user_id: &str) -> Result<Option<Account>, StoreError>;
    fn put_account(
        &mut self,
        app_key: &str,
        user_id: &str,
        account: &Account,
    ) -> Result<(), StoreError>;

    /// Every mute ever set and not lifted, expired or not.
    fn mutes(&self) -> Result<Vec<MuteRecord>, StoreError>;
    /// Sets (or replaces) the mute for (app, room, user).
    fn put_mute(&mut self, mute: &MuteRecord) -> Result<(), StoreError>;
    fn delete_mute(
        &mut self,
        app_key: &str,
        room_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError>;

    /// Adds a message to a user's mailbox.
    fn push_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        message_id: u64,
        message: &[u8],
    ) -> Result<(), StoreError>;
    /// The user's mailbox in message ID order.
    fn mail(&self, app_key: &str, user_id: &str) -> Result<Vec<StoredMail>, StoreError>;
    fn mail_count(&self, app_key: &str, user_id: &str) -> Result<usize, StoreError>;
    /// Removes the mails with `message_id <= up_to_message_id` (they were acknowledged).
    fn delete_mail(
        &mut self,
        app_key: &str,
        user_id: &str,
        up_to_message_id: u64,
    ) -> Result<(), StoreError>;

    /// Reserves `count` message IDs and returns the first. IDs handed out are never handed out
    /// again, across restarts.
    fn reserve_message_ids(&mut self, count: u64) -> Result<u64, StoreError>;
}

#[cfg(test)]
pub(crate) mod conformance {
    //! The same checks run against every Store implementation.
    use super::*;

    pub fn check(store: &mut dyn Store) {
        assert_eq!(store.account("app", "alice").unwrap(), None);
        let account = Account {
            salt: vec![1, 2],
            password_hash: vec![3, 4],
        };
        store.put_account("app", "alice", &account).unwrap();
        assert_eq!(store.account("app", "alice").unwrap(), Some(account));
        assert_eq!(store.account("other", "alice").unwrap(), None);

        let mute = MuteRecord {
            app_key: "app".into(),
            room_id: "world".into(),
            user_id: String::new(),
            reason: 2,
            end_time: 100,
        };
        store.put_mute(&mute).unwrap();
        store
            .put_mute(&MuteRecord {
                end_time: 200,
                ..mute.clone()
            })
            .unwrap();
        assert_eq!(
            store.mutes().unwrap(),
            vec![MuteRecord {
                end_time: 200,
                ..mute.clone()
            }]
        );
        store.delete_mute("app", "world", "").unwrap();
        assert!(store.mutes().unwrap().is_empty());

        store.push_mail("app", "bob", 7, b"one").unwrap();
        store.push_mail("app", "bob", 9, b"two").unwrap();
        store.push_mail("app", "carol", 8, b"three").unwrap();
        let mail = store.mail("app", "bob").unwrap();
        assert_eq!(mail.len(), 2);
        assert_eq!(
            (mail[0].message_id, mail[0].message.as_slice()),
            (7, &b"one"[..])
        );
        assert_eq!(
            (mail[1].message_id, mail[1].message.as_slice()),
            (9, &b"two"[..])
        );
        assert_eq!(store.mail_count("app", "bob").unwrap(), 2);
        store.delete_mail("app", "bob", 8).unwrap();
        assert_eq!(store.mail("app", "bob").unwrap()[0].message, b"two");
        assert_eq!(store.mail_count("app", "carol").unwrap(), 1);

        let first = store.reserve_message_ids(10).unwrap();
        let second = store.reserve_message_ids(10).unwrap();
        assert!(first >= 1);
        assert_eq!(second, first + 10);
    }
}
