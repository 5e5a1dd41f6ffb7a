//! The real-process crash test: the `yim-server` binary on SQLite (durability `full`),
//! killed with SIGKILL at random points while several clients stream private, room and voice
//! messages, and restarted on the same data dir, round after round.
//!
//! The clients speak the wire protocol directly and behave as the SDK does: one request in
//! flight each; a send whose reply never came is sent again after the reconnect with the same
//! idempotency key; an upload resumes from what the server says it holds; private mail is
//! acknowledged once received; rooms are re-joined with the last sequence number seen, so
//! the server replays what was missed. At the end every client stays until nothing more
//! arrives, and the test asserts: every acknowledged message reached each receiver that
//! stayed (private: the partner, through its mailbox; room: every other member, through the
//! replay) exactly once (never two message IDs for one send), no message ID names two
//! messages, accounts and mutes survived (the registered password still works and a wrong
//! one is refused; a muted room still refuses), and every voice message delivered downloads
//! complete and intact.
//!
//! With the `planted-bugs` feature the same test runs against the old behaviour (the binary
//! started with `YIM_PLANTED_BUG=split-send-commit`: mail and key in two commits) and must
//! find a send delivered twice. The window is widened the same way for both runs (in builds
//! with that feature): the server pauses `COMMIT_PAUSE_MS` after each durable commit, on top
//! of the fsync every commit waits for under `full`, so kills often find a commit on disk
//! whose outputs have not left (for the old code, a message without its key).

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use yim_proto::auth::LoginCredentials;
use yim_proto::wire::{
    body, reply, AckMessages, Body, DownloadAudio, JoinRoom, Login, Message, SendMessage, Text,
    UploadAudio, Voice,
};
use yim_proto::{encode_frame, ChatType, ErrorCode, Frame, FrameBody, FrameDecoder};
use yim_server::admin::AdminClient;

const APP: &str = "kill_app";
const SECRET: &str = "kill_secret";
const CLIENTS: usize = 4;
const ROOM: &str = "world";
/// Muted for good at the start; still muted at the end.
const MUTED_ROOM: &str = "quiet";
const CHUNK_BYTES: usize = 16 * 1024;
/// The pause after each commit, in builds with the `planted-bugs` feature (see the doc).
const COMMIT_PAUSE_MS: &str = "3";
/// A poll of a connection, so a client notices the controller's flags.
const POLL_MS: u64 = 20;

/// The `yim-server` process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts the binary on `data_dir` and waits until it listens.
    fn start(dir: &Path, planted: Option<&str>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_yim-server"));
        command
            .arg("serve")
            .arg("--config")
            .arg(dir.join("server.toml"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "error")
            .env("YIM_COMMIT_PAUSE_MS", COMMIT_PAUSE_MS)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(bug) = planted {
            command.env("YIM_PLANTED_BUG", bug);
        }
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("yim-server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        Server { child, addr }
    }

    /// SIGKILL, and wait for the process to be gone.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn write_config(dir: &Path) {
    let config = format!(
        "[[apps]]\nkey = \"{APP}\"\nsecret = \"{SECRET}\"\n\n[limits]\npassword_hash_rounds = 1\n\n[store]\ndurability = \"full\"\n"
    );
    std::fs::write(dir.join("server.toml"), config).unwrap();
}

/// One raw protocol connection.
struct Conn {
    stream: TcpStream,
    decoder: FrameDecoder,
    nonce: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        let mut conn = Conn {
            stream,
            decoder: FrameDecoder::new(),
            nonce: Vec::new(),
        };
        match conn.read().await?.body {
            Some(FrameBody::Challenge(challenge)) => conn.nonce = challenge.nonce,
            other => return Err(broken(format!("expected a challenge, got {other:?}"))),
        }
        Ok(conn)
    }

    async fn write(&mut self, body: FrameBody) -> std::io::Result<()> {
        let bytes = encode_frame(&Frame::new(body)).map_err(|e| broken(e.to_string()))?;
        self.stream.write_all(&bytes).await
    }

    /// The next frame (cancel-safe: nothing read is lost if the future is dropped).
    async fn read(&mut self) -> std::io::Result<Frame> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(frame) = self
                .decoder
                .next_frame()
                .map_err(|e| broken(e.to_string()))?
            {
                return Ok(frame);
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(broken("closed".into()));
            }
            self.decoder.extend(&buf[..n]);
        }
    }

    /// The next frame within a poll, if any.
    async fn poll(&mut self) -> std::io::Result<Option<Frame>> {
        match tokio::time::timeout(Duration::from_millis(POLL_MS), self.read()).await {
            Ok(frame) => frame.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// The reply to `request_id`, skipping other frames.
    async fn reply(&mut self, request_id: u64) -> std::io::Result<yim_proto::wire::Reply> {
        loop {
            if let Some(FrameBody::Reply(reply)) = self.read().await?.body {
                if reply.request_id == request_id {
                    return Ok(reply);
                }
            }
        }
    }

    fn login_frame(&self, request_id: u64, user: &str, password: &str) -> FrameBody {
        let credentials = LoginCredentials {
            app_key: APP,
            app_secret: SECRET,
            user_id: user,
            password,
            token: "",
        };
        FrameBody::Login(Login::new(request_id, &credentials, &self.nonce))
    }
}

fn broken(reason: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, reason)
}

