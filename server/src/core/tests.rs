//! Unit tests of the core with virtual time: every rule, driven frame by frame.

use yim_proto::wire::{
    body, reply, AckMessages, AdminLogin, Body, GetRoomMemberCount, JoinRoom, LeaveAllRooms,
    LeaveRoom, Login, Logout, Message, Mute, Ping, SendMessage, Text, Unmute,
};
use yim_proto::{auth, ChatType, ErrorCode, Frame, FrameBody};

use super::{ConnId, Now, Output, ServerCore};
use crate::config::ServerConfig;
use crate::store::memory::MemoryStore;

const APP: &str = "game";
const SECRET: &str = "secret";
const T0_MS: u64 = 1_790_000_000_000;

struct Harness {
    core: ServerCore,
    store: MemoryStore,
    now_ms: u64,
    nonces: std::collections::BTreeMap<ConnId, Vec<u8>>,
    next_request: u64,
    /// The download token of each voice message a connection was sent, as the SDK keeps them.
    voice_tokens: std::collections::BTreeMap<(ConnId, u64), u64>,
}

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0", &[(APP, SECRET), ("other", "other_secret")]);
    config.limits.password_hash_rounds = 1;
    config.limits.max_rooms_per_user = 3;
    config.limits.max_room_members = 3;
    config.limits.max_mailbox_messages = 2;
    config.limits.max_send_keys_per_user = 2;
    config.limits.room_log_messages = 3;
    config.limits.room_log_max_age_secs = 600;
    config.limits.max_uploads_per_user = 2;
    config.limits.max_audio_blobs = 2;
    // Tests send bursts in one instant; the rate limits have tests of their own.
    config.limits.room_sends = super::Rate::UNLIMITED;
    config
}

impl Harness {
    fn new() -> Harness {
        Harness::with_store(MemoryStore::new())
    }

    fn with_store(store: MemoryStore) -> Harness {
        Harness::over(store.clone(), Box::new(store))
    }

    /// A core over `disk`, which is (or wraps) `store`.
    fn over(store: MemoryStore, disk: Box<dyn crate::store::Store>) -> Harness {
        Harness::configured(store, disk, config())
    }

    /// A core with the test config changed by `change`, over a fresh store.
    fn with_limits(change: impl FnOnce(&mut crate::config::Limits)) -> Harness {
        let mut config = config();
        change(&mut config.limits);
        let store = MemoryStore::new();
        Harness::configured(store.clone(), Box::new(store), config)
    }

    fn configured(
        store: MemoryStore,
        disk: Box<dyn crate::store::Store>,
        config: ServerConfig,
    ) -> Harness {
        let core = ServerCore::new(&config, disk, 7).unwrap();
        Harness {
            core,
            store,
            now_ms: T0_MS,
            nonces: Default::default(),
            next_request: 100,
            voice_tokens: Default::default(),
        }
    }

    /// A restarted server over the same store.
    fn restart(self) -> Harness {
        Harness {
            now_ms: self.now_ms,
            ..Harness::with_store(self.store)
        }
    }

    /// Every output, with the hash jobs run as the driver would (their results fed back as
    /// inputs, their outputs collected too) and the `LoggedIn` notes left out (see
    /// `drain_all`).
    fn drain(&mut self) -> Vec<Output> {
        self.drain_all()
            .into_iter()
            .filter(|o| !matches!(o, Output::LoggedIn { .. }))
            .collect()
    }

