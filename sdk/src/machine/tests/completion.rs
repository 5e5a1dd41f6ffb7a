//! Every accepted call completes exactly once: by its reply, by `TimeOut`, or by `NetError`
//! when the connection ends first; and logout's own rules.

use yim_proto::wire::{reply, Forbid, SendReceipt};
use yim_proto::{ErrorCode, FrameBody};

use super::*;
use crate::machine::{ForbidReason, SendStatus};

#[test]
fn replies_complete_the_calls_they_name_in_any_order() {
    let mut m = logged_in();
    let join_world = m.handle_call(1, join("world")).unwrap();
    let join_guild = m.handle_call(1, join("guild")).unwrap();
    let count = m
        .handle_call(
            1,
            Call::GetRoomMemberCount {
                room_id: "world".to_owned(),
            },
        )
        .unwrap();
    let sent = transmits(&mut m);
    assert_eq!(sent.len(), 3);
    assert!(
        matches!(&sent[0].body, Some(FrameBody::JoinRoom(j)) if j.room_id == "world" && j.request_id == join_world.get())
    );
    assert!(
        matches!(&sent[2].body, Some(FrameBody::GetRoomMemberCount(c)) if c.room_id == "world")
    );

    m.handle_frame(
        2,
        reply_with(
            count,
            ErrorCode::Success,
            Some(reply::Detail::MemberCount(42)),
        ),
    );
    m.handle_frame(2, reply(join_guild, ErrorCode::ChannelMemberOverflow));
    m.handle_frame(2, reply(join_world, ErrorCode::Success));
    assert_eq!(
        events(&mut m),
        vec![
            Event::RoomMemberCount {
                request_id: count,
                code: ErrorCode::Success,
                room_id: "world".to_owned(),
                count: 42
            },
            Event::JoinChatRoom {
                request_id: join_guild,
                code: ErrorCode::ChannelMemberOverflow,
                room_id: "guild".to_owned()
            },
            Event::JoinChatRoom {
                request_id: join_world,
                code: ErrorCode::Success,
                room_id: "world".to_owned()
            },
        ]
    );
    let rooms: Vec<_> = m.joined_rooms().iter().cloned().collect();
    assert_eq!(
        rooms,
        vec!["world".to_owned()],
        "only successful joins count"
    );
    // A second reply for the same call is ignored.
    m.handle_frame(3, reply(join_world, ErrorCode::Success));
    assert_eq!(events(&mut m), vec![]);
}

#[test]
fn rooms_are_tracked_through_join_leave_and_leave_all() {
    let mut m = logged_in();
    for room in ["a", "b", "c"] {
        let id = m.handle_call(0, join(room)).unwrap();
        m.handle_frame(0, reply(id, ErrorCode::Success));
    }
    let leave = m
        .handle_call(
            0,
            Call::LeaveChatRoom {
                room_id: "b".to_owned(),
            },
        )
        .unwrap();
    m.handle_frame(0, reply(leave, ErrorCode::Success));
    let rooms: Vec<_> = m.joined_rooms().iter().cloned().collect();
    assert_eq!(rooms, vec!["a".to_owned(), "c".to_owned()]);
    let all = m.handle_call(0, Call::LeaveAllChatRooms).unwrap();
    m.handle_frame(0, reply(all, ErrorCode::Success));
    assert!(m.joined_rooms().is_empty());
    let evs = events(&mut m);
    assert_eq!(
        evs.last(),
        Some(&Event::LeaveAllChatRooms {
            request_id: all,
            code: ErrorCode::Success
        })
    );
}

fn receipt(forbid: Option<Forbid>) -> Option<reply::Detail> {
    Some(reply::Detail::SendReceipt(SendReceipt {
        message_id: 17,
        send_time: 1_700_000_123,
        forbid,
        room_seq: 0,
    }))
}

#[test]
fn send_status_carries_the_receipt_and_forbid_fields_only_when_muted() {
    let mut m = logged_in();
    let ok = m.handle_call(0, send_text("world", "hi")).unwrap();
    let muted = m.handle_call(0, send_text("world", "hi")).unwrap();
    let odd = m.handle_call(0, send_text("world", "hi")).unwrap();
    let forbid = Forbid {
        is_forbid_room: true,
        reason: 3,
        end_time: 1_800_000_000,
    };
    m.handle_frame(1, reply_with(ok, ErrorCode::Success, receipt(None)));
    m.handle_frame(
        1,
        reply_with(muted, ErrorCode::ForbiddenSpeak, receipt(Some(forbid))),
    );
    // Forbid fields on another code mean nothing and are not passed on.
    m.handle_frame(
        1,
        reply_with(odd, ErrorCode::UnknowError, receipt(Some(forbid))),
    );
    assert_eq!(
        events(&mut m),
        vec![
            Event::SendMessageStatus(SendStatus {
                request_id: ok,
                code: ErrorCode::Success,
                send_time: 1_700_000_123,
                forbid: None,
                message_id: 17
            }),
            Event::SendMessageStatus(SendStatus {
                request_id: muted,
                code: ErrorCode::ForbiddenSpeak,
                send_time: 1_700_000_123,
                forbid: Some(crate::machine::Forbid {
                    whole_room: true,
                    reason: ForbidReason::Politics,
                    end_time: 1_800_000_000,
                }),
                message_id: 17
            }),
            Event::SendMessageStatus(SendStatus {
                request_id: odd,
                code: ErrorCode::UnknowError,
                send_time: 1_700_000_123,
                forbid: None,
                message_id: 17
            }),
        ]
    );
}

