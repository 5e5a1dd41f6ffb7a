//! Voice messages end to end over real TCP, with synthetic audio: record (inline capture of a
//! tone-coded "speech" source), speech to text, upload, delivery, download to a WAV whose audio
//! still says the same text, playback; and YIM's rules and codes around them.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::sync::Arc;
use std::time::Duration;

use yim_audio::{AudioFormat, MemoryOutput, Recognizer, Signal, SynthInput, ToneRecognizer};
use yim_proto::ErrorCode;
use yim_sdk::{AudioSetup, Capture, ChatType, Client, ClientConfig, Event, MessageBody};
use yim_tests::{TestClient, TestServer};

const SPOKEN: &str = "go left now";

/// A client whose microphone says `SPOKEN` (48 kHz stereo), whose speaker is memory, and
/// whose recognizer reads the tone code.
fn voice_client(server: &TestServer, cache: &std::path::Path) -> TestClient {
    voice_client_with(server, cache, Capture::Inline)
}

fn voice_client_with(server: &TestServer, cache: &std::path::Path, capture: Capture) -> TestClient {
    let format = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
    };
    let setup = AudioSetup {
        input: Arc::new(move || {
            SynthInput::natural(&Signal::speech(SPOKEN), format, 1_000)
                .map(|input| Box::new(input) as Box<dyn yim_audio::AudioInput>)
                .map_err(|e| yim_audio::InputError::StreamFailed(e.to_string()))
        }),
        output: Arc::new(|| {
            Ok(Box::new(MemoryOutput::new(4_096)) as Box<dyn yim_audio::AudioOutput>)
        }),
        recognizer: Some(Arc::new(|| {
            Box::new(ToneRecognizer::new()) as Box<dyn Recognizer>
        })),
        cache_dir: Some(cache.to_path_buf()),
        capture,
    };
    let client = Client::builder()
        .config(ClientConfig::with_server(server.addr.to_string()))
        .audio(setup)
        .build();
    client
        .init(
            yim_tests::APP_KEY,
            yim_tests::APP_SECRET,
            yim_sdk::ServerZone::China,
        )
        .unwrap();
    TestClient::from_client(client)
}

/// The one `SendAudioStatus` of recording `id`.
async fn audio_status(client: &mut TestClient, id: yim_sdk::RequestId) -> yim_sdk::AudioStatus {
    match client.completion(id).await {
        Event::SendAudioStatus(status) => status,
        other => panic!("not a voice status: {other:?}"),
    }
}

fn spoken_ms() -> u64 {
    Signal::speech(SPOKEN).natural_ms().unwrap()
}

/// Multi-threaded, so the download is saved on the blocking pool as in an application (the
/// simulator covers the inline save of current-thread runtimes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voice_message_is_recorded_recognised_sent_downloaded_and_played() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, &dir.path().join("alice"));
    let mut bob = voice_client(&server, &dir.path().join("bob"));
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    alice.join_ok("world").await;
    bob.join_ok("world").await;

    let id = alice
        .client
        .start_record_audio_message("world", ChatType::Room, true, false)
        .unwrap();
    assert_eq!(
        alice
            .client
            .start_record_audio_message("world", ChatType::Room, true, false),
        Err(ErrorCode::PttIsSpeeching)
    );
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 100)).await;
    assert_eq!(
        alice.client.stop_and_send_audio_message("{\"team\":2}"),
        Ok(id)
    );

    let started = alice
        .wait_for("StartSendAudio", |e| match e {
            Event::StartSendAudio {
                request_id,
                code,
                text,
                audio_path,
                duration_ms,
            } if *request_id == id => Some((*code, text.clone(), audio_path.clone(), *duration_ms)),
            _ => None,
        })
        .await;
    assert_eq!(started.0, ErrorCode::Success);
    assert_eq!(started.1, SPOKEN, "speech to text at the sender");
    assert!(
        std::path::Path::new(&started.2).exists(),
        "the local WAV exists"
    );
    let status = audio_status(&mut alice, id).await;
    assert_eq!(status.code, ErrorCode::Success);
    assert!(status.message_id > 0);

    let message = bob.next_message().await;
    assert_eq!(message.message_id, status.message_id);
    let MessageBody::Voice {
        file_size,
        duration_ms,
        text,
        extra_param,
    } = &message.body
    else {
        panic!("not a voice message: {message:?}");
    };
    assert_eq!(
        (text.as_str(), extra_param.as_str()),
        (SPOKEN, "{\"team\":2}")
    );
    assert!(*file_size > 0 && u64::from(*duration_ms).abs_diff(spoken_ms()) < 300);

    let save = dir.path().join("downloads/deep/voice.wav");
    let download = bob
        .client
        .download_audio(message.message_id, save.to_str().unwrap())
        .unwrap();
    let done = bob.code(download).await;
    assert_eq!(done, ErrorCode::Success);
    let samples = yim_audio::wav::read_wav_i16_speech(&save).unwrap();
    assert_eq!(
        ToneRecognizer::new().recognize(&samples).unwrap(),
        SPOKEN,
        "the downloaded audio says what was recorded"
    );

    bob.client.start_play_audio(save.to_str().unwrap()).unwrap();
    let played = bob
        .wait_for("PlayCompletion", |e| match e {
            Event::PlayCompletion { code, path } => Some((*code, path.clone())),
            _ => None,
        })
        .await;
    assert_eq!(played, (ErrorCode::Success, save.display().to_string()));

    let unknown = bob
        .client
        .download_audio(999_999, save.to_str().unwrap())
        .unwrap();
    let code = bob.code(unknown).await;
    assert_eq!(code, ErrorCode::ParamInvalid);
}

