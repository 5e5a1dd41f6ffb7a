//! Time for the driver: the object-safe `Clock` trait and its one real implementation,
//! `TokioClock`.
//!
//! What it is: "what time is it" and "wake me at this time", in milliseconds on one timeline.
//! What it is not: used by the `ClientMachine`, which is handed `now_ms` and never asks. The
//! simulator supplies its own `Clock` (turmoil's virtual time), so nothing else in the driver
//! may read tokio's or the system's time.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A boxed, `Send` future, so the traits stay object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of time in milliseconds.
pub trait Clock: Send + Sync + 'static {
    /// The current time, in milliseconds. Never decreases.
    fn now_ms(&self) -> u64;
    /// Completes at or after `deadline_ms` (at once if it has passed).
    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()>;
}

/// The real clock: wall-clock unix milliseconds, kept from going backwards, with
/// `tokio::time::sleep` for waiting.
#[derive(Debug, Default)]
pub struct TokioClock {
    /// The largest time handed out, so a wall clock stepped back does not run time backwards.
    latest_ms: AtomicU64,
}

impl TokioClock {
    pub fn new() -> TokioClock {
        TokioClock::default()
    }
}

impl Clock for TokioClock {
    // The one place in the SDK that reads the real clock.
    #[allow(clippy::disallowed_methods)]
    fn now_ms(&self) -> u64 {
        let wall_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let previous_ms = self.latest_ms.fetch_max(wall_ms, Ordering::Relaxed);
        previous_ms.max(wall_ms)
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let wait_ms = deadline_ms.saturating_sub(self.now_ms());
        Box::pin(tokio::time::sleep(Duration::from_millis(wait_ms)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokio_clock_is_unix_ms_and_sleeps_until_the_deadline() {
        let clock = TokioClock::new();
        let start_ms = clock.now_ms();
        assert!(start_ms > 1_600_000_000_000, "unix milliseconds");
        clock.sleep_until(start_ms + 20).await;
        assert!(clock.now_ms() >= start_ms + 20);
        // A deadline in the past completes at once.
        clock.sleep_until(0).await;
    }
}
