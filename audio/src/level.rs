//! The record level meter behind `OnRecordVolumeChange`: RMS of the mono signal over a fixed
//! window, as a value in 0..=1 (a full-scale sine reads about 0.71).
//!
//! It reports linear RMS, not a perceptual loudness; a UI may map it to dB.

/// Accumulates samples and yields one level per window.
#[derive(Debug, Clone)]
pub struct LevelMeter {
    window: usize,
    count: usize,
    sum_squares: f64,
}

impl LevelMeter {
    /// A meter that reports once every `window` samples (at least 1).
    pub fn new(window: usize) -> Self {
        LevelMeter {
            window: window.max(1),
            count: 0,
            sum_squares: 0.0,
        }
    }

    /// Adds one sample; returns the level when a window completes.
    #[inline]
    pub fn push(&mut self, x: f32) -> Option<f32> {
        self.sum_squares += f64::from(x) * f64::from(x);
        self.count += 1;
        if self.count < self.window {
            return None;
        }
        let level = (self.sum_squares / self.count as f64).sqrt() as f32;
        self.count = 0;
        self.sum_squares = 0.0;
        Some(level.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_reads_its_rms_and_silence_reads_zero() {
        let mut m = LevelMeter::new(1600);
        let mut levels = Vec::new();
        for i in 0..3200 {
            let x = 0.5 * (2.0 * std::f32::consts::PI * 440.0 * i as f32 / 16_000.0).sin();
            levels.extend(m.push(x));
        }
        assert_eq!(levels.len(), 2);
        assert!((levels[0] - 0.3536).abs() < 0.01, "{levels:?}");
        let mut m = LevelMeter::new(10);
        let zeros: Vec<f32> = (0..10).filter_map(|_| m.push(0.0)).collect();
        assert_eq!(zeros, vec![0.0]);
    }

    #[test]
    fn level_is_clamped_to_one() {
        let mut m = LevelMeter::new(2);
        m.push(4.0);
        assert_eq!(m.push(4.0), Some(1.0));
    }
}
