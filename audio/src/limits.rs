//! The numbers that bound the audio half of voice messages: clip length, rates, queue and
//! buffer sizes. Everything that grows in this crate is capped by one of these.
//!
//! This module holds constants only; the code that enforces them lives next to what it bounds.

/// Sample rate of everything after capture: WAV files, the codec, voice detection, recognition.
pub const TARGET_RATE: u32 = 16_000;

/// YIM's maximum voice message length: the recording stops at 60 s (`PTT_ReachMaxDuration`).
pub const MAX_CLIP_MS: u32 = 60_000;

/// YIM's recommended minimum: shorter clips give `PTT_SpeechTooShort`.
pub const MIN_CLIP_MS: u32 = 1_000;

/// Samples of a maximum-length clip at [`TARGET_RATE`].
pub const MAX_CLIP_SAMPLES: usize = (MAX_CLIP_MS as usize) * (TARGET_RATE as usize) / 1000;

/// Device sample rates the pipeline accepts (inclusive).
pub const MIN_DEVICE_RATE: u32 = 8_000;
/// Highest device rate accepted.
pub const MAX_DEVICE_RATE: u32 = 192_000;
/// Highest device channel count accepted.
pub const MAX_CHANNELS: u16 = 8;

/// Longest WAV file [`crate::wav::read_wav`] loads (playback, file input), in milliseconds.
/// Longer than a voice message so that files from other tools still play.
pub const MAX_WAV_MS: u64 = 10 * 60 * 1000;
/// Largest number of samples (all channels) [`crate::wav::read_wav`] loads.
pub const MAX_WAV_SAMPLES: u64 = 48_000 * 2 * 60 * 10;

/// Recording events (level updates) queued and not yet polled; the oldest are dropped past this.
pub const MAX_PENDING_EVENTS: usize = 64;

/// Largest encoded voice message accepted by the wire decoder, header included.
pub const MAX_WIRE_BYTES: usize = 256 * 1024;

/// Longest text the synthetic speech source encodes and the tone recognizer returns.
pub const MAX_SYNTH_TEXT: usize = 200;

/// Largest output (bytes) read from an external recognizer process.
pub const MAX_RECOGNIZER_OUTPUT: usize = 64 * 1024;
