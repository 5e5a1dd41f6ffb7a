//! The SDK's and server's I/O traits, implemented on turmoil: simulated TCP and simulated
//! time. The same SDK and server code runs here as over real TCP; only these adapters differ.
//!
//! Clock skew: every host has a [`Skew`] (an offset in ms, changed by the fault schedule)
//! added to turmoil's time since the fixed epoch.

use std::io;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use yim_sdk::{BoxFuture, BoxStream};

use crate::close_order::CloseOrder;
use crate::link::{Links, Side};

/// The fixed epoch of every simulation (2026-09-21T07:33:20Z), so runs do not depend on the
/// wall clock.
pub const EPOCH_UNIX_MS: u64 = 1_790_000_000_000;

/// A host's clock offset in milliseconds, shared with the fault schedule.
#[derive(Debug, Clone, Default)]
pub struct Skew(Arc<AtomicI64>);

impl Skew {
    /// Sets the offset.
    pub fn set(&self, offset_ms: i64) {
        self.0.store(offset_ms, Ordering::Relaxed);
    }

    /// The offset now.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Simulated time since the epoch on the current host, plus its skew, in ms.
pub fn host_now_ms(skew: &Skew) -> u64 {
    let elapsed_ms = turmoil::sim_elapsed().map_or(0, |d| d.as_millis() as u64);
    (EPOCH_UNIX_MS + elapsed_ms).saturating_add_signed(skew.get())
}

/// Simulated milliseconds since the run began, for the history.
pub fn sim_ms() -> u64 {
    turmoil::sim_elapsed().map_or(0, |d| d.as_millis() as u64)
}

/// A host's clocks on turmoil's time. The wall clock (the server's timestamps and mute ends)
/// is the fixed epoch plus simulated time plus this host's skew, and like the real clocks it
/// never goes backwards: a skew into the past makes it stand still until time catches up. The
/// monotonic clock (every timeout, in the SDK and the server) is simulated time, which no skew
/// touches.
#[derive(Debug, Clone)]
pub struct SimClock {
    skew: Skew,
    last_wall_ms: Arc<AtomicU64>,
}

impl SimClock {
    /// A clock reading simulated time shifted by `skew`.
    pub fn new(skew: Skew) -> SimClock {
        SimClock {
            skew,
            last_wall_ms: Arc::default(),
        }
    }

    fn skewed_wall_ms(&self) -> u64 {
        let now_ms = host_now_ms(&self.skew);
        self.last_wall_ms
            .fetch_max(now_ms, Ordering::Relaxed)
            .max(now_ms)
    }

    fn sleep(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let wait_ms = deadline_ms.saturating_sub(sim_ms());
        Box::pin(tokio::time::sleep(Duration::from_millis(wait_ms)))
    }
}

/// The SDK only measures durations: it gets the monotonic clock.
impl yim_sdk::Clock for SimClock {
    fn monotonic_ms(&self) -> u64 {
        sim_ms()
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        self.sleep(deadline_ms)
    }
}

impl yim_server::clock::Clock for SimClock {
    fn wall_ms(&self) -> u64 {
        self.skewed_wall_ms()
    }

    fn monotonic_ms(&self) -> u64 {
        sim_ms()
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        self.sleep(deadline_ms)
    }
}

/// Connects over turmoil's TCP from client host `host`, through the partition model.
#[derive(Debug, Clone)]
pub struct SimNetwork {
    /// The partition model.
    pub links: Links,
    /// The client host it connects from.
    pub host: usize,
    /// The order of closes when the host crashes.
    pub close_order: CloseOrder,
}

impl yim_sdk::Network for SimNetwork {
    fn connect(&self, addr: &str) -> BoxFuture<'_, io::Result<BoxStream>> {
        let addr = addr.to_owned();
        Box::pin(async move {
            if self.links.is_cut(self.host) {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "partitioned",
                ));
            }
            let stream = turmoil::net::TcpStream::connect(addr).await?;
            let stream = self.links.wrap(stream, self.host, Side::Client);
            Ok(Box::new(self.close_order.wrap(stream)) as BoxStream)
        })
    }
}

/// The client host a peer address belongs to (`c<N>`), if any.
fn client_host_of(peer: std::net::SocketAddr) -> Option<usize> {
    turmoil::reverse_lookup(peer.ip())?
        .strip_prefix('c')?
        .parse()
        .ok()
}

/// Accepts over turmoil's TCP, through the partition model.
pub struct SimListener {
    /// Turmoil's listener on the server host.
    pub listener: turmoil::net::TcpListener,
    /// The partition model.
    pub links: Links,
    /// The order of closes when the server crashes.
    pub close_order: CloseOrder,
}

impl std::fmt::Debug for SimListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimListener")
    }
}

impl yim_server::net::Listener for SimListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<(yim_server::net::BoxStream, String)>> {
        Box::pin(async move {
            let (stream, peer) = self.listener.accept().await?;
            let stream: yim_server::net::BoxStream = match client_host_of(peer) {
                Some(host) => Box::new(self.close_order.wrap(self.links.wrap(
                    stream,
                    host,
                    Side::Server,
                ))),
                None => Box::new(self.close_order.wrap(stream)),
            };
            Ok((stream, peer.to_string()))
        })
    }
}
