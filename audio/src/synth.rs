//! Deterministic synthetic audio sources for the simulator and tests: silence, tones, seeded
//! noise, and "speech-like" tone bursts that carry a text (see [`crate::tone_code`]).
//!
//! A [`SynthInput`] is an [`AudioInput`] whose samples are a pure function of its
//! [`Signal`], format and position: no clock, no ambient randomness, no threads. It produces
//! as fast as it is read (no real-time pacing); the simulator decides how much to read when.

use std::f32::consts::PI;

use crate::error::{InputError, SynthError};
use crate::limits::MAX_CLIP_MS;
use crate::tone_code;
use crate::traits::{AudioFormat, AudioInput, ReadResult};
use yim_proto::rng::SplitMix64;

/// What a synthetic source plays.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// All zeros.
    Silence,
    /// A sine wave.
    Tone {
        /// Frequency in Hz (below half the sample rate).
        freq_hz: f32,
        /// Peak amplitude, 0..=1.
        amplitude: f32,
    },
    /// Uniform white noise from a seeded generator.
    Noise {
        /// Generator seed.
        seed: u64,
        /// Peak amplitude, 0..=1.
        amplitude: f32,
    },
    /// Tone bursts carrying `text` (a-z, 0-9, space), optionally with seeded background noise.
    SpeechLike {
        /// The text the deterministic recognizer will read back.
        text: String,
        /// Background noise amplitude, 0..=1 (0 for none).
        noise: f32,
        /// Seed of the background noise.
        seed: u64,
    },
}

impl Signal {
    /// Speech-like bursts carrying `text`, with no background noise.
    pub fn speech(text: &str) -> Signal {
        Signal::SpeechLike {
            text: text.to_string(),
            noise: 0.0,
            seed: 0,
        }
    }

    /// How long the signal naturally lasts (speech-like: until its last burst and trailing
    /// silence), or `None` for signals with no end.
    pub fn natural_ms(&self) -> Option<u64> {
        match self {
            Signal::SpeechLike { text, .. } => Some(tone_code::spoken_ms(text.chars().count())),
            _ => None,
        }
    }
}

/// Amplitude of the speech-like bursts.
const SPEECH_AMPLITUDE: f32 = 0.5;

#[derive(Debug, Clone)]
enum Generator {
    Silence,
    Tone { step: f32, amplitude: f32 },
    Noise { rng: SplitMix64, amplitude: f32 },
    Speech(SpeechGen),
}

#[derive(Debug, Clone)]
struct SpeechGen {
    symbols: Vec<usize>,
    rate: f32,
    lead: u64,
    burst: u64,
    period: u64,
    ramp: u64,
    noise: f32,
    rng: SplitMix64,
}

impl SpeechGen {
    fn sample(&mut self, frame: u64) -> f32 {
        let background = if self.noise > 0.0 {
            self.noise * self.rng.next_signed_unit()
        } else {
            0.0
        };
        let Some(t) = frame.checked_sub(self.lead) else {
            return background;
        };
        let index = (t / self.period) as usize;
        let within = t % self.period;
        let Some(&symbol) = self.symbols.get(index) else {
            return background;
        };
        if within >= self.burst {
            return background;
        }
        let envelope = if within < self.ramp {
            0.5 - 0.5 * (PI * within as f32 / self.ramp as f32).cos()
        } else if within >= self.burst - self.ramp {
            let r = self.burst - within;
            0.5 - 0.5 * (PI * r as f32 / self.ramp as f32).cos()
        } else {
            1.0
        };
        let phase = 2.0 * PI * tone_code::freq_of(symbol) * (within as f32 / self.rate);
        background + SPEECH_AMPLITUDE * envelope * phase.sin()
    }
}

/// A deterministic [`AudioInput`] over a [`Signal`], lasting a fixed duration.
#[derive(Debug, Clone)]
pub struct SynthInput {
    format: AudioFormat,
    generator: Generator,
    total_frames: u64,
    position: u64,
    started: bool,
    tone_phase: f32,
}

