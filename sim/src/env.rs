//! The SDK's and server's I/O traits, implemented on turmoil: simulated TCP and simulated
//! time. The same SDK and server code runs here as over real TCP; only these adapters differ.
//!
//! Clock skew: every host has a [`Skew`] (an offset in ms, changed by the fault schedule)
//! added to turmoil's time since the fixed epoch.

use std::io;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use yim_sdk::{BoxFuture, BoxStream};

/// The fixed epoch of every simulation (2026-09-21T07:33:20Z), so runs do not depend on the
/// wall clock.
pub const EPOCH_UNIX_MS: u64 = 1_790_000_000_000;

/// A host's clock offset in milliseconds, shared with the fault schedule.
#[derive(Debug, Clone, Default)]
pub struct Skew(Arc<AtomicI64>);

impl Skew {
    pub fn set(&self, offset_ms: i64) {
        self.0.store(offset_ms, Ordering::Relaxed);
    }

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

/// A clock on turmoil's time, with this host's skew.
#[derive(Debug, Clone)]
pub struct SimClock {
    pub skew: Skew,
}

impl SimClock {
    fn now(&self) -> u64 {
        host_now_ms(&self.skew)
    }

    fn sleep(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let wait_ms = deadline_ms.saturating_sub(self.now());
        Box::pin(tokio::time::sleep(Duration::from_millis(wait_ms)))
    }
}

impl yim_sdk::Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        self.sleep(deadline_ms)
    }
}

impl yim_server::clock::Clock for SimClock {
    fn now_ms(&self) -> u64 {
        self.now()
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        self.sleep(deadline_ms)
    }
}

/// Connects over turmoil's TCP.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimNetwork;

impl yim_sdk::Network for SimNetwork {
    fn connect(&self, addr: &str) -> BoxFuture<'_, io::Result<BoxStream>> {
        let addr = addr.to_owned();
        Box::pin(async move {
            let stream = turmoil::net::TcpStream::connect(addr).await?;
            Ok(Box::new(stream) as BoxStream)
        })
    }
}

/// Accepts over turmoil's TCP.
pub struct SimListener(pub turmoil::net::TcpListener);

impl std::fmt::Debug for SimListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimListener")
    }
}

impl yim_server::net::Listener for SimListener {
    fn accept(&mut self) -> BoxFuture<'_, io::Result<(yim_server::net::BoxStream, String)>> {
        Box::pin(async move {
            let (stream, peer) = self.0.accept().await?;
            Ok((
                Box::new(stream) as yim_server::net::BoxStream,
                peer.to_string(),
            ))
        })
    }
}
