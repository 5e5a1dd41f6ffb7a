//! Downloads of received voice messages: the audio comes in chunks (each asked for from the
//! offset reached, so a download resumes after a reconnect), then the driver saves it as a WAV
//! (`AudioTask::SaveAudio`) and the download completes with the save's outcome.
//!
//! What it is: `download_reply` and `handle_saved`. What it is not: decoding or writing files
//! (the driver's).

use yim_proto::limits;
use yim_proto::wire::reply;
use yim_proto::ErrorCode;

use super::action::AudioTask;
use super::call::RequestId;
use super::complete::Completing;
use super::outbound;
use super::pending::PendingKind;
use super::ClientMachine;

impl ClientMachine {
    /// A reply to a download: the next chunk, the save, or the failure.
    pub(super) fn download_reply(
        &mut self,
        now_ms: u64,
        request_id: RequestId,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let deadline_ms = self.request_deadline_ms(now_ms);
        let Some(session) = self.phase.session_mut() else {
            return;
        };
        let Some(PendingKind::Download(download)) = session.pending.get_mut(request_id) else {
            return;
        };
        let chunk = match detail {
            Some(reply::Detail::AudioChunk(chunk)) if code == ErrorCode::Success => chunk,
            _ => {
                let code = match code {
                    ErrorCode::ParamInvalid => ErrorCode::ParamInvalid,
                    _ => ErrorCode::PttDownloadFail,
                };
                self.fail_download(request_id, code);
                return;
            }
        };
        let too_big = chunk.total_size > limits::MAX_AUDIO_BYTES;
        if too_big || chunk.offset != download.data.len() as u64 {
            self.fail_download(request_id, ErrorCode::PttDownloadFail);
            return;
        }
        download.data.extend_from_slice(&chunk.data);
        let have = download.data.len() as u64;
        if have >= chunk.total_size || chunk.data.is_empty() {
            if have != chunk.total_size {
                self.fail_download(request_id, ErrorCode::PttDownloadFail);
                return;
            }
            if let Some(PendingKind::Download(download)) = session.pending.remove(request_id) {
                self.audio.push_back(AudioTask::SaveAudio {
                    request_id,
                    save_path: download.save_path.clone(),
                    encoded: download.data,
                });
                self.saving
                    .insert(request_id, (download.message_id, download.save_path));
            }
            return;
        }
        let frame = outbound::download(
            request_id,
            download.message_id,
            download.download_token,
            have,
        );
        session
            .pending
            .set_frame(request_id, frame.clone(), deadline_ms);
        self.send(now_ms, frame);
    }

    fn fail_download(&mut self, request_id: RequestId, code: ErrorCode) {
        let kind = self
            .session_mut()
            .and_then(|s| s.pending.remove(request_id));
        if let Some(kind) = kind {
            self.complete(request_id, Completing::Call(kind), code, None);
        }
    }

    /// The driver saved (or failed to save, with `code`) the audio of download `request_id`.
    pub fn handle_saved(&mut self, request_id: RequestId, code: ErrorCode) {
        if let Some((message_id, save_path)) = self.saving.remove(&request_id) {
            let what = Completing::Saved {
                message_id,
                save_path,
            };
            self.complete(request_id, what, code, None);
        }
    }
}
