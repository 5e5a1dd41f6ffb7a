//! Reconnect: start, attempts with backoff and jitter, resume (rooms re-joined with replay,
//! waiting calls sent again with their keys), give up, kick-off while away, logout while away,
//! the outage queue bound, and room replays delivered once.

use yim_proto::wire::{self, reply, Goodbye, KickOff, LoginReceipt, RoomJoined, SendReceipt};
use yim_proto::{ErrorCode, FrameBody};

use super::*;
use crate::machine::ReconnectResult;

const SESSION_ID: u64 = 77;

fn login_receipt(id: RequestId) -> Frame {
    reply_with(
        id,
        ErrorCode::Success,
        Some(reply::Detail::LoginReceipt(LoginReceipt {
            session_id: SESSION_ID,
        })),
    )
}

fn joined(id: RequestId, last_seq: u64) -> Frame {
    reply_with(
        id,
        ErrorCode::Success,
        Some(reply::Detail::RoomJoined(RoomJoined {
            last_seq,
            lost_from_seq: 0,
            lost_to_seq: 0,
        })),
    )
}

fn room_message(message_id: u64, seq: u64) -> Frame {
    let mut frame = text_message(message_id, "bob", "world", "x");
    if let Some(FrameBody::Message(m)) = &mut frame.body {
        m.room_seq = seq;
    }
    frame
}

fn goodbye() -> Frame {
    Frame::new(FrameBody::Goodbye(Goodbye {
        code: ErrorCode::ServerError.as_u32(),
        reason: "restarting".to_owned(),
    }))
}

/// Logged in as alice (session 77) and in room "world" whose last seq was 10 at the join.
fn in_world() -> ClientMachine {
    let mut m = machine();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    m.handle_frame(0, login_receipt(id));
    let join_id = m.handle_call(0, join("world")).unwrap();
    m.handle_frame(0, joined(join_id, 10));
    events(&mut m);
    transmits(&mut m);
    actions(&mut m);
    m
}

fn reconnect_results(evs: &[Event]) -> Vec<ReconnectResult> {
    evs.iter()
        .filter_map(|e| match e {
            Event::ReconnectResult(r) => Some(*r),
            _ => None,
        })
        .collect()
}

#[test]
fn a_lost_connection_starts_a_reconnect_and_the_session_resumes() {
    let mut m = in_world();
    let send = m.handle_call(1, send_text("world", "in flight")).unwrap();
    let sent_key = match transmits(&mut m).as_slice() {
        [Frame {
            body: Some(FrameBody::SendMessage(s)),
        }] => s.idempotency_key,
        other => panic!("{other:?}"),
    };
    assert_ne!(sent_key, 0, "every send carries a key");
    m.handle_frame(2, goodbye());
    assert_eq!(events(&mut m), vec![Event::StartReconnect]);
    assert_closed_because(&mut m, "restarting");
    assert_eq!(m.state(), State::Reconnecting);
    assert_eq!(m.joined_rooms().len(), 1, "rooms are kept for the resume");
    // A send during the outage waits; no frame goes anywhere.
    let queued = m.handle_call(3, send_text("world", "queued")).unwrap();
    assert_eq!(transmits(&mut m), vec![]);
    // Waiting calls do not time out during the outage.
    assert!(m.poll_timeout().unwrap() < 2 + 500);

    let at = next_attempt(&mut m);
    assert!(
        (2 + 250..=2 + 500).contains(&at),
        "first wait is jittered: {at}"
    );
    let (login, resume) = answer_challenge(&mut m, at);
    assert_eq!(resume, SESSION_ID, "the login names the session to resume");
    m.handle_frame(at, login_receipt(login));
    assert_eq!(m.state(), State::LoggedIn);
    assert_eq!(
        events(&mut m),
        vec![Event::ReconnectResult(ReconnectResult::Success)],
        "no second Login event"
    );
    let frames = transmits(&mut m);
    let rejoin = match &frames[0].body {
        Some(FrameBody::JoinRoom(j)) => j.clone(),
        other => panic!("rooms are re-joined first: {other:?}"),
    };
    assert_eq!(
        (rejoin.room_id.as_str(), rejoin.resume_after_seq),
        ("world", Some(10))
    );
    let resent: Vec<(u64, u64)> = frames[1..]
        .iter()
        .filter_map(|f| match &f.body {
            Some(FrameBody::SendMessage(s)) => Some((s.request_id, s.idempotency_key)),
            _ => None,
        })
        .collect();
    assert_eq!(resent.len(), 2, "both waiting sends go out again");
    assert_eq!(resent[0], (send.get(), sent_key), "with the same key");
    assert_eq!(resent[1].0, queued.get());
    // The rejoin's reply completes no call; the replay is delivered, the sends complete.
    m.handle_frame(at, joined(RequestId(rejoin.request_id), 12));
    m.handle_frame(at, room_message(500, 11));
    m.handle_frame(at, room_message(501, 12));
    m.handle_frame(at, room_message(501, 12));
    let receipt = |id| {
        reply_with(
            id,
            ErrorCode::Success,
            Some(reply::Detail::SendReceipt(SendReceipt {
                message_id: 9,
                send_time: 1,
                forbid: None,
                room_seq: 0,
            })),
        )
    };
    m.handle_frame(at, receipt(send));
    m.handle_frame(at, receipt(queued));
    let evs = events(&mut m);
    let delivered: Vec<u64> = evs
        .iter()
        .filter_map(|e| match e {
            Event::RecvMessage(r) => Some(r.room_seq),
            _ => None,
        })
        .collect();
    assert_eq!(
        delivered,
        vec![11, 12],
        "a replayed message is delivered once"
    );
    assert_eq!(completed(&evs)[2..], [Some(send), Some(queued)]);
}

