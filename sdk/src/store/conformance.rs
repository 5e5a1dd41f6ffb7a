//! The same checks against every history store implementation.

use std::path::PathBuf;

use yim_proto::ChatType;

use super::types::*;
use crate::machine::message::{MessageBody, ReceivedMessage};

fn message(id: u64, chat_type: ChatType, sender: &str, receiver: &str) -> HistoryMessage {
    HistoryMessage {
        message: ReceivedMessage {
            message_id: id,
            sender_id: sender.to_owned(),
            receiver_id: receiver.to_owned(),
            chat_type,
            create_time: 1_000 + id,
            room_seq: if chat_type == ChatType::Room { id } else { 0 },
            body: MessageBody::Text {
                content: format!("m{id}"),
                attach: String::new(),
            },
        },
        is_read: sender == "me",
        is_played: false,
        local_path: PathBuf::new(),
    }
}

fn keep(store: &mut dyn HistoryStore, target: &str, kept: HistoryMessage, caps: (usize, usize)) {
    let mut batch = HistoryBatch::new();
    batch.push(HistoryWrite::Keep {
        target: target.to_owned(),
        message: kept,
        max_per_conversation: caps.0,
        max_messages: caps.1,
    });
    store.commit(&batch).unwrap();
}

fn one(store: &mut dyn HistoryStore, write: HistoryWrite) -> Committed {
    let mut batch = HistoryBatch::new();
    batch.push(write);
    store.commit(&batch).unwrap()
}

fn ids(slice: &HistorySlice) -> Vec<u64> {
    slice
        .messages
        .iter()
        .map(|m| m.message.message_id)
        .collect()
}

