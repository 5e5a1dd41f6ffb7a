//! The async driver: runs a [`ServerCore`] over a [`Listener`] and a [`Clock`].
//!
//! One task owns the core (so the core needs no locks and stays deterministic given its
//! inputs); each connection has one task that reads frames into the core's input channel and
//! writes the frames the core routes to it, everything queued for it in one write; password
//! hashes run on the [`HashPool`]. The core task hands the core every input waiting in the
//! channel (up to `GROUP_COMMIT_INPUTS`) before it routes outputs, so their commits share
//! one sync (group commit, see [`crate::core`]), and encodes each frame once, however many
//! connections it goes to. The core
//! never waits on a connection: a connection whose bounded output queue is full (in frames,
//! `max_queued_frames`, or in bytes, `max_queued_bytes`) is cut off as a slow reader, and when
//! the queues of all connections together pass `max_output_bytes` the one holding the most is
//! cut off. When the core halts (a commit's outcome is unknown), `serve` returns at once,
//! dropping every connection without routing anything more: the process is meant to stop and
//! be restarted.
//!
//! Fairness: a connection has at most `max_requests_in_flight` frames read and not yet handled
//! by the core; past that its task stops reading its socket until the core catches up, so a
//! client pipelining thousands of requests holds a few places in the input queue, not all of
//! them, and slows only itself. Before it has logged in a connection's frames may be at most
//! `max_login_frame_bytes` long (its buffers stay that small), and at most
//! `max_unauthenticated_connections` such connections are open at once (more are closed at
//! accept).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinSet};
use yim_proto::framing::{LENGTH_PREFIX_BYTES, MAX_FRAME_BYTES};
use yim_proto::{encode_frame, ErrorCode, Frame, FrameDecoder};

use crate::clock::{Clock, SystemClock};
use crate::config::{Limits, ServerConfig};
use crate::core::{ConnId, Now, Output, ServerCore};
use crate::hash_pool::HashPool;
use crate::net::{BoxStream, Listener, TcpListener};
use crate::output_bytes::QueuedBytes;
use crate::store::{Store, StoreError};

/// Inputs queued for the core task.
#[derive(Debug)]
enum Input {
    /// The permit is one of the connection's `max_requests_in_flight`, given back once the
    /// core has handled the frame.
    Frame {
        conn: ConnId,
        frame: Frame,
        _permit: OwnedSemaphorePermit,
    },
    Ended {
        conn: ConnId,
        reason: String,
    },
}

/// What the core task tells a connection task.
#[derive(Debug)]
enum Command {
    /// Write this encoded frame (length prefix included; as long as counted in the
    /// connection's [`QueuedBytes`]). A room message's bytes are shared by all its receivers.
    Send(Arc<[u8]>),
    /// Send this Goodbye, then close.
    Close(Frame),
    /// The connection has logged in: lift the frame limit.
    LoggedIn,
}

/// The core task's handle on one connection.
#[derive(Debug)]
struct Writer {
    commands: mpsc::Sender<Command>,
    queued: Arc<QueuedBytes>,
    task: AbortHandle,
}

/// Frames from all connections waiting for the core.
const INPUT_QUEUE_FRAMES: usize = 1024;
/// Bytes read from a socket at a time (once logged in; before, a login frame's worth).
const READ_CHUNK_BYTES: usize = 8 * 1024;
/// A connection's task writes the frames queued for it together, up to this many bytes (and
/// one frame more) in one write.
const WRITE_BATCH_BYTES: usize = 64 * 1024;
/// At most this many inputs waiting in the input queue are handled before the core's
/// outputs are routed, so their commits share one sync (group commit; see
/// [`crate::core`]).
const GROUP_COMMIT_INPUTS: usize = 64;
/// How long accepting pauses after an accept fails.
const ACCEPT_PAUSE_MS: u64 = 100;
/// A write (a frame, or a batch of them) the peer does not take within this long ends the
/// connection; so does a peer that has closed its side and not taken every answer within
/// this long of closing.
const WRITE_TIMEOUT_MS: u64 = 10_000;

/// The connections' side of the driver: their output queues and what they share.
struct Connections {
    writers: BTreeMap<ConnId, Writer>,
    /// Bytes queued for all connections together.
    total_bytes: Arc<AtomicUsize>,
    /// Connections whose end the core has been told of in this round: their writers stay
    /// until the outputs of the inputs before the end are routed to them.
    ended: Vec<ConnId>,
    /// Released connections whose task still writes what was queued for them (a peer that
    /// closed its side gets its answers): their bytes count, and they can be cut off.
    draining: BTreeMap<ConnId, Draining>,
    limits: Limits,
}

