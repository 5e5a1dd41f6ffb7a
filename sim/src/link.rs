//! Partitions as TCP shows them: broken connections, never silent gaps.
//!
//! turmoil's own partitions drop segments in flight and its TCP has no retransmission, so a
//! stream can silently lose a frame in the middle and carry on: something real TCP never does
//! (it delivers everything in order or the connection fails). So partitions are modelled here,
//! on top of turmoil's streams: a partition of a client host from the server breaks the
//! connections that existed when it began and refuses new ones until it is repaired.
//! - both ways: reads and writes fail on both ends at once;
//! - client to server cut: the client's writes fail; the server hears nothing more;
//! - server to client cut: the server's writes fail; the client hears nothing more (its
//!   heartbeat notices).
//!
//! Holds (long delays without loss) use turmoil's own `hold`/`release`, which lose nothing.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::scenario::Direction;

#[derive(Debug, Default)]
struct HostLink {
    /// Every partition that began, in order; a stream created after `n` of them is affected by
    /// the next one.
    partitions: Vec<Direction>,
    cut: bool,
}

/// The partition state of every client host, shared by the runner and the streams.
#[derive(Debug, Clone, Default)]
pub struct Links {
    hosts: Arc<Mutex<Vec<HostLink>>>,
}

impl Links {
    /// Every link up, for `client_hosts` client hosts.
    pub fn new(client_hosts: usize) -> Links {
        let hosts = (0..client_hosts).map(|_| HostLink::default()).collect();
        Links {
            hosts: Arc::new(Mutex::new(hosts)),
        }
    }

    fn hosts(&self) -> MutexGuard<'_, Vec<HostLink>> {
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cuts `host` off the server.
    pub fn partition(&self, host: usize, direction: Direction) {
        if let Some(link) = self.hosts().get_mut(host) {
            link.partitions.push(direction);
            link.cut = true;
        }
    }

    /// Lets `host` connect again (connections broken by the partition stay broken).
    pub fn repair(&self, host: usize) {
        if let Some(link) = self.hosts().get_mut(host) {
            link.cut = false;
        }
    }

    /// True while `host` is cut off.
    pub fn is_cut(&self, host: usize) -> bool {
        self.hosts().get(host).is_some_and(|l| l.cut)
    }

    fn epoch(&self, host: usize) -> usize {
        self.hosts().get(host).map_or(0, |l| l.partitions.len())
    }

    fn partition_after(&self, host: usize, epoch: usize) -> Option<Direction> {
        self.hosts()
            .get(host)
            .and_then(|l| l.partitions.get(epoch).copied())
    }

    /// Wraps a stream between client host `host` and the server, seen from `side`.
    pub fn wrap<S>(&self, stream: S, host: usize, side: Side) -> FaultyStream<S> {
        FaultyStream {
            inner: stream,
            links: self.clone(),
            host,
            created_epoch: self.epoch(host),
            side,
        }
    }
}

/// Which end of a connection a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The client's end.
    Client,
    /// The server's end.
    Server,
}

/// What a partition does to one direction of one end.
enum Effect {
    Normal,
    /// Fails with an error.
    Broken,
    /// Nothing arrives, ever.
    Silent,
}

/// A stream that a partition can break. See the module doc.
#[derive(Debug)]
pub struct FaultyStream<S> {
    inner: S,
    links: Links,
    host: usize,
    created_epoch: usize,
    side: Side,
}

impl<S> FaultyStream<S> {
    fn effects(&self) -> (Effect, Effect) {
        let Some(direction) = self.links.partition_after(self.host, self.created_epoch) else {
            return (Effect::Normal, Effect::Normal);
        };
        // (read, write)
        match (direction, self.side) {
            (Direction::Both, _) => (Effect::Broken, Effect::Broken),
            (Direction::ToServer, Side::Client) | (Direction::FromServer, Side::Server) => {
                (Effect::Normal, Effect::Broken)
            }
            (Direction::ToServer, Side::Server) | (Direction::FromServer, Side::Client) => {
                (Effect::Silent, Effect::Normal)
            }
        }
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "partitioned")
}

impl<S: AsyncRead + Unpin> AsyncRead for FaultyStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.effects().0 {
            Effect::Normal => Pin::new(&mut this.inner).poll_read(cx, buf),
            Effect::Broken => Poll::Ready(Err(reset())),
            Effect::Silent => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FaultyStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.effects().1 {
            Effect::Normal | Effect::Silent => Pin::new(&mut this.inner).poll_write(cx, data),
            Effect::Broken => Poll::Ready(Err(reset())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
