//! Hostile clients against a `yim-server` binary while a normal pair of players chats: what
//! the pair's latency and the server's memory come to during each attack.
//!
//! What it is: `yim-load hostile`. For each attack it starts the given server binary on a
//! fresh data dir with its default limits (the config hosts the load app, nothing else), logs
//! a pair in (`pair_a`, `pair_b`, both in room `pair`), lets `pair_a` send a room message to
//! `pair_b` every [`PAIR_INTERVAL_MS`] (its send time in the text) for [`IDLE_MS`] alone, then
//! runs the attack while the pair goes on, and reports the pair's send-to-delivery latency
//! when idle and during the attack, the server's peak RSS (`VmHWM`), how long the attack
//! took and the codes it got. The attacks are those of issue 10:
//!
//! - `login-flood`: [`LOGIN_GUESSES`] wrong-password logins at one account from
//!   [`ATTACKERS`] connections at a time;
//! - `pipeline`: one client writes [`PIPELINED_SENDS`] room sends at once (to its own room)
//!   and reads the answers;
//! - `unfinished`: [`UNFINISHED`] connections each send 65,535 bytes of a declared 65,536-byte
//!   frame, then wait [`UNFINISHED_HOLD_MS`];
//! - `mailbox`: one sender sends [`MAILBOX_FLOOD`] private messages to an offline user, then
//!   another sender sends it one (its code is reported).
//!
//! What it is not: a test (nothing is asserted), or a measure of anything but this machine
//! over loopback: attackers, pair and server share its cores.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{body, Body, JoinRoom, Login, SendMessage, Text};
use yim_proto::{encode_frame, ErrorCode, Frame, FrameBody, FrameDecoder};

use crate::client::{APP_KEY, APP_SECRET, PASSWORD};
use crate::clock::now_ns;
use crate::histogram::{Histogram, Percentiles};
use crate::procstat;
use crate::scenario::{LoadParams, ScenarioName};
use crate::target::{Target, TargetError, TargetKind, TargetOptions};

/// The pair sends this often.
pub const PAIR_INTERVAL_MS: u64 = 20;
/// The pair chats alone this long before the attack.
pub const IDLE_MS: u64 = 2_000;
/// And this long after it.
const AFTER_MS: u64 = 300;
/// `login-flood`: wrong-password logins made in all.
pub const LOGIN_GUESSES: usize = 500;
/// `login-flood`: connections guessing at a time.
pub const ATTACKERS: usize = 8;
/// `pipeline`: room sends written at once by the one client.
pub const PIPELINED_SENDS: usize = 20_000;
/// `unfinished`: connections that each leave one frame unfinished.
pub const UNFINISHED: usize = 2_000;
/// `unfinished`: how long those connections stay open before they close.
pub const UNFINISHED_HOLD_MS: u64 = 3_000;
/// `mailbox`: private messages the one sender sends to the offline user.
pub const MAILBOX_FLOOD: usize = 1_000;
/// How long one attack may take at most.
const ATTACK_TIMEOUT_MS: u64 = 120_000;

/// One of the attacks (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Attack {
    /// Wrong-password guesses at one account.
    LoginFlood,
    /// One client pipelining room sends.
    Pipeline,
    /// Connections holding unfinished frames.
    Unfinished,
    /// One sender filling an offline user's mailbox.
    Mailbox,
}

impl Attack {
    /// Every attack, in the order `hostile` runs them.
    pub const ALL: [Attack; 4] = [
        Attack::LoginFlood,
        Attack::Pipeline,
        Attack::Unfinished,
        Attack::Mailbox,
    ];
}

/// What one attack came to.
#[derive(Debug, Clone, Serialize)]
pub struct AttackReport {
    /// The attack measured.
    pub attack: Attack,
    /// The pair's latency before the attack.
    pub idle: Percentiles,
    /// The pair's latency while the attack ran.
    pub during: Percentiles,
    /// The server's peak resident memory over the run (`VmHWM`), in KiB, if `/proc` had it.
    pub peak_rss_kib: Option<u64>,
    /// How long the attack took, in milliseconds.
    pub attack_ms: u64,
    /// The codes the attacker got, by name.
    pub codes: BTreeMap<String, u64>,
    /// `mailbox`: the code of the other sender's message after the flood.
    pub other_sender: Option<String>,
}

