//! The sans-IO record pipeline end to end on synthetic input: formats, exact lengths, the
//! WAV file, the wire encoding, level events, too short / no speech, the 60 s cap, cancel,
//! and determinism.
#![allow(clippy::unwrap_used)]

mod common;

use yim_audio::{
    decode_to_pcm, read_wav, wire, AudioFormat, PushOutcome, Recognizer, RecordConfig, RecordError,
    RecordEvent, RecorderCore, Signal, ToneRecognizer,
};
use yim_proto::ErrorCode;

fn record(
    format: AudioFormat,
    samples: &[f32],
    piece_frames: usize,
    config: RecordConfig,
) -> (
    Result<yim_audio::RecordedClip, RecordError>,
    Vec<RecordEvent>,
) {
    let mut core = RecorderCore::new(format, config).unwrap();
    let mut events = Vec::new();
    for p in samples.chunks(piece_frames * usize::from(format.channels)) {
        core.push(p).unwrap();
        while let Some(e) = core.poll_event() {
            events.push(e);
        }
    }
    (core.finish(), events)
}

#[test]
fn every_common_device_format_gives_a_16k_clip_with_the_text_intact() {
    let signal = Signal::speech("see you at 9");
    let ms = signal.natural_ms().unwrap();
    for (rate, channels) in [
        (48_000, 2),
        (44_100, 2),
        (16_000, 1),
        (8_000, 1),
        (48_000, 1),
    ] {
        let format = AudioFormat {
            sample_rate: rate,
            channels,
        };
        let dir = tempfile::tempdir().unwrap();
        let wav_path = dir.path().join("sub/dir/clip.wav");
        let input = common::render(&signal, format, ms);
        let config = RecordConfig {
            wav_path: Some(wav_path.clone()),
            keep_pcm: true,
            ..RecordConfig::default()
        };
        let (clip, events) = record(format, &input, 441, config);
        let clip = clip.unwrap();
        assert_eq!(u64::from(clip.duration_ms), ms, "{rate}/{channels}");
        let pcm = clip.pcm.as_ref().unwrap();
        assert_eq!(pcm.len() as u64, ms * 16);
        // The WAV file holds exactly the kept samples.
        let wav = read_wav(&wav_path).unwrap();
        assert_eq!(wav.format, AudioFormat::SPEECH);
        assert_eq!(wav.samples.len(), pcm.len());
        assert!((wav.samples[5_000] - f32::from(pcm[5_000]) / 32768.0).abs() < 1e-6);
        assert_eq!(
            ToneRecognizer::new().recognize(pcm).unwrap(),
            "see you at 9",
            "{rate}/{channels}"
        );
        // The wire encoding decodes to the same length and still carries the text.
        let (decoded, out_rate) = decode_to_pcm(&clip.encoded).unwrap();
        assert_eq!(out_rate, 16_000);
        assert_eq!(decoded.len(), pcm.len());
        assert_eq!(
            ToneRecognizer::new().recognize(&decoded).unwrap(),
            "see you at 9"
        );
        // Levels: one per 125 ms of audio, in 0..=1, loud during bursts. Up to two windows'
        // worth is still inside the resampler (100 ms chunks plus its delay) when the last push
        // returns; those levels are produced by finish, which no one polls.
        let levels: Vec<f32> = events
            .iter()
            .filter_map(|e| match e {
                RecordEvent::Level(l) => Some(*l),
                _ => None,
            })
            .collect();
        let n = levels.len() as u64;
        assert!(
            (ms / 125 - 2..=ms / 125).contains(&n),
            "{n} levels for {ms} ms"
        );
        assert!(levels.iter().all(|l| (0.0..=1.0).contains(l)));
        assert!(levels.iter().any(|l| *l > 0.2));
        assert!(!clip.reached_max_duration);
        assert!(clip.speech_ms >= 500);
    }
}

#[test]
fn same_input_gives_identical_bytes_whatever_the_push_sizes() {
    let format = AudioFormat {
        sample_rate: 44_100,
        channels: 2,
    };
    let input = common::render(
        &Signal::SpeechLike {
            text: "abc".into(),
            noise: 0.02,
            seed: 3,
        },
        format,
        2_000,
    );
    let (a, _) = record(format, &input, 100, RecordConfig::default());
    let (b, _) = record(format, &input, 4_096, RecordConfig::default());
    assert_eq!(a.unwrap().encoded, b.unwrap().encoded);
}

#[test]
fn too_short_or_no_speech_is_speech_too_short_and_deletes_the_file() {
    let format = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
    };
    let cases = [
        (
            Signal::Tone {
                freq_hz: 300.0,
                amplitude: 0.5,
            },
            600u64,
        ),
        (Signal::Silence, 3_000),
        (
            Signal::Noise {
                seed: 2,
                amplitude: 0.5,
            },
            3_000,
        ),
    ];
    for (signal, ms) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.wav");
        let config = RecordConfig {
            wav_path: Some(path.clone()),
            ..RecordConfig::default()
        };
        let (clip, _) = record(format, &common::render(&signal, format, ms), 960, config);
        let err = clip.unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::PttSpeechTooShort,
            "{signal:?}: {err}"
        );
        assert!(!path.exists(), "{signal:?}: file left behind");
    }
}

#[test]
fn recording_stops_at_60_s_and_reports_it() {
    let format = AudioFormat {
        sample_rate: 48_000,
        channels: 2,
    };
    let mut core = RecorderCore::new(format, RecordConfig::default()).unwrap();
    let second = common::render(
        &Signal::Tone {
            freq_hz: 220.0,
            amplitude: 0.3,
        },
        format,
        1_000,
    );
    let mut outcomes = Vec::new();
    for _ in 0..61 {
        outcomes.push(core.push(&second).unwrap());
    }
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == PushOutcome::Continue)
            .count(),
        59
    );
    assert_eq!(outcomes[59], PushOutcome::MaxDurationReached);
    assert!(core.is_full());
    let mut saw_max = false;
    while let Some(e) = core.poll_event() {
        saw_max |= e == RecordEvent::MaxDurationReached;
    }
    assert!(saw_max);
    let clip = core.finish().unwrap();
    assert!(clip.reached_max_duration);
    assert_eq!(clip.duration_ms, 60_000);
    assert!(clip.encoded.len() <= 60_000, "{} bytes", clip.encoded.len());
    assert_eq!(
        wire::parse(&clip.encoded).unwrap().header.duration_ms(),
        60_000
    );
}

#[test]
fn cancel_deletes_the_file_and_bad_configs_are_param_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.wav");
    let mut core = RecorderCore::new(
        AudioFormat::SPEECH,
        RecordConfig {
            wav_path: Some(path.clone()),
            ..RecordConfig::default()
        },
    )
    .unwrap();
    core.push(&[0.1; 16_000]).unwrap();
    assert!(path.exists());
    core.cancel();
    assert!(!path.exists());
    let bad = RecordConfig {
        max_duration_ms: 61_000,
        ..RecordConfig::default()
    };
    assert_eq!(
        RecorderCore::new(AudioFormat::SPEECH, bad)
            .unwrap_err()
            .code(),
        ErrorCode::ParamInvalid
    );
    let bad_format = AudioFormat {
        sample_rate: 4_000,
        channels: 1,
    };
    assert_eq!(
        RecorderCore::new(bad_format, RecordConfig::default())
            .unwrap_err()
            .code(),
        ErrorCode::ParamInvalid
    );
}
