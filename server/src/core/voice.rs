//! Voice messages' audio: resumable chunked uploads, the blob a voice send turns its upload
//! into, and chunked downloads of it. Sending the voice message itself (dedupe, membership,
//! mutes, mailbox, room log, fan-out) is the common send path in `messaging`; this module
//! only checks a voice body, takes its audio, and stores it under the message ID.
//!
//! Uploads, kept in the store per (app, user, upload key) so they survive restarts:
//! - `UploadAudio` needs a logged-in user (else NotLogin). ParamInvalid when the key is 0,
//!   the total size is 0 or above `MAX_AUDIO_BYTES`, the chunk is above
//!   `MAX_AUDIO_CHUNK_BYTES`, it ends past the total size, or the total size differs from
//!   the existing upload's.
//! - A chunk starting at or before the received count is taken from that count on (the
//!   overlap is ignored, so a resend stores nothing twice); one starting past it is refused
//!   with ParamInvalid.
//! - Every reply carries `UploadState{received}` when the upload exists, and a refused gap
//!   carries it also when it does not (received 0), so the client knows where to resume.
//!   Store failures reply ServerError without it.
//! - Bounds: starting an upload when the user already has `max_uploads_per_user` drops the
//!   oldest; uploads untouched for `upload_max_age_secs` are purged by the periodic sweep.
//!
//! A voice send (`Voice` body) passes `limits::check_voice` and names a complete upload of
//! exactly `file_size` bytes, else it fails with PTT_UploadFail (2004) and nothing is
//! delivered (the upload stays). Once the message has its ID the audio is stored as the blob
//! (app, message ID) with its sender and a fresh random 64-bit download token, and the
//! delivered body says `audio_id = message_id, upload_key = 0, download_token`; the blob, the
//! end of the upload and the message are one commit, so a failed send leaves the upload for a
//! retry and no blob behind. Each chunk is its own commit, answered only once committed.
//!
//! Downloads are private: `DownloadAudio` succeeds for the message's sender, and for a user
//! of the app that gives the message's download token, which the server hands out only inside
//! the message: to the private receiver, and to the room's members when it was sent (the
//! fan-out) or who missed it while away (the replay of a resuming join). Anyone else, audio ID
//! 0, an unknown (or purged) ID, or an offset past the end get the same ParamInvalid (3), so
//! a download says nothing of whether a message exists. Message IDs are small and sequential;
//! the token is what makes them useless to guess. Otherwise Success with `AudioChunk` of at
//! most min(max_bytes, `MAX_AUDIO_CHUNK_BYTES`) bytes (max_bytes 0: the maximum): one chunk
//! per request, so a download never floods the connection's queue. Blobs are purged
//! `audio_retention_secs` after their message and capped at `max_audio_blobs` per app (the
//! oldest dropped).

use yim_hooks::planted::{self, Bug};
use yim_proto::limits::{self, MAX_AUDIO_BYTES, MAX_AUDIO_CHUNK_BYTES};
use yim_proto::wire::{
    body, reply, AudioChunk, DownloadAudio, Message, UploadAudio, UploadState, Voice,
};
use yim_proto::ErrorCode;

use super::io::{ConnId, Now};
use super::messaging::Refusal;
use super::state::ServerCore;
use crate::store::{StoreError, UploadAppend, Write};

/// The audio of a voice send, taken from its complete upload.
pub(super) struct VoiceAudio {
    upload_key: u64,
    data: Vec<u8>,
}

/// Why a chunk was refused, and the received count to report (None: report nothing).
struct UploadRefusal {
    code: ErrorCode,
    received: Option<u64>,
}

impl ServerCore {
    pub(super) fn handle_upload(&mut self, now: Now, conn: ConnId, upload: UploadAudio) {
        let Some((app_key, user_id)) = self.require_user(conn, upload.request_id) else {
            return;
        };
        let (code, received) = match self.upload_chunk(now, &app_key, &user_id, &upload) {
            Ok(received) => (ErrorCode::Success, Some(received)),
            Err(UploadRefusal { code, received }) => (code, received),
        };
        let detail = received.map(|received| reply::Detail::UploadState(UploadState { received }));
        self.reply_with(conn, upload.request_id, code, detail);
    }