/// A raw protocol connection (the attackers' and the pair's).
struct Conn {
    stream: TcpStream,
    decoder: FrameDecoder,
    nonce: Vec<u8>,
    next_request: u64,
}

fn frame_bytes(body: FrameBody) -> Vec<u8> {
    encode_frame(&Frame::new(body)).unwrap_or_default()
}

fn code_name(code: u32) -> String {
    ErrorCode::from_u32(code).map_or(format!("code {code}"), |c| format!("{c:?}"))
}

impl Conn {
    /// Connects and reads the challenge (`None`: refused or closed first).
    async fn connect(addr: &str) -> Option<Conn> {
        let stream = TcpStream::connect(addr).await.ok()?;
        let mut conn = Conn {
            stream,
            decoder: FrameDecoder::new(),
            nonce: Vec::new(),
            next_request: 0,
        };
        match conn.next().await?.body {
            Some(FrameBody::Challenge(challenge)) => conn.nonce = challenge.nonce,
            _ => return None,
        }
        Some(conn)
    }

    /// The next frame; `None` once closed.
    async fn next(&mut self) -> Option<Frame> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => return Some(frame),
                Ok(None) => {}
                Err(_) => return None,
            }
            match self.stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.decoder.extend(&buf[..n]),
            }
        }
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// The code of the reply to `request_id` (a Goodbye's code if the server closes first).
    async fn reply_code(&mut self, request_id: u64) -> u32 {
        loop {
            match self.next().await.and_then(|f| f.body) {
                Some(FrameBody::Reply(reply)) if reply.request_id == request_id => {
                    return reply.code
                }
                Some(FrameBody::Goodbye(goodbye)) => return goodbye.code,
                Some(_) => {}
                None => return ErrorCode::NetError.as_u32(),
            }
        }
    }

    async fn login(&mut self, user: &str, password: &str) -> u32 {
        let request_id = self.request_id();
        let credentials = LoginCredentials {
            app_key: APP_KEY,
            app_secret: APP_SECRET,
            user_id: user,
            password,
            token: "",
        };
        let login = Login::new(request_id, &credentials, &self.nonce);
        if self
            .stream
            .write_all(&frame_bytes(FrameBody::Login(login)))
            .await
            .is_err()
        {
            return ErrorCode::NetError.as_u32();
        }
        self.reply_code(request_id).await
    }

    async fn join(&mut self, room: &str) -> u32 {
        let request_id = self.request_id();
        let join = FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: room.into(),
            resume_after_seq: None,
        });
        if self.stream.write_all(&frame_bytes(join)).await.is_err() {
            return ErrorCode::NetError.as_u32();
        }
        self.reply_code(request_id).await
    }

    fn send_bytes(&mut self, receiver_id: &str, room: bool, text: String) -> Vec<u8> {
        let request_id = self.request_id();
        send_bytes(request_id, receiver_id, room, text)
    }
}

/// The bytes of a text send.
fn send_bytes(request_id: u64, receiver_id: &str, room: bool, text: String) -> Vec<u8> {
    let chat_type = if room {
        yim_proto::ChatType::Room
    } else {
        yim_proto::ChatType::Private
    };
    frame_bytes(FrameBody::SendMessage(SendMessage {
        request_id,
        receiver_id: receiver_id.into(),
        chat_type: chat_type as i32,
        body: Some(Body {
            kind: Some(body::Kind::Text(Text {
                content: text,
                attach: String::new(),
            })),
        }),
        idempotency_key: 0,
    }))
}

