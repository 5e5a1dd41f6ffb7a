//! The seams between the voice pipeline and the outside world: capture ([`AudioInput`]),
//! playback ([`AudioOutput`]) and speech to text ([`Recognizer`]).
//!
//! All three are small and object-safe so the SDK can hold `Box<dyn ...>` and the simulator can
//! plug in deterministic implementations. Implementations live elsewhere (cpal, WAV files,
//! synthetic sources, PocketSphinx); this module only defines the contracts.

use crate::error::{InputError, OutputError, RecognizeError};
use crate::limits::{MAX_CHANNELS, MAX_DEVICE_RATE, MIN_DEVICE_RATE};

/// Sample rate and channel count of interleaved PCM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// Frames per second.
    pub sample_rate: u32,
    /// Samples per frame (interleaved).
    pub channels: u16,
}

impl AudioFormat {
    /// 16 kHz mono: the pipeline's target format.
    pub const SPEECH: AudioFormat = AudioFormat {
        sample_rate: crate::limits::TARGET_RATE,
        channels: 1,
    };

    /// Whether the rate and channel count are inside the limits the pipeline accepts.
    pub fn is_supported(&self) -> bool {
        (MIN_DEVICE_RATE..=MAX_DEVICE_RATE).contains(&self.sample_rate)
            && (1..=MAX_CHANNELS).contains(&self.channels)
    }
}

/// What one [`AudioInput::read`] call produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadResult {
    /// Samples (not frames) written at the start of the buffer; always a whole number of frames.
    pub samples: usize,
    /// The source has ended (a file or synthetic source ran out); no more samples will come.
    pub ended: bool,
}

/// A capture source: yields interleaved f32 PCM in `[-1, 1]` in the format it reports.
///
/// Contract: `format()` is valid from construction on and never changes; `start` begins
/// capture; `read` never blocks (it returns what is available now, possibly nothing); `stop`
/// is idempotent.
pub trait AudioInput: Send {
    /// Rate and channel count of the samples `read` returns.
    fn format(&self) -> AudioFormat;
    /// Begins capture.
    fn start(&mut self) -> Result<(), InputError>;
    /// Copies available samples into `buf` (whole frames only), without blocking.
    fn read(&mut self, buf: &mut [f32]) -> Result<ReadResult, InputError>;
    /// Ends capture. Samples not yet read may be lost.
    fn stop(&mut self);
    /// Samples the source had to drop because the reader did not keep up (0 if it never drops).
    fn dropped_samples(&self) -> u64 {
        0
    }
}

/// A playback sink for interleaved f32 PCM.
///
/// Contract: `open` before `write`; `write` never blocks (it takes what fits now and returns
/// how many samples it took, always whole frames); `finish` waits until what was written has
/// been played or flushed; `stop` discards anything queued. Both close the sink.
pub trait AudioOutput: Send {
    /// Prepares to play PCM of this format.
    fn open(&mut self, format: AudioFormat) -> Result<(), OutputError>;
    /// Queues as many samples as fit now; returns how many were taken.
    fn write(&mut self, samples: &[f32]) -> Result<usize, OutputError>;
    /// Plays out what is queued, then closes.
    fn finish(&mut self) -> Result<(), OutputError>;
    /// Drops what is queued and closes.
    fn stop(&mut self);
}

/// Speech to text on 16 kHz mono i16 PCM.
pub trait Recognizer: Send {
    /// The recognised text, or why there is none.
    fn recognize(&mut self, pcm_16k_mono: &[i16]) -> Result<String, RecognizeError>;
}
