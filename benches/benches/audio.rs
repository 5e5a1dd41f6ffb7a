//! yim-audio: every stage of the voice pipeline and the whole pipeline on 60 s of 48 kHz
//! stereo f32 (speech-like synthetic input with background noise), WAV write + read of 60 s at
//! 16 kHz, the Opus encoder (speed and bytes per 60 s), and release -> file ready.
//!
//! Besides criterion's own output, a summary table is printed first with each stage as
//! "x realtime" and as a ratio to a plain copy of the same input bytes timed in the same run
//! (median of a few runs), because absolute times on shared VMs vary too much.
//!
//! Run: `cargo bench -p yim-benches --bench audio`

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use yim_audio::codec::{StreamEncoder, BITRATE_BPS};
use yim_audio::level::LevelMeter;
use yim_audio::resample::{downmix_into, to_i16, ToSpeechRate};
use yim_audio::vad::{EnergyVad, VAD_FRAME};
use yim_audio::wav::{read_wav_i16_speech, write_wav_i16};
use yim_audio::{AudioFormat, RecordConfig, RecorderCore, Signal, SynthInput};

const SECONDS: f64 = 60.0;
const DEVICE: AudioFormat = AudioFormat {
    sample_rate: 48_000,
    channels: 2,
};
/// Push size of the pipeline runs: 10 ms of device audio, like a cpal callback.
const PUSH: usize = 480 * 2;

fn input_60s(format: AudioFormat) -> Vec<f32> {
    let text: String = "meet me at the bridge in 5 minutes "
        .repeat(6)
        .chars()
        .take(200)
        .collect();
    let signal = Signal::SpeechLike {
        text,
        noise: 0.01,
        seed: 1,
    };
    let mut s = SynthInput::new(&signal, format, 60_000).expect("valid synthetic source");
    let mut v = vec![0.0f32; s.remaining_frames() as usize * usize::from(format.channels)];
    let n = s.fill(&mut v);
    v.truncate(n);
    v
}

fn downmix(input: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(input.len() / 2);
    downmix_into(input, 2, &mut out);
    out
}

fn resample_mono(mono48: &[f32]) -> Vec<f32> {
    let mut r = ToSpeechRate::new(AudioFormat {
        sample_rate: 48_000,
        channels: 1,
    })
    .expect("48k mono is supported");
    let mut out = Vec::with_capacity(960_000 + 1024);
    for chunk in mono48.chunks(480) {
        r.push(chunk, &mut out).expect("resample");
    }
    r.finish(&mut out).expect("flush");
    out
}

fn to_pcm(mono16: &[f32]) -> Vec<i16> {
    mono16.iter().map(|&x| to_i16(x)).collect()
}

fn level_and_vad(mono16: &[f32], pcm: &[i16]) -> u32 {
    let mut meter = LevelMeter::new(2_000);
    let mut levels = 0u32;
    for &x in mono16 {
        levels += u32::from(meter.push(x).is_some());
    }
    let mut vad = EnergyVad::default();
    for f in pcm.chunks_exact(VAD_FRAME) {
        vad.push_frame(f);
    }
    levels + vad.voiced_ms()
}

fn encode(pcm: &[i16]) -> Vec<u8> {
    let mut e = StreamEncoder::new(BITRATE_BPS).expect("encoder");
    for c in pcm.chunks(320) {
        e.push(c).expect("encode");
    }
    e.finish().expect("finish")
}

fn pipeline(input: &[f32], wav: Option<std::path::PathBuf>, encode: bool) -> usize {
    let config = RecordConfig {
        wav_path: wav,
        encode,
        ..RecordConfig::default()
    };
    let mut core = RecorderCore::new(DEVICE, config).expect("core");
    for c in input.chunks(PUSH) {
        core.push(c).expect("push");
    }
    core.finish().expect("finish").encoded.len()
}

fn wav_write_read(dir: &std::path::Path, pcm: &[i16]) -> usize {
    let p = dir.join("bench.wav");
    write_wav_i16(&p, AudioFormat::SPEECH, pcm).expect("write");
    read_wav_i16_speech(&p).expect("read").len()
}

