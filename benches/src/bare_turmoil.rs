//! A bare turmoil program with the simulator's shape: the same hosts (a server, the
//! scenario's client hosts, an admin host), the same turmoil settings (seed, tick, latencies,
//! TCP capacity, duration) and the same traffic (each client connects at its first login,
//! joins its rooms and sends its room and private messages at their times, in
//! `yim-proto` frames), with none of the SDK, the server core, faults or checkers: a server
//! that relays each send to the room's members or the private receiver. The simulator's
//! time over this program's time is what our code costs on top of turmoil.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use yim_proto::wire::{body, Body, JoinRoom, Login, Message, SendMessage, Text};
use yim_proto::{encode_frame, ChatType, Frame, FrameBody, FrameDecoder};
use yim_sim::scenario::{Op, Scenario};

/// The simulator's tick and TCP capacity (see `yim_sim::runner`).
const TICK_MS: u64 = 2;
const TCP_CAPACITY: usize = 4096;
const PORT: u16 = 5000;

/// What a bare run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BareOutcome {
    /// Simulated time the run covered.
    pub simulated_ms: u64,
    /// Messages the clients sent.
    pub sends: usize,
    /// Messages delivered to clients.
    pub deliveries: usize,
}

type Out = mpsc::UnboundedSender<Vec<u8>>;

#[derive(Default)]
struct Hub {
    rooms: BTreeMap<String, BTreeMap<u64, Out>>,
    users: BTreeMap<String, Out>,
    next_id: u64,
}

fn frame_bytes(body: FrameBody) -> Vec<u8> {
    encode_frame(&Frame::new(body)).unwrap_or_default()
}

