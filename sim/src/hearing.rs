//! What the simulated players hear in a downloaded voice message: the WAV a download saved,
//! read, recognised by the tone-code recogniser and deleted.
//!
//! What it is: [`Hearing`], which keeps the result for the last few distinct files it heard
//! (keyed by the file's whole bytes), because every member of a room downloads the same
//! message and their SDKs save byte-identical WAVs: the first listener parses and recognises
//! it, the rest compare bytes. The result is a pure function of the bytes, so a hit gives
//! exactly what the work would have given and the history cannot depend on the cache (a
//! miss only costs time). At 1,000 clients (100 a room) this was about 7% of a run.
//! What it is not: the SDK's download (decoding and saving stay the SDK's own code, every
//! receiver runs them) or a model of a listener.

use std::collections::VecDeque;
use std::path::Path;

use yim_sdk::yim_audio::{wav, AudioFormat, Recognizer, ToneRecognizer};

/// Distinct files remembered at most. A WAV is at most 60 s of 16 kHz mono (1.92 MB), so the
/// cache holds at most about 31 MB.
const REMEMBERED_FILES: usize = 16;

/// What a file said (`None` if the recogniser failed) and how long it is in ms.
type Heard = (Option<String>, u64);

/// See the module doc.
#[derive(Debug, Default)]
pub struct Hearing {
    /// (file bytes, what they say), oldest first.
    remembered: VecDeque<(Vec<u8>, Heard)>,
}

impl Hearing {
    /// What the WAV at `path` says and how long it is (`(None, None)` if it cannot be read as
    /// 16 kHz mono); the file is deleted.
    pub fn hear(&mut self, path: &Path) -> (Option<String>, Option<u64>) {
        let bytes = std::fs::read(path).ok();
        let known = bytes.as_ref().and_then(|bytes| {
            self.remembered
                .iter()
                .find(|(seen, _)| seen == bytes)
                .map(|(_, heard)| heard.clone())
        });
        if let Some((heard, heard_ms)) = known {
            let _ = std::fs::remove_file(path);
            return (heard, Some(heard_ms));
        }
        let samples = wav::read_wav_i16_speech(path).ok();
        let _ = std::fs::remove_file(path);
        let Some(samples) = samples else {
            return (None, None);
        };
        let rate = u64::from(AudioFormat::SPEECH.sample_rate);
        let heard_ms = samples.len() as u64 * 1000 / rate.max(1);
        let heard = ToneRecognizer::new().recognize(&samples).ok();
        if let Some(bytes) = bytes {
            if self.remembered.len() == REMEMBERED_FILES {
                self.remembered.pop_front();
            }
            self.remembered
                .push_back((bytes, (heard.clone(), heard_ms)));
        }
        (heard, Some(heard_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yim_sdk::yim_audio::{Signal, SynthInput};

    fn write_speech(path: &Path, text: &str) {
        let mut input = SynthInput::new(&Signal::speech(text), AudioFormat::SPEECH, 2_000)
            .expect("a synthetic input");
        let mut buf = vec![0.0f32; input.remaining_frames() as usize];
        let n = input.fill(&mut buf);
        let pcm: Vec<i16> = buf[..n]
            .iter()
            .map(|&s| yim_sdk::yim_audio::resample::to_i16(s))
            .collect();
        wav::write_wav_i16(path, AudioFormat::SPEECH, &pcm).expect("a WAV");
    }

    #[test]
    fn a_remembered_file_is_heard_as_the_work_would_hear_it() {
        let dir = std::env::temp_dir().join(format!("yim-sim-hearing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let first = dir.join("first.wav");
        let again = dir.join("again.wav");
        let other = dir.join("other.wav");
        write_speech(&first, "c1 m2");
        write_speech(&again, "c1 m2");
        write_speech(&other, "c3 m4");
        let mut hearing = Hearing::default();
        let heard = hearing.hear(&first);
        assert_eq!(heard.0.as_deref(), Some("c1 m2"));
        assert_eq!(
            hearing.hear(&again),
            heard,
            "the same bytes are heard the same"
        );
        assert_eq!(hearing.remembered.len(), 1, "the second file was a hit");
        assert_eq!(hearing.hear(&other).0.as_deref(), Some("c3 m4"));
        assert!(!first.exists() && !again.exists() && !other.exists());
        assert_eq!(
            hearing.hear(&first),
            (None, None),
            "a deleted file is not heard"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn it_remembers_a_bounded_number_of_files() {
        let dir = std::env::temp_dir().join(format!("yim-sim-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let mut hearing = Hearing::default();
        for i in 0..REMEMBERED_FILES + 2 {
            let path = dir.join(format!("{i}.wav"));
            write_speech(&path, &format!("m{i}"));
            assert_eq!(hearing.hear(&path).0, Some(format!("m{i}")));
        }
        assert_eq!(hearing.remembered.len(), REMEMBERED_FILES);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