/// A released connection's task, still writing.
struct Draining {
    queued: Arc<QueuedBytes>,
    task: AbortHandle,
}

impl Connections {
    /// Cuts `conn` off at once (its queue is dropped, its bytes freed) and tells the core.
    fn cut_off(&mut self, core: &mut ServerCore, conn: ConnId, reason: &str) {
        if let Some(writer) = self.writers.remove(&conn) {
            writer.queued.detach();
            writer.task.abort();
            tracing::warn!(conn, reason, "cutting a connection off");
            if !self.ended.contains(&conn) {
                core.handle_disconnect(conn, reason);
            }
        }
    }

    /// `conn`'s task says it has ended (or that its peer closed): the core forgets it now,
    /// and its writer goes once this round's outputs are routed ([`Self::release_ended`]).
    fn end(&mut self, core: &mut ServerCore, conn: ConnId, reason: &str) {
        core.handle_disconnect(conn, reason);
        self.ended.push(conn);
    }

    /// Lets go of the ended connections: a task still running writes what is queued for it
    /// (within [`WRITE_TIMEOUT_MS`] of its peer's close), then closes its socket; until then
    /// it is draining, its bytes count and it counts as a connection.
    fn release_ended(&mut self) {
        for conn in self.ended.drain(..) {
            if let Some(writer) = self.writers.remove(&conn) {
                let Writer { queued, task, .. } = writer;
                self.draining.insert(conn, Draining { queued, task });
            }
        }
        // A task that has ended detached its bytes.
        self.draining.retain(|_, d| !d.queued.is_detached());
    }

    /// Open connections, draining ones included.
    fn open(&self) -> usize {
        self.writers.len() + self.draining.len()
    }

    /// Cuts off the connection, live or draining, holding the most output; false if there is
    /// none.
    fn cut_off_hog(&mut self, core: &mut ServerCore) -> Option<ConnId> {
        let live = self
            .writers
            .iter()
            .map(|(&conn, w)| (w.queued.get(), conn, false));
        let draining = self
            .draining
            .iter()
            .map(|(&conn, d)| (d.queued.get(), conn, true));
        let (_, hog, is_draining) = live.chain(draining).max_by_key(|&(bytes, ..)| bytes)?;
        let reason = "the most output queued when the server's max_output_bytes was reached";
        if is_draining {
            if let Some(drain) = self.draining.remove(&hog) {
                drain.queued.detach();
                drain.task.abort();
                tracing::warn!(conn = hog, reason, "cutting a closing connection off");
            }
        } else {
            self.cut_off(core, hog, reason);
        }
        Some(hog)
    }

