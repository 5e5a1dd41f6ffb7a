//! Incremental conversion of captured PCM to the pipeline's format: interleaved f32 at the
//! device rate and channel count -> mono (channel average) -> 16 kHz f32.
//!
//! 16 kHz input passes through untouched; other rates use rubato's FFT resampler (fixed ratio),
//! or its sinc resampler when the ratio's smallest FFT block would be unreasonably large (odd
//! rates). The resampler's delay is trimmed and the tail is flushed on `finish`, so the output
//! has exactly `round(frames_in * 16000 / rate)` samples. It does not convert to i16 or encode.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, Resampler, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

use crate::error::RecordError;
use crate::limits::TARGET_RATE;
use crate::traits::AudioFormat;

/// Largest FFT input block (frames) accepted before falling back to the sinc resampler.
const MAX_FFT_BLOCK: usize = 4_800;

enum Kind {
    Passthrough,
    Resample(Box<dyn Resampler<f32>>),
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Passthrough => f.write_str("Passthrough"),
            Kind::Resample(_) => f.write_str("Resample"),
        }
    }
}

/// Converts interleaved device PCM into 16 kHz mono f32, a chunk at a time.
#[derive(Debug)]
pub struct ToSpeechRate {
    format: AudioFormat,
    kind: Kind,
    chunk: usize,
    pending: Vec<f32>,
    out_buf: Vec<f32>,
    delay_left: usize,
    frames_in: u64,
    delivered: u64,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn processing(e: impl std::fmt::Display) -> RecordError {
    RecordError::Processing(e.to_string())
}

impl ToSpeechRate {
    /// A converter from `format` (validated against the crate limits).
    pub fn new(format: AudioFormat) -> Result<Self, RecordError> {
        if !format.is_supported() {
            return Err(RecordError::Config(
                "unsupported input rate or channel count",
            ));
        }
        let rate = format.sample_rate as usize;
        let target = TARGET_RATE as usize;
        // 100 ms of input per chunk (measured ~15% faster than 20 ms), rounded up to the FFT's
        // smallest block.
        let block = rate / gcd(rate as u64, target as u64) as usize;
        let (kind, chunk) = if rate == target {
            (Kind::Passthrough, rate / 50)
        } else if block <= MAX_FFT_BLOCK {
            let chunk = (rate / 10).div_ceil(block) * block;
            let r =
                Fft::<f32>::new(rate, target, chunk, 1, FixedSync::Input).map_err(processing)?;
            (Kind::Resample(Box::new(r)), chunk)
        } else {
            let chunk = rate / 50;
            let params = SincInterpolationParameters {
                sinc_len: 64,
                f_cutoff: Some(0.9),
                oversampling_factor: 128,
                interpolation: SincInterpolationType::Linear,
                window: WindowFunction::BlackmanHarris2,
            };
            let r = Async::<f32>::new_sinc(
                target as f64 / rate as f64,
                1.0,
                &params,
                chunk,
                1,
                FixedAsync::Input,
            )
            .map_err(processing)?;
            (Kind::Resample(Box::new(r)), chunk)
        };
        let (out_len, delay) = match &kind {
            Kind::Passthrough => (0, 0),
            Kind::Resample(r) => (r.output_frames_max(), r.output_delay()),
        };
        Ok(ToSpeechRate {
            format,
            kind,
            chunk,
            pending: Vec::with_capacity(chunk),
            out_buf: vec![0.0; out_len],
            delay_left: delay,
            frames_in: 0,
            delivered: 0,
        })
    }

    /// Input frames consumed so far.
    pub fn frames_in(&self) -> u64 {
        self.frames_in
    }

    /// Output samples the input so far corresponds to (rounded).
    fn expected_out(&self) -> u64 {
        let rate = u64::from(self.format.sample_rate);
        (self.frames_in * u64::from(TARGET_RATE) + rate / 2) / rate
    }

    /// Converts whole frames of `interleaved` and appends the 16 kHz mono output to `out`.
    pub fn push(&mut self, interleaved: &[f32], out: &mut Vec<f32>) -> Result<(), RecordError> {
        let channels = usize::from(self.format.channels);
        let scale = 1.0 / channels as f32;
        for frame in interleaved.chunks_exact(channels) {
            let mono = if channels == 1 {
                frame[0]
            } else {
                frame.iter().sum::<f32>() * scale
            };
            self.frames_in += 1;
            if matches!(self.kind, Kind::Passthrough) {
                out.push(mono);
                self.delivered += 1;
                continue;
            }
            self.pending.push(mono);
            if self.pending.len() == self.chunk {
                self.process(self.chunk, out)?;
            }
        }
        Ok(())
    }