fn user(client: usize) -> String {
    format!("u{client}")
}

/// What the controller tells the clients, and what it watches.
#[derive(Default)]
struct Control {
    /// No new sends: finish the one in flight and stay.
    stopping: AtomicBool,
    /// Leave.
    done: AtomicBool,
    /// Clients with nothing in flight since `stopping`.
    idle: Mutex<BTreeSet<usize>>,
    /// Deliveries so far, to see when nothing more arrives.
    deliveries: AtomicU64,
}

/// Where a send goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Private(String),
    Room,
}

/// What one client saw.
#[derive(Debug, Default)]
struct Record {
    /// Acknowledged sends: content -> (target, message ID).
    acked: BTreeMap<String, (Target, u64)>,
    /// Received: content -> the distinct message IDs it came under.
    received: BTreeMap<String, BTreeSet<u64>>,
    /// Every message ID seen (received or acknowledged) -> its content.
    ids: Vec<(u64, String)>,
    /// Voice messages received: (audio ID, download token, content).
    voice: Vec<(u64, u64, String)>,
    /// Room ranges the server said it no longer had.
    told_lost: Vec<(u64, u64)>,
    /// Logins answered with something else than Success.
    failed_logins: Vec<u32>,
}

/// The audio of a voice message: its bytes follow from its content.
fn voice_audio(content: &str) -> Vec<u8> {
    let seed = content
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let len = 20_000 + (seed % 20_000) as usize;
    let mut data = vec![0u8; len];
    rng.fill_bytes(&mut data);
    data
}

/// The request in flight of one client.
#[derive(Debug, Clone)]
enum Op {
    Text {
        content: String,
        target: Target,
        key: u64,
    },
    /// Uploading (`received`: what the server last said it holds), then sending.
    Voice {
        content: String,
        target: Target,
        key: u64,
        upload_key: u64,
        received: u64,
        sending: bool,
    },
}

impl Op {
    fn new(client: usize, n: u64) -> Op {
        let key = ((client as u64) << 40) | (n + 1);
        let target = if n.is_multiple_of(2) {
            Target::Private(user((client + 1) % CLIENTS))
        } else {
            Target::Room
        };
        if n % 5 == 4 {
            Op::Voice {
                content: format!("v{client}-{n}"),
                target,
                key,
                upload_key: key ^ 0x5555_0000_0000_0000,
                received: 0,
                sending: false,
            }
        } else {
            Op::Text {
                content: format!("c{client}-{n}"),
                target,
                key,
            }
        }
    }

