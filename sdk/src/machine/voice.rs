//! Voice messages in the machine: the recording's life as YIM sees it (start, stop, cancel,
//! and the rules and codes of each), then the upload of the encoded audio in bounded chunks,
//! the send, and the download of received audio.
//!
//! The recording itself (capture, pipeline, speech to text) happens outside, in the client's
//! audio layer, which reports the result with `handle_recorded`. Events, per recording that
//! is stopped: `StartSendAudio` only when the recording succeeded, then exactly one
//! `SendAudioStatus` (or, in recognise-only mode, one `RecognizeText` and nothing sent). A
//! cancelled recording gets no event at all.
//!
//! Upload and send use the recording's request ID for every frame, one frame in flight at a
//! time: each `UploadAudio` chunk waits for the server's `UploadState`, then the `SendMessage`
//! (with its idempotency key) waits for its receipt. After a reconnect the frame in flight is
//! sent again; the server takes overlapping chunks once and answers a resent send with the
//! first receipt, so a voice message is uploaded and delivered once. Downloads work the same
//! way, chunk by chunk, and end with an `Action::SaveAudio` for the driver.
//!
//! What it is: rules and frames. What it is not: audio (see `yim_audio`) or files.

use tracing::debug;
use yim_proto::limits::{self, MAX_AUDIO_CHUNK_BYTES};
use yim_proto::planted::{self, Bug};
use yim_proto::wire::{body, reply, Body, DownloadAudio, SendMessage, UploadAudio, Voice};
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody};

use super::call::RequestId;
use super::event::{Action, AudioStatus, Event};
use super::pending::PendingKind;
use super::state::State;
use super::ClientMachine;

/// The recording under way, as the machine knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ActiveRecording {
    pub request_id: RequestId,
    pub receiver_id: String,
    pub chat_type: ChatType,
    pub only_recognize_text: bool,
    /// Set by `stop_record`: the audio layer is finishing; `handle_recorded` comes next.
    pub stopping: Option<String>,
}

/// A finished recording, as the audio layer hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The encoded audio to upload.
    pub encoded: Vec<u8>,
    pub duration_ms: u32,
    /// Speech-to-text result; empty when not asked for.
    pub text: String,
    /// The local WAV.
    pub audio_path: String,
    /// The recording stopped by itself at the 60 s limit: the codes are `PttReachMaxDuration`
    /// (2009), which counts as success.
    pub reached_max_duration: bool,
}

/// A voice message on its way: the audio, how much of it the server has, and what the status
/// event will say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VoiceUpload {
    upload_key: u64,
    send_key: u64,
    receiver_id: String,
    chat_type: ChatType,
    extra_param: String,
    recorded: Recorded,
    /// Bytes the server confirmed.
    received: u64,
    /// The `SendMessage` is out (the upload is complete).
    sending: bool,
    /// The planted `StartAfterStatus` bug holds the StartSendAudio here.
    late_start: Option<Box<Event>>,
}

/// A download on its way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Download {
    pub message_id: u64,
    pub save_path: String,
    data: Vec<u8>,
}

impl VoiceUpload {
    /// True once the upload is complete and the message's send is out.
    pub(crate) fn is_sending(&self) -> bool {
        self.sending
    }

    /// The `SendAudioStatus` for `code`: the send's fields as for a text message, plus the
    /// recording's; a success at the 60 s limit says `PttReachMaxDuration`.
    pub(crate) fn status(
        &self,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) -> AudioStatus {
        let mut status = audio_status(request_id, code, detail, Some(&self.recorded));
        if code == ErrorCode::Success && self.recorded.reached_max_duration {
            status.code = ErrorCode::PttReachMaxDuration;
        }
        status
    }

    /// The frame for the next step: the chunk from `received`, or the send once all is up.
    fn next_frame(&self, request_id: RequestId) -> Frame {
        let total = self.recorded.encoded.len() as u64;
        if self.sending {
            return Frame::new(FrameBody::SendMessage(SendMessage {
                request_id: request_id.get(),
                receiver_id: self.receiver_id.clone(),
                chat_type: self.chat_type as i32,
                body: Some(Body {
                    kind: Some(body::Kind::Voice(Voice {
                        audio_id: 0,
                        file_size: total,
                        duration_ms: self.recorded.duration_ms,
                        text: self.recorded.text.clone(),
                        extra_param: self.extra_param.clone(),
                        upload_key: self.upload_key,
                    })),
                }),
                idempotency_key: self.send_key,
            }));
        }
        let start = usize::try_from(self.received).unwrap_or(usize::MAX);
        let data: Vec<u8> = self
            .recorded
            .encoded
            .iter()
            .skip(start)
            .take(MAX_AUDIO_CHUNK_BYTES)
            .copied()
            .collect();
        Frame::new(FrameBody::UploadAudio(UploadAudio {
            request_id: request_id.get(),
            upload_key: self.upload_key,
            total_size: total,
            offset: self.received,
            data,
        }))
    }
}

