//! Unit tests of the rules against hostile and careless clients: password hashes off the core
//! (a login is two inputs), login throttles, the room send rate, mailbox shares, private voice
//! downloads, and the count of connections not logged in. Real-TCP tests of the same rules
//! (fairness, memory before login, output byte caps) are in `tests/tests/hostile.rs`.

use yim_proto::wire::{body, Body, DownloadAudio, Voice};

use super::*;
use crate::core::Rate;
use crate::store::Store;

impl Harness {
    /// Sends a login frame without running its hash: the raw outputs (the `Hash` job among
    /// them) and the request ID.
    fn start_login(&mut self, conn: ConnId, user: &str, password: &str) -> (u64, Vec<Output>) {
        let login = self.login_frame(conn, APP, SECRET, user, password, "");
        let id = login.request_id;
        self.core.handle_frame(
            Now::at(self.now_ms),
            conn,
            Frame::new(FrameBody::Login(login)),
        );
        (id, std::iter::from_fn(|| self.core.poll_output()).collect())
    }

    /// Connects from `peer` and logs in (hash run); the login's code.
    fn login_from(&mut self, conn: ConnId, peer: &str, user: &str, password: &str) -> ErrorCode {
        self.connect_from(conn, peer);
        let login = self.login_frame(conn, APP, SECRET, user, password, "");
        let id = login.request_id;
        let out = self.frame(conn, FrameBody::Login(login));
        code_of(&out, conn, id)
    }
}

