//! The real offline recognizer (Debian's PocketSphinx CLI) on a committed fixture: a 16 kHz
//! mono recording of "enemy team push middle" (synthesised once with espeak-ng).
//!
//! Skipped when the engine is not installed, except under CI (`CI` set), where setup.sh
//! installs it and a missing engine is a failure.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use yim_audio::wav::read_wav_i16_speech;
use yim_audio::{PocketSphinx, RecognizeError, Recognizer};
use yim_proto::ErrorCode;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/audio")
}

fn engine() -> Option<PocketSphinx> {
    match PocketSphinx::detect() {
        Ok(e) => Some(e),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipping: {e}");
            None
        }
        Err(e) => panic!("CI must have PocketSphinx (scripts/setup.sh installs it): {e}"),
    }
}

#[test]
fn grammar_mode_recognises_the_fixture_words() {
    let Some(engine) = engine() else { return };
    let mut engine = engine.with_grammar(fixtures().join("game.gram"));
    let pcm = read_wav_i16_speech(&fixtures().join("enemy_team_push_middle.wav")).unwrap();
    let text = engine.recognize(&pcm).unwrap();
    let expected = ["enemy", "team", "push", "middle"];
    let hits = expected
        .iter()
        .filter(|w| text.split(' ').any(|t| t == **w))
        .count();
    assert!(hits >= 3, "recognised {text:?}");
}

#[test]
fn open_vocabulary_gives_some_text_and_silence_gives_recognize_failed() {
    let Some(mut engine) = engine() else { return };
    let text = engine
        .recognize_wav(&fixtures().join("enemy_team_push_middle.wav"))
        .unwrap();
    assert!(!text.trim().is_empty());
    match engine.recognize(&vec![0i16; 16_000]) {
        Err(e @ RecognizeError::NoSpeech) => assert_eq!(e.code(), ErrorCode::PttRecognizeFailed),
        other => panic!("silence gave {other:?}"),
    }
    assert_eq!(
        engine.recognize(&[]).unwrap_err().code(),
        ErrorCode::PttRecognizeFailed
    );
}
