//! The completions of sends: `SendStatus` (text and custom messages) and `AudioStatus` (voice
//! messages), and the mute a refused send reports (`Forbid`, `ForbidReason`).
//!
//! What it is: plain data with YIM's fields. What it is not: where the fields come from (see
//! `inbound::send_status` and `complete`).

use std::path::PathBuf;

use yim_proto::ErrorCode;

use super::call::RequestId;

/// YIM's `YIMForbidSpeakReason`: why an operator muted a user or a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u32)]
pub enum ForbidReason {
    /// No reason given (YIM `Unkown`, 0); also any number YIM does not define.
    Unknown = 0,
    /// Advertising (YIM `AD`, 1).
    Advertising = 1,
    /// Insults (2).
    Insult = 2,
    /// Politics (3).
    Politics = 3,
    /// Terrorism (4).
    Terrorism = 4,
    /// Reactionary content (5).
    Reactionary = 5,
    /// Pornography (YIM `Sexy`, 6).
    Pornography = 6,
    /// Anything else (7).
    Other = 7,
}

impl ForbidReason {
    /// Every reason, in numeric order.
    pub const ALL: [ForbidReason; 8] = [
        ForbidReason::Unknown,
        ForbidReason::Advertising,
        ForbidReason::Insult,
        ForbidReason::Politics,
        ForbidReason::Terrorism,
        ForbidReason::Reactionary,
        ForbidReason::Pornography,
        ForbidReason::Other,
    ];

    /// YIM's number for the reason.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The reason with YIM's number `value`; numbers YIM does not define are `Unknown`.
    pub fn from_u32(value: u32) -> ForbidReason {
        ForbidReason::ALL
            .into_iter()
            .find(|reason| reason.as_u32() == value)
            .unwrap_or(ForbidReason::Unknown)
    }
}

/// The mute behind a `ForbiddenSpeak` (23) send: YIM's `isForbidRoom`, `reasonType` and
/// `forbidEndTime`, which mean something only with that code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Forbid {
    /// True if the whole room is muted, false if only the sender is.
    pub whole_room: bool,
    /// Why.
    pub reason: ForbidReason,
    /// When the mute ends, unix seconds.
    pub end_time: u64,
}

/// The completion of a text or custom send (YIM `OnSendMessageStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SendStatus {
    /// The send this completes.
    pub request_id: RequestId,
    /// `Success`, or why it failed.
    pub code: ErrorCode,
    /// Server send time, unix seconds; 0 when the server did not say.
    pub send_time: u64,
    /// The mute, when `code` is `ForbiddenSpeak` and the server said which.
    pub forbid: Option<Forbid>,
    /// Server message ID; 0 when the send failed.
    pub message_id: u64,
}

/// The completion of a voice message (YIM `OnSendAudioMessageStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AudioStatus {
    /// The recording this completes.
    pub request_id: RequestId,
    /// `Success`, or `PttReachMaxDuration` (2009, also a success: the recording hit 60 s and
    /// was sent by itself), or why it failed.
    pub code: ErrorCode,
    /// Speech-to-text result; empty when not asked for or not recognised.
    pub text: String,
    /// The local WAV of the recording; empty when none was kept.
    pub audio_path: PathBuf,
    /// Length of the recording.
    pub duration_ms: u32,
    /// Server send time, unix seconds; 0 when the server did not say.
    pub send_time: u64,
    /// The mute, when `code` is `ForbiddenSpeak` and the server said which.
    pub forbid: Option<Forbid>,
    /// Server message ID; 0 when the send failed.
    pub message_id: u64,
}