    /// The next frame to send for it.
    fn frame(&self, request_id: u64) -> FrameBody {
        let send = |target: &Target, key: u64, body: body::Kind| {
            let (receiver_id, chat_type) = match target {
                Target::Private(to) => (to.clone(), ChatType::Private),
                Target::Room => (ROOM.to_owned(), ChatType::Room),
            };
            FrameBody::SendMessage(SendMessage {
                request_id,
                receiver_id,
                chat_type: chat_type as i32,
                body: Some(Body { kind: Some(body) }),
                idempotency_key: key,
            })
        };
        match self {
            Op::Text {
                content,
                target,
                key,
            } => send(
                target,
                *key,
                body::Kind::Text(Text {
                    content: content.clone(),
                    attach: String::new(),
                }),
            ),
            Op::Voice {
                content,
                target,
                key,
                upload_key,
                received,
                sending,
            } => {
                let audio = voice_audio(content);
                if *sending {
                    return send(
                        target,
                        *key,
                        body::Kind::Voice(Voice {
                            audio_id: 0,
                            file_size: audio.len() as u64,
                            duration_ms: 1000,
                            text: content.clone(),
                            extra_param: String::new(),
                            upload_key: *upload_key,
                            download_token: 0,
                        }),
                    );
                }
                let start = (*received as usize).min(audio.len());
                let end = (start + CHUNK_BYTES).min(audio.len());
                FrameBody::UploadAudio(UploadAudio {
                    request_id,
                    upload_key: *upload_key,
                    total_size: audio.len() as u64,
                    offset: start as u64,
                    data: audio[start..end].to_vec(),
                })
            }
        }
    }
}

