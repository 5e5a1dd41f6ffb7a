//! Voice messages in the machine: the recording rules and codes, the event order, the chunked
//! upload (resumed after a reconnect without sending anything twice), the 60 s success code,
//! recognise-only mode, cancel, and chunked downloads.

use yim_proto::limits::MAX_AUDIO_CHUNK_BYTES;
use yim_proto::wire::{reply, AudioChunk, SendReceipt, UploadState};
use yim_proto::{ChatType, ErrorCode, FrameBody};

use super::*;
use crate::machine::Recorded;

fn recorded(bytes: usize) -> Recorded {
    Recorded {
        encoded: (0..bytes).map(|i| (i % 251) as u8).collect(),
        duration_ms: 3_000,
        text: "go left".to_owned(),
        audio_path: "/cache/voice_2.wav".to_owned(),
        reached_max_duration: false,
    }
}

fn upload_state(id: RequestId, received: u64) -> Frame {
    reply_with(
        id,
        ErrorCode::Success,
        Some(reply::Detail::UploadState(UploadState { received })),
    )
}

fn receipt(id: RequestId, code: ErrorCode) -> Frame {
    reply_with(
        id,
        code,
        Some(reply::Detail::SendReceipt(SendReceipt {
            message_id: 42,
            send_time: 7,
            forbid: None,
        })),
    )
}

/// (offset, length) of each UploadAudio sent, and whether a voice SendMessage was sent.
fn uploads(m: &mut ClientMachine) -> (Vec<(u64, usize)>, Option<u64>) {
    let mut chunks = Vec::new();
    let mut send_key = None;
    for frame in transmits(m) {
        match frame.body {
            Some(FrameBody::UploadAudio(u)) => chunks.push((u.offset, u.data.len())),
            Some(FrameBody::SendMessage(s)) => send_key = Some(s.idempotency_key),
            _ => {}
        }
    }
    (chunks, send_key)
}

#[test]
fn recording_rules_give_yims_codes() {
    let mut m = machine();
    assert_eq!(
        m.start_record("bob", ChatType::Private, false),
        Err(ErrorCode::NotLogin)
    );
    let mut m = logged_in();
    assert_eq!(m.stop_record(""), Err(ErrorCode::PttNotStartRecord));
    assert_eq!(m.cancel_record(), Err(ErrorCode::PttNotStartRecord));
    assert_eq!(
        m.start_record("", ChatType::Private, false),
        Err(ErrorCode::ReceiverEmpty)
    );
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    assert_eq!(
        m.start_record("bob", ChatType::Private, false),
        Err(ErrorCode::PttIsSpeeching)
    );
    assert_eq!(
        m.stop_record(&"x".repeat(5_000)),
        Err(ErrorCode::MessageTooLong)
    );
    assert_eq!(m.stop_record("extra"), Ok(id));
    // Cancel wins over a stop in progress: no event ever.
    assert_eq!(m.cancel_record(), Ok(id));
    m.handle_recorded(1, id, Ok(recorded(10)));
    assert_quiet(&mut m);
}

#[test]
fn a_voice_message_uploads_in_chunks_resumes_after_a_reconnect_and_completes_once() {
    let mut m = logged_in();
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("extra").unwrap();
    let size = 2 * MAX_AUDIO_CHUNK_BYTES + 100;
    m.handle_recorded(1, id, Ok(recorded(size)));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::StartSendAudio { request_id, code: ErrorCode::Success, text, .. }]
            if *request_id == id && text == "go left"
    ));
    assert_eq!(uploads(&mut m).0, vec![(0, MAX_AUDIO_CHUNK_BYTES)]);
    m.handle_frame(2, upload_state(id, MAX_AUDIO_CHUNK_BYTES as u64));
    assert_eq!(
        uploads(&mut m).0,
        vec![(MAX_AUDIO_CHUNK_BYTES as u64, MAX_AUDIO_CHUNK_BYTES)]
    );
    // The connection drops with the second chunk unanswered; after the resume it goes again.
    m.handle_disconnect(3);
    assert_eq!(events(&mut m), vec![Event::StartReconnect]);
    let at = resume(&mut m);
    assert_eq!(
        uploads(&mut m).0,
        vec![(MAX_AUDIO_CHUNK_BYTES as u64, MAX_AUDIO_CHUNK_BYTES)],
        "the chunk in flight is sent again"
    );
    // The server had it already: it says so, and the last chunk follows, then the send.
    m.handle_frame(at, upload_state(id, 2 * MAX_AUDIO_CHUNK_BYTES as u64));
    assert_eq!(
        uploads(&mut m).0,
        vec![(2 * MAX_AUDIO_CHUNK_BYTES as u64, 100)]
    );
    m.handle_frame(at, upload_state(id, size as u64));
    let (chunks, send_key) = uploads(&mut m);
    assert!(chunks.is_empty());
    assert!(send_key.is_some_and(|k| k != 0), "the send carries a key");
    m.handle_frame(at, receipt(id, ErrorCode::Success));
    let evs = events(&mut m);
    assert!(matches!(
        evs.as_slice(),
        [Event::SendAudioStatus(s)] if s.request_id == id && s.code == ErrorCode::Success
            && s.message_id == 42 && s.text == "go left" && s.duration_ms == 3_000
    ));
    assert_eq!(m.pending_calls(), 0);
}

