//! Voice messages end to end over real TCP, with synthetic audio: record (inline capture of a
//! tone-coded "speech" source), speech to text, upload, delivery, download to a WAV whose audio
//! still says the same text, playback; and YIM's rules and codes around them.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use yim_audio::{AudioFormat, MemoryOutput, Recognizer, Signal, SynthInput, ToneRecognizer};
use yim_proto::ErrorCode;
use yim_sdk::{
    AudioReceipt, AudioSetup, AudioWork, ChatType, Client, Event, MessageBody, Recognize,
    VoiceOutcome,
};
use yim_tests::{code, done, refusal, TestClient, TestServer};

const SPOKEN: &str = "go left now";

/// A client whose microphone says `SPOKEN` (48 kHz stereo), whose speaker is memory, and
/// whose recognizer reads the tone code.
fn voice_client(server: &TestServer, cache: &Path) -> TestClient {
    voice_client_with(server, cache, AudioWork::Inline)
}

fn voice_client_with(server: &TestServer, cache: &Path, work: AudioWork) -> TestClient {
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
        work,
    };
    TestClient::from_builder(server.client_builder().audio(setup))
}

/// What a recording sent.
fn sent(outcome: VoiceOutcome) -> AudioReceipt {
    match outcome {
        VoiceOutcome::Sent(receipt) => receipt,
        other => panic!("not sent: {other:?}"),
    }
}

fn spoken_ms() -> u64 {
    Signal::speech(SPOKEN).natural_ms().unwrap()
}

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

    let recording = alice
        .client
        .start_record_audio_message("world", ChatType::Room, Recognize::AlongWithSend)
        .unwrap();
    let id = recording.request_id();
    assert_eq!(
        refusal(alice.client.start_record_audio_message(
            "world",
            ChatType::Room,
            Recognize::AlongWithSend
        )),
        ErrorCode::PttIsSpeeching
    );
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 100)).await;
    assert_eq!(
        alice
            .client
            .stop_and_send_audio_message("{\"team\":2}")
            .unwrap(),
        id
    );
    let receipt = sent(done(Ok(recording)).await.unwrap());
    assert!(receipt.message_id > 0);
    assert_eq!(receipt.text, SPOKEN, "speech to text at the sender");
    assert!(receipt.audio_path.exists(), "the local WAV exists");
    // The stream has YIM's start event too, before the status.
    let started = alice
        .wait_for("StartSendAudio", |e| match e {
            Event::StartSendAudio {
                request_id,
                code,
                text,
                audio_path,
                ..
            } if *request_id == id => Some((*code, text.clone(), audio_path.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        started,
        (ErrorCode::Success, SPOKEN.to_owned(), receipt.audio_path)
    );

    let message = bob.next_message().await;
    assert_eq!(message.message_id, receipt.message_id);
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
    let saved = done(bob.client.download_audio(message.message_id, &save)).await;
    assert_eq!(saved.unwrap(), save);
    let samples = yim_audio::wav::read_wav_i16_speech(&save).unwrap();
    assert_eq!(
        ToneRecognizer::new().recognize(&samples).unwrap(),
        SPOKEN,
        "the downloaded audio says what was recorded"
    );

    bob.client.start_play_audio(&save).unwrap();
    let played = bob
        .wait_for("PlayCompletion", |e| match e {
            Event::PlayCompletion { code, path } => Some((*code, path.clone())),
            _ => None,
        })
        .await;
    assert_eq!(played, (ErrorCode::Success, save.clone()));

    let unknown = code(bob.client.download_audio(999_999, &save)).await;
    assert_eq!(unknown, ErrorCode::ParamInvalid);

    // The audio is private: the sender may download it, and carol (who joins the room only
    // now, so the message never reached her) gets what an unknown ID gets.
    let mine = dir.path().join("alice_own.wav");
    let own = done(alice.client.download_audio(message.message_id, &mine)).await;
    assert_eq!(own.unwrap(), mine);
    let mut carol = voice_client(&server, &dir.path().join("carol"));
    carol.login_ok("carol").await;
    carol.join_ok("world").await;
    let theirs = dir.path().join("carol_theirs.wav");
    let leaked = code(carol.client.download_audio(message.message_id, &theirs)).await;
    assert_eq!(leaked, ErrorCode::ParamInvalid);
    assert!(!theirs.exists(), "nothing saved");
}

#[tokio::test]
async fn cancel_gives_no_event_and_the_rules_give_yims_codes() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, dir.path());
    let record = |client: &Client| {
        client.start_record_audio_message("bob", ChatType::Private, Recognize::No)
    };
    assert_eq!(refusal(record(&alice.client)), ErrorCode::NotLogin);
    alice.login_ok("alice").await;
    assert_eq!(
        alice
            .client
            .stop_and_send_audio_message("")
            .unwrap_err()
            .code(),
        ErrorCode::PttNotStartRecord
    );
    let cancelled = record(&alice.client).unwrap();
    let id = cancelled.request_id();
    alice.client.cancel_audio_message().unwrap();
    assert_eq!(
        alice.client.cancel_audio_message().unwrap_err().code(),
        ErrorCode::PttNotStartRecord
    );
    // Awaiting a cancelled recording says so at once.
    let result = done(Ok(cancelled)).await;
    assert!(
        matches!(result, Err(yim_sdk::Error::Cancelled)),
        "{result:?}"
    );
    // Too short: the status says so, with no StartSendAudio before it.
    let short = record(&alice.client).unwrap();
    let short_id = short.request_id();
    alice.client.stop_and_send_audio_message("").unwrap();
    assert_eq!(code(Ok(short)).await, ErrorCode::PttSpeechTooShort);
    // Recognise only: one RecognizeText, nothing sent.
    let only = alice
        .client
        .start_record_audio_message("", ChatType::Private, Recognize::Only)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 100)).await;
    alice.client.stop_and_send_audio_message("").unwrap();
    let recognized = done(Ok(only)).await.unwrap();
    assert_eq!(
        recognized,
        VoiceOutcome::Recognized {
            text: SPOKEN.to_owned()
        }
    );
    // Nothing ever came for the cancelled recording, nor a start for the short one.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Some(event) = alice.client.try_next_event() {
        let wrong = match &event {
            Event::StartSendAudio { request_id, .. } => [id, short_id].contains(request_id),
            other => other.request_id() == Some(id),
        };
        assert!(!wrong, "unexpected event: {event:?}");
    }
    // Playback rules.
    assert_eq!(
        alice.client.set_volume(1.5).unwrap_err().code(),
        ErrorCode::ParamInvalid
    );
    let play = |path: &Path| alice.client.start_play_audio(path).unwrap_err().code();
    assert_eq!(
        play(Path::new("/no/such/file.wav")),
        ErrorCode::PttFileNotExist
    );
    let not_wav = dir.path().join("not.wav");
    std::fs::write(&not_wav, b"definitely not RIFF").unwrap();
    assert_eq!(play(&not_wav), ErrorCode::PttUnsupprtFormat);
    assert_eq!(
        alice.client.stop_play_audio().unwrap_err().code(),
        ErrorCode::PttNotStartPlay
    );
}

