//! The connection while logged in: received messages, kick-off, goodbye, protocol errors,
//! the heartbeat, and event backpressure.

use yim_proto::wire::{self, Goodbye, KickOff, Pong};
use yim_proto::{ChatType, ErrorCode, FrameBody};

use super::*;
use crate::machine::{MessageBody, ReceivedMessage};

fn pong(nonce: u64) -> Frame {
    Frame::new(FrameBody::Pong(Pong { nonce }))
}

#[test]
fn received_messages_become_events() {
    let mut m = logged_in();
    joined_to(&mut m, "world");
    m.handle_frame(1, text_message(5, "bob", "world", "hello"));
    m.handle_frame(
        2,
        Frame::new(FrameBody::Message(wire::Message {
            message_id: 6,
            sender_id: "carol".to_owned(),
            receiver_id: "alice".to_owned(),
            chat_type: ChatType::Private as i32,
            create_time: 9,
            room_seq: 0,
            body: Some(wire::Body {
                kind: Some(wire::body::Kind::Custom(wire::Custom {
                    content: vec![0, 255, 0],
                })),
            }),
        })),
    );
    assert_eq!(
        events(&mut m),
        vec![
            Event::RecvMessage(ReceivedMessage {
                message_id: 5,
                sender_id: "bob".to_owned(),
                receiver_id: "world".to_owned(),
                chat_type: ChatType::Room,
                create_time: 1_700_000_000,
                room_seq: 5,
                body: MessageBody::Text {
                    content: "hello".to_owned(),
                    attach: "att".to_owned()
                },
            }),
            Event::RecvMessage(ReceivedMessage {
                message_id: 6,
                sender_id: "carol".to_owned(),
                receiver_id: "alice".to_owned(),
                chat_type: ChatType::Private,
                create_time: 9,
                room_seq: 0,
                body: MessageBody::Custom(vec![0, 255, 0]),
            }),
        ]
    );
    assert_eq!(m.state(), State::LoggedIn);
}

#[test]
fn message_without_a_body_is_a_protocol_error() {
    let mut m = logged_in_with(config_without_reconnect());
    let pending = m.handle_call(0, send_text("world", "x")).unwrap();
    let mut frame = text_message(1, "bob", "world", "x");
    if let Some(FrameBody::Message(msg)) = &mut frame.body {
        msg.body = None;
    }
    m.handle_frame(1, frame);
    let evs = events(&mut m);
    assert_eq!(completed(&evs), vec![Some(pending), None]);
    assert_eq!(evs[0].code(), Some(ErrorCode::NetError));
    assert_eq!(evs[1], session_lost());
    assert_closed_because(&mut m, "body");
    assert_eq!(m.state(), State::LoggedOut);
}

#[test]
fn frames_out_of_place_end_the_session() {
    // A second challenge while logged in.
    let mut m = logged_in_with(config_without_reconnect());
    m.handle_frame(1, challenge());
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
    // A message before the login reply: the login fails with NetError.
    let mut m = machine();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    m.handle_connected(0);
    m.handle_frame(0, text_message(1, "bob", "world", "x"));
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::NetError,
            user_id: "alice".to_owned()
        }]
    );
    // A client-to-server frame from the server.
    let mut m = logged_in_with(config_without_reconnect());
    m.handle_frame(1, Frame::new(FrameBody::Ping(wire::Ping { nonce: 1 })));
    assert_eq!(m.state(), State::LoggedOut);
}

#[test]
fn kick_off_ends_the_session_without_a_logout_event() {
    let mut m = logged_in();
    let a = m.handle_call(0, send_text("world", "x")).unwrap();
    let b = m.handle_call(0, join("guild")).unwrap();
    m.handle_frame(1, Frame::new(FrameBody::KickOff(KickOff {})));
    let evs = events(&mut m);
    assert_eq!(completed(&evs), vec![Some(a), Some(b), None]);
    assert!(evs[..2]
        .iter()
        .all(|e| e.code() == Some(ErrorCode::NetError)));
    assert_eq!(evs[2], Event::KickOff);
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
    m.handle_disconnect(2);
    m.handle_timeout(1_000_000);
    assert_quiet(&mut m);
}

#[test]
fn goodbye_is_a_connection_loss() {
    let mut m = logged_in_with(config_without_reconnect());
    m.handle_frame(
        1,
        Frame::new(FrameBody::Goodbye(Goodbye {
            code: ErrorCode::ServerError.as_u32(),
            reason: "shutting down".to_owned(),
        })),
    );
    assert_session_lost(&mut m, "shutting down");
    m.handle_disconnect(2);
    assert_quiet(&mut m);
}

#[test]
fn heartbeat_pings_when_idle() {
    let mut m = logged_in();
    assert_eq!(m.poll_timeout(), Some(10_000));
    m.handle_timeout(9_999);
    assert_eq!(transmits(&mut m), vec![]);
    m.handle_timeout(10_000);
    let sent = transmits(&mut m);
    assert!(
        matches!(sent.as_slice(), [f] if matches!(f.body, Some(FrameBody::Ping(wire::Ping { nonce: 1 }))))
    );
    m.handle_frame(10_100, pong(1));
    assert_eq!(m.poll_timeout(), Some(20_000));
    // Sending anything postpones the next ping.
    m.handle_call(15_000, send_text("world", "x")).unwrap();
    transmits(&mut m);
    m.handle_timeout(20_000);
    assert_eq!(transmits(&mut m), vec![]);
    assert_eq!(m.poll_timeout(), Some(25_000), "the send's deadline");
    m.handle_timeout(25_000);
    let sent = transmits(&mut m);
    assert!(
        matches!(sent.as_slice(), [f] if matches!(f.body, Some(FrameBody::Ping(wire::Ping { nonce: 2 }))))
    );
    assert_eq!(m.state(), State::LoggedIn);
}

