//! A deterministic [`Recognizer`] for the simulator: reads back the text that
//! [`crate::synth::Signal::SpeechLike`] embedded as tone bursts.
//!
//! It finds bursts by frame energy and names each by its strongest candidate frequency
//! (Goertzel). It understands only the tone code, not speech; on anything else it returns
//! [`RecognizeError::NoSpeech`] or nonsense letters, deterministically.

use crate::error::RecognizeError;
use crate::limits::{MAX_CLIP_SAMPLES, MAX_SYNTH_TEXT, TARGET_RATE};
use crate::tone_code;
use crate::traits::Recognizer;

/// Analysis frame: 10 ms at 16 kHz.
const FRAME: usize = (TARGET_RATE / 100) as usize;
/// A burst must last at least this many frames.
const MIN_BURST_FRAMES: usize = 5;
/// Absolute energy floor (RMS, full scale 1.0) below which nothing is a burst.
const MIN_RMS: f32 = 0.02;

/// Reads tone-coded text; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct ToneRecognizer;

impl ToneRecognizer {
    /// A recognizer (it has no state).
    pub fn new() -> Self {
        ToneRecognizer
    }
}

fn goertzel_power(samples: &[f32], freq: f32) -> f32 {
    let w = 2.0 * std::f32::consts::PI * freq / TARGET_RATE as f32;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

impl Recognizer for ToneRecognizer {
    fn recognize(&mut self, pcm: &[i16]) -> Result<String, RecognizeError> {
        if pcm.len() > MAX_CLIP_SAMPLES {
            return Err(RecognizeError::BadInput(format!(
                "{} samples is longer than 60 s",
                pcm.len()
            )));
        }
        let samples: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let rms: Vec<f32> = samples
            .chunks_exact(FRAME)
            .map(|f| (f.iter().map(|x| x * x).sum::<f32>() / FRAME as f32).sqrt())
            .collect();
        let peak = rms.iter().copied().fold(0.0f32, f32::max);
        let threshold = (peak * 0.25).max(MIN_RMS);
        let mut text = String::new();
        let mut start = None;
        for (i, &r) in rms.iter().chain(std::iter::once(&0.0)).enumerate() {
            match (r >= threshold, start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    start = None;
                    if i - s < MIN_BURST_FRAMES {
                        continue;
                    }
                    // Skip the ramps: analyse the middle of the burst.
                    let body = &samples[(s + 2) * FRAME..(i - 2) * FRAME];
                    let best = (0..tone_code::symbol_count())
                        .map(|k| (k, goertzel_power(body, tone_code::freq_of(k))))
                        .fold((0, f32::MIN), |b, c| if c.1 > b.1 { c } else { b });
                    if let Some(c) = tone_code::char_of(best.0) {
                        text.push(c);
                    }
                    if text.len() >= MAX_SYNTH_TEXT {
                        break;
                    }
                }
                _ => {}
            }
        }
        if text.is_empty() {
            Err(RecognizeError::NoSpeech)
        } else {
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Signal, SynthInput};
    use crate::traits::AudioFormat;

    fn speak(signal: &Signal) -> Vec<i16> {
        let mut s = SynthInput::natural(signal, AudioFormat::SPEECH, 1000).unwrap();
        let mut buf = vec![0.0f32; s.remaining_frames() as usize];
        let n = s.fill(&mut buf);
        buf[..n].iter().map(|x| (x * 32767.0) as i16).collect()
    }

    #[test]
    fn reads_back_the_embedded_text() {
        let pcm = speak(&Signal::speech("meet at bridge 5"));
        assert_eq!(
            ToneRecognizer::new().recognize(&pcm).unwrap(),
            "meet at bridge 5"
        );
    }

    #[test]
    fn survives_background_noise() {
        let sig = Signal::SpeechLike {
            text: "push left".into(),
            noise: 0.05,
            seed: 9,
        };
        assert_eq!(
            ToneRecognizer::new().recognize(&speak(&sig)).unwrap(),
            "push left"
        );
    }

    #[test]
    fn silence_is_no_speech_and_too_long_input_is_rejected() {
        let mut r = ToneRecognizer::new();
        assert!(matches!(
            r.recognize(&[0; 16_000]),
            Err(RecognizeError::NoSpeech)
        ));
        let long = vec![0i16; MAX_CLIP_SAMPLES + 1];
        let err = r.recognize(&long).unwrap_err();
        assert_eq!(err.code(), yim_proto::ErrorCode::PttRecognizeFailed);
    }
}
