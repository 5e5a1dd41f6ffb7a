//! WAV files (hound): bounded loading, 16-bit writing, and file-backed [`AudioInput`] /
//! [`AudioOutput`] for tools and tests.
//!
//! Loading maps failures to typed [`FileError`]s (missing -> `PTT_FileNotExist`, not a WAV ->
//! `PTT_UnsupprtFormat`) and refuses files longer than [`MAX_WAV_MS`]. The recording
//! pipeline writes its WAV incrementally itself (see [`crate::pipeline`]); this module is for
//! whole files.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

use crate::error::{FileError, InputError, OutputError};
use crate::limits::{MAX_WAV_MS, MAX_WAV_SAMPLES};
use crate::traits::{AudioFormat, AudioInput, AudioOutput, ReadResult};

/// A loaded WAV: interleaved f32 samples in `[-1, 1]` and their format.
#[derive(Debug, Clone, PartialEq)]
pub struct WavClip {
    /// Rate and channels.
    pub format: AudioFormat,
    /// Interleaved samples.
    pub samples: Vec<f32>,
}

impl WavClip {
    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        let frames = self.samples.len() as u64 / u64::from(self.format.channels.max(1));
        frames * 1000 / u64::from(self.format.sample_rate.max(1))
    }
}

pub(crate) fn io_error(path: &Path, e: &std::io::Error) -> FileError {
    if e.kind() == std::io::ErrorKind::NotFound {
        FileError::NotFound(path.to_path_buf())
    } else {
        FileError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    }
}

pub(crate) fn hound_error(path: &Path, e: hound::Error) -> FileError {
    match e {
        hound::Error::IoError(io) => io_error(path, &io),
        hound::Error::Unsupported => FileError::Unsupported(format!("{}", path.display())),
        other => FileError::NotWav {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

/// The 16-bit mono/multi-channel spec for writing.
pub fn spec_i16(format: AudioFormat) -> WavSpec {
    WavSpec {
        channels: format.channels,
        sample_rate: format.sample_rate,
        bits_per_sample: 16,
        sample_format: SampleFormat::Int,
    }
}

/// Loads a whole WAV file (8/16/24/32-bit integer or 32-bit float PCM).
pub fn read_wav(path: &Path) -> Result<WavClip, FileError> {
    let mut reader = WavReader::open(path).map_err(|e| hound_error(path, e))?;
    let spec = reader.spec();
    let format = AudioFormat {
        sample_rate: spec.sample_rate,
        channels: spec.channels,
    };
    if !format.is_supported() {
        return Err(FileError::Unsupported(format!(
            "{} Hz, {} channels",
            spec.sample_rate, spec.channels
        )));
    }
    let frames = u64::from(reader.duration());
    let total = frames * u64::from(spec.channels);
    if total > MAX_WAV_SAMPLES || frames * 1000 / u64::from(spec.sample_rate) > MAX_WAV_MS {
        return Err(FileError::Unsupported(format!(
            "longer than {} s",
            MAX_WAV_MS / 1000
        )));
    }
    let mut samples = Vec::with_capacity(total as usize);
    let bad = |e| hound_error(path, e);
    match (spec.sample_format, spec.bits_per_sample) {
        (SampleFormat::Float, 32) => {
            for s in reader.samples::<f32>() {
                samples.push(s.map_err(bad)?);
            }
        }
        (SampleFormat::Int, bits @ 1..=32) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            if bits <= 16 {
                for s in reader.samples::<i16>() {
                    samples.push(f32::from(s.map_err(bad)?) * scale);
                }
            } else {
                for s in reader.samples::<i32>() {
                    samples.push(s.map_err(bad)? as f32 * scale);
                }
            }
        }
        (f, bits) => {
            return Err(FileError::Unsupported(format!("{f:?} {bits}-bit samples")));
        }
    }
    Ok(WavClip { format, samples })
}

/// Reads a 16 kHz mono 16-bit WAV as i16 (the recognizer's input); other layouts are
/// rejected as unsupported.
pub fn read_wav_i16_speech(path: &Path) -> Result<Vec<i16>, FileError> {
    let mut reader = WavReader::open(path).map_err(|e| hound_error(path, e))?;
    let spec = reader.spec();
    if spec != spec_i16(AudioFormat::SPEECH) {
        return Err(FileError::Unsupported(format!(
            "need 16 kHz mono 16-bit, got {} Hz {} ch {}-bit",
            spec.sample_rate, spec.channels, spec.bits_per_sample
        )));
    }
    if u64::from(reader.duration()) * 1000 / 16_000 > MAX_WAV_MS {
        return Err(FileError::Unsupported("too long".into()));
    }
    reader
        .samples::<i16>()
        .map(|s| s.map_err(|e| hound_error(path, e)))
        .collect()
}

/// Writes i16 samples (interleaved in `format`) to a new WAV file.
pub fn write_wav_i16(path: &Path, format: AudioFormat, samples: &[i16]) -> Result<(), FileError> {
    let mut w = WavWriter::create(path, spec_i16(format)).map_err(|e| hound_error(path, e))?;
    let n = u32::try_from(samples.len())
        .map_err(|_| FileError::Unsupported("too many samples".into()))?;
    let mut fast = w.get_i16_writer(n);
    for &s in samples {
        fast.write_sample(s);
    }
    fast.flush().map_err(|e| hound_error(path, e))?;
    w.finalize().map_err(|e| hound_error(path, e))
}

/// An [`AudioInput`] that plays a WAV file (loaded at construction) as fast as it is read.
#[derive(Debug, Clone)]
pub struct WavFileInput {
    clip: WavClip,
    position: usize,
    started: bool,
}

impl WavFileInput {
    /// Loads `path`.
    pub fn open(path: &Path) -> Result<Self, InputError> {
        Ok(WavFileInput {
            clip: read_wav(path)?,
            position: 0,
            started: false,
        })
    }
}

impl AudioInput for WavFileInput {
    fn format(&self) -> AudioFormat {
        self.clip.format
    }

    fn start(&mut self) -> Result<(), InputError> {
        self.started = true;
        Ok(())
    }

    fn read(&mut self, buf: &mut [f32]) -> Result<ReadResult, InputError> {
        let channels = usize::from(self.clip.format.channels);
        if !self.started {
            return Ok(ReadResult {
                samples: 0,
                ended: false,
            });
        }
        let left = self.clip.samples.len() - self.position;
        let n = (buf.len() / channels * channels).min(left);
        buf[..n].copy_from_slice(&self.clip.samples[self.position..self.position + n]);
        self.position += n;
        Ok(ReadResult {
            samples: n,
            ended: self.position == self.clip.samples.len(),
        })
    }

    fn stop(&mut self) {
        self.started = false;
    }
}

/// An [`AudioOutput`] that writes what is played into a 16-bit WAV file.
pub struct WavFileOutput {
    path: PathBuf,
    writer: Option<WavWriter<BufWriter<File>>>,
    channels: usize,
}

impl std::fmt::Debug for WavFileOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavFileOutput")
            .field("path", &self.path)
            .field("open", &self.writer.is_some())
            .finish()
    }
}

