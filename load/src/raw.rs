//! The raw protocol client: `yim-proto` framing by hand over a tokio TCP stream, cheap
//! enough to run thousands in one process. It does what the SDK does on the wire for the
//! traffic of a load run: the challenge proof and login, joins, sends with idempotency keys,
//! voice uploads (one `UploadAudio` per 16 KiB, pipelined before the voice send), a ping
//! every 10 s, and an `AckMessages` for every private message. No reconnects: a broken
//! connection is reported and the client is gone.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use yim_proto::auth::LoginCredentials;
use yim_proto::limits::MAX_AUDIO_CHUNK_BYTES;
use yim_proto::wire::{
    body, AckMessages, Body, JoinRoom, Login, Ping, SendMessage, Text, UploadAudio, Voice,
};
use yim_proto::{encode_frame, ChatType, Frame, FrameBody, FrameDecoder};

use crate::client::{
    ClientHandle, ClientPlan, SendCommand, SetupError, Target, APP_KEY, APP_SECRET, COMMAND_QUEUE,
    PASSWORD, PING_INTERVAL_MS,
};
use crate::clock::now_ns;
use crate::payload::{read_stamp, stamp_text};
use crate::stats::Kind;

/// Bytes read from the socket at a time.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Seconds a setup step may take.
pub const SETUP_TIMEOUT_SECS: u64 = 30;

/// A send waiting for its reply.
#[derive(Debug, Clone, Copy)]
enum Pending {
    Send {
        kind: Kind,
        stamp_ns: u64,
        room: Option<usize>,
    },
    Upload,
}

type PendingMap = Arc<Mutex<BTreeMap<u64, Pending>>>;

/// What the writer task writes.
#[derive(Debug)]
enum Outgoing {
    Send(SendCommand),
    Ack(u64),
}

struct Conn {
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    decoder: FrameDecoder,
    chunk: Vec<u8>,
}

impl Conn {
    async fn next_frame(&mut self) -> Result<Frame, SetupError> {
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => return Ok(frame),
                Ok(None) => {}
                Err(e) => return Err(SetupError::Closed(format!("bad frame: {e}"))),
            }
            let n = self
                .reader
                .read(&mut self.chunk)
                .await
                .map_err(|e| SetupError::Closed(e.to_string()))?;
            if n == 0 {
                return Err(SetupError::Closed("closed by the server".into()));
            }
            self.decoder.extend(&self.chunk[..n]);
        }
    }

    async fn write(&mut self, frame: &Frame) -> Result<(), SetupError> {
        let bytes = encode_frame(frame).map_err(|e| SetupError::Closed(e.to_string()))?;
        self.writer
            .write_all(&bytes)
            .await
            .map_err(|e| SetupError::Closed(e.to_string()))
    }

    /// The code of the reply to `request_id` (other frames are skipped).
    async fn reply_code(&mut self, request_id: u64) -> Result<u32, SetupError> {
        loop {
            if let Some(FrameBody::Reply(reply)) = self.next_frame().await?.body {
                if reply.request_id == request_id {
                    return Ok(reply.code);
                }
            }
        }
    }
}

/// Connects, logs in and joins the plan's rooms, then starts the client's tasks.
pub async fn start(addr: &str, plan: ClientPlan) -> Result<ClientHandle, SetupError> {
    let within = std::time::Duration::from_secs(SETUP_TIMEOUT_SECS);
    let (conn, joined) = tokio::time::timeout(within, setup(addr, &plan))
        .await
        .map_err(|_| SetupError::Timeout(SETUP_TIMEOUT_SECS))??;
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (acks, ack_rx) = mpsc::unbounded_channel();
    let pending: PendingMap = Arc::default();
    let Conn {
        reader,
        writer,
        decoder,
        chunk,
    } = conn;
    let writer_task = tokio::spawn(write_loop(
        writer,
        command_rx,
        ack_rx,
        pending.clone(),
        plan.clone(),
    ));
    let reader_task = tokio::spawn(read_loop(
        reader,
        decoder,
        chunk,
        acks,
        pending,
        plan.clone(),
    ));
    Ok(ClientHandle {
        index: plan.index,
        sdk: false,
        joined,
        commands,
        tasks: vec![writer_task, reader_task],
        sdk_client: None,
    })
}

