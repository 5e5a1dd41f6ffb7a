//! With no sound card, opening cpal devices fails with YIM's codes instead of panicking
//! (`PTT_NoAudioDevice` 2026). On a machine that has a device, the assertions are skipped.
#![allow(clippy::unwrap_used)]

use yim_audio::cpal_io::{CpalInput, CpalOutput};
use yim_audio::{AudioFormat, AudioOutput, Player};
use yim_proto::ErrorCode;

#[test]
fn no_sound_card_maps_to_no_audio_device() {
    if CpalInput::default_device_available() {
        eprintln!("an input device exists here: skipping the no-device assertions");
        return;
    }
    let err = CpalInput::open_default().unwrap_err();
    assert_eq!(err.code(), ErrorCode::PttNoAudioDevice, "{err}");
    let err = CpalOutput::new().open(AudioFormat::SPEECH).unwrap_err();
    assert!(
        matches!(
            err.code(),
            ErrorCode::PttNoAudioDevice | ErrorCode::PttStartPlayFailed
        ),
        "{err}"
    );
    // Through the player: a real file, no device.
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("a.wav");
    yim_audio::write_wav_i16(&wav, AudioFormat::SPEECH, &[0; 1600]).unwrap();
    let mut player = Player::new(Box::new(CpalOutput::new()));
    let err = player.start_play(&wav).unwrap_err();
    assert!(matches!(
        err.code(),
        ErrorCode::PttNoAudioDevice | ErrorCode::PttStartPlayFailed
    ));
    assert!(!player.is_playing());
}