impl WavFileOutput {
    /// An output that will create `path` when opened.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        WavFileOutput {
            path: path.into(),
            writer: None,
            channels: 1,
        }
    }
}

impl AudioOutput for WavFileOutput {
    fn open(&mut self, format: AudioFormat) -> Result<(), OutputError> {
        let w = WavWriter::create(&self.path, spec_i16(format))
            .map_err(|e| hound_error(&self.path, e))?;
        self.writer = Some(w);
        self.channels = usize::from(format.channels.max(1));
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<usize, OutputError> {
        let Some(w) = self.writer.as_mut() else {
            return Err(OutputError::PlayFailed("write before open".into()));
        };
        let n = samples.len() / self.channels * self.channels;
        for &s in &samples[..n] {
            w.write_sample(crate::resample::to_i16(s))
                .map_err(|e| hound_error(&self.path, e))?;
        }
        Ok(n)
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        if let Some(w) = self.writer.take() {
            w.finalize().map_err(|e| hound_error(&self.path, e))?;
        }
        Ok(())
    }

    fn stop(&mut self) {
        // Keep what was written as a valid (shorter) file; an error here has no one to go to.
        if let Some(w) = self.writer.take() {
            let _ = w.finalize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yim_proto::ErrorCode;

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.wav");
        let pcm: Vec<i16> = (0..1600).map(|i| (i * 13 % 2000) as i16 - 1000).collect();
        write_wav_i16(&p, AudioFormat::SPEECH, &pcm).unwrap();
        assert_eq!(read_wav_i16_speech(&p).unwrap(), pcm);
        let clip = read_wav(&p).unwrap();
        assert_eq!(clip.format, AudioFormat::SPEECH);
        assert_eq!(clip.duration_ms(), 100);
        assert!((clip.samples[1] - f32::from(pcm[1]) / 32768.0).abs() < 1e-6);
    }

    #[test]
    fn missing_and_non_wav_files_map_to_yim_codes() {
        let dir = tempfile::tempdir().unwrap();
        let missing = read_wav(&dir.path().join("nope.wav")).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::PttFileNotExist);
        let txt = dir.path().join("x.wav");
        std::fs::write(&txt, b"hello, this is not a RIFF file at all").unwrap();
        assert_eq!(
            read_wav(&txt).unwrap_err().code(),
            ErrorCode::PttUnsupprtFormat
        );
        assert_eq!(
            WavFileInput::open(&txt).unwrap_err().code(),
            ErrorCode::PttUnsupprtFormat
        );
        // Right container, wrong layout for the recognizer.
        let stereo = dir.path().join("s.wav");
        write_wav_i16(
            &stereo,
            AudioFormat {
                sample_rate: 16_000,
                channels: 2,
            },
            &[0; 4],
        )
        .unwrap();
        assert_eq!(
            read_wav_i16_speech(&stereo).unwrap_err().code(),
            ErrorCode::PttUnsupprtFormat
        );
    }

    #[test]
    fn file_input_and_output_pass_samples_through() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.wav");
        let fmt = AudioFormat {
            sample_rate: 8_000,
            channels: 2,
        };
        write_wav_i16(&p, fmt, &[100, -100, 200, -200, 300, -300]).unwrap();
        let mut input = WavFileInput::open(&p).unwrap();
        assert_eq!(input.format(), fmt);
        input.start().unwrap();
        let mut buf = [0.0f32; 5];
        assert_eq!(
            input.read(&mut buf).unwrap(),
            ReadResult {
                samples: 4,
                ended: false
            }
        );
        assert_eq!(
            input.read(&mut buf).unwrap(),
            ReadResult {
                samples: 2,
                ended: true
            }
        );
        let out_path = dir.path().join("out.wav");
        let mut out = WavFileOutput::new(&out_path);
        out.open(fmt).unwrap();
        assert_eq!(out.write(&[0.5, -0.5, 0.25]).unwrap(), 2);
        out.finish().unwrap();
        let clip = read_wav(&out_path).unwrap();
        assert_eq!(clip.samples.len(), 2);
        assert!((clip.samples[0] - 0.5).abs() < 1e-3);
    }
}