/// Logs `user` in on a new connection.
async fn logged_in(addr: &str, user: &str) -> Result<Conn, String> {
    let mut conn = Conn::connect(addr)
        .await
        .ok_or(format!("{user}: no challenge"))?;
    let code = conn.login(user, PASSWORD).await;
    if code != 0 {
        return Err(format!("{user}: login got {}", code_name(code)));
    }
    Ok(conn)
}

/// The config the server is started with: the load app and the defaults.
fn config_toml() -> String {
    format!(
        "# Written by yim-load hostile: the load app and the default limits.\n\
         listen = \"127.0.0.1:0\"\n\n[[apps]]\nkey = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\n"
    )
}

/// Runs `attacks` one after another, each against a fresh server from `options`.
pub async fn run(attacks: &[Attack], options: &TargetOptions) -> Result<Vec<AttackReport>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = dir.path().join("hostile.toml");
    std::fs::write(&config, config_toml()).map_err(|e| e.to_string())?;
    let options = TargetOptions {
        server_config: Some(config),
        ..options.clone()
    };
    let mut reports = Vec::new();
    for &attack in attacks {
        let options = options.clone();
        let target = tokio::task::spawn_blocking(move || {
            Target::start(
                TargetKind::Ours,
                &LoadParams::of(ScenarioName::Smoke),
                &options,
            )
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e: TargetError| e.to_string())?;
        let report = run_attack(attack, &target).await;
        target.stop();
        reports.push(report?);
    }
    Ok(reports)
}