async fn setup(addr: &str, plan: &ClientPlan) -> Result<(Conn, Vec<usize>), SetupError> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(SetupError::Connect)?;
    stream.set_nodelay(true).map_err(SetupError::Connect)?;
    let (reader, writer) = stream.into_split();
    let mut conn = Conn {
        reader,
        writer,
        decoder: FrameDecoder::new(),
        chunk: vec![0; READ_CHUNK_BYTES],
    };
    let nonce = loop {
        if let Some(FrameBody::Challenge(challenge)) = conn.next_frame().await?.body {
            break challenge.nonce;
        }
    };
    let credentials = LoginCredentials {
        app_key: APP_KEY,
        app_secret: APP_SECRET,
        user_id: &plan.names.users[plan.index],
        password: PASSWORD,
        token: "",
    };
    conn.write(&Frame::new(FrameBody::Login(Login::new(
        1,
        &credentials,
        &nonce,
    ))))
    .await?;
    let code = conn.reply_code(1).await?;
    if code != 0 {
        plan.shared.refused(plan.index, "login", code);
        return Err(SetupError::LoginRefused(code));
    }
    let mut joined = Vec::new();
    for (i, &room) in plan.rooms.iter().enumerate() {
        let request_id = 2 + i as u64;
        conn.write(&Frame::new(FrameBody::JoinRoom(JoinRoom {
            request_id,
            room_id: plan.names.rooms[room].clone(),
            resume_after_seq: None,
        })))
        .await?;
        match conn.reply_code(request_id).await? {
            0 => joined.push(room),
            code => plan.shared.refused(plan.index, "join", code),
        }
    }
    Ok((conn, joined))
}

/// Encodes the frames of one send into `out` and registers what waits for a reply.
fn encode_send(
    command: &SendCommand,
    plan: &ClientPlan,
    next_request: &mut u64,
    pending: &mut BTreeMap<u64, Pending>,
    out: &mut Vec<u8>,
) {
    let text = stamp_text(command.stamp_ns, plan.index, command.seq, plan.text_bytes);
    let (receiver_id, chat_type, room) = match command.target {
        Target::Room(room) => (plan.names.rooms[room].clone(), ChatType::Room, Some(room)),
        Target::User(user) => (plan.names.users[user].clone(), ChatType::Private, None),
    };
    // Unique per user and never 0, like the SDK's.
    let key = ((plan.index as u64) << 40) | (command.seq + 1);
    let body = match command.kind {
        Kind::Room | Kind::Private => body::Kind::Text(Text {
            content: text,
            attach: String::new(),
        }),
        Kind::Voice => {
            let total = plan.voice_bytes as u64;
            let mut offset = 0;
            while offset < total {
                let len = (total - offset).min(MAX_AUDIO_CHUNK_BYTES as u64);
                *next_request += 1;
                pending.insert(*next_request, Pending::Upload);
                push_frame(
                    out,
                    FrameBody::UploadAudio(UploadAudio {
                        request_id: *next_request,
                        upload_key: key,
                        total_size: total,
                        offset,
                        data: vec![0x5a; len as usize],
                    }),
                );
                offset += len;
            }
            body::Kind::Voice(Voice {
                audio_id: 0,
                file_size: total,
                // Opus at 8 kb/s: 1,000 bytes a second.
                duration_ms: (total as u32).min(60_000),
                text: String::new(),
                extra_param: text,
                upload_key: key,
                download_token: 0,
            })
        }
    };
    *next_request += 1;
    pending.insert(
        *next_request,
        Pending::Send {
            kind: command.kind,
            stamp_ns: command.stamp_ns,
            room,
        },
    );
    push_frame(
        out,
        FrameBody::SendMessage(SendMessage {
            request_id: *next_request,
            receiver_id,
            chat_type: chat_type as i32,
            body: Some(Body { kind: Some(body) }),
            idempotency_key: key,
        }),
    );
}

fn push_frame(out: &mut Vec<u8>, body: FrameBody) {
    // Load frames are far below the frame limit.
    if let Ok(bytes) = encode_frame(&Frame::new(body)) {
        out.extend_from_slice(&bytes);
    }
}

