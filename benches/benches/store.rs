//! Sends per second through the server core over each store: SQLite with `durability =
//! "full"` (every commit synced), SQLite with `"normal"`, and the in-memory store. Private
//! sends (the receiver online, acknowledging every 100) are the commits `normal` does not
//! sync; room sends are synced under both settings (see `Durability`). The database lives in
//! a temp dir, so the ratio depends on what an fsync costs on that disk. Each kind is measured
//! one send at a time (every send waits for its own sync) and in groups of
//! [`GROUP_SENDS`] sends handled before the outputs are taken, as the driver does with the
//! inputs queued together (group commit: one sync for the group). The ratios are printed at
//! the end, all from this one run.
//!
//! Run: `cargo bench -p yim-benches --bench store`
// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{body, AckMessages, Body, JoinRoom, Login, SendMessage, Text};
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody};
use yim_server::core::{ConnId, Now, Output, ServerCore};
use yim_server::store::memory::MemoryStore;
use yim_server::store::sqlite::SqliteStore;
use yim_server::store::{Durability, Store};
use yim_server::ServerConfig;

const APP: &str = "bench";
const SECRET: &str = "secret";
const T0_MS: u64 = 1_790_000_000_000;
const ALICE: ConnId = 1;
const BOB: ConnId = 2;
/// Sends handled together in the grouped measurements.
const GROUP_SENDS: u64 = 16;

/// A core with alice and bob logged in and in "world".
struct Server {
    core: ServerCore,
    next_request: u64,
    /// The last message bob got and has not acknowledged yet, and how many since the last ack.
    unacked: (u64, u64),
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    fn new(store: Box<dyn Store>, dir: Option<tempfile::TempDir>) -> Server {
        let mut config = ServerConfig::new("127.0.0.1:0", &[(APP, SECRET)]);
        config.limits.password_hash_rounds = 1;
        // The bench measures the store, not the room's send rate.
        config.limits.room_sends = yim_server::core::Rate::UNLIMITED;
        let core = ServerCore::new(&config, store, 1).expect("store opens");
        let mut server = Server {
            core,
            next_request: 0,
            unacked: (0, 0),
            _dir: dir,
        };
        for (conn, user) in [(ALICE, "alice"), (BOB, "bob")] {
            server.login(conn, user);
            let request_id = server.request_id();
            let join = FrameBody::JoinRoom(JoinRoom {
                request_id,
                room_id: "world".into(),
                resume_after_seq: None,
            });
            server.frame(conn, join);
        }
        server
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// Every output of `body`, with password hashes run as the driver's pool would.
    fn frame(&mut self, conn: ConnId, body: FrameBody) -> Vec<Output> {
        self.core
            .handle_frame(Now::at(T0_MS), conn, Frame::new(body));
        let mut outputs = Vec::new();
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Hash(job) => self.core.handle_hash_done(Now::at(T0_MS), job.run()),
                other => outputs.push(other),
            }
        }
        outputs
    }

    fn login(&mut self, conn: ConnId, user: &str) {
        self.core.handle_connect(Now::at(T0_MS), conn, "bench");
        let nonce = std::iter::from_fn(|| self.core.poll_output())
            .find_map(|output| output.challenge_nonce().map(<[u8]>::to_vec))
            .expect("a challenge");
        let request_id = self.request_id();
        let credentials = LoginCredentials {
            app_key: APP,
            app_secret: SECRET,
            user_id: user,
            password: "pw",
            token: "",
        };
        self.frame(
            conn,
            FrameBody::Login(Login::new(request_id, &credentials, &nonce)),
        );
    }

    /// `sends` keyed sends from alice, to bob or to the room, handled one after the other before any output is
    /// taken (so their commits share one sync); asserts they all succeeded.
    fn send_group(&mut self, room: bool, sends: u64) {
        let mut request_ids = Vec::new();
        for _ in 0..sends {
            request_ids.push(self.handle_send(room));
        }
        let mut ok = 0;
        while let Some(output) = self.core.poll_output() {
            let Output::Send { conn, frame } = output else {
                continue;
            };
            match &frame.body {
                Some(FrameBody::Reply(reply)) if conn == ALICE => {
                    assert!(request_ids.contains(&reply.request_id));
                    if reply.code == ErrorCode::Success.as_u32() {
                        ok += 1;
                    }
                }
                Some(FrameBody::Message(message)) if conn == BOB && !room => {
                    self.unacked = (message.message_id, self.unacked.1 + 1);
                }
                _ => {}
            }
        }
        assert_eq!(ok, sends, "every send of the group succeeded");
        // Bob acknowledges before the next group could pass alice's share of his mailbox
        // (`max_mail_per_sender`: unacknowledged messages count).
        if self.unacked.1 + sends > 100 {
            let up_to_message_id = self.unacked.0;
            self.frame(
                BOB,
                FrameBody::AckMessages(AckMessages { up_to_message_id }),
            );
            self.unacked.1 = 0;
        }
    }

    /// Hands the core one keyed send from alice without taking its outputs; returns its
    /// request ID.
    fn handle_send(&mut self, room: bool) -> u64 {
        let request_id = self.request_id();
        let (receiver_id, chat_type) = if room {
            ("world", ChatType::Room)
        } else {
            ("bob", ChatType::Private)
        };
        let send = SendMessage {
            request_id,
            receiver_id: receiver_id.into(),
            chat_type: chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Text(Text {
                    content: format!("message {request_id}"),
                    attach: String::new(),
                })),
            }),
            idempotency_key: request_id,
        };
        self.core.handle_frame(
            Now::at(T0_MS),
            ALICE,
            Frame::new(FrameBody::SendMessage(send)),
        );
        request_id
    }
}