    /// Every output, hash jobs run.
    fn drain_all(&mut self) -> Vec<Output> {
        let mut outputs = Vec::new();
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Hash(job) => {
                    let done = job.run();
                    self.core.handle_hash_done(Now::at(self.now_ms), done);
                }
                other => {
                    if let Output::Send { conn, frame } = &other {
                        let Some(FrameBody::Message(message)) = &frame.body else {
                            outputs.push(other);
                            continue;
                        };
                        if let Some(body::Kind::Voice(voice)) =
                            message.body.as_ref().and_then(|b| b.kind.as_ref())
                        {
                            self.voice_tokens
                                .insert((*conn, message.message_id), voice.download_token);
                        }
                    }
                    outputs.push(other);
                }
            }
        }
        self.core.check_invariants().expect("invariants hold");
        outputs
    }

    fn connect(&mut self, conn: ConnId) {
        self.connect_from(conn, "test");
    }

    /// Connects `conn` from the peer address `peer` ("ip:port").
    fn connect_from(&mut self, conn: ConnId, peer: &str) {
        self.core.handle_connect(Now::at(self.now_ms), conn, peer);
        let nonce = self
            .drain()
            .into_iter()
            .find_map(|o| o.challenge_nonce().map(<[u8]>::to_vec))
            .expect("challenge");
        self.nonces.insert(conn, nonce);
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    fn frame(&mut self, conn: ConnId, body: FrameBody) -> Vec<Output> {
        self.core
            .handle_frame(Now::at(self.now_ms), conn, Frame::new(body));
        self.drain()
    }

    fn login_frame(
        &mut self,
        conn: ConnId,
        app: &str,
        secret: &str,
        user: &str,
        password: &str,
        token: &str,
    ) -> Login {
        Login {
            request_id: self.request_id(),
            protocol_version: yim_proto::PROTOCOL_VERSION,
            app_key: app.into(),
            proof: auth::challenge_proof(secret, &self.nonces[&conn]),
            user_id: user.into(),
            password: password.into(),
            token: token.into(),
            resume_session_id: 0,
        }
    }

    /// Connects `conn` and logs in; returns the reply code and every output.
    fn login(&mut self, conn: ConnId, user: &str, password: &str) -> (ErrorCode, Vec<Output>) {
        self.connect(conn);
        let login = self.login_frame(conn, APP, SECRET, user, password, "");
        let id = login.request_id;
        let out = self.frame(conn, FrameBody::Login(login));
        (code_of(&out, conn, id), out)
    }

    fn logged_in(&mut self, conn: ConnId, user: &str) -> Vec<Output> {
        let (code, out) = self.login(conn, user, "pw");
        assert_eq!(code, ErrorCode::Success);
        out
    }

    fn call(
        &mut self,
        conn: ConnId,
        make: impl FnOnce(u64) -> FrameBody,
    ) -> (ErrorCode, Vec<Output>) {
        let id = self.request_id();
        let out = self.frame(conn, make(id));
        (code_of(&out, conn, id), out)
    }

    fn join(&mut self, conn: ConnId, room: &str) -> ErrorCode {
        self.call(conn, |request_id| {
            FrameBody::JoinRoom(JoinRoom {
                request_id,
                room_id: room.into(),
                resume_after_seq: None,
            })
        })
        .0
    }

    fn leave(&mut self, conn: ConnId, room: &str) -> ErrorCode {
        self.call(conn, |request_id| {
            FrameBody::LeaveRoom(LeaveRoom {
                request_id,
                room_id: room.into(),
            })
        })
        .0
    }

    /// The member count reply: its code and the count it carries, if any.
    fn member_count(&mut self, conn: ConnId, room: &str) -> (ErrorCode, Option<u32>) {
        let (code, out) = self.call(conn, |request_id| {
            FrameBody::GetRoomMemberCount(GetRoomMemberCount {
                request_id,
                room_id: room.into(),
            })
        });
        let count = match reply_of(&out, conn, self.next_request).detail {
            Some(reply::Detail::MemberCount(count)) => Some(count),
            _ => None,
        };
        (code, count)
    }

    fn send_text(
        &mut self,
        conn: ConnId,
        to: &str,
        chat_type: ChatType,
        text: &str,
    ) -> (ErrorCode, reply::Detail, Vec<Output>) {
        let id = self.request_id();
        let out = self.frame(conn, FrameBody::SendMessage(send(id, to, chat_type, text)));
        let reply = reply_of(&out, conn, id);
        let code = ErrorCode::from_u32(reply.code).unwrap();
        (
            code,
            reply.detail.expect("send replies carry a receipt"),
            out,
        )
    }

    fn admin(&mut self, conn: ConnId) {
        self.connect(conn);
        let request_id = self.request_id();
        let proof = auth::challenge_proof(SECRET, &self.nonces[&conn]);
        let out = self.frame(
            conn,
            FrameBody::AdminLogin(AdminLogin {
                request_id,
                protocol_version: 1,
                app_key: APP.into(),
                proof,
            }),
        );
        assert_eq!(code_of(&out, conn, request_id), ErrorCode::Success);
    }

    fn mute(
        &mut self,
        admin: ConnId,
        room: &str,
        user: &str,
        reason: u32,
        end_time: u64,
    ) -> ErrorCode {
        self.call(admin, |request_id| {
            FrameBody::Mute(Mute {
                request_id,
                room_id: room.into(),
                user_id: user.into(),
                reason,
                end_time,
            })
        })
        .0
    }
}

