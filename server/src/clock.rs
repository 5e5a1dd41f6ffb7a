//! The server's clock: wall time for timestamps, mute ends and timeouts, and a way to sleep.
//! The simulator supplies a simulated one; the binary uses [`SystemClock`].

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Time as the server sees it: two readings, because timestamps and timeouts need different
/// clocks. Mute ends, send times and token expiry are wall time; idle and login timeouts are
/// durations, measured on a monotonic clock so that a wall clock stepped forward cannot time
/// out every connection at once. The names are the workspace's one clock vocabulary, shared
/// with the SDK's `Clock` (which has only `monotonic_ms`).
pub trait Clock: Send + Sync + 'static {
    /// Wall time, unix milliseconds; never decreases.
    fn wall_ms(&self) -> u64;
    /// Monotonic milliseconds; only differences mean anything.
    fn monotonic_ms(&self) -> u64;
    /// Completes once `monotonic_ms() >= deadline_ms`.
    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()>;
}

/// The operating system's clock, with tokio timers. The wall reading never goes backwards:
/// if the system clock is stepped back, it stands still until the system clock catches up, so
/// mutes that ended stay ended.
#[derive(Debug)]
pub struct SystemClock {
    last_wall_ms: std::sync::atomic::AtomicU64,
    origin: tokio::time::Instant,
}

impl Default for SystemClock {
    #[allow(clippy::disallowed_methods)] // the real server's monotonic origin
    fn default() -> SystemClock {
        SystemClock {
            last_wall_ms: Default::default(),
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the real server reads wall time
    fn wall_ms(&self) -> u64 {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let last_ms = self
            .last_wall_ms
            .fetch_max(now_ms, std::sync::atomic::Ordering::Relaxed);
        last_ms.max(now_ms)
    }

    fn monotonic_ms(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let deadline = self.origin + std::time::Duration::from_millis(deadline_ms);
        Box::pin(tokio::time::sleep_until(deadline))
    }
}