fn sqlite(durability: Durability) -> Server {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = SqliteStore::open_in_dir(dir.path())
        .expect("SQLite opens")
        .with_durability(durability);
    Server::new(Box::new(store), Some(dir))
}

/// (store, kind of send) -> (sends, time) measured, over every sample of the run.
type Measured = BTreeMap<(&'static str, &'static str), (u64, Duration)>;
/// A store's name and how to open a server over a fresh one.
type Opener = (&'static str, fn() -> Server);

fn sends_per_second(c: &mut Criterion) {
    let measured: RefCell<Measured> = RefCell::default();
    let stores: [Opener; 3] = [
        ("sqlite_full", || sqlite(Durability::Full)),
        ("sqlite_normal", || sqlite(Durability::Normal)),
        ("memory", || Server::new(Box::new(MemoryStore::new()), None)),
    ];
    let kinds = [
        ("private", false, 1),
        ("room", true, 1),
        ("private_grouped", false, GROUP_SENDS),
        ("room_grouped", true, GROUP_SENDS),
    ];
    for (kind, room, sends) in kinds {
        let mut group = c.benchmark_group(format!("{kind}_sends"));
        group.throughput(Throughput::Elements(sends));
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(3));
        for (name, open) in stores {
            let mut server = open();
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
                    let started = std::time::Instant::now();
                    for _ in 0..iters {
                        server.send_group(room, sends);
                    }
                    let elapsed = started.elapsed();
                    let mut measured = measured.borrow_mut();
                    let total = measured.entry((name, kind)).or_default();
                    total.0 += iters * sends;
                    total.1 += elapsed;
                    elapsed
                })
            });
        }
        group.finish();
    }
    let rate = |key| {
        measured
            .borrow()
            .get(&key)
            .map_or(0.0, |&(n, t): &(u64, Duration)| {
                n as f64 / t.as_secs_f64().max(1e-9)
            })
    };
    for kind in ["private", "room", "private_grouped", "room_grouped"] {
        let full = rate(("sqlite_full", kind));
        let normal = rate(("sqlite_normal", kind));
        let memory = rate(("memory", kind));
        eprintln!(
            "{kind} sends per second: sqlite full {full:.0}, sqlite normal {normal:.0}, memory {memory:.0}; normal / full = {:.2}, memory / full = {:.1}",
            normal / full.max(1e-9),
            memory / full.max(1e-9)
        );
    }
    for kind in ["private", "room"] {
        let grouped = format!("{kind}_grouped");
        for store in ["sqlite_full", "sqlite_normal"] {
            let one = rate((store, kind));
            let group = measured
                .borrow()
                .iter()
                .find(|((s, k), _)| *s == store && *k == grouped)
                .map_or(0.0, |(_, &(n, t))| n as f64 / t.as_secs_f64().max(1e-9));
            eprintln!(
                "{kind} sends on {store}: grouped by {GROUP_SENDS} / one at a time = {:.2}",
                group / one.max(1e-9)
            );
        }
    }
}

criterion_group!(benches, sends_per_second);
criterion_main!(benches);
