//! One recording's capture as the driver runs it: opening the input, the pipeline
//! (`yim_audio`), speech to text, and the finished clip (or the failing code) for the
//! machine's `handle_recorded`.
//!
//! What it is: the glue between `AudioSetup` and `AudioTask::{StartCapture, FinishCapture,
//! CancelCapture}`. Failures keep their detailed `yim_audio` error: returned with its source
//! where the call can still fail, logged where only the code can travel on. What it is not:
//! the audio pipeline itself (`yim_audio`) or the YIM rules (`machine::voice`).

use std::path::PathBuf;

use tracing::{info, warn};
use yim_audio::limits::MAX_CLIP_MS;
use yim_audio::{
    AudioInput, FileError, InputError, RecordConfig, RecordError, RecordEvent, RecordedClip,
    Recorder, RecorderCore, Recording, WavFileInput,
};
use yim_proto::ErrorCode;

use crate::audio_setup::{AudioSetup, AudioWork};
use crate::error::AudioError;
use crate::machine::{CaptureSource, Recognize, Recorded, RequestId};

/// Samples pulled from an inline input per read.
const PULL_SAMPLES: usize = 8_192;

/// A recording under way, as the driver runs it.
pub(crate) struct Capturing {
    pub request_id: RequestId,
    recognize: Recognize,
    how: How,
    /// An inline capture finished on the blocking pool rather than at once (a WAV file under
    /// a threaded setup: encoding and speech to text never run under the client's lock).
    finish_off_lock: bool,
}

enum How {
    /// A worker thread records in real time.
    Threaded(Recording),
    /// Nothing runs until the recording is finished.
    Inline {
        input: Box<dyn AudioInput>,
        core: Box<RecorderCore>,
    },
}

/// What finishing a recording takes.
pub(crate) enum Finishing {
    /// It is finished.
    Done(Result<Recorded, ErrorCode>),
    /// Blocking work (joining the worker, speech to text) that yields the outcome.
    Blocking(Box<dyn FnOnce() -> Result<Recorded, ErrorCode> + Send>),
}

impl std::fmt::Debug for Capturing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capturing")
            .field("request_id", &self.request_id)
            .field("threaded", &self.is_threaded())
            .finish_non_exhaustive()
    }
}

impl Capturing {
    /// Opens the input and starts recording `request_id` (already accepted by the machine). A
    /// file (`preloaded` if it was read already) is captured inline whatever the setup says:
    /// its audio is all there; under a threaded setup it is finished on the blocking pool.
    pub fn start(
        setup: &AudioSetup,
        request_id: RequestId,
        source: &CaptureSource,
        recognize: Recognize,
        preloaded: Option<(PathBuf, Result<WavFileInput, InputError>)>,
    ) -> Result<Capturing, AudioError> {
        let (mut input, work) = match source {
            CaptureSource::Microphone => ((setup.input)()?, setup.work),
            CaptureSource::File(path) => {
                let file = match preloaded.filter(|(loaded, _)| loaded == path) {
                    Some((_, loaded)) => loaded?,
                    None => WavFileInput::open(path)?,
                };
                (Box::new(file) as Box<dyn AudioInput>, AudioWork::Inline)
            }
        };
        let finish_off_lock =
            matches!(source, CaptureSource::File(_)) && setup.work == AudioWork::Threaded;
        let wav_path = match &setup.cache_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| FileError::Io {
                    path: dir.clone(),
                    reason: e.to_string(),
                })?;
                Some(dir.join(format!("voice_{}.wav", request_id.get())))
            }
            None => None,
        };
        let config = RecordConfig {
            wav_path,
            keep_pcm: recognize != Recognize::No,
            ..RecordConfig::default()
        };
        let how = match work {
            AudioWork::Threaded => How::Threaded(Recorder::start(input, config)?),
            AudioWork::Inline => {
                let core = RecorderCore::new(input.format(), config)?;
                if let Err(e) = input.start() {
                    core.cancel();
                    return Err(e.into());
                }
                How::Inline {
                    input,
                    core: Box::new(core),
                }
            }
        };
        Ok(Capturing {
            request_id,
            recognize,
            how,
            finish_off_lock,
        })
    }

    /// True if a worker thread records (and reports levels).
    pub fn is_threaded(&self) -> bool {
        matches!(self.how, How::Threaded(_))
    }

    /// Level updates since the last call (threaded capture only: inline capture runs nothing
    /// while recording).
    pub fn levels(&self) -> Vec<f32> {
        match &self.how {
            How::Threaded(recording) => std::iter::from_fn(|| recording.poll_event())
                .filter_map(|event| match event {
                    RecordEvent::Level(level) => Some(level),
                    RecordEvent::MaxDurationReached => None,
                })
                .collect(),
            How::Inline { .. } => Vec::new(),
        }
    }

    /// Abandons the recording and deletes its file.
    pub fn cancel(self) {
        match self.how {
            How::Threaded(recording) => recording.cancel(),
            How::Inline { mut input, core } => {
                input.stop();
                core.cancel();
            }
        }
    }

    /// Finishes the recording: inline capture at once (`recorded_ms` of the input's audio, or
    /// all it has, at most 60 s), threaded capture as blocking work.
    pub fn finish(self, setup: &AudioSetup, recorded_ms: Option<u64>) -> Finishing {
        let recognize = self.recognize;
        match self.how {
            How::Inline {
                mut input,
                mut core,
            } => {
                let recorded_ms = recorded_ms.unwrap_or(u64::MAX).min(u64::from(MAX_CLIP_MS));
                let setup = setup.clone();
                let work = move || {
                    let clip =
                        pull(&mut *input, &mut core, recorded_ms).and_then(|()| (*core).finish());
                    input.stop();
                    outcome(&setup, clip, recognize)
                };
                if self.finish_off_lock {
                    Finishing::Blocking(Box::new(work))
                } else {
                    Finishing::Done(work())
                }
            }
            How::Threaded(recording) => {
                let setup = setup.clone();
                Finishing::Blocking(Box::new(move || {
                    outcome(&setup, recording.finish(), recognize)
                }))
            }
        }
    }
}

