//! The message IDs already delivered to the application, so a message the server sends again
//! (a private message whose acknowledgement was lost with its connection, redelivered at the
//! next login) reaches the application once.
//!
//! What it is: a bounded window of the most recent IDs, kept across sessions for the life of
//! the machine. What it is not: persistent; an app that restarts starts with an empty window.

use std::collections::{BTreeSet, VecDeque};

#[derive(Debug)]
pub(crate) struct DeliveredWindow {
    ids: BTreeSet<u64>,
    /// The same IDs, oldest first, for eviction.
    order: VecDeque<u64>,
    capacity: usize,
}

impl DeliveredWindow {
    pub fn new(capacity: usize) -> DeliveredWindow {
        DeliveredWindow {
            ids: BTreeSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `message_id`; false if it was delivered before (within the window).
    pub fn first_delivery(&mut self, message_id: u64) -> bool {
        if !self.ids.insert(message_id) {
            return false;
        }
        self.order.push_back(message_id);
        if self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_the_last_ids_only() {
        let mut window = DeliveredWindow::new(2);
        assert!(window.first_delivery(1));
        assert!(!window.first_delivery(1));
        assert!(window.first_delivery(2));
        assert!(window.first_delivery(3)); // evicts 1
        assert!(!window.first_delivery(3));
        assert!(window.first_delivery(1), "forgotten past the window");
    }
}
