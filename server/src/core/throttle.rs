//! Token buckets: how the core limits the rate of something per key (failed logins per account
//! and per peer address, registrations per address, sends per room), in monotonic time.
//!
//! A bucket holds at most `burst` tokens and gains one every `refill_ms`; an attempt takes a
//! token, and with none left it is refused. So a key may make `burst` attempts at once and
//! then one per `refill_ms`: a back-off, then a refusal for whatever comes faster. A `burst`
//! of 0 turns the limit off. [`Throttle`] is a bounded table of buckets by key: a bucket that
//! has refilled is the same as none and is dropped by [`Throttle::sweep`], and when the table
//! holds `max_keys` buckets that have not refilled, an attempt under a new key is refused
//! (the table never grows past its bound; the refusal is the cost of an attack that large).
//!
//! What it is not: which attempts count, or what a refusal answers (`login`, `messaging`).

use std::collections::BTreeMap;

use serde::Deserialize;

/// A rate: `burst` attempts at once, then one more per `refill_ms`. `burst` 0: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// Attempts allowed at once (0: no limit).
    pub burst: u32,
    /// One more attempt comes back every this many ms.
    pub refill_ms: u64,
}

impl Rate {
    /// No limit.
    pub const UNLIMITED: Rate = Rate {
        burst: 0,
        refill_ms: 0,
    };

    /// `burst` attempts at once, one more every `refill_ms`.
    pub fn new(burst: u32, refill_ms: u64) -> Rate {
        Rate { burst, refill_ms }
    }

    fn unlimited(self) -> bool {
        self.burst == 0
    }
}

/// One key's tokens, as the tokens spent (so the default bucket is a full one, whatever
/// its rate).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    spent: u32,
    /// When `spent` was last brought up to date (monotonic ms).
    updated_ms: u64,
}

impl Bucket {
    fn refill(&mut self, rate: Rate, now_ms: u64) {
        let refill_ms = rate.refill_ms.max(1);
        let gained = now_ms.saturating_sub(self.updated_ms) / refill_ms;
        if gained >= u64::from(self.spent) {
            self.spent = 0;
            self.updated_ms = now_ms;
        } else {
            // gained < spent <= u32::MAX
            self.spent -= u32::try_from(gained).unwrap_or(0);
            self.updated_ms += gained * refill_ms;
        }
    }

    /// Takes a token if there is one.
    pub fn take(&mut self, rate: Rate, now_ms: u64) -> bool {
        if rate.unlimited() {
            return true;
        }
        self.refill(rate, now_ms);
        if self.spent >= rate.burst {
            return false;
        }
        self.spent += 1;
        true
    }

    /// Returns a token taken for an attempt that turned out not to count.
    pub fn give_back(&mut self, rate: Rate, now_ms: u64) {
        self.refill(rate, now_ms);
        self.spent = self.spent.saturating_sub(1);
    }

    /// Full again: as good as no bucket.
    fn is_full(&mut self, rate: Rate, now_ms: u64) -> bool {
        self.refill(rate, now_ms);
        self.spent == 0
    }
}

/// Buckets by key, at most `max_keys` of them (see the module doc).
#[derive(Debug)]
pub struct Throttle<K: Ord> {
    rate: Rate,
    max_keys: usize,
    buckets: BTreeMap<K, Bucket>,
}

impl<K: Ord + Clone> Throttle<K> {
    /// Buckets of `rate`, for at most `max_keys` keys at once.
    pub fn new(rate: Rate, max_keys: usize) -> Throttle<K> {
        Throttle {
            rate,
            max_keys,
            buckets: BTreeMap::new(),
        }
    }