    /// Checks and stores one chunk; returns the upload's received count after it.
    fn upload_chunk(
        &mut self,
        now: Now,
        app_key: &str,
        user_id: &str,
        upload: &UploadAudio,
    ) -> Result<u64, UploadRefusal> {
        let key = upload.upload_key;
        let current = if key == 0 {
            None
        } else {
            self.store
                .0
                .upload(app_key, user_id, key)
                .map_err(upload_store_failed)?
        };
        let known = current.map(|u| u.received);
        let len = u64::try_from(upload.data.len()).unwrap_or(u64::MAX);
        let total = upload.total_size;
        let invalid = key == 0
            || total == 0
            || total > MAX_AUDIO_BYTES
            || upload.data.len() > MAX_AUDIO_CHUNK_BYTES
            || upload.offset.checked_add(len).is_none_or(|end| end > total)
            || current.is_some_and(|u| u.total_size != total);
        if invalid {
            return Err(UploadRefusal {
                code: ErrorCode::ParamInvalid,
                received: known,
            });
        }
        let received = known.unwrap_or(0);
        if upload.offset > received {
            return Err(UploadRefusal {
                code: ErrorCode::ParamInvalid,
                received: Some(received),
            });
        }
        // The part already held is skipped: a resend stores nothing twice.
        let skip = usize::try_from(received - upload.offset).unwrap_or(usize::MAX);
        if skip > 0 {
            yim_hooks::probe::hit(yim_hooks::probe::Probe::VoiceUploadResumed);
        }
        let fresh = upload.data.get(skip..).unwrap_or_default();
        if current.is_none() {
            self.make_room_for_upload(app_key, user_id)
                .map_err(upload_store_failed)?;
        }
        let append = UploadAppend {
            total_size: total,
            at: received,
            data: fresh.to_vec(),
            now_secs: now.wall_secs(),
        };
        let received_after = received + u64::try_from(fresh.len()).unwrap_or(u64::MAX);
        self.stage(Write::AppendUpload {
            app_key: app_key.to_owned(),
            user_id: user_id.to_owned(),
            upload_key: key,
            append,
        });
        self.commit().map_err(upload_store_failed)?;
        Ok(received_after)
    }

    /// Stages the deletion of the user's oldest uploads until one more fits within
    /// `max_uploads_per_user`.
    fn make_room_for_upload(&mut self, app_key: &str, user_id: &str) -> Result<(), StoreError> {
        let keys = self.store.0.upload_keys(app_key, user_id)?;
        let max = self.limits.max_uploads_per_user;
        // The config keeps the bound at least 1.
        let excess = (keys.len() + 1).saturating_sub(max);
        for key in keys.into_iter().take(excess) {
            tracing::info!(user = %user_id, upload_key = key, "dropping the oldest upload");
            self.stage(Write::DeleteUpload {
                app_key: app_key.to_owned(),
                user_id: user_id.to_owned(),
                upload_key: key,
            });
        }
        Ok(())
    }

    pub(super) fn handle_download(&mut self, conn: ConnId, download: DownloadAudio) {
        let Some((app_key, user_id)) = self.require_user(conn, download.request_id) else {
            return;
        };
        match self.audio_chunk(&app_key, &user_id, &download) {
            Ok(chunk) => self.reply_with(
                conn,
                download.request_id,
                ErrorCode::Success,
                Some(reply::Detail::AudioChunk(chunk)),
            ),
            Err(code) => self.reply(conn, download.request_id, code),
        }
    }