#[test]
fn pings_do_not_pile_up_behind_unwritten_frames() {
    let mut m = logged_in();
    m.handle_call(0, send_text("world", "x")).unwrap();
    for now in [10_000, 20_000] {
        m.handle_frame(now, pong(0));
        m.handle_timeout(now);
    }
    let sent = transmits(&mut m);
    assert!(
        matches!(sent.as_slice(), [f] if f.kind() == "SendMessage"),
        "{sent:?}"
    );
    assert_eq!(m.poll_timeout(), Some(30_000), "next ping, not a spin");
}

#[test]
fn heartbeat_timeout_closes_and_logs_out() {
    let mut m = logged_in_with(config_without_reconnect());
    let mut pings = 0;
    let mut now = 0;
    while m.state() == State::LoggedIn {
        now = m.poll_timeout().unwrap();
        m.handle_timeout(now);
        pings += transmits(&mut m).len();
    }
    assert_eq!(now, 30_000, "nothing received since the login at 0");
    assert_eq!(pings, 2, "pings at 10 s and 20 s");
    assert_session_lost(&mut m, "heartbeat");
}

#[test]
fn any_frame_received_keeps_the_connection_alive() {
    let mut m = logged_in_with(config_without_reconnect());
    m.handle_frame(25_000, pong(0));
    m.handle_timeout(30_000);
    assert_eq!(m.state(), State::LoggedIn);
    m.handle_timeout(54_999);
    assert_eq!(m.state(), State::LoggedIn);
    m.handle_timeout(55_000);
    assert_eq!(m.state(), State::LoggedOut);
}

fn private_message(message_id: u64) -> Frame {
    Frame::new(FrameBody::Message(wire::Message {
        message_id,
        sender_id: "carol".to_owned(),
        receiver_id: "alice".to_owned(),
        chat_type: ChatType::Private as i32,
        create_time: 9,
        room_seq: 0,
        body: Some(wire::Body {
            kind: Some(wire::body::Kind::Text(wire::Text {
                content: format!("m{message_id}"),
                attach: String::new(),
            })),
        }),
    }))
}

fn acks(m: &mut ClientMachine) -> Vec<u64> {
    transmits(m)
        .into_iter()
        .filter_map(|f| match f.body {
            Some(FrameBody::AckMessages(ack)) => Some(ack.up_to_message_id),
            _ => None,
        })
        .collect()
}

#[test]
fn private_messages_are_acknowledged_and_delivered_once_across_sessions() {
    let mut m = logged_in_with(config_without_reconnect());
    joined_to(&mut m, "world");
    transmits(&mut m);
    m.handle_frame(1, private_message(7));
    m.handle_frame(2, text_message(8, "bob", "world", "room"));
    assert_eq!(events(&mut m).len(), 2);
    assert_eq!(
        acks(&mut m),
        vec![7],
        "private messages are acknowledged, room ones not"
    );
    // The connection drops before the server got the ack; at the next login the server
    // sends message 7 again: acknowledged again, not delivered again.
    m.handle_disconnect(3);
    events(&mut m);
    let id = m.handle_call(4, login_call("alice")).unwrap();
    m.handle_connected(5);
    m.handle_frame(6, challenge());
    m.handle_frame(7, reply(id, ErrorCode::Success));
    events(&mut m);
    transmits(&mut m);
    m.handle_frame(8, private_message(7));
    m.handle_frame(9, private_message(9));
    let delivered: Vec<u64> = events(&mut m)
        .into_iter()
        .filter_map(|e| match e {
            Event::RecvMessage(message) => Some(message.message_id),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec![9]);
    assert_eq!(
        acks(&mut m),
        vec![9],
        "both, in one cumulative acknowledgement"
    );
}

#[test]
fn acknowledgements_waiting_to_be_written_coalesce_into_one() {
    let mut m = logged_in();
    // The writer is stalled: nothing is taken from the queue while messages arrive.
    for message_id in [7, 8, 9] {
        m.handle_frame(1, private_message(message_id));
    }
    assert_eq!(events(&mut m).len(), 3);
    assert_eq!(acks(&mut m), vec![9], "one cumulative acknowledgement");
    // Once written, the next message gets an acknowledgement of its own.
    m.handle_frame(2, private_message(10));
    assert_eq!(acks(&mut m), vec![10]);
}

#[test]
fn calls_are_refused_with_net_error_while_the_write_queue_is_full() {
    use crate::machine::write_queue::MAX_QUEUED_TRANSMITS;
    let mut m = logged_in();
    for n in 0..MAX_QUEUED_TRANSMITS {
        let sent = m.handle_call(1, send_text("world", &format!("m{n}")));
        assert!(sent.is_ok(), "call {n}: {sent:?}");
    }
    let refused = m.handle_call(1, send_text("world", "one too many"));
    assert_eq!(refused, Err(ErrorCode::NetError));
    // Received mail is still acknowledged (in the one waiting acknowledgement).
    m.handle_frame(2, private_message(7));
    m.handle_frame(2, private_message(8));
    assert_eq!(transmits(&mut m).len(), MAX_QUEUED_TRANSMITS + 1);
    assert!(m.handle_call(3, send_text("world", "written")).is_ok());
}
