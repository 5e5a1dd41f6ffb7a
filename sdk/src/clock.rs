//! Time for the driver: the object-safe `Clock` trait and its one real implementation,
//! `TokioClock`.
//!
//! What it is: "what time is it" and "wake me at this time", in milliseconds on one
//! monotonic timeline. The words are the workspace's one clock vocabulary, shared with
//! `yim_server::clock`: `monotonic_ms` measures durations, `wall_ms` (the server's only) is
//! unix time for timestamps. The SDK only measures durations (request timeouts, heartbeats),
//! so it never needs the wall clock, and a wall clock stepped forward or back (NTP, a user
//! changing the phone's time) cannot time out a healthy connection. What it is not: used by
//! the `ClientMachine`, which is handed `now_ms` (a `monotonic_ms` reading) and never asks.
//! The simulator supplies its own `Clock` (turmoil's virtual time), so nothing else in the
//! driver may read tokio's or the system's time.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed, `Send` future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A monotonic source of time in milliseconds. Only differences between readings mean
/// anything.
pub trait Clock: Send + Sync + 'static {
    /// Monotonic milliseconds; never decreases, only differences mean anything.
    fn monotonic_ms(&self) -> u64;
    /// Completes once `monotonic_ms() >= deadline_ms` (at once if it has passed).
    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()>;
}

/// The real clock: milliseconds since the clock was made, from tokio's monotonic clock, with
/// `tokio::time::sleep` for waiting.
#[derive(Debug)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl Default for TokioClock {
    // The one place in the SDK that reads the real clock.
    #[allow(clippy::disallowed_methods)]
    fn default() -> TokioClock {
        TokioClock {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl TokioClock {
    /// A clock whose zero is now.
    pub fn new() -> TokioClock {
        TokioClock::default()
    }
}

impl Clock for TokioClock {
    fn monotonic_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let deadline = self.origin + Duration::from_millis(deadline_ms);
        Box::pin(tokio::time::sleep_until(deadline))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokio_clock_is_monotonic_and_sleeps_until_the_deadline() {
        let clock = TokioClock::new();
        let start_ms = clock.monotonic_ms();
        assert!(start_ms < 1_000, "milliseconds since the clock was made");
        clock.sleep_until(start_ms + 20).await;
        assert!(clock.monotonic_ms() >= start_ms + 20);
        // A deadline in the past completes at once.
        clock.sleep_until(0).await;
    }
}