fn check_amplitude(a: f32) -> Result<(), SynthError> {
    if (0.0..=1.0).contains(&a) {
        Ok(())
    } else {
        Err(SynthError::BadParameter("amplitude outside 0..=1"))
    }
}

impl SynthInput {
    /// A source of `signal` in `format`, lasting `duration_ms` (at most 10 minutes; speech-like
    /// text past the duration is cut).
    pub fn new(signal: &Signal, format: AudioFormat, duration_ms: u64) -> Result<Self, SynthError> {
        if !format.is_supported() {
            return Err(SynthError::BadParameter("sample rate or channel count"));
        }
        if duration_ms > 10 * u64::from(MAX_CLIP_MS) {
            return Err(SynthError::BadParameter("duration longer than 10 minutes"));
        }
        let rate = format.sample_rate as f32;
        let ms_to_frames = |ms: u32| u64::from(format.sample_rate) * u64::from(ms) / 1000;
        let generator = match signal {
            Signal::Silence => Generator::Silence,
            Signal::Tone { freq_hz, amplitude } => {
                check_amplitude(*amplitude)?;
                if !(*freq_hz > 0.0 && *freq_hz < rate / 2.0) {
                    return Err(SynthError::BadParameter("tone frequency outside 0..rate/2"));
                }
                Generator::Tone {
                    step: 2.0 * PI * freq_hz / rate,
                    amplitude: *amplitude,
                }
            }
            Signal::Noise { seed, amplitude } => {
                check_amplitude(*amplitude)?;
                Generator::Noise {
                    rng: SplitMix64::new(*seed),
                    amplitude: *amplitude,
                }
            }
            Signal::SpeechLike { text, noise, seed } => {
                check_amplitude(*noise)?;
                let symbols = tone_code::symbols(text)?;
                Generator::Speech(SpeechGen {
                    symbols,
                    rate,
                    lead: ms_to_frames(tone_code::LEAD_MS),
                    burst: ms_to_frames(tone_code::BURST_MS),
                    period: ms_to_frames(tone_code::BURST_MS + tone_code::GAP_MS),
                    ramp: ms_to_frames(tone_code::RAMP_MS),
                    noise: *noise,
                    rng: SplitMix64::new(*seed),
                })
            }
        };
        Ok(SynthInput {
            format,
            generator,
            total_frames: u64::from(format.sample_rate) * duration_ms / 1000,
            position: 0,
            started: false,
            tone_phase: 0.0,
        })
    }

    /// A source lasting exactly as long as the signal's natural length (speech-like), or
    /// `fallback_ms` for signals without one.
    pub fn natural(
        signal: &Signal,
        format: AudioFormat,
        fallback_ms: u64,
    ) -> Result<Self, SynthError> {
        let ms = signal.natural_ms().unwrap_or(fallback_ms);
        SynthInput::new(signal, format, ms)
    }

    /// Frames not yet produced.
    pub fn remaining_frames(&self) -> u64 {
        self.total_frames - self.position
    }

    /// Fills `buf` with the next whole frames (interleaved, each channel the same); returns the
    /// number of samples written. Works whether or not the source was started.
    pub fn fill(&mut self, buf: &mut [f32]) -> usize {
        let channels = usize::from(self.format.channels);
        let frames = (buf.len() / channels).min(self.remaining_frames() as usize);
        for frame in buf.chunks_exact_mut(channels).take(frames) {
            let value = match &mut self.generator {
                Generator::Silence => 0.0,
                Generator::Tone { step, amplitude } => {
                    let v = *amplitude * self.tone_phase.sin();
                    self.tone_phase = (self.tone_phase + *step) % (2.0 * PI);
                    v
                }
                Generator::Noise { rng, amplitude } => *amplitude * rng.next_signed_unit(),
                Generator::Speech(g) => g.sample(self.position),
            };
            frame.fill(value);
            self.position += 1;
        }
        frames * channels
    }
}

