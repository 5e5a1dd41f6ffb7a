//! A message delivered to the application (YIM `IYIMMessage`) and its body.
//!
//! What it is: plain data built from the wire's `Message` (see `inbound`). What it is not:
//! the rules of delivery (once, in order, members only; see `deliver`).

use yim_proto::ChatType;

/// The body of a received message (YIM `IYIMMessageBody*`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MessageBody {
    /// YIM TXT: the text and its attach parameter.
    Text {
        /// The text.
        content: String,
        /// The sender's attach parameter.
        attach: String,
    },
    /// YIM CustomMesssage: raw bytes.
    Custom(Vec<u8>),
    /// YIM Voice: a voice message; its audio is fetched with `Call::DownloadAudio`.
    Voice {
        /// Bytes of encoded audio on the server.
        file_size: u64,
        /// Length of the recording in milliseconds (YIM's `GetAudioTime` is in seconds).
        duration_ms: u32,
        /// Speech-to-text result; empty when not recognised.
        text: String,
        /// YIM's extraParam.
        extra_param: String,
    },
}

/// A delivered message (YIM `IYIMMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReceivedMessage {
    /// Server message ID, unique across server restarts.
    pub message_id: u64,
    /// Who sent it.
    pub sender_id: String,
    /// The receiving user for private chat, the room for room chat.
    pub receiver_id: String,
    /// `ChatType::Unknown` if the server sent a number this SDK does not know.
    pub chat_type: ChatType,
    /// Unix seconds.
    pub create_time: u64,
    /// Per-room sequence number (1, 2, ...); 0 for private chat.
    pub room_seq: u64,
    /// What it says.
    pub body: MessageBody,
}
