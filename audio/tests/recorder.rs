//! The threaded recorder over `AudioInput`s: finish drains and returns the clip, cancel
//! deletes the file, input failures come back as YIM codes.
#![allow(clippy::unwrap_used)]

use yim_audio::{
    AudioFormat, AudioInput, InputError, ReadResult, Recognizer, RecordConfig, Recorder, Signal,
    SynthInput, ToneRecognizer,
};
use yim_proto::ErrorCode;

/// Polls for up to ~20 s (a slow CI machine), without reading a clock.
fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("condition not reached");
}

#[test]
fn finish_after_the_source_ends_returns_the_whole_clip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.wav");
    let format = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
    };
    let input = SynthInput::natural(&Signal::speech("ok go"), format, 0).unwrap();
    let config = RecordConfig {
        wav_path: Some(path.clone()),
        keep_pcm: true,
        ..RecordConfig::default()
    };
    let rec = Recorder::start(Box::new(input), config).unwrap();
    // The synthetic source is unpaced: wait for its level events to show it was consumed.
    let mut levels = 0;
    wait_until(|| {
        while rec.poll_event().is_some() {
            levels += 1;
        }
        levels >= 9
    });
    let clip = rec.finish().unwrap();
    assert_eq!(clip.duration_ms, 1_300);
    assert_eq!(
        ToneRecognizer::new()
            .recognize(clip.pcm.as_deref().unwrap())
            .unwrap(),
        "ok go"
    );
    assert!(path.exists());
    assert_eq!(clip.dropped_samples, 0);
}

#[test]
fn cancel_deletes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.wav");
    let input = SynthInput::new(&Signal::speech("abc"), AudioFormat::SPEECH, 5_000).unwrap();
    let rec = Recorder::start(
        Box::new(input),
        RecordConfig {
            wav_path: Some(path.clone()),
            ..RecordConfig::default()
        },
    )
    .unwrap();
    assert!(path.exists());
    rec.cancel();
    assert!(!path.exists());
}

struct Broken {
    fail_start: bool,
}

impl AudioInput for Broken {
    fn format(&self) -> AudioFormat {
        AudioFormat::SPEECH
    }
    fn start(&mut self) -> Result<(), InputError> {
        if self.fail_start {
            Err(InputError::NoDevice("unplugged".into()))
        } else {
            Ok(())
        }
    }
    fn read(&mut self, _: &mut [f32]) -> Result<ReadResult, InputError> {
        Err(InputError::StreamFailed("device vanished".into()))
    }
    fn stop(&mut self) {}
}

#[test]
fn input_failures_surface_as_yim_codes_and_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.wav");
    let config = RecordConfig {
        wav_path: Some(path.clone()),
        ..RecordConfig::default()
    };
    let err = Recorder::start(Box::new(Broken { fail_start: true }), config.clone()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::PttNoAudioDevice);
    assert!(!path.exists());
    let rec = Recorder::start(Box::new(Broken { fail_start: false }), config).unwrap();
    let err = rec.finish().unwrap_err();
    assert_eq!(err.code(), ErrorCode::PttStartRecordFailed);
    assert!(!path.exists());
}

#[test]
fn the_worker_stops_at_60_s_reports_it_and_finish_returns_the_capped_clip() {
    let input = SynthInput::new(
        &Signal::Tone {
            freq_hz: 250.0,
            amplitude: 0.3,
        },
        AudioFormat::SPEECH,
        61_000,
    )
    .unwrap();
    let rec = Recorder::start(Box::new(input), RecordConfig::default()).unwrap();
    let mut saw_max = false;
    wait_until(|| {
        while let Some(e) = rec.poll_event() {
            saw_max |= e == yim_audio::RecordEvent::MaxDurationReached;
        }
        saw_max
    });
    let clip = rec.finish().unwrap();
    assert!(clip.reached_max_duration);
    assert_eq!(clip.duration_ms, 60_000);
}
