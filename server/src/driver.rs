//! The async driver: runs a [`ServerCore`] over a [`Listener`] and a [`Clock`].
//!
//! One task owns the core (so the core needs no locks and stays deterministic given its
//! inputs); each connection has one task that reads frames into the core's input channel and
//! writes the frames the core routes to it. The core never waits on a connection: a
//! connection whose bounded output queue is full is cut off as a slow reader. When the core
//! halts (a commit's outcome is unknown), `serve` returns at once, dropping every
//! connection without routing anything more: the process is meant to stop and be restarted.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use yim_proto::{encode_frame, ErrorCode, Frame, FrameDecoder};

use crate::clock::{Clock, SystemClock};
use crate::config::ServerConfig;
use crate::core::{ConnId, Now, Output, ServerCore};
use crate::net::{BoxStream, Listener, TcpListener};
use crate::store::{Store, StoreError};

/// Inputs queued for the core task.
#[derive(Debug)]
enum Input {
    Frame { conn: ConnId, frame: Frame },
    Ended { conn: ConnId, reason: String },
}

/// What the core task tells a connection task.
#[derive(Debug)]
enum Command {
    Send(Frame),
    /// Send this Goodbye, then close.
    Close(Frame),
}

/// Frames from all connections waiting for the core.
const INPUT_QUEUE_FRAMES: usize = 1024;
/// Bytes read from a socket at a time.
const READ_CHUNK_BYTES: usize = 8 * 1024;
/// How long accepting pauses after an accept fails.
const ACCEPT_PAUSE_MS: u64 = 100;
/// A frame the peer does not take within this long ends the connection.
const WRITE_TIMEOUT_MS: u64 = 10_000;

/// Serves connections from `listener` until the returned future is dropped, or until the
/// core halts, returning why. Dropping it (for example by aborting its task) closes every
/// connection.
pub async fn serve(
    mut listener: Box<dyn Listener>,
    mut core: ServerCore,
    clock: Arc<dyn Clock>,
) -> StoreError {
    let (input_tx, mut input_rx) = mpsc::channel(INPUT_QUEUE_FRAMES);
    let mut writers: BTreeMap<ConnId, mpsc::Sender<Command>> = BTreeMap::new();
    let mut tasks = JoinSet::new();
    let mut next_conn: ConnId = 1;
    // After a failed accept (e.g. out of file descriptors), accepting pauses until then.
    let mut accept_paused_until_ms: Option<u64> = None;
    loop {
        route_outputs(&mut core, &mut writers);
        if let Some(halt) = core.halted() {
            return halt.clone();
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
            accepted = listener.accept(), if accept_paused_until_ms.is_none() => match accepted {
                Ok((stream, peer)) => {
                    if writers.len() >= core.limits().max_connections {
                        tracing::warn!(%peer, "connection limit reached; refusing");
                        continue;
                    }
                    let conn = next_conn;
                    next_conn += 1;
                    let (command_tx, command_rx) = mpsc::channel(core.limits().max_queued_frames);
                    writers.insert(conn, command_tx);
                    core.handle_connect(Now::read(clock.as_ref()), conn, &peer);
                    tasks.spawn(run_connection(
                        conn,
                        stream,
                        clock.clone(),
                        input_tx.clone(),
                        command_rx,
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; pausing accepts");
                    accept_paused_until_ms = Some(now_ms + ACCEPT_PAUSE_MS);
                }
            },
            Some(input) = input_rx.recv() => match input {
                Input::Frame { conn, frame } => core.handle_frame(Now::read(clock.as_ref()), conn, frame),
                Input::Ended { conn, reason } => {
                    writers.remove(&conn);
                    core.handle_disconnect(conn, &reason);
                }
            },
            Some(_) = tasks.join_next() => {}
        }
    }
}

/// Hands the core's outputs to the connection tasks.
fn route_outputs(core: &mut ServerCore, writers: &mut BTreeMap<ConnId, mpsc::Sender<Command>>) {
    while let Some(output) = core.poll_output() {
        match output {
            Output::Send { conn, frame } => {
                let Some(writer) = writers.get(&conn) else {
                    continue;
                };
                match writer.try_send(Command::Send(frame)) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        // Dropping the sender makes the connection task close the socket.
                        writers.remove(&conn);
                        yim_proto::probe::hit(yim_proto::probe::Probe::SlowReaderCutOff);
                        core.handle_disconnect(conn, "slow reader: output queue full");
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => {
                        writers.remove(&conn);
                    }
                }
            }
            Output::Close { conn, code, reason } => {
                if let Some(writer) = writers.remove(&conn) {
                    // If the queue is full the goodbye is skipped; the socket closes either way.
                    let _ = writer.try_send(Command::Close(Output::goodbye(code, &reason)));
                }
            }
        }
    }
}

/// Reads frames into the core's input and writes the frames routed to this connection.
/// Writing comes first, so a busy reader still drains its output queue; a write the peer
/// does not take within [`WRITE_TIMEOUT_MS`] ends the connection.
async fn run_connection(
    conn: ConnId,
    stream: BoxStream,
    clock: Arc<dyn Clock>,
    input: mpsc::Sender<Input>,
    mut commands: mpsc::Receiver<Command>,
) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut decoder = FrameDecoder::new();
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    let clock = clock.as_ref();
    let reason = 'connection: loop {
        tokio::select! {
            biased;
            command = commands.recv() => match command {
                Some(Command::Send(frame)) => {
                    if let Err(e) = write_frame(&mut writer, &frame, clock).await {
                        break 'connection format!("write error: {e}");
                    }
                }
                Some(Command::Close(goodbye)) => {
                    let _ = write_frame(&mut writer, &goodbye, clock).await;
                    let _ = writer.shutdown().await;
                    break 'connection "closed by the server".to_owned();
                }
                None => {
                    let _ = writer.shutdown().await;
                    break 'connection "dropped by the server".to_owned();
                }
            },
            read = reader.read(&mut chunk) => {
                let n = match read {
                    Ok(0) => break 'connection "peer closed".to_owned(),
                    Ok(n) => n,
                    Err(e) => break 'connection format!("read error: {e}"),
                };
                decoder.extend(&chunk[..n]);
                loop {
                    match decoder.next_frame() {
                        Ok(Some(frame)) => {
                            if input.send(Input::Frame { conn, frame }).await.is_err() {
                                return; // the server is shutting down
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let reason = format!("bad frame: {e}");
                            tracing::warn!(conn, %reason, "closing a misbehaving peer");
                            let goodbye = Output::goodbye(ErrorCode::ParamInvalid, &reason);
                            let _ = write_frame(&mut writer, &goodbye, clock).await;
                            let _ = writer.shutdown().await;
                            break 'connection reason;
                        }
                    }
                }
            }
        }
    };
    let _ = input.send(Input::Ended { conn, reason }).await;
}

/// Writes one frame, giving up after [`WRITE_TIMEOUT_MS`].
async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
    writer: &mut W,
    frame: &Frame,
    clock: &dyn Clock,
) -> std::io::Result<()> {
    let bytes = encode_frame(frame).map_err(|e| std::io::Error::other(e.to_string()))?;
    let deadline_ms = clock.monotonic_ms() + WRITE_TIMEOUT_MS;
    tokio::select! {
        biased;
        written = writer.write_all(&bytes) => written,
        () = clock.sleep_until(deadline_ms) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the peer stopped reading",
        )),
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
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
