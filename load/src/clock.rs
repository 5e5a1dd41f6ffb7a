//! The one clock of a load run: monotonic nanoseconds since the process started.
//!
//! Senders and receivers live in the same process, so a send time stamped into a payload by
//! one client and read back by another is on the same clock: send-to-delivery latency needs
//! no clock synchronisation. Not a wall clock: stamps mean nothing outside the process.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    #[allow(clippy::disallowed_methods)] // the load tool measures real time
    *ORIGIN.get_or_init(Instant::now)
}

/// Nanoseconds since the first call in this process.
pub fn now_ns() -> u64 {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    u64::try_from(now.duration_since(origin()).as_nanos()).unwrap_or(u64::MAX)
}

/// The tokio instant of a stamp, for sleeping until it.
pub fn instant_of(stamp_ns: u64) -> tokio::time::Instant {
    tokio::time::Instant::from_std(origin() + Duration::from_nanos(stamp_ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic() {
        let a = now_ns();
        std::thread::sleep(Duration::from_millis(2));
        let b = now_ns();
        assert!(b >= a + 2_000_000, "{a} then {b}");
    }
}