/// Median wall time of `runs` calls, in seconds.
#[allow(clippy::disallowed_methods)] // reason: a benchmark measures wall time by definition
fn median_secs<R>(runs: usize, mut f: impl FnMut() -> R) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn summary() {
    let input = input_60s(DEVICE);
    let mono48 = downmix(&input);
    let mono16 = resample_mono(&mono48);
    let pcm = to_pcm(&mono16);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut copy_dst = vec![0.0f32; input.len()];
    let copy = median_secs(7, || copy_dst.copy_from_slice(black_box(&input)));
    // Release -> file ready: push 60 s (not timed), then time finish().
    let finish = {
        let mut times = Vec::new();
        for _ in 0..3 {
            let config = RecordConfig {
                wav_path: Some(dir.path().join("release.wav")),
                ..RecordConfig::default()
            };
            let mut core = RecorderCore::new(DEVICE, config).expect("core");
            for c in input.chunks(PUSH) {
                core.push(c).expect("push");
            }
            times.push(median_secs(1, || {
                // Run finish inside the timed closure; the core is moved in.
                let c = std::mem::replace(
                    &mut core,
                    RecorderCore::new(DEVICE, RecordConfig::default()).expect("core"),
                );
                black_box(c.finish().expect("finish"));
            }));
        }
        times.sort_by(f64::total_cmp);
        times[1]
    };
    let encoded = encode(&pcm);
    let rows: Vec<(&str, f64)> = vec![
        ("copy of the 60 s input (23 MB)", copy),
        (
            "downmix 48k stereo -> mono",
            median_secs(5, || black_box(downmix(&input))),
        ),
        (
            "resample 48k -> 16k (rubato Fft)",
            median_secs(5, || black_box(resample_mono(&mono48))),
        ),
        ("f32 -> i16", median_secs(5, || black_box(to_pcm(&mono16)))),
        (
            "level meter + VAD",
            median_secs(5, || black_box(level_and_vad(&mono16, &pcm))),
        ),
        (
            "WAV write + read 60 s 16k (file)",
            median_secs(5, || black_box(wav_write_read(dir.path(), &pcm))),
        ),
        (
            "Opus encode 60 s 16k",
            median_secs(3, || black_box(encode(&pcm))),
        ),
        (
            "pipeline, no codec, WAV file",
            median_secs(3, || {
                black_box(pipeline(&input, Some(dir.path().join("p.wav")), false))
            }),
        ),
        (
            "pipeline with codec, WAV file",
            median_secs(3, || {
                black_box(pipeline(&input, Some(dir.path().join("q.wav")), true))
            }),
        ),
        ("release -> file ready (finish)", finish),
    ];
    eprintln!("\nyim-audio summary, 60 s of 48 kHz stereo f32 input (median wall time):");
    eprintln!(
        "{:<40} {:>10} {:>12} {:>10}",
        "stage", "ms", "x realtime", "x copy"
    );
    for (name, secs) in rows {
        eprintln!(
            "{:<40} {:>10.2} {:>12.0} {:>10.1}",
            name,
            secs * 1e3,
            SECONDS / secs,
            secs / copy
        );
    }
    eprintln!(
        "Opus wire bytes for 60 s: {} ({:.1} kb/s including framing)\n",
        encoded.len(),
        encoded.len() as f64 * 8.0 / SECONDS / 1000.0
    );
}

fn stages(c: &mut Criterion) {
    summary();
    let input = input_60s(DEVICE);
    let mono48 = downmix(&input);
    let mono16 = resample_mono(&mono48);
    let pcm = to_pcm(&mono16);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g = c.benchmark_group("audio_60s_48k_stereo");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let mut copy_dst = vec![0.0f32; input.len()];
    g.bench_function("copy_input", |b| {
        b.iter(|| copy_dst.copy_from_slice(black_box(&input)))
    });
    g.bench_function("downmix", |b| b.iter(|| downmix(black_box(&input))));
    g.bench_function("resample_48k_16k", |b| {
        b.iter(|| resample_mono(black_box(&mono48)))
    });
    g.bench_function("f32_to_i16", |b| b.iter(|| to_pcm(black_box(&mono16))));
    g.bench_function("level_and_vad", |b| {
        b.iter(|| level_and_vad(black_box(&mono16), &pcm))
    });
    g.bench_function("wav_write_read_16k", |b| {
        b.iter(|| wav_write_read(dir.path(), black_box(&pcm)))
    });
    g.bench_function("opus_encode_16k", |b| b.iter(|| encode(black_box(&pcm))));
    g.bench_function("pipeline_no_codec", |b| {
        b.iter(|| pipeline(black_box(&input), Some(dir.path().join("p.wav")), false))
    });
    g.bench_function("pipeline_with_codec", |b| {
        b.iter(|| pipeline(black_box(&input), Some(dir.path().join("q.wav")), true))
    });
    g.bench_function("release_to_file_ready", |b| {
        b.iter_batched(
            || {
                let config = RecordConfig {
                    wav_path: Some(dir.path().join("r.wav")),
                    ..RecordConfig::default()
                };
                let mut core = RecorderCore::new(DEVICE, config).expect("core");
                for c in input.chunks(PUSH) {
                    core.push(c).expect("push");
                }
                core
            },
            |core| core.finish().expect("finish"),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
