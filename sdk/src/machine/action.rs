//! What the machine asks its driver to do, and what the driver hands back: `Action`s on the
//! transport, `AudioTask`s on the audio side (capture, files), and a finished recording
//! (`Recorded`).
//!
//! What it is: plain data. The driver executes every action and task in order and reports
//! the outcome through the `handle_*` input it names. What it is not: the rules that decide
//! when each is asked for (see the rule modules).

use std::path::PathBuf;

use super::call::{Recognize, RequestId};

/// Something the driver must do to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a connection to `addr` ("host:port"), then call `handle_connected` or, if it
    /// fails, `handle_disconnect`.
    Connect {
        /// The server's address.
        addr: String,
    },
    /// Close the current connection. The machine has already forgotten it: do not report its
    /// disconnect.
    Close {
        /// Why, for logs.
        reason: String,
    },
}

/// Where a recording's audio comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureSource {
    /// The input device of the client's audio setup.
    Microphone,
    /// A WAV file, taken whole (up to 60 s) when the recording is finished.
    File(PathBuf),
}

/// Audio work for the driver. Each task that names a request is answered through the input
/// it names; the others have no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioTask {
    /// Start capturing recording `request_id` from `source` (keeping the samples for speech to
    /// text unless `recognize` is `No`). If it cannot start, call `handle_capture_failed`
    /// before anything else.
    StartCapture {
        /// The recording.
        request_id: RequestId,
        /// Where its audio comes from.
        source: CaptureSource,
        /// Whether speech to text runs on it.
        recognize: Recognize,
    },
    /// Finish recording `request_id` (its audio: `recorded_ms` of it from a capture that only
    /// runs when finished, or all there is when `None`), run speech to text, then call
    /// `handle_recorded` with the clip or the failing code.
    FinishCapture {
        /// The recording.
        request_id: RequestId,
        /// How long it recorded by the machine's clock, at most 60 s; `None`: take all.
        recorded_ms: Option<u64>,
    },
    /// Abandon recording `request_id` and delete its file; there is no answer.
    CancelCapture {
        /// The recording.
        request_id: RequestId,
    },
    /// Delete a recording's local file that nothing will use (its recording ended first).
    DeleteFile {
        /// The file.
        path: PathBuf,
    },
    /// Decode the downloaded voice audio `encoded` and write it as a WAV file at `save_path`
    /// (creating its directories), then call `handle_saved` with the outcome.
    SaveAudio {
        /// The download.
        request_id: RequestId,
        /// Where to write the WAV.
        save_path: PathBuf,
        /// The audio as the server keeps it.
        encoded: Vec<u8>,
    },
}

/// A finished recording, as the driver hands it over with `handle_recorded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The encoded audio to upload.
    pub encoded: Vec<u8>,
    /// Length of the recording.
    pub duration_ms: u32,
    /// Speech-to-text result; empty when not asked for.
    pub text: String,
    /// The local WAV; empty when none is kept.
    pub audio_path: PathBuf,
    /// The recording stopped by itself at the 60 s limit: the codes are `PttReachMaxDuration`
    /// (2009), which counts as success.
    pub reached_max_duration: bool,
}
