//! The sans-IO recording pipeline: push captured frames, get level events, finish into a clip.
//!
//! Each [`RecorderCore::push`] runs every stage on the new samples at once: device format ->
//! mono -> 16 kHz ([`crate::resample`]) -> level meter -> i16 -> local WAV (hound's 16-bit fast
//! path) + voice detector + Opus wire encoding ([`crate::codec`]). So `finish` only flushes the
//! tails. It owns no thread and reads no clock: the threaded [`crate::recorder`] drives it from
//! a capture device, the simulator drives it with synthetic frames.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;

use hound::WavWriter;

use crate::codec::{StreamEncoder, BITRATE_BPS};
use crate::error::RecordError;
use crate::level::LevelMeter;
use crate::limits::{MAX_CLIP_MS, MAX_CLIP_SAMPLES, MAX_PENDING_EVENTS, MIN_CLIP_MS, TARGET_RATE};
use crate::resample::{to_i16, ToSpeechRate};
use crate::traits::AudioFormat;
use crate::vad::{EnergyVad, VAD_FRAME};
use crate::wav::{hound_error, io_error, spec_i16};

/// Settings of one recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordConfig {
    /// Where to write the 16 kHz mono WAV, or `None` for no file (the simulator).
    pub wav_path: Option<PathBuf>,
    /// Stop at this length (1..=60000 ms).
    pub max_duration_ms: u32,
    /// Shorter recordings fail with `PTT_SpeechTooShort`.
    pub min_duration_ms: u32,
    /// Recordings with less voiced audio than this fail with `PTT_SpeechTooShort`.
    pub min_speech_ms: u32,
    /// How often a level event is produced (50..=1000 ms of audio).
    pub level_interval_ms: u32,
    /// Opus bit rate.
    pub bitrate_bps: i32,
    /// Keep the 16 kHz i16 samples in the clip (for speech to text without reading the file).
    pub keep_pcm: bool,
    /// Produce the Opus wire encoding (off: `encoded` is empty; for benchmarks and tools).
    pub encode: bool,
}

impl Default for RecordConfig {
    fn default() -> Self {
        RecordConfig {
            wav_path: None,
            max_duration_ms: MAX_CLIP_MS,
            min_duration_ms: MIN_CLIP_MS,
            min_speech_ms: 200,
            level_interval_ms: 125,
            bitrate_bps: BITRATE_BPS,
            keep_pcm: false,
            encode: true,
        }
    }
}

/// Something the application hears about while recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordEvent {
    /// Record level, 0..=1 (`OnRecordVolumeChange`).
    Level(f32),
    /// The recording reached its maximum length and takes no more audio; the caller finishes
    /// it and reports `PTT_ReachMaxDuration` (2009), which counts as success.
    MaxDurationReached,
}

/// Result of a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Keep recording.
    Continue,
    /// The maximum length is reached; further audio is dropped.
    MaxDurationReached,
}

/// A finished recording.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedClip {
    /// The local WAV (16 kHz mono 16-bit), if one was requested.
    pub wav_path: Option<PathBuf>,
    /// Length of the recorded audio.
    pub duration_ms: u32,
    /// The wire encoding ([`crate::wire`]), ready to upload.
    pub encoded: Vec<u8>,
    /// Milliseconds the voice detector judged to be speech.
    pub speech_ms: u32,
    /// Whether recording stopped at the maximum length (report `PTT_ReachMaxDuration`).
    pub reached_max_duration: bool,
    /// The 16 kHz mono samples, if `keep_pcm` was set.
    pub pcm: Option<Vec<i16>>,
    /// Samples the capture source dropped because the worker fell behind (0 when pushed
    /// directly).
    pub dropped_samples: u64,
}

/// The incremental pipeline; see the module docs.
pub struct RecorderCore {
    config: RecordConfig,
    format: AudioFormat,
    to_speech: ToSpeechRate,
    max_frames_in: u64,
    mono: Vec<f32>,
    pcm: Vec<i16>,
    kept: Option<Vec<i16>>,
    wav: Option<WavWriter<BufWriter<File>>>,
    vad: EnergyVad,
    vad_frame: Vec<i16>,
    level: LevelMeter,
    encoder: StreamEncoder,
    samples: usize,
    events: VecDeque<RecordEvent>,
    full: bool,
}

impl std::fmt::Debug for RecorderCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecorderCore")
            .field("config", &self.config)
            .field("samples", &self.samples)
            .field("full", &self.full)
            .finish()
    }
}

