//! Voice messages in the machine: the recording rules and codes, the event order, the chunked
//! upload (resumed after a reconnect without sending anything twice), the 60 s success code,
//! recognise-only mode, cancel, and chunked downloads.

use yim_proto::limits::MAX_AUDIO_CHUNK_BYTES;
use yim_proto::wire::{self, reply, AudioChunk, SendReceipt, UploadState};
use yim_proto::{ChatType, ErrorCode, FrameBody};

use super::*;
use crate::machine::{AudioTask, CaptureSource, Recognize, Recorded};

fn record(m: &mut ClientMachine, to: &str) -> Result<RequestId, ErrorCode> {
    m.handle_call(
        0,
        Call::StartRecord {
            receiver_id: to.to_owned(),
            chat_type: ChatType::Private,
            recognize: Recognize::AlongWithSend,
        },
    )
}

fn recognise_only(m: &mut ClientMachine) -> Result<RequestId, ErrorCode> {
    m.handle_call(
        0,
        Call::StartRecord {
            receiver_id: String::new(),
            chat_type: ChatType::Private,
            recognize: Recognize::Only,
        },
    )
}

fn stop(m: &mut ClientMachine, extra_param: &str) -> Result<RequestId, ErrorCode> {
    let extra_param = extra_param.to_owned();
    m.handle_call(0, Call::StopRecord { extra_param })
}

fn cancel(m: &mut ClientMachine) -> Result<RequestId, ErrorCode> {
    m.handle_call(0, Call::CancelRecord)
}

fn download(
    m: &mut ClientMachine,
    now_ms: u64,
    message_id: u64,
    path: &str,
) -> Result<RequestId, ErrorCode> {
    let save_path = path.into();
    m.handle_call(
        now_ms,
        Call::DownloadAudio {
            message_id,
            save_path,
        },
    )
}

fn audio_tasks(m: &mut ClientMachine) -> Vec<AudioTask> {
    std::iter::from_fn(|| m.poll_audio()).collect()
}

fn recorded(bytes: usize) -> Recorded {
    Recorded {
        encoded: (0..bytes).map(|i| (i % 251) as u8).collect(),
        duration_ms: 3_000,
        text: "go left".to_owned(),
        audio_path: "/cache/voice_2.wav".into(),
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
            room_seq: 0,
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
    assert_eq!(record(&mut m, "bob"), Err(ErrorCode::NotLogin));
    let mut m = logged_in();
    assert_eq!(stop(&mut m, ""), Err(ErrorCode::PttNotStartRecord));
    assert_eq!(cancel(&mut m), Err(ErrorCode::PttNotStartRecord));
    assert_eq!(record(&mut m, ""), Err(ErrorCode::ReceiverEmpty));
    let id = record(&mut m, "bob").unwrap();
    assert_eq!(record(&mut m, "bob"), Err(ErrorCode::PttIsSpeeching));
    assert_eq!(
        stop(&mut m, &"x".repeat(5_000)),
        Err(ErrorCode::MessageTooLong)
    );
    assert_eq!(stop(&mut m, "extra"), Ok(id));
    // Cancel wins over a stop in progress: no event ever.
    assert_eq!(cancel(&mut m), Ok(id));
    m.handle_recorded(1, id, Ok(recorded(10)));
    assert_quiet(&mut m);
}

#[test]
fn a_voice_message_uploads_in_chunks_resumes_after_a_reconnect_and_completes_once() {
    let mut m = logged_in();
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "extra").unwrap();
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
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
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
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
    m.handle_recorded(1, id, Err(ErrorCode::PttSpeechTooShort));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.code == ErrorCode::PttSpeechTooShort
    ));
    // A refused chunk ends the upload with PttUploadFail; a timeout with TimeOut.
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
    m.handle_recorded(1, id, Ok(recorded(10)));
    events(&mut m);
    m.handle_frame(2, reply(id, ErrorCode::ParamInvalid));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::SendAudioStatus(s)] if s.code == ErrorCode::PttUploadFail
    ));
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
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
    let id = recognise_only(&mut m).unwrap();
    stop(&mut m, "").unwrap();
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
        download(&mut m, 0, 0, "/x.wav"),
        Err(ErrorCode::ParamInvalid)
    );
    assert_eq!(download(&mut m, 0, 9, ""), Err(ErrorCode::ParamInvalid));
    let id = download(&mut m, 0, 9, "/tmp/x.wav").unwrap();
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
        audio_tasks(&mut m),
        vec![AudioTask::SaveAudio {
            request_id: id,
            save_path: "/tmp/x.wav".into(),
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
            save_path: "/tmp/x.wav".into()
        }]
    );
    // An unknown message is ParamInvalid; a lost connection is PttDownloadFail.
    let unknown = download(&mut m, 3, 77, "/tmp/y.wav").unwrap();
    m.handle_frame(4, reply(unknown, ErrorCode::ParamInvalid));
    assert!(matches!(
        events(&mut m).as_slice(),
        [Event::DownloadAudio {
            code: ErrorCode::ParamInvalid,
            ..
        }]
    ));
    let mut m = logged_in_with(config_without_reconnect());
    download(&mut m, 0, 9, "/tmp/x.wav").unwrap();
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
    let voice = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
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

