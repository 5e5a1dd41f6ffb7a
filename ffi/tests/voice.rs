//! The voice calls through the C interface, beyond what `examples/chat.c` runs: recognise-only
//! mode, cancelling, sending a WAV file, and YIM's codes with no microphone.

// Calling a C interface from Rust is unsafe by nature; each block says why it is sound.
#![allow(unsafe_code)]

mod support;

use std::ptr::{null, null_mut};
use std::time::Duration;

use support::*;
use yim_ffi::*;

const SPOKEN: &str = "go left";
/// Longer than the simulated microphone takes to say `SPOKEN`.
const HOLD: Duration = Duration::from_millis(1900);

#[test]
fn recognise_only_mode_gives_the_text_and_sends_nothing() {
    let server = TestServer::start();
    let cache = tempfile::tempdir().expect("cache dir");
    let alice = TestClient::new(&Options::new(&server.addr).simulated(SPOKEN, cache.path()));
    let bob = TestClient::new(&Options::new(&server.addr));
    alice.login("alice");
    bob.login("bob");
    assert_eq!(
        yim_set_only_recognize_speech_text(alice.handle, 1),
        YimErrorCode::Success
    );
    let mut recording = 0;
    // SAFETY: a live string, a writable ID.
    let code = unsafe {
        yim_send_only_audio_message(
            alice.handle,
            c"bob".as_ptr(),
            YimChatType::Private as u32,
            &mut recording,
        )
    };
    assert_eq!(code, YimErrorCode::Success);
    // SAFETY: a live string, NULL out-parameter allowed.
    let second = unsafe {
        yim_send_audio_message(
            alice.handle,
            c"bob".as_ptr(),
            YimChatType::Private as u32,
            null_mut(),
        )
    };
    assert_eq!(second, YimErrorCode::PttIsSpeeching, "already recording");
    std::thread::sleep(HOLD);
    // SAFETY: NULL extra parameter and out-parameter are allowed.
    let code = unsafe { yim_stop_audio_message(alice.handle, null(), null_mut()) };
    assert_eq!(code, YimErrorCode::Success);
    let result = alice.completion(recording);
    assert_eq!(
        (result.kind, result.code, result.text.as_str()),
        (YimEventKind::RecognizeText, YimErrorCode::Success, SPOKEN)
    );
    assert_eq!(
        bob.try_next_event(Duration::from_secs(1)),
        Err(YimErrorCode::TimeOut),
        "nothing was sent"
    );
}

#[test]
fn a_cancelled_recording_sends_nothing_and_no_event_comes() {
    let server = TestServer::start();
    let cache = tempfile::tempdir().expect("cache dir");
    let alice = TestClient::new(&Options::new(&server.addr).simulated(SPOKEN, cache.path()));
    let bob = TestClient::new(&Options::new(&server.addr));
    alice.login("alice");
    bob.login("bob");
    // SAFETY: a live string; NULL out-parameter allowed.
    let code = unsafe {
        yim_send_audio_message(
            alice.handle,
            c"bob".as_ptr(),
            YimChatType::Private as u32,
            null_mut(),
        )
    };
    assert_eq!(code, YimErrorCode::Success);
    std::thread::sleep(HOLD);
    assert_eq!(
        yim_cancel_audio_message(alice.handle),
        YimErrorCode::Success
    );
    assert_eq!(
        yim_cancel_audio_message(alice.handle),
        YimErrorCode::PttNotStartRecord
    );
    // SAFETY: NULL arguments are allowed here.
    let stop = unsafe { yim_stop_audio_message(alice.handle, null(), null_mut()) };
    assert_eq!(stop, YimErrorCode::PttNotStartRecord);
    for client in [&alice, &bob] {
        assert_eq!(
            client.try_next_event(Duration::from_secs(1)),
            Err(YimErrorCode::TimeOut)
        );
    }
}

#[test]
fn a_wav_file_is_sent_as_a_voice_message_without_any_audio_device() {
    let server = TestServer::start();
    let alice = TestClient::new(&Options::new(&server.addr));
    let bob = TestClient::new(&Options::new(&server.addr));
    alice.login("alice");
    bob.login("bob");
    let private = YimChatType::Private as u32;
    // No microphone: YIM's code, at once.
    // SAFETY: a live string; NULL out-parameter allowed.
    let code =
        unsafe { yim_send_audio_message(alice.handle, c"bob".as_ptr(), private, null_mut()) };
    assert_eq!(code, YimErrorCode::PttNoAudioDevice);
    let wav = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/audio/enemy_team_push_middle.wav"
    );
    let (wav, missing) = (c(wav), c("/nonexistent/clip.wav"));
    let mut id = 0;
    // SAFETY: live strings, writable ID.
    unsafe {
        let code = yim_send_audio_file(
            alice.handle,
            c"bob".as_ptr(),
            private,
            missing.as_ptr(),
            0,
            null(),
            &mut id,
        );
        assert_eq!(code, YimErrorCode::PttFileNotExist);
        let code = yim_send_audio_file(
            alice.handle,
            c"bob".as_ptr(),
            private,
            wav.as_ptr(),
            0,
            c"from a file".as_ptr(),
            &mut id,
        );
        assert_eq!(code, YimErrorCode::Success);
    }
    assert_eq!(alice.completion(id).kind, YimEventKind::StartSendAudio);
    let status = alice.completion(id);
    assert_eq!(
        (status.kind, status.code),
        (YimEventKind::SendAudioStatus, YimErrorCode::Success)
    );
    let message = bob.message();
    assert_eq!(message.body_type, YimMessageBodyType::Voice);
    assert_eq!(message.message_id, status.message_id);
    assert_eq!(message.attach, "from a file");
    assert!(message.duration_ms > 1_000, "{message:?}");
    // No speaker: playback is refused with YIM's code.
    let mut playing = 1;
    // SAFETY: a live string; a writable byte.
    unsafe {
        assert_eq!(
            yim_start_play_audio(bob.handle, wav.as_ptr()),
            YimErrorCode::PttNoAudioDevice
        );
        assert_eq!(
            yim_is_playing(bob.handle, &mut playing),
            YimErrorCode::Success
        );
    }
    assert_eq!(playing, 0);
}

/// Real devices in a library built without them.
#[cfg(not(feature = "cpal"))]
#[test]
fn system_audio_without_the_cpal_feature_is_unsupport() {
    let mut options = Options::new("127.0.0.1:9");
    options.raw.audio_devices = YimAudioDevices::System as u32;
    let mut out = YimClient { id: 0 };
    // SAFETY: live options, a writable handle.
    assert_eq!(
        unsafe { yim_init(&options.raw, &mut out) },
        YimErrorCode::Unsupport
    );
}