#[test]
fn failed_attempts_back_off_then_the_budget_ends_it_with_net_error_and_logout() {
    let mut m = logged_in_with(ClientConfig {
        reconnect_budget_ms: 20_000,
        ..config()
    });
    m.handle_call(0, send_text("world", "x")).unwrap();
    transmits(&mut m);
    m.handle_disconnect(0);
    assert_eq!(events(&mut m), vec![Event::StartReconnect]);
    let mut starts = Vec::new();
    let mut results = Vec::new();
    while m.state() == State::Reconnecting {
        let at = m.poll_timeout().unwrap();
        m.handle_timeout(at);
        if matches!(actions(&mut m).as_slice(), [Action::Connect { .. }]) {
            starts.push(at);
            m.handle_disconnect(at); // connection refused
        }
        results.extend(reconnect_results(&events(&mut m)));
    }
    let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 3, "{starts:?}");
    for (k, gap) in gaps.iter().enumerate() {
        let full = (500u64 << (k + 1)).min(8_000);
        assert!(
            (full / 2..=full).contains(gap),
            "wait {k} is {gap}, not in [{}, {full}]",
            full / 2
        );
    }
    assert!(
        *starts.last().unwrap() < 20_000,
        "no attempt past the budget"
    );
    let (last, retries) = results.split_last().unwrap();
    assert_eq!(*last, ReconnectResult::Fail);
    assert!(retries.iter().all(|r| *r == ReconnectResult::FailAgain));
    assert_eq!(retries.len(), starts.len() - 1);
    assert_eq!(m.state(), State::LoggedOut);
    // The Fail was followed, in the same batch, by the waiting call's NetError and the logout.
    let mut m2 = logged_in_with(ClientConfig {
        reconnect_budget_ms: 1,
        ..config()
    });
    let w2 = m2.handle_call(0, send_text("world", "x")).unwrap();
    m2.handle_disconnect(0);
    let at = m2.poll_timeout().unwrap();
    m2.handle_timeout(at);
    let evs = events(&mut m2);
    assert_eq!(evs[0], Event::StartReconnect);
    assert_eq!(evs[1], Event::ReconnectResult(ReconnectResult::Fail));
    assert_eq!(
        (evs[2].request_id(), evs[2].code()),
        (Some(w2), Some(ErrorCode::NetError))
    );
    assert_eq!(evs[3], session_lost());
}