impl RecorderCore {
    /// Starts a recording of input in `format`: validates the config, creates the WAV file.
    pub fn new(format: AudioFormat, config: RecordConfig) -> Result<Self, RecordError> {
        if !(1..=MAX_CLIP_MS).contains(&config.max_duration_ms) {
            return Err(RecordError::Config("max duration outside 1..=60000 ms"));
        }
        if !(50..=1000).contains(&config.level_interval_ms) {
            return Err(RecordError::Config("level interval outside 50..=1000 ms"));
        }
        let to_speech = ToSpeechRate::new(format)?;
        let encoder = StreamEncoder::new(config.bitrate_bps)?;
        let wav = match &config.wav_path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
                }
                Some(
                    WavWriter::create(path, spec_i16(AudioFormat::SPEECH))
                        .map_err(|e| hound_error(path, e))?,
                )
            }
            None => None,
        };
        let level_window = (TARGET_RATE * config.level_interval_ms / 1000) as usize;
        Ok(RecorderCore {
            max_frames_in: u64::from(format.sample_rate) * u64::from(config.max_duration_ms) / 1000,
            kept: config
                .keep_pcm
                .then(|| Vec::with_capacity(MAX_CLIP_SAMPLES)),
            config,
            format,
            to_speech,
            mono: Vec::with_capacity(4096),
            pcm: Vec::with_capacity(4096),
            wav,
            vad: EnergyVad::default(),
            vad_frame: Vec::with_capacity(VAD_FRAME),
            level: LevelMeter::new(level_window),
            encoder,
            samples: 0,
            events: VecDeque::with_capacity(MAX_PENDING_EVENTS),
            full: false,
        })
    }

    fn emit(&mut self, e: RecordEvent) {
        if self.events.len() == MAX_PENDING_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(e);
    }

    /// Runs the pipeline on interleaved samples in the input format (whole frames).
    pub fn push(&mut self, interleaved: &[f32]) -> Result<PushOutcome, RecordError> {
        if self.full {
            return Ok(PushOutcome::MaxDurationReached);
        }
        let channels = usize::from(self.format.channels);
        let room = (self.max_frames_in - self.to_speech.frames_in()) as usize;
        let frames = (interleaved.len() / channels).min(room);
        self.mono.clear();
        self.to_speech
            .push(&interleaved[..frames * channels], &mut self.mono)?;
        self.sink_mono()?;
        if self.to_speech.frames_in() >= self.max_frames_in {
            self.full = true;
            self.emit(RecordEvent::MaxDurationReached);
            return Ok(PushOutcome::MaxDurationReached);
        }
        Ok(PushOutcome::Continue)
    }

    /// Level meter, i16, WAV, VAD and encoder over the new 16 kHz samples in `self.mono`.
    fn sink_mono(&mut self) -> Result<(), RecordError> {
        let room = MAX_CLIP_SAMPLES - self.samples;
        let n = self.mono.len().min(room);
        self.pcm.clear();
        for i in 0..n {
            let x = self.mono[i];
            if let Some(level) = self.level.push(x) {
                self.emit(RecordEvent::Level(level));
            }
            self.pcm.push(to_i16(x));
        }
        self.samples += n;
        if let (Some(w), Some(path)) = (self.wav.as_mut(), self.config.wav_path.as_ref()) {
            let mut fast = w.get_i16_writer(n as u32);
            for &s in &self.pcm {
                fast.write_sample(s);
            }
            fast.flush().map_err(|e| hound_error(path, e))?;
        }
        let mut rest = &self.pcm[..];
        while !rest.is_empty() {
            let take = (VAD_FRAME - self.vad_frame.len()).min(rest.len());
            self.vad_frame.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.vad_frame.len() == VAD_FRAME {
                self.vad.push_frame(&self.vad_frame);
                self.vad_frame.clear();
            }
        }
        if self.config.encode {
            self.encoder.push(&self.pcm)?;
        }
        if let Some(k) = self.kept.as_mut() {
            k.extend_from_slice(&self.pcm);
        }
        Ok(())
    }

    /// The next level or max-duration event, oldest first.
    pub fn poll_event(&mut self) -> Option<RecordEvent> {
        self.events.pop_front()
    }

    /// Milliseconds of 16 kHz audio produced so far.
    pub fn duration_ms(&self) -> u32 {
        (self.samples as u64 * 1000 / u64::from(TARGET_RATE)) as u32
    }

    /// Wire bytes encoded so far (without the header and the unflushed tail).
    pub fn encoded_len(&self) -> usize {
        self.encoder.encoded_len()
    }

    /// Whether the maximum length was reached.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Flushes every stage and returns the clip, or `SpeechTooShort` (the WAV is then deleted).
    pub fn finish(mut self) -> Result<RecordedClip, RecordError> {
        self.mono.clear();
        self.to_speech.finish(&mut self.mono)?;
        self.sink_mono()?;
        let duration_ms = self.duration_ms();
        let speech_ms = self.vad.voiced_ms();
        if let (Some(w), Some(path)) = (self.wav.take(), self.config.wav_path.as_ref()) {
            w.finalize().map_err(|e| hound_error(path, e))?;
        }
        if duration_ms < self.config.min_duration_ms || speech_ms < self.config.min_speech_ms {
            self.delete_file();
            return Err(RecordError::SpeechTooShort {
                duration_ms,
                speech_ms,
            });
        }
        let RecorderCore {
            config,
            encoder,
            kept,
            full,
            ..
        } = self;
        Ok(RecordedClip {
            wav_path: config.wav_path,
            duration_ms,
            encoded: if config.encode {
                encoder.finish()?
            } else {
                Vec::new()
            },
            speech_ms,
            reached_max_duration: full,
            pcm: kept,
            dropped_samples: 0,
        })
    }

    fn delete_file(&mut self) {
        drop(self.wav.take());
        if let Some(path) = &self.config.wav_path {
            // Already gone is fine; any other failure leaves a stray file but is not an error
            // the caller could act on.
            let _ = std::fs::remove_file(path);
        }
    }

    /// Abandons the recording and deletes its WAV file.
    pub fn cancel(mut self) {
        self.delete_file();
    }
}