/// The request IDs of the `SendMessage` frames sent, in order.
fn sends(m: &mut ClientMachine) -> Vec<RequestId> {
    transmits(m)
        .into_iter()
        .filter_map(|f| match f.body {
            Some(FrameBody::SendMessage(s)) => Some(RequestId(s.request_id)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_text_sent_after_the_stop_waits_while_the_capture_is_still_being_finished() {
    let mut m = logged_in();
    let voice = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
    // The driver is still finishing the capture (encoding, speech to text): no answer yet.
    let text = m
        .handle_call(1, send_text("bob", "after the stop"))
        .unwrap();
    assert_eq!(
        transmits(&mut m),
        vec![],
        "the text waits for the voice message"
    );
    m.handle_recorded(2, voice, Ok(recorded(10)));
    assert_eq!(
        uploads(&mut m),
        (vec![(0, 10)], None),
        "the upload, not the text"
    );
    m.handle_frame(3, upload_state(voice, 10));
    assert_eq!(sends(&mut m), vec![voice, text]);
}

#[test]
fn a_voice_message_keeps_the_place_of_its_stop_behind_an_earlier_upload_and_after_a_reconnect() {
    let mut m = logged_in();
    let first = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
    m.handle_recorded(0, first, Ok(recorded(10)));
    transmits(&mut m);
    // A second recording starts; a text made while it records comes before it (its stop is
    // later), but waits behind the first voice message, still uploading.
    let second = record(&mut m, "bob").unwrap();
    let before_stop = m
        .handle_call(1, send_text("bob", "before the stop"))
        .unwrap();
    stop(&mut m, "").unwrap();
    m.handle_recorded(2, second, Ok(recorded(10)));
    let after_stop = m
        .handle_call(3, send_text("bob", "after the stop"))
        .unwrap();
    assert_eq!(transmits(&mut m), vec![]);
    m.handle_frame(4, upload_state(first, 10));
    assert_eq!(sends(&mut m), vec![first, before_stop]);
    m.handle_frame(5, upload_state(second, 10));
    assert_eq!(sends(&mut m), vec![second, after_stop]);

    // A text made while a recording runs, then that voice message's send, both unanswered
    // when the connection drops: they go again in the order they were issued.
    let mut m = logged_in();
    let voice = record(&mut m, "bob").unwrap();
    let text = m
        .handle_call(1, send_text("bob", "while recording"))
        .unwrap();
    stop(&mut m, "").unwrap();
    m.handle_recorded(2, voice, Ok(recorded(10)));
    m.handle_frame(3, upload_state(voice, 10));
    assert_eq!(sends(&mut m), vec![text, voice]);
    m.handle_disconnect(4);
    events(&mut m);
    resume(&mut m);
    assert_eq!(sends(&mut m), vec![text, voice], "resent in send order");
}

#[test]
fn texts_waiting_for_a_stopped_recording_leave_when_it_fails_or_is_cancelled() {
    for failure in ["too short", "cancelled", "recognised only"] {
        let mut m = logged_in();
        let voice = if failure == "recognised only" {
            recognise_only(&mut m).unwrap()
        } else {
            record(&mut m, "bob").unwrap()
        };
        stop(&mut m, "").unwrap();
        let text = m
            .handle_call(1, send_text("bob", "after the stop"))
            .unwrap();
        let waiting = transmits(&mut m);
        match failure {
            "too short" => m.handle_recorded(2, voice, Err(ErrorCode::PttSpeechTooShort)),
            "cancelled" => assert_eq!(cancel(&mut m), Ok(voice)),
            _ => {
                // Nothing will be sent for it: nothing waits for it.
                assert_eq!(waiting.len(), 1, "{failure}");
                continue;
            }
        }
        assert_eq!(waiting, vec![], "{failure}: the text waits");
        assert_eq!(sends(&mut m), vec![text], "{failure}: then leaves");
    }
}

#[test]
fn the_capture_is_asked_for_started_finished_with_its_length_and_cancelled() {
    let mut m = logged_in();
    let id = m
        .handle_call(
            1_000,
            Call::StartRecord {
                receiver_id: "bob".to_owned(),
                chat_type: ChatType::Private,
                recognize: Recognize::No,
            },
        )
        .unwrap();
    assert_eq!(
        audio_tasks(&mut m),
        vec![AudioTask::StartCapture {
            request_id: id,
            source: CaptureSource::Microphone,
            recognize: Recognize::No,
        }]
    );
    let extra_param = "x".to_owned();
    assert_eq!(
        m.handle_call(4_500, Call::StopRecord { extra_param }),
        Ok(id)
    );
    assert_eq!(
        audio_tasks(&mut m),
        vec![AudioTask::FinishCapture {
            request_id: id,
            recorded_ms: Some(3_500),
        }],
        "an inline capture takes what the machine's clock says was recorded"
    );
    m.handle_recorded(5_000, id, Err(ErrorCode::PttSpeechTooShort));
    events(&mut m);
    // A cancel before the stop abandons the capture; no event, and the next may start.
    let id = record(&mut m, "bob").unwrap();
    audio_tasks(&mut m);
    assert_eq!(cancel(&mut m), Ok(id));
    assert_eq!(
        audio_tasks(&mut m),
        vec![AudioTask::CancelCapture { request_id: id }]
    );
    assert_eq!(events(&mut m), vec![]);
    assert!(record(&mut m, "bob").is_ok());
}

#[test]
fn a_recording_stops_by_itself_at_sixty_seconds_also_while_reconnecting() {
    let mut m = logged_in();
    let id = record(&mut m, "bob").unwrap();
    audio_tasks(&mut m);
    assert_eq!(m.poll_timeout(), Some(10_000), "the heartbeat comes first");
    m.handle_disconnect(5_000);
    events(&mut m);
    // While reconnecting only the reconnect's deadlines and the recording's count.
    let limit = 60_000;
    let mut now = 5_000;
    while now < limit {
        let next = m.poll_timeout().unwrap();
        assert!(next <= limit, "the 60 s limit is a deadline");
        now = next;
        m.handle_timeout(now);
        actions(&mut m);
        let tasks = audio_tasks(&mut m);
        if now < limit {
            assert_eq!(tasks, vec![], "nothing before the limit at {now}");
        } else {
            assert_eq!(
                tasks,
                vec![AudioTask::FinishCapture {
                    request_id: id,
                    recorded_ms: Some(60_000),
                }]
            );
        }
    }
    assert_eq!(stop(&mut m, ""), Err(ErrorCode::PttNotStartRecord));
}

#[test]
fn a_wav_file_is_a_recording_stopped_at_once_and_a_capture_that_cannot_start_leaves_nothing() {
    let mut m = logged_in();
    let call = Call::SendAudioFile {
        receiver_id: "bob".to_owned(),
        chat_type: ChatType::Private,
        path: "/clips/a.wav".into(),
        recognize: Recognize::AlongWithSend,
        extra_param: "e".to_owned(),
    };
    let id = m.handle_call(0, call.clone()).unwrap();
    assert_eq!(
        audio_tasks(&mut m),
        vec![
            AudioTask::StartCapture {
                request_id: id,
                source: CaptureSource::File("/clips/a.wav".into()),
                recognize: Recognize::AlongWithSend,
            },
            AudioTask::FinishCapture {
                request_id: id,
                recorded_ms: None,
            },
        ]
    );
    assert_eq!(
        m.poll_timeout(),
        Some(10_000),
        "a file has no 60 s deadline"
    );
    m.handle_recorded(1, id, Ok(recorded(10)));
    let evs = events(&mut m);
    assert!(matches!(evs.as_slice(), [Event::StartSendAudio { .. }]));
    assert!(matches!(
        transmits(&mut m).as_slice(),
        [Frame {
            body: Some(FrameBody::UploadAudio(_))
        }]
    ));
    // The next one's file is missing: the driver says so, the recording never was.
    let id = m.handle_call(0, call).unwrap();
    m.handle_capture_failed(id);
    assert_eq!(m.recording(), None);
    m.handle_recorded(1, id, Err(ErrorCode::PttStopRecordFailed));
    assert_eq!(events(&mut m), vec![], "no event for a call that failed");
}

#[test]
fn a_recording_ends_with_its_session_once_and_is_never_sent_as_another_account() {
    // Logged out while recording: one status, NetError, the capture abandoned.
    let mut m = logged_in();
    let id = record(&mut m, "bob").unwrap();
    audio_tasks(&mut m);
    let logout = m.handle_call(0, Call::Logout).unwrap();
    m.handle_frame(1, reply(logout, ErrorCode::Success));
    let evs = events(&mut m);
    assert!(matches!(
        evs.as_slice(),
        [Event::SendAudioStatus(s), Event::Logout { .. }]
            if s.request_id == id && s.code == ErrorCode::NetError
    ));
    assert_eq!(
        audio_tasks(&mut m),
        vec![AudioTask::CancelCapture { request_id: id }]
    );
    assert_eq!(stop(&mut m, ""), Err(ErrorCode::PttNotStartRecord));

    // Kicked off while the capture finishes (a worker thread): one status; the late result
    // is dropped and its file deleted, even once another account has logged in.
    let mut m = logged_in();
    let id = record(&mut m, "bob").unwrap();
    stop(&mut m, "").unwrap();
    audio_tasks(&mut m);
    m.handle_frame(1, Frame::new(FrameBody::KickOff(wire::KickOff {})));
    let evs = events(&mut m);
    assert!(matches!(
        evs.as_slice(),
        [Event::SendAudioStatus(s), Event::KickOff] if s.request_id == id && s.code == ErrorCode::NetError
    ));
    assert_eq!(
        audio_tasks(&mut m),
        vec![],
        "the capture is finishing: nothing to cancel"
    );
    actions(&mut m);
    let login = m.handle_call(2, login_call("mallory")).unwrap();
    m.handle_connected(2);
    m.handle_frame(2, challenge());
    m.handle_frame(2, reply(login, ErrorCode::Success));
    events(&mut m);
    transmits(&mut m);
    m.handle_recorded(3, id, Ok(recorded(10)));
    assert_eq!(events(&mut m), vec![]);
    assert_eq!(transmits(&mut m), vec![], "nothing is sent as mallory");
    assert_eq!(
        audio_tasks(&mut m),
        vec![AudioTask::DeleteFile {
            path: "/cache/voice_2.wav".into()
        }]
    );

    // A reconnect that gives up ends a recognise-only recording with its one RecognizeText.
    let mut m = logged_in_with(ClientConfig {
        reconnect_budget_ms: 1,
        ..config()
    });
    let id = recognise_only(&mut m).unwrap();
    m.handle_disconnect(1);
    m.handle_timeout(m.poll_timeout().unwrap());
    let evs = events(&mut m);
    assert!(evs.contains(&Event::RecognizeText {
        request_id: id,
        code: ErrorCode::NetError,
        text: String::new()
    }));
    assert!(evs.contains(&session_lost()));
    assert_eq!(m.recording(), None);
}

/// A voice message delivered to bob, carrying the server's download token.
fn voice_message(message_id: u64, download_token: u64) -> Frame {
    Frame::new(FrameBody::Message(wire::Message {
        message_id,
        sender_id: "bob".to_owned(),
        receiver_id: "alice".to_owned(),
        chat_type: ChatType::Private as i32,
        create_time: 1_700_000_000,
        room_seq: 0,
        body: Some(wire::Body {
            kind: Some(wire::body::Kind::Voice(wire::Voice {
                audio_id: message_id,
                file_size: 6,
                duration_ms: 1_000,
                text: String::new(),
                extra_param: String::new(),
                upload_key: 0,
                download_token,
            })),
        }),
    }))
}

/// The token of the download frame just sent, and its offset.
fn download_frame(m: &mut ClientMachine) -> (u64, u64) {
    match transmits(m).as_slice() {
        [Frame {
            body: Some(FrameBody::DownloadAudio(d)),
        }] => (d.download_token, d.offset),
        other => panic!("expected one download frame, got {other:?}"),
    }
}

#[test]
fn a_download_shows_the_token_its_message_came_with_every_chunk_and_after_a_new_session() {
    let mut m = logged_in();
    m.handle_frame(1, voice_message(9, 0xfeed));
    events(&mut m);
    transmits(&mut m); // the acknowledgement
    let id = download(&mut m, 2, 9, "/tmp/v.wav").unwrap();
    assert_eq!(download_frame(&mut m), (0xfeed, 0));
    m.handle_frame(
        3,
        reply_with(
            id,
            ErrorCode::Success,
            Some(reply::Detail::AudioChunk(AudioChunk {
                total_size: 6,
                offset: 0,
                data: vec![1, 2, 3],
            })),
        ),
    );
    assert_eq!(download_frame(&mut m), (0xfeed, 3), "the next chunk too");
    // A message this client never received (or sent itself): no token.
    download(&mut m, 4, 10, "/tmp/w.wav").unwrap();
    assert_eq!(download_frame(&mut m), (0, 0));
    // Logged out and in again as alice, the token is still there; not for another account.
    for (at, user, token) in [(5, "alice", 0xfeed), (10, "mallory", 0)] {
        let logout = m.handle_call(at, Call::Logout).unwrap();
        m.handle_frame(at, reply(logout, ErrorCode::Success));
        let login = m.handle_call(at + 1, login_call(user)).unwrap();
        m.handle_connected(at + 1);
        m.handle_frame(at + 1, challenge());
        m.handle_frame(at + 1, reply(login, ErrorCode::Success));
        transmits(&mut m);
        download(&mut m, at + 2, 9, "/tmp/v.wav").unwrap();
        assert_eq!(download_frame(&mut m), (token, 0), "{user}");
    }
}
