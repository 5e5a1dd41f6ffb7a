//! Room history from the server: members get the room log's messages newest first, paged,
//! their own included; others get NotJoinRoom; the window is the log's.

use yim_proto::wire::{reply, QueryRoomHistory, RoomHistory};
use yim_proto::{ChatType, ErrorCode, FrameBody};

use super::{reply_of, text_of, Harness};

impl Harness {
    fn room_history(
        &mut self,
        conn: super::ConnId,
        room: &str,
        before_seq: u64,
    ) -> (ErrorCode, Option<RoomHistory>) {
        let (code, out) = self.call(conn, |request_id| {
            FrameBody::QueryRoomHistory(QueryRoomHistory {
                request_id,
                room_id: room.into(),
                before_seq,
            })
        });
        let page = match reply_of(&out, conn, self.next_request).detail {
            Some(reply::Detail::RoomHistory(page)) => Some(page),
            _ => None,
        };
        (code, page)
    }
}

fn seqs_and_texts(page: &RoomHistory) -> Vec<(u64, String)> {
    page.messages
        .iter()
        .map(|m| (m.room_seq, text_of(m).to_owned()))
        .collect()
}

#[test]
fn members_get_the_room_log_newest_first_with_their_own_messages() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    let (code, page) = h.room_history(1, "world", 0);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(
        page,
        Some(RoomHistory::default()),
        "an empty room has no history"
    );
    for text in ["one", "two"] {
        h.send_text(1, "world", ChatType::Room, text);
    }
    h.join(2, "world");
    h.send_text(2, "world", ChatType::Room, "three");
    let (_, page) = h.room_history(2, "world", 0);
    let page = page.unwrap();
    assert_eq!(
        seqs_and_texts(&page),
        [(3, "three".into()), (2, "two".into()), (1, "one".into())],
        "newest first, from before the join, the member's own included"
    );
    assert_eq!((page.first_seq, page.last_seq), (1, 3));
    let (_, older) = h.room_history(2, "world", 2);
    assert_eq!(seqs_and_texts(&older.unwrap()), [(1, "one".into())]);
    let (_, none) = h.room_history(2, "world", 1);
    assert!(none.unwrap().messages.is_empty());
}

#[test]
fn the_window_is_the_room_logs_by_count_and_age_and_survives_a_restart() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.join(1, "world");
    for i in 1..=5 {
        h.send_text(1, "world", ChatType::Room, &format!("m{i}"));
    }
    // The test config keeps 3 per room.
    let mut h = h.restart();
    h.logged_in(1, "alice");
    h.join(1, "world");
    let (_, page) = h.room_history(1, "world", 0);
    let page = page.unwrap();
    let seqs: Vec<u64> = page.messages.iter().map(|m| m.room_seq).collect();
    assert_eq!((seqs, page.first_seq, page.last_seq), (vec![5, 4, 3], 3, 5));
    h.now_ms += 601_000;
    h.core.handle_timeout(super::Now::at(h.now_ms));
    h.drain();
    // The idle connection was closed meanwhile: a new one.
    h.logged_in(2, "alice");
    h.join(2, "world");
    let (_, page) = h.room_history(2, "world", 0);
    assert_eq!(
        page,
        Some(RoomHistory {
            messages: Vec::new(),
            first_seq: 0,
            last_seq: 5
        }),
        "older than room_log_max_age_secs: purged, the seq stays"
    );
}

#[test]
fn only_members_are_served_and_room_ids_are_checked() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.send_text(1, "world", ChatType::Room, "secret plans");
    assert_eq!(
        h.room_history(2, "world", 0),
        (ErrorCode::NotJoinRoom, None)
    );
    assert_eq!(h.room_history(2, "", 0).0, ErrorCode::ParamInvalid);
    let long = "r".repeat(256);
    assert_eq!(h.room_history(2, &long, 0).0, ErrorCode::RoomIDTooLong);
    h.join(2, "world");
    h.leave(2, "world");
    assert_eq!(h.room_history(2, "world", 0).0, ErrorCode::NotJoinRoom);
    h.connect(3);
    let (code, _) = h.room_history(3, "world", 0);
    assert_eq!(code, ErrorCode::NotLogin);
}

#[test]
fn a_page_fits_one_frame_and_the_next_page_goes_on_below_it() {
    let mut config = super::config();
    config.limits.room_log_messages = 100;
    let store = crate::store::memory::MemoryStore::new();
    let mut h = Harness {
        core: super::ServerCore::new(&config, Box::new(store.clone()), 7).unwrap(),
        store,
        now_ms: super::T0_MS,
        nonces: Default::default(),
        next_request: 100,
        voice_tokens: Default::default(),
    };
    h.logged_in(1, "alice");
    h.join(1, "world");
    let big = "x".repeat(2000);
    for _ in 0..60 {
        h.send_text(1, "world", ChatType::Room, &big);
    }
    let mut before = 0;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let (code, page) = h.room_history(1, "world", before);
        assert_eq!(code, ErrorCode::Success);
        let page = page.unwrap();
        let frame = yim_proto::Frame::new(FrameBody::Reply(yim_proto::wire::Reply {
            request_id: 1,
            code: 0,
            detail: Some(reply::Detail::RoomHistory(page.clone())),
        }));
        assert!(
            yim_proto::encode_frame(&frame).is_ok(),
            "a page fits a frame"
        );
        let Some(last) = page.messages.last() else {
            break;
        };
        before = last.room_seq;
        seen.extend(page.messages.iter().map(|m| m.room_seq));
        pages += 1;
    }
    assert!(pages > 1, "60 messages of 2 KB take more than one page");
    assert_eq!(seen, (1..=60).rev().collect::<Vec<u64>>());
}

#[test]
fn a_room_send_receipt_carries_the_room_seq() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.join(1, "world");
    for expected in 1..=2 {
        let (code, detail, _) = h.send_text(1, "world", ChatType::Room, "hi");
        assert_eq!(code, ErrorCode::Success);
        let reply::Detail::SendReceipt(receipt) = detail else {
            panic!("a receipt");
        };
        assert_eq!(receipt.room_seq, expected);
    }
    h.logged_in(2, "bob");
    let (_, detail, _) = h.send_text(1, "bob", ChatType::Private, "psst");
    let reply::Detail::SendReceipt(receipt) = detail else {
        panic!("a receipt");
    };
    assert_eq!(receipt.room_seq, 0, "private messages have none");
}