impl ClientMachine {
    /// YIM `SendAudioMessage` / `SendOnlyAudioMessage` (and recognise-only mode): a recording
    /// starts; its request ID is returned. The audio layer records; `stop_record` or
    /// `cancel_record` ends it.
    ///
    /// Refused at once: not logged in (`NotLogin`, or `EngineNotInit`), a bad receiver
    /// (`ParamInvalid`, `ReceiverEmpty`, `InvalidChatType`, ...), a recording already under way
    /// (`PttIsSpeeching`, 2007).
    pub fn start_record(
        &mut self,
        receiver_id: &str,
        chat_type: ChatType,
        only_recognize_text: bool,
    ) -> Result<RequestId, ErrorCode> {
        match self.state {
            State::Uninitialised => return Err(ErrorCode::EngineNotInit),
            State::LoggedIn | State::Reconnecting => {}
            _ => return Err(ErrorCode::NotLogin),
        }
        if !only_recognize_text {
            limits::check_receiver(receiver_id, chat_type)?;
        }
        if self.recording.is_some() {
            return Err(ErrorCode::PttIsSpeeching);
        }
        let request_id = self.next_request_id();
        self.recording = Some(ActiveRecording {
            request_id,
            receiver_id: receiver_id.to_owned(),
            chat_type,
            only_recognize_text,
            stopping: None,
        });
        debug!(%request_id, "recording started");
        Ok(request_id)
    }

    /// YIM `StopAudioMessage(extraParam)`: ends the recording; the audio layer finishes it and
    /// reports with `handle_recorded`. Nothing recording: `PttNotStartRecord` (2016). A bad
    /// extra parameter: `MessageTooLong`.
    pub fn stop_record(&mut self, extra_param: &str) -> Result<RequestId, ErrorCode> {
        let Some(recording) = &mut self.recording else {
            return Err(ErrorCode::PttNotStartRecord);
        };
        if recording.stopping.is_some() {
            return Err(ErrorCode::PttNotStartRecord);
        }
        limits::check_text("", extra_param)?;
        recording.stopping = Some(extra_param.to_owned());
        Ok(recording.request_id)
    }

    /// YIM `CancleAudioMessage`: discards the recording (also one being stopped: cancel wins);
    /// no event will ever come for it. Nothing recording: `PttNotStartRecord` (2016).
    pub fn cancel_record(&mut self) -> Result<RequestId, ErrorCode> {
        let recording = self.recording.take().ok_or(ErrorCode::PttNotStartRecord)?;
        debug!(request_id = %recording.request_id, "recording cancelled");
        if planted::active(Bug::EventAfterCancel) {
            let status = failed_status(recording.request_id, ErrorCode::PttFail);
            self.events.push_back(Event::SendAudioStatus(status));
        }
        Ok(recording.request_id)
    }

    /// The request ID of the recording under way, if any.
    pub fn recording(&self) -> Option<RequestId> {
        self.recording.as_ref().map(|r| r.request_id)
    }

