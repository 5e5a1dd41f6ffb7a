//! Golden frames shared by `golden.rs` (wire snapshots) and `fuzz_corpus.rs` (seed corpus):
//! at least one realistic example of every frame body variant.

#![allow(dead_code)]

use yim_proto::auth::{challenge_proof, make_login_token};
use yim_proto::wire::{
    body, reply, AckMessages, AdminLogin, AudioChunk, Body, Challenge, Custom, DownloadAudio,
    Forbid, GetRoomMemberCount, Goodbye, JoinRoom, KickOff, LeaveAllRooms, LeaveRoom, Login,
    LoginReceipt, Logout, Message, Mute, Ping, Pong, QueryRoomHistory, Reply, RoomHistory,
    RoomJoined, SendMessage, SendReceipt, Text, Unmute, UploadAudio, UploadState, Voice,
};
use yim_proto::{ChatType, ErrorCode, Frame, FrameBody, PROTOCOL_VERSION};

pub const APP_KEY: &str = "YOUMEBC2B3171A7A165DC10918A7B50A4B939F2A187D0";
pub const APP_SECRET: &str = "r7fy1ZOYmXWl4xbv1GInCuRtbtiS2QBHvJMZFw7oBNrQbkTdwn1c";
pub const NONCE: [u8; 16] = [
    0x5f, 0x1c, 0x8e, 0x0a, 0x93, 0xd4, 0x7b, 0x26, 0xc0, 0xe1, 0xf4, 0xa9, 0xb8, 0x3d, 0x72, 0x65,
];
/// Exactly 20 bytes of UTF-8.
pub const TEXT_20: &str = "hello from the world";
pub const MESSAGE_ID: u64 = 123_456_789;
pub const CREATE_TIME: u64 = 1_790_000_000;
pub const ROOM_SEQ: u64 = 42;
pub const SEND_REQUEST_ID: u64 = 7;
/// A send's idempotency key (the SDK draws one per send).
pub const IDEMPOTENCY_KEY: u64 = 0x9e37_79b9_7f4a_7c15;
pub const SESSION_ID: u64 = 0x51_7e55_10d1;
pub const GIFT_JSON: &[u8] = br#"{"gift":"rose","count":3}"#;

/// The room text message of the frame-size question: 20-byte text, empty attach, from
/// "alice" in room "world".
pub fn room_text_message() -> Frame {
    Frame::new(FrameBody::Message(Message {
        message_id: MESSAGE_ID,
        sender_id: "alice".into(),
        receiver_id: "world".into(),
        chat_type: ChatType::Room as i32,
        create_time: CREATE_TIME,
        room_seq: ROOM_SEQ,
        body: Some(text_body(TEXT_20)),
    }))
}

/// The client's `SendMessage` for [`room_text_message`].
pub fn room_text_send() -> Frame {
    Frame::new(FrameBody::SendMessage(SendMessage {
        request_id: SEND_REQUEST_ID,
        receiver_id: "world".into(),
        chat_type: ChatType::Room as i32,
        body: Some(text_body(TEXT_20)),
        idempotency_key: IDEMPOTENCY_KEY,
    }))
}

fn text_body(content: &str) -> Body {
    Body {
        kind: Some(body::Kind::Text(Text {
            content: content.into(),
            attach: String::new(),
        })),
    }
}

fn custom_body(content: &[u8]) -> Body {
    Body {
        kind: Some(body::Kind::Custom(Custom {
            content: content.to_vec(),
        })),
    }
}

