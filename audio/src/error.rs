//! Typed errors, one enum per operation, each mapping to a YIM error code with `code()`.
//!
//! These never carry `Box<dyn Error>`: the source of a failure is described by a variant and a
//! message, so callers can match on it and the SDK can report YIM's number.

use std::path::PathBuf;

use yim_proto::ErrorCode;

/// Opening, reading or writing an audio file (WAV).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file does not exist.
    #[error("file not found: {0}")]
    NotFound(PathBuf),
    /// The file exists but is not a WAV file (or is a corrupt one).
    #[error("not a WAV file: {path}: {reason}")]
    NotWav {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A WAV file in a layout this crate does not handle (bit depth, channel count, rate, length).
    #[error("unsupported WAV: {0}")]
    Unsupported(String),
    /// Any other I/O failure.
    #[error("I/O error on {path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        reason: String,
    },
}

impl FileError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            FileError::NotFound(_) => ErrorCode::PttFileNotExist,
            FileError::NotWav { .. } | FileError::Unsupported(_) => ErrorCode::PttUnsupprtFormat,
            FileError::Io { .. } => ErrorCode::PttReadWriteFileError,
        }
    }
}

/// Capturing audio.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// No capture device (or the default one cannot be opened).
    #[error("no audio input device: {0}")]
    NoDevice(String),
    /// Permission to record was refused.
    #[error("recording permission denied: {0}")]
    PermissionDenied(String),
    /// The device exists but the stream could not be built, started or kept running.
    #[error("capture stream failed: {0}")]
    StreamFailed(String),
    /// The device offers a rate, channel count or sample format the pipeline does not accept.
    #[error("unsupported input format: {0}")]
    UnsupportedFormat(String),
    /// A file-backed input could not read its file.
    #[error(transparent)]
    File(#[from] FileError),
}

impl InputError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            InputError::NoDevice(_) => ErrorCode::PttNoAudioDevice,
            InputError::PermissionDenied(_) => ErrorCode::PttAuthorize,
            InputError::StreamFailed(_) | InputError::UnsupportedFormat(_) => {
                ErrorCode::PttStartRecordFailed
            }
            InputError::File(e) => e.code(),
        }
    }
}

/// Playing audio to an output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// No playback device.
    #[error("no audio output device: {0}")]
    NoDevice(String),
    /// The stream could not be built or started, or failed while playing.
    #[error("playback failed: {0}")]
    PlayFailed(String),
    /// A file-backed output could not write its file.
    #[error(transparent)]
    File(#[from] FileError),
}

impl OutputError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            OutputError::NoDevice(_) => ErrorCode::PttNoAudioDevice,
            OutputError::PlayFailed(_) => ErrorCode::PttStartPlayFailed,
            OutputError::File(e) => e.code(),
        }
    }
}

/// Speech to text.
#[derive(Debug, thiserror::Error)]
pub enum RecognizeError {
    /// The recognizer (program or model) is not installed.
    #[error("speech recognizer not available: {0}")]
    NotAvailable(String),
    /// The audio is not 16 kHz mono, or is empty or too long.
    #[error("bad recognizer input: {0}")]
    BadInput(String),
    /// Nothing recognisable was heard.
    #[error("no speech recognised")]
    NoSpeech,
    /// The engine ran and failed, or did not answer in time.
    #[error("recognition failed: {0}")]
    Failed(String),
}

impl RecognizeError {
    /// The YIM code for this error: always `PTT_RecognizeFailed`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::PttRecognizeFailed
    }
}

/// Parsing or decoding the wire encoding of a voice message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than the header or a packet announces.
    #[error("truncated: needed {needed} bytes at offset {offset}")]
    Truncated {
        /// Where the missing bytes start.
        offset: usize,
        /// How many were needed.
        needed: usize,
    },
    /// More than [`crate::limits::MAX_WIRE_BYTES`].
    #[error("encoded audio too large: {0} bytes")]
    TooLarge(usize),
    /// The first four bytes are not the magic.
    #[error("bad magic")]
    BadMagic,
    /// A version this decoder does not know.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// A codec this decoder does not know.
    #[error("unknown codec {0}")]
    UnknownCodec(u8),
    /// A header field out of range or inconsistent with another.
    #[error("bad header: {0}")]
    BadHeader(&'static str),
    /// A zero-length packet.
    #[error("empty packet {0}")]
    EmptyPacket(usize),
    /// Bytes after the last packet.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// The codec rejected a packet.
    #[error("packet {index} does not decode: {reason}")]
    Codec {
        /// Packet index.
        index: usize,
        /// The codec's message.
        reason: String,
    },
}

impl WireError {
    /// The YIM code for this error: the file cannot be parsed.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::PttResolveFileError
    }
}

/// Recording a voice message through the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// Bad configuration (a limit out of range).
    #[error("bad record config: {0}")]
    Config(&'static str),
    /// The input failed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The local WAV file could not be written.
    #[error(transparent)]
    File(#[from] FileError),
    /// Shorter than the minimum, or no speech detected (`PTT_SpeechTooShort`).
    #[error("speech too short: {duration_ms} ms recorded, {speech_ms} ms of speech")]
    SpeechTooShort {
        /// Length of the recording.
        duration_ms: u32,
        /// How much of it the voice detector judged to be speech.
        speech_ms: u32,
    },
    /// The resampler or the encoder failed (should not happen with validated formats).
    #[error("audio processing failed: {0}")]
    Processing(String),
    /// The recording worker thread died.
    #[error("recording worker failed: {0}")]
    Worker(&'static str),
    /// Pushed after `finish` or a max-duration stop.
    #[error("recording already finished")]
    Finished,
}

impl RecordError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            RecordError::Config(_) => ErrorCode::ParamInvalid,
            RecordError::Input(e) => e.code(),
            RecordError::File(e) => e.code(),
            RecordError::SpeechTooShort { .. } => ErrorCode::PttSpeechTooShort,
            RecordError::Processing(_) => ErrorCode::PttStartRecordFailed,
            RecordError::Worker(_) => ErrorCode::PttStopRecordFailed,
            RecordError::Finished => ErrorCode::PttNotStartRecord,
        }
    }
}

/// Starting playback or changing its settings.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// The file is missing or not a usable WAV.
    #[error(transparent)]
    File(#[from] FileError),
    /// The output could not be opened.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A volume outside 0.0..=1.0 (or NaN).
    #[error("volume {0} outside 0.0..=1.0")]
    VolumeOutOfRange(f32),
}

impl PlayError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            PlayError::File(e) => e.code(),
            PlayError::Output(e) => e.code(),
            PlayError::VolumeOutOfRange(_) => ErrorCode::ParamInvalid,
        }
    }
}

/// Building a synthetic source.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// A character the tone code has no symbol for (only `a-z`, `0-9` and space).
    #[error("character {0:?} cannot be spoken by the synthetic source")]
    UnsupportedChar(char),
    /// Text longer than [`crate::limits::MAX_SYNTH_TEXT`].
    #[error("text longer than {0} characters")]
    TextTooLong(usize),
    /// A rate, channel count, amplitude or frequency out of range.
    #[error("bad synthetic source parameter: {0}")]
    BadParameter(&'static str),
}

impl SynthError {
    /// The YIM code for this error.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ParamInvalid
    }
}