#[test]
fn an_attempt_that_hangs_times_out_and_is_retried() {
    let mut m = in_world();
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    m.handle_connected(at);
    // No challenge ever comes: the attempt fails at the request timeout.
    let deadline = m.poll_timeout().unwrap();
    assert_eq!(deadline, at + 10_000);
    m.handle_timeout(deadline);
    assert_eq!(
        events(&mut m),
        vec![Event::ReconnectResult(ReconnectResult::FailAgain)]
    );
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::Reconnecting);
}

#[test]
fn a_session_taken_over_while_away_is_a_kick_off_and_never_reconnects() {
    let mut m = in_world();
    let waiting = m.handle_call(0, send_text("world", "x")).unwrap();
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    let (login, _) = answer_challenge(&mut m, at);
    m.handle_frame(at, reply(login, ErrorCode::LoginSessionError));
    let evs = events(&mut m);
    assert_eq!(evs[0], Event::ReconnectResult(ReconnectResult::Fail));
    assert_eq!(
        (evs[1].request_id(), evs[1].code()),
        (Some(waiting), Some(ErrorCode::NetError))
    );
    assert_eq!(evs[2], Event::KickOff);
    assert_eq!(m.state(), State::LoggedOut);
    m.handle_timeout(10_000_000);
    assert!(actions(&mut m)
        .iter()
        .all(|a| !matches!(a, Action::Connect { .. })));
}

#[test]
fn a_kick_off_never_starts_a_reconnect() {
    let mut m = in_world();
    m.handle_frame(1, Frame::new(FrameBody::KickOff(KickOff {})));
    assert_eq!(events(&mut m), vec![Event::KickOff]);
    m.handle_disconnect(2);
    m.handle_timeout(10_000_000);
    assert_eq!(events(&mut m), vec![]);
    assert!(actions(&mut m)
        .iter()
        .all(|a| !matches!(a, Action::Connect { .. })));
}

#[test]
fn a_refusal_that_will_not_change_gives_up_at_once() {
    let mut m = in_world();
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    let (login, _) = answer_challenge(&mut m, at);
    m.handle_frame(at, reply(login, ErrorCode::UsernamePasswordError));
    assert_eq!(
        events(&mut m),
        vec![
            Event::ReconnectResult(ReconnectResult::Fail),
            session_lost()
        ]
    );
    // A server error is worth another attempt.
    let mut m = in_world();
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    let (login, _) = answer_challenge(&mut m, at);
    m.handle_frame(at, reply(login, ErrorCode::ServerError));
    assert_eq!(
        events(&mut m),
        vec![Event::ReconnectResult(ReconnectResult::FailAgain)]
    );
}

#[test]
fn logout_while_reconnecting_completes_at_once_and_stops_everything() {
    let mut m = in_world();
    let waiting = m.handle_call(0, send_text("world", "x")).unwrap();
    m.handle_disconnect(0);
    events(&mut m);
    let logout = m.handle_call(1, Call::Logout).unwrap();
    let evs = events(&mut m);
    assert_eq!(completed(&evs), vec![Some(waiting), Some(logout)]);
    assert_eq!(evs[0].code(), Some(ErrorCode::NetError));
    assert_eq!(evs[1].code(), Some(ErrorCode::Success));
    assert_eq!(m.state(), State::LoggedOut);
    assert_eq!(m.poll_timeout(), None);
    assert_eq!(actions(&mut m), vec![], "no connection to close");
    // During an attempt, the attempt's connection is closed.
    let mut m = in_world();
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    m.handle_connected(at);
    m.handle_call(at, Call::Logout).unwrap();
    assert_closed_because(&mut m, "logout while reconnecting");
}

#[test]
fn the_outage_queue_is_bounded_and_login_is_refused_while_reconnecting() {
    let mut m = logged_in_with(ClientConfig {
        max_outage_calls: 2,
        ..config()
    });
    m.handle_disconnect(0);
    assert!(m.handle_call(0, send_text("world", "a")).is_ok());
    assert!(m.handle_call(0, send_text("world", "b")).is_ok());
    assert_eq!(
        m.handle_call(0, send_text("world", "c")),
        Err(ErrorCode::NetError)
    );
    assert_eq!(
        m.handle_call(0, login_call("alice")),
        Err(ErrorCode::AlreadyLogin)
    );
}