/// The pair: `pair_a` sends to room `pair` every `PAIR_INTERVAL_MS`, `pair_b` records each
/// delivery's latency in the histogram of the phase it was sent in.
struct Pair {
    phase: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    histograms: std::sync::Arc<std::sync::Mutex<[Histogram; 2]>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Pair {
    async fn start(addr: &str) -> Result<Pair, String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let mut a = logged_in(addr, "pair_a").await?;
        let mut b = logged_in(addr, "pair_b").await?;
        for conn in [&mut a, &mut b] {
            let code = conn.join("pair").await;
            if code != 0 {
                return Err(format!("pair join: {}", code_name(code)));
            }
        }
        let phase = std::sync::Arc::new(AtomicUsize::new(0));
        let histograms = std::sync::Arc::new(std::sync::Mutex::new([
            Histogram::default(),
            Histogram::default(),
        ]));
        let sender_phase = phase.clone();
        let (mut replies, mut writer) = a.stream.into_split();
        // The sender's replies are read so its socket never backs up; they do not matter.
        let drain = tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            while matches!(replies.read(&mut buf).await, Ok(n) if n > 0) {}
        });
        let mut request_id = a.next_request;
        let sender = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(PAIR_INTERVAL_MS));
            loop {
                tick.tick().await;
                request_id += 1;
                let text = format!("{} {}", sender_phase.load(Ordering::Relaxed), now_ns());
                let bytes = send_bytes(request_id, "pair", true, text);
                if writer.write_all(&bytes).await.is_err() {
                    return;
                }
            }
        });
        let receiver_histograms = histograms.clone();
        let receiver = tokio::spawn(async move {
            while let Some(frame) = b.next().await {
                let Some(FrameBody::Message(message)) = frame.body else {
                    continue;
                };
                let Some(body::Kind::Text(text)) = message.body.and_then(|b| b.kind) else {
                    continue;
                };
                let mut parts = text.content.split(' ');
                let phase: Option<usize> = parts.next().and_then(|p| p.parse().ok());
                let sent: Option<u64> = parts.next().and_then(|p| p.parse().ok());
                if let (Some(phase), Some(sent)) = (phase, sent) {
                    if let Ok(mut histograms) = receiver_histograms.lock() {
                        if let Some(histogram) = histograms.get_mut(phase) {
                            histogram.record(now_ns().saturating_sub(sent));
                        }
                    }
                }
            }
        });
        Ok(Pair {
            phase,
            histograms,
            tasks: vec![drain, sender, receiver],
        })
    }

    /// From now on the pair's sends count as "during the attack".
    fn attack_begins(&self) {
        self.phase.store(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn stop(self) -> (Percentiles, Percentiles) {
        for task in &self.tasks {
            task.abort();
        }
        let histograms = self
            .histograms
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default();
        (histograms[0].percentiles(), histograms[1].percentiles())
    }
}

async fn run_attack(attack: Attack, target: &Target) -> Result<AttackReport, String> {
    let addr = target.addr.clone();
    // Accounts the attack needs, registered before the pair starts.
    match attack {
        Attack::LoginFlood => drop(logged_in(&addr, "victim").await?),
        Attack::Mailbox => {
            drop(logged_in(&addr, "sleeper").await?);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        _ => {}
    }
    let pair = Pair::start(&addr).await?;
    tokio::time::sleep(Duration::from_millis(IDLE_MS)).await;
    pair.attack_begins();
    let started = tokio::time::Instant::now();
    let attacked = tokio::time::timeout(
        Duration::from_millis(ATTACK_TIMEOUT_MS),
        attack_once(attack, &addr),
    )
    .await
    .map_err(|_| format!("{attack:?} did not finish in {ATTACK_TIMEOUT_MS} ms"))?;
    let attack_ms = started.elapsed().as_millis() as u64;
    let peak_rss_kib = target.pid().and_then(procstat::peak_rss_kib);
    tokio::time::sleep(Duration::from_millis(AFTER_MS)).await;
    let (idle, during) = pair.stop();
    let (codes, other_sender) = attacked?;
    Ok(AttackReport {
        attack,
        idle,
        during,
        peak_rss_kib,
        attack_ms,
        codes,
        other_sender,
    })
}

type Codes = BTreeMap<String, u64>;

async fn attack_once(attack: Attack, addr: &str) -> Result<(Codes, Option<String>), String> {
    let mut codes = Codes::new();
    let mut count = |code: u32| *codes.entry(code_name(code)).or_default() += 1;
    match attack {
        Attack::LoginFlood => {
            let mut tasks = tokio::task::JoinSet::new();
            for attacker in 0..ATTACKERS {
                let addr = addr.to_owned();
                tasks.spawn(async move {
                    let mut got = Vec::new();
                    for _ in (attacker..LOGIN_GUESSES).step_by(ATTACKERS) {
                        let code = match Conn::connect(&addr).await {
                            Some(mut conn) => conn.login("victim", "guess").await,
                            None => ErrorCode::NetError.as_u32(),
                        };
                        got.push(code);
                    }
                    got
                });
            }
            while let Some(got) = tasks.join_next().await {
                got.map_err(|e| e.to_string())?
                    .into_iter()
                    .for_each(&mut count);
            }
            Ok((codes, None))
        }
        Attack::Pipeline => {
            let mut flood = logged_in(addr, "flood").await?;
            let code = flood.join("flood").await;
            if code != 0 {
                return Err(format!("flood join: {}", code_name(code)));
            }
            let first = flood.next_request + 1;
            let bytes: Vec<u8> = (0..PIPELINED_SENDS)
                .flat_map(|i| flood.send_bytes("flood", true, format!("flood {i}")))
                .collect();
            let (mut reader, mut writer) = flood.stream.into_split();
            let writing = tokio::spawn(async move { writer.write_all(&bytes).await });
            let mut decoder = flood.decoder;
            let mut buf = vec![0u8; 64 * 1024];
            let mut answered = 0;
            while answered < PIPELINED_SENDS {
                while let Ok(Some(frame)) = decoder.next_frame() {
                    if let Some(FrameBody::Reply(reply)) = frame.body {
                        if reply.request_id >= first {
                            count(reply.code);
                            answered += 1;
                        }
                    }
                }
                if answered >= PIPELINED_SENDS {
                    break;
                }
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => decoder.extend(&buf[..n]),
                }
            }
            let unanswered = (PIPELINED_SENDS - answered) as u64;
            if unanswered > 0 {
                *codes.entry("unanswered".into()).or_default() += unanswered;
            }
            let _ = writing.await;
            Ok((codes, None))
        }
        Attack::Unfinished => {
            let mut held = Vec::new();
            let mut prefix_and_body = 65_536u32.to_be_bytes().to_vec();
            prefix_and_body.extend(std::iter::repeat_n(0x1a, 65_535));
            for _ in 0..UNFINISHED {
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    *codes.entry("connect failed".into()).or_default() += 1;
                    continue;
                };
                match stream.write_all(&prefix_and_body).await {
                    Ok(()) => *codes.entry("written".into()).or_default() += 1,
                    Err(_) => *codes.entry("write failed".into()).or_default() += 1,
                }
                held.push(stream);
            }
            tokio::time::sleep(Duration::from_millis(UNFINISHED_HOLD_MS)).await;
            // How many the server kept open all along.
            let mut open = 0;
            for stream in &mut held {
                let mut buf = [0u8; 4096];
                let still_open = loop {
                    match stream.try_read(&mut buf) {
                        Ok(0) => break false,
                        Ok(_) => continue,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break true,
                        Err(_) => break false,
                    }
                };
                open += u64::from(still_open);
            }
            codes.insert("still open".into(), open);
            Ok((codes, None))
        }
        Attack::Mailbox => {
            let mut spammer = logged_in(addr, "spammer").await?;
            let first = spammer.next_request + 1;
            let bytes: Vec<u8> = (0..MAILBOX_FLOOD)
                .flat_map(|i| spammer.send_bytes("sleeper", false, format!("spam {i}")))
                .collect();
            spammer
                .stream
                .write_all(&bytes)
                .await
                .map_err(|e| e.to_string())?;
            for request_id in first..first + MAILBOX_FLOOD as u64 {
                count(spammer.reply_code(request_id).await);
            }
            let mut friend = logged_in(addr, "friend").await?;
            let request_id = friend.next_request + 1;
            let bytes = friend.send_bytes("sleeper", false, "hello".into());
            friend
                .stream
                .write_all(&bytes)
                .await
                .map_err(|e| e.to_string())?;
            let other = code_name(friend.reply_code(request_id).await);
            Ok((codes, Some(other)))
        }
    }
}