/// Pushes `recorded_ms` of the input's audio (or all it has) into the pipeline.
fn pull(
    input: &mut dyn AudioInput,
    core: &mut RecorderCore,
    recorded_ms: u64,
) -> Result<(), RecordError> {
    let format = input.format();
    let channels = usize::from(format.channels.max(1));
    let mut wanted =
        usize::try_from(recorded_ms.saturating_mul(u64::from(format.sample_rate)) / 1000)
            .unwrap_or(usize::MAX)
            .saturating_mul(channels);
    let mut buf = vec![0.0f32; PULL_SAMPLES - PULL_SAMPLES % channels];
    while wanted > 0 && !core.is_full() {
        let take = buf.len().min(wanted);
        let read = input.read(&mut buf[..take])?;
        if read.samples > 0 {
            core.push(&buf[..read.samples])?;
        }
        wanted = wanted.saturating_sub(read.samples);
        if read.ended || read.samples == 0 {
            break;
        }
    }
    while core.poll_event().is_some() {}
    Ok(())
}

/// What the machine is told: the clip with its text, or the failing code (the detailed
/// error is logged here: only the code travels on).
fn outcome(
    setup: &AudioSetup,
    clip: Result<RecordedClip, RecordError>,
    recognize: Recognize,
) -> Result<Recorded, ErrorCode> {
    let clip = clip.map_err(|e| {
        info!(error = %e, code = %e.code(), "the recording failed");
        e.code()
    })?;
    let text = match (recognize, &setup.recognizer, &clip.pcm) {
        (Recognize::No, _, _) => Ok(String::new()),
        (_, Some(make), Some(pcm)) => (make)().recognize(pcm).map_err(|e| {
            warn!(error = %e, code = %e.code(), "speech to text failed");
            e.code()
        }),
        _ => Err(ErrorCode::PttRecognizeFailed),
    };
    let text = match (recognize, text) {
        (Recognize::Only, Err(code)) => return Err(code),
        (_, text) => text.unwrap_or_default(),
    };
    Ok(Recorded {
        encoded: clip.encoded,
        duration_ms: clip.duration_ms,
        text,
        audio_path: clip.wav_path.unwrap_or_else(PathBuf::new),
        reached_max_duration: clip.reached_max_duration,
    })
}