    fn process(&mut self, valid: usize, out: &mut Vec<f32>) -> Result<(), RecordError> {
        let Kind::Resample(r) = &mut self.kind else {
            return Ok(());
        };
        self.pending.resize(self.chunk, 0.0);
        let input = InterleavedSlice::new(&self.pending[..], 1, self.chunk).map_err(processing)?;
        let out_frames = self.out_buf.len();
        let mut output =
            InterleavedSlice::new_mut(&mut self.out_buf[..], 1, out_frames).map_err(processing)?;
        let indexing = Indexing::new().partial_len(valid);
        let (_, produced) = r
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(processing)?;
        self.pending.clear();
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        for &x in &self.out_buf[skip..produced] {
            out.push(x);
        }
        self.delivered += (produced - skip) as u64;
        Ok(())
    }

    /// Flushes the resampler so that the output has exactly the expected length.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), RecordError> {
        let expected = self.expected_out();
        let start = out.len() as u64;
        if !matches!(self.kind, Kind::Passthrough) {
            let mut valid = self.pending.len();
            // The delay is a few chunks at most; the bound only guards against a bug.
            for _ in 0..64 {
                if self.delivered >= expected {
                    break;
                }
                self.process(valid, out)?;
                valid = 0;
            }
        }
        // Drop the overshoot of the last (zero-padded) chunk.
        let excess = self.delivered.saturating_sub(expected);
        let keep = (out.len() as u64 - start).saturating_sub(excess);
        out.truncate((start + keep) as usize);
        self.delivered -= excess.min(self.delivered);
        Ok(())
    }
}

/// Averages the channels of interleaved `input` into `out` (appended); the same downmix
/// [`ToSpeechRate`] applies, exposed for benchmarks and tools.
pub fn downmix_into(input: &[f32], channels: usize, out: &mut Vec<f32>) {
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    out.extend(
        input
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() * scale),
    );
}

/// f32 in `[-1, 1]` to i16, clamped and rounded.
#[inline]
pub fn to_i16(x: f32) -> i16 {
    (x.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(format: AudioFormat, freq: f32, ms: u64) -> Vec<f32> {
        let frames = u64::from(format.sample_rate) * ms / 1000;
        let mut v = Vec::new();
        for i in 0..frames {
            let x = 0.5
                * (2.0 * std::f32::consts::PI * freq * i as f32 / format.sample_rate as f32).sin();
            for _ in 0..format.channels {
                v.push(x);
            }
        }
        v
    }

    fn convert(format: AudioFormat, input: &[f32], piece: usize) -> Vec<f32> {
        let mut c = ToSpeechRate::new(format).unwrap();
        let mut out = Vec::new();
        for p in input.chunks(piece * usize::from(format.channels)) {
            c.push(p, &mut out).unwrap();
        }
        c.finish(&mut out).unwrap();
        out
    }

    /// Peak-normalised correlation against a 16 kHz reference tone, searched over small lags.
    fn matches_reference(out: &[f32], freq: f32) -> bool {
        let reference = tone(AudioFormat::SPEECH, freq, 1000);
        let mid = &out[2000..14_000];
        (0..8).any(|lag| {
            let r = &reference[2000 + lag..14_000 + lag];
            let dot: f32 = mid.iter().zip(r).map(|(a, b)| a * b).sum();
            let na: f32 = mid.iter().map(|a| a * a).sum::<f32>().sqrt();
            let nb: f32 = r.iter().map(|b| b * b).sum::<f32>().sqrt();
            dot / (na * nb) > 0.99
        })
    }

    #[test]
    fn common_rates_give_exact_length_and_keep_a_tone_in_phase() {
        for (rate, channels) in [
            (48_000, 2),
            (44_100, 2),
            (44_100, 1),
            (16_000, 1),
            (8_000, 1),
            (22_050, 2),
        ] {
            let f = AudioFormat {
                sample_rate: rate,
                channels,
            };
            let input = tone(f, 440.0, 1000);
            for piece in [480, 1000, 7] {
                let out = convert(f, &input, piece);
                assert_eq!(out.len(), 16_000, "rate {rate} piece {piece}");
                assert!(
                    matches_reference(&out, 440.0),
                    "rate {rate} piece {piece}: tone lost or shifted"
                );
            }
        }
    }

    #[test]
    fn odd_rate_uses_the_fallback_and_still_has_exact_length() {
        let f = AudioFormat {
            sample_rate: 44_101,
            channels: 1,
        };
        let out = convert(f, &tone(f, 440.0, 1000), 1024);
        assert_eq!(out.len(), 16_000);
        assert!(matches_reference(&out, 440.0));
    }

    #[test]
    fn stereo_is_averaged_and_rejects_bad_formats() {
        let f = AudioFormat {
            sample_rate: 16_000,
            channels: 2,
        };
        let out = convert(f, &[1.0, 0.0, 0.5, 0.5], 2);
        assert_eq!(out, vec![0.5, 0.5]);
        assert!(ToSpeechRate::new(AudioFormat {
            sample_rate: 100,
            channels: 1
        })
        .is_err());
        assert!(ToSpeechRate::new(AudioFormat {
            sample_rate: 48_000,
            channels: 0
        })
        .is_err());
    }

    #[test]
    fn to_i16_clamps() {
        assert_eq!(to_i16(2.0), 32767);
        assert_eq!(to_i16(-2.0), -32767);
        assert_eq!(to_i16(0.0), 0);
    }
}
