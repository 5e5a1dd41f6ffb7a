//! [`MemoryDisk`]: history stores in memory. The SDK's default when the game gives no
//! directory (nothing survives the process); clones share the stores, so a handle kept by the
//! simulator outlives the app that used it, as a disk would.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use yim_hooks::planted::{self, Bug};
use yim_proto::ChatType;

use super::types::{
    Committed, Contact, HistoryBatch, HistoryDirection, HistoryDisk, HistoryError, HistoryMessage,
    HistorySlice, HistoryStore, HistoryWrite, Kept,
};

/// (chat type number, target): a conversation.
type Conversation = (u32, String);

/// One user's data.
#[derive(Debug, Clone, Default)]
struct Data {
    /// message ID -> (target, message)
    messages: BTreeMap<u64, (String, HistoryMessage)>,
    conversations: BTreeMap<Conversation, BTreeSet<u64>>,
    handed: BTreeSet<u64>,
    /// The same IDs in the order handed, for forgetting the oldest.
    handed_order: VecDeque<u64>,
    rooms: BTreeSet<String>,
}

fn conversation(chat_type: ChatType, target: &str) -> Conversation {
    (chat_type as u32, target.to_owned())
}

impl Data {
    fn remove(&mut self, message_id: u64, committed: &mut Committed) {
        let Some((target, message)) = self.messages.remove(&message_id) else {
            return;
        };
        let key = conversation(message.message.chat_type, &target);
        if let Some(ids) = self.conversations.get_mut(&key) {
            ids.remove(&message_id);
            if ids.is_empty() {
                self.conversations.remove(&key);
            }
        }
        if !message.local_path.as_os_str().is_empty() {
            committed.removed_audio.push(message.local_path);
        }
        committed.changed += 1;
    }

    fn keep(
        &mut self,
        target: &str,
        message: &HistoryMessage,
        max_per_conversation: usize,
        max_messages: usize,
        committed: &mut Committed,
    ) {
        let id = message.message.message_id;
        if self.messages.contains_key(&id) {
            return;
        }
        let key = conversation(message.message.chat_type, target);
        self.messages
            .insert(id, (target.to_owned(), message.clone()));
        self.conversations
            .entry(key.clone())
            .or_default()
            .insert(id);
        committed.changed += 1;
        let newest_first = planted::active(Bug::TrimNewestFirst);
        while self.conversations.get(&key).map_or(0, BTreeSet::len) > max_per_conversation {
            let ids = self.conversations.get(&key);
            let victim = if newest_first {
                ids.and_then(|ids| ids.last().copied())
            } else {
                ids.and_then(|ids| ids.first().copied())
            };
            let Some(victim) = victim else { break };
            self.remove(victim, committed);
        }
        while self.messages.len() > max_messages {
            let victim = if newest_first {
                self.messages.keys().next_back().copied()
            } else {
                self.messages.keys().next().copied()
            };
            let Some(victim) = victim else { break };
            self.remove(victim, committed);
        }
    }

    fn apply(&mut self, write: &HistoryWrite, committed: &mut Committed) {
        match write {
            HistoryWrite::Keep {
                target,
                message,
                max_per_conversation,
                max_messages,
            } => self.keep(
                target,
                message,
                *max_per_conversation,
                *max_messages,
                committed,
            ),
            HistoryWrite::Handed {
                message_id,
                max_handed,
            } => {
                if self.handed.insert(*message_id) {
                    self.handed_order.push_back(*message_id);
                }
                while self.handed_order.len() > (*max_handed).max(1) {
                    if let Some(oldest) = self.handed_order.pop_front() {
                        self.handed.remove(&oldest);
                    }
                }
            }
            HistoryWrite::RoomSwitch { room_id, save } => {
                let changed = if *save {
                    self.rooms.insert(room_id.clone())
                } else {
                    self.rooms.remove(room_id)
                };
                committed.changed += u32::from(changed);
            }
            HistoryWrite::Delete(delete) => {
                let doomed: Vec<u64> = self
                    .messages
                    .iter()
                    .filter(|(_, (target, kept))| delete.matches(target, &kept.message))
                    .map(|(id, _)| *id)
                    .collect();
                for id in doomed {
                    self.remove(id, committed);
                }
            }
            HistoryWrite::SetRead { message_id, read } => {
                if let Some((_, kept)) = self.messages.get_mut(message_id) {
                    if kept.is_read != *read {
                        kept.is_read = *read;
                        committed.changed += 1;
                    }
                }
            }
            HistoryWrite::SetAllRead { contact_id, read } => {
                for (target, kept) in self.messages.values_mut() {
                    let in_scope = match contact_id {
                        None => true,
                        Some(contact) => {
                            kept.message.chat_type == ChatType::Private && target == contact
                        }
                    };
                    if in_scope && kept.is_read != *read {
                        kept.is_read = *read;
                        committed.changed += 1;
                    }
                }
            }
            HistoryWrite::SetPlayed { message_id, played } => {
                if let Some((_, kept)) = self.messages.get_mut(message_id) {
                    if kept.is_played != *played {
                        kept.is_played = *played;
                        committed.changed += 1;
                    }
                }
            }
            HistoryWrite::SetLocalPath { message_id, path } => {
                if let Some((_, kept)) = self.messages.get_mut(message_id) {
                    if kept.local_path != *path {
                        kept.local_path = path.clone();
                        committed.changed += 1;
                    }
                }
            }
        }
    }
}

/// Shared handle on one user's data.
type Shared = Arc<Mutex<Data>>;

