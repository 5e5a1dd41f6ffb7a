//! The server's clock: wall time for timestamps, mute ends and timeouts, and a way to sleep.
//! The simulator supplies a simulated one; the binary uses [`SystemClock`].

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Time as the server sees it.
pub trait Clock: Send + Sync + 'static {
    /// Unix time in milliseconds.
    fn now_ms(&self) -> u64;
    /// Completes once `now_ms() >= deadline_ms`.
    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()>;
}

/// The operating system's clock, with tokio timers. It never goes backwards: if the system
/// clock is stepped back, it stands still until the system clock catches up, so mutes that
/// ended stay ended and timeouts never stretch.
#[derive(Debug, Default)]
pub struct SystemClock {
    last_ms: std::sync::atomic::AtomicU64,
}

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the real server reads wall time
    fn now_ms(&self) -> u64 {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let last_ms = self
            .last_ms
            .fetch_max(now_ms, std::sync::atomic::Ordering::Relaxed);
        last_ms.max(now_ms)
    }

    fn sleep_until(&self, deadline_ms: u64) -> BoxFuture<'_, ()> {
        let wait_ms = deadline_ms.saturating_sub(self.now_ms());
        Box::pin(tokio::time::sleep(std::time::Duration::from_millis(
            wait_ms,
        )))
    }
}
