//! The local history and room history from the server: what is kept and when (before the
//! hand-over and the acknowledgement), once across restarts, the calls' limits and codes, and
//! what a failing store does.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use yim_proto::wire::{self, reply, RoomHistory, SendReceipt};
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody};

use super::*;
use crate::machine::{AudioTask, TimeOrder};
use crate::store::{
    Committed, DeleteHistory, HistoryBatch, HistoryDirection, HistoryDisk, HistoryError,
    HistoryStore, MemoryDisk,
};

fn private_message(message_id: u64, sender: &str, text: &str) -> wire::Message {
    wire::Message {
        message_id,
        sender_id: sender.to_owned(),
        receiver_id: "alice".to_owned(),
        chat_type: ChatType::Private as i32,
        create_time: 1_700_000_000 + message_id,
        room_seq: 0,
        body: Some(wire::Body {
            kind: Some(wire::body::Kind::Text(wire::Text {
                content: text.to_owned(),
                attach: String::new(),
            })),
        }),
    }
}

fn frame(message: wire::Message) -> Frame {
    Frame::new(FrameBody::Message(message))
}

fn room_message(message_id: u64, seq: u64, sender: &str) -> wire::Message {
    match text_message(message_id, sender, "world", &format!("r{message_id}")).body {
        Some(FrameBody::Message(mut message)) => {
            message.room_seq = seq;
            message
        }
        _ => unreachable!("text_message makes a message"),
    }
}

/// A machine on `disk` logged in as alice.
fn on_disk(disk: &Arc<dyn HistoryDisk>) -> ClientMachine {
    let mut m = ClientMachine::with_disk(config(), 1, disk.clone());
    m.init(APP_KEY, APP_SECRET, crate::config::ServerZone::China)
        .unwrap();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    m.handle_frame(0, reply(id, ErrorCode::Success));
    events(&mut m);
    transmits(&mut m);
    actions(&mut m);
    m
}

fn acks(frames: &[Frame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| match &f.body {
            Some(FrameBody::AckMessages(ack)) => Some(ack.up_to_message_id),
            _ => None,
        })
        .collect()
}

fn received_ids(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::RecvMessage(m) => Some(m.message_id),
            _ => None,
        })
        .collect()
}

/// Makes a call that completes at once and returns its one event.
fn completed_at_once(m: &mut ClientMachine, call: Call) -> Event {
    let id = m.handle_call(0, call).unwrap();
    let evs = events(m);
    assert_eq!(evs.len(), 1, "one completion: {evs:?}");
    assert_eq!(evs[0].request_id(), Some(id));
    evs.into_iter().next().unwrap_or(Event::KickOff)
}

fn query(
    m: &mut ClientMachine,
    target: &str,
    chat_type: ChatType,
    start: u64,
    count: u32,
) -> (u32, Vec<u64>) {
    let call = Call::QueryHistoryMessage {
        target_id: target.to_owned(),
        chat_type,
        start_message_id: start,
        count,
        direction: HistoryDirection::Older,
    };
    match completed_at_once(m, call) {
        Event::QueryHistoryMessage {
            code: ErrorCode::Success,
            remain,
            messages,
            ..
        } => (
            remain,
            messages.iter().map(|h| h.message.message_id).collect(),
        ),
        other => panic!("a query's completion: {other:?}"),
    }
}

fn changed(m: &mut ClientMachine, call: Call) -> u32 {
    match completed_at_once(m, call) {
        Event::HistoryChanged {
            code: ErrorCode::Success,
            changed,
            ..
        } => changed,
        other => panic!("a change's completion: {other:?}"),
    }
}

#[test]
fn a_received_private_message_is_kept_then_handed_over_then_acknowledged() {
    let disk: Arc<dyn HistoryDisk> = Arc::new(MemoryDisk::new());
    let mut m = on_disk(&disk);
    m.handle_frame(1, frame(private_message(10, "bob", "hi")));
    assert_eq!(received_ids(&events(&mut m)), vec![10]);
    assert_eq!(acks(&transmits(&mut m)), vec![10]);
    assert_eq!(
        query(&mut m, "bob", ChatType::Private, 0, 10),
        (0, vec![10])
    );
    let store = disk.open(APP_KEY, "alice").unwrap();
    assert!(store.handed(10).unwrap());
}