    /// The audio layer finished recording `request_id` (after `stop_record`, or by itself at
    /// the 60 s limit): `Ok` with the clip, or the code it failed with (`PttSpeechTooShort`,
    /// `PttStartRecordFailed`, ...). A cancelled or unknown recording is ignored.
    pub fn handle_recorded(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        outcome: Result<Recorded, ErrorCode>,
    ) {
        let Some(recording) = self.recording.take_if(|r| r.request_id == request_id) else {
            debug!(%request_id, "recording result for no recording; ignored");
            return;
        };
        let extra_param = recording.stopping.clone().unwrap_or_default();
        if recording.only_recognize_text {
            let (code, text) = match outcome {
                Ok(recorded) => (ErrorCode::Success, recorded.text),
                Err(code) => (code, String::new()),
            };
            self.events.push_back(Event::RecognizeText {
                request_id,
                code,
                text,
            });
            return;
        }
        let recorded = match outcome {
            Ok(recorded) => recorded,
            Err(code) => {
                let status = failed_status(request_id, code);
                self.events.push_back(Event::SendAudioStatus(status));
                return;
            }
        };
        let start_code = if recorded.reached_max_duration {
            ErrorCode::PttReachMaxDuration
        } else {
            ErrorCode::Success
        };
        let start = Event::StartSendAudio {
            request_id,
            code: start_code,
            text: recorded.text.clone(),
            audio_path: recorded.audio_path.clone(),
            duration_ms: recorded.duration_ms,
        };
        let late_start = if planted::active(Bug::StartAfterStatus) {
            Some(Box::new(start))
        } else {
            self.events.push_back(start);
            None
        };
        let upload = VoiceUpload {
            late_start,
            upload_key: self.rng.nonzero(),
            send_key: self.rng.nonzero(),
            receiver_id: recording.receiver_id,
            chat_type: recording.chat_type,
            extra_param,
            recorded,
            received: 0,
            sending: false,
        };
        let refusal = match self.state {
            State::LoggedIn | State::Reconnecting => limits::check_voice(
                upload.recorded.encoded.len() as u64,
                upload.recorded.duration_ms,
                &upload.recorded.text,
                &upload.extra_param,
            )
            .err(),
            _ => Some(ErrorCode::NotLogin),
        };
        if let Some(code) = refusal {
            let status = upload.status(request_id, code, None);
            self.events.push_back(Event::SendAudioStatus(status));
            return;
        }
        let frame = upload.next_frame(request_id);
        let deadline_ms = now_ms.saturating_add(self.config.request_timeout_ms);
        self.pending.insert(
            request_id,
            PendingKind::Voice(Box::new(upload)),
            deadline_ms,
            Some(frame.clone()),
        );
        if self.pending.is_blocked(request_id) {
            self.pending.hold(request_id);
        } else if self.state == State::LoggedIn {
            self.send(now_ms, frame);
        }
    }

    /// Sends what no longer waits behind a voice message (after one was sent or ended).
    pub(super) fn release_held_sends(&mut self, now_ms: u64) {
        if self.state != State::LoggedIn {
            return;
        }
        for frame in self.pending.release() {
            self.send(now_ms, frame);
        }
    }

