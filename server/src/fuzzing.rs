//! The server core's promises as a check over raw fuzzer bytes (feature `fuzzing`).
//!
//! Shared by the cargo-fuzz target `fuzz/fuzz_targets/server_core.rs` and the corpus replay
//! in `server/tests/fuzz_corpus.rs`, so both test the same thing. The bytes are read as a
//! script of steps for a [`ServerCore`] over a [`MemoryStore`], from up to four connections
//! on two peer addresses: connects, disconnects, time passing (sweeps run when due), arbitrary
//! frames, and well-formed logins, joins, sends, acknowledgements and downloads (so the
//! script gets past the login and reaches rooms, mailboxes and audio), with password hashes
//! finished in any order or never. Limits are small so that they are reached.
//!
//! After every step it checks: no panic; the core never halts (the memory store never fails);
//! [`ServerCore::check_invariants`] (sessions, connections and memberships agree, every table
//! within its bound); and the core sends only to connections it has and was not told are gone.
//! A check accepts any input; it panics (the fuzzer's signal for a finding) only when the core
//! breaks a promise. What it is not: a check of replies' content (the unit tests do that).

use std::collections::BTreeMap;

use arbitrary::{Arbitrary, Unstructured};
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{
    body, AckMessages, Body, DownloadAudio, JoinRoom, Login, Logout, SendMessage, Text,
};
use yim_proto::{ChatType, Frame, FrameBody};

use crate::config::ServerConfig;
use crate::core::{ConnId, HashJob, Now, Output, Rate, ServerCore};
use crate::store::memory::MemoryStore;

const APP: &str = "fuzz_app";
const SECRET: &str = "fuzz_secret";
const USERS: [&str; 3] = ["alice", "bob", "carol"];
const ROOMS: [&str; 2] = ["world", "guild"];
/// Connections open at once at most.
const SLOTS: usize = 4;
/// Steps read from one input at most (libFuzzer keeps inputs short anyway).
const MAX_STEPS: usize = 512;
/// The core's start time, as in the core's tests.
const T0_MS: u64 = 1_700_000_000_000;

/// The configuration fuzzed: small limits, cheap hashes, tight throttles.
fn config() -> ServerConfig {
    let mut config = ServerConfig::new("fuzz", &[(APP, SECRET)]);
    let limits = &mut config.limits;
    limits.password_hash_rounds = 1;
    limits.max_room_members = 2;
    limits.max_rooms_per_user = 1;
    limits.max_mailbox_messages = 4;
    limits.max_mail_per_sender = 2;
    limits.room_log_messages = 3;
    limits.max_uploads_per_user = 1;
    limits.max_audio_blobs = 2;
    limits.max_pending_hashes = 2;
    limits.failed_logins_per_account = Rate::new(2, 1_000);
    limits.failed_logins_per_address = Rate::new(3, 1_000);
    limits.registrations_per_address = Rate::new(2, 5_000);
    limits.max_throttled_keys = 2;
    limits.room_sends = Rate::new(2, 100);
    limits.login_timeout_ms = 2_000;
    limits.idle_timeout_ms = 5_000;
    config
}

/// One step of the script. Read from the bytes by [`Step::read`] in a compact form (an
/// opcode byte, then small fields), so random bytes often make meaningful steps and seeds can
/// be written by hand ([`Step::bytes`]).
#[derive(Debug, Clone)]
enum Step {
    Connect(u8),
    Disconnect(u8),
    /// Time passes (ms, scaled by 16 so timeouts and refills are reached).
    Wait(u16),
    /// An arbitrary frame, from that many of the following bytes.
    Raw(u8, Vec<u8>),
    Login {
        conn: u8,
        user: u8,
        wrong_password: bool,
        resume_session_id: u8,
    },
    /// Finishes the `index`-th hash job still out (in any order).
    FinishHash(u8),
    Join(u8, u8),
    Send {
        conn: u8,
        to: u8,
        room: bool,
        text: u8,
    },
    Ack(u8, u8),
    Download {
        conn: u8,
        audio_id: u8,
        token: u64,
    },
    Logout(u8),
}

