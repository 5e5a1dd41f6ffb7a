//! The fan-out of one room message to a room of [`MEMBERS`] members (YIM's largest room, the
//! `live` scenario of `yim-load`): the server core's send (checks, the store commit on the
//! in-memory store, an output per receiver) and the driver's encode path, both ways: the
//! frame encoded once and its bytes shared by every receiver (what the driver does: the core
//! hands out one shared frame), and a copy and an encode per receiver (what it did before).
//! The ratio is printed at the end, from this one run.
//!
//! Run: `cargo bench -p yim-benches --bench fanout`
// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{body, Body, JoinRoom, Login, SendMessage, Text};
use yim_proto::{encode_frame, ChatType, ErrorCode, Frame, FrameBody};
use yim_server::core::{ConnId, Now, Output, ServerCore};
use yim_server::store::memory::MemoryStore;
use yim_server::ServerConfig;

const APP: &str = "bench";
const SECRET: &str = "secret";
const T0_MS: u64 = 1_790_000_000_000;
const MEMBERS: u64 = 2_000;
const ROOM: &str = "live";

/// How the driver side turns the core's outputs into bytes.
#[derive(Clone, Copy)]
enum Encode {
    /// One encoding per shared frame (the driver now).
    Shared,
    /// A copy of the frame and an encoding per receiver (the driver before).
    PerReceiver,
}

/// A core with every member logged in and in the room.
struct Room {
    core: ServerCore,
    now_ms: u64,
    next_request: u64,
}

impl Room {
    fn new() -> Room {
        let mut config = ServerConfig::new("127.0.0.1:0", &[(APP, SECRET)]);
        config.limits.password_hash_rounds = 1;
        config.limits.max_room_members = MEMBERS as usize;
        config.limits.max_connections = MEMBERS as usize + 10;
        // The bench measures the fan-out, not the room's send rate.
        config.limits.room_sends = yim_server::core::Rate::UNLIMITED;
        // Every member registers from the one bench address.
        config.limits.registrations_per_address = yim_server::core::Rate::UNLIMITED;
        let core = ServerCore::new(&config, Box::new(MemoryStore::new()), 1).expect("store");
        let mut room = Room {
            core,
            now_ms: T0_MS,
            next_request: 0,
        };
        for conn in 1..=MEMBERS {
            room.join(conn);
        }
        room
    }

    fn now(&self) -> Now {
        Now::at(self.now_ms)
    }

    /// Every output so far, with password hashes run as the driver's pool would.
    fn outputs(&mut self) -> Vec<Output> {
        let mut outputs = Vec::new();
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Hash(job) => self.core.handle_hash_done(self.now(), job.run()),
                other => outputs.push(other),
            }
        }
        outputs
    }

    fn join(&mut self, conn: ConnId) {
        self.core.handle_connect(self.now(), conn, "10.0.0.1:1");
        let nonce = self
            .outputs()
            .into_iter()
            .find_map(|output| output.challenge_nonce().map(<[u8]>::to_vec))
            .expect("a challenge");
        self.next_request += 1;
        let user_id = format!("member{conn}");
        let credentials = LoginCredentials {
            app_key: APP,
            app_secret: SECRET,
            user_id: &user_id,
            password: "pw",
            token: "",
        };
        let login = FrameBody::Login(Login::new(self.next_request, &credentials, &nonce));
        self.core.handle_frame(self.now(), conn, Frame::new(login));
        self.outputs();
        self.next_request += 1;
        let join = FrameBody::JoinRoom(JoinRoom {
            request_id: self.next_request,
            room_id: ROOM.into(),
            resume_after_seq: None,
        });
        self.core.handle_frame(self.now(), conn, Frame::new(join));
        self.outputs();
    }

    /// One room message from member 1, through the core and encoded for every receiver;
    /// returns the bytes encoded.
    fn send(&mut self, encode: Encode) -> usize {
        self.next_request += 1;
        self.now_ms += 1;
        let send = FrameBody::SendMessage(SendMessage {
            request_id: self.next_request,
            receiver_id: ROOM.into(),
            chat_type: ChatType::Room as i32,
            body: Some(Body {
                kind: Some(body::Kind::Text(Text {
                    content: "a short barrage message".into(),
                    attach: String::new(),
                })),
            }),
            idempotency_key: self.next_request,
        });
        self.core.handle_frame(self.now(), 1, Frame::new(send));
        let mut bytes = 0;
        let mut deliveries = 0;
        let mut last: Option<(Arc<Frame>, Arc<[u8]>)> = None;
        while let Some(output) = self.core.poll_output() {
            let Output::Send { frame, .. } = output else {
                continue;
            };
            if matches!(&frame.body, Some(FrameBody::Reply(r)) if r.code != ErrorCode::Success.as_u32())
            {
                panic!("the send was refused: {frame:?}");
            }
            deliveries += u64::from(matches!(frame.body, Some(FrameBody::Message(_))));
            let encoded: Arc<[u8]> = match (encode, &last) {
                (Encode::Shared, Some((shared, encoded))) if Arc::ptr_eq(shared, &frame) => {
                    encoded.clone()
                }
                (Encode::Shared, _) => {
                    let encoded: Arc<[u8]> = encode_frame(&frame).expect("encodes").into();
                    last = Some((frame, encoded.clone()));
                    encoded
                }
                (Encode::PerReceiver, _) => {
                    let copy = Frame::clone(&frame);
                    encode_frame(&copy).expect("encodes").into()
                }
            };
            bytes += encoded.len();
        }
        assert_eq!(deliveries, MEMBERS - 1, "every other member gets it");
        bytes
    }
}

fn fan_out(c: &mut Criterion) {
    let measured: RefCell<[(u64, Duration); 2]> = RefCell::default();
    let mut room = Room::new();
    let mut group = c.benchmark_group("room_fan_out_2000");
    group.throughput(Throughput::Elements(MEMBERS - 1));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(3));
    for (i, (name, encode)) in [
        ("encode_once", Encode::Shared),
        ("encode_per_receiver", Encode::PerReceiver),
    ]
    .into_iter()
    .enumerate()
    {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
                let started = std::time::Instant::now();
                for _ in 0..iters {
                    criterion::black_box(room.send(encode));
                }
                let elapsed = started.elapsed();
                let mut measured = measured.borrow_mut();
                measured[i].0 += iters;
                measured[i].1 += elapsed;
                elapsed
            })
        });
    }
    group.finish();
    let per_message = |(n, t): (u64, Duration)| t.as_secs_f64() / (n.max(1) as f64);
    let [once, per_receiver] = *measured.borrow();
    let (once, per_receiver) = (per_message(once), per_message(per_receiver));
    eprintln!(
        "fan-out of one room message to {} receivers: {:.0} us encoded once, {:.0} us encoded per receiver; per receiver / once = {:.2}",
        MEMBERS - 1,
        once * 1e6,
        per_receiver * 1e6,
        per_receiver / once.max(1e-12)
    );
}

criterion_group!(benches, fan_out);
criterion_main!(benches);
