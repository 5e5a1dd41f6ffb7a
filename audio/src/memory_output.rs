//! An in-memory [`AudioOutput`] for tests and the simulator: it keeps what it is given and
//! accepts at most a fixed number of samples per `write`, so playback advances in
//! deterministic steps with no device and no clock.

use crate::error::OutputError;
use crate::traits::{AudioFormat, AudioOutput};

/// Collects played samples; can be told to fail on open.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutput {
    /// Format from the last `open`.
    pub format: Option<AudioFormat>,
    /// Everything written since the last `open`, interleaved.
    pub played: Vec<f32>,
    /// Samples accepted per `write` (0 = unlimited).
    pub max_per_write: usize,
    /// `finish` calls seen.
    pub finished: u32,
    /// `stop` calls seen.
    pub stopped: u32,
    /// Make `open` fail (a missing device).
    pub fail_open: bool,
    /// Upper bound on `played` (samples); writes past it are refused. 0 = 10 minutes of 48 kHz
    /// stereo.
    pub capacity: usize,
}

impl MemoryOutput {
    /// An output taking at most `max_per_write` samples per write.
    pub fn new(max_per_write: usize) -> Self {
        MemoryOutput {
            max_per_write,
            ..MemoryOutput::default()
        }
    }
}

impl AudioOutput for MemoryOutput {
    fn open(&mut self, format: AudioFormat) -> Result<(), OutputError> {
        if self.fail_open {
            return Err(OutputError::NoDevice("memory output told to fail".into()));
        }
        self.format = Some(format);
        self.played.clear();
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<usize, OutputError> {
        let Some(format) = self.format else {
            return Err(OutputError::PlayFailed("write before open".into()));
        };
        let channels = usize::from(format.channels.max(1));
        let cap = if self.capacity == 0 {
            48_000 * 2 * 600
        } else {
            self.capacity
        };
        let mut n = samples.len().min(cap.saturating_sub(self.played.len()));
        if self.max_per_write > 0 {
            n = n.min(self.max_per_write);
        }
        n = n / channels * channels;
        self.played.extend_from_slice(&samples[..n]);
        Ok(n)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        self.finished += 1;
        Ok(())
    }

    fn stop(&mut self) {
        self.stopped += 1;
    }
}
