//! Helpers shared by the integration tests: the ALSA `file` plugin device that feeds a raw
//! recording into cpal's real capture path on a machine without a sound card.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use yim_audio::{AudioFormat, Signal, SynthInput};

/// The format the ALSA `null` slave under the `file` plugin reports by default.
pub const ALSA_FILE_FORMAT: AudioFormat = AudioFormat {
    sample_rate: 48_000,
    channels: 2,
};

/// Renders a synthetic signal as interleaved f32.
pub fn render(signal: &Signal, format: AudioFormat, ms: u64) -> Vec<f32> {
    let mut s = SynthInput::new(signal, format, ms).unwrap();
    let mut v = vec![0.0f32; s.remaining_frames() as usize * usize::from(format.channels)];
    let n = s.fill(&mut v);
    v.truncate(n);
    v
}

/// Writes `samples` as raw f32 LE to `dir/in.raw`, an ALSA config whose default PCM reads it
/// (capture) and writes `dir/out.raw` (playback), and points `ALSA_CONFIG_PATH` at it.
/// Must run before anything in the process touches ALSA.
pub fn install_alsa_file_device(dir: &Path, samples: &[f32]) -> PathBuf {
    let raw: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let infile = dir.join("in.raw");
    std::fs::write(&infile, raw).unwrap();
    let conf = dir.join("asound.conf");
    std::fs::write(
        &conf,
        format!(
            "pcm.!default {{ type file; slave.pcm \"null\"; file \"{}\"; infile \"{}\"; format \"raw\" }}\n",
            dir.join("out.raw").display(),
            infile.display()
        ),
    )
    .unwrap();
    let system = ["/usr/share/alsa/alsa.conf", "/etc/alsa/alsa.conf"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("/usr/share/alsa/alsa.conf");
    // Edition 2021: set_var is safe; each integration test file is its own process and this
    // runs before any ALSA call in it.
    std::env::set_var("ALSA_CONFIG_PATH", format!("{system}:{}", conf.display()));
    infile
}
