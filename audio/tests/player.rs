//! Playback over a fake output: completion codes, stop, replace, volume, missing and non-WAV
//! files, and a failing device.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use yim_audio::{write_wav_i16, AudioFormat, AudioOutput, MemoryOutput, OutputError, Player};
use yim_proto::ErrorCode;

/// A MemoryOutput behind a shared handle so the test can look at what was played.
#[derive(Clone)]
struct Shared(Arc<Mutex<MemoryOutput>>);

impl AudioOutput for Shared {
    fn open(&mut self, f: AudioFormat) -> Result<(), OutputError> {
        self.0.lock().unwrap().open(f)
    }
    fn write(&mut self, s: &[f32]) -> Result<usize, OutputError> {
        self.0.lock().unwrap().write(s)
    }
    fn finish(&mut self) -> Result<(), OutputError> {
        self.0.lock().unwrap().finish()
    }
    fn stop(&mut self) {
        self.0.lock().unwrap().stop()
    }
}

fn fixture(dir: &std::path::Path, name: &str, samples: usize) -> std::path::PathBuf {
    let p = dir.join(name);
    let pcm: Vec<i16> = (0..samples)
        .map(|i| ((i % 100) as i16 - 50) * 200)
        .collect();
    write_wav_i16(&p, AudioFormat::SPEECH, &pcm).unwrap();
    p
}

#[test]
fn plays_to_the_end_with_success_and_applies_volume() {
    let dir = tempfile::tempdir().unwrap();
    let wav = fixture(dir.path(), "a.wav", 16_000);
    let out = Shared(Arc::new(Mutex::new(MemoryOutput::new(1_000))));
    let mut p = Player::new(Box::new(out.clone()));
    p.set_volume(0.5).unwrap();
    p.start_play(&wav).unwrap();
    assert!(p.is_playing());
    let mut pumps = 0;
    while p.is_playing() {
        pumps += 1;
        assert!(pumps < 100);
        p.pump(4_000);
    }
    assert_eq!(
        pumps, 4,
        "4000 samples per pump (4 writes of 1000), 16000 samples"
    );
    let c = p.poll_completion().unwrap();
    assert_eq!((c.code, c.path), (ErrorCode::Success, wav));
    assert!(p.poll_completion().is_none());
    let m = out.0.lock().unwrap();
    assert_eq!(m.played.len(), 16_000);
    assert_eq!(m.finished, 1);
    assert!((m.played[1] - 0.5 * (-49.0 * 200.0 / 32768.0)).abs() < 1e-4);
}

#[test]
fn stop_and_replace_complete_with_cancel_play() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture(dir.path(), "a.wav", 16_000);
    let b = fixture(dir.path(), "b.wav", 800);
    let mut p = Player::new(Box::new(MemoryOutput::new(500)));
    p.start_play(&a).unwrap();
    p.pump(500);
    p.start_play(&b).unwrap();
    let c = p.poll_completion().unwrap();
    assert_eq!((c.code, c.path), (ErrorCode::PttCancelPlay, a));
    assert!(p.stop());
    let c = p.poll_completion().unwrap();
    assert_eq!((c.code, c.path), (ErrorCode::PttCancelPlay, b));
    assert!(!p.stop());
    assert!(!p.is_playing());
    assert_eq!(p.pump(1_000), 0);
}

#[test]
fn bad_files_volumes_and_devices_map_to_yim_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Player::new(Box::new(MemoryOutput::new(0)));
    assert_eq!(
        p.start_play(&dir.path().join("missing.wav"))
            .unwrap_err()
            .code(),
        ErrorCode::PttFileNotExist
    );
    let not_wav = dir.path().join("n.wav");
    std::fs::write(&not_wav, b"#!AMR\n not a wav").unwrap();
    assert_eq!(
        p.start_play(&not_wav).unwrap_err().code(),
        ErrorCode::PttUnsupprtFormat
    );
    for v in [-0.1, 1.01, f32::NAN] {
        assert_eq!(p.set_volume(v).unwrap_err().code(), ErrorCode::ParamInvalid);
    }
    assert_eq!(p.volume(), 1.0);
    assert!(p.poll_completion().is_none());
    let good = fixture(dir.path(), "g.wav", 100);
    let mut failing = MemoryOutput::new(0);
    failing.fail_open = true;
    let mut p = Player::new(Box::new(failing));
    assert_eq!(
        p.start_play(&good).unwrap_err().code(),
        ErrorCode::PttNoAudioDevice
    );
    assert!(!p.is_playing());
}
