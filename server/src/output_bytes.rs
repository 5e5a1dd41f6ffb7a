//! The bytes of frames queued for the connections and not yet written: per connection and for
//! all of them together, so the driver bounds output queues by bytes (`max_queued_bytes`,
//! `max_output_bytes`) and not only by frames.
//!
//! The driver adds a frame's bytes before it queues the frame; the connection's task takes
//! them off once it has written (or dropped) the frame. A connection cut off is detached:
//! its bytes leave the total at once and the task's later writes no longer count, so cutting
//! a hog frees the budget immediately. What it is not: the queues themselves (the driver's
//! channels).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The high bit of a connection's count marks it detached.
const DETACHED: usize = 1 << (usize::BITS - 1);

/// One connection's queued bytes, counted in a total shared with every connection.
#[derive(Debug)]
pub struct QueuedBytes {
    connection: AtomicUsize,
    total: Arc<AtomicUsize>,
}

impl QueuedBytes {
    pub fn new(total: Arc<AtomicUsize>) -> QueuedBytes {
        QueuedBytes {
            connection: AtomicUsize::new(0),
            total,
        }
    }

    /// Bytes queued for this connection now.
    pub fn get(&self) -> usize {
        self.connection.load(Ordering::Acquire) & !DETACHED
    }

    /// The driver queues `bytes` more (not after `detach`).
    pub fn add(&self, bytes: usize) {
        self.connection.fetch_add(bytes, Ordering::AcqRel);
        self.total.fetch_add(bytes, Ordering::AcqRel);
    }

    /// The task has written (or dropped) a frame of `bytes`.
    pub fn written(&self, bytes: usize) {
        let updated = self
            .connection
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                (count & DETACHED == 0).then(|| count.saturating_sub(bytes))
            });
        if updated.is_ok() {
            self.total.fetch_sub(bytes, Ordering::AcqRel);
        }
    }

    /// Whether [`Self::detach`] has been called (the connection is gone).
    pub fn is_detached(&self) -> bool {
        self.connection.load(Ordering::Acquire) & DETACHED != 0
    }

    /// The connection is gone: its bytes leave the total, now and for good.
    pub fn detach(&self) {
        let left = self.connection.swap(DETACHED, Ordering::AcqRel);
        if left & DETACHED == 0 {
            self.total.fetch_sub(left, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_connection_and_in_total_and_detaches_once() {
        let total = Arc::new(AtomicUsize::new(0));
        let a = QueuedBytes::new(total.clone());
        let b = QueuedBytes::new(total.clone());
        a.add(100);
        a.add(50);
        b.add(7);
        assert_eq!(
            (a.get(), b.get(), total.load(Ordering::Acquire)),
            (150, 7, 157)
        );
        a.written(100);
        assert_eq!((a.get(), total.load(Ordering::Acquire)), (50, 57));
        a.detach();
        assert_eq!(total.load(Ordering::Acquire), 7, "a's bytes left at once");
        a.written(50);
        a.detach();
        assert_eq!(total.load(Ordering::Acquire), 7, "and never twice");
        assert_eq!(a.get(), 0);
        b.written(7);
        assert_eq!(total.load(Ordering::Acquire), 0);
    }
}