    /// Queues the encoded frame `encoded` for `conn`, cutting off whoever the byte bounds say.
    fn send(&mut self, core: &mut ServerCore, conn: ConnId, encoded: Arc<[u8]>) {
        let bytes = encoded.len();
        let Some(writer) = self.writers.get(&conn) else {
            return;
        };
        if writer.queued.get() + bytes > self.limits.max_queued_bytes {
            return self.cut_off(core, conn, "slow reader: max_queued_bytes queued");
        }
        while self.total() + bytes > self.limits.max_output_bytes {
            let Some(hog) = self.cut_off_hog(core) else {
                break;
            };
            if hog == conn {
                return;
            }
        }
        let Some(writer) = self.writers.get(&conn) else {
            return;
        };
        writer.queued.add(bytes);
        match writer.commands.try_send(Command::Send(encoded)) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.cut_off(core, conn, "slow reader: output queue full");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                if let Some(writer) = self.writers.remove(&conn) {
                    writer.queued.detach();
                }
            }
        }
    }

    fn total(&self) -> usize {
        self.total_bytes.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// Serves connections from `listener` until the returned future is dropped, or until the
/// core halts, returning why. Dropping it (for example by aborting its task) closes every
/// connection.
pub async fn serve(
    mut listener: Box<dyn Listener>,
    mut core: ServerCore,
    clock: Arc<dyn Clock>,
) -> StoreError {
    let limits = core.limits().clone();
    let (input_tx, mut input_rx) = mpsc::channel(INPUT_QUEUE_FRAMES);
    let mut connections = Connections {
        writers: BTreeMap::new(),
        total_bytes: Arc::new(AtomicUsize::new(0)),
        ended: Vec::new(),
        draining: BTreeMap::new(),
        limits: limits.clone(),
    };
    let mut hashes = HashPool::new(limits.hash_workers);
    let mut tasks = JoinSet::new();
    let mut next_conn: ConnId = 1;
    // After a failed accept (e.g. out of file descriptors), accepting pauses until then.
    let mut accept_paused_until_ms: Option<u64> = None;
    loop {
        route_outputs(&mut core, &mut connections, &mut hashes);
        connections.release_ended();
        if let Some(halt) = core.halted() {
            return halt.clone();
        }
        // An inline hash's result is the next input (the simulator: a seed replays exactly).
        if let Some(done) = hashes.take_inline() {
            core.handle_hash_done(Now::read(clock.as_ref()), done);
            continue;
        }
        let now_ms = clock.monotonic_ms();
        if accept_paused_until_ms.is_some_and(|until| now_ms >= until) {
            accept_paused_until_ms = None;
        }
        let deadline_ms = core
            .poll_timeout()
            .min(accept_paused_until_ms.unwrap_or(u64::MAX));
        // Biased, so the order in which ready branches run does not depend on tokio's RNG:
        // the simulator replays a seed exactly.
        tokio::select! {
            biased;
            () = clock.sleep_until(deadline_ms) => core.handle_timeout(Now::read(clock.as_ref())),
            Some(done) = hashes.next_done() => core.handle_hash_done(Now::read(clock.as_ref()), done),
            accepted = listener.accept(), if accept_paused_until_ms.is_none() => match accepted {
                Ok((stream, peer)) => {
                    if connections.open() >= limits.max_connections {
                        tracing::warn!(%peer, "connection limit reached; refusing");
                        continue;
                    }
                    if core.unauthenticated_count() >= limits.max_unauthenticated_connections {
                        tracing::warn!(%peer, "too many connections not logged in; refusing");
                        continue;
                    }
                    let conn = next_conn;
                    next_conn += 1;
                    let (command_tx, command_rx) = mpsc::channel(limits.max_queued_frames);
                    let queued = Arc::new(QueuedBytes::new(connections.total_bytes.clone()));
                    let task = tasks.spawn(run_connection(
                        Connection {
                            conn,
                            clock: clock.clone(),
                            input: input_tx.clone(),
                            in_flight: Arc::new(Semaphore::new(limits.max_requests_in_flight)),
                            login_frame_bytes: limits.max_login_frame_bytes,
                            queued: queued.clone(),
                        },
                        stream,
                        command_rx,
                    ));
                    connections.writers.insert(conn, Writer { commands: command_tx, queued, task });
                    core.handle_connect(Now::read(clock.as_ref()), conn, &peer);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; pausing accepts");
                    accept_paused_until_ms = Some(now_ms + ACCEPT_PAUSE_MS);
                }
            },
            Some(input) = input_rx.recv() => {
                // With whatever else is queued now: their commits share one sync.
                handle_input(&mut core, &mut connections, clock.as_ref(), input);
                for _ in 1..GROUP_COMMIT_INPUTS {
                    let Ok(input) = input_rx.try_recv() else { break };
                    handle_input(&mut core, &mut connections, clock.as_ref(), input);
                }
            }
            Some(_) = tasks.join_next() => {}
        }
    }
}

/// Hands one input from a connection to the core.
fn handle_input(
    core: &mut ServerCore,
    connections: &mut Connections,
    clock: &dyn Clock,
    input: Input,
) {
    match input {
        Input::Frame {
            conn,
            frame,
            _permit,
        } => {
            core.handle_frame(Now::read(clock), conn, frame);
        }
        Input::Ended { conn, reason } => connections.end(core, conn, &reason),
    }
}

/// Hands the core's outputs to the connection tasks and the hash pool. Consecutive sends of
/// one shared frame (a room message's fan-out) share one encoding.
fn route_outputs(core: &mut ServerCore, connections: &mut Connections, hashes: &mut HashPool) {
    let mut last_encoded: Option<(Arc<Frame>, Arc<[u8]>)> = None;
    while let Some(output) = core.poll_output() {
        match output {
            Output::Send { conn, frame } => {
                let encoded = match &last_encoded {
                    Some((last, encoded)) if Arc::ptr_eq(last, &frame) => encoded.clone(),
                    _ => match encode_frame(&frame) {
                        Ok(encoded) => {
                            let encoded: Arc<[u8]> = encoded.into();
                            last_encoded = Some((frame, encoded.clone()));
                            encoded
                        }
                        Err(e) => {
                            tracing::error!(conn, error = %e, "a frame the core made does not encode");
                            continue;
                        }
                    },
                };
                connections.send(core, conn, encoded);
            }
            Output::Close { conn, code, reason } => {
                if let Some(writer) = connections.writers.remove(&conn) {
                    writer.queued.detach();
                    // If the queue is full the goodbye is skipped; the socket closes either way.
                    let _ = writer
                        .commands
                        .try_send(Command::Close(Output::goodbye(code, &reason)));
                }
            }
            Output::LoggedIn { conn } => {
                if let Some(writer) = connections.writers.get(&conn) {
                    if writer.commands.try_send(Command::LoggedIn).is_err() {
                        connections.cut_off(core, conn, "slow reader: output queue full");
                    }
                }
            }
            Output::Hash(job) => hashes.submit(job),
        }
    }
}

/// What a connection's task works with, besides its socket and commands.
struct Connection {
    conn: ConnId,
    clock: Arc<dyn Clock>,
    input: mpsc::Sender<Input>,
    /// `max_requests_in_flight` permits.
    in_flight: Arc<Semaphore>,
    /// The frame limit until the connection logs in.
    login_frame_bytes: usize,
    queued: Arc<QueuedBytes>,
}

/// Takes the connection's bytes off the total however its task ends (aborted too).
struct DetachOnDrop(Arc<QueuedBytes>);

impl Drop for DetachOnDrop {
    fn drop(&mut self) {
        self.0.detach();
    }
}

/// Reads frames into the core's input and writes the frames routed to this connection, all
/// those queued at once in one write (up to [`WRITE_BATCH_BYTES`]). Writing comes first, so
/// a busy reader still drains its output queue; a write the peer does not take within
/// [`WRITE_TIMEOUT_MS`] ends the connection. When the peer closes its side, the core is told
/// at once and reading stops, but the task goes on writing until the core lets go of the
/// connection and its queue is written, so the answers to the frames it sent before closing
/// still reach it; it gives up [`WRITE_TIMEOUT_MS`] after the close.
async fn run_connection(
    connection: Connection,
    stream: BoxStream,
    mut commands: mpsc::Receiver<Command>,
) {
    let Connection {
        conn,
        clock,
        input,
        in_flight,
        login_frame_bytes,
        queued,
    } = connection;
    let _detach = DetachOnDrop(queued.clone());
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut decoder = FrameDecoder::with_max_frame_bytes(login_frame_bytes);
    // Before login a read need not hold more than a login frame.
    let mut chunk = vec![0u8; (login_frame_bytes + LENGTH_PREFIX_BYTES).min(READ_CHUNK_BYTES)];
    // Once the peer has closed its side: when the task gives up writing its answers.
    let mut drain_deadline_ms: Option<u64> = None;
    let clock = clock.as_ref();
    let reason = 'connection: loop {
        tokio::select! {
            biased;
            command = commands.recv() => {
                // Every frame queued now goes out in one write (up to WRITE_BATCH_BYTES).
                let mut frames = Vec::new();
                let mut bytes = 0;
                let mut next = command;
                // After the frames: None if nothing else is queued now, else what came next
                // (a command, or None once the core has let go of the connection).
                let then: Option<Option<Command>> = loop {
                    match next {
                        Some(Command::Send(encoded)) => {
                            bytes += encoded.len();
                            frames.push(encoded);
                            if bytes >= WRITE_BATCH_BYTES {
                                break None;
                            }
                            next = match commands.try_recv() {
                                Ok(command) => Some(command),
                                Err(mpsc::error::TryRecvError::Empty) => break None,
                                Err(mpsc::error::TryRecvError::Disconnected) => None,
                            };
                        }
                        other => break Some(other),
                    }
                };
                if !frames.is_empty() {
                    let deadline_ms = write_deadline_ms(clock, drain_deadline_ms);
                    let written = match frames.as_slice() {
                        [one] => write_bytes(&mut writer, one, clock, deadline_ms).await,
                        many => write_bytes(&mut writer, &many.concat(), clock, deadline_ms).await,
                    };
                    queued.written(bytes);
                    if let Err(e) = written {
                        break 'connection format!("write error: {e}");
                    }
                }
                match then {
                    None | Some(Some(Command::Send(_))) => {}
                    Some(Some(Command::LoggedIn)) => {
                        decoder.set_max_frame_bytes(MAX_FRAME_BYTES);
                        chunk.resize(READ_CHUNK_BYTES, 0);
                    }
                    Some(Some(Command::Close(goodbye))) => {
                        let deadline_ms = write_deadline_ms(clock, drain_deadline_ms);
                        let _ = write_frame(&mut writer, &goodbye, clock, deadline_ms).await;
                        let _ = writer.shutdown().await;
                        break 'connection "closed by the server".to_owned();
                    }
                    Some(None) => {
                        let _ = writer.shutdown().await;
                        break 'connection "dropped by the server".to_owned();
                    }
                }
            },
            read = reader.read(&mut chunk), if drain_deadline_ms.is_none() => {
                let n = match read {
                    Ok(0) => {
                        // The core hears of it after the frames already sent; it lets go of
                        // the connection once their outputs are queued here.
                        drain_deadline_ms = Some(clock.monotonic_ms() + WRITE_TIMEOUT_MS);
                        let ended = Input::Ended { conn, reason: "peer closed".to_owned() };
                        if input.send(ended).await.is_err() {
                            return; // the server is shutting down
                        }
                        continue;
                    }
                    Ok(n) => n,
                    Err(e) => break 'connection format!("read error: {e}"),
                };
                decoder.extend(&chunk[..n]);
                loop {
                    match decoder.next_frame() {
                        Ok(Some(frame)) => {
                            let Ok(permit) = in_flight.clone().acquire_owned().await else {
                                return; // never closed
                            };
                            let frame = Input::Frame { conn, frame, _permit: permit };
                            if input.send(frame).await.is_err() {
                                return; // the server is shutting down
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let reason = format!("bad frame: {e}");
                            tracing::warn!(conn, %reason, "closing a misbehaving peer");
                            let goodbye = Output::goodbye(ErrorCode::ParamInvalid, &reason);
                            let deadline_ms = write_deadline_ms(clock, None);
                            let _ = write_frame(&mut writer, &goodbye, clock, deadline_ms).await;
                            let _ = writer.shutdown().await;
                            break 'connection reason;
                        }
                    }
                }
            }
        }
    };
    if drain_deadline_ms.is_none() {
        let _ = input.send(Input::Ended { conn, reason }).await;
    }
}

/// When a write starting now gives up: [`WRITE_TIMEOUT_MS`] from now, or at the drain
/// deadline of a peer that has closed its side, whichever comes first.
fn write_deadline_ms(clock: &dyn Clock, drain_deadline_ms: Option<u64>) -> u64 {
    let deadline_ms = clock.monotonic_ms() + WRITE_TIMEOUT_MS;
    drain_deadline_ms.map_or(deadline_ms, |drain| drain.min(deadline_ms))
}

/// Writes one frame, giving up at `deadline_ms`.
async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    frame: &Frame,
    clock: &dyn Clock,
    deadline_ms: u64,
) -> std::io::Result<()> {
    let bytes = encode_frame(frame).map_err(|e| std::io::Error::other(e.to_string()))?;
    write_bytes(writer, &bytes, clock, deadline_ms).await
}