/// One client: sessions until the controller says done.
async fn client(
    index: usize,
    mut addr: watch::Receiver<Option<SocketAddr>>,
    control: Arc<Control>,
    record: Arc<Mutex<Record>>,
) {
    let mut state = ClientState {
        index,
        next_op: 0,
        op: None,
        // Every client is a member from the room's first message on (the room is empty
        // before the first kill), however late its first join gets through: each join
        // resumes from the last seq received, so every room message acknowledged is due.
        last_seq: 0,
        next_request: 0,
    };
    while !control.done.load(Ordering::SeqCst) {
        let current = *addr.borrow_and_update();
        let Some(server) = current else {
            let _ = tokio::time::timeout(Duration::from_millis(POLL_MS), addr.changed()).await;
            continue;
        };
        // Any error ends the session; the next one starts with a fresh connection.
        let _ = state.session(server, &control, &record).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

struct ClientState {
    index: usize,
    next_op: u64,
    op: Option<Op>,
    /// The last room seq received (0 before the first).
    last_seq: u64,
    next_request: u64,
}

impl ClientState {
    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    async fn session(
        &mut self,
        server: SocketAddr,
        control: &Control,
        record: &Mutex<Record>,
    ) -> std::io::Result<()> {
        let mut conn = Conn::connect(server).await?;
        let request_id = self.request_id();
        conn.write(conn.login_frame(request_id, &user(self.index), "pw"))
            .await?;
        let reply = conn.reply(request_id).await?;
        if reply.code != ErrorCode::Success.as_u32() {
            record.lock().unwrap().failed_logins.push(reply.code);
            return Err(broken(format!("login refused: {}", reply.code)));
        }
        let join_id = self.request_id();
        conn.write(FrameBody::JoinRoom(JoinRoom {
            request_id: join_id,
            room_id: ROOM.into(),
            resume_after_seq: Some(self.last_seq),
        }))
        .await?;
        // The request of the op in flight on this connection, if it was sent.
        let mut in_flight: Option<u64> = None;
        loop {
            if control.done.load(Ordering::SeqCst) {
                return Ok(());
            }
            let stopping = control.stopping.load(Ordering::SeqCst);
            if self.op.is_none() && !stopping {
                self.op = Some(Op::new(self.index, self.next_op));
                self.next_op += 1;
            }
            if self.op.is_none() && stopping {
                control.idle.lock().unwrap().insert(self.index);
            }
            if let (Some(op), None) = (&self.op, in_flight) {
                let request_id = self.next_request + 1;
                let frame = op.frame(request_id);
                self.next_request = request_id;
                conn.write(frame).await?;
                in_flight = Some(request_id);
            }
            let Some(frame) = conn.poll().await? else {
                continue;
            };
            match frame.body {
                Some(FrameBody::Reply(reply)) if Some(reply.request_id) == in_flight => {
                    in_flight = None;
                    self.answered(reply, record);
                }
                Some(FrameBody::Reply(reply)) if reply.request_id == join_id => {
                    if let Some(reply::Detail::RoomJoined(joined)) = reply.detail {
                        if joined.lost_from_seq != 0 {
                            let lost = (joined.lost_from_seq, joined.lost_to_seq);
                            record.lock().unwrap().told_lost.push(lost);
                        }
                    }
                }
                Some(FrameBody::Message(message)) => {
                    let private = message.chat_type == ChatType::Private as i32;
                    let id = message.message_id;
                    if !private {
                        self.last_seq = self.last_seq.max(message.room_seq);
                    }
                    received(&message, record);
                    control.deliveries.fetch_add(1, Ordering::SeqCst);
                    if private {
                        conn.write(FrameBody::AckMessages(AckMessages {
                            up_to_message_id: id,
                        }))
                        .await?;
                    }
                }
                Some(FrameBody::KickOff(_)) | Some(FrameBody::Goodbye(_)) => {
                    return Err(broken("ended by the server".into()));
                }
                _ => {}
            }
        }
    }

    /// The reply to the op in flight.
    fn answered(&mut self, reply: yim_proto::wire::Reply, record: &Mutex<Record>) {
        let success = reply.code == ErrorCode::Success.as_u32();
        let Some(op) = self.op.as_mut() else { return };
        match (op, reply.detail) {
            (
                Op::Voice {
                    received, sending, ..
                },
                Some(reply::Detail::UploadState(state)),
            ) if !*sending => {
                // Where the server is (also when it refused a chunk at a wrong offset).
                *received = state.received;
                if let Some(Op::Voice { content, .. }) = &self.op {
                    if state.received == voice_audio(content).len() as u64 {
                        if let Some(Op::Voice { sending, .. }) = self.op.as_mut() {
                            *sending = true;
                        }
                    }
                }
            }
            (op, Some(reply::Detail::SendReceipt(receipt))) if success => {
                let (content, target) = match op {
                    Op::Text {
                        content, target, ..
                    }
                    | Op::Voice {
                        content, target, ..
                    } => (content.clone(), target.clone()),
                };
                let mut record = record.lock().unwrap();
                record.ids.push((receipt.message_id, content.clone()));
                record.acked.insert(content, (target, receipt.message_id));
                self.op = None;
            }
            // A store failure: the same request again, same key.
            _ if reply.code == ErrorCode::ServerError.as_u32() => {}
            // A definite refusal (the old server's resend of a voice message whose upload
            // is gone: PttUploadFail): the send failed, as the SDK would report.
            _ => self.op = None,
        }
    }
}

fn received(message: &Message, record: &Mutex<Record>) {
    let content = match message.body.as_ref().and_then(|b| b.kind.as_ref()) {
        Some(body::Kind::Text(text)) => text.content.clone(),
        Some(body::Kind::Voice(voice)) => {
            record.lock().unwrap().voice.push((
                voice.audio_id,
                voice.download_token,
                voice.text.clone(),
            ));
            voice.text.clone()
        }
        _ => return,
    };
    let mut record = record.lock().unwrap();
    record
        .received
        .entry(content.clone())
        .or_default()
        .insert(message.message_id);
    record.ids.push((message.message_id, content));
}

/// What a run found.
#[derive(Debug, Default)]
struct Counts {
    rounds: usize,
    acknowledged: usize,
    /// (receiver, acknowledged message) pairs due.
    due: usize,
    delivered: usize,
    lost: usize,
    /// Sends some receiver got under two message IDs or more.
    duplicated: usize,
    /// Message IDs that named two different messages.
    reused_ids: usize,
    told_lost: usize,
    voice_checked: usize,
}

fn count(records: &[Record]) -> Counts {
    let mut counts = Counts::default();
    for (sender, record) in records.iter().enumerate() {
        for (content, (target, _)) in &record.acked {
            counts.acknowledged += 1;
            let receivers: Vec<usize> = match target {
                Target::Private(to) => (0..CLIENTS).filter(|&c| user(c) == *to).collect(),
                Target::Room => (0..CLIENTS).filter(|&c| c != sender).collect(),
            };
            for receiver in receivers {
                counts.due += 1;
                match records[receiver]
                    .received
                    .get(content)
                    .map_or(0, BTreeSet::len)
                {
                    0 => counts.lost += 1,
                    _ => counts.delivered += 1,
                }
            }
        }
    }
    for record in records {
        counts.duplicated += record.received.values().filter(|ids| ids.len() > 1).count();
        counts.told_lost += record.told_lost.len();
    }
    let mut names: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for (id, content) in records.iter().flat_map(|r| &r.ids) {
        names.entry(*id).or_default().insert(content);
    }
    counts.reused_ids = names.values().filter(|contents| contents.len() > 1).count();
    counts
}

/// Runs the crash rounds; stops early once a duplicate is seen if `until_duplicate`.
async fn run(rounds: usize, planted: Option<&str>, until_duplicate: bool, seed: u64) -> Counts {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let dir_path: PathBuf = dir.path().to_owned();
    let start = move || {
        let dir = dir_path.clone();
        let planted = planted.map(str::to_owned);
        async move {
            tokio::task::spawn_blocking(move || Server::start(&dir, planted.as_deref()))
                .await
                .unwrap()
        }
    };
    let mut server = start().await;
    // Register every account and mute a room before the first kill.
    for client in 0..CLIENTS {
        let mut conn = Conn::connect(server.addr).await.unwrap();
        conn.write(conn.login_frame(1, &user(client), "pw"))
            .await
            .unwrap();
        assert_eq!(conn.reply(1).await.unwrap().code, 0, "registers");
    }
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut admin = AdminClient::login(Box::new(stream), APP, SECRET)
        .await
        .unwrap();
    admin.mute_room(MUTED_ROOM, 3, u64::MAX).await.unwrap();
    drop(admin);

    let (addr_tx, addr_rx) = watch::channel(Some(server.addr));
    let control = Arc::new(Control::default());
    let records: Vec<Arc<Mutex<Record>>> = (0..CLIENTS).map(|_| Arc::default()).collect();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(client(
                c,
                addr_rx.clone(),
                control.clone(),
                records[c].clone(),
            ))
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut done_rounds = 0;
    for _ in 0..rounds {
        let up_ms = 100 + rng.next_u64() % 400;
        tokio::time::sleep(Duration::from_millis(up_ms)).await;
        addr_tx.send_replace(None);
        server.kill();
        done_rounds += 1;
        server = start().await;
        addr_tx.send_replace(Some(server.addr));
        if until_duplicate {
            let snapshot: Vec<Record> = records
                .iter()
                .map(|r| snapshot(&r.lock().unwrap()))
                .collect();
            if count(&snapshot).duplicated > 0 {
                break;
            }
        }
    }
    // No more kills: everyone finishes what is in flight, then stays until nothing arrives.
    control.stopping.store(true, Ordering::SeqCst);
    let mut quiet_polls = 0;
    let mut last = u64::MAX;
    for _ in 0..1000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let all_idle = control.idle.lock().unwrap().len() == CLIENTS;
        let deliveries = control.deliveries.load(Ordering::SeqCst);
        quiet_polls = if all_idle && deliveries == last {
            quiet_polls + 1
        } else {
            0
        };
        last = deliveries;
        if quiet_polls >= 10 {
            break;
        }
    }
    assert!(quiet_polls >= 10, "the clients settle within 50 s");
    control.done.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let records: Vec<Record> = records
        .iter()
        .map(|r| snapshot(&r.lock().unwrap()))
        .collect();
    let mut counts = count(&records);
    counts.rounds = done_rounds;
    for (client, record) in records.iter().enumerate() {
        assert!(
            record.failed_logins.is_empty(),
            "{} could not log in: {:?}",
            user(client),
            record.failed_logins
        );
    }
    counts.voice_checked = check_survivors(server.addr, &records).await;
    server.kill();
    counts
}

fn snapshot(record: &Record) -> Record {
    Record {
        acked: record.acked.clone(),
        received: record.received.clone(),
        ids: record.ids.clone(),
        voice: record.voice.clone(),
        told_lost: record.told_lost.clone(),
        failed_logins: record.failed_logins.clone(),
    }
}

/// Accounts and mutes survived every kill, and every voice message delivered downloads whole
/// and intact. Returns how many voice messages were downloaded.
async fn check_survivors(addr: SocketAddr, records: &[Record]) -> usize {
    let mut conn = Conn::connect(addr).await.unwrap();
    conn.write(conn.login_frame(1, &user(0), "wrong"))
        .await
        .unwrap();
    let refused = conn.reply(1).await.unwrap().code;
    assert_eq!(refused, ErrorCode::UsernamePasswordError.as_u32());

    let mut conn = Conn::connect(addr).await.unwrap();
    conn.write(conn.login_frame(1, &user(0), "pw"))
        .await
        .unwrap();
    assert_eq!(conn.reply(1).await.unwrap().code, 0);
    conn.write(FrameBody::JoinRoom(JoinRoom {
        request_id: 2,
        room_id: MUTED_ROOM.into(),
        resume_after_seq: None,
    }))
    .await
    .unwrap();
    assert_eq!(conn.reply(2).await.unwrap().code, 0);
    let attempt = Op::Text {
        content: "still muted?".into(),
        target: Target::Room,
        key: 0,
    };
    let FrameBody::SendMessage(send) = attempt.frame(3) else {
        unreachable!()
    };
    conn.write(FrameBody::SendMessage(SendMessage {
        receiver_id: MUTED_ROOM.into(),
        ..send
    }))
    .await
    .unwrap();
    assert_eq!(
        conn.reply(3).await.unwrap().code,
        ErrorCode::ForbiddenSpeak.as_u32(),
        "the mute survived"
    );

    let voice: BTreeSet<(u64, u64, &str)> = records
        .iter()
        .flat_map(|r| {
            r.voice
                .iter()
                .map(|(id, token, text)| (*id, *token, text.as_str()))
        })
        .collect();
    let mut request_id = 10;
    for &(audio_id, download_token, content) in &voice {
        let expected = voice_audio(content);
        let mut data = Vec::new();
        loop {
            request_id += 1;
            conn.write(FrameBody::DownloadAudio(DownloadAudio {
                request_id,
                audio_id,
                offset: data.len() as u64,
                max_bytes: 0,
                download_token,
            }))
            .await
            .unwrap();
            let reply = conn.reply(request_id).await.unwrap();
            let Some(reply::Detail::AudioChunk(chunk)) = reply.detail else {
                panic!("voice message {audio_id} ({content}) has no audio: {reply:?}");
            };
            assert_eq!(
                chunk.total_size,
                expected.len() as u64,
                "{content} is complete"
            );
            data.extend_from_slice(&chunk.data);
            if data.len() as u64 >= chunk.total_size || chunk.data.is_empty() {
                break;
            }
        }
        assert!(data == expected, "{content}'s audio is intact");
    }
    voice.len()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn acknowledged_messages_survive_sigkill_exactly_once() {
    let counts = runtime().block_on(run(12, None, false, 9));
    println!("kill test, fixed server: {counts:?}");
    assert!(counts.acknowledged > 100, "enough traffic: {counts:?}");
    assert!(
        counts.voice_checked > 0,
        "voice messages were checked: {counts:?}"
    );
    assert_eq!(
        counts.told_lost, 0,
        "the room log held every gap: {counts:?}"
    );
    assert_eq!(counts.lost, 0, "{counts:?}");
    assert_eq!(counts.duplicated, 0, "{counts:?}");
    assert_eq!(counts.reused_ids, 0, "{counts:?}");
    assert_eq!(counts.delivered, counts.due, "{counts:?}");
}

/// The same test finds the old behaviour's bug: mail and key in two commits.
#[cfg(feature = "planted-bugs")]
#[test]
fn the_kill_test_finds_mail_and_key_in_two_commits() {
    let counts = runtime().block_on(run(30, Some("split-send-commit"), true, 10));
    println!("kill test, mail and key in two commits: {counts:?}");
    assert!(
        counts.duplicated > 0,
        "a resend delivered twice: {counts:?}"
    );
}