fn send(request_id: u64, to: &str, chat_type: ChatType, text: &str) -> SendMessage {
    SendMessage {
        request_id,
        receiver_id: to.into(),
        chat_type: chat_type as i32,
        body: Some(Body {
            kind: Some(body::Kind::Text(Text {
                content: text.into(),
                attach: "a".into(),
            })),
        }),
        idempotency_key: 0,
    }
}

fn reply_of(out: &[Output], conn: ConnId, request_id: u64) -> yim_proto::wire::Reply {
    let replies: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Output::Send { conn: c, frame } if *c == conn => match &frame.body {
                Some(FrameBody::Reply(r)) if r.request_id == request_id => Some(r.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(
        replies.len(),
        1,
        "exactly one reply to {request_id} in {out:?}"
    );
    replies[0].clone()
}

fn code_of(out: &[Output], conn: ConnId, request_id: u64) -> ErrorCode {
    ErrorCode::from_u32(reply_of(out, conn, request_id).code).unwrap()
}

fn messages_to(out: &[Output], conn: ConnId) -> Vec<Message> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { conn: c, frame } if *c == conn => match &frame.body {
                Some(FrameBody::Message(m)) => Some(m.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn closed(out: &[Output], conn: ConnId) -> bool {
    out.iter()
        .any(|o| matches!(o, Output::Close { conn: c, .. } if *c == conn))
}

fn text_of(message: &Message) -> &str {
    match message.body.as_ref().and_then(|b| b.kind.as_ref()) {
        Some(body::Kind::Text(text)) => &text.content,
        _ => panic!("not a text message"),
    }
}

#[test]
fn first_login_registers_and_later_logins_must_match_the_password() {
    let mut h = Harness::new();
    assert_eq!(h.login(1, "alice", "pw1").0, ErrorCode::Success);
    let (code, out) = h.login(2, "alice", "wrong");
    assert_eq!(code, ErrorCode::UsernamePasswordError);
    assert!(closed(&out, 2), "a failed login closes the connection");
    assert!(
        !closed(&out, 1),
        "the existing session is untouched by a failed login"
    );
    let account = h.store.clone();
    let stored = crate::store::Store::account(&account, APP, "alice")
        .unwrap()
        .unwrap();
    assert_ne!(
        stored.password_hash,
        b"pw1".to_vec(),
        "passwords are stored hashed"
    );
    assert_eq!(stored.salt.len(), 16);
}

#[test]
fn login_rejects_bad_apps_proofs_ids_and_tokens() {
    let mut h = Harness::new();
    for (conn, app, secret, user, password, token, expected) in [
        (
            1,
            "nope",
            SECRET,
            "alice",
            "pw",
            "",
            ErrorCode::InvalidAppkey,
        ),
        (
            2,
            APP,
            "not_the_secret",
            "alice",
            "pw",
            "",
            ErrorCode::SDKInvalid,
        ),
        (3, APP, SECRET, "bad id", "pw", "", ErrorCode::ParamInvalid),
        (
            4,
            APP,
            SECRET,
            &"a".repeat(256),
            "pw",
            "",
            ErrorCode::ParamInvalid,
        ),
        (5, APP, SECRET, "alice", "", "", ErrorCode::ParamInvalid),
        (
            6,
            APP,
            SECRET,
            "alice",
            "pw",
            "garbage",
            ErrorCode::LoginTokenInvalid,
        ),
    ] {
        h.connect(conn);
        let login = h.login_frame(conn, app, secret, user, password, token);
        let id = login.request_id;
        let out = h.frame(conn, FrameBody::Login(login));
        assert_eq!(code_of(&out, conn, id), expected, "case {conn}");
        assert!(closed(&out, conn));
    }
}

#[test]
fn login_tokens_are_checked_when_given() {
    let mut h = Harness::new();
    let now_secs = T0_MS / 1000;
    let valid = auth::make_login_token(SECRET, "alice", now_secs + 60);
    let expired = auth::make_login_token(SECRET, "bob", now_secs);
    let other_user = auth::make_login_token(SECRET, "carol", now_secs + 60);
    for (conn, user, token, expected) in [
        (1, "alice", valid.as_str(), ErrorCode::Success),
        (2, "bob", expired.as_str(), ErrorCode::LoginTokenInvalid),
        (3, "dave", other_user.as_str(), ErrorCode::LoginTokenInvalid),
    ] {
        h.connect(conn);
        let login = h.login_frame(conn, APP, SECRET, user, "pw", token);
        let id = login.request_id;
        let out = h.frame(conn, FrameBody::Login(login));
        assert_eq!(code_of(&out, conn, id), expected, "{user}");
    }
}

#[test]
fn a_second_login_elsewhere_kicks_the_first_off() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    assert_eq!(h.join(1, "world"), ErrorCode::Success);
    let out = h.logged_in(2, "alice");
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Send { conn: 1, frame } if matches!(frame.body, Some(FrameBody::KickOff(_)))
    )));
    assert!(closed(&out, 1));
    assert!(
        h.core.room_members(APP, "world").is_empty(),
        "the old session's rooms are left"
    );
    // Same connection logging in again: AlreadyLogin, connection stays.
    let login = h.login_frame(2, APP, SECRET, "alice", "pw", "");
    let id = login.request_id;
    let out = h.frame(2, FrameBody::Login(login));
    assert_eq!(code_of(&out, 2, id), ErrorCode::AlreadyLogin);
    assert!(!closed(&out, 2));
}

