//! The driver's audio: the recording being captured, the player, and the files, behind the
//! seams of the client's `AudioSetup`.
//!
//! What it is: the execution of the machine's `AudioTask`s that need no runtime (starting,
//! cancelling, finishing inline captures, deleting files, saving downloads), playback, and the
//! periodic work while audio runs (level updates from a microphone about 8 times a second,
//! feeding the speaker every 20 ms), all reported to the machine. What it is not: blocking
//! work on a runtime (`shared` spawns what `Finishing::Blocking`, `save_audio` and
//! `delete_file` need), the loading that runs before the client's lock is taken
//! (`load_player`, a WAV to send), or any rule (`machine::voice`).

use std::path::{Path, PathBuf};

use tracing::{debug, info};
use yim_audio::{InputError, PlayError, Player, WavFileInput};
use yim_proto::ErrorCode;

use super::capture::{Capturing, Finishing};
use crate::audio_setup::{AudioSetup, AudioWork};
use crate::error::{AudioError, Error};
use crate::machine::{CaptureSource, ClientMachine, Recognize, RequestId};

/// Samples handed to the output per playback step at most.
const PLAY_STEP_SAMPLES: usize = 16_384;
/// Time between playback steps.
const PLAY_STEP_MS: u64 = 20;
/// How often a recording's level updates are collected.
const LEVEL_POLL_MS: u64 = 125;

/// See the module doc.
#[derive(Debug)]
pub(crate) struct Audio {
    setup: AudioSetup,
    capture: Option<Capturing>,
    /// A WAV file to send, read before the lock was taken, for the capture the call starts.
    preloaded: Option<(PathBuf, Result<WavFileInput, InputError>)>,
    player: Option<Player>,
    /// For this and later playbacks.
    volume: f32,
    next_level_ms: u64,
    next_play_ms: u64,
}

impl Audio {
    pub fn new(setup: AudioSetup) -> Audio {
        Audio {
            setup,
            capture: None,
            preloaded: None,
            player: None,
            volume: 1.0,
            next_level_ms: 0,
            next_play_ms: 0,
        }
    }

    /// True if the audio work (finishing a capture, saving a download, deleting a file) runs
    /// at once, under the client's lock, rather than on the blocking pool.
    pub fn works_inline(&self) -> bool {
        self.setup.work == AudioWork::Inline
    }

    /// The setup, to load what a playback needs without the lock.
    pub fn setup(&self) -> &AudioSetup {
        &self.setup
    }

    /// Keeps `path`'s WAV, read before the lock was taken, for the capture the call being
    /// made starts (taken by `start_capture`, or dropped by `clear_preloaded`).
    pub fn preload(&mut self, path: PathBuf, loaded: Result<WavFileInput, InputError>) {
        self.preloaded = Some((path, loaded));
    }

    /// Drops a preloaded WAV no capture took (the call was refused).
    pub fn clear_preloaded(&mut self) {
        self.preloaded = None;
    }

    /// Starts capturing `request_id`.
    pub fn start_capture(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        source: &CaptureSource,
        recognize: Recognize,
    ) -> Result<(), AudioError> {
        let preloaded = self.preloaded.take();
        let capturing = Capturing::start(&self.setup, request_id, source, recognize, preloaded)?;
        if let Some(old) = self.capture.replace(capturing) {
            // Cannot happen (the machine has one recording at a time); do not leak it.
            old.cancel();
        }
        self.next_level_ms = now_ms.saturating_add(LEVEL_POLL_MS);
        Ok(())
    }

    /// Finishes capturing `request_id`; `None` if no such capture runs.
    pub fn finish_capture(
        &mut self,
        request_id: RequestId,
        recorded_ms: Option<u64>,
    ) -> Option<Finishing> {
        let capturing = self.capture.take_if(|c| c.request_id == request_id)?;
        Some(capturing.finish(&self.setup, recorded_ms))
    }

    /// Abandons capturing `request_id`, deleting its file.
    pub fn cancel_capture(&mut self, request_id: RequestId) {
        if let Some(capturing) = self.capture.take_if(|c| c.request_id == request_id) {
            capturing.cancel();
        }
    }

    /// YIM `StartPlayAudio(path)`: plays `player` (from `load_player`); the playback it
    /// replaces ends with `PttCancelPlay`.
    pub fn play(
        &mut self,
        now_ms: u64,
        mut player: Player,
        machine: &mut ClientMachine,
    ) -> Result<(), AudioError> {
        player.set_volume(self.volume)?;
        if let Some(mut old) = self.player.replace(player) {
            old.stop();
            report_played(&mut old, machine);
        }
        self.next_play_ms = now_ms.saturating_add(PLAY_STEP_MS);
        Ok(())
    }

