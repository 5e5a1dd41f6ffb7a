//! Recordings (YIM's push-to-talk) in the machine: start, stop, cancel, send a file, and what
//! the driver's capture answers, with YIM's rules and codes.
//!
//! Events, per recording that is not cancelled: `StartSendAudio` only when the recording
//! succeeded, then exactly one `SendAudioStatus` (or, when recognising only, one
//! `RecognizeText` and nothing sent). A cancelled recording gets no event at all. The capture
//! itself (devices, pipeline, speech to text) is the driver's, asked for with `AudioTask`s and
//! answered with `handle_recorded` / `handle_capture_failed`; the upload that follows is
//! `upload`'s, the 60 s limit `timers'`, the end with the session `session`'s.
//!
//! What it is: rules and tasks. What it is not: audio (see `yim_audio`) or files.

use std::path::PathBuf;

use tracing::debug;
use yim_hooks::planted::{self, Bug};
use yim_proto::limits;
use yim_proto::limits::MAX_VOICE_DURATION_MS;
use yim_proto::ErrorCode;

use super::action::{AudioTask, CaptureSource, Recorded};
use super::call::{Call, Recognize, RequestId};
use super::complete::Completing;
use super::event::Event;
use super::outbound;
use super::pending::{PendingKind, SendSeq, VoiceUpload};
use super::phase::{Recording, Step, Stopping};
use super::ClientMachine;

impl ClientMachine {
    /// `StartRecord` or `SendAudioFile` (already checked for state and parameters): a
    /// recording starts, or, from a file, starts and is stopped at once. Already recording:
    /// `PttIsSpeeching` (2007).
    pub(super) fn start_recording(
        &mut self,
        now_ms: u64,
        call: Call,
    ) -> Result<RequestId, ErrorCode> {
        if self.recording().is_some() {
            return Err(ErrorCode::PttIsSpeeching);
        }
        let (receiver_id, chat_type, recognize, file) = match call {
            Call::StartRecord {
                receiver_id,
                chat_type,
                recognize,
            } => (receiver_id, chat_type, recognize, None),
            Call::SendAudioFile {
                receiver_id,
                chat_type,
                path,
                recognize,
                extra_param,
            } => (receiver_id, chat_type, recognize, Some((path, extra_param))),
            _ => return Err(ErrorCode::ParamInvalid),
        };
        let request_id = self.next_request_id();
        let (source, stopping) = match file {
            Some((path, extra_param)) => (CaptureSource::File(path), Some(extra_param)),
            None => (CaptureSource::Microphone, None),
        };
        let from_file = stopping.is_some();
        // A file is stopped at once: its place in the send order is fixed now.
        let stopping = stopping.map(|extra_param| Stopping {
            extra_param,
            send_seq: SendSeq::after(request_id.get()),
        });
        let Some(session) = self.phase.session_mut() else {
            return Err(ErrorCode::NotLogin);
        };
        session.recording = Some(Recording {
            request_id,
            receiver_id,
            chat_type,
            recognize,
            started_ms: now_ms,
            from_file,
            stopping,
        });
        self.audio.push_back(AudioTask::StartCapture {
            request_id,
            source,
            recognize,
        });
        if from_file {
            // A file is taken whole (up to 60 s): its audio is all there already.
            self.audio.push_back(AudioTask::FinishCapture {
                request_id,
                recorded_ms: None,
            });
        }
        debug!(%request_id, from_file, "recording started");
        Ok(request_id)
    }

    /// YIM `StopAudioMessage(extraParam)`: the driver finishes the capture and answers with
    /// `handle_recorded`. The voice message's place in the send order is fixed here: sends
    /// made from now on leave after it, however long the capture takes to finish. Nothing
    /// recording (or already stopping): `PttNotStartRecord` (2016).
    pub(super) fn stop_recording(
        &mut self,
        now_ms: u64,
        extra_param: String,
    ) -> Result<RequestId, ErrorCode> {
        let send_seq = SendSeq::after(self.last_request_id);
        let Some(recording) = self
            .phase
            .session_mut()
            .and_then(|s| s.recording.as_mut())
            .filter(|r| r.stopping.is_none())
        else {
            return Err(ErrorCode::PttNotStartRecord);
        };
        recording.stopping = Some(Stopping {
            extra_param,
            send_seq,
        });
        let request_id = recording.request_id;
        let recorded_ms = now_ms
            .saturating_sub(recording.started_ms)
            .min(u64::from(MAX_VOICE_DURATION_MS));
        self.audio.push_back(AudioTask::FinishCapture {
            request_id,
            recorded_ms: Some(recorded_ms),
        });
        Ok(request_id)
    }

    /// YIM `CancleAudioMessage`: discards the recording (also one being stopped: cancel wins);
    /// no event will ever come for it. Nothing recording: `PttNotStartRecord` (2016).
    pub(super) fn cancel_recording(&mut self, now_ms: u64) -> Result<RequestId, ErrorCode> {
        let recording = self
            .phase
            .session_mut()
            .and_then(|s| s.recording.take())
            .ok_or(ErrorCode::PttNotStartRecord)?;
        let request_id = recording.request_id;
        debug!(%request_id, "recording cancelled");
        if recording.stopping.is_none() {
            self.audio
                .push_back(AudioTask::CancelCapture { request_id });
        } else {
            // Sends made after its stop waited for it: nothing will be sent now.
            self.release_held_sends(now_ms);
        }
        if planted::active(Bug::EventAfterCancel) {
            let what = Completing::Recording {
                recognize: Recognize::No,
                text: String::new(),
            };
            self.complete(request_id, what, ErrorCode::PttFail, None);
        }
        Ok(request_id)
    }

