//! The disk of a simulated client: the SDK's local history store of each of its users, which
//! survives app restarts and host crashes (as the server's `disk` does), and the crash point
//! between the SDK's store write and what follows it.
//!
//! What it is: [`ClientDisk`], the SDK's in-memory disk behind a wrapper that can be armed to
//! crash the host right after the next commit that keeps or marks handed a received message:
//! the commit is on the disk, and from that instant the app is dead, so neither the hand-over
//! nor anything after it reaches the game (the acknowledgement the SDK queued in the same
//! instant may or may not leave the host). The runner crashes the host once it strikes. At
//! the end of the run it lists what each user's store holds, for the `history` checker.
//! What it is not: the store itself (the SDK's `MemoryDisk`, the same code as the real one's
//! rules) or a model of partial writes (a commit is atomic, as SQLite's is).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use yim_sdk::{
    ChatType, Committed, Contact, HistoryBatch, HistoryDirection, HistoryDisk, HistoryError,
    HistorySlice, HistoryStore, Kept, MemoryDisk,
};

use crate::history::StoredRecord;

/// A user's store as last opened.
type Opened = Arc<Mutex<Box<dyn HistoryStore>>>;

#[derive(Debug, Default)]
struct State {
    /// Crash after the next commit that keeps or marks handed a received message.
    armed: bool,
    /// The crash point struck: the app is dead until the host restarts.
    struck: bool,
    /// Not yet seen by the runner.
    crashed: bool,
    /// (app key, user) -> the store as last opened.
    opened: BTreeMap<(String, String), Opened>,
}

/// See the module doc. Clones share the disk.
#[derive(Debug, Clone, Default)]
pub struct ClientDisk {
    disk: MemoryDisk,
    state: Arc<Mutex<State>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ClientDisk {
    /// An empty disk.
    pub fn new() -> ClientDisk {
        ClientDisk::default()
    }

    /// Arms the crash point (until it strikes or the host restarts).
    pub fn arm(&self) {
        locked(&self.state).armed = true;
    }

    /// The host restarts: a crash point that did not strike is disarmed, and the next app
    /// is alive.
    pub fn restart(&self) {
        let mut state = locked(&self.state);
        state.armed = false;
        state.struck = false;
        state.crashed = false;
    }

    /// True once after the crash point struck.
    pub fn take_crashed(&self) -> bool {
        std::mem::take(&mut locked(&self.state).crashed)
    }

    /// True from the moment the crash point struck until the host restarts: the app is dead
    /// and takes no more events.
    pub fn struck(&self) -> bool {
        locked(&self.state).struck
    }

    /// What `user`'s store of `app_key` holds: its messages in message ID order and the
    /// handed IDs in the order handed (empty if the user never logged in on this disk).
    pub fn contents(&self, app_key: &str, user: &str) -> (Vec<StoredRecord>, Vec<u64>) {
        let opened = locked(&self.state)
            .opened
            .get(&(app_key.to_owned(), user.to_owned()))
            .cloned();
        let Some(store) = opened else {
            return (Vec::new(), Vec::new());
        };
        let store = locked(&store);
        let messages = store
            .messages()
            .unwrap_or_default()
            .into_iter()
            .map(|kept| StoredRecord {
                target: kept.target,
                message_id: kept.message.message.message_id,
                sender: kept.message.message.sender_id,
                room: kept.message.message.chat_type == ChatType::Room,
                room_seq: kept.message.message.room_seq,
            })
            .collect();
        (messages, store.handed_ids().unwrap_or_default())
    }
}

impl HistoryDisk for ClientDisk {
    fn open(&self, app_key: &str, user_id: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
        let store: Opened = Arc::new(Mutex::new(self.disk.open(app_key, user_id)?));
        locked(&self.state)
            .opened
            .insert((app_key.to_owned(), user_id.to_owned()), store.clone());
        Ok(Box::new(ClientStore {
            store,
            state: self.state.clone(),
        }))
    }
}

/// One user's store on a client disk.
#[derive(Debug)]
struct ClientStore {
    store: Opened,
    state: Arc<Mutex<State>>,
}

impl HistoryStore for ClientStore {
    fn handed(&self, message_id: u64) -> Result<bool, HistoryError> {
        locked(&self.store).handed(message_id)
    }

    fn saves_room(&self, room_id: &str) -> Result<bool, HistoryError> {
        locked(&self.store).saves_room(room_id)
    }

    fn saved_rooms(&self) -> Result<Vec<String>, HistoryError> {
        locked(&self.store).saved_rooms()
    }

    fn page(
        &self,
        chat_type: ChatType,
        target: &str,
        start_message_id: u64,
        count: usize,
        direction: HistoryDirection,
    ) -> Result<HistorySlice, HistoryError> {
        locked(&self.store).page(chat_type, target, start_message_id, count, direction)
    }

    fn recent_contacts(&self, max: usize) -> Result<Vec<Contact>, HistoryError> {
        locked(&self.store).recent_contacts(max)
    }

    fn messages(&self) -> Result<Vec<Kept>, HistoryError> {
        locked(&self.store).messages()
    }

    fn handed_ids(&self) -> Result<Vec<u64>, HistoryError> {
        locked(&self.store).handed_ids()
    }

    fn commit(&mut self, batch: &HistoryBatch) -> Result<Committed, HistoryError> {
        let committed = locked(&self.store).commit(batch)?;
        let mut state = locked(&self.state);
        if state.armed && !batch.message_ids().is_empty() {
            state.armed = false;
            state.struck = true;
            state.crashed = true;
        }
        Ok(committed)
    }
}