#[test]
fn sixty_seconds_reached_counts_as_success_with_its_own_code() {
    let mut m = logged_in();
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("").unwrap();
    let mut clip = recorded(10);
    clip.reached_max_duration = true;
    m.handle_recorded(1, id, Ok(clip));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::StartSendAudio {
            code: ErrorCode::PttReachMaxDuration,
            ..
        }]
    ));
    transmits(&mut m);
    m.handle_frame(2, upload_state(id, 10));
    transmits(&mut m);
    m.handle_frame(3, receipt(id, ErrorCode::Success));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.code == ErrorCode::PttReachMaxDuration
    ));
}

#[test]
fn failures_before_and_after_the_upload_give_one_status_and_no_start_event_when_recording_failed() {
    let mut m = logged_in();
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("").unwrap();
    m.handle_recorded(1, id, Err(ErrorCode::PttSpeechTooShort));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.code == ErrorCode::PttSpeechTooShort
    ));
    // A refused chunk ends the upload with PttUploadFail; a timeout with TimeOut.
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("").unwrap();
    m.handle_recorded(1, id, Ok(recorded(10)));
    events(&mut m);
    m.handle_frame(2, reply(id, ErrorCode::ParamInvalid));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.code == ErrorCode::PttUploadFail
    ));
    let id = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("").unwrap();
    m.handle_recorded(100, id, Ok(recorded(10)));
    events(&mut m);
    m.handle_timeout(100 + 10_000);
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.request_id == id && s.code == ErrorCode::TimeOut
    ));
}

#[test]
fn recognise_only_gives_one_recognize_text_and_sends_nothing() {
    let mut m = logged_in();
    let id = m.start_record("", ChatType::Private, true).unwrap();
    m.stop_record("").unwrap();
    m.handle_recorded(1, id, Ok(recorded(10)));
    assert_eq!(
        events(&mut m),
        vec![Event::RecognizeText {
            request_id: id,
            code: ErrorCode::Success,
            text: "go left".to_owned()
        }]
    );
    assert_eq!(transmits(&mut m), vec![]);
}

#[test]
fn downloads_go_chunk_by_chunk_and_end_with_a_save() {
    let mut m = logged_in();
    assert_eq!(
        m.download_audio(0, 0, "/x.wav"),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(m.download_audio(0, 9, ""), Err(ErrorCode::ParamInvalid));
    let id = m.download_audio(0, 9, "/tmp/x.wav").unwrap();
    let chunk = |offset: u64, data: Vec<u8>| {
        reply_with(
            id,
            ErrorCode::Success,
            Some(reply::Detail::AudioChunk(AudioChunk {
                total_size: 6,
                offset,
                data,
            })),
        )
    };
    transmits(&mut m);
    m.handle_frame(1, chunk(0, vec![1, 2, 3, 4]));
    assert!(matches!(
        transmits(&mut m).as_slice(),
        [Frame { body: Some(FrameBody::DownloadAudio(d)) }] if d.offset == 4
    ));
    m.handle_frame(2, chunk(4, vec![5, 6]));
    assert_eq!(
        actions(&mut m),
        vec![Action::SaveAudio {
            request_id: id,
            save_path: "/tmp/x.wav".to_owned(),
            encoded: vec![1, 2, 3, 4, 5, 6]
        }]
    );
    assert_eq!(events(&mut m), vec![]);
    m.handle_saved(id, ErrorCode::Success);
    assert_eq!(
        events(&mut m),
        vec![Event::DownloadAudio {
            request_id: id,
            code: ErrorCode::Success,
            message_id: 9,
            save_path: "/tmp/x.wav".to_owned()
        }]
    );
    // An unknown message is ParamInvalid; a lost connection is PttDownloadFail.
    let unknown = m.download_audio(3, 77, "/tmp/y.wav").unwrap();
    m.handle_frame(4, reply(unknown, ErrorCode::ParamInvalid));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::DownloadAudio {
            code: ErrorCode::ParamInvalid,
            ..
        }]
    ));
    let mut m = logged_in_with(config_without_reconnect());
    m.download_audio(0, 9, "/tmp/x.wav").unwrap();
    m.handle_disconnect(1);
    assert!(matches!(
        events(&mut m).as_slice(),
        [
            Event::DownloadAudio {
                code: ErrorCode::PttDownloadFail,
                ..
            },
            _
        ]
    ));
}

#[test]
fn a_text_sent_while_a_voice_message_uploads_waits_and_leaves_after_it() {
    let mut m = logged_in();
    let voice = m.start_record("bob", ChatType::Private, false).unwrap();
    m.stop_record("").unwrap();
    m.handle_recorded(1, voice, Ok(recorded(10)));
    events(&mut m);
    transmits(&mut m);
    let text = m
        .handle_call(2, send_text("bob", "after the voice"))
        .unwrap();
    assert_eq!(transmits(&mut m), vec![], "the text waits");
    // Still waiting across a reconnect: the resume sends the voice chunk again, not the text.
    m.handle_disconnect(3);
    events(&mut m);
    let at = resume(&mut m);
    assert_eq!(uploads(&mut m), (vec![(0, 10)], None));
    // The upload completes: the voice message's send goes out, then the text's.
    m.handle_frame(at, upload_state(voice, 10));
    let order: Vec<u64> = transmits(&mut m)
        .into_iter()
        .filter_map(|f| match f.body {
            Some(FrameBody::SendMessage(s)) => Some(s.request_id),
            _ => None,
        })
        .collect();
    assert_eq!(order, vec![voice.get(), text.get()]);
}