async fn serve_connection(stream: turmoil::net::TcpStream, conn: u64, hub: Arc<Mutex<Hub>>) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (out, mut queue) = mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move {
        while let Some(bytes) = queue.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    let mut decoder = FrameDecoder::new();
    let mut chunk = vec![0u8; 8192];
    let mut user = String::new();
    while let Ok(n @ 1..) = reader.read(&mut chunk).await {
        decoder.extend(&chunk[..n]);
        while let Ok(Some(frame)) = decoder.next_frame() {
            let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
            match frame.body {
                Some(FrameBody::Login(login)) => {
                    user = login.user_id;
                    hub.users.insert(user.clone(), out.clone());
                }
                Some(FrameBody::JoinRoom(join)) => {
                    hub.rooms
                        .entry(join.room_id)
                        .or_default()
                        .insert(conn, out.clone());
                }
                Some(FrameBody::SendMessage(send)) => {
                    hub.next_id += 1;
                    let bytes = frame_bytes(FrameBody::Message(Message {
                        message_id: hub.next_id,
                        sender_id: user.clone(),
                        receiver_id: send.receiver_id.clone(),
                        chat_type: send.chat_type,
                        create_time: 0,
                        room_seq: 0,
                        body: send.body,
                    }));
                    if send.chat_type == ChatType::Room as i32 {
                        for (member, member_out) in
                            hub.rooms.get(&send.receiver_id).into_iter().flatten()
                        {
                            if *member != conn {
                                let _ = member_out.send(bytes.clone());
                            }
                        }
                    } else if let Some(receiver) = hub.users.get(&send.receiver_id) {
                        let _ = receiver.send(bytes);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The frames client `client` sends, with their times (ms), from its ops.
fn client_plan(scenario: &Scenario, client: usize) -> Vec<(u64, FrameBody)> {
    let user = scenario.clients[client].user.clone();
    let send = |receiver_id: String, chat_type: ChatType, at_ms: u64| {
        FrameBody::SendMessage(SendMessage {
            request_id: at_ms,
            receiver_id,
            chat_type: chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Text(Text {
                    content: format!("message from {user} at {at_ms}"),
                    attach: String::new(),
                })),
            }),
            idempotency_key: 0,
        })
    };
    scenario
        .ops
        .iter()
        .filter_map(|timed| {
            let at = timed.at_ms;
            let body = match &timed.op {
                Op::Join { client: c, room } if *c == client => FrameBody::JoinRoom(JoinRoom {
                    request_id: at,
                    room_id: scenario.rooms[*room].clone(),
                    resume_after_seq: None,
                }),
                Op::SendRoom {
                    client: c, room, ..
                } if *c == client => send(scenario.rooms[*room].clone(), ChatType::Room, at),
                Op::SendPrivate { client: c, to, .. } if *c == client => {
                    send(scenario.clients[*to].user.clone(), ChatType::Private, at)
                }
                _ => return None,
            };
            Some((at, body))
        })
        .collect()
}

fn elapsed_ms() -> u64 {
    turmoil::sim_elapsed().map_or(0, |d| d.as_millis() as u64)
}

async fn sleep_until_ms(at_ms: u64) {
    let now = elapsed_ms();
    if at_ms > now {
        tokio::time::sleep(Duration::from_millis(at_ms - now)).await;
    }
}

async fn run_client(scenario: Arc<Scenario>, client: usize, delivered: Arc<AtomicUsize>) {
    let Some(login_ms) = scenario.ops.iter().find_map(|t| match t.op {
        Op::Login { client: c } if c == client => Some(t.at_ms),
        _ => None,
    }) else {
        return;
    };
    sleep_until_ms(login_ms).await;
    let Ok(stream) = turmoil::net::TcpStream::connect(("server", PORT)).await else {
        return;
    };
    let (mut reader, mut writer) = tokio::io::split(stream);
    tokio::spawn(async move {
        let mut decoder = FrameDecoder::new();
        let mut chunk = vec![0u8; 8192];
        while let Ok(n @ 1..) = reader.read(&mut chunk).await {
            decoder.extend(&chunk[..n]);
            while let Ok(Some(_)) = decoder.next_frame() {
                delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let login = FrameBody::Login(Login {
        user_id: scenario.clients[client].user.clone(),
        ..Login::default()
    });
    if writer.write_all(&frame_bytes(login)).await.is_err() {
        return;
    }
    for (at_ms, body) in client_plan(&scenario, client) {
        sleep_until_ms(at_ms).await;
        if writer.write_all(&frame_bytes(body)).await.is_err() {
            return;
        }
    }
    std::future::pending::<()>().await;
}

/// Plays the traffic of `scenario` on bare turmoil.
pub fn run(scenario: &Scenario) -> BareOutcome {
    let scenario = Arc::new(scenario.clone());
    let mut sim = turmoil::Builder::new()
        .rng_seed(scenario.seed)
        .epoch(UNIX_EPOCH + Duration::from_millis(1_700_000_000_000))
        .tick_duration(Duration::from_millis(TICK_MS))
        .simulation_duration(Duration::from_millis(scenario.duration_ms() + 60_000))
        .min_message_latency(Duration::from_millis(scenario.min_latency_ms))
        .max_message_latency(Duration::from_millis(scenario.max_latency_ms))
        .tcp_capacity(TCP_CAPACITY)
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
        let hub = Arc::new(Mutex::new(Hub::default()));
        let mut conn = 0;
        loop {
            let (stream, _) = listener.accept().await?;
            conn += 1;
            tokio::spawn(serve_connection(stream, conn, hub.clone()));
        }
    });
    let delivered = Arc::new(AtomicUsize::new(0));
    for host in 0..scenario.client_hosts {
        let (scenario, delivered) = (scenario.clone(), delivered.clone());
        sim.host(format!("c{host}").as_str(), move || {
            let (scenario, delivered) = (scenario.clone(), delivered.clone());
            async move {
                let clients: Vec<usize> = (0..scenario.clients.len())
                    .filter(|&c| scenario.clients[c].host == host)
                    .collect();
                for client in clients {
                    tokio::spawn(run_client(scenario.clone(), client, delivered.clone()));
                }
                std::future::pending::<()>().await;
                Ok(())
            }
        });
    }
    // The simulator's operator host, idle here as it mostly is there.
    sim.host("admin", || async {
        std::future::pending::<()>().await;
        Ok(())
    });
    let total_ms = scenario.duration_ms();
    while (sim.elapsed().as_millis() as u64) < total_ms {
        if sim.step().is_err() {
            break;
        }
    }
    let sends = scenario
        .ops
        .iter()
        .filter(|t| matches!(t.op, Op::SendRoom { .. } | Op::SendPrivate { .. }))
        .count();
    BareOutcome {
        simulated_ms: sim.elapsed().as_millis() as u64,
        sends,
        deliveries: delivered.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yim_sim::generate::{generate, Profile, Size};

    #[test]
    fn the_bare_program_relays_the_scenarios_messages() {
        let scenario = generate(1, &Size::small(), Profile::Calm);
        let outcome = run(&scenario);
        assert_eq!(outcome.simulated_ms, scenario.duration_ms());
        assert!(outcome.sends > 0);
        assert!(
            outcome.deliveries >= outcome.sends / 2,
            "{outcome:?}: room members and private receivers get the sends"
        );
    }
}
