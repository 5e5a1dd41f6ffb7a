//! Voice activity detection for "too short / no speech": an energy and zero-crossing detector
//! on 20 ms frames of 16 kHz i16 audio.
//!
//! A frame counts as voiced when its RMS is above a floor and its zero-crossing rate is below
//! what broadband noise gives. It is deterministic and cheap, and it is not a speech model:
//! steady tones count as voiced, whispered or very quiet speech may not.

use crate::limits::TARGET_RATE;

/// Frame length: 20 ms at 16 kHz.
pub const VAD_FRAME: usize = (TARGET_RATE / 50) as usize;

/// Energy/zero-crossing voice detector; counts voiced milliseconds.
#[derive(Debug, Clone)]
pub struct EnergyVad {
    min_rms: f32,
    max_zcr: f32,
    voiced_frames: u32,
}

impl Default for EnergyVad {
    fn default() -> Self {
        // -34 dBFS floor; white noise crosses zero in about half of all samples, voiced speech
        // (fundamental plus formants below ~2.5 kHz) far less often.
        EnergyVad::new(0.02, 0.3)
    }
}

impl EnergyVad {
    /// A detector with an RMS floor (full scale 1.0) and a zero-crossing-rate ceiling (0..1).
    pub fn new(min_rms: f32, max_zcr: f32) -> Self {
        EnergyVad {
            min_rms,
            max_zcr,
            voiced_frames: 0,
        }
    }

    /// Judges one frame (any length, normally [`VAD_FRAME`]); returns whether it is voiced.
    pub fn push_frame(&mut self, frame: &[i16]) -> bool {
        if frame.is_empty() {
            return false;
        }
        let mut sum = 0.0f64;
        let mut crossings = 0u32;
        let mut prev = frame[0];
        for &s in frame {
            let x = f64::from(s) / 32768.0;
            sum += x * x;
            if (s >= 0) != (prev >= 0) {
                crossings += 1;
            }
            prev = s;
        }
        let rms = (sum / frame.len() as f64).sqrt() as f32;
        let zcr = crossings as f32 / frame.len() as f32;
        let voiced = rms >= self.min_rms && zcr <= self.max_zcr;
        if voiced {
            self.voiced_frames += 1;
        }
        voiced
    }

    /// Milliseconds judged voiced so far (frames of [`VAD_FRAME`] samples).
    pub fn voiced_ms(&self) -> u32 {
        self.voiced_frames * 20
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yim_proto::rng::SplitMix64;

    fn tone(freq: f32, amp: f32) -> Vec<i16> {
        (0..VAD_FRAME)
            .map(|i| {
                (amp * 32767.0 * (2.0 * std::f32::consts::PI * freq * i as f32 / 16_000.0).sin())
                    as i16
            })
            .collect()
    }

    #[test]
    fn tone_is_voiced_but_silence_quiet_tone_and_loud_noise_are_not() {
        let mut v = EnergyVad::default();
        assert!(v.push_frame(&tone(200.0, 0.3)));
        assert!(!v.push_frame(&[0; VAD_FRAME]));
        assert!(!v.push_frame(&tone(200.0, 0.005)));
        let mut rng = SplitMix64::new(1);
        let noise: Vec<i16> = (0..VAD_FRAME)
            .map(|_| (rng.next_signed_unit() * 20_000.0) as i16)
            .collect();
        assert!(!v.push_frame(&noise));
        assert_eq!(v.voiced_ms(), 20);
        assert!(!v.push_frame(&[]));
    }
}