#[test]
fn requests_before_login_get_not_login() {
    let mut h = Harness::new();
    h.connect(1);
    let (code, _) = h.call(1, |request_id| {
        FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: "w".into(),
            resume_after_seq: None,
        })
    });
    assert_eq!(code, ErrorCode::NotLogin);
    let (code, _) = h.call(1, |request_id| {
        FrameBody::Mute(Mute {
            request_id,
            room_id: "w".into(),
            ..Default::default()
        })
    });
    assert_eq!(code, ErrorCode::NotLogin);
    let out = h.frame(1, FrameBody::Ping(Ping { nonce: 9 }));
    assert!(out.iter().any(|o| matches!(o,
        Output::Send { frame, .. } if matches!(&frame.body, Some(FrameBody::Pong(p)) if p.nonce == 9))));
}

#[test]
fn rooms_membership_counts_and_limits() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    assert_eq!(h.join(1, "world"), ErrorCode::Success);
    assert_eq!(
        h.join(1, "world"),
        ErrorCode::Success,
        "joining twice is harmless"
    );
    assert_eq!(h.join(2, "world"), ErrorCode::Success);
    assert_eq!(h.join(1, &"r".repeat(256)), ErrorCode::RoomIDTooLong);
    assert_eq!(h.join(1, "bad-id"), ErrorCode::ParamInvalid);
    assert_eq!(h.member_count(1, "world"), (ErrorCode::Success, Some(2)));
    assert_eq!(
        h.member_count(1, "guild").0,
        ErrorCode::NotJoinRoom,
        "counting needs membership"
    );
    assert_eq!(h.leave(1, "guild"), ErrorCode::NotJoinRoom);
    assert_eq!(h.leave(2, "world"), ErrorCode::Success);
    assert_eq!(h.core.room_members(APP, "world"), vec!["alice".to_owned()]);
    // Rooms per user: the limit is 3 in this config.
    assert_eq!(h.join(1, "r2"), ErrorCode::Success);
    assert_eq!(h.join(1, "r3"), ErrorCode::Success);
    assert_eq!(h.join(1, "r4"), ErrorCode::StatusError);
    let (code, _) = h.call(1, |request_id| {
        FrameBody::LeaveAllRooms(LeaveAllRooms { request_id })
    });
    assert_eq!(code, ErrorCode::Success);
    assert!(h.core.room_members(APP, "world").is_empty());
    // Room capacity: 3 in this config.
    for (conn, user) in [(3, "u3"), (4, "u4"), (5, "u5"), (6, "u6")] {
        h.logged_in(conn, user);
    }
    for conn in [3, 4, 5] {
        assert_eq!(h.join(conn, "full"), ErrorCode::Success);
    }
    assert_eq!(h.join(6, "full"), ErrorCode::ChannelMemberOverflow);
}

