//! Offline speech to text through the PocketSphinx command-line decoder installed from
//! Debian (`pocketsphinx` + `pocketsphinx-en-us`, 0.8+5prealpha: `pocketsphinx_continuous`).
//!
//! It writes the audio to a temporary WAV, runs the program with a bounded wait and a bounded
//! read of its output, and returns the hypothesis. Found at run time ([`PocketSphinx::detect`]);
//! nothing is linked. Accuracy is poor for open dictation (see `audio/README.md`); a small JSGF
//! grammar helps a lot. English only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::RecognizeError;
use crate::limits::{MAX_CLIP_SAMPLES, MAX_RECOGNIZER_OUTPUT};
use crate::traits::{AudioFormat, Recognizer};
use crate::wav::write_wav_i16;

/// The program Debian installs.
pub const PROGRAM: &str = "pocketsphinx_continuous";
/// Where Debian's `pocketsphinx-en-us` puts the default English model.
pub const DEBIAN_MODEL_DIR: &str = "/usr/share/pocketsphinx/model/en-us";

/// Poll interval while waiting for the program.
const POLL: Duration = Duration::from_millis(10);

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// A PocketSphinx CLI recognizer.
#[derive(Debug, Clone)]
pub struct PocketSphinx {
    program: PathBuf,
    grammar: Option<PathBuf>,
    timeout_polls: u32,
    scratch_dir: PathBuf,
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

impl PocketSphinx {
    /// Finds `pocketsphinx_continuous` on `PATH` and the Debian English model.
    pub fn detect() -> Result<Self, RecognizeError> {
        let program = find_in_path(PROGRAM)
            .ok_or_else(|| RecognizeError::NotAvailable(format!("{PROGRAM} not on PATH")))?;
        if !Path::new(DEBIAN_MODEL_DIR).is_dir() {
            return Err(RecognizeError::NotAvailable(format!(
                "model directory {DEBIAN_MODEL_DIR} missing (install pocketsphinx-en-us)"
            )));
        }
        Ok(PocketSphinx {
            program,
            grammar: None,
            timeout_polls: 3_000,
            scratch_dir: std::env::temp_dir(),
        })
    }

    /// Restricts recognition to a JSGF grammar file (much better accuracy on a small
    /// vocabulary).
    pub fn with_grammar(mut self, jsgf: impl Into<PathBuf>) -> Self {
        self.grammar = Some(jsgf.into());
        self
    }

    /// Gives up after about this long (counted in poll intervals; no clock is read).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout_polls =
            (timeout.as_millis() / POLL.as_millis()).clamp(1, u128::from(u32::MAX)) as u32;
        self
    }

    /// Where temporary WAV files go (default: the system temp dir).
    pub fn with_scratch_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scratch_dir = dir.into();
        self
    }

    /// Recognises a 16 kHz mono 16-bit WAV file.
    pub fn recognize_wav(&self, wav: &Path) -> Result<String, RecognizeError> {
        let mut cmd = Command::new(&self.program);
        cmd.arg("-infile").arg(wav).arg("-logfn").arg("/dev/null");
        if let Some(g) = &self.grammar {
            cmd.arg("-jsgf").arg(g);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| RecognizeError::NotAvailable(format!("{PROGRAM}: {e}")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| RecognizeError::Failed("no stdout".into()))?;
        // Read on a thread so a chatty child cannot block on a full pipe while we wait.
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            let r = stdout
                .take(MAX_RECOGNIZER_OUTPUT as u64)
                .read_to_end(&mut out);
            r.map(|_| out)
        });
        let mut status = None;
        for _ in 0..self.timeout_polls {
            match child.try_wait() {
                Ok(Some(s)) => {
                    status = Some(s);
                    break;
                }
                Ok(None) => std::thread::sleep(POLL),
                Err(e) => return Err(RecognizeError::Failed(e.to_string())),
            }
        }
        let Some(status) = status else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(RecognizeError::Failed(format!("{PROGRAM} timed out")));
        };
        let out = reader
            .join()
            .map_err(|_| RecognizeError::Failed("output reader panicked".into()))?
            .map_err(|e| RecognizeError::Failed(e.to_string()))?;
        if !status.success() {
            return Err(RecognizeError::Failed(format!(
                "{PROGRAM} exited with {status}"
            )));
        }
        let text = String::from_utf8_lossy(&out);
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            Err(RecognizeError::NoSpeech)
        } else {
            Ok(words.join(" "))
        }
    }
}

impl Recognizer for PocketSphinx {
    fn recognize(&mut self, pcm: &[i16]) -> Result<String, RecognizeError> {
        if pcm.is_empty() || pcm.len() > MAX_CLIP_SAMPLES {
            return Err(RecognizeError::BadInput(format!("{} samples", pcm.len())));
        }
        let n = NEXT_FILE.fetch_add(1, Ordering::Relaxed);
        let wav = self
            .scratch_dir
            .join(format!("yim-stt-{}-{n}.wav", std::process::id()));
        write_wav_i16(&wav, AudioFormat::SPEECH, pcm)
            .map_err(|e| RecognizeError::Failed(e.to_string()))?;
        let result = self.recognize_wav(&wav);
        let _ = std::fs::remove_file(&wav);
        result
    }
}