#[test]
fn replay_losses_and_failed_rejoins_are_reported() {
    let mut m = in_world();
    let guild = m.handle_call(0, join("guild")).unwrap();
    m.handle_frame(0, joined(guild, 0));
    events(&mut m);
    m.handle_disconnect(0);
    events(&mut m);
    let at = next_attempt(&mut m);
    let (login, _) = answer_challenge(&mut m, at);
    m.handle_frame(at, login_receipt(login));
    events(&mut m);
    let rejoins: Vec<wire::JoinRoom> = transmits(&mut m)
        .into_iter()
        .filter_map(|f| match f.body {
            Some(FrameBody::JoinRoom(j)) => Some(j),
            _ => None,
        })
        .collect();
    assert_eq!(rejoins.len(), 2);
    for rejoin in rejoins {
        let id = RequestId(rejoin.request_id);
        if rejoin.room_id == "guild" {
            m.handle_frame(at, reply(id, ErrorCode::ChannelMemberOverflow));
        } else {
            m.handle_frame(
                at,
                reply_with(
                    id,
                    ErrorCode::Success,
                    Some(reply::Detail::RoomJoined(RoomJoined {
                        last_seq: 400,
                        lost_from_seq: 11,
                        lost_to_seq: 143,
                    })),
                ),
            );
        }
    }
    let evs = events(&mut m);
    assert!(evs.contains(&Event::RejoinChatRoomFailed {
        room_id: "guild".to_owned(),
        code: ErrorCode::ChannelMemberOverflow
    }));
    assert!(evs.contains(&Event::RoomMessagesLost {
        room_id: "world".to_owned(),
        from_seq: 11,
        to_seq: 143
    }));
    assert_eq!(
        m.joined_rooms().iter().collect::<Vec<_>>(),
        vec!["world"],
        "a room that could not be re-joined is left"
    );
    // The replay goes on after the lost range.
    m.handle_frame(at, room_message(900, 144));
    assert!(matches!(events(&mut m).as_slice(), [Event::RecvMessage(r)] if r.room_seq == 144));
}

#[test]
fn a_leave_that_timed_out_still_leaves_and_the_room_is_not_rejoined() {
    let mut m = in_world();
    let leave = m
        .handle_call(
            0,
            Call::LeaveChatRoom {
                room_id: "world".to_owned(),
            },
        )
        .unwrap();
    m.handle_timeout(10_000);
    let evs = events(&mut m);
    assert_eq!(
        (evs[0].request_id(), evs[0].code()),
        (Some(leave), Some(ErrorCode::TimeOut))
    );
    assert!(m.joined_rooms().is_empty());
    // A late message of the room is not the application's any more.
    m.handle_frame(10_001, room_message(600, 11));
    assert_eq!(events(&mut m), vec![]);
    // After a reconnect, the room is not re-joined.
    m.handle_disconnect(10_002);
    events(&mut m);
    let at = next_attempt(&mut m);
    let (login, _) = answer_challenge(&mut m, at);
    m.handle_frame(at, login_receipt(login));
    assert!(transmits(&mut m)
        .iter()
        .all(|f| !matches!(f.body, Some(FrameBody::JoinRoom(_)))));
}

#[test]
fn messages_of_a_room_whose_join_timed_out_are_not_delivered() {
    let mut m = logged_in();
    m.handle_call(0, join("guild")).unwrap();
    m.handle_timeout(10_000);
    assert_eq!(events(&mut m)[0].code(), Some(ErrorCode::TimeOut));
    let mut late = text_message(5, "bob", "guild", "x");
    if let Some(FrameBody::Message(msg)) = &mut late.body {
        msg.room_seq = 1;
    }
    m.handle_frame(10_001, late);
    assert_eq!(events(&mut m), vec![]);
}
