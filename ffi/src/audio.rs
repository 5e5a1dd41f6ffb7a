//! The SDK's `AudioSetup` for each `YimAudioDevices` mode.
//!
//! What it is: three small factories over the SDK's and `yim_audio`'s own pieces. What it is
//! not: any audio processing (that is `yim_audio`, run by the SDK).

use std::sync::Arc;
use std::time::{Duration, Instant};

use yim_sdk::yim_audio::{
    self, AudioFormat, AudioInput, AudioOutput, InputError, MemoryOutput, OutputError, Recognizer,
    Signal, SynthInput, ToneRecognizer,
};
use yim_sdk::{AudioSetup, AudioWork};

use crate::codes::YimErrorCode;
use crate::options::AudioSettings;

/// How far ahead of real time the simulated speaker takes samples: 20 ms of 16 kHz mono,
/// one playback step of the SDK.
const SIMULATED_SPEAKER_LEAD_MS: u64 = 20;

/// The audio a client gets; `Unsupport` for real devices in a library built without them,
/// `ParamInvalid` for simulated speech outside the tone code's alphabet.
pub fn setup(settings: &AudioSettings) -> Result<AudioSetup, YimErrorCode> {
    match settings {
        AudioSettings::None => Ok(AudioSetup::unavailable()),
        AudioSettings::System { cache_dir } => system(cache_dir.clone()),
        AudioSettings::Simulated { speech, cache_dir } => {
            yim_audio::tone_code::symbols(speech).map_err(|_| YimErrorCode::ParamInvalid)?;
            let signal = Signal::speech(speech);
            Ok(AudioSetup {
                input: Arc::new(move || {
                    SynthInput::natural(&signal, AudioFormat::SPEECH, 1_000)
                        .map(|input| Box::new(input) as Box<dyn AudioInput>)
                        .map_err(|e| InputError::StreamFailed(e.to_string()))
                }),
                output: Arc::new(|| {
                    Ok(Box::new(SimulatedSpeaker::default()) as Box<dyn AudioOutput>)
                }),
                recognizer: Some(Arc::new(|| {
                    Box::new(ToneRecognizer::new()) as Box<dyn Recognizer>
                })),
                cache_dir: cache_dir.clone(),
                work: AudioWork::Inline,
            })
        }
    }
}

#[cfg(feature = "cpal")]
fn system(cache_dir: Option<std::path::PathBuf>) -> Result<AudioSetup, YimErrorCode> {
    let cache_dir = cache_dir.unwrap_or_else(|| std::env::temp_dir().join("yim-voice"));
    Ok(AudioSetup::devices(cache_dir))
}

#[cfg(not(feature = "cpal"))]
fn system(_cache_dir: Option<std::path::PathBuf>) -> Result<AudioSetup, YimErrorCode> {
    Err(YimErrorCode::Unsupport)
}

/// The simulated speaker: plays into memory at the clip's own rate, as a device does, so a
/// playback lasts as long as its clip and `yim_is_playing` says 1 meanwhile. It takes samples
/// only as real time passes since `open` (plus [`SIMULATED_SPEAKER_LEAD_MS`]), the one clock
/// this crate reads; `finish` returns once the samples taken have had their time (the lead
/// played out), as a device's does once its buffer has drained.
#[derive(Debug, Default)]
struct SimulatedSpeaker {
    memory: MemoryOutput,
    /// When it was opened, and the samples per second of what it plays (channels included).
    started: Option<(Instant, u64)>,
    taken: u64,
}

impl AudioOutput for SimulatedSpeaker {
    fn open(&mut self, format: AudioFormat) -> Result<(), OutputError> {
        self.memory.open(format)?;
        let per_second = u64::from(format.sample_rate) * u64::from(format.channels.max(1));
        self.started = Some((Instant::now(), per_second));
        self.taken = 0;
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<usize, OutputError> {
        let Some((opened, per_second)) = self.started else {
            return Err(OutputError::PlayFailed("write before open".into()));
        };
        let elapsed_ms = u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = elapsed_ms
            .saturating_add(SIMULATED_SPEAKER_LEAD_MS)
            .saturating_mul(per_second)
            / 1000;
        let room = usize::try_from(due.saturating_sub(self.taken)).unwrap_or(usize::MAX);
        let taken = self.memory.write(&samples[..samples.len().min(room)])?;
        self.taken = self.taken.saturating_add(taken as u64);
        Ok(taken)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        if let Some((opened, per_second)) = self.started.take() {
            let end_ms = self.taken.saturating_mul(1000) / per_second.max(1);
            let end = opened + Duration::from_millis(end_ms);
            let left = end.saturating_duration_since(Instant::now());
            if !left.is_zero() {
                std::thread::sleep(left);
            }
        }
        self.memory.finish()
    }

    fn stop(&mut self) {
        self.started = None;
        self.memory.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 kHz mono: 16 samples a millisecond.
    const FORMAT: AudioFormat = AudioFormat {
        sample_rate: 16_000,
        channels: 1,
    };

    #[test]
    fn the_speaker_takes_samples_only_as_their_time_comes() {
        let mut speaker = SimulatedSpeaker::default();
        speaker.open(FORMAT).unwrap();
        let opened = Instant::now();
        let taken = speaker.write(&[0.0; 16_000]).unwrap();
        // The lead, and at most what the time since `open` adds.
        let lead = SIMULATED_SPEAKER_LEAD_MS as usize * 16;
        let since_ms = opened.elapsed().as_millis() as usize + 1;
        assert!(taken >= lead && taken <= lead + since_ms * 16, "{taken}");
    }

    #[test]
    fn finish_returns_once_what_was_taken_has_played() {
        let mut speaker = SimulatedSpeaker::default();
        let opened = Instant::now();
        speaker.open(FORMAT).unwrap();
        let taken = speaker.write(&[0.0; 16_000]).unwrap();
        speaker.finish().unwrap();
        let played = Duration::from_millis(taken as u64 / 16);
        assert!(played >= Duration::from_millis(SIMULATED_SPEAKER_LEAD_MS));
        assert!(
            opened.elapsed() >= played,
            "{:?} < {played:?}",
            opened.elapsed()
        );
    }
}