#[tokio::test]
async fn without_a_microphone_recording_fails_with_no_audio_device_and_its_source() {
    let server = TestServer::start().await;
    let mut alice = server.client();
    alice.login_ok("alice").await;
    for _ in 0..2 {
        // The failed start left nothing behind: a new one gets the same code, not 2007.
        let refused = alice
            .client
            .start_record_audio_message("bob", ChatType::Private, Recognize::No)
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::PttNoAudioDevice);
        let source = std::error::Error::source(&refused).map(|s| s.to_string());
        assert!(
            source.is_some_and(|s| s.contains("no audio input")),
            "the audio crate's error is kept: {refused:?}"
        );
    }
}

#[tokio::test]
async fn a_wav_file_is_sent_as_a_voice_message() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, dir.path());
    let mut bob = voice_client(&server, dir.path());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    let send = |path: &Path, extra: &str| {
        alice
            .client
            .send_audio_file("bob", ChatType::Private, path, Recognize::No, extra)
    };
    assert_eq!(
        refusal(send(Path::new("/no/such.wav"), "")),
        ErrorCode::PttFileNotExist
    );
    let fixture = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/audio/enemy_team_push_middle.wav"
    ));
    let receipt = sent(done(send(fixture, "from a file")).await.unwrap());
    let message = bob.next_message().await;
    assert_eq!(message.message_id, receipt.message_id);
    assert!(matches!(
        &message.body,
        MessageBody::Voice { extra_param, duration_ms, .. }
            if extra_param == "from a file" && *duration_ms > 1_000
    ));
}

/// Dropping a recording's request neither cancels the recording nor loses its completion: it
/// is stopped and sent as usual, and its status comes through the event stream.
#[tokio::test]
async fn a_dropped_recording_request_still_records_sends_and_completes_in_the_stream() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, &dir.path().join("alice"));
    let mut bob = voice_client(&server, &dir.path().join("bob"));
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    let recording = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, Recognize::AlongWithSend)
        .unwrap();
    let id = recording.request_id();
    drop(recording);
    let again = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, Recognize::No);
    assert_eq!(refusal(again), ErrorCode::PttIsSpeeching, "still recording");
    tokio::time::sleep(Duration::from_millis(spoken_ms() + 100)).await;
    assert_eq!(alice.client.stop_and_send_audio_message("").unwrap(), id);
    let status = alice
        .wait_for("the recording's status", |e| match e {
            Event::SendAudioStatus(status) if status.request_id == id => Some(status.clone()),
            _ => None,
        })
        .await;
    assert_eq!(status.code, ErrorCode::Success);
    assert_eq!(status.text, SPOKEN);
    let message = bob.next_message().await;
    assert_eq!(message.message_id, status.message_id);
}