impl AudioInput for SynthInput {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn start(&mut self) -> Result<(), InputError> {
        self.started = true;
        Ok(())
    }

    fn read(&mut self, buf: &mut [f32]) -> Result<ReadResult, InputError> {
        if !self.started {
            return Ok(ReadResult {
                samples: 0,
                ended: false,
            });
        }
        let samples = self.fill(buf);
        Ok(ReadResult {
            samples,
            ended: self.remaining_frames() == 0,
        })
    }

    fn stop(&mut self) {
        self.started = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEREO_48K: AudioFormat = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
    };

    fn render(signal: &Signal, format: AudioFormat, ms: u64) -> Vec<f32> {
        let mut s = SynthInput::new(signal, format, ms).unwrap();
        let mut out = vec![
            0.0;
            (format.sample_rate as u64 * ms / 1000) as usize
                * usize::from(format.channels)
                + 64
        ];
        let n = s.fill(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn same_signal_same_samples_and_seed_changes_noise() {
        let a = render(
            &Signal::Noise {
                seed: 3,
                amplitude: 0.5,
            },
            STEREO_48K,
            100,
        );
        let b = render(
            &Signal::Noise {
                seed: 3,
                amplitude: 0.5,
            },
            STEREO_48K,
            100,
        );
        let c = render(
            &Signal::Noise {
                seed: 4,
                amplitude: 0.5,
            },
            STEREO_48K,
            100,
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 4800 * 2);
        assert!(a.iter().all(|x| x.abs() <= 0.5));
    }

    #[test]
    fn tone_has_the_requested_peak_and_silence_is_zero() {
        let t = render(
            &Signal::Tone {
                freq_hz: 1000.0,
                amplitude: 0.25,
            },
            STEREO_48K,
            50,
        );
        let peak = t.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!((peak - 0.25).abs() < 0.01, "peak {peak}");
        assert!(render(&Signal::Silence, STEREO_48K, 50)
            .iter()
            .all(|x| *x == 0.0));
    }

    #[test]
    fn speech_like_lasts_its_natural_length_with_bursts_and_gaps() {
        let sig = Signal::speech("ab");
        let ms = sig.natural_ms().unwrap();
        assert_eq!(ms, 400 + 2 * 180);
        let s = render(&sig, AudioFormat::SPEECH, ms);
        assert_eq!(s.len(), 16 * ms as usize);
        // Leading silence, then a burst in the middle of the first symbol.
        assert!(s[..16 * 200].iter().all(|x| *x == 0.0));
        let mid = &s[16 * 250..16 * 280];
        assert!(mid.iter().any(|x| x.abs() > 0.3));
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        assert!(SynthInput::new(
            &Signal::Tone {
                freq_hz: 30_000.0,
                amplitude: 0.5
            },
            STEREO_48K,
            10
        )
        .is_err());
        assert!(SynthInput::new(
            &Signal::Noise {
                seed: 0,
                amplitude: 2.0
            },
            STEREO_48K,
            10
        )
        .is_err());
        assert_eq!(
            SynthInput::new(&Signal::speech("hi!"), STEREO_48K, 10).err(),
            Some(SynthError::UnsupportedChar('!'))
        );
        let bad = AudioFormat {
            sample_rate: 1000,
            channels: 1,
        };
        assert!(SynthInput::new(&Signal::Silence, bad, 10).is_err());
    }

    #[test]
    fn read_yields_nothing_before_start_then_ends() {
        let mut s = SynthInput::new(&Signal::Silence, AudioFormat::SPEECH, 10).unwrap();
        let mut buf = [0.0f32; 100];
        assert_eq!(
            s.read(&mut buf).unwrap(),
            ReadResult {
                samples: 0,
                ended: false
            }
        );
        s.start().unwrap();
        assert_eq!(
            s.read(&mut buf).unwrap(),
            ReadResult {
                samples: 100,
                ended: false
            }
        );
        assert_eq!(
            s.read(&mut buf).unwrap(),
            ReadResult {
                samples: 60,
                ended: true
            }
        );
    }
}
