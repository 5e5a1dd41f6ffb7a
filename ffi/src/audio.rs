//! The SDK's `AudioSetup` for each `YimAudioDevices` mode.
//!
//! What it is: three small factories over the SDK's and `yim_audio`'s own pieces. What it is
//! not: any audio processing (that is `yim_audio`, run by the SDK).

use std::sync::Arc;

use yim_sdk::yim_audio::{
    self, AudioFormat, AudioInput, AudioOutput, InputError, MemoryOutput, Recognizer, Signal,
    SynthInput, ToneRecognizer,
};
use yim_sdk::{AudioSetup, AudioWork};

use crate::codes::YimErrorCode;
use crate::options::AudioSettings;

/// Samples the simulated speaker takes per playback step of the SDK (one step every 20 ms):
/// 16 kHz mono plays in real time.
const SIMULATED_SPEAKER_SAMPLES_PER_STEP: usize = 320;

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
                    let speaker = MemoryOutput::new(SIMULATED_SPEAKER_SAMPLES_PER_STEP);
                    Ok(Box::new(speaker) as Box<dyn AudioOutput>)
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