/// Opcodes of the steps, in `Step`'s order.
const STEPS: u8 = 11;

impl Step {
    /// The next step (`Err` once the bytes run out).
    fn read(u: &mut Unstructured<'_>) -> arbitrary::Result<Step> {
        let byte = |u: &mut Unstructured<'_>| u8::arbitrary(u);
        Ok(match byte(u)? % STEPS {
            0 => Step::Connect(byte(u)?),
            1 => Step::Disconnect(byte(u)?),
            2 => Step::Wait(u16::arbitrary(u)?),
            3 => {
                let conn = byte(u)?;
                let len = byte(u)?;
                Step::Raw(conn, u.bytes(usize::from(len).min(u.len()))?.to_vec())
            }
            4 => {
                let (conn, user, flags) = (byte(u)?, byte(u)?, byte(u)?);
                Step::Login {
                    conn,
                    user,
                    wrong_password: flags & 1 == 1,
                    resume_session_id: flags >> 1,
                }
            }
            5 => Step::FinishHash(byte(u)?),
            6 => Step::Join(byte(u)?, byte(u)?),
            7 => {
                let (conn, to, text) = (byte(u)?, byte(u)?, byte(u)?);
                Step::Send {
                    conn,
                    to,
                    room: text & 1 == 1,
                    text,
                }
            }
            8 => Step::Ack(byte(u)?, byte(u)?),
            9 => Step::Download {
                conn: byte(u)?,
                audio_id: byte(u)?,
                token: u64::arbitrary(u)?,
            },
            _ => Step::Logout(byte(u)?),
        })
    }

    /// The bytes `read` makes this step from (for hand-written seeds).
    fn bytes(&self) -> Vec<u8> {
        match self {
            Step::Connect(c) => vec![0, *c],
            Step::Disconnect(c) => vec![1, *c],
            Step::Wait(ms) => [&[2u8][..], &ms.to_le_bytes()].concat(),
            Step::Raw(c, frame) => [&[3, *c, frame.len() as u8][..], frame].concat(),
            Step::Login {
                conn,
                user,
                wrong_password,
                resume_session_id,
            } => vec![
                4,
                *conn,
                *user,
                u8::from(*wrong_password) | resume_session_id << 1,
            ],
            Step::FinishHash(i) => vec![5, *i],
            Step::Join(c, room) => vec![6, *c, *room],
            Step::Send { conn, to, text, .. } => vec![7, *conn, *to, *text],
            Step::Ack(c, up_to) => vec![8, *c, *up_to],
            Step::Download {
                conn,
                audio_id,
                token,
            } => [&[9, *conn, *audio_id][..], &token.to_le_bytes()].concat(),
            Step::Logout(c) => vec![10, *c],
        }
    }
}

/// The script's view of the core.
struct Script {
    core: ServerCore,
    now_ms: u64,
    /// Connections the core has been told of and not told are gone (nor closed itself), with
    /// their challenge nonces.
    open: BTreeMap<ConnId, Vec<u8>>,
    /// The open connection in each slot; connection IDs are never reused.
    slots: [Option<ConnId>; SLOTS],
    next_conn: ConnId,
    hashes: Vec<HashJob>,
    next_request: u64,
    reached: Reached,
}

/// What a script reached, so the replay can show its seeds get past the login.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    /// Inputs handled.
    pub steps: usize,
    /// Logins answered Success.
    pub logins: usize,
    /// Messages delivered to a connection.
    pub messages: usize,
}

/// Runs `data` as a script and checks the promises (see the module doc).
pub fn check_core(data: &[u8]) {
    run_script(data);
}

