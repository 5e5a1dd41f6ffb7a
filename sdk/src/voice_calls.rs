//! YIM's voice calls on the `Client`: record, stop and send, cancel, download, and playback
//! (`StartPlayAudio`, `StopPlayAudio`, `IsPlaying`, `SetVolume`).
//!
//! What it is: the client's voice state (the recording being captured, the player) and the
//! calls that drive it; every event still comes through the client's one event stream. What it
//! is not: the rules and the upload (see `machine::voice`) or the audio pipeline (`yim_audio`).

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use yim_audio::Player;
use yim_proto::{ChatType, ErrorCode};

use crate::audio_setup::AudioSetup;
use crate::client::Client;
use crate::machine::RequestId;
use crate::recording::{self, Capturing, Recognize};

/// Samples handed to the output per playback step at most.
const PLAY_STEP_SAMPLES: usize = 16_384;
/// Time between playback steps.
const PLAY_STEP_MS: u64 = 20;
/// How often a recording's level updates are collected.
const LEVEL_POLL_MS: u64 = 125;

/// The client's voice state; see the module doc.
#[derive(Debug)]
pub(crate) struct VoiceLayer {
    pub setup: AudioSetup,
    state: Mutex<VoiceState>,
}

#[derive(Debug)]
struct VoiceState {
    capturing: Option<Capturing>,
    player: Option<Player>,
    volume: f32,
    /// Counts playbacks, so a pump task stops when its playback is replaced.
    play_generation: u64,
}

