//! The workspace's one pseudo-random generator: SplitMix64 (Steele, Lea, Flood 2014), written
//! from the published constants.
//!
//! What it is: a seeded, deterministic sequence, the same on every platform, for everything
//! that must be a pure function of a seed: the SDK's reconnect jitter and idempotency keys,
//! synthetic audio noise, the fuzz helpers' chunking. What it is not: cryptographic; nothing
//! secret is ever drawn from it (login nonces and salts come from the OS in `yim-server`).

/// SplitMix64; see the module doc.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose sequence depends only on `seed`.
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
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

    /// A uniform value in `[-1, 1)`.
    pub fn next_signed_unit(&mut self) -> f32 {
        // 24 random bits give every representable step of an f32 mantissa in [0, 1).
        let bits = (self.next_u64() >> 40) as u32;
        (bits as f32 / (1u32 << 24) as f32) * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_different_seeds_differ() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let mut c = SplitMix64::new(8);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..4).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn known_first_value_for_seed_zero() {
        // Reference value of SplitMix64 with state 0 (published test vector).
        assert_eq!(SplitMix64::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn bounded_draws_stay_in_their_bounds() {
        let mut r = SplitMix64::new(1);
        assert!((0..1000).all(|_| r.up_to(10) <= 10));
        assert!((0..1000).any(|_| r.up_to(10) == 10));
        assert_eq!(r.up_to(0), 0);
        assert!((0..100).all(|_| r.nonzero() != 0));
        let mut sum = 0.0f64;
        for _ in 0..10_000 {
            let x = r.next_signed_unit();
            assert!((-1.0..1.0).contains(&x));
            sum += f64::from(x);
        }
        assert!((sum / 10_000.0).abs() < 0.05, "centred");
    }
}