/// Every golden frame, by snapshot name.
pub fn golden_frames() -> Vec<(&'static str, Frame)> {
    let proof = challenge_proof(APP_SECRET, &NONCE);
    let token = make_login_token(APP_SECRET, "bob", CREATE_TIME + 86_400);
    let frame = Frame::new;
    vec![
        // server -> client
        (
            "challenge",
            frame(FrameBody::Challenge(Challenge {
                protocol_version: PROTOCOL_VERSION,
                nonce: NONCE.to_vec(),
            })),
        ),
        (
            "reply_success_no_detail",
            frame(FrameBody::Reply(Reply {
                request_id: 1,
                code: ErrorCode::Success.as_u32(),
                detail: None,
            })),
        ),
        (
            "reply_error_no_detail",
            frame(FrameBody::Reply(Reply {
                request_id: 3,
                code: ErrorCode::NotJoinRoom.as_u32(),
                detail: None,
            })),
        ),
        (
            "reply_send_receipt",
            frame(FrameBody::Reply(Reply {
                request_id: SEND_REQUEST_ID,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::SendReceipt(SendReceipt {
                    message_id: MESSAGE_ID,
                    send_time: CREATE_TIME,
                    forbid: None,
                    room_seq: 0,
                })),
            })),
        ),
        (
            "reply_send_receipt_forbidden",
            frame(FrameBody::Reply(Reply {
                request_id: 8,
                code: ErrorCode::ForbiddenSpeak.as_u32(),
                detail: Some(reply::Detail::SendReceipt(SendReceipt {
                    message_id: 0,
                    send_time: CREATE_TIME + 5,
                    forbid: Some(Forbid {
                        is_forbid_room: false,
                        reason: 2,
                        end_time: CREATE_TIME + 3_600,
                    }),
                    room_seq: 0,
                })),
            })),
        ),
        (
            "reply_send_receipt_room",
            frame(FrameBody::Reply(Reply {
                request_id: SEND_REQUEST_ID + 1,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::SendReceipt(SendReceipt {
                    message_id: MESSAGE_ID + 1,
                    send_time: CREATE_TIME,
                    forbid: None,
                    room_seq: ROOM_SEQ,
                })),
            })),
        ),
        (
            "reply_room_history",
            frame(FrameBody::Reply(Reply {
                request_id: 16,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::RoomHistory(RoomHistory {
                    messages: vec![Message {
                        message_id: MESSAGE_ID,
                        sender_id: "alice".into(),
                        receiver_id: "world".into(),
                        chat_type: ChatType::Room as i32,
                        create_time: CREATE_TIME,
                        room_seq: ROOM_SEQ,
                        body: Some(Body {
                            kind: Some(body::Kind::Text(Text {
                                content: TEXT_20.into(),
                                attach: String::new(),
                            })),
                        }),
                    }],
                    first_seq: ROOM_SEQ - 10,
                    last_seq: ROOM_SEQ,
                })),
            })),
        ),
        (
            "reply_member_count",
            frame(FrameBody::Reply(Reply {
                request_id: 9,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::MemberCount(3)),
            })),
        ),
        (
            "reply_login_receipt",
            frame(FrameBody::Reply(Reply {
                request_id: 1,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::LoginReceipt(LoginReceipt {
                    session_id: SESSION_ID,
                })),
            })),
        ),
        (
            "reply_room_joined_with_loss",
            frame(FrameBody::Reply(Reply {
                request_id: 2,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::RoomJoined(RoomJoined {
                    last_seq: ROOM_SEQ + 300,
                    lost_from_seq: ROOM_SEQ + 1,
                    lost_to_seq: ROOM_SEQ + 44,
                })),
            })),
        ),
        (
            "reply_upload_state",
            frame(FrameBody::Reply(Reply {
                request_id: 14,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::UploadState(UploadState { received: 16_384 })),
            })),
        ),
        (
            "reply_audio_chunk",
            frame(FrameBody::Reply(Reply {
                request_id: 15,
                code: ErrorCode::Success.as_u32(),
                detail: Some(reply::Detail::AudioChunk(AudioChunk {
                    total_size: 12,
                    offset: 4,
                    data: vec![0x4f, 0x70, 0x75, 0x73, 0x01, 0x02, 0x03, 0x04],
                })),
            })),
        ),
        (
            "message_room_voice",
            frame(FrameBody::Message(Message {
                message_id: MESSAGE_ID + 2,
                sender_id: "alice".into(),
                receiver_id: "world".into(),
                chat_type: ChatType::Room as i32,
                create_time: CREATE_TIME + 20,
                room_seq: ROOM_SEQ + 1,
                body: Some(Body {
                    kind: Some(body::Kind::Voice(Voice {
                        audio_id: MESSAGE_ID + 2,
                        file_size: 7_500,
                        duration_ms: 3_200,
                        text: "meet at the bridge".into(),
                        extra_param: "{\"team\":2}".into(),
                        upload_key: 0,
                        download_token: 0,
                    })),
                }),
            })),
        ),
        ("message_room_text", room_text_message()),
        (
            "message_private_custom",
            frame(FrameBody::Message(Message {
                message_id: MESSAGE_ID + 1,
                sender_id: "bob".into(),
                receiver_id: "alice".into(),
                chat_type: ChatType::Private as i32,
                create_time: CREATE_TIME + 10,
                room_seq: 0,
                body: Some(custom_body(GIFT_JSON)),
            })),
        ),
        ("kick_off", frame(FrameBody::KickOff(KickOff {}))),
        ("pong", frame(FrameBody::Pong(Pong { nonce: 17 }))),
        (
            "goodbye",
            frame(FrameBody::Goodbye(Goodbye {
                code: ErrorCode::ServerError.as_u32(),
                reason: "server is shutting down".into(),
            })),
        ),
        // client -> server
        (
            "login_password",
            frame(FrameBody::Login(Login {
                request_id: 1,
                protocol_version: PROTOCOL_VERSION,
                app_key: APP_KEY.into(),
                proof: proof.clone(),
                user_id: "alice".into(),
                password: "correct horse".into(),
                token: String::new(),
                resume_session_id: 0,
            })),
        ),
        (
            "login_resume",
            frame(FrameBody::Login(Login {
                request_id: 5,
                protocol_version: PROTOCOL_VERSION,
                app_key: APP_KEY.into(),
                proof: proof.clone(),
                user_id: "alice".into(),
                password: "correct horse".into(),
                token: String::new(),
                resume_session_id: SESSION_ID,
            })),
        ),
        (
            "login_token",
            frame(FrameBody::Login(Login {
                request_id: 1,
                protocol_version: PROTOCOL_VERSION,
                app_key: APP_KEY.into(),
                proof: proof.clone(),
                user_id: "bob".into(),
                password: "battery staple".into(),
                token,
                resume_session_id: 0,
            })),
        ),
        (
            "logout",
            frame(FrameBody::Logout(Logout { request_id: 12 })),
        ),
        (
            "join_room",
            frame(FrameBody::JoinRoom(JoinRoom {
                request_id: 2,
                room_id: "world".into(),
                resume_after_seq: None,
            })),
        ),
        (
            "join_room_resume",
            frame(FrameBody::JoinRoom(JoinRoom {
                request_id: 6,
                room_id: "world".into(),
                resume_after_seq: Some(ROOM_SEQ),
            })),
        ),
        (
            "leave_room",
            frame(FrameBody::LeaveRoom(LeaveRoom {
                request_id: 10,
                room_id: "world".into(),
            })),
        ),
        (
            "leave_all_rooms",
            frame(FrameBody::LeaveAllRooms(LeaveAllRooms { request_id: 11 })),
        ),
        (
            "get_room_member_count",
            frame(FrameBody::GetRoomMemberCount(GetRoomMemberCount {
                request_id: 9,
                room_id: "world".into(),
            })),
        ),
        ("send_message_room_text", room_text_send()),
        (
            "send_message_private_custom",
            frame(FrameBody::SendMessage(SendMessage {
                request_id: 8,
                receiver_id: "alice".into(),
                chat_type: ChatType::Private as i32,
                body: Some(custom_body(GIFT_JSON)),
                idempotency_key: IDEMPOTENCY_KEY + 1,
            })),
        ),
        (
            "send_message_room_voice",
            frame(FrameBody::SendMessage(SendMessage {
                request_id: 16,
                receiver_id: "world".into(),
                chat_type: ChatType::Room as i32,
                body: Some(Body {
                    kind: Some(body::Kind::Voice(Voice {
                        audio_id: 0,
                        file_size: 7_500,
                        duration_ms: 3_200,
                        text: "meet at the bridge".into(),
                        extra_param: "{\"team\":2}".into(),
                        upload_key: IDEMPOTENCY_KEY + 2,
                        download_token: 0,
                    })),
                }),
                idempotency_key: IDEMPOTENCY_KEY + 3,
            })),
        ),
        (
            "upload_audio",
            frame(FrameBody::UploadAudio(UploadAudio {
                request_id: 14,
                upload_key: IDEMPOTENCY_KEY + 2,
                total_size: 7_500,
                offset: 0,
                data: vec![0x4f, 0x70, 0x75, 0x73, 0x01, 0x02, 0x03, 0x04],
            })),
        ),
        (
            "download_audio",
            frame(FrameBody::DownloadAudio(DownloadAudio {
                request_id: 15,
                audio_id: MESSAGE_ID + 2,
                offset: 4,
                max_bytes: 16_384,
                download_token: 0,
            })),
        ),
        (
            "query_room_history",
            frame(FrameBody::QueryRoomHistory(QueryRoomHistory {
                request_id: 16,
                room_id: "world".into(),
                before_seq: ROOM_SEQ + 1,
            })),
        ),
        ("ping", frame(FrameBody::Ping(Ping { nonce: 17 }))),
        (
            "ack_messages",
            frame(FrameBody::AckMessages(AckMessages {
                up_to_message_id: 123_456_789,
            })),
        ),
        // operator -> server
        (
            "admin_login",
            frame(FrameBody::AdminLogin(AdminLogin {
                request_id: 1,
                protocol_version: PROTOCOL_VERSION,
                app_key: APP_KEY.into(),
                proof,
            })),
        ),
        (
            "mute_user",
            frame(FrameBody::Mute(Mute {
                request_id: 2,
                room_id: "world".into(),
                user_id: "spammer_42".into(),
                reason: 2,
                end_time: CREATE_TIME + 3_600,
            })),
        ),
        (
            "mute_room",
            frame(FrameBody::Mute(Mute {
                request_id: 3,
                room_id: "world".into(),
                user_id: String::new(),
                reason: 0,
                end_time: CREATE_TIME + 600,
            })),
        ),
        (
            "unmute",
            frame(FrameBody::Unmute(Unmute {
                request_id: 4,
                room_id: "world".into(),
                user_id: "spammer_42".into(),
            })),
        ),
    ]
}
