//! What an application asks of the client: the `Call` enum, and the `RequestId` each accepted
//! call is given.
//!
//! What it is: plain data mirroring YIM's calls one for one. What it is not: validation (see
//! `validate`) or the wire frames the calls become (see `outbound`).

use std::fmt;

use yim_proto::ChatType;

/// The client's number for one accepted call, echoed in its one completion event.
/// Allocated by the machine: 1, 2, 3, ... in the order calls are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl RequestId {
    /// The number, as carried on the wire.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One application call that gets a completion event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// YIM `Login(userID, password, token)`; completes with `Event::Login`.
    Login {
        user_id: String,
        password: String,
        token: String,
    },
    /// YIM `Logout()`; completes with `Event::Logout`.
    Logout,
    /// YIM `JoinChatRoom(roomID)`; completes with `Event::JoinChatRoom`.
    JoinChatRoom { room_id: String },
    /// YIM `LeaveChatRoom(roomID)`; completes with `Event::LeaveChatRoom`.
    LeaveChatRoom { room_id: String },
    /// YIM `LeaveAllChatRooms()`; completes with `Event::LeaveAllChatRooms`.
    LeaveAllChatRooms,
    /// YIM `GetRoomMemberCount(roomID)`; completes with `Event::RoomMemberCount`.
    GetRoomMemberCount { room_id: String },
    /// YIM `SendTextMessage`; completes with `Event::SendMessageStatus`.
    SendText {
        receiver_id: String,
        chat_type: ChatType,
        text: String,
        attach: String,
    },
    /// YIM `SendCustomMessage`; completes with `Event::SendMessageStatus`.
    SendCustom {
        receiver_id: String,
        chat_type: ChatType,
        content: Vec<u8>,
    },
}

impl Call {
    /// The call's name, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Login { .. } => "Login",
            Call::Logout => "Logout",
            Call::JoinChatRoom { .. } => "JoinChatRoom",
            Call::LeaveChatRoom { .. } => "LeaveChatRoom",
            Call::LeaveAllChatRooms => "LeaveAllChatRooms",
            Call::GetRoomMemberCount { .. } => "GetRoomMemberCount",
            Call::SendText { .. } => "SendText",
            Call::SendCustom { .. } => "SendCustom",
        }
    }
}