    /// Takes a token of `key`; false if it has none, or the table is full of other keys.
    pub fn take(&mut self, key: &K, now_ms: u64) -> bool {
        if self.rate.unlimited() {
            return true;
        }
        if let Some(bucket) = self.buckets.get_mut(key) {
            return bucket.take(self.rate, now_ms);
        }
        if self.buckets.len() >= self.max_keys {
            self.sweep(now_ms);
            if self.buckets.len() >= self.max_keys {
                return false;
            }
        }
        let mut bucket = Bucket::default();
        let taken = bucket.take(self.rate, now_ms);
        self.buckets.insert(key.clone(), bucket);
        taken
    }

    /// Returns a token taken with [`Throttle::take`] for an attempt that did not count.
    pub fn give_back(&mut self, key: &K, now_ms: u64) {
        if let Some(bucket) = self.buckets.get_mut(key) {
            bucket.give_back(self.rate, now_ms);
        }
    }

    /// Drops the buckets that have refilled.
    pub fn sweep(&mut self, now_ms: u64) {
        let rate = self.rate;
        self.buckets
            .retain(|_, bucket| !bucket.is_full(rate, now_ms));
    }

    /// Buckets held (for the invariants).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// How many keys it holds buckets for at most.
    pub fn max_keys(&self) -> usize {
        self.max_keys
    }
}

/// The address part of a peer ("1.2.3.4:5678" -> "1.2.3.4", "[::1]:5678" -> "::1"): limits
/// per address count every port of a host together.
pub fn peer_address(peer: &str) -> &str {
    let host = match peer.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => peer,
    };
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_one_per_refill() {
        let rate = Rate::new(3, 100);
        let mut bucket = Bucket::default();
        assert!((0..3).all(|_| bucket.take(rate, 0)));
        assert!(!bucket.take(rate, 99), "empty until a refill");
        assert!(bucket.take(rate, 100));
        assert!(!bucket.take(rate, 150));
        assert!(bucket.take(rate, 200));
        // A long pause refills to the burst, no more.
        assert!((0..3).all(|_| bucket.take(rate, 10_000)));
        assert!(!bucket.take(rate, 10_000));
        bucket.give_back(rate, 10_000);
        assert!(bucket.take(rate, 10_000), "a token given back is there");
        let mut open = Bucket::default();
        assert!(
            (0..1000).all(|_| open.take(Rate::UNLIMITED, 0)),
            "burst 0: no limit"
        );
    }

    #[test]
    fn refills_keep_their_fraction() {
        let rate = Rate::new(2, 100);
        let mut bucket = Bucket::default();
        assert!(bucket.take(rate, 0) && bucket.take(rate, 0));
        // 150 ms gives one token and keeps 50 ms towards the next.
        assert!(bucket.take(rate, 150));
        assert!(bucket.take(rate, 200));
        assert!(!bucket.take(rate, 250));
    }

    #[test]
    fn a_table_is_bounded_and_forgets_refilled_keys() {
        let mut table: Throttle<String> = Throttle::new(Rate::new(1, 1000), 2);
        assert!(table.take(&"a".into(), 0));
        assert!(!table.take(&"a".into(), 10), "a's one token is spent");
        assert!(table.take(&"b".into(), 10));
        assert!(
            !table.take(&"c".into(), 20),
            "full of keys that have not refilled: refused"
        );
        assert_eq!(table.len(), 2);
        assert!(
            table.take(&"c".into(), 1010),
            "a and b refilled and are dropped"
        );
        assert_eq!(table.len(), 1);
        table.sweep(5000);
        assert_eq!(table.len(), 0);
        let mut open: Throttle<String> = Throttle::new(Rate::UNLIMITED, 0);
        assert!(open.take(&"x".into(), 0));
        assert_eq!(open.len(), 0, "an unlimited table keeps nothing");
    }

    #[test]
    fn peer_addresses_drop_the_port() {
        assert_eq!(peer_address("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(peer_address("[::1]:5000"), "::1");
        assert_eq!(peer_address("192.168.0.3:49153"), "192.168.0.3");
        assert_eq!(peer_address("test"), "test");
        assert_eq!(peer_address(""), "");
    }
}
