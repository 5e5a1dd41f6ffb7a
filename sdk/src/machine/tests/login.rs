//! The login handshake, login failures, and `init`.

use yim_proto::{auth, ErrorCode, FrameBody};

use super::*;

#[test]
fn handshake_connects_answers_the_challenge_and_logs_in() {
    let mut m = machine();
    assert_eq!(m.state(), State::LoggedOut);
    let id = m
        .handle_call(
            5,
            Call::Login {
                user_id: "alice".to_owned(),
                password: "pw".to_owned(),
                token: "tok".to_owned(),
            },
        )
        .unwrap();
    assert_eq!(id, RequestId(1));
    assert_eq!(m.state(), State::Connecting);
    assert_eq!(
        actions(&mut m),
        vec![Action::Connect {
            addr: ADDR.to_owned()
        }]
    );
    assert_eq!(
        transmits(&mut m),
        vec![],
        "nothing is sent before the challenge"
    );

    m.handle_connected(7);
    assert_eq!(m.state(), State::AwaitingChallenge);
    assert_eq!(transmits(&mut m), vec![]);

    m.handle_frame(8, challenge());
    assert_eq!(m.state(), State::LoggingIn);
    let sent = transmits(&mut m);
    assert_eq!(sent.len(), 1);
    let Some(FrameBody::Login(login)) = &sent[0].body else {
        panic!("expected a Login frame, got {sent:?}");
    };
    assert_eq!(login.request_id, 1);
    assert_eq!(login.protocol_version, yim_proto::PROTOCOL_VERSION);
    assert_eq!(login.app_key, APP_KEY);
    assert_eq!(login.user_id, "alice");
    assert_eq!(login.password, "pw");
    assert_eq!(login.token, "tok");
    assert!(auth::verify_challenge_proof(
        APP_SECRET,
        NONCE,
        &login.proof
    ));
    assert!(!auth::verify_challenge_proof("other", NONCE, &login.proof));
    assert_eq!(events(&mut m), vec![]);

    m.handle_frame(9, reply(id, ErrorCode::Success));
    assert_eq!(m.state(), State::LoggedIn);
    assert_eq!(m.user_id(), Some("alice"));
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::Success,
            user_id: "alice".to_owned()
        }]
    );
    assert_eq!(actions(&mut m), vec![]);
    assert_eq!(m.pending_calls(), 0);
}

#[test]
fn refused_login_reports_the_code_closes_and_allows_a_new_login() {
    let mut m = machine();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    actions(&mut m);
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    transmits(&mut m);
    m.handle_frame(1, reply(id, ErrorCode::UsernamePasswordError));
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::UsernamePasswordError,
            user_id: "alice".to_owned()
        }]
    );
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
    assert_eq!(m.poll_timeout(), None, "no timer left once logged out");
    // The disconnect that follows the close changes nothing.
    m.handle_disconnect(2);
    assert_quiet(&mut m);
    let again = m.handle_call(3, login_call("alice")).unwrap();
    assert_eq!(again, RequestId(2));
    assert_eq!(m.state(), State::Connecting);
}

#[test]
fn unknown_reply_codes_become_server_error() {
    let mut m = machine();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    let mut frame = reply(id, ErrorCode::Success);
    if let Some(FrameBody::Reply(r)) = &mut frame.body {
        r.code = 777;
    }
    m.handle_frame(1, frame);
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::ServerError,
            user_id: "alice".to_owned()
        }]
    );
    assert_eq!(m.state(), State::LoggedOut);
}

#[test]
fn connect_failure_completes_the_login_with_net_error_only() {
    let mut m = machine();
    let id = m.handle_call(0, login_call("alice")).unwrap();
    actions(&mut m);
    m.handle_disconnect(3);
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::NetError,
            user_id: "alice".to_owned()
        }]
    );
    assert_eq!(m.state(), State::LoggedOut);
    assert_eq!(actions(&mut m), vec![], "the driver already lost it");
    m.handle_timeout(100_000);
    m.handle_disconnect(100_001);
    assert_quiet(&mut m);
}

#[test]
fn silent_server_times_the_login_out_once() {
    let mut m = machine();
    let id = m.handle_call(1_000, login_call("alice")).unwrap();
    actions(&mut m);
    m.handle_connected(1_500);
    assert_eq!(m.poll_timeout(), Some(11_000));
    m.handle_timeout(10_999);
    assert_quiet(&mut m);
    m.handle_timeout(11_000);
    assert_eq!(
        events(&mut m),
        vec![Event::Login {
            request_id: id,
            code: ErrorCode::TimeOut,
            user_id: "alice".to_owned()
        }]
    );
    assert!(matches!(actions(&mut m).as_slice(), [Action::Close { .. }]));
    assert_eq!(m.state(), State::LoggedOut);
    // A challenge and a reply arriving late do nothing.
    m.handle_frame(11_001, challenge());
    m.handle_frame(11_002, reply(id, ErrorCode::Success));
    m.handle_timeout(50_000);
    assert_quiet(&mut m);
    assert_eq!(m.state(), State::LoggedOut);
}

#[test]
fn login_times_out_also_while_connecting_and_after_the_challenge() {
    for step in 0..3 {
        let mut m = machine();
        let id = m.handle_call(0, login_call("bob")).unwrap();
        if step >= 1 {
            m.handle_connected(1);
        }
        if step >= 2 {
            m.handle_frame(2, challenge());
        }
        m.handle_timeout(10_000);
        let evs = events(&mut m);
        assert_eq!(
            evs,
            vec![Event::Login {
                request_id: id,
                code: ErrorCode::TimeOut,
                user_id: "bob".to_owned()
            }],
            "step {step}"
        );
    }
}

#[test]
fn init_rules() {
    let mut m = ClientMachine::new(config());
    assert_eq!(m.state(), State::Uninitialised);
    assert_eq!(
        m.init("", APP_SECRET, ServerZone::China),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(
        m.init(APP_KEY, "", ServerZone::China),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(
        m.init(APP_KEY, APP_SECRET, ServerZone::Japan),
        Err(ErrorCode::ParamInvalid),
        "zone not in the table"
    );
    assert_eq!(m.state(), State::Uninitialised);
    m.init(APP_KEY, APP_SECRET, ServerZone::China).unwrap();
    assert_eq!(m.state(), State::LoggedOut);
    // Again while logged out: harmless, and replaces the settings.
    m.init("other_key", APP_SECRET, ServerZone::China).unwrap();
    m.handle_call(0, login_call("alice")).unwrap();
    assert_eq!(
        m.init(APP_KEY, APP_SECRET, ServerZone::China),
        Err(ErrorCode::StatusError)
    );
    m.handle_connected(0);
    m.handle_frame(0, challenge());
    let Some(FrameBody::Login(login)) = transmits(&mut m).remove(0).body else {
        panic!("expected a Login frame");
    };
    assert_eq!(login.app_key, "other_key");

    let mut m = logged_in();
    assert_eq!(
        m.init(APP_KEY, APP_SECRET, ServerZone::China),
        Err(ErrorCode::StatusError)
    );
    assert_quiet(&mut m);
}

#[test]
fn zone_table_picks_the_address() {
    let cfg = config().with_zone(ServerZone::Singapore, "10.0.0.1:7000");
    let mut m = ClientMachine::new(cfg);
    m.init(APP_KEY, APP_SECRET, ServerZone::Singapore).unwrap();
    m.handle_call(0, login_call("alice")).unwrap();
    assert_eq!(
        actions(&mut m),
        vec![Action::Connect {
            addr: "10.0.0.1:7000".to_owned()
        }]
    );
}