    /// The driver could not start capturing recording `request_id` (asked for with
    /// `AudioTask::StartCapture`): the recording never was; the call that started it fails
    /// with the capture's code, and no event comes.
    pub fn handle_capture_failed(&mut self, request_id: RequestId) {
        if let Some(session) = self.phase.session_mut() {
            if session
                .recording
                .as_ref()
                .is_some_and(|r| r.request_id == request_id)
            {
                session.recording = None;
                debug!(%request_id, "capture failed to start; no recording");
            }
        }
    }

    /// The driver finished recording `request_id` (after a stop, or at the 60 s limit): `Ok`
    /// with the clip, or the code it failed with (`PttSpeechTooShort`, `PttStartRecordFailed`,
    /// ...). The result of a recording that is no longer under way (cancelled, or ended with
    /// its session) is dropped, and its file deleted.
    pub fn handle_recorded(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        outcome: Result<Recorded, ErrorCode>,
    ) {
        self.finish_recording(now_ms, request_id, outcome);
        // Sends made after the stop waited for this answer: if nothing was sent (a failure, a
        // recognise-only recording), they go now; if the upload started, they wait for it.
        self.release_held_sends(now_ms);
    }

    fn finish_recording(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        outcome: Result<Recorded, ErrorCode>,
    ) {
        let recording = self.phase.session_mut().and_then(|s| {
            s.recording
                .take_if(|r| r.request_id == request_id && r.stopping.is_some())
        });
        let Some(recording) = recording else {
            debug!(%request_id, "recording result for no recording; dropped");
            if let Ok(recorded) = outcome {
                if !recorded.audio_path.as_os_str().is_empty() {
                    self.audio.push_back(AudioTask::DeleteFile {
                        path: recorded.audio_path,
                    });
                }
            }
            return;
        };
        let recorded = match (recording.recognize, outcome) {
            (recognize @ Recognize::Only, outcome) => {
                let (code, text) = match outcome {
                    Ok(recorded) => (ErrorCode::Success, recorded.text),
                    Err(code) => (code, String::new()),
                };
                self.complete(
                    request_id,
                    Completing::Recording { recognize, text },
                    code,
                    None,
                );
                return;
            }
            (recognize, Err(code)) => {
                let what = Completing::Recording {
                    recognize,
                    text: String::new(),
                };
                self.complete(request_id, what, code, None);
                return;
            }
            (_, Ok(recorded)) => recorded,
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
        let send_seq = recording
            .send_seq()
            .unwrap_or_else(|| SendSeq::after(self.last_request_id));
        let upload = VoiceUpload {
            late_start,
            upload_key: self.rng.nonzero(),
            send_key: self.rng.nonzero(),
            receiver_id: recording.receiver_id,
            chat_type: recording.chat_type,
            extra_param: recording
                .stopping
                .as_ref()
                .map(|s| s.extra_param.clone())
                .unwrap_or_default(),
            recorded,
            received: 0,
            sending: false,
        };
        let refusal = match self.session().map(|s| s.step) {
            Some(Step::LoggedIn | Step::Reconnecting(_)) => limits::check_voice(
                upload.recorded.encoded.len() as u64,
                upload.recorded.duration_ms,
                &upload.recorded.text,
                &upload.extra_param,
            )
            .err(),
            _ => Some(ErrorCode::NotLogin),
        };
        let kind = PendingKind::Voice(Box::new(upload));
        if let Some(code) = refusal {
            self.complete(request_id, Completing::Call(kind), code, None);
            return;
        }
        let PendingKind::Voice(upload) = &kind else {
            return;
        };
        let frame = outbound::upload(request_id, upload);
        let deadline_ms = self.request_deadline_ms(now_ms);
        let Some(session) = self.phase.session_mut() else {
            return;
        };
        let frame_to_resend = Some(frame.clone());
        session
            .pending
            .insert_at(send_seq, request_id, kind, deadline_ms, frame_to_resend);
        self.send_in_order(now_ms, request_id, frame);
    }

    /// The recording's level (0..=1), while it records: YIM `OnRecordVolumeChange`.
    pub fn handle_record_level(&mut self, level: f32) {
        let recording = self.session().and_then(|s| s.recording.as_ref());
        if recording.is_some_and(|r| r.stopping.is_none()) {
            let level_permille = (level.clamp(0.0, 1.0) * 1000.0).round() as u16;
            self.events
                .push_back(Event::RecordVolume { level_permille });
        }
    }

    /// A playback ended (`Success`, or `PttCancelPlay` when stopped): YIM `OnPlayCompletion`.
    pub fn handle_played(&mut self, code: ErrorCode, path: PathBuf) {
        self.events.push_back(Event::PlayCompletion { code, path });
    }
}
