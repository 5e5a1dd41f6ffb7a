//! Playback of WAV files (YIM's `StartPlayAudio`, `StopPlayAudio`, `IsPlaying`, `SetVolume`)
//! over any [`AudioOutput`], with one completion per started file.
//!
//! The player is driven by [`Player::pump`]: each call hands the output as much as it takes
//! (never blocking), so it is deterministic with a fake output and needs no thread of its own;
//! the SDK's driver calls it every few milliseconds. Completion: `Success` when the file played
//! to its end, `PTT_CancelPlay` (2015) when stopped or replaced, `PTT_StartPlayFailed` (2028)
//! when the output failed mid-way. It does not resample: the output receives the file's format.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use yim_proto::ErrorCode;

use crate::error::PlayError;
use crate::limits::MAX_PENDING_EVENTS;
use crate::traits::AudioOutput;
use crate::wav::{read_wav, WavClip};

/// The end of one playback (`OnPlayCompletion(errorcode, path)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayCompletion {
    /// `Success`, `PttCancelPlay` or `PttStartPlayFailed`.
    pub code: ErrorCode,
    /// The file that was playing.
    pub path: PathBuf,
}

#[derive(Debug)]
struct Track {
    path: PathBuf,
    clip: WavClip,
    position: usize,
}

/// Samples handed to the output per write at most (bounds the scratch buffer).
const CHUNK: usize = 4_096;

/// Plays one WAV at a time; see the module docs.
pub struct Player {
    output: Box<dyn AudioOutput>,
    current: Option<Track>,
    volume: f32,
    completions: VecDeque<PlayCompletion>,
    scratch: Vec<f32>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("current", &self.current.as_ref().map(|t| &t.path))
            .field("volume", &self.volume)
            .finish()
    }
}

impl Player {
    /// A player over `output`, volume 1.0.
    pub fn new(output: Box<dyn AudioOutput>) -> Self {
        Player {
            output,
            current: None,
            volume: 1.0,
            completions: VecDeque::new(),
            scratch: Vec::with_capacity(CHUNK),
        }
    }

    fn complete(&mut self, code: ErrorCode, path: PathBuf) {
        if self.completions.len() == MAX_PENDING_EVENTS {
            self.completions.pop_front();
        }
        self.completions.push_back(PlayCompletion { code, path });
    }

    /// Starts playing a WAV file. A missing file gives `PTT_FileNotExist`, a non-WAV
    /// `PTT_UnsupprtFormat`, an unavailable output its own code; on error nothing changes.
    /// A file already playing is stopped first (its completion is `PTT_CancelPlay`).
    pub fn start_play(&mut self, path: &Path) -> Result<(), PlayError> {
        let clip = read_wav(path)?;
        self.start_clip(path.to_path_buf(), clip)
    }

    /// Starts playing `clip`, already loaded from `path` (with [`read_wav`]; the completion
    /// names `path`), for a caller that reads files elsewhere. As [`Player::start_play`]
    /// otherwise.
    pub fn start_clip(&mut self, path: PathBuf, clip: WavClip) -> Result<(), PlayError> {
        self.stop();
        self.output.open(clip.format)?;
        self.current = Some(Track {
            path,
            clip,
            position: 0,
        });
        Ok(())
    }

    /// Hands the output up to `max_samples` more samples (as many as it accepts); returns how
    /// many it took. At the end of the file, finishes the output and completes with `Success`.
    pub fn pump(&mut self, max_samples: usize) -> usize {
        let Some(track) = self.current.as_mut() else {
            return 0;
        };
        let mut written = 0;
        let mut failed = None;
        while written < max_samples && track.position < track.clip.samples.len() {
            let end =
                (track.position + CHUNK.min(max_samples - written)).min(track.clip.samples.len());
            self.scratch.clear();
            self.scratch.extend(
                track.clip.samples[track.position..end]
                    .iter()
                    .map(|&x| x * self.volume),
            );
            match self.output.write(&self.scratch) {
                Ok(0) => break,
                Ok(n) => {
                    track.position += n;
                    written += n;
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if failed.is_none() && track.position >= track.clip.samples.len() {
            let path = track.path.clone();
            self.current = None;
            let code = match self.output.finish() {
                Ok(()) => ErrorCode::Success,
                Err(_) => ErrorCode::PttStartPlayFailed,
            };
            self.complete(code, path);
        } else if failed.is_some() {
            let path = track.path.clone();
            self.current = None;
            self.output.stop();
            self.complete(ErrorCode::PttStartPlayFailed, path);
        }
        written
    }

    /// Stops playback; returns whether something was playing (its completion is
    /// `PTT_CancelPlay`).
    pub fn stop(&mut self) -> bool {
        match self.current.take() {
            Some(track) => {
                self.output.stop();
                self.complete(ErrorCode::PttCancelPlay, track.path);
                true
            }
            None => false,
        }
    }

    /// Whether a file is playing.
    pub fn is_playing(&self) -> bool {
        self.current.is_some()
    }

    /// The volume, 0.0..=1.0.
    pub fn volume(&self) -> f32 {
        self.volume
    }

    /// Sets the volume for what is played from now on; outside 0.0..=1.0 is `ParamInvalid`.
    pub fn set_volume(&mut self, volume: f32) -> Result<(), PlayError> {
        if !(0.0..=1.0).contains(&volume) {
            return Err(PlayError::VolumeOutOfRange(volume));
        }
        self.volume = volume;
        Ok(())
    }

    /// The next completion, oldest first.
    pub fn poll_completion(&mut self) -> Option<PlayCompletion> {
        self.completions.pop_front()
    }
}
