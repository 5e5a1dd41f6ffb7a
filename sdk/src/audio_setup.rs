//! What a client needs for voice messages: where audio comes from (a microphone, a WAV file,
//! a synthetic source), where it goes (a speaker, memory), who turns speech into text, where
//! recordings are kept, and how the audio work runs.
//!
//! What it is: plain configuration with factories (the seams the driver's audio runs over),
//! handed to `ClientBuilder::audio`. What it is not: the recording or playback logic (see
//! `driver::audio`) or the rules (see `machine::voice`).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use yim_audio::{AudioInput, AudioOutput, InputError, OutputError, Recognizer};

/// Opens the input for one recording.
pub type InputFactory = Arc<dyn Fn() -> Result<Box<dyn AudioInput>, InputError> + Send + Sync>;
/// Opens the output for one playback.
pub type OutputFactory = Arc<dyn Fn() -> Result<Box<dyn AudioOutput>, OutputError> + Send + Sync>;
/// Makes the speech recogniser for one recording.
pub type RecognizerFactory = Arc<dyn Fn() -> Box<dyn Recognizer> + Send + Sync>;

/// How the client runs its audio work: capture, finishing a recording (the pipeline's tail
/// and speech to text), and saving downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioWork {
    /// Real time, off the caller's thread: a worker thread pulls the input while recording
    /// (microphones), and finishing and saving run on the runtime's blocking pool.
    Threaded,
    /// Nothing runs while recording; when it stops, the client pulls from the input as much
    /// audio as the client's clock says was recorded (at most 60 s) and finishes at once, and
    /// downloads are saved at once, all on the thread that asked and under the client's lock
    /// (other calls and the network wait meanwhile). Deterministic and thread-free: for
    /// simulations and tests with synthetic input. (Under `Threaded`, nothing heavy runs under
    /// the lock: a WAV to send or play is read before it is taken, and encoding, speech to
    /// text, saving and deleting run on the blocking pool.)
    Inline,
}

/// See the module doc.
#[derive(Clone)]
pub struct AudioSetup {
    /// Opens the microphone (or whatever stands for it) for each recording.
    pub input: InputFactory,
    /// Opens the speaker (or whatever stands for it) for each playback.
    pub output: OutputFactory,
    /// `None`: no speech to text (recognised text is empty; recognise-only recordings fail
    /// with `PttRecognizeFailed`).
    pub recognizer: Option<RecognizerFactory>,
    /// Where recordings' WAV files are written (YIM `SetAudioCacheDir`); `None`: no local file.
    pub cache_dir: Option<PathBuf>,
    /// How the audio work runs.
    pub work: AudioWork,
}

impl fmt::Debug for AudioSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AudioSetup")
            .field("recognizer", &self.recognizer.is_some())
            .field("cache_dir", &self.cache_dir)
            .field("work", &self.work)
            .finish_non_exhaustive()
    }
}

impl AudioSetup {
    /// No audio devices: recording fails with `PttNoAudioDevice` (2026), playback too.
    /// Downloads still work. The default.
    pub fn unavailable() -> AudioSetup {
        AudioSetup {
            input: Arc::new(|| Err(InputError::NoDevice("no audio input configured".into()))),
            output: Arc::new(|| Err(OutputError::NoDevice("no audio output configured".into()))),
            recognizer: None,
            cache_dir: None,
            work: AudioWork::Threaded,
        }
    }

    /// The default microphone and speaker through cpal, recordings kept in `cache_dir`.
    #[cfg(feature = "cpal")]
    pub fn devices(cache_dir: PathBuf) -> AudioSetup {
        AudioSetup {
            input: Arc::new(|| {
                yim_audio::cpal_io::CpalInput::open_default()
                    .map(|input| Box::new(input) as Box<dyn AudioInput>)
            }),
            output: Arc::new(|| {
                Ok(Box::new(yim_audio::cpal_io::CpalOutput::new()) as Box<dyn AudioOutput>)
            }),
            recognizer: None,
            cache_dir: Some(cache_dir),
            work: AudioWork::Threaded,
        }
    }

    /// This setup with `recognizer` for speech to text.
    pub fn with_recognizer(mut self, recognizer: RecognizerFactory) -> AudioSetup {
        self.recognizer = Some(recognizer);
        self
    }
}
