//! The SDK's errors: `Error`, what a refused call or a failed completion says, carrying YIM's
//! code (`code()`) and, where the audio layer failed, its detailed error as the source.
//!
//! What it is: one type for every call and every awaited result, so a game matches on YIM's
//! numbers and still gets the details. What it is not: the event stream's codes (events carry
//! a bare `ErrorCode`, as YIM's callbacks do).

use std::path::PathBuf;

use yim_audio::{FileError, InputError, OutputError, PlayError, RecordError, WireError};
use yim_proto::ErrorCode;

use crate::machine::Forbid;

/// Why a call was refused or did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// YIM's code, with nothing more to say (`NotLogin`, `TimeOut`, `NetError`, ...).
    #[error("{0}")]
    Code(ErrorCode),
    /// `ForbiddenSpeak` (23): the sender, or the whole room, is muted.
    #[error("{}: muted until {} (reason {:?}{})", ErrorCode::ForbiddenSpeak, .0.end_time, .0.reason, if .0.whole_room { ", the whole room" } else { "" })]
    Forbidden(Forbid),
    /// An audio device, a file or the audio pipeline failed; `code()` is YIM's code for it.
    #[error("{code}: {0}", code = .0.code())]
    Audio(#[source] AudioError),
    /// The recording was cancelled: no result will come (`code()`: `PttNotStartRecord`, 2016,
    /// there is nothing recorded to send).
    #[error("the recording was cancelled")]
    Cancelled,
}

impl Error {
    /// YIM's code for the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Code(code) => *code,
            Error::Forbidden(_) => ErrorCode::ForbiddenSpeak,
            Error::Audio(e) => e.code(),
            Error::Cancelled => ErrorCode::PttNotStartRecord,
        }
    }

    /// The mute, for `ForbiddenSpeak`.
    pub fn forbid(&self) -> Option<&Forbid> {
        match self {
            Error::Forbidden(forbid) => Some(forbid),
            _ => None,
        }
    }

    /// The error a completion with `code` (not a success) and `forbid` stands for.
    pub(crate) fn from_completion(code: ErrorCode, forbid: Option<Forbid>) -> Error {
        match forbid {
            Some(forbid) if code == ErrorCode::ForbiddenSpeak => Error::Forbidden(forbid),
            _ => Error::Code(code),
        }
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Error {
        Error::Code(code)
    }
}

impl From<AudioError> for Error {
    fn from(error: AudioError) -> Error {
        Error::Audio(error)
    }
}

/// What failed in the audio layer, with `yim_audio`'s detailed error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The input (microphone, file) could not be opened or started.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The output (speaker) could not be opened.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The record pipeline could not start (its WAV file, say).
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Playback could not start (missing file, not a WAV, ...).
    #[error(transparent)]
    Play(#[from] PlayError),
    /// A WAV file could not be read or written.
    #[error(transparent)]
    File(#[from] FileError),
    /// Downloaded audio does not decode (`PttConvertFileFailed`, 2025).
    #[error("downloaded audio does not decode: {0}")]
    Decode(#[source] WireError),
    /// A directory could not be created (`CreateDirectoryFailed`, 49).
    #[error("cannot create the directory {}: {reason}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
}

impl AudioError {
    /// YIM's code for the failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            AudioError::Input(e) => e.code(),
            AudioError::Output(e) => e.code(),
            AudioError::Record(e) => e.code(),
            AudioError::Play(e) => e.code(),
            AudioError::File(e) => e.code(),
            AudioError::Decode(_) => ErrorCode::PttConvertFileFailed,
            AudioError::Directory { .. } => ErrorCode::CreateDirectoryFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::machine::ForbidReason;

    #[test]
    fn errors_carry_yims_code_and_their_source() {
        let missing = FileError::NotFound(PathBuf::from("/no/such.wav"));
        let error = Error::from(AudioError::from(InputError::from(missing)));
        assert_eq!(error.code(), ErrorCode::PttFileNotExist);
        let source = error.source().map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("file not found: /no/such.wav"));
        assert!(error.to_string().contains("2008"), "{error}");

        let forbid = Forbid {
            whole_room: true,
            reason: ForbidReason::Insult,
            end_time: 99,
        };
        let muted = Error::from_completion(ErrorCode::ForbiddenSpeak, Some(forbid));
        assert_eq!(muted.code(), ErrorCode::ForbiddenSpeak);
        assert_eq!(muted.forbid(), Some(&forbid));
        let plain = Error::from_completion(ErrorCode::TimeOut, Some(forbid));
        assert_eq!((plain.code(), plain.forbid()), (ErrorCode::TimeOut, None));
        assert_eq!(Error::Cancelled.code(), ErrorCode::PttNotStartRecord);
    }
}