    /// YIM `StopPlayAudio`. Nothing playing: `PttNotStartPlay` (2014).
    pub fn stop_play(&mut self, machine: &mut ClientMachine) -> Result<(), ErrorCode> {
        let mut player = self.player.take().ok_or(ErrorCode::PttNotStartPlay)?;
        player.stop();
        report_played(&mut player, machine);
        Ok(())
    }

    /// YIM `IsPlaying`.
    pub fn is_playing(&self) -> bool {
        self.player.as_ref().is_some_and(Player::is_playing)
    }

    /// YIM `SetVolume(0.0-1.0)`, for this and later playbacks. Out of range: `ParamInvalid`.
    pub fn set_volume(&mut self, volume: f32) -> Result<(), Error> {
        if !(0.0..=1.0).contains(&volume) {
            return Err(Error::Code(ErrorCode::ParamInvalid));
        }
        self.volume = volume;
        if let Some(player) = self.player.as_mut() {
            player.set_volume(volume).map_err(AudioError::from)?;
        }
        Ok(())
    }

    /// When the periodic work is next due, if any runs.
    pub fn next_tick_ms(&self) -> Option<u64> {
        let levels = self
            .capture
            .as_ref()
            .filter(|c| c.is_threaded())
            .map(|_| self.next_level_ms);
        let playback = self.player.as_ref().map(|_| self.next_play_ms);
        [levels, playback].into_iter().flatten().min()
    }

    /// Does the periodic work that is due at `now_ms`.
    pub fn tick(&mut self, now_ms: u64, machine: &mut ClientMachine) {
        if let Some(capturing) = self.capture.as_ref().filter(|c| c.is_threaded()) {
            if now_ms >= self.next_level_ms {
                for level in capturing.levels() {
                    machine.handle_record_level(level);
                }
                self.next_level_ms = now_ms.saturating_add(LEVEL_POLL_MS);
            }
        }
        if let Some(player) = self.player.as_mut() {
            if now_ms >= self.next_play_ms {
                player.pump(PLAY_STEP_SAMPLES);
                let playing = player.is_playing();
                report_played(player, machine);
                if !playing {
                    self.player = None;
                }
                self.next_play_ms = now_ms.saturating_add(PLAY_STEP_MS);
            }
        }
    }

    /// Stops everything (the client is shutting down): the capture is abandoned, the
    /// playback ends with `PttCancelPlay`.
    pub fn stop_all(&mut self, machine: &mut ClientMachine) {
        if let Some(capturing) = self.capture.take() {
            capturing.cancel();
        }
        let _ = self.stop_play(machine);
    }
}

/// Hands the player's completions to the machine.
fn report_played(player: &mut Player, machine: &mut ClientMachine) {
    while let Some(done) = player.poll_completion() {
        machine.handle_played(done.code, done.path);
    }
}

/// Opens the output and loads the WAV at `path` into a player, ready for `Audio::play`: the
/// device opening, file reading and decoding a playback needs, run without the client's lock
/// (a 10-minute WAV is 57.6 M samples).
pub(crate) fn load_player(setup: &AudioSetup, path: &Path) -> Result<Player, AudioError> {
    let output = (setup.output)()?;
    let clip = yim_audio::read_wav(path).map_err(PlayError::from)?;
    let mut player = Player::new(output);
    player.start_clip(path.to_path_buf(), clip)?;
    Ok(player)
}

/// Deletes a recording's file nothing will use.
pub(crate) fn delete_file(path: &Path) {
    if let Err(e) = std::fs::remove_file(path) {
        debug!(path = %path.display(), error = %e, "could not delete a recording's file");
    }
}

/// Decodes downloaded voice audio and writes it as a WAV at `path`, creating directories;
/// the outcome's code (the detailed error is logged).
pub(crate) fn save_audio(path: &Path, encoded: &[u8]) -> ErrorCode {
    match write_audio(path, encoded) {
        Ok(()) => ErrorCode::Success,
        Err(e) => {
            info!(path = %path.display(), error = %e, code = %e.code(), "saving a download failed");
            e.code()
        }
    }
}

fn write_audio(path: &Path, encoded: &[u8]) -> Result<(), AudioError> {
    let (pcm, rate) = yim_audio::decode_to_pcm(encoded).map_err(AudioError::Decode)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| AudioError::Directory {
            path: PathBuf::from(dir),
            reason: e.to_string(),
        })?;
    }
    let format = yim_audio::AudioFormat {
        sample_rate: rate,
        channels: 1,
    };
    yim_audio::write_wav_i16(path, format, &pcm)?;
    Ok(())
}