fn hash_jobs(out: &[Output]) -> Vec<crate::core::HashJob> {
    out.iter()
        .filter_map(|o| match o {
            Output::Hash(job) => Some(job.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_login_hashes_off_the_core_and_is_answered_by_the_hash_result() {
    let mut h = Harness::new();
    h.connect(1);
    let (id, out) = h.start_login(1, "alice", "pw");
    let jobs = hash_jobs(&out);
    assert_eq!(jobs.len(), 1, "one hash job: {out:?}");
    assert_eq!(out.len(), 1, "and nothing else: no answer before the hash");
    assert_eq!(
        h.store.account(APP, "alice").unwrap(),
        None,
        "nothing written yet"
    );
    assert!(
        !format!("{:?}", jobs[0]).contains("pw"),
        "the password is not logged"
    );
    // Another login on the connection while it hashes: AlreadyLogin, the first goes on.
    let again = h.login_frame(1, APP, SECRET, "alice", "pw", "");
    let again_id = again.request_id;
    let out = h.frame(1, FrameBody::Login(again));
    assert_eq!(code_of(&out, 1, again_id), ErrorCode::AlreadyLogin);
    assert!(!closed(&out, 1));
    // The result is an input of its own: the account, the LoggedIn note, then the reply.
    h.core.handle_hash_done(Now::at(h.now_ms), jobs[0].run());
    let out = h.drain_all();
    let logged_in = out.iter().position(|o| *o == Output::LoggedIn { conn: 1 });
    let reply = out.iter().position(|o| {
        matches!(o, Output::Send { frame, .. } if matches!(&frame.body, Some(FrameBody::Reply(r)) if r.request_id == id))
    });
    assert!(
        logged_in.is_some() && logged_in < reply,
        "LoggedIn before the reply: {out:?}"
    );
    assert_eq!(code_of(&out, 1, id), ErrorCode::Success);
    assert!(h.store.account(APP, "alice").unwrap().is_some());
    assert_eq!(h.core.unauthenticated_count(), 0);
}

#[test]
fn a_connection_gone_while_hashing_is_answered_nothing_and_a_late_result_is_ignored() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.connect(2);
    let (_, out) = h.start_login(2, "alice", "wrong");
    let job = hash_jobs(&out).remove(0);
    h.core.handle_disconnect(2, "gone");
    h.drain();
    h.core.handle_hash_done(Now::at(h.now_ms), job.run());
    assert!(h.drain().is_empty(), "no one to answer");
    h.core.handle_hash_done(Now::at(h.now_ms), job.run());
    assert!(h.drain().is_empty(), "an unknown job is ignored");
}

#[test]
fn failed_logins_per_account_back_off_then_refuse_with_user_status_error() {
    let mut h = Harness::with_limits(|l| {
        l.failed_logins_per_account = Rate::new(3, 60_000);
        l.failed_logins_per_address = Rate::UNLIMITED;
    });
    h.logged_in(1, "alice");
    for conn in 10..13 {
        let (code, out) = h.login(conn, "alice", "guess");
        assert_eq!(code, ErrorCode::UsernamePasswordError);
        assert!(closed(&out, conn));
    }
    // Out of tokens: refused at once, without a hash, and closed; the right password too.
    for (conn, password) in [(13, "guess"), (14, "pw")] {
        h.connect(conn);
        let (id, out) = h.start_login(conn, "alice", password);
        assert!(hash_jobs(&out).is_empty(), "no hash for a throttled login");
        assert_eq!(code_of(&out, conn, id), ErrorCode::UserStatusError);
        assert!(closed(&out, conn));
    }
    // Other accounts are not affected.
    assert_eq!(h.login(15, "bob", "pw").0, ErrorCode::Success);
    // One token back per refill: one more attempt, then refused again.
    h.now_ms += 60_000;
    assert_eq!(h.login(16, "alice", "pw").0, ErrorCode::Success);
    assert_eq!(
        h.login(17, "alice", "pw").0,
        ErrorCode::Success,
        "a right password gives its token back"
    );
}

#[test]
fn failed_logins_per_address_count_every_account_from_it() {
    let mut h = Harness::with_limits(|l| {
        l.failed_logins_per_account = Rate::UNLIMITED;
        l.failed_logins_per_address = Rate::new(2, 60_000);
    });
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        h.logged_in(conn, user);
    }
    let attacker = "10.0.0.9:4000";
    assert_eq!(
        h.login_from(10, attacker, "alice", "x"),
        ErrorCode::UsernamePasswordError
    );
    // Another port of the same host is the same address.
    let other_port = "10.0.0.9:4001";
    assert_eq!(
        h.login_from(11, other_port, "bob", "x"),
        ErrorCode::UsernamePasswordError
    );
    assert_eq!(
        h.login_from(12, attacker, "carol", "x"),
        ErrorCode::UserStatusError
    );
    assert_eq!(
        h.login_from(13, attacker, "carol", "pw"),
        ErrorCode::UserStatusError
    );
    // Another address logs in.
    assert_eq!(
        h.login_from(14, "10.0.0.10:4000", "carol", "pw"),
        ErrorCode::Success
    );
}

#[test]
fn registrations_per_address_are_limited() {
    let mut h = Harness::with_limits(|l| l.registrations_per_address = Rate::new(2, 60_000));
    let host = "10.0.0.1:1000";
    assert_eq!(h.login_from(1, host, "u1", "pw"), ErrorCode::Success);
    assert_eq!(h.login_from(2, host, "u2", "pw"), ErrorCode::Success);
    assert_eq!(
        h.login_from(3, host, "u3", "pw"),
        ErrorCode::UserStatusError
    );
    assert_eq!(h.store.account(APP, "u3").unwrap(), None, "not registered");
    // Logins of registered accounts are not registrations.
    assert_eq!(h.login_from(4, host, "u1", "pw"), ErrorCode::Success);
    assert_eq!(
        h.login_from(5, "10.0.0.2:1000", "u3", "pw"),
        ErrorCode::Success
    );
    h.now_ms += 60_000;
    assert_eq!(h.login_from(6, host, "u4", "pw"), ErrorCode::Success);
}

#[test]
fn logins_waiting_for_a_hash_are_bounded() {
    let mut h = Harness::with_limits(|l| l.max_pending_hashes = 2);
    let mut jobs = Vec::new();
    for conn in 1..=2 {
        h.connect(conn);
        jobs.extend(hash_jobs(&h.start_login(conn, &format!("u{conn}"), "pw").1));
    }
    h.connect(3);
    let (id, out) = h.start_login(3, "u3", "pw");
    assert!(hash_jobs(&out).is_empty());
    assert_eq!(code_of(&out, 3, id), ErrorCode::ServerError);
    h.core.check_invariants().unwrap();
    for job in jobs {
        h.core.handle_hash_done(Now::at(h.now_ms), job.run());
    }
    h.drain();
    assert_eq!(h.login(4, "u4", "pw").0, ErrorCode::Success, "room again");
}

#[test]
fn racing_registrations_of_one_user_id_check_the_loser_against_the_winner() {
    let mut h = Harness::new();
    let mut jobs = Vec::new();
    let mut ids = Vec::new();
    for (conn, password) in [(1, "first"), (2, "second"), (3, "first")] {
        h.connect(conn);
        let (id, out) = h.start_login(conn, "alice", password);
        ids.push(id);
        jobs.extend(hash_jobs(&out));
    }
    let mut codes = Vec::new();
    for (i, job) in jobs.into_iter().enumerate() {
        h.core.handle_hash_done(Now::at(h.now_ms), job.run());
        let conn = i as u64 + 1;
        let out = h.drain();
        codes.push(code_of(&out, conn, ids[i]));
    }
    assert_eq!(
        codes,
        [
            ErrorCode::Success,
            ErrorCode::UsernamePasswordError,
            ErrorCode::Success
        ],
        "the first registers; the others are checked against its password"
    );
}

#[test]
fn connections_not_logged_in_are_counted() {
    let mut h = Harness::new();
    h.connect(1);
    h.connect(2);
    assert_eq!(h.core.unauthenticated_count(), 2);
    h.logged_in(3, "alice");
    assert_eq!(h.core.unauthenticated_count(), 2);
    h.core.handle_disconnect(1, "gone");
    h.drain();
    h.admin(4);
    assert_eq!(h.core.unauthenticated_count(), 1);
    let (code, _) = h.login(5, "bob", "pw");
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(h.core.unauthenticated_count(), 1);
}

#[test]
fn the_room_send_rate_refuses_with_message_blocked_and_drops_nothing_silently() {
    let mut h = Harness::with_limits(|l| l.room_sends = Rate::new(2, 1000));
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    let mut delivered = 0;
    let mut codes = Vec::new();
    for i in 0..4 {
        let sender = 1 + i % 2;
        let (code, _, out) = h.send_text(sender, "world", ChatType::Room, &format!("m{i}"));
        codes.push(code);
        delivered += messages_to(&out, 1).len() + messages_to(&out, 2).len();
    }
    assert_eq!(
        codes,
        [
            ErrorCode::Success,
            ErrorCode::Success,
            ErrorCode::MessageBlocked,
            ErrorCode::MessageBlocked
        ],
        "all senders share the room's rate"
    );
    assert_eq!(delivered, 2, "only the accepted sends go out");
    assert_eq!(h.store.room_last_seq(APP, "world").unwrap(), 2);
    // Another room has its own rate; the room refills.
    h.join(1, "guild");
    assert_eq!(
        h.send_text(1, "guild", ChatType::Room, "g").0,
        ErrorCode::Success
    );
    h.now_ms += 1000;
    assert_eq!(
        h.send_text(2, "world", ChatType::Room, "later").0,
        ErrorCode::Success
    );
}

#[test]
fn one_sender_fills_only_its_share_of_a_mailbox() {
    let mut h = Harness::with_limits(|l| {
        l.max_mailbox_messages = 3;
        l.max_mail_per_sender = 2;
    });
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol"), (4, "dave")] {
        h.logged_in(conn, user);
    }
    h.core.handle_disconnect(2, "bob goes offline");
    h.drain();
    let codes: Vec<_> = (0..3)
        .map(|i| h.send_text(1, "bob", ChatType::Private, &format!("a{i}")).0)
        .collect();
    assert_eq!(
        codes,
        [
            ErrorCode::Success,
            ErrorCode::Success,
            ErrorCode::MessageBlocked
        ]
    );
    assert_eq!(
        h.send_text(3, "bob", ChatType::Private, "c").0,
        ErrorCode::Success
    );
    assert_eq!(
        h.send_text(4, "bob", ChatType::Private, "d").0,
        ErrorCode::ServerError,
        "the whole mailbox is full"
    );
    // Acknowledged mail frees the share.
    let out = h.logged_in(5, "bob");
    let last = messages_to(&out, 5).last().map(|m| m.message_id).unwrap();
    h.frame(
        5,
        FrameBody::AckMessages(AckMessages {
            up_to_message_id: last,
        }),
    );
    assert_eq!(
        h.send_text(1, "bob", ChatType::Private, "again").0,
        ErrorCode::Success
    );
}

/// A voice message of `audio` from `conn` to `to`; its ID.
fn send_voice(h: &mut Harness, conn: ConnId, to: &str, chat_type: ChatType, audio: &[u8]) -> u64 {
    let key = h.request_id();
    let (code, _) = h.call(conn, |request_id| {
        FrameBody::UploadAudio(yim_proto::wire::UploadAudio {
            request_id,
            upload_key: key,
            total_size: audio.len() as u64,
            offset: 0,
            data: audio.to_vec(),
        })
    });
    assert_eq!(code, ErrorCode::Success);
    let id = h.request_id();
    let send = SendMessage {
        request_id: id,
        receiver_id: to.into(),
        chat_type: chat_type as i32,
        body: Some(Body {
            kind: Some(body::Kind::Voice(Voice {
                audio_id: 0,
                file_size: audio.len() as u64,
                duration_ms: 1_000,
                text: String::new(),
                extra_param: String::new(),
                upload_key: key,
                // A sender cannot choose the token.
                download_token: 42,
            })),
        }),
        idempotency_key: 0,
    };
    let out = h.frame(conn, FrameBody::SendMessage(send));
    assert_eq!(code_of(&out, conn, id), ErrorCode::Success);
    match reply_of(&out, conn, id).detail {
        Some(reply::Detail::SendReceipt(receipt)) => receipt.message_id,
        other => panic!("{other:?}"),
    }
}

fn download_code(h: &mut Harness, conn: ConnId, audio_id: u64, download_token: u64) -> ErrorCode {
    h.call(conn, |request_id| {
        FrameBody::DownloadAudio(DownloadAudio {
            request_id,
            audio_id,
            offset: 0,
            max_bytes: 0,
            download_token,
        })
    })
    .0
}

#[test]
fn voice_audio_is_for_its_sender_and_those_it_was_delivered_to() {
    let mut h = Harness::new();
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        h.logged_in(conn, user);
    }
    let private = send_voice(&mut h, 1, "bob", ChatType::Private, b"secret");
    let token = h.voice_tokens[&(2, private)];
    assert_ne!(token, 42, "the server draws the token");
    assert_eq!(download_code(&mut h, 2, private, token), ErrorCode::Success);
    assert_eq!(
        download_code(&mut h, 1, private, 0),
        ErrorCode::Success,
        "the sender"
    );
    // Carol knows the ID (they are sequential) but not the token: the answer of an unknown ID.
    let unknown = download_code(&mut h, 3, private + 1000, 0);
    assert_eq!(unknown, ErrorCode::ParamInvalid);
    for guess in [0, 1, 42, token ^ 1] {
        assert_eq!(download_code(&mut h, 3, private, guess), unknown);
    }
    // A token opens only its own message.
    let other = send_voice(&mut h, 1, "carol", ChatType::Private, b"other");
    assert_eq!(
        download_code(&mut h, 2, other, token),
        ErrorCode::ParamInvalid
    );
    assert_eq!(
        {
            let token = h.voice_tokens[&(3, other)];
            download_code(&mut h, 3, other, token)
        },
        ErrorCode::Success
    );
    // Room: the members it was sent to; one who joins later never got the token.
    h.join(1, "world");
    h.join(2, "world");
    let room = send_voice(&mut h, 1, "world", ChatType::Room, b"room");
    assert_eq!(
        {
            let token = h.voice_tokens[&(2, room)];
            download_code(&mut h, 2, room, token)
        },
        ErrorCode::Success
    );
    h.join(3, "world");
    assert_eq!(download_code(&mut h, 3, room, 0), ErrorCode::ParamInvalid);
    // A member who missed it while away gets it, token and all, in the replay.
    h.core.handle_disconnect(2, "away");
    h.drain();
    let missed = send_voice(&mut h, 1, "world", ChatType::Room, b"missed");
    h.logged_in(4, "bob");
    let (code, out) = h.call(4, |request_id| {
        FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: "world".into(),
            resume_after_seq: Some(1),
        })
    });
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 4).len(), 1);
    assert_eq!(
        {
            let token = h.voice_tokens[&(4, missed)];
            download_code(&mut h, 4, missed, token)
        },
        ErrorCode::Success
    );
}
