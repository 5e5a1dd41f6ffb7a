//! The real cpal capture path, headless: an ALSA `file` plugin device (selected with
//! `ALSA_CONFIG_PATH`) replays a synthetic recording, and what comes out of `CpalInput` must
//! be that recording bit for bit, and survive the pipeline with its embedded text.
#![allow(clippy::unwrap_used)]

mod common;

use yim_audio::cpal_io::{CaptureOptions, CpalInput};
use yim_audio::{AudioInput, Recognizer, RecordConfig, RecorderCore, Signal, ToneRecognizer};

#[test]
fn cpal_capture_through_the_alsa_file_plugin_is_bit_exact_and_recognisable() {
    let dir = tempfile::tempdir().unwrap();
    let signal = Signal::speech("hello 42");
    let ms = signal.natural_ms().unwrap();
    let fixture = common::render(&signal, common::ALSA_FILE_FORMAT, ms);
    // Extra tail so what the device reads past our content is still ours (the plugin does
    // not produce silence after the file ends).
    let mut file_content = fixture.clone();
    file_content.extend(std::iter::repeat_n(0.0, 48_000 * 2));
    common::install_alsa_file_device(dir.path(), &file_content);

    let mut input = CpalInput::open_default_with(CaptureOptions {
        ring_seconds: 10.0,
        buffer_frames: Some(480),
        callback_probe: None,
    })
    .unwrap();
    assert_eq!(
        input.format(),
        common::ALSA_FILE_FORMAT,
        "the file device's default format changed"
    );
    input.start().unwrap();
    let mut captured = Vec::with_capacity(fixture.len());
    let mut buf = vec![0.0f32; 9_600];
    // The file device is unpaced; this bound only stops a broken stream from hanging the test.
    for _ in 0..5_000 {
        let r = input.read(&mut buf).unwrap();
        captured.extend_from_slice(&buf[..r.samples]);
        if captured.len() >= fixture.len() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    input.stop();
    assert!(
        captured.len() >= fixture.len(),
        "captured only {} samples",
        captured.len()
    );
    let exact = captured[..fixture.len()]
        .iter()
        .zip(&fixture)
        .all(|(a, b)| a.to_bits() == b.to_bits());
    assert!(exact, "capture differs from the fixture");

    let mut core = RecorderCore::new(
        input.format(),
        RecordConfig {
            keep_pcm: true,
            ..RecordConfig::default()
        },
    )
    .unwrap();
    core.push(&captured[..fixture.len()]).unwrap();
    let clip = core.finish().unwrap();
    assert_eq!(u64::from(clip.duration_ms), ms);
    let text = ToneRecognizer::new()
        .recognize(clip.pcm.as_deref().unwrap())
        .unwrap();
    assert_eq!(text, "hello 42");
}