/// Heavy audio work never runs under the client's lock: opening the output of a playback (and
/// reading its WAV), and finishing a WAV file sent under a threaded setup (encoding, speech to
/// text), run while another thread can still use the client. Each seam probes the lock from
/// another thread and records whether the client answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playing_and_sending_a_wav_file_leave_the_client_usable_meanwhile() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let slot: Arc<OnceLock<Client>> = Arc::new(OnceLock::new());
    let probes: Arc<Mutex<Vec<(&'static str, bool)>>> = Arc::default();
    let probe = |what: &'static str| {
        let (slot, probes) = (slot.clone(), probes.clone());
        move || {
            let answered = slot.get().cloned().is_some_and(|client| {
                let (tx, rx) = std::sync::mpsc::channel();
                std::thread::spawn(move || tx.send(client.state()));
                rx.recv_timeout(Duration::from_secs(2)).is_ok()
            });
            probes.lock().unwrap().push((what, answered));
        }
    };
    let (output_probe, recognizer_probe) = (probe("output"), probe("recognizer"));
    let setup = AudioSetup {
        output: Arc::new(move || {
            output_probe();
            Ok(Box::new(MemoryOutput::new(4_096)) as Box<dyn yim_audio::AudioOutput>)
        }),
        recognizer: Some(Arc::new(move || {
            recognizer_probe();
            Box::new(ToneRecognizer::new()) as Box<dyn Recognizer>
        })),
        cache_dir: Some(dir.path().to_path_buf()),
        work: AudioWork::Threaded,
        ..AudioSetup::unavailable()
    };
    let mut alice = TestClient::from_builder(server.client_builder().audio(setup));
    let _ = slot.set(alice.client.clone());
    alice.login_ok("alice").await;
    server.client().login_ok("bob").await;
    let fixture = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/audio/enemy_team_push_middle.wav"
    ));
    let send = alice.client.send_audio_file(
        "bob",
        ChatType::Private,
        fixture,
        Recognize::AlongWithSend,
        "",
    );
    sent(done(send).await.unwrap());
    alice.client.start_play_audio(fixture).unwrap();
    assert_eq!(
        *probes.lock().unwrap(),
        vec![("recognizer", true), ("output", true)]
    );
}

/// The path for real microphones: a worker thread pulls the input while recording, the clip is
/// finished and downloads are saved on the runtime's blocking pool; here the "microphone" is a
/// synthetic source. Multi-threaded, as in an application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threaded_capture_records_and_sends_like_a_microphone() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client_with(&server, &dir.path().join("a"), AudioWork::Threaded);
    let mut bob = voice_client_with(&server, &dir.path().join("b"), AudioWork::Threaded);
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    let recording = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, Recognize::AlongWithSend)
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
    let receipt = sent(done(Ok(recording)).await.unwrap());
    assert_eq!(receipt.text, SPOKEN);
    let message = bob.next_message().await;
    assert!(matches!(
        &message.body,
        MessageBody::Voice { text, extra_param, .. } if text == SPOKEN && extra_param == "threaded"
    ));
    let save = dir.path().join("b/saved.wav");
    assert_eq!(
        done(bob.client.download_audio(message.message_id, &save))
            .await
            .unwrap(),
        save
    );
    let samples = yim_audio::wav::read_wav_i16_speech(&save).unwrap();
    assert_eq!(ToneRecognizer::new().recognize(&samples).unwrap(), SPOKEN);
}

/// A recording ends with its session: its one status says NetError, its file is deleted, a
/// later stop has nothing to stop, and nothing is ever sent (in particular not as the account
/// that logs in next).
#[tokio::test]
async fn a_recording_ends_with_its_session_and_is_never_sent_as_another_account() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut alice = voice_client(&server, dir.path());
    let mut bob = server.client();
    bob.login_ok("bob").await;
    alice.login_ok("alice").await;
    let recording = alice
        .client
        .start_record_audio_message("bob", ChatType::Private, Recognize::No)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(spoken_ms())).await;
    assert_eq!(code(alice.client.logout()).await, ErrorCode::Success);
    assert_eq!(code(Ok(recording)).await, ErrorCode::NetError);
    alice.login_ok("mallory").await;
    assert_eq!(
        alice
            .client
            .stop_and_send_audio_message("")
            .unwrap_err()
            .code(),
        ErrorCode::PttNotStartRecord
    );
    bob.assert_no_message(Duration::from_millis(300)).await;
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(
        left,
        Vec::<std::path::PathBuf>::new(),
        "the recording's file is gone"
    );
}