/// The reports side by side: before and after, with the ratios of the pair's latency and of
/// the peak memory (after / before).
pub fn table(before: &[AttackReport], after: &[AttackReport]) -> String {
    let mut out = String::from(
        "attack       | server | idle p50 ms | during p50 ms | p99 ms | max ms | peak RSS MB | attack ms | codes\n",
    );
    for (label, reports) in [("before", before), ("after", after)] {
        for r in reports {
            out += &format!(
                "{:<12} | {label:<6} | {:>11.2} | {:>13.2} | {:>6.1} | {:>6.1} | {:>11.1} | {:>9} | {:?}{}\n",
                format!("{:?}", r.attack),
                r.idle.p50_ms,
                r.during.p50_ms,
                r.during.p99_ms,
                r.during.max_ms,
                r.peak_rss_kib.unwrap_or(0) as f64 / 1024.0,
                r.attack_ms,
                r.codes,
                r.other_sender
                    .as_ref()
                    .map_or(String::new(), |c| format!("; other sender: {c}")),
            );
        }
    }
    out += "\nratios (after / before)\n";
    for b in before {
        if let Some(a) = after.iter().find(|a| a.attack == b.attack) {
            let ratio = |x: f64, y: f64| if y > 0.0 { x / y } else { f64::NAN };
            out += &format!(
                "{:<12} | during p50 {:.3} | p99 {:.3} | max {:.3} | peak RSS {:.3}\n",
                format!("{:?}", b.attack),
                ratio(a.during.p50_ms, b.during.p50_ms),
                ratio(a.during.p99_ms, b.during.p99_ms),
                ratio(a.during.max_ms, b.during.max_ms),
                ratio(
                    a.peak_rss_kib.unwrap_or(0) as f64,
                    b.peak_rss_kib.unwrap_or(0) as f64
                ),
            );
        }
    }
    out
}