pub fn check(disk: &dyn HistoryDisk) {
    let mut store = disk.open("app", "me").unwrap();
    let store = store.as_mut();
    let caps = (100, 1000);
    for id in 1..=5 {
        keep(
            store,
            "bob",
            message(id, ChatType::Private, "bob", "me"),
            caps,
        );
    }
    keep(
        store,
        "bob",
        message(6, ChatType::Private, "me", "bob"),
        caps,
    );
    keep(
        store,
        "world",
        message(7, ChatType::Room, "carol", "world"),
        caps,
    );
    keep(
        store,
        "carol",
        message(8, ChatType::Private, "carol", "me"),
        caps,
    );
    // Keeping again changes nothing.
    let mut again = HistoryBatch::new();
    again.push(HistoryWrite::Keep {
        target: "bob".into(),
        message: message(3, ChatType::Private, "bob", "me"),
        max_per_conversation: 100,
        max_messages: 1000,
    });
    assert_eq!(store.commit(&again).unwrap().changed, 0);

    // Pages: newest first chosen, listed oldest first; remain counts what is past the page.
    let newest = store
        .page(ChatType::Private, "bob", 0, 4, HistoryDirection::Older)
        .unwrap();
    assert_eq!((ids(&newest), newest.remain), (vec![3, 4, 5, 6], 2));
    let older = store
        .page(ChatType::Private, "bob", 3, 4, HistoryDirection::Older)
        .unwrap();
    assert_eq!((ids(&older), older.remain), (vec![1, 2], 0));
    let newer = store
        .page(ChatType::Private, "bob", 2, 2, HistoryDirection::Newer)
        .unwrap();
    assert_eq!((ids(&newer), newer.remain), (vec![3, 4], 2));
    let room = store
        .page(ChatType::Room, "world", 0, 10, HistoryDirection::Older)
        .unwrap();
    assert_eq!(ids(&room), vec![7]);
    let none = store
        .page(ChatType::Room, "bob", 0, 10, HistoryDirection::Older)
        .unwrap();
    assert_eq!(none, HistorySlice::default());

    // Contacts: private conversations, newest first, unread counts the other's unread ones.
    let contacts = store.recent_contacts(100).unwrap();
    let summary: Vec<(String, u64, u32)> = contacts
        .iter()
        .map(|c| {
            (
                c.contact_id.clone(),
                c.last_message.message.message_id,
                c.unread,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("carol".to_owned(), 8, 1), ("bob".to_owned(), 6, 5)]
    );
    assert_eq!(store.recent_contacts(1).unwrap().len(), 1);

    // Read marks.
    let read = one(
        store,
        HistoryWrite::SetRead {
            message_id: 1,
            read: true,
        },
    );
    assert_eq!(read.changed, 1);
    let bob_read = one(
        store,
        HistoryWrite::SetAllRead {
            contact_id: Some("bob".into()),
            read: true,
        },
    );
    assert_eq!(
        bob_read.changed, 4,
        "1 was read already, 6 is the user's own"
    );
    let contacts = store.recent_contacts(100).unwrap();
    assert_eq!(contacts[1].unread, 0);
    assert_eq!(contacts[0].unread, 1, "carol's conversation is untouched");
    let all = one(
        store,
        HistoryWrite::SetAllRead {
            contact_id: None,
            read: true,
        },
    );
    assert_eq!(all.changed, 2, "the room message and carol's");

    // Voice fields, and deleting removes the audio.
    let mut voice = message(9, ChatType::Private, "carol", "me");
    voice.message.body = MessageBody::Voice {
        file_size: 1234,
        duration_ms: 2500,
        text: "hello".into(),
        extra_param: "x".into(),
    };
    keep(store, "carol", voice.clone(), caps);
    one(
        store,
        HistoryWrite::SetLocalPath {
            message_id: 9,
            path: PathBuf::from("/tmp/v9.wav"),
        },
    );
    one(
        store,
        HistoryWrite::SetPlayed {
            message_id: 9,
            played: true,
        },
    );
    let kept = store.messages().unwrap();
    let stored_voice = kept.iter().find(|k| k.message.message.message_id == 9);
    assert_eq!(
        stored_voice.map(|k| (
            &k.message.message.body,
            k.message.is_played,
            &k.message.local_path
        )),
        Some((&voice.message.body, true, &PathBuf::from("/tmp/v9.wav")))
    );
    let deleted = one(
        store,
        HistoryWrite::Delete(DeleteHistory::Message { message_id: 9 }),
    );
    assert_eq!(deleted.changed, 1);
    assert_eq!(deleted.removed_audio, vec![PathBuf::from("/tmp/v9.wav")]);

    // Deleting by time (create time 1000 + id) and chat type, then by conversation.
    let by_time = one(
        store,
        HistoryWrite::Delete(DeleteHistory::OlderThan {
            chat_type: ChatType::Private,
            time: 1_003,
        }),
    );
    assert_eq!(by_time.changed, 2, "messages 1 and 2");
    let by_target = one(
        store,
        HistoryWrite::Delete(DeleteHistory::Conversation {
            target_id: "bob".into(),
            chat_type: ChatType::Private,
        }),
    );
    assert_eq!(by_target.changed, 4, "3 to 6");
    let left: Vec<u64> = store
        .messages()
        .unwrap()
        .iter()
        .map(|k| k.message.message.message_id)
        .collect();
    assert_eq!(left, vec![7, 8]);
    let everything = one(
        store,
        HistoryWrite::Delete(DeleteHistory::OlderThan {
            chat_type: ChatType::Unknown,
            time: 0,
        }),
    );
    assert_eq!(everything.changed, 2);

    // Trimming: oldest first, per conversation, then in total.
    for id in 10..=14 {
        keep(
            store,
            "dave",
            message(id, ChatType::Private, "dave", "me"),
            (3, 1000),
        );
    }
    let dave = store
        .page(ChatType::Private, "dave", 0, 100, HistoryDirection::Older)
        .unwrap();
    assert_eq!(ids(&dave), vec![12, 13, 14]);
    keep(
        store,
        "erin",
        message(15, ChatType::Private, "erin", "me"),
        (3, 2),
    );
    let left: Vec<u64> = store
        .messages()
        .unwrap()
        .iter()
        .map(|k| k.message.message.message_id)
        .collect();
    assert_eq!(left, vec![14, 15]);

    // Room switches.
    assert!(!store.saves_room("world").unwrap());
    let on = one(
        store,
        HistoryWrite::RoomSwitch {
            room_id: "world".into(),
            save: true,
        },
    );
    assert_eq!(on.changed, 1);
    assert!(store.saves_room("world").unwrap());
    assert_eq!(store.saved_rooms().unwrap(), vec!["world".to_owned()]);
    one(
        store,
        HistoryWrite::RoomSwitch {
            room_id: "world".into(),
            save: false,
        },
    );
    assert!(!store.saves_room("world").unwrap());

    // Handed IDs: a bounded window, oldest forgotten first.
    for id in [21, 22, 21, 23] {
        one(
            store,
            HistoryWrite::Handed {
                message_id: id,
                max_handed: 2,
            },
        );
    }
    assert!(!store.handed(21).unwrap());
    assert!(store.handed(22).unwrap() && store.handed(23).unwrap());
    assert_eq!(store.handed_ids().unwrap(), vec![22, 23]);

    // A batch is one unit, and what it reports adds up.
    let mut batch = HistoryBatch::new();
    batch.push(HistoryWrite::Keep {
        target: "frank".into(),
        message: message(30, ChatType::Private, "frank", "me"),
        max_per_conversation: 10,
        max_messages: 10,
    });
    batch.push(HistoryWrite::Handed {
        message_id: 30,
        max_handed: 10,
    });
    assert!(batch.needs_sync());
    assert_eq!(batch.message_ids(), vec![30]);
    store.commit(&batch).unwrap();
    assert!(store.handed(30).unwrap());

    // Another user of the same app has a store of its own.
    let other = disk.open("app", "someone_else").unwrap();
    assert!(other.messages().unwrap().is_empty());
    assert!(!other.handed(30).unwrap());
}