    fn audio_chunk(
        &self,
        app_key: &str,
        user_id: &str,
        download: &DownloadAudio,
    ) -> Result<AudioChunk, ErrorCode> {
        if download.audio_id == 0 {
            return Err(ErrorCode::ParamInvalid);
        }
        let max_len = match usize::try_from(download.max_bytes) {
            Ok(0) | Err(_) => MAX_AUDIO_CHUNK_BYTES,
            Ok(n) => n.min(MAX_AUDIO_CHUNK_BYTES),
        };
        let range = self
            .store
            .0
            .audio_range(app_key, download.audio_id, download.offset, max_len)
            .map_err(|e| {
                tracing::error!(error = %e, "store failure reading audio");
                ErrorCode::ServerError
            })?
            .ok_or(ErrorCode::ParamInvalid)?;
        let token_opens =
            range.download_token != 0 && download.download_token == range.download_token;
        let sender = !range.sender_id.is_empty() && range.sender_id == user_id;
        if !(token_opens || sender || planted::active(Bug::LeakVoiceAudio)) {
            return Err(ErrorCode::ParamInvalid); // as for an unknown ID
        }
        if download.offset > range.total_size {
            return Err(ErrorCode::ParamInvalid);
        }
        let mut data = range.data;
        if yim_hooks::planted::active(yim_hooks::planted::Bug::CorruptAudio) {
            data.reverse();
        }
        Ok(AudioChunk {
            total_size: range.total_size,
            offset: download.offset,
            data,
        })
    }

    /// Checks a voice send's fields and takes its audio from its complete upload.
    pub(super) fn voice_audio(
        &self,
        app_key: &str,
        user_id: &str,
        voice: &Voice,
    ) -> Result<VoiceAudio, Refusal> {
        limits::check_voice(
            voice.file_size,
            voice.duration_ms,
            &voice.text,
            &voice.extra_param,
        )?;
        let key = voice.upload_key;
        if key == 0 {
            return Err(ErrorCode::PttUploadFail.into());
        }
        let upload = self
            .store
            .0
            .upload(app_key, user_id, key)
            .map_err(send_store_failed)?;
        let complete = upload.is_some_and(|u| u.received == u.total_size);
        if !complete || upload.is_some_and(|u| u.total_size != voice.file_size) {
            return Err(ErrorCode::PttUploadFail.into());
        }
        let data = self
            .store
            .0
            .upload_data(app_key, user_id, key)
            .map_err(send_store_failed)?
            .ok_or(ErrorCode::PttUploadFail)?;
        if u64::try_from(data.len()).ok() != Some(voice.file_size) {
            tracing::error!(user = %user_id, upload_key = key, "upload data and state disagree");
            return Err(ErrorCode::PttUploadFail.into());
        }
        Ok(VoiceAudio {
            upload_key: key,
            data,
        })
    }

    /// Stages the audio as the blob of the message (which has its ID), and the end of its
    /// upload, and points the message's voice body at the blob.
    pub(super) fn stage_audio(
        &mut self,
        app_key: &str,
        user_id: &str,
        message: &mut Message,
        audio: VoiceAudio,
    ) {
        let id = message.message_id;
        // Never 0, which opens nothing.
        let download_token = rand_core::RngCore::next_u64(&mut self.rng) | 1;
        self.stage(Write::PutAudio {
            app_key: app_key.to_owned(),
            audio_id: id,
            create_time: message.create_time,
            sender_id: user_id.to_owned(),
            download_token,
            data: audio.data,
            max_blobs: self.limits.max_audio_blobs,
        });
        self.stage(Write::DeleteUpload {
            app_key: app_key.to_owned(),
            user_id: user_id.to_owned(),
            upload_key: audio.upload_key,
        });
        if let Some(body::Kind::Voice(voice)) = message.body.as_mut().and_then(|b| b.kind.as_mut())
        {
            voice.audio_id = id;
            voice.upload_key = 0;
            voice.download_token = download_token;
        }
    }

    /// The sweep's part: uploads untouched too long and audio past its retention.
    pub(super) fn stage_voice_purges(&mut self, now: Now) {
        let now_secs = now.wall_secs();
        self.stage(Write::PurgeUploads {
            before_secs: now_secs.saturating_sub(self.limits.upload_max_age_secs),
        });
        self.stage(Write::PurgeAudio {
            before_secs: now_secs.saturating_sub(self.limits.audio_retention_secs),
        });
    }
}

fn upload_store_failed(e: StoreError) -> UploadRefusal {
    tracing::error!(error = %e, "store failure during an upload");
    UploadRefusal {
        code: ErrorCode::ServerError,
        received: None,
    }
}

fn send_store_failed(e: StoreError) -> Refusal {
    tracing::error!(error = %e, "store failure during a voice send");
    ErrorCode::ServerError.into()
}