#[test]
fn room_messages_fan_out_to_members_but_not_the_sender() {
    let mut h = Harness::new();
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        h.logged_in(conn, user);
    }
    h.join(1, "world");
    h.join(2, "world");
    h.join(3, "guild");
    let (code, detail, out) = h.send_text(1, "world", ChatType::Room, "hello");
    assert_eq!(code, ErrorCode::Success);
    let reply::Detail::SendReceipt(receipt) = detail else {
        panic!()
    };
    assert!(receipt.message_id > 0);
    assert_eq!(receipt.send_time, T0_MS / 1000);
    assert!(messages_to(&out, 1).is_empty(), "no echo to the sender");
    assert!(messages_to(&out, 3).is_empty(), "non-members get nothing");
    let to_bob = messages_to(&out, 2);
    assert_eq!(to_bob.len(), 1);
    assert_eq!(to_bob[0].message_id, receipt.message_id);
    assert_eq!(
        (
            to_bob[0].sender_id.as_str(),
            to_bob[0].room_seq,
            text_of(&to_bob[0])
        ),
        ("alice", 1, "hello")
    );
    let (_, _, out) = h.send_text(2, "world", ChatType::Room, "hi");
    assert_eq!(messages_to(&out, 1)[0].room_seq, 2, "per-room sequence");
    let (code, _, _) = h.send_text(3, "world", ChatType::Room, "intruder");
    assert_eq!(code, ErrorCode::NotJoinRoom);
    let (code, _, _) = h.send_text(1, "world", ChatType::Room, &"x".repeat(2049));
    assert_eq!(code, ErrorCode::MessageTooLong);
}

#[test]
fn private_messages_are_kept_until_acknowledged() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    let (code, _, out) = h.send_text(1, "bob", ChatType::Private, "online");
    assert_eq!(code, ErrorCode::Success);
    let online = messages_to(&out, 2);
    assert_eq!(text_of(&online[0]), "online");
    let (code, _, _) = h.send_text(1, "nobody", ChatType::Private, "x");
    assert_eq!(code, ErrorCode::InvalidReceiver);
    // Not acknowledged: a new session of bob's gets it again; acknowledged: it is gone.
    h.core.handle_disconnect(2, "test");
    let out = h.logged_in(5, "bob");
    assert_eq!(messages_to(&out, 5), online);
    h.frame(
        5,
        FrameBody::AckMessages(AckMessages {
            up_to_message_id: online[0].message_id,
        }),
    );
    h.core.handle_disconnect(5, "test");
    // Bob is offline; two messages wait (the mailbox holds 2 here), a third is refused.
    assert_eq!(
        h.send_text(1, "bob", ChatType::Private, "one").0,
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(1, "bob", ChatType::Private, "two").0,
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(1, "bob", ChatType::Private, "three").0,
        ErrorCode::ServerError
    );
    // Delivered at the next login, in order, even after a server restart; then never again.
    let mut h = h.restart();
    let out = h.logged_in(3, "bob");
    let texts: Vec<_> = messages_to(&out, 3)
        .iter()
        .map(|m| text_of(m).to_owned())
        .collect();
    assert_eq!(texts, ["one", "two"]);
    let last = messages_to(&out, 3)[1].message_id;
    h.frame(
        3,
        FrameBody::AckMessages(AckMessages {
            up_to_message_id: last,
        }),
    );
    h.core.handle_disconnect(3, "test");
    let out = h.logged_in(4, "bob");
    assert!(messages_to(&out, 4).is_empty());
}

