//! Limits both ends enforce, and the checks that map a violation to YIM's error code.
//!
//! The SDK runs these checks before sending anything (so a bad call fails at once with the
//! code YIM documents); the server runs them again, because it never trusts a client.

use crate::error_code::ErrorCode;
use crate::wire::ChatType;

/// User and room IDs: 1-255 bytes of ASCII letters, digits and underscores.
pub const MAX_ID_BYTES: usize = 255;
/// Message text, in UTF-8 bytes (YIM: 2 KB).
pub const MAX_TEXT_BYTES: usize = 2048;
/// The attach parameter sent with a text message.
pub const MAX_ATTACH_BYTES: usize = 1024;
/// A custom (binary) message body.
pub const MAX_CUSTOM_BYTES: usize = 2048;
/// Passwords.
pub const MAX_PASSWORD_BYTES: usize = 255;
/// Login tokens.
pub const MAX_TOKEN_BYTES: usize = 512;
/// Rooms one user may be in at once.
pub const MAX_ROOMS_PER_USER: usize = 32;
/// Largest YIM ForbidSpeakReason.
pub const MAX_FORBID_REASON: u32 = 7;

/// True if `id` is a valid user or room ID.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_BYTES
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A login user ID: ParamInvalid unless valid.
pub fn check_user_id(user_id: &str) -> Result<(), ErrorCode> {
    if is_valid_id(user_id) {
        Ok(())
    } else {
        Err(ErrorCode::ParamInvalid)
    }
}

/// A login password: non-empty and at most [`MAX_PASSWORD_BYTES`].
pub fn check_password(password: &str) -> Result<(), ErrorCode> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        Err(ErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}

/// A login token: may be empty, at most [`MAX_TOKEN_BYTES`].
pub fn check_token(token: &str) -> Result<(), ErrorCode> {
    if token.len() > MAX_TOKEN_BYTES {
        Err(ErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}

/// A room ID to join, leave or count: RoomIDTooLong past 255 bytes, else ParamInvalid unless valid.
pub fn check_room_id(room_id: &str) -> Result<(), ErrorCode> {
    if room_id.len() > MAX_ID_BYTES {
        Err(ErrorCode::RoomIDTooLong)
    } else if is_valid_id(room_id) {
        Ok(())
    } else {
        Err(ErrorCode::ParamInvalid)
    }
}

/// The receiver and chat type of a send.
pub fn check_receiver(receiver_id: &str, chat_type: ChatType) -> Result<(), ErrorCode> {
    if chat_type == ChatType::Unknown {
        return Err(ErrorCode::InvalidChatType);
    }
    if receiver_id.is_empty() {
        return Err(ErrorCode::ReceiverEmpty);
    }
    if receiver_id.len() > MAX_ID_BYTES {
        return Err(match chat_type {
            ChatType::Room => ErrorCode::RoomIDTooLong,
            _ => ErrorCode::ReceiverTooLong,
        });
    }
    if !is_valid_id(receiver_id) {
        return Err(ErrorCode::InvalidReceiver);
    }
    Ok(())
}

/// A text message and its attach parameter.
pub fn check_text(text: &str, attach: &str) -> Result<(), ErrorCode> {
    if text.len() > MAX_TEXT_BYTES || attach.len() > MAX_ATTACH_BYTES {
        Err(ErrorCode::MessageTooLong)
    } else {
        Ok(())
    }
}

/// The most encoded audio one voice message may carry: 60 s at up to about 32 kbit/s.
pub const MAX_AUDIO_BYTES: u64 = 256 * 1024;
/// The most audio bytes in one `UploadAudio` or `AudioChunk`.
pub const MAX_AUDIO_CHUNK_BYTES: usize = 16 * 1024;
/// The longest voice message (YIM: 60 s; the recorder stops and sends by itself there).
pub const MAX_VOICE_DURATION_MS: u32 = 60_000;

/// A voice message's fields: size within `MAX_AUDIO_BYTES`, duration within
/// `MAX_VOICE_DURATION_MS`, recognised text and extra parameter within the text limits.
pub fn check_voice(
    file_size: u64,
    duration_ms: u32,
    text: &str,
    extra_param: &str,
) -> Result<(), ErrorCode> {
    if file_size == 0 || file_size > MAX_AUDIO_BYTES || duration_ms > MAX_VOICE_DURATION_MS {
        return Err(ErrorCode::ParamInvalid);
    }
    check_text(text, extra_param)
}

/// A custom message body.
pub fn check_custom(content: &[u8]) -> Result<(), ErrorCode> {
    if content.len() > MAX_CUSTOM_BYTES {
        Err(ErrorCode::MessageTooLong)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("alice_01"));
        assert!(is_valid_id(&"a".repeat(255)));
        assert!(!is_valid_id(&"a".repeat(256)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("bob smith"));
        assert!(!is_valid_id("é"));
        assert_eq!(
            check_room_id(&"r".repeat(256)),
            Err(ErrorCode::RoomIDTooLong)
        );
        assert_eq!(check_room_id("a-b"), Err(ErrorCode::ParamInvalid));
    }

    #[test]
    fn receivers() {
        assert_eq!(
            check_receiver("", ChatType::Private),
            Err(ErrorCode::ReceiverEmpty)
        );
        assert_eq!(
            check_receiver("bob", ChatType::Unknown),
            Err(ErrorCode::InvalidChatType)
        );
        let long = "x".repeat(256);
        assert_eq!(
            check_receiver(&long, ChatType::Private),
            Err(ErrorCode::ReceiverTooLong)
        );
        assert_eq!(
            check_receiver(&long, ChatType::Room),
            Err(ErrorCode::RoomIDTooLong)
        );
        assert_eq!(
            check_receiver("a b", ChatType::Room),
            Err(ErrorCode::InvalidReceiver)
        );
        assert_eq!(check_receiver("world", ChatType::Room), Ok(()));
    }

    #[test]
    fn sizes() {
        assert_eq!(check_text(&"x".repeat(2048), ""), Ok(()));
        assert_eq!(
            check_text(&"x".repeat(2049), ""),
            Err(ErrorCode::MessageTooLong)
        );
        assert_eq!(
            check_text("hi", &"a".repeat(1025)),
            Err(ErrorCode::MessageTooLong)
        );
        assert_eq!(check_custom(&[0; 2049]), Err(ErrorCode::MessageTooLong));
        assert_eq!(check_password(""), Err(ErrorCode::ParamInvalid));
    }
}