/// Writes `bytes`, giving up at `deadline_ms`.
async fn write_bytes<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    bytes: &[u8],
    clock: &dyn Clock,
    deadline_ms: u64,
) -> std::io::Result<()> {
    tokio::select! {
        biased;
        written = writer.write_all(bytes) => written,
        () = clock.sleep_until(deadline_ms) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer stopped reading",
        )),
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The listen address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store could not be opened or read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A server running on a tokio task over TCP. Dropping it does not stop it; call `stop`.
#[derive(Debug)]
pub struct RunningServer {
    /// The address it listens on (useful with port 0).
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<StoreError>,
}

impl RunningServer {
    /// Stops the server and closes every connection, as a crash would.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Waits until the server halts by itself (a commit's outcome unknown) and says why.
    pub async fn halted(&mut self) -> StoreError {
        match (&mut self.task).await {
            Ok(halt) => halt,
            Err(e) => StoreError::CommitUncertain(format!("server task ended: {e}")),
        }
    }
}

/// Binds `config.listen` over TCP and serves on a new task with the system clock.
pub async fn spawn_tcp(
    config: &ServerConfig,
    store: Box<dyn Store>,
    rng_seed: u64,
) -> Result<RunningServer, StartError> {
    let core = ServerCore::new(config, store, rng_seed)?;
    let listener = TcpListener::bind(&config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen.clone(),
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen.clone(),
        source,
    })?;
    tracing::info!(%addr, "listening");
    let task = tokio::spawn(serve(
        Box::new(listener),
        core,
        Arc::new(SystemClock::default()),
    ));
    Ok(RunningServer { addr, task })
}
