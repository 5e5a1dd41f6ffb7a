//! Unit tests of the machine with virtual time and no runtime: the harness lives here, the
//! cases in files named for the rules they check.

mod completion;
mod connection;
mod history;
mod login;
mod reconnect;
mod validation;
mod voice;

use yim_proto::wire::{self, reply, Challenge, Reply};
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody};

use super::{Action, Call, ClientMachine, Event, RequestId, State};
use crate::config::{ClientConfig, ServerZone};

pub(super) const ADDR: &str = "127.0.0.1:5000";
pub(super) const APP_KEY: &str = "app_key";
pub(super) const APP_SECRET: &str = "app_secret";
pub(super) const NONCE: &[u8] = b"nonce-1234";

pub(super) fn config() -> ClientConfig {
    ClientConfig::with_server(ADDR)
}

/// The default config with reconnecting switched off: a lost connection ends the session.
pub(super) fn config_without_reconnect() -> ClientConfig {
    ClientConfig {
        reconnect_budget_ms: 0,
        ..config()
    }
}

/// An initialised machine with the default config.
pub(super) fn machine() -> ClientMachine {
    machine_with(config())
}

pub(super) fn machine_with(config: ClientConfig) -> ClientMachine {
    let mut m = ClientMachine::new(config);
    m.init(APP_KEY, APP_SECRET, ServerZone::China).unwrap();
    m
}

pub(super) fn login_call(user_id: &str) -> Call {
    Call::Login {
        user_id: user_id.to_owned(),
        password: "pw".to_owned(),
        token: String::new(),
    }
}

pub(super) fn challenge() -> Frame {
    Frame::new(FrameBody::Challenge(Challenge {
        protocol_version: yim_proto::PROTOCOL_VERSION,
        nonce: NONCE.to_vec(),
    }))
}

pub(super) fn reply(request_id: RequestId, code: ErrorCode) -> Frame {
    reply_with(request_id, code, None)
}

pub(super) fn reply_with(
    request_id: RequestId,
    code: ErrorCode,
    detail: Option<reply::Detail>,
) -> Frame {
    Frame::new(FrameBody::Reply(Reply {
        request_id: request_id.get(),
        code: code.as_u32(),
        detail,
    }))
}

pub(super) fn text_message(message_id: u64, sender: &str, room: &str, text: &str) -> Frame {
    Frame::new(FrameBody::Message(wire::Message {
        message_id,
        sender_id: sender.to_owned(),
        receiver_id: room.to_owned(),
        chat_type: ChatType::Room as i32,
        create_time: 1_700_000_000,
        room_seq: message_id,
        body: Some(wire::Body {
            kind: Some(wire::body::Kind::Text(wire::Text {
                content: text.to_owned(),
                attach: "att".to_owned(),
            })),
        }),
    }))
}

/// A machine logged in as "alice" at time 0, with every output drained.
pub(super) fn logged_in() -> ClientMachine {
    logged_in_with(config())
}

pub(super) fn logged_in_with(config: ClientConfig) -> ClientMachine {
    let mut m = machine_with(config);
    let id = m.handle_call(0, login_call("alice")).unwrap();
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    m.handle_frame(0, reply(id, ErrorCode::Success));
    assert_eq!(m.state(), State::LoggedIn);
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::Success,
            user_id: "alice".to_owned()
        }]
    );
    transmits(&mut m);
    actions(&mut m);
    m
}

pub(super) fn events(m: &mut ClientMachine) -> Vec<Event> {
    std::iter::from_fn(|| m.poll_event()).collect()
}

pub(super) fn transmits(m: &mut ClientMachine) -> Vec<Frame> {
    std::iter::from_fn(|| m.poll_transmit()).collect()
}

pub(super) fn actions(m: &mut ClientMachine) -> Vec<Action> {
    std::iter::from_fn(|| m.poll_action()).collect()
}

/// The unsolicited logout that ends a lost session.
pub(super) fn session_lost() -> Event {
    Event::Logout {
        request_id: None,
        code: ErrorCode::NetError,
    }
}

/// Asserts the machine asked the driver to close the connection, for a reason mentioning
/// `why`, and nothing else.
pub(super) fn assert_closed_because(m: &mut ClientMachine, why: &str) {
    let actions = actions(m);
    assert!(
        matches!(actions.as_slice(), [Action::Close { reason }] if reason.contains(why)),
        "expected a close because of {why:?}: {actions:?}"
    );
}

/// Asserts the session was lost (only the unsolicited logout) and the connection closed for a
/// reason mentioning `why`.
pub(super) fn assert_session_lost(m: &mut ClientMachine, why: &str) {
    assert_eq!(events(m), vec![session_lost()]);
    assert_closed_because(m, why);
}

/// Asserts the machine has no output of any kind.
pub(super) fn assert_quiet(m: &mut ClientMachine) {
    assert_eq!(events(m), vec![]);
    assert_eq!(transmits(m), vec![]);
    assert_eq!(actions(m), vec![]);
}

pub(super) fn send_text(room: &str, text: &str) -> Call {
    Call::SendText {
        receiver_id: room.to_owned(),
        chat_type: ChatType::Room,
        text: text.to_owned(),
        attach: String::new(),
    }
}

pub(super) fn join(room: &str) -> Call {
    Call::JoinChatRoom {
        room_id: room.to_owned(),
    }
}

/// Joins `room` (the server says yes) and drains the output: room messages are delivered
/// only for joined rooms.
pub(super) fn joined_to(m: &mut ClientMachine, room: &str) {
    let id = m.handle_call(0, join(room)).unwrap();
    m.handle_frame(0, reply(id, ErrorCode::Success));
    events(m);
    transmits(m);
}

/// Drives the machine to its next attempt: returns the time the connect was asked for.
pub(super) fn next_attempt(m: &mut ClientMachine) -> u64 {
    let at = m.poll_timeout().expect("a reconnect deadline");
    m.handle_timeout(at);
    assert!(
        matches!(actions(m).as_slice(), [Action::Connect { addr }] if addr == ADDR),
        "an attempt connects"
    );
    at
}

/// Connects, takes the challenge, returns the resume login's request ID and session ID.
pub(super) fn answer_challenge(m: &mut ClientMachine, now: u64) -> (RequestId, u64) {
    m.handle_connected(now);
    m.handle_frame(now, challenge());
    match transmits(m).as_slice() {
        [Frame {
            body: Some(FrameBody::Login(login)),
        }] => (RequestId(login.request_id), login.resume_session_id),
        other => panic!("expected the resume login: {other:?}"),
    }
}

/// The next attempt resumes the session (the server says yes); returns its time. The
/// events of the resume are drained.
pub(super) fn resume(m: &mut ClientMachine) -> u64 {
    let at = next_attempt(m);
    let (login, _) = answer_challenge(m, at);
    m.handle_frame(at, reply(login, ErrorCode::Success));
    events(m);
    at
}

/// The request IDs the events complete, in order.
pub(super) fn completed(events: &[Event]) -> Vec<Option<RequestId>> {
    events.iter().map(Event::request_id).collect()
}