#[test]
fn mutes_refuse_room_sends_with_the_forbid_fields_until_the_end_time() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    h.admin(9);
    let now_secs = T0_MS / 1000;
    assert_eq!(
        h.mute(9, "world", "alice", 2, now_secs + 60),
        ErrorCode::Success
    );
    let (code, detail, out) = h.send_text(1, "world", ChatType::Room, "muted");
    assert_eq!(code, ErrorCode::ForbiddenSpeak);
    let reply::Detail::SendReceipt(receipt) = detail else {
        panic!()
    };
    let forbid = receipt.forbid.unwrap();
    assert_eq!(
        (forbid.is_forbid_room, forbid.reason, forbid.end_time),
        (false, 2, now_secs + 60)
    );
    assert!(
        messages_to(&out, 2).is_empty(),
        "nothing delivered while muted"
    );
    assert_eq!(
        h.send_text(2, "world", ChatType::Room, "bob speaks").0,
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(1, "bob", ChatType::Private, "private is fine")
            .0,
        ErrorCode::Success
    );
    // A room mute wins over the user mute and silences everyone.
    assert_eq!(h.mute(9, "world", "", 5, now_secs + 30), ErrorCode::Success);
    let (code, detail, _) = h.send_text(2, "world", ChatType::Room, "x");
    assert_eq!(code, ErrorCode::ForbiddenSpeak);
    let reply::Detail::SendReceipt(receipt) = detail else {
        panic!()
    };
    let forbid = receipt.forbid.unwrap();
    assert_eq!(
        (forbid.is_forbid_room, forbid.reason, forbid.end_time),
        (true, 5, now_secs + 30)
    );
    // The room mute ends at its end time; the user mute still holds, then ends too.
    h.now_ms = (now_secs + 30) * 1000;
    assert_eq!(
        h.send_text(2, "world", ChatType::Room, "x").0,
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(1, "world", ChatType::Room, "x").0,
        ErrorCode::ForbiddenSpeak
    );
    h.now_ms = (now_secs + 60) * 1000;
    assert_eq!(
        h.send_text(1, "world", ChatType::Room, "x").0,
        ErrorCode::Success
    );
    // Unmute lifts a mute before its end.
    assert_eq!(
        h.mute(9, "world", "bob", 1, now_secs + 1000),
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(2, "world", ChatType::Room, "x").0,
        ErrorCode::ForbiddenSpeak
    );
    let (code, _) = h.call(9, |request_id| {
        FrameBody::Unmute(Unmute {
            request_id,
            room_id: "world".into(),
            user_id: "bob".into(),
        })
    });
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(
        h.send_text(2, "world", ChatType::Room, "x").0,
        ErrorCode::Success
    );
}

#[test]
fn mute_requests_are_validated_and_need_an_operator() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    assert_eq!(
        h.mute(1, "world", "bob", 1, u64::MAX),
        ErrorCode::NotLogin,
        "users are not operators"
    );
    h.admin(9);
    assert_eq!(
        h.mute(9, "world", "bob", 8, u64::MAX),
        ErrorCode::ParamInvalid,
        "reason > 7"
    );
    assert_eq!(
        h.mute(9, "bad room", "bob", 1, u64::MAX),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        h.mute(9, "world", "bad user", 1, u64::MAX),
        ErrorCode::ParamInvalid
    );
}

#[test]
fn mutes_and_message_ids_survive_a_restart() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    let (_, detail, _) = h.send_text(1, "bob", ChatType::Private, "x");
    let reply::Detail::SendReceipt(before) = detail else {
        panic!()
    };
    h.admin(9);
    h.mute(9, "world", "alice", 3, u64::MAX);
    let mut h = h.restart();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    assert_eq!(
        h.send_text(1, "world", ChatType::Room, "x").0,
        ErrorCode::ForbiddenSpeak
    );
    let (_, detail, _) = h.send_text(1, "bob", ChatType::Private, "x");
    let reply::Detail::SendReceipt(after) = detail else {
        panic!()
    };
    assert!(
        after.message_id > before.message_id,
        "IDs are never reused across restarts"
    );
}

#[test]
fn idle_and_silent_connections_are_closed() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.connect(2); // never logs in
    h.now_ms += 15_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    let out = h.drain();
    assert!(closed(&out, 2), "no login within the login timeout");
    assert!(!closed(&out, 1));
    h.frame(1, FrameBody::Ping(Ping { nonce: 1 }));
    h.now_ms += 44_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    assert!(!closed(&h.drain(), 1), "a ping keeps the session alive");
    h.now_ms += 1_000;
    h.core.handle_timeout(Now::at(h.now_ms));
    assert!(closed(&h.drain(), 1), "idle timeout");
}

#[test]
fn unexpected_frames_close_the_connection_and_logout_ends_the_session() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    let out = h.frame(1, FrameBody::Pong(Default::default()));
    assert!(closed(&out, 1));
    h.logged_in(2, "bob");
    h.join(2, "world");
    let (code, out) = h.call(2, |request_id| FrameBody::Logout(Logout { request_id }));
    assert_eq!(code, ErrorCode::Success);
    assert!(closed(&out, 2));
    assert!(h.core.room_members(APP, "world").is_empty());
    assert_eq!(h.core.connection_count(), 0);
}

mod commits;
mod history;
mod hostile;
mod reliability;
mod voice;