async fn write_loop(
    mut writer: OwnedWriteHalf,
    mut commands: mpsc::Receiver<SendCommand>,
    mut acks: mpsc::UnboundedReceiver<u64>,
    pending: PendingMap,
    plan: ClientPlan,
) {
    let mut next_request = 1000;
    let mut ping = tokio::time::interval(std::time::Duration::from_millis(PING_INTERVAL_MS));
    ping.tick().await;
    let mut out = Vec::new();
    loop {
        out.clear();
        let first = tokio::select! {
            command = commands.recv() => match command {
                Some(command) => Outgoing::Send(command),
                None => return,
            },
            Some(ack) = acks.recv() => Outgoing::Ack(ack),
            _ = ping.tick() => {
                push_frame(&mut out, FrameBody::Ping(Ping { nonce: now_ns() }));
                if writer.write_all(&out).await.is_err() {
                    return;
                }
                continue;
            }
        };
        let mut sends = Vec::new();
        let mut ack_up_to: Option<u64> = None;
        match first {
            Outgoing::Send(command) => sends.push(command),
            Outgoing::Ack(id) => ack_up_to = Some(id),
        }
        // Whatever else is queued goes out in the same write.
        while sends.len() < 64 {
            match commands.try_recv() {
                Ok(command) => sends.push(command),
                Err(_) => break,
            }
        }
        while let Ok(id) = acks.try_recv() {
            ack_up_to = Some(ack_up_to.unwrap_or(0).max(id));
        }
        if let Some(up_to) = ack_up_to {
            push_frame(
                &mut out,
                FrameBody::AckMessages(AckMessages {
                    up_to_message_id: up_to,
                }),
            );
        }
        {
            let mut pending = pending.lock().unwrap_or_else(|p| p.into_inner());
            for command in &sends {
                encode_send(command, &plan, &mut next_request, &mut pending, &mut out);
            }
        }
        if let Err(e) = writer.write_all(&out).await {
            plan.shared
                .error(plan.index, &format!("write: {}", e.kind()), false);
            return;
        }
        for command in &sends {
            plan.shared.sent(plan.index, command.kind, command.stamp_ns);
        }
    }
}

async fn read_loop(
    mut reader: OwnedReadHalf,
    mut decoder: FrameDecoder,
    mut chunk: Vec<u8>,
    acks: mpsc::UnboundedSender<u64>,
    pending: PendingMap,
    plan: ClientPlan,
) {
    let client = plan.index;
    let shared = &plan.shared;
    let mut deliveries = Vec::new();
    // When the bytes being decoded were read: the end of both an answer's ack latency and a
    // delivery's delivery latency, so neither is charged for the decoding before it.
    let mut arrived_ns = now_ns();
    loop {
        // Frames already buffered (from setup) first.
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    shared.error(client, &format!("bad frame from the server: {e}"), true);
                    return;
                }
            };
            match frame.body {
                Some(FrameBody::Message(message)) => {
                    let private = message.chat_type == ChatType::Private as i32;
                    if private {
                        let _ = acks.send(message.message_id);
                    }
                    let stamped = match message.body.and_then(|b| b.kind) {
                        Some(body::Kind::Text(text)) => read_stamp(&text.content).map(|s| {
                            let kind = if private { Kind::Private } else { Kind::Room };
                            (kind, s)
                        }),
                        Some(body::Kind::Voice(voice)) => {
                            read_stamp(&voice.extra_param).map(|s| (Kind::Voice, s))
                        }
                        _ => None,
                    };
                    deliveries.extend(stamped);
                }
                Some(FrameBody::Reply(reply)) => {
                    let waiting = pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&reply.request_id);
                    match waiting {
                        Some(Pending::Send {
                            kind,
                            stamp_ns,
                            room,
                        }) => shared.acked(client, kind, stamp_ns, reply.code, room, arrived_ns),
                        Some(Pending::Upload) if reply.code != 0 => {
                            shared.refused(client, "upload", reply.code)
                        }
                        _ => {}
                    }
                }
                Some(FrameBody::Goodbye(goodbye)) => {
                    shared.error(client, &format!("goodbye: code {}", goodbye.code), true);
                    return;
                }
                Some(FrameBody::KickOff(_)) => {
                    shared.error(client, "kicked off", true);
                    return;
                }
                _ => {}
            }
        }
        shared.delivered(client, arrived_ns, &deliveries);
        deliveries.clear();
        match reader.read(&mut chunk).await {
            Ok(0) => {
                shared.error(client, "disconnected by the server", true);
                return;
            }
            Ok(n) => {
                arrived_ns = now_ns();
                decoder.extend(&chunk[..n]);
            }
            Err(e) => {
                shared.error(client, &format!("read: {}", e.kind()), true);
                return;
            }
        }
    }
}