#[test]
fn a_message_handed_over_before_a_restart_is_never_handed_over_again() {
    let disk: Arc<dyn HistoryDisk> = Arc::new(MemoryDisk::new());
    let mut m = on_disk(&disk);
    m.handle_frame(1, frame(private_message(10, "bob", "hi")));
    events(&mut m);
    // The app dies before the acknowledgement leaves; the new app gets the mail again.
    drop(m);
    let mut m = on_disk(&disk);
    m.handle_frame(1, frame(private_message(10, "bob", "hi")));
    m.handle_frame(1, frame(private_message(11, "bob", "new")));
    assert_eq!(received_ids(&events(&mut m)), vec![11]);
    assert_eq!(
        acks(&transmits(&mut m)),
        vec![11],
        "acknowledged all the same (one cumulative acknowledgement covers both)"
    );
    assert_eq!(
        query(&mut m, "bob", ChatType::Private, 0, 10),
        (0, vec![10, 11])
    );
}

#[test]
fn room_messages_are_kept_only_while_the_rooms_switch_is_on() {
    let mut m = logged_in();
    joined_to(&mut m, "world");
    m.handle_frame(1, frame(room_message(20, 1, "bob")));
    assert_eq!(received_ids(&events(&mut m)), vec![20]);
    assert_eq!(query(&mut m, "world", ChatType::Room, 0, 10), (0, vec![]));
    let on = Call::SetRoomHistoryMessageSwitch {
        room_ids: vec!["world".into()],
        save: true,
    };
    assert_eq!(changed(&mut m, on.clone()), 1);
    assert_eq!(changed(&mut m, on), 0, "on already");
    m.handle_frame(1, frame(room_message(21, 2, "bob")));
    assert_eq!(received_ids(&events(&mut m)), vec![21]);
    assert_eq!(query(&mut m, "world", ChatType::Room, 0, 10), (0, vec![21]));
    assert!(
        acks(&transmits(&mut m)).is_empty(),
        "room messages are not acknowledged"
    );
}

#[test]
fn the_users_own_successful_sends_are_kept_with_their_receipt() {
    let mut m = logged_in();
    joined_to(&mut m, "world");
    let on = Call::SetRoomHistoryMessageSwitch {
        room_ids: vec!["world".into()],
        save: true,
    };
    changed(&mut m, on);
    let id = m.handle_call(0, send_text("world", "gg")).unwrap();
    let receipt = SendReceipt {
        message_id: 30,
        send_time: 1_700_000_555,
        forbid: None,
        room_seq: 7,
    };
    m.handle_frame(
        1,
        reply_with(
            id,
            ErrorCode::Success,
            Some(reply::Detail::SendReceipt(receipt)),
        ),
    );
    let failed = m.handle_call(0, send_text("world", "lost")).unwrap();
    m.handle_frame(1, reply(failed, ErrorCode::ServerError));
    events(&mut m);
    let call = Call::QueryHistoryMessage {
        target_id: "world".into(),
        chat_type: ChatType::Room,
        start_message_id: 0,
        count: 10,
        direction: HistoryDirection::Older,
    };
    let Event::QueryHistoryMessage { messages, .. } = completed_at_once(&mut m, call) else {
        panic!("a query");
    };
    assert_eq!(messages.len(), 1, "only the send that succeeded");
    let kept = &messages[0];
    assert_eq!(
        (
            kept.message.message_id,
            kept.message.sender_id.as_str(),
            kept.message.create_time,
            kept.message.room_seq,
            kept.is_read
        ),
        (30, "alice", 1_700_000_555, 7, true)
    );
    // It counts as handed: the server's history never hands it back, and neither does a
    // message with its ID.
    m.handle_frame(1, frame(room_message(30, 7, "alice")));
    assert!(received_ids(&events(&mut m)).is_empty());
}