fn locked(data: &Shared) -> MutexGuard<'_, Data> {
    data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// See the module doc. Clones share every store.
#[derive(Debug, Clone, Default)]
pub struct MemoryDisk {
    stores: Arc<Mutex<BTreeMap<(String, String), Shared>>>,
}

impl MemoryDisk {
    /// An empty disk.
    pub fn new() -> MemoryDisk {
        MemoryDisk::default()
    }
}

impl HistoryDisk for MemoryDisk {
    fn open(&self, app_key: &str, user_id: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
        let mut stores = self
            .stores
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let data = stores
            .entry((app_key.to_owned(), user_id.to_owned()))
            .or_default()
            .clone();
        if planted::active(Bug::ForgetHandedOnRestart) {
            // The bug: the handed IDs are kept for the life of one opening only.
            let mut data = locked(&data);
            data.handed.clear();
            data.handed_order.clear();
        }
        Ok(Box::new(MemoryStore { data }))
    }
}

/// One user's store in memory.
#[derive(Debug)]
struct MemoryStore {
    data: Shared,
}

impl HistoryStore for MemoryStore {
    fn handed(&self, message_id: u64) -> Result<bool, HistoryError> {
        Ok(locked(&self.data).handed.contains(&message_id))
    }

    fn saves_room(&self, room_id: &str) -> Result<bool, HistoryError> {
        Ok(locked(&self.data).rooms.contains(room_id))
    }

    fn saved_rooms(&self) -> Result<Vec<String>, HistoryError> {
        Ok(locked(&self.data).rooms.iter().cloned().collect())
    }

    fn page(
        &self,
        chat_type: ChatType,
        target: &str,
        start_message_id: u64,
        count: usize,
        direction: HistoryDirection,
    ) -> Result<HistorySlice, HistoryError> {
        let data = locked(&self.data);
        let Some(ids) = data.conversations.get(&conversation(chat_type, target)) else {
            return Ok(HistorySlice::default());
        };
        let (chosen, rest): (Vec<u64>, usize) = if start_message_id == 0 {
            let chosen: Vec<u64> = ids.iter().rev().take(count).copied().collect();
            (chosen, ids.len().saturating_sub(count))
        } else {
            match direction {
                HistoryDirection::Older => {
                    let older = ids.range(..start_message_id);
                    let total = older.clone().count();
                    (
                        older.rev().take(count).copied().collect(),
                        total.saturating_sub(count),
                    )
                }
                HistoryDirection::Newer => {
                    let newer = ids.range(start_message_id.saturating_add(1)..);
                    let total = newer.clone().count();
                    (
                        newer.take(count).copied().collect(),
                        total.saturating_sub(count),
                    )
                }
            }
        };
        let mut chosen = chosen;
        chosen.sort_unstable();
        let messages = chosen
            .iter()
            .filter_map(|id| data.messages.get(id).map(|(_, m)| m.clone()))
            .collect();
        Ok(HistorySlice {
            messages,
            remain: u32::try_from(rest).unwrap_or(u32::MAX),
        })
    }

    fn recent_contacts(&self, max: usize) -> Result<Vec<Contact>, HistoryError> {
        let data = locked(&self.data);
        let mut contacts: Vec<Contact> = data
            .conversations
            .iter()
            .filter(|((chat_type, _), _)| *chat_type == ChatType::Private as u32)
            .filter_map(|((_, target), ids)| {
                let last = ids.last()?;
                let (_, last_message) = data.messages.get(last)?;
                let unread = ids
                    .iter()
                    .filter_map(|id| data.messages.get(id))
                    .filter(|(_, m)| !m.is_read && m.message.sender_id == *target)
                    .count();
                Some(Contact {
                    contact_id: target.clone(),
                    last_message: last_message.clone(),
                    unread: u32::try_from(unread).unwrap_or(u32::MAX),
                })
            })
            .collect();
        contacts.sort_by(|a, b| {
            b.last_message
                .message
                .message_id
                .cmp(&a.last_message.message.message_id)
        });
        contacts.truncate(max);
        Ok(contacts)
    }

    fn messages(&self) -> Result<Vec<Kept>, HistoryError> {
        Ok(locked(&self.data)
            .messages
            .values()
            .map(|(target, message)| Kept {
                target: target.clone(),
                message: message.clone(),
            })
            .collect())
    }

    fn handed_ids(&self) -> Result<Vec<u64>, HistoryError> {
        Ok(locked(&self.data).handed_order.iter().copied().collect())
    }

    fn commit(&mut self, batch: &HistoryBatch) -> Result<Committed, HistoryError> {
        // Nothing here can fail, so applying in order is all or nothing.
        let mut data = locked(&self.data);
        let mut committed = Committed::default();
        for write in batch.writes() {
            data.apply(write, &mut committed);
        }
        Ok(committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conforms() {
        super::super::conformance::check(&MemoryDisk::new());
    }

    #[test]
    fn clones_share_the_stores_and_users_are_apart() {
        let disk = MemoryDisk::new();
        let mut alice = disk.open("app", "alice").unwrap();
        let mut batch = HistoryBatch::new();
        batch.push(HistoryWrite::Handed {
            message_id: 7,
            max_handed: 10,
        });
        alice.commit(&batch).unwrap();
        let again = disk.clone().open("app", "alice").unwrap();
        assert!(again.handed(7).unwrap());
        assert!(!disk.open("app", "bob").unwrap().handed(7).unwrap());
        assert!(!disk.open("other_app", "alice").unwrap().handed(7).unwrap());
    }
}
