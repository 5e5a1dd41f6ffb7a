//! A latency histogram: log-linear buckets (64 per power of two, so any value is kept within
//! 1.6% of itself) over nanoseconds, mergeable, with percentiles and the exact maximum.
//!
//! What it is: counts in a fixed array of at most 64 * 64 buckets (32 KiB), whatever the
//! number of samples. What it is not: a time series.

use serde::Serialize;

/// Sub-buckets per power of two.
const SUB_BUCKETS: u64 = 64;
const SUB_BITS: u32 = 6;
/// Buckets for every u64 value.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB_BUCKETS as usize;

/// See the module doc.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("total", &self.total)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }
}

/// Percentiles of a histogram, in milliseconds (each the top of its bucket: at most 1.6%
/// above the true value, never above the maximum). All 0 for an empty histogram.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Samples recorded.
    pub count: u64,
    /// The median.
    pub p50_ms: f64,
    /// The 99th percentile.
    pub p99_ms: f64,
    /// The 99.9th percentile.
    pub p999_ms: f64,
    /// The largest sample, exactly.
    pub max_ms: f64,
}

fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return value as usize;
    }
    // value has `bits` significant bits; keep the top SUB_BITS + 1 of them.
    let bits = 64 - value.leading_zeros();
    let shift = bits - SUB_BITS - 1;
    let top = value >> shift; // in SUB_BUCKETS..2 * SUB_BUCKETS
    ((shift as u64 + 1) * SUB_BUCKETS + (top - SUB_BUCKETS)) as usize
}

/// The largest value that falls in `bucket`.
fn bucket_high(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB_BUCKETS {
        return bucket;
    }
    let shift = bucket / SUB_BUCKETS - 1;
    let top = bucket % SUB_BUCKETS + SUB_BUCKETS;
    let high = (u128::from(top + 1) << shift) - 1;
    u64::try_from(high).unwrap_or(u64::MAX)
}

impl Histogram {
    /// Counts one sample of `value_ns` nanoseconds.
    pub fn record(&mut self, value_ns: u64) {
        self.counts[bucket_of(value_ns)] += 1;
        self.total += 1;
        self.max = self.max.max(value_ns);
    }

    /// Adds `other`'s samples to these.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// Samples recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0..=1), in nanoseconds: the top of its bucket, never above
    /// the maximum recorded. 0 when empty.
    pub fn quantile_ns(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_high(bucket).min(self.max);
            }
        }
        self.max
    }

    /// The median, 99th and 99.9th percentiles and the maximum, in milliseconds.
    pub fn percentiles(&self) -> Percentiles {
        let ms = |ns: u64| ns as f64 / 1e6;
        Percentiles {
            count: self.total,
            p50_ms: ms(self.quantile_ns(0.50)),
            p99_ms: ms(self.quantile_ns(0.99)),
            p999_ms: ms(self.quantile_ns(0.999)),
            max_ms: ms(self.max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_in_order_within_two_percent() {
        let mut last = 0;
        for value in 0..5_000u64 {
            let bucket = bucket_of(value);
            assert!(bucket >= last, "{value}: buckets go up with values");
            last = bucket;
        }
        for value in (0..5_000u64)
            .chain((0..64).map(|s| 1u64 << s))
            .chain([u64::MAX])
        {
            let bucket = bucket_of(value);
            assert!(bucket < BUCKETS, "{value}");
            let high = bucket_high(bucket);
            assert!(high >= value, "{value} above its bucket's top {high}");
            assert!(
                (high - value) as f64 <= value as f64 / 50.0 + 1.0,
                "{value} vs {high}"
            );
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = Histogram::default();
        for ms in 1..=1000u64 {
            h.record(ms * 1_000_000);
        }
        let p = h.percentiles();
        assert_eq!(p.count, 1000);
        assert!((p.p50_ms - 500.0).abs() < 10.0, "{p:?}");
        assert!((p.p99_ms - 990.0).abs() < 20.0, "{p:?}");
        assert_eq!(p.max_ms, 1000.0);
        let mut other = Histogram::default();
        other.record(5_000_000_000);
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert_eq!(h.percentiles().max_ms, 5000.0);
        assert_eq!(Histogram::default().percentiles(), Percentiles::default());
    }
}
