//! The local checks a call passes before anything is sent, with YIM's error codes.
//!
//! What it is: pure functions over a `Call` and the session `State`, built on
//! `yim_proto::limits`. What it is not: the capacity check on pending calls, or the recording
//! rules (already recording, nothing recording), which need the machine's tables (see
//! `dispatch` and `voice`).

use yim_proto::{limits, ChatType, ErrorCode};

use super::call::{Call, Recognize};
use super::state::State;
use crate::store::DeleteHistory;

/// Most messages one `QueryHistoryMessage` returns (YIM's bound).
pub const MAX_HISTORY_QUERY_COUNT: u32 = 100;
/// Most messages one `QueryRoomHistoryMessageFromServer` returns (YIM's bound).
pub const MAX_ROOM_HISTORY_COUNT: u32 = 200;
/// Most conversations `GetRecentContacts` returns (YIM's bound).
pub const MAX_RECENT_CONTACTS: usize = 100;
/// Most rooms one `SetRoomHistoryMessageSwitch` names.
pub const MAX_SWITCH_ROOMS: usize = 32;
/// Most rooms whose history is kept at once; switching one more on is `StatusError`.
pub const MAX_SAVED_ROOMS: usize = 1024;

/// The state rules: which calls may be made in which state.
pub(crate) fn check_state(state: State, call: &Call) -> Result<(), ErrorCode> {
    match (state, call) {
        // They act on the recording under way, whatever the state: with none (it ended with
        // its session, say), they fail with PttNotStartRecord.
        (_, Call::StopRecord { .. } | Call::CancelRecord) => Ok(()),
        (State::Uninitialised, _) => Err(ErrorCode::EngineNotInit),
        (State::LoggedOut, Call::Login { .. }) => Ok(()),
        // Login, logout and relogin while a session is being set up or is up.
        (
            State::Connecting
            | State::AwaitingChallenge
            | State::LoggingIn
            | State::LoggedIn
            | State::Reconnecting,
            Call::Login { .. },
        ) => Err(ErrorCode::AlreadyLogin),
        // The old session is still being closed: "logout then login" must wait for OnLogout.
        (State::LoggingOut, Call::Login { .. }) => Err(ErrorCode::StatusError),
        (State::LoggingOut, Call::Logout) => Err(ErrorCode::StatusError),
        (State::LoggedIn | State::Reconnecting, _) => Ok(()),
        (_, _) => Err(ErrorCode::NotLogin),
    }
}

/// The parameter rules of each call.
pub(crate) fn check_params(call: &Call) -> Result<(), ErrorCode> {
    match call {
        Call::Login {
            user_id,
            password,
            token,
        } => {
            limits::check_user_id(user_id)?;
            limits::check_password(password)?;
            limits::check_token(token)
        }
        Call::Logout | Call::LeaveAllChatRooms | Call::CancelRecord => Ok(()),
        Call::JoinChatRoom { room_id }
        | Call::LeaveChatRoom { room_id }
        | Call::GetRoomMemberCount { room_id } => limits::check_room_id(room_id),
        Call::SendText {
            receiver_id,
            chat_type,
            text,
            attach,
        } => {
            limits::check_receiver(receiver_id, *chat_type)?;
            limits::check_text(text, attach)
        }
        Call::SendCustom {
            receiver_id,
            chat_type,
            content,
        } => {
            limits::check_receiver(receiver_id, *chat_type)?;
            limits::check_custom(content)
        }
        // Recognising only sends nothing: the receiver does not matter.
        Call::StartRecord {
            recognize: Recognize::Only,
            ..
        } => Ok(()),
        Call::StartRecord {
            receiver_id,
            chat_type,
            ..
        } => limits::check_receiver(receiver_id, *chat_type),
        Call::StopRecord { extra_param } => limits::check_text("", extra_param),
        Call::SendAudioFile {
            receiver_id,
            chat_type,
            recognize,
            extra_param,
            ..
        } => {
            if *recognize != Recognize::Only {
                limits::check_receiver(receiver_id, *chat_type)?;
            }
            limits::check_text("", extra_param)
        }
        Call::DownloadAudio {
            message_id,
            save_path,
        } => {
            if *message_id == 0 || save_path.as_os_str().is_empty() {
                Err(ErrorCode::ParamInvalid)
            } else {
                Ok(())
            }
        }
        Call::QueryHistoryMessage {
            target_id,
            chat_type,
            count,
            ..
        } => {
            limits::check_receiver(target_id, *chat_type)?;
            check_count(*count, MAX_HISTORY_QUERY_COUNT)
        }
        Call::SetRoomHistoryMessageSwitch { room_ids, .. } => {
            if room_ids.is_empty() || room_ids.len() > MAX_SWITCH_ROOMS {
                return Err(ErrorCode::ParamInvalid);
            }
            room_ids
                .iter()
                .try_for_each(|room| limits::check_room_id(room))
        }
        Call::DeleteHistoryMessage(delete) => match delete {
            DeleteHistory::OlderThan { .. } => Ok(()),
            DeleteHistory::Conversation {
                target_id,
                chat_type,
            } => limits::check_receiver(target_id, *chat_type),
            DeleteHistory::Message { message_id } => check_message_id(*message_id),
        },
        Call::GetRecentContacts => Ok(()),
        Call::SetMessageRead { message_id, .. }
        | Call::SetVoiceMessagePlayed { message_id, .. } => check_message_id(*message_id),
        Call::SetAllMessageRead { user_id, .. } if user_id.is_empty() => Ok(()),
        Call::SetAllMessageRead { user_id, .. } => {
            limits::check_receiver(user_id, ChatType::Private)
        }
        Call::QueryRoomHistoryMessageFromServer { room_id, count, .. } => {
            limits::check_room_id(room_id)?;
            check_count(*count, MAX_ROOM_HISTORY_COUNT)
        }
    }
}

/// A count of messages to return: 1 to `max`.
fn check_count(count: u32, max: u32) -> Result<(), ErrorCode> {
    if count == 0 || count > max {
        Err(ErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}

/// Message IDs start at 1.
fn check_message_id(message_id: u64) -> Result<(), ErrorCode> {
    if message_id == 0 {
        Err(ErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}

/// Longest app key `init` accepts, in bytes.
pub const MAX_APP_KEY_BYTES: usize = 255;
/// Longest app secret `init` accepts, in bytes.
pub const MAX_APP_SECRET_BYTES: usize = 1024;

/// The rules of `init`: a non-empty key and secret of bounded length.
pub(crate) fn check_init(app_key: &str, app_secret: &str) -> Result<(), ErrorCode> {
    if app_key.is_empty()
        || app_secret.is_empty()
        || app_key.len() > MAX_APP_KEY_BYTES
        || app_secret.len() > MAX_APP_SECRET_BYTES
    {
        Err(ErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}