/// [`check_core`], saying what the script reached.
pub fn run_script(data: &[u8]) -> Reached {
    let config = config();
    let store = MemoryStore::new();
    let Ok(core) = ServerCore::new(&config, Box::new(store), 7) else {
        panic!("a core over an empty memory store starts");
    };
    let mut script = Script {
        core,
        now_ms: T0_MS,
        open: BTreeMap::new(),
        slots: [None; SLOTS],
        next_conn: 0,
        hashes: Vec::new(),
        next_request: 0,
        reached: Reached::default(),
    };
    let mut u = Unstructured::new(data);
    for _ in 0..MAX_STEPS {
        if u.is_empty() {
            break;
        }
        let Ok(step) = Step::read(&mut u) else {
            break;
        };
        script.reached.steps += 1;
        script.step(step);
        script.settle();
    }
    // Whatever was left hashing finishes, late.
    while !script.hashes.is_empty() {
        script.step(Step::FinishHash(0));
        script.settle();
    }
    script.reached
}

impl Script {
    fn now(&self) -> Now {
        Now::at(self.now_ms)
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// Hands `body` from `conn` to the core, if the core still has it.
    fn frame(&mut self, conn: ConnId, body: FrameBody) {
        if self.open.contains_key(&conn) {
            self.core.handle_frame(self.now(), conn, Frame::new(body));
        }
    }

    fn step(&mut self, step: Step) {
        match step {
            Step::Connect(c) => {
                let slot = usize::from(c) % SLOTS;
                if self.slots[slot].is_none() {
                    // A fresh ID, as from the driver; peers on two addresses.
                    self.next_conn += 1;
                    let conn = self.next_conn;
                    let peer = format!("10.0.0.{}:{}", slot % 2, 40_000 + conn);
                    self.slots[slot] = Some(conn);
                    self.open.insert(conn, Vec::new());
                    self.core.handle_connect(self.now(), conn, &peer);
                }
            }
            Step::Disconnect(c) => {
                if let Some(conn) = self.slot(c) {
                    self.gone(conn);
                    self.core.handle_disconnect(conn, "fuzz: peer gone");
                }
            }
            Step::Wait(ms) => {
                self.now_ms += u64::from(ms) * 16;
                if self.now_ms >= self.core.poll_timeout() {
                    self.core.handle_timeout(self.now());
                }
            }
            Step::Raw(c, bytes) => {
                let frame = Frame::arbitrary(&mut Unstructured::new(&bytes));
                if let (Some(conn), Ok(Frame { body: Some(body) })) = (self.slot(c), frame) {
                    self.frame(conn, body);
                }
            }
            Step::Login {
                conn,
                user,
                wrong_password,
                resume_session_id,
            } => {
                let Some(conn) = self.slot(conn) else { return };
                let nonce = self.open.get(&conn).cloned().unwrap_or_default();
                let credentials = LoginCredentials {
                    app_key: APP,
                    app_secret: SECRET,
                    user_id: USERS[usize::from(user) % USERS.len()],
                    password: if wrong_password { "bad" } else { "pw" },
                    token: "",
                };
                let login = Login {
                    resume_session_id: u64::from(resume_session_id % 4),
                    ..Login::new(self.request_id(), &credentials, &nonce)
                };
                self.frame(conn, FrameBody::Login(login));
            }
            Step::FinishHash(index) => {
                if !self.hashes.is_empty() {
                    let job = self.hashes.remove(usize::from(index) % self.hashes.len());
                    self.core.handle_hash_done(self.now(), job.run());
                }
            }
            Step::Join(c, room) => {
                let Some(conn) = self.slot(c) else { return };
                let join = JoinRoom {
                    request_id: self.request_id(),
                    room_id: ROOMS[usize::from(room) % ROOMS.len()].into(),
                    resume_after_seq: None,
                };
                self.frame(conn, FrameBody::JoinRoom(join));
            }
            Step::Send {
                conn,
                to,
                room,
                text,
            } => {
                let Some(conn) = self.slot(conn) else { return };
                let (receiver_id, chat_type) = if room {
                    (ROOMS[usize::from(to) % ROOMS.len()], ChatType::Room)
                } else {
                    (USERS[usize::from(to) % USERS.len()], ChatType::Private)
                };
                let send = SendMessage {
                    request_id: self.request_id(),
                    receiver_id: receiver_id.into(),
                    chat_type: chat_type as i32,
                    body: Some(Body {
                        kind: Some(body::Kind::Text(Text {
                            content: format!("m{text}"),
                            attach: String::new(),
                        })),
                    }),
                    idempotency_key: u64::from(text % 8),
                };
                self.frame(conn, FrameBody::SendMessage(send));
            }
            Step::Ack(c, up_to_message_id) => {
                let Some(conn) = self.slot(c) else { return };
                let ack = AckMessages {
                    up_to_message_id: u64::from(up_to_message_id % 64),
                };
                self.frame(conn, FrameBody::AckMessages(ack));
            }
            Step::Download {
                conn,
                audio_id,
                token,
            } => {
                let Some(conn) = self.slot(conn) else { return };
                let download = DownloadAudio {
                    request_id: self.request_id(),
                    audio_id: u64::from(audio_id % 8),
                    offset: 0,
                    max_bytes: 0,
                    download_token: token,
                };
                self.frame(conn, FrameBody::DownloadAudio(download));
            }
            Step::Logout(c) => {
                let Some(conn) = self.slot(c) else { return };
                let logout = Logout {
                    request_id: self.request_id(),
                };
                self.frame(conn, FrameBody::Logout(logout));
            }
        }
    }

    /// The open connection in slot `byte % SLOTS`, if any.
    fn slot(&self, byte: u8) -> Option<ConnId> {
        self.slots[usize::from(byte) % SLOTS]
    }

    /// `conn` is gone: its slot is free again.
    fn gone(&mut self, conn: ConnId) {
        self.open.remove(&conn);
        for slot in &mut self.slots {
            if *slot == Some(conn) {
                *slot = None;
            }
        }
    }

    /// Takes every output, as a driver would, and checks the promises.
    fn settle(&mut self) {
        let mut closed = Vec::new();
        loop {
            let Some(output) = self.core.poll_output() else {
                if closed.is_empty() {
                    break;
                }
                // As from the driver: a closed connection's task ends and says so, late.
                for conn in closed.drain(..) {
                    self.core
                        .handle_disconnect(conn, "fuzz: closed by the server");
                }
                continue;
            };
            match output {
                Output::Send { conn, frame } => {
                    assert!(
                        self.open.contains_key(&conn),
                        "a frame for connection {conn}, which the core was told is gone or never had: {frame:?}"
                    );
                    match &frame.body {
                        Some(FrameBody::Challenge(challenge)) => {
                            self.open.insert(conn, challenge.nonce.clone());
                        }
                        Some(FrameBody::Reply(yim_proto::wire::Reply {
                            code: 0,
                            detail: Some(yim_proto::wire::reply::Detail::LoginReceipt(_)),
                            ..
                        })) => self.reached.logins += 1,
                        Some(FrameBody::Message(_)) => self.reached.messages += 1,
                        _ => {}
                    }
                }
                Output::Close { conn, .. } => {
                    assert!(
                        self.open.contains_key(&conn),
                        "closing connection {conn}, which is not open"
                    );
                    self.gone(conn);
                    closed.push(conn);
                }
                Output::LoggedIn { conn } => assert!(
                    self.open.contains_key(&conn),
                    "connection {conn} logged in while gone"
                ),
                Output::Hash(job) => self.hashes.push(job),
            }
        }
        if let Some(e) = self.core.halted() {
            panic!("the core halted over a memory store: {e}");
        }
        if let Err(broken) = self.core.check_invariants() {
            panic!("invariant broken: {broken}");
        }
        let limit = self.core.limits().max_pending_hashes;
        assert!(
            self.hashes.len() <= limit,
            "{} hash jobs out, over max_pending_hashes {limit}",
            self.hashes.len()
        );
    }
}

/// The seed corpus of the fuzz target (`fixtures/fuzz/server_core/`): hand-written scripts
/// that reach each part of the core (logins and their throttles, rooms and their send rate,
/// mailboxes and their shares, downloads, hashes finished late or for connections gone,
/// timeouts), and pseudo-random bytes.
pub fn corpus_seeds() -> Vec<(String, Vec<u8>)> {
    use Step::*;
    let login = |conn, user, wrong_password| Login {
        conn,
        user,
        wrong_password,
        resume_session_id: 0,
    };
    let send = |conn, to, room, text: u8| Send {
        conn,
        to,
        room,
        text: text * 2 + u8::from(room),
    };
    let two_in_a_room = vec![
        Connect(0),
        Connect(1),
        login(0, 0, false),
        login(1, 1, false),
        FinishHash(0),
        FinishHash(0),
        Join(0, 0),
        Join(1, 0),
    ];
    let scripts: Vec<(&str, Vec<Step>)> = vec![
        ("empty", vec![]),
        (
            "room_chat_and_send_rate",
            [
                two_in_a_room.clone(),
                (0..6).map(|i| send(0, 0, true, i)).collect(),
                vec![Wait(10), send(1, 0, true, 9), Logout(0), Logout(1)],
            ]
            .concat(),
        ),
        (
            "mailbox_share_and_acks",
            [
                vec![Connect(2), login(2, 2, false), FinishHash(0), Disconnect(2)],
                two_in_a_room.clone(),
                (0..4).map(|i| send(0, 2, false, i)).collect(),
                (0..3).map(|i| send(1, 2, false, i)).collect(),
                vec![Connect(2), login(2, 2, false), FinishHash(0), Ack(2, 40)],
            ]
            .concat(),
        ),
        (
            "login_throttles_and_late_hashes",
            [
                vec![Connect(0), login(0, 0, false), FinishHash(0), Logout(0)],
                (0..6)
                    .flat_map(|_| [Connect(1), login(1, 0, true), FinishHash(0)])
                    .collect(),
                vec![
                    Connect(2),
                    Connect(3),
                    login(2, 1, false),
                    login(3, 1, false),
                    Disconnect(2),
                    FinishHash(1),
                    FinishHash(0),
                    Wait(u16::MAX),
                    Connect(0),
                    login(0, 0, false),
                ],
            ]
            .concat(),
        ),
        (
            "kick_off_resume_and_timeouts",
            [
                two_in_a_room.clone(),
                vec![
                    Connect(2),
                    login(2, 0, false),
                    FinishHash(0),
                    Connect(3),
                    Login {
                        conn: 3,
                        user: 1,
                        wrong_password: false,
                        resume_session_id: 1,
                    },
                    FinishHash(0),
                    Wait(200),
                    Wait(u16::MAX),
                    Download {
                        conn: 2,
                        audio_id: 1,
                        token: 0,
                    },
                ],
            ]
            .concat(),
        ),
        (
            "raw_frames_after_login",
            [
                two_in_a_room,
                vec![
                    Raw(0, vec![0x01, 0x00, 0x00, 0x00, 0x20, 0xff, 0x10, 0x07]),
                    Raw(1, vec![0x01; 32]),
                    Raw(1, (0..=255).collect()),
                ],
            ]
            .concat(),
        ),
    ];
    let mut seeds: Vec<(String, Vec<u8>)> = scripts
        .into_iter()
        .map(|(name, steps)| {
            (
                name.to_owned(),
                steps.iter().flat_map(Step::bytes).collect(),
            )
        })
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for len in [256usize, 4096] {
        let data = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        seeds.push((format!("xorshift_{len}"), data));
    }
    seeds
}
