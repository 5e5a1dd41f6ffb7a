//! With the `serde` feature, every event (and the error codes and chat types in it) round-trips
//! through a serialised form unchanged.

#![cfg(feature = "serde")]
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use yim_sdk::{
    AudioStatus, ChatType, ErrorCode, Event, Forbid, ForbidReason, MessageBody, ReceivedMessage,
    ReconnectResult, RequestId, SendStatus,
};

#[test]
fn events_round_trip_through_json() {
    let events = vec![
        Event::Login {
            request_id: RequestId(1),
            code: ErrorCode::Success,
            user_id: "alice".to_owned(),
        },
        Event::SendMessageStatus(SendStatus {
            request_id: RequestId(2),
            code: ErrorCode::ForbiddenSpeak,
            send_time: 1_790_000_000,
            forbid: Some(Forbid {
                whole_room: true,
                reason: ForbidReason::Politics,
                end_time: 1_790_003_600,
            }),
            message_id: 0,
        }),
        Event::RecvMessage(ReceivedMessage {
            message_id: 7,
            sender_id: "bob".to_owned(),
            receiver_id: "world".to_owned(),
            chat_type: ChatType::Room,
            create_time: 1_790_000_001,
            room_seq: 3,
            body: MessageBody::Custom(vec![0, 255]),
        }),
        Event::SendAudioStatus(AudioStatus {
            request_id: RequestId(3),
            code: ErrorCode::PttReachMaxDuration,
            text: "go left".to_owned(),
            audio_path: "/cache/voice_3.wav".into(),
            duration_ms: 60_000,
            send_time: 1_790_000_060,
            forbid: None,
            message_id: 8,
        }),
        Event::ReconnectResult(ReconnectResult::FailAgain),
        Event::KickOff,
    ];
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
    }
    assert_eq!(
        serde_json::to_string(&ErrorCode::PttNotStartRecord).unwrap(),
        "\"PttNotStartRecord\""
    );
}
