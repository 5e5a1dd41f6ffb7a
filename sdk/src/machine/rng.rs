//! The machine's own deterministic random numbers: reconnect jitter and send idempotency keys.
//!
//! What it is: SplitMix64 seeded by whoever builds the machine (the simulator from its seed,
//! the real client from its clock), so a run is a pure function of its inputs. What it is not:
//! cryptographic; nothing secret is drawn here.

#[derive(Debug, Clone)]
pub(crate) struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..=max`.
    pub fn up_to(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(bound) => self.next_u64() % bound,
            None => self.next_u64(),
        }
    }

    /// A number that is never 0 (0 means "no key" on the wire).
    pub fn nonzero(&mut self) -> u64 {
        loop {
            let n = self.next_u64();
            if n != 0 {
                return n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_bounds_hold() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(first[0], Rng::new(8).next_u64());
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.up_to(10) <= 10));
        assert!((0..1000).any(|_| r.up_to(10) == 10));
        assert_eq!(r.up_to(0), 0);
        assert!((0..100).all(|_| r.nonzero() != 0));
    }
}