#[tokio::test]
async fn cancel_gives_no_event_and_the_rules_give_yims_codes() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, dir.path());
    assert_eq!(
        alice
            .client
            .start_record_audio_message("bob", ChatType::Private, false, false),
        Err(ErrorCode::NotLogin)
    );
    alice.login_ok("alice").await;
    assert_eq!(
        alice.client.stop_and_send_audio_message(""),
        Err(ErrorCode::PttNotStartRecord)
    );
    let id = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, false, false)
        .unwrap();
    alice.client.cancel_audio_message().unwrap();
    assert_eq!(
        alice.client.cancel_audio_message(),
        Err(ErrorCode::PttNotStartRecord)
    );
    // Too short: the status says so, with no StartSendAudio before it.
    let short = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, false, false)
        .unwrap();
    alice.client.stop_and_send_audio_message("").unwrap();
    let event = alice
        .wait_for("a voice event", |e| match e {
            Event::StartSendAudio { request_id, .. } | Event::RecognizeText { request_id, .. }
                if *request_id == short =>
            {
                Some(e.clone())
            }
            Event::SendAudioStatus(status) if status.request_id == short => Some(e.clone()),
            _ => None,
        })
        .await;
    assert!(
        matches!(&event, Event::SendAudioStatus(s) if s.code == ErrorCode::PttSpeechTooShort),
        "{event:?}"
    );
    // Recognise only: one RecognizeText, nothing sent.
    let only = alice
        .client
        .start_record_audio_message("", ChatType::Private, true, true)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 100)).await;
    alice.client.stop_and_send_audio_message("").unwrap();
    let text = alice
        .wait_for("RecognizeText", |e| match e {
            Event::RecognizeText {
                request_id,
                code,
                text,
            } if *request_id == only => Some((*code, text.clone())),
            _ => None,
        })
        .await;
    assert_eq!(text, (ErrorCode::Success, SPOKEN.to_owned()));
    // Nothing ever came for the cancelled recording.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Some(event) = alice.client.try_next_event() {
        let about_cancelled = match &event {
            Event::StartSendAudio { request_id, .. } => *request_id == id,
            other => other.request_id() == Some(id),
        };
        assert!(!about_cancelled, "event after cancel: {event:?}");
    }
    // Playback rules.
    assert_eq!(alice.client.set_volume(1.5), Err(ErrorCode::ParamInvalid));
    assert_eq!(
        alice.client.start_play_audio("/no/such/file.wav"),
        Err(ErrorCode::PttFileNotExist)
    );
    let not_wav = dir.path().join("not.wav");
    std::fs::write(&not_wav, b"definitely not RIFF").unwrap();
    assert_eq!(
        alice.client.start_play_audio(not_wav.to_str().unwrap()),
        Err(ErrorCode::PttUnsupprtFormat)
    );
    assert_eq!(
        alice.client.stop_play_audio(),
        Err(ErrorCode::PttNotStartPlay)
    );
}

#[tokio::test]
async fn without_a_microphone_recording_fails_with_no_audio_device() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    assert_eq!(
        alice
            .client
            .start_record_audio_message("bob", ChatType::Private, false, false),
        Err(ErrorCode::PttNoAudioDevice)
    );
    // The failed start left nothing behind: a new one gets the same code, not 2007.
    assert_eq!(
        alice
            .client
            .start_record_audio_message("bob", ChatType::Private, false, false),
        Err(ErrorCode::PttNoAudioDevice)
    );
}

#[tokio::test]
async fn a_wav_file_is_sent_as_a_voice_message() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, dir.path());
    let mut bob = voice_client(&server, dir.path());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    assert_eq!(
        alice
            .client
            .send_audio_file("bob", ChatType::Private, "/no/such.wav", false, ""),
        Err(ErrorCode::PttFileNotExist)
    );
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/audio/enemy_team_push_middle.wav"
    );
    let id = alice
        .client
        .send_audio_file("bob", ChatType::Private, fixture, false, "from a file")
        .unwrap();
    let status = audio_status(&mut alice, id).await;
    assert_eq!(status.code, ErrorCode::Success);
    let message = bob.next_message().await;
    assert!(matches!(
        &message.body,
        MessageBody::Voice { extra_param, duration_ms, .. }
            if extra_param == "from a file" && *duration_ms > 1_000
    ));
}

/// The capture path for real microphones: a worker thread pulls the input while recording and
/// the clip is finished on a thread of its own; here the "microphone" is a synthetic source.
#[tokio::test]
async fn threaded_capture_records_and_sends_like_a_microphone() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client_with(&server, dir.path(), Capture::Threaded);
    let mut bob = voice_client(&server, dir.path());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    let id = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, true, false)
        .unwrap();
    let level = alice
        .wait_for("a record level", |e| match e {
            Event::RecordVolume { level_permille } if *level_permille > 0 => Some(*level_permille),
            _ => None,
        })
        .await;
    assert!(level <= 1000);
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 200)).await;
    alice
        .client
        .stop_and_send_audio_message("threaded")
        .unwrap();
    let status = audio_status(&mut alice, id).await;
    assert_eq!(
        (status.code, status.text.as_str()),
        (ErrorCode::Success, SPOKEN)
    );
    let message = bob.next_message().await;
    assert!(matches!(
        &message.body,
        MessageBody::Voice { text, extra_param, .. } if text == SPOKEN && extra_param == "threaded"
    ));
}