#[test]
fn history_calls_check_their_parameters_and_need_a_login() {
    let mut m = machine();
    let query = |count| Call::QueryHistoryMessage {
        target_id: "bob".into(),
        chat_type: ChatType::Private,
        start_message_id: 0,
        count,
        direction: HistoryDirection::Older,
    };
    assert_eq!(m.handle_call(0, query(10)), Err(ErrorCode::NotLogin));
    assert_eq!(
        m.handle_call(0, Call::GetRecentContacts),
        Err(ErrorCode::NotLogin)
    );
    let mut m = logged_in();
    assert_eq!(m.handle_call(0, query(0)), Err(ErrorCode::ParamInvalid));
    assert_eq!(m.handle_call(0, query(101)), Err(ErrorCode::ParamInvalid));
    assert!(m.handle_call(0, query(100)).is_ok());
    let bad_target = |target: &str, chat_type| Call::QueryHistoryMessage {
        target_id: target.into(),
        chat_type,
        start_message_id: 0,
        count: 1,
        direction: HistoryDirection::Newer,
    };
    assert_eq!(
        m.handle_call(0, bad_target("", ChatType::Private)),
        Err(ErrorCode::ReceiverEmpty)
    );
    assert_eq!(
        m.handle_call(0, bad_target("bob", ChatType::Unknown)),
        Err(ErrorCode::InvalidChatType)
    );
    assert_eq!(
        m.handle_call(0, bad_target("b o b", ChatType::Private)),
        Err(ErrorCode::InvalidReceiver)
    );
    assert_eq!(
        m.handle_call(0, bad_target(&"r".repeat(256), ChatType::Room)),
        Err(ErrorCode::RoomIDTooLong)
    );
    let switch = |rooms: Vec<String>| Call::SetRoomHistoryMessageSwitch {
        room_ids: rooms,
        save: true,
    };
    assert_eq!(
        m.handle_call(0, switch(vec![])),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(
        m.handle_call(0, switch(vec!["w w".into()])),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(
        m.handle_call(0, switch((0..33).map(|i| format!("r{i}")).collect())),
        Err(ErrorCode::ParamInvalid)
    );
    let by_id = Call::DeleteHistoryMessage(DeleteHistory::Message { message_id: 0 });
    assert_eq!(m.handle_call(0, by_id), Err(ErrorCode::ParamInvalid));
    let read = Call::SetMessageRead {
        message_id: 0,
        read: true,
    };
    assert_eq!(m.handle_call(0, read), Err(ErrorCode::ParamInvalid));
    let played = Call::SetVoiceMessagePlayed {
        message_id: 0,
        played: true,
    };
    assert_eq!(m.handle_call(0, played), Err(ErrorCode::ParamInvalid));
    let all_read = Call::SetAllMessageRead {
        user_id: "no one!".into(),
        read: true,
    };
    assert_eq!(m.handle_call(0, all_read), Err(ErrorCode::InvalidReceiver));
    let server = |count| Call::QueryRoomHistoryMessageFromServer {
        room_id: "world".into(),
        count,
        order: TimeOrder::Ascending,
    };
    assert_eq!(m.handle_call(0, server(0)), Err(ErrorCode::ParamInvalid));
    assert_eq!(m.handle_call(0, server(201)), Err(ErrorCode::ParamInvalid));
    assert!(m.handle_call(0, server(200)).is_ok());
    events(&mut m);
    // At most 1024 rooms are kept.
    for chunk in 0..32 {
        let rooms = (0..32).map(|i| format!("r{chunk}_{i}")).collect();
        assert_eq!(changed(&mut m, switch(rooms)), 32);
    }
    let Event::HistoryChanged { code, .. } =
        completed_at_once(&mut m, switch(vec!["one_more".into()]))
    else {
        panic!("a change");
    };
    assert_eq!(code, ErrorCode::StatusError);
}

#[test]
fn pages_contacts_read_marks_and_deletes() {
    let mut m = logged_in();
    for id in 1..=5 {
        m.handle_frame(1, frame(private_message(id, "bob", "b")));
    }
    m.handle_frame(1, frame(private_message(6, "carol", "c")));
    events(&mut m);
    assert_eq!(
        query(&mut m, "bob", ChatType::Private, 0, 2),
        (3, vec![4, 5])
    );
    assert_eq!(
        query(&mut m, "bob", ChatType::Private, 4, 2),
        (1, vec![2, 3])
    );
    let Event::RecentContacts { contacts, .. } = completed_at_once(&mut m, Call::GetRecentContacts)
    else {
        panic!("contacts");
    };
    let summary: Vec<_> = contacts
        .iter()
        .map(|c| (c.contact_id.as_str(), c.unread))
        .collect();
    assert_eq!(summary, vec![("carol", 1), ("bob", 5)]);
    assert_eq!(
        changed(
            &mut m,
            Call::SetMessageRead {
                message_id: 1,
                read: true
            }
        ),
        1
    );
    let bob = Call::SetAllMessageRead {
        user_id: "bob".into(),
        read: true,
    };
    assert_eq!(changed(&mut m, bob), 4);
    let everyone = Call::SetAllMessageRead {
        user_id: String::new(),
        read: true,
    };
    assert_eq!(changed(&mut m, everyone), 1);
    let by_id = Call::DeleteHistoryMessage(DeleteHistory::Message { message_id: 5 });
    assert_eq!(changed(&mut m, by_id), 1);
    let by_time = Call::DeleteHistoryMessage(DeleteHistory::OlderThan {
        chat_type: ChatType::Private,
        time: 1_700_000_003,
    });
    assert_eq!(changed(&mut m, by_time), 2, "1 and 2 were created before");
    let by_target = Call::DeleteHistoryMessage(DeleteHistory::Conversation {
        target_id: "carol".into(),
        chat_type: ChatType::Private,
    });
    assert_eq!(changed(&mut m, by_target), 1);
    assert_eq!(
        query(&mut m, "bob", ChatType::Private, 0, 10),
        (0, vec![3, 4])
    );
    // Deleted messages stay handed: sent again, they are not handed over again.
    m.handle_frame(1, frame(private_message(5, "bob", "b")));
    assert!(received_ids(&events(&mut m)).is_empty());
}

#[test]
fn a_downloaded_voice_message_remembers_its_file_and_deleting_it_deletes_the_file() {
    let mut m = logged_in();
    let mut voice = private_message(40, "bob", "");
    voice.body = Some(wire::Body {
        kind: Some(wire::body::Kind::Voice(wire::Voice {
            audio_id: 40,
            file_size: 3,
            duration_ms: 1500,
            text: "hello".into(),
            extra_param: "x".into(),
            upload_key: 0,
            download_token: 0,
        })),
    });
    m.handle_frame(1, frame(voice));
    events(&mut m);
    transmits(&mut m);
    let path = PathBuf::from("/tmp/yim-test-v40.wav");
    let download = m
        .handle_call(
            1,
            Call::DownloadAudio {
                message_id: 40,
                save_path: path.clone(),
            },
        )
        .unwrap();
    transmits(&mut m);
    let chunk = reply::Detail::AudioChunk(wire::AudioChunk {
        total_size: 3,
        offset: 0,
        data: vec![1, 2, 3],
    });
    m.handle_frame(2, reply_with(download, ErrorCode::Success, Some(chunk)));
    assert!(matches!(m.poll_audio(), Some(AudioTask::SaveAudio { .. })));
    m.handle_saved(download, ErrorCode::Success);
    events(&mut m);
    assert_eq!(
        changed(
            &mut m,
            Call::SetVoiceMessagePlayed {
                message_id: 40,
                played: true
            }
        ),
        1
    );
    let call = Call::QueryHistoryMessage {
        target_id: "bob".into(),
        chat_type: ChatType::Private,
        start_message_id: 0,
        count: 1,
        direction: HistoryDirection::Older,
    };
    let Event::QueryHistoryMessage { messages, .. } = completed_at_once(&mut m, call) else {
        panic!("a query");
    };
    assert_eq!(
        (messages[0].is_played, &messages[0].local_path),
        (true, &path)
    );
    let delete = Call::DeleteHistoryMessage(DeleteHistory::Message { message_id: 40 });
    assert_eq!(changed(&mut m, delete), 1);
    assert_eq!(m.poll_audio(), Some(AudioTask::DeleteFile { path }));
}

fn history_page(
    request_id: RequestId,
    messages: Vec<wire::Message>,
    first_seq: u64,
    last_seq: u64,
) -> Frame {
    reply_with(
        request_id,
        ErrorCode::Success,
        Some(reply::Detail::RoomHistory(RoomHistory {
            messages,
            first_seq,
            last_seq,
        })),
    )
}

fn before_seq(frames: &[Frame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| match &f.body {
            Some(FrameBody::QueryRoomHistory(q)) => Some(q.before_seq),
            _ => None,
        })
        .collect()
}

#[test]
fn room_history_from_the_server_pages_and_hands_over_only_what_the_app_never_had() {
    let mut m = logged_in();
    joined_to(&mut m, "world");
    // Delivered live: seq 5.
    m.handle_frame(1, frame(room_message(105, 5, "bob")));
    events(&mut m);
    let call = |count| Call::QueryRoomHistoryMessageFromServer {
        room_id: "world".into(),
        count,
        order: TimeOrder::Ascending,
    };
    let id = m.handle_call(2, call(2)).unwrap();
    assert_eq!(before_seq(&transmits(&mut m)), vec![0]);
    // Two pages, newest first; the second repeats seq 3, which is dropped.
    let page1 = vec![
        room_message(105, 5, "bob"),
        room_message(104, 4, "carol"),
        room_message(103, 3, "bob"),
    ];
    m.handle_frame(3, history_page(id, page1, 1, 5));
    assert_eq!(
        before_seq(&transmits(&mut m)),
        vec![3],
        "the next page below 3"
    );
    assert!(events(&mut m).is_empty());
    let page2 = vec![
        room_message(103, 3, "bob"),
        room_message(102, 2, "bob"),
        room_message(101, 1, "dave"),
    ];
    m.handle_frame(4, history_page(id, page2, 1, 5));
    let evs = events(&mut m);
    let [Event::RoomHistoryFromServer {
        code,
        remain,
        messages,
        ..
    }] = evs.as_slice()
    else {
        panic!("one completion: {evs:?}");
    };
    let ids: Vec<u64> = messages.iter().map(|m| m.message_id).collect();
    assert_eq!(
        (*code, *remain, ids),
        (ErrorCode::Success, 2, vec![103, 104]),
        "newest two not had, oldest first"
    );
    // The next call goes on with the older ones, newest first this time.
    let id = m
        .handle_call(
            5,
            Call::QueryRoomHistoryMessageFromServer {
                room_id: "world".into(),
                count: 10,
                order: TimeOrder::Descending,
            },
        )
        .unwrap();
    transmits(&mut m);
    let all = (1..=5)
        .rev()
        .map(|seq| room_message(100 + seq, seq, "bob"))
        .collect();
    m.handle_frame(6, history_page(id, all, 1, 5));
    let evs = events(&mut m);
    let [Event::RoomHistoryFromServer {
        remain, messages, ..
    }] = evs.as_slice()
    else {
        panic!("one completion: {evs:?}");
    };
    let ids: Vec<u64> = messages.iter().map(|m| m.message_id).collect();
    assert_eq!((*remain, ids), (0, vec![102, 101]));
    // A replayed or redelivered copy of any of them is not handed over again.
    m.handle_frame(7, frame(room_message(104, 4, "carol")));
    assert!(received_ids(&events(&mut m)).is_empty());
}

#[test]
fn room_history_refusals_and_failures_complete_once_with_the_code() {
    let mut m = logged_in();
    let id = m
        .handle_call(
            0,
            Call::QueryRoomHistoryMessageFromServer {
                room_id: "world".into(),
                count: 5,
                order: TimeOrder::Ascending,
            },
        )
        .unwrap();
    m.handle_frame(1, reply(id, ErrorCode::NotJoinRoom));
    let evs = events(&mut m);
    assert!(matches!(
        evs.as_slice(),
        [Event::RoomHistoryFromServer { code: ErrorCode::NotJoinRoom, messages, .. }] if messages.is_empty()
    ));
    let id = m
        .handle_call(
            0,
            Call::QueryRoomHistoryMessageFromServer {
                room_id: "world".into(),
                count: 5,
                order: TimeOrder::Ascending,
            },
        )
        .unwrap();
    m.handle_timeout(config().request_timeout_ms + 1);
    let evs = events(&mut m);
    assert_eq!(completed(&evs), vec![Some(id)]);
    assert_eq!(evs[0].code(), Some(ErrorCode::TimeOut));
}

/// A disk whose stores fail every commit while `failing` is set.
#[derive(Debug, Default, Clone)]
struct FailingDisk {
    inner: MemoryDisk,
    failing: Arc<Mutex<bool>>,
    refuse_open: bool,
}

#[derive(Debug)]
struct FailingStore {
    inner: Box<dyn HistoryStore>,
    failing: Arc<Mutex<bool>>,
}

impl HistoryDisk for FailingDisk {
    fn open(&self, app_key: &str, user_id: &str) -> Result<Box<dyn HistoryStore>, HistoryError> {
        if self.refuse_open {
            return Err(HistoryError::Directory("read-only file system".into()));
        }
        Ok(Box::new(FailingStore {
            inner: self.inner.open(app_key, user_id)?,
            failing: self.failing.clone(),
        }))
    }
}

impl HistoryStore for FailingStore {
    fn handed(&self, message_id: u64) -> Result<bool, HistoryError> {
        self.inner.handed(message_id)
    }
    fn saves_room(&self, room_id: &str) -> Result<bool, HistoryError> {
        self.inner.saves_room(room_id)
    }
    fn saved_rooms(&self) -> Result<Vec<String>, HistoryError> {
        self.inner.saved_rooms()
    }
    fn page(
        &self,
        chat_type: ChatType,
        target: &str,
        start: u64,
        count: usize,
        direction: HistoryDirection,
    ) -> Result<crate::store::HistorySlice, HistoryError> {
        self.inner.page(chat_type, target, start, count, direction)
    }
    fn recent_contacts(&self, max: usize) -> Result<Vec<crate::store::Contact>, HistoryError> {
        self.inner.recent_contacts(max)
    }
    fn messages(&self) -> Result<Vec<crate::store::Kept>, HistoryError> {
        self.inner.messages()
    }
    fn handed_ids(&self) -> Result<Vec<u64>, HistoryError> {
        self.inner.handed_ids()
    }
    fn commit(&mut self, batch: &HistoryBatch) -> Result<Committed, HistoryError> {
        if *self.failing.lock().unwrap() {
            return Err(HistoryError::Failed("disk full".into()));
        }
        self.inner.commit(batch)
    }
}

#[test]
fn a_failing_store_hands_nothing_over_acknowledges_nothing_and_reconnects() {
    let failing = FailingDisk::default();
    let disk: Arc<dyn HistoryDisk> = Arc::new(failing.clone());
    let mut m = on_disk(&disk);
    *failing.failing.lock().unwrap() = true;
    m.handle_frame(1, frame(private_message(10, "bob", "hi")));
    assert_eq!(events(&mut m), vec![Event::StartReconnect]);
    assert!(acks(&transmits(&mut m)).is_empty());
    assert_closed_because(&mut m, "local store failed");
    // The disk recovers; after the resume the server sends the mail again.
    *failing.failing.lock().unwrap() = false;
    resume(&mut m);
    transmits(&mut m);
    m.handle_frame(9_000, frame(private_message(10, "bob", "hi")));
    assert_eq!(received_ids(&events(&mut m)), vec![10]);
    assert_eq!(acks(&transmits(&mut m)), vec![10]);
}

#[test]
fn a_store_that_cannot_be_opened_refuses_the_login() {
    let disk: Arc<dyn HistoryDisk> = Arc::new(FailingDisk {
        refuse_open: true,
        ..FailingDisk::default()
    });
    let mut m = ClientMachine::with_disk(config(), 1, disk);
    m.init(APP_KEY, APP_SECRET, crate::config::ServerZone::China)
        .unwrap();
    assert_eq!(
        m.handle_call(0, login_call("alice")),
        Err(ErrorCode::CreateDirectoryFailed)
    );
    assert_eq!(m.state(), State::LoggedOut);
    assert_quiet(&mut m);
}