    /// A reply to a voice message's upload or send: the next chunk, the send, or the status.
    pub(super) fn voice_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let Some(PendingKind::Voice(upload)) = self.pending.get_mut(request_id) else {
            return;
        };
        if upload.sending || code != ErrorCode::Success {
            if let Some(PendingKind::Voice(upload)) = self.pending.remove(request_id) {
                let code = match code {
                    // A refused chunk means the upload cannot go on.
                    ErrorCode::ParamInvalid if !upload.sending => ErrorCode::PttUploadFail,
                    code => code,
                };
                let status = upload.status(request_id, code, detail);
                self.events.push_back(Event::SendAudioStatus(status));
                if let Some(start) = upload.late_start {
                    self.events.push_back(*start);
                }
            }
            self.release_held_sends(now_ms);
            return;
        }
        let total = upload.recorded.encoded.len() as u64;
        if let Some(reply::Detail::UploadState(state)) = detail {
            upload.received = state.received.min(total);
        }
        if upload.received >= total {
            upload.sending = true;
        }
        let frame = upload.next_frame(request_id);
        let deadline_ms = now_ms.saturating_add(self.config.request_timeout_ms);
        self.pending
            .set_frame(request_id, frame.clone(), deadline_ms);
        self.send(now_ms, frame);
        self.release_held_sends(now_ms);
    }

    /// A reply to a download: the next chunk, the save, or the failure.
    pub(super) fn download_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let Some(PendingKind::Download(download)) = self.pending.get_mut(request_id) else {
            return;
        };
        let chunk = match detail {
            Some(reply::Detail::AudioChunk(chunk)) if code == ErrorCode::Success => chunk,
            _ => {
                let code = match code {
                    ErrorCode::Success => ErrorCode::PttDownloadFail,
                    ErrorCode::ParamInvalid => ErrorCode::ParamInvalid,
                    _ => ErrorCode::PttDownloadFail,
                };
                self.finish_download(request_id, code);
                return;
            }
        };
        let too_big = chunk.total_size > limits::MAX_AUDIO_BYTES;
        if too_big || chunk.offset != download.data.len() as u64 {
            self.finish_download(request_id, ErrorCode::PttDownloadFail);
            return;
        }
        download.data.extend_from_slice(&chunk.data);
        let have = download.data.len() as u64;
        if have >= chunk.total_size || chunk.data.is_empty() {
            if have != chunk.total_size {
                self.finish_download(request_id, ErrorCode::PttDownloadFail);
                return;
            }
            if let Some(PendingKind::Download(download)) = self.pending.remove(request_id) {
                self.actions.push_back(Action::SaveAudio {
                    request_id,
                    save_path: download.save_path.clone(),
                    encoded: download.data,
                });
                self.saving
                    .insert(request_id, (download.message_id, download.save_path));
            }
            return;
        }
        let frame = download_frame(request_id, download.message_id, have);
        let deadline_ms = now_ms.saturating_add(self.config.request_timeout_ms);
        self.pending
            .set_frame(request_id, frame.clone(), deadline_ms);
        self.send(now_ms, frame);
    }

    fn finish_download(&mut self, request_id: RequestId, code: ErrorCode) {
        if let Some(kind) = self.pending.remove(request_id) {
            let event = super::inbound::completion(request_id, kind, code, None);
            self.events.push_back(event);
        }
    }

    /// The recording's level (0..=1), while it records: YIM `OnRecordVolumeChange`.
    pub fn handle_record_level(&mut self, level: f32) {
        if self
            .recording
            .as_ref()
            .is_some_and(|r| r.stopping.is_none())
        {
            let level_permille = (level.clamp(0.0, 1.0) * 1000.0).round() as u16;
            self.events
                .push_back(Event::RecordVolume { level_permille });
        }
    }

    /// A playback ended (`Success`, or `PttCancelPlay` when stopped): YIM `OnPlayCompletion`.
    pub fn handle_played(&mut self, code: ErrorCode, path: &str) {
        self.events.push_back(Event::PlayCompletion {
            code,
            path: path.to_owned(),
        });
    }

    /// The driver saved (or failed to save, with `code`) the audio of download `request_id`.
    pub fn handle_saved(&mut self, request_id: RequestId, code: ErrorCode) {
        if let Some((message_id, save_path)) = self.saving.remove(&request_id) {
            self.events.push_back(Event::DownloadAudio {
                request_id,
                code,
                message_id,
                save_path,
            });
        }
    }

    /// YIM `DownloadFile(messageID, savePath)`: fetches a voice message's audio and saves it as
    /// a WAV at `save_path`; completes with `Event::DownloadAudio`. Unknown message:
    /// `ParamInvalid`; network failure: `PttDownloadFail` (2002).
    pub fn download_audio(
        &mut self,
        now_ms: u64,
        message_id: u64,
        save_path: &str,
    ) -> Result<RequestId, ErrorCode> {
        match self.state {
            State::Uninitialised => return Err(ErrorCode::EngineNotInit),
            State::LoggedIn | State::Reconnecting => {}
            _ => return Err(ErrorCode::NotLogin),
        }
        if message_id == 0 || save_path.is_empty() {
            return Err(ErrorCode::ParamInvalid);
        }
        if self.pending.len() >= self.config.max_pending_calls {
            return Err(ErrorCode::StatusError);
        }
        let request_id = self.next_request_id();
        let frame = download_frame(request_id, message_id, 0);
        let deadline_ms = now_ms.saturating_add(self.config.request_timeout_ms);
        let download = Download {
            message_id,
            save_path: save_path.to_owned(),
            data: Vec::new(),
        };
        self.pending.insert(
            request_id,
            PendingKind::Download(Box::new(download)),
            deadline_ms,
            Some(frame.clone()),
        );
        if self.state == State::LoggedIn {
            self.send(now_ms, frame);
        }
        Ok(request_id)
    }
}

fn download_frame(request_id: RequestId, audio_id: u64, offset: u64) -> Frame {
    Frame::new(FrameBody::DownloadAudio(DownloadAudio {
        request_id: request_id.get(),
        audio_id,
        offset,
        max_bytes: MAX_AUDIO_CHUNK_BYTES as u32,
    }))
}

/// The status of a recording that failed before anything was sent.
fn failed_status(request_id: RequestId, code: ErrorCode) -> AudioStatus {
    audio_status(request_id, code, None, None)
}

/// A voice message's status: the send's fields (see `inbound::send_status`) and the
/// recording's, when there is one.
fn audio_status(
    request_id: RequestId,
    code: ErrorCode,
    detail: Option<&reply::Detail>,
    recorded: Option<&Recorded>,
) -> AudioStatus {
    let send = super::inbound::send_status(request_id, code, detail);
    AudioStatus {
        request_id,
        code,
        text: recorded.map(|r| r.text.clone()).unwrap_or_default(),
        audio_path: recorded.map(|r| r.audio_path.clone()).unwrap_or_default(),
        duration_ms: recorded.map_or(0, |r| r.duration_ms),
        send_time: send.send_time,
        is_forbid_room: send.is_forbid_room,
        reason: send.reason,
        forbid_end_time: send.forbid_end_time,
        message_id: send.message_id,
    }
}