#[test]
fn a_call_without_a_reply_times_out_exactly_once_and_its_late_reply_is_ignored() {
    let mut m = logged_in();
    let early = m.handle_call(1_000, send_text("world", "a")).unwrap();
    let later = m.handle_call(4_000, join("world")).unwrap();
    transmits(&mut m);
    assert_eq!(m.poll_timeout(), Some(11_000));
    m.handle_timeout(10_999);
    assert_quiet(&mut m);
    m.handle_timeout(11_000);
    assert_eq!(
        events(&mut m),
        vec![Event::SendMessageStatus(SendStatus {
            request_id: early,
            code: ErrorCode::TimeOut,
            send_time: 0,
            forbid: None,
            message_id: 0
        })]
    );
    m.handle_timeout(11_001);
    m.handle_frame(11_002, reply(early, ErrorCode::Success));
    assert_eq!(
        events(&mut m),
        vec![],
        "late reply ignored, no second time-out"
    );
    assert_eq!(
        m.state(),
        State::LoggedIn,
        "a time-out does not end the session"
    );
    m.handle_frame(11_003, reply(later, ErrorCode::Success));
    assert_eq!(
        events(&mut m),
        vec![Event::JoinChatRoom {
            request_id: later,
            code: ErrorCode::Success,
            room_id: "world".to_owned()
        }]
    );
    m.handle_timeout(14_000);
    assert_eq!(events(&mut m), vec![]);
    assert!(matches!(transmits(&mut m).as_slice(), [f] if f.kind() == "Ping"));
}

#[test]
fn disconnect_completes_every_pending_call_once_then_logs_out() {
    let mut m = logged_in_with(config_without_reconnect());
    let joined = m.handle_call(0, join("world")).unwrap();
    m.handle_frame(0, reply(joined, ErrorCode::Success));
    events(&mut m);
    let ids: Vec<_> = (0..5)
        .map(|i| m.handle_call(i, send_text("world", "x")).unwrap())
        .collect();
    let count = m
        .handle_call(
            5,
            Call::GetRoomMemberCount {
                room_id: "world".to_owned(),
            },
        )
        .unwrap();
    m.handle_disconnect(6);
    let evs = events(&mut m);
    assert_eq!(evs.len(), 7);
    for (event, id) in evs.iter().zip(&ids) {
        assert_eq!(event.request_id(), Some(*id));
        assert_eq!(event.code(), Some(ErrorCode::NetError));
    }
    assert_eq!(
        evs[5],
        Event::RoomMemberCount {
            request_id: count,
            code: ErrorCode::NetError,
            room_id: "world".to_owned(),
            count: 0
        }
    );
    assert_eq!(
        evs[6],
        Event::Logout {
            request_id: None,
            code: ErrorCode::NetError
        }
    );
    assert_eq!(m.state(), State::LoggedOut);
    assert!(m.joined_rooms().is_empty());
    assert_eq!(actions(&mut m), vec![]);
    assert_eq!(m.poll_timeout(), None);
    // Nothing more, whatever happens next.
    m.handle_disconnect(7);
    m.handle_frame(8, reply(ids[0], ErrorCode::Success));
    m.handle_timeout(1_000_000);
    assert_quiet(&mut m);
    assert_eq!(
        m.handle_call(9, send_text("world", "x")),
        Err(ErrorCode::NotLogin)
    );
}

#[test]
fn logout_completes_on_its_reply_after_the_other_pending_calls() {
    let mut m = logged_in();
    let send = m.handle_call(0, send_text("world", "x")).unwrap();
    let logout = m.handle_call(1, Call::Logout).unwrap();
    assert_eq!(m.state(), State::LoggingOut);
    let sent = transmits(&mut m);
    assert!(matches!(&sent[1].body, Some(FrameBody::Logout(l)) if l.request_id == logout.get()));
    assert_eq!(
        m.handle_call(2, send_text("world", "y")),
        Err(ErrorCode::NotLogin)
    );
    assert_eq!(m.handle_call(2, Call::Logout), Err(ErrorCode::StatusError));
    assert_eq!(
        m.handle_call(2, login_call("alice")),
        Err(ErrorCode::StatusError)
    );
    m.handle_frame(3, reply(logout, ErrorCode::Success));
    assert_eq!(
        events(&mut m),
        vec![
            Event::SendMessageStatus(SendStatus {
                request_id: send,
                code: ErrorCode::NetError,
                send_time: 0,
                forbid: None,
                message_id: 0
            }),
            Event::Logout {
                request_id: Some(logout),
                code: ErrorCode::Success
            },
        ]
    );
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
    m.handle_disconnect(4);
    assert_quiet(&mut m);
    // Logout then login: a new session.
    assert!(m.handle_call(5, login_call("bob")).is_ok());
}

#[test]
fn logout_succeeds_when_the_connection_ends_first_or_the_reply_never_comes() {
    let mut m = logged_in();
    let logout = m.handle_call(0, Call::Logout).unwrap();
    m.handle_disconnect(1);
    assert_eq!(
        events(&mut m),
        vec![Event::Logout {
            request_id: Some(logout),
            code: ErrorCode::Success
        }],
        "no unsolicited logout after a requested one"
    );

    let mut m = logged_in();
    let logout = m.handle_call(0, Call::Logout).unwrap();
    m.handle_timeout(10_000);
    assert_eq!(
        events(&mut m),
        vec![Event::Logout {
            request_id: Some(logout),
            code: ErrorCode::Success
        }]
    );
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
}