impl VoiceLayer {
    pub fn new(setup: AudioSetup) -> VoiceLayer {
        VoiceLayer {
            setup,
            state: Mutex::new(VoiceState {
                capturing: None,
                player: None,
                volume: 1.0,
                play_generation: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VoiceState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Client {
    /// YIM `SendAudioMessage` (with speech to text) / `SendOnlyAudioMessage` (without), and
    /// recognise-only mode (`only_recognize_text`: nothing is sent, the result comes as
    /// `Event::RecognizeText`). Starts recording; returns the request ID at once.
    ///
    /// Refused at once (no event ever): not logged in, a bad receiver, already recording
    /// (`PttIsSpeeching`, 2007), no microphone (`PttNoAudioDevice`, 2026), the input failed
    /// to start (`PttStartRecordFailed`, 2020). At 60 s the recording stops and is sent by
    /// itself, with `PttReachMaxDuration` (2009) as its success code.
    pub fn start_record_audio_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        recognize_text: bool,
        only_recognize_text: bool,
    ) -> Result<RequestId, ErrorCode> {
        let now_ms = self.shared.clock.monotonic_ms();
        let request_id = {
            let mut core = self.shared.lock();
            if core.stopped || core.shutdown_requested {
                return Err(ErrorCode::NotStartUp);
            }
            core.machine
                .start_record(receiver_id, chat_type, only_recognize_text)?
        };
        let recognize = match (only_recognize_text, recognize_text) {
            (true, _) => Recognize::Only,
            (false, true) => Recognize::AlongWithSend,
            (false, false) => Recognize::No,
        };
        match recording::start(&self.voice.setup, request_id, recognize, now_ms) {
            Ok(capturing) => {
                let threaded = matches!(capturing, Capturing::Threaded { .. });
                self.voice.lock().capturing = Some(capturing);
                self.stop_at_max_duration(request_id, now_ms);
                if threaded {
                    self.report_levels(request_id);
                }
                Ok(request_id)
            }
            Err(code) => {
                let _ = self.shared.lock().machine.cancel_record();
                Err(code)
            }
        }
    }

    /// Sends the WAV file at `wav_path` as a voice message, as if it had just been recorded
    /// (its first 60 s): the same events as a recording (`StartSendAudio`, then one
    /// `SendAudioStatus`), the same pipeline (16 kHz, Opus, speech to text when
    /// `recognize_text`). Missing file: `PttFileNotExist` (2008); not a WAV:
    /// `PttUnsupprtFormat` (2022). Not in YIM, whose voice comes only from the microphone.
    pub fn send_audio_file(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        wav_path: &str,
        recognize_text: bool,
        extra_param: &str,
    ) -> Result<RequestId, ErrorCode> {
        let input = yim_audio::WavFileInput::open(Path::new(wav_path)).map_err(|e| e.code())?;
        let request_id = {
            let mut core = self.shared.lock();
            if core.stopped || core.shutdown_requested {
                return Err(ErrorCode::NotStartUp);
            }
            yim_proto::limits::check_text("", extra_param)?;
            core.machine.start_record(receiver_id, chat_type, false)?
        };
        let recognize = if recognize_text {
            Recognize::AlongWithSend
        } else {
            Recognize::No
        };
        // Inline capture with no start time pulls the whole file, up to the 60 s limit.
        let started_ms = None;
        let capture = crate::audio_setup::Capture::Inline;
        match recording::start_with(
            &self.voice.setup,
            Box::new(input),
            capture,
            request_id,
            recognize,
            started_ms,
        ) {
            Ok(capturing) => {
                self.voice.lock().capturing = Some(capturing);
                self.stop_and_send_audio_message(extra_param)
            }
            Err(code) => {
                let _ = self.shared.lock().machine.cancel_record();
                Err(code)
            }
        }
    }

    /// Stops the recording `request_id` at the 60 s limit if it still runs then.
    fn stop_at_max_duration(&self, request_id: RequestId, started_ms: u64) {
        let client = self.clone();
        let deadline_ms = started_ms + u64::from(yim_audio::limits::MAX_CLIP_MS);
        tokio::spawn(async move {
            client.shared.clock.sleep_until(deadline_ms).await;
            let still = client.shared.lock().machine.recording() == Some(request_id);
            if still {
                let _ = client.stop_and_send_audio_message("");
            }
        });
    }

    /// Hands the recording's level updates to the event stream while it records.
    fn report_levels(&self, request_id: RequestId) {
        let client = self.clone();
        tokio::spawn(async move {
            loop {
                let next_ms = client.shared.clock.monotonic_ms() + LEVEL_POLL_MS;
                client.shared.clock.sleep_until(next_ms).await;
                let levels = {
                    let state = client.voice.lock();
                    match &state.capturing {
                        Some(capturing) if capturing.request_id() == request_id => {
                            capturing.levels()
                        }
                        _ => return,
                    }
                };
                if !levels.is_empty() {
                    let mut core = client.shared.lock();
                    for level in levels {
                        core.machine.handle_record_level(level);
                    }
                    drop(core);
                    client.shared.wake_driver.notify_one();
                }
            }
        });
    }

    /// YIM `StopAudioMessage(extraParam)`: stops recording and sends (or, in recognise-only
    /// mode, recognises). Events: `StartSendAudio` (only if the recording succeeded), then
    /// exactly one `SendAudioStatus`; or one `RecognizeText`. Nothing recording:
    /// `PttNotStartRecord` (2016).
    pub fn stop_and_send_audio_message(&self, extra_param: &str) -> Result<RequestId, ErrorCode> {
        let request_id = self.shared.lock().machine.stop_record(extra_param)?;
        let capturing = self.voice.lock().capturing.take();
        match capturing {
            Some(capturing) if capturing.request_id() == request_id => {
                recording::finish(&self.shared, &self.voice.setup, capturing);
            }
            other => {
                // Cannot happen (the machine and the capture start and end together); keep
                // the promise of one status all the same.
                self.voice.lock().capturing = other;
                let now_ms = self.shared.clock.monotonic_ms();
                self.shared.lock().machine.handle_recorded(
                    now_ms,
                    request_id,
                    Err(ErrorCode::PttStopRecordFailed),
                );
            }
        }
        self.shared.wake_driver.notify_one();
        Ok(request_id)
    }

    /// YIM `CancleAudioMessage`: discards the recording; no event will come for it, and
    /// nothing is sent. Nothing recording: `PttNotStartRecord` (2016).
    pub fn cancel_audio_message(&self) -> Result<(), ErrorCode> {
        let request_id = self.shared.lock().machine.cancel_record()?;
        let capturing = self.voice.lock().capturing.take();
        if let Some(capturing) = capturing.filter(|c| c.request_id() == request_id) {
            capturing.cancel();
        }
        Ok(())
    }

    /// YIM `DownloadFile(messageID, savePath)` for a voice message: saves its audio as a WAV
    /// at `save_path` (directories are created); completes with `Event::DownloadAudio`.
    /// Unknown message: `ParamInvalid`; network failure: `PttDownloadFail` (2002).
    pub fn download_audio(&self, message_id: u64, save_path: &str) -> Result<RequestId, ErrorCode> {
        let result = {
            let mut core = self.shared.lock();
            if core.stopped || core.shutdown_requested {
                return Err(ErrorCode::NotStartUp);
            }
            let now_ms = self.shared.clock.monotonic_ms();
            core.machine.download_audio(now_ms, message_id, save_path)
        };
        if result.is_ok() {
            self.shared.wake_driver.notify_one();
        }
        result
    }

    /// YIM `StartPlayAudio(path)`: plays a WAV; completes with `Event::PlayCompletion`
    /// (`Success` at the end, `PttCancelPlay` 2015 when stopped or replaced). Missing file:
    /// `PttFileNotExist` (2008); not a WAV: `PttUnsupprtFormat` (2022); no speaker:
    /// `PttNoAudioDevice` (2026).
    pub fn start_play_audio(&self, path: &str) -> Result<(), ErrorCode> {
        let output = (self.voice.setup.output)().map_err(|e| e.code())?;
        let mut player = Player::new(output);
        let generation = {
            let mut state = self.voice.lock();
            player.set_volume(state.volume).map_err(|e| e.code())?;
            player.start_play(Path::new(path)).map_err(|e| e.code())?;
            if let Some(mut old) = state.player.replace(player) {
                old.stop();
                self.report_completions(&mut old);
            }
            state.play_generation += 1;
            state.play_generation
        };
        let client = self.clone();
        tokio::spawn(async move { client.pump_playback(generation).await });
        Ok(())
    }

    async fn pump_playback(self, generation: u64) {
        loop {
            let next_ms = self.shared.clock.monotonic_ms() + PLAY_STEP_MS;
            self.shared.clock.sleep_until(next_ms).await;
            let mut state = self.voice.lock();
            if state.play_generation != generation {
                return;
            }
            let Some(player) = state.player.as_mut() else {
                return;
            };
            player.pump(PLAY_STEP_SAMPLES);
            let playing = player.is_playing();
            self.report_completions(player);
            if !playing {
                state.player = None;
                return;
            }
        }
    }

    /// Hands the player's completions to the event stream.
    fn report_completions(&self, player: &mut Player) {
        let mut reported = false;
        while let Some(done) = player.poll_completion() {
            let path = done.path.display().to_string();
            self.shared.lock().machine.handle_played(done.code, &path);
            reported = true;
        }
        if reported {
            self.shared.wake_driver.notify_one();
        }
    }

    /// YIM `StopPlayAudio`: stops playback (its completion says `PttCancelPlay`). Nothing
    /// playing: `PttNotStartPlay` (2014).
    pub fn stop_play_audio(&self) -> Result<(), ErrorCode> {
        let mut state = self.voice.lock();
        let Some(mut player) = state.player.take() else {
            return Err(ErrorCode::PttNotStartPlay);
        };
        player.stop();
        self.report_completions(&mut player);
        Ok(())
    }

    /// YIM `IsPlaying`.
    pub fn is_playing(&self) -> bool {
        self.voice
            .lock()
            .player
            .as_ref()
            .is_some_and(Player::is_playing)
    }

    /// YIM `SetVolume(0.0-1.0)`: for this and later playbacks. Out of range: `ParamInvalid`.
    pub fn set_volume(&self, volume: f32) -> Result<(), ErrorCode> {
        if !(0.0..=1.0).contains(&volume) {
            return Err(ErrorCode::ParamInvalid);
        }
        let mut state = self.voice.lock();
        state.volume = volume;
        if let Some(player) = state.player.as_mut() {
            player.set_volume(volume).map_err(|e| e.code())?;
        }
        Ok(())
    }
}

/// The shared voice layer of a client.
pub(crate) fn layer(setup: AudioSetup) -> Arc<VoiceLayer> {
    Arc::new(VoiceLayer::new(setup))
}
