//! Calls refused at once: each wrong-state and bad-parameter code, and the promise that a
//! refused call never produces an event.

use yim_proto::{ChatType, ErrorCode};

use super::*;

fn every_call() -> Vec<Call> {
    vec![
        login_call("alice"),
        Call::Logout,
        join("world"),
        Call::LeaveChatRoom {
            room_id: "world".to_owned(),
        },
        Call::LeaveAllChatRooms,
        Call::GetRoomMemberCount {
            room_id: "world".to_owned(),
        },
        send_text("world", "hi"),
        Call::SendCustom {
            receiver_id: "bob".to_owned(),
            chat_type: ChatType::Private,
            content: vec![0, 1, 2],
        },
    ]
}

#[test]
fn every_call_before_init_is_engine_not_init() {
    let mut m = ClientMachine::new(config());
    for call in every_call() {
        assert_eq!(
            m.handle_call(0, call.clone()),
            Err(ErrorCode::EngineNotInit),
            "{call:?}"
        );
    }
    m.handle_timeout(1_000_000);
    assert_quiet(&mut m);
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn calls_other_than_login_need_a_session() {
    let mut m = machine();
    for call in every_call().into_iter().skip(1) {
        assert_eq!(
            m.handle_call(0, call.clone()),
            Err(ErrorCode::NotLogin),
            "{call:?}"
        );
    }
    // Also while the login is under way.
    m.handle_call(0, login_call("alice")).unwrap();
    actions(&mut m);
    for call in every_call().into_iter().skip(1) {
        assert_eq!(
            m.handle_call(0, call.clone()),
            Err(ErrorCode::NotLogin),
            "{call:?}"
        );
    }
    assert_quiet(&mut m);
}

#[test]
fn second_login_is_already_login() {
    let mut m = machine();
    m.handle_call(0, login_call("alice")).unwrap();
    actions(&mut m);
    assert_eq!(
        m.handle_call(0, login_call("alice")),
        Err(ErrorCode::AlreadyLogin)
    );
    m.handle_connected(0);
    assert_eq!(
        m.handle_call(0, login_call("bob")),
        Err(ErrorCode::AlreadyLogin)
    );
    let mut m = logged_in();
    assert_eq!(
        m.handle_call(0, login_call("alice")),
        Err(ErrorCode::AlreadyLogin)
    );
    assert_quiet(&mut m);
}

#[test]
fn bad_login_parameters_are_param_invalid() {
    let mut m = machine();
    let bad = [
        ("", "pw", ""),
        ("bob smith", "pw", ""),
        (&*"u".repeat(256), "pw", ""),
        ("bob", "", ""),
        ("bob", &*"p".repeat(256), ""),
        ("bob", "pw", &*"t".repeat(513)),
    ];
    for (user_id, password, token) in bad {
        let call = Call::Login {
            user_id: user_id.to_owned(),
            password: password.to_owned(),
            token: token.to_owned(),
        };
        assert_eq!(m.handle_call(0, call), Err(ErrorCode::ParamInvalid));
    }
    assert_eq!(m.state(), State::LoggedOut);
    assert_quiet(&mut m);
}

#[test]
fn bad_room_and_send_parameters_get_yims_codes() {
    let mut m = logged_in();
    let long = "r".repeat(256);
    let cases = [
        (join(&long), ErrorCode::RoomIDTooLong),
        (join("no-dashes"), ErrorCode::ParamInvalid),
        (join(""), ErrorCode::ParamInvalid),
        (
            Call::LeaveChatRoom {
                room_id: long.clone(),
            },
            ErrorCode::RoomIDTooLong,
        ),
        (
            Call::GetRoomMemberCount {
                room_id: "a b".to_owned(),
            },
            ErrorCode::ParamInvalid,
        ),
        (send_text(&long, "hi"), ErrorCode::RoomIDTooLong),
        (send_text("", "hi"), ErrorCode::ReceiverEmpty),
        (
            send_text("world", &"x".repeat(2049)),
            ErrorCode::MessageTooLong,
        ),
        (
            Call::SendText {
                receiver_id: "world".to_owned(),
                chat_type: ChatType::Room,
                text: "hi".to_owned(),
                attach: "a".repeat(1025),
            },
            ErrorCode::MessageTooLong,
        ),
        (
            Call::SendText {
                receiver_id: "bob".to_owned(),
                chat_type: ChatType::Unknown,
                text: "hi".to_owned(),
                attach: String::new(),
            },
            ErrorCode::InvalidChatType,
        ),
        (
            Call::SendCustom {
                receiver_id: long.clone(),
                chat_type: ChatType::Private,
                content: vec![1],
            },
            ErrorCode::ReceiverTooLong,
        ),
        (
            Call::SendCustom {
                receiver_id: "bob".to_owned(),
                chat_type: ChatType::Private,
                content: vec![0; 2049],
            },
            ErrorCode::MessageTooLong,
        ),
    ];
    for (call, code) in cases {
        assert_eq!(m.handle_call(0, call.clone()), Err(code), "{call:?}");
    }
    assert_eq!(m.pending_calls(), 0);
    // Boundary values are accepted.
    let ok = m
        .handle_call(0, send_text(&"r".repeat(255), &"x".repeat(2048)))
        .unwrap();
    assert_eq!(ok, RequestId(2), "refused calls take no request ID");
}

#[test]
fn full_pending_table_is_status_error_until_a_call_completes() {
    let mut m = logged_in_with(ClientConfig {
        max_pending_calls: 2,
        ..config()
    });
    let first = m.handle_call(0, send_text("world", "1")).unwrap();
    let second = m.handle_call(0, send_text("world", "2")).unwrap();
    assert_eq!(
        m.handle_call(0, send_text("world", "3")),
        Err(ErrorCode::StatusError)
    );
    assert_eq!(m.handle_call(0, Call::Logout), Err(ErrorCode::StatusError));
    m.handle_frame(1, reply(first, ErrorCode::Success));
    let third = m.handle_call(2, send_text("world", "3")).unwrap();
    assert_eq!(third, RequestId(second.get() + 1));
    assert_eq!(m.pending_calls(), 2);
}

#[test]
fn refused_calls_never_produce_an_event() {
    let mut m = logged_in_with(config_without_reconnect());
    let mut accepted = Vec::new();
    let calls = [
        join("world"),
        join("bad room"),
        send_text("", "x"),
        send_text("world", "hello"),
        login_call("alice"),
        send_text("world", &"x".repeat(5000)),
    ];
    for call in calls {
        if let Ok(id) = m.handle_call(0, call) {
            accepted.push(Some(id));
        }
    }
    assert_eq!(accepted, vec![Some(RequestId(2)), Some(RequestId(3))]);
    // Time out some, lose the connection, wait forever: only the accepted calls complete.
    m.handle_timeout(10_000);
    m.handle_disconnect(10_001);
    m.handle_timeout(1_000_000);
    let evs = events(&mut m);
    let mut got = completed(&evs);
    assert_eq!(got.pop(), Some(None), "the unsolicited logout comes last");
    assert_eq!(got, accepted);
}
