//! One transport connection as the driver sees it: being opened, or open with a reader task
//! (bytes to frames) and a writer task (frames to bytes), each tagged with the connection's
//! generation number.
//!
//! What it is: the tasks and channels of one connection, spawned on the runtime the client
//! was built with and torn down by dropping the `Link`.
//! What it is not: any session rule; the driver feeds what comes out of here to the
//! `ClientMachine` and does what the machine says.

use std::future::pending;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::debug;
use yim_proto::{DecodeError, Frame, FrameDecoder};

use crate::net::{BoxStream, Network};

/// Frames decoded ahead of the driver per connection. Past this the reader stops reading the
/// socket, which is how the client's backpressure (`Core::wants_frames`) reaches the server.
const INBOUND_FRAMES: usize = 16;
/// Encoded frames queued for the writer per connection. Behind it the machine's own queue
/// waits, bounded by `machine::write_queue` (calls are refused with `NetError` past 256
/// frames; acknowledgements coalesce into one).
pub(crate) const OUTBOUND_FRAMES: usize = 64;
/// Bytes read from the socket at once.
const READ_CHUNK_BYTES: usize = 16 * 1024;

/// What the reader (or writer) task reports.
#[derive(Debug)]
pub(crate) enum Inbound {
    Frame(Frame),
    /// The stream ended or failed.
    Closed(String),
    /// The peer sent bytes that are not a frame.
    Broken(DecodeError),
}

/// What happened on the link.
pub(crate) enum LinkEvent {
    Connected(BoxStream),
    ConnectFailed(String),
    Inbound { generation: u64, inbound: Inbound },
}

/// Aborts a task when dropped, so dropping a `Link` ends its I/O.
#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// An open connection's channels and tasks.
#[derive(Debug)]
pub(crate) struct Open {
    pub generation: u64,
    inbound: mpsc::Receiver<(u64, Inbound)>,
    pub writer: mpsc::Sender<Vec<u8>>,
    _reader_task: AbortOnDrop,
    _writer_task: AbortOnDrop,
}

/// The driver's one connection slot.
#[derive(Default)]
pub(crate) enum Link {
    #[default]
    Idle,
    Connecting {
        generation: u64,
        task: JoinHandle<std::io::Result<BoxStream>>,
    },
    Open(Open),
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Link::Connecting { task, .. } = self {
            task.abort();
        }
    }
}

impl Link {
    /// Starts connecting to `addr`.
    pub fn connect(
        runtime: &Handle,
        network: std::sync::Arc<dyn Network>,
        addr: String,
        generation: u64,
    ) -> Link {
        let task = runtime.spawn(async move { network.connect(&addr).await });
        Link::Connecting { generation, task }
    }

    /// Starts the reader and writer tasks of a connected stream.
    pub fn open(runtime: &Handle, stream: BoxStream, generation: u64) -> Link {
        let (read_half, write_half) = tokio::io::split(stream);
        let (inbound_tx, inbound) = mpsc::channel(INBOUND_FRAMES);
        let (writer, outbound_rx) = mpsc::channel(OUTBOUND_FRAMES);
        let reader_task = runtime.spawn(read_loop(generation, read_half, inbound_tx.clone()));
        let writer_task =
            runtime.spawn(write_loop(generation, write_half, outbound_rx, inbound_tx));
        Link::Open(Open {
            generation,
            inbound,
            writer,
            _reader_task: AbortOnDrop(reader_task),
            _writer_task: AbortOnDrop(writer_task),
        })
    }

    /// The generation of the connection in this slot, if any.
    pub fn generation(&self) -> Option<u64> {
        match self {
            Link::Idle => None,
            Link::Connecting { generation, .. } => Some(*generation),
            Link::Open(open) => Some(open.generation),
        }
    }

    /// The next thing that happens on the link, or `None` when the writer has room again
    /// (asked for with `wants_writable`). Never completes when idle; while open, frames are
    /// taken only if `wants_frames` (otherwise they wait in the bounded channel, and then in
    /// the socket).
    pub async fn next_event(
        &mut self,
        wants_frames: bool,
        wants_writable: bool,
    ) -> Option<LinkEvent> {
        match self {
            Link::Idle => pending().await,
            Link::Connecting { task, .. } => Some(match task.await {
                Ok(Ok(stream)) => LinkEvent::Connected(stream),
                Ok(Err(e)) => LinkEvent::ConnectFailed(e.to_string()),
                Err(e) => LinkEvent::ConnectFailed(format!("connect task failed: {e}")),
            }),
            Link::Open(open) => {
                let generation = open.generation;
                tokio::select! {
                    biased;
                    received = open.inbound.recv(), if wants_frames => {
                        let (generation, inbound) = received.unwrap_or((
                            generation,
                            Inbound::Closed("connection tasks stopped".to_owned()),
                        ));
                        Some(LinkEvent::Inbound { generation, inbound })
                    }
                    // The permit is released at once: the driver then fills the free capacity.
                    _ = open.writer.reserve(), if wants_writable => None,
                    else => pending().await,
                }
            }
        }
    }
}

async fn read_loop(
    generation: u64,
    mut read_half: ReadHalf<BoxStream>,
    tx: mpsc::Sender<(u64, Inbound)>,
) {
    let mut decoder = FrameDecoder::new();
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    loop {
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => {
                    if tx.send((generation, Inbound::Frame(frame))).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send((generation, Inbound::Broken(e))).await;
                    return;
                }
            }
        }
        let closed = match read_half.read(&mut chunk).await {
            Ok(0) => "closed by the peer".to_owned(),
            Ok(n) => {
                decoder.extend(chunk.get(..n).unwrap_or_default());
                continue;
            }
            Err(e) => format!("read failed: {e}"),
        };
        debug!(generation, %closed, "reader stopped");
        let _ = tx.send((generation, Inbound::Closed(closed))).await;
        return;
    }
}

async fn write_loop(
    generation: u64,
    mut write_half: WriteHalf<BoxStream>,
    mut rx: mpsc::Receiver<Vec<u8>>,
    tx: mpsc::Sender<(u64, Inbound)>,
) {
    while let Some(bytes) = rx.recv().await {
        let mut result = write_half.write_all(&bytes).await;
        if result.is_ok() && rx.is_empty() {
            result = write_half.flush().await;
        }
        if let Err(e) = result {
            debug!(generation, error = %e, "writer stopped");
            let _ = tx
                .send((generation, Inbound::Closed(format!("write failed: {e}"))))
                .await;
            return;
        }
    }
    let _ = write_half.shutdown().await;
}
