//! The client's side of recording a voice message: opening the input, running the pipeline
//! (`yim_audio`), speech to text, and handing the result to the machine, which owns the rules,
//! the events and the upload.
//!
//! What it is: the glue between `AudioSetup` and `ClientMachine::{start,stop,cancel}_record` /
//! `handle_recorded`. What it is not: the audio pipeline itself (`yim_audio`) or the YIM rules
//! (`machine::voice`).

use std::path::PathBuf;
use std::sync::Arc;

use yim_audio::limits::MAX_CLIP_MS;
use yim_audio::{
    AudioInput, RecordConfig, RecordError, RecordedClip, Recorder, RecorderCore, Recording,
};
use yim_proto::ErrorCode;

use crate::audio_setup::{AudioSetup, Capture};
use crate::driver::Shared;
use crate::machine::{Recorded, RequestId};

/// Samples pulled from an inline input per read.
const PULL_SAMPLES: usize = 8_192;

/// A recording under way, as the client runs it.
pub(crate) enum Capturing {
    Threaded {
        request_id: RequestId,
        recording: Recording,
        recognize: Recognize,
    },
    Inline {
        request_id: RequestId,
        input: Box<dyn AudioInput>,
        core: Box<RecorderCore>,
        /// When recording started on the client's clock; `None`: take all the input has (a
        /// file), up to the 60 s limit.
        started_ms: Option<u64>,
        recognize: Recognize,
    },
}

/// Whether a recording asks for speech to text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recognize {
    No,
    /// Recognise and send the text with the voice message; a failure leaves the text empty.
    AlongWithSend,
    /// Recognise only (nothing is sent); a failure is `PttRecognizeFailed`.
    Only,
}

impl std::fmt::Debug for Capturing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capturing")
            .field("request_id", &self.request_id())
            .finish_non_exhaustive()
    }
}

impl Capturing {
    pub fn request_id(&self) -> RequestId {
        match self {
            Capturing::Threaded { request_id, .. } | Capturing::Inline { request_id, .. } => {
                *request_id
            }
        }
    }

    /// Level updates the capture produced since the last call (threaded capture only: inline
    /// capture runs nothing while recording).
    pub fn levels(&self) -> Vec<f32> {
        match self {
            Capturing::Threaded { recording, .. } => std::iter::from_fn(|| recording.poll_event())
                .filter_map(|event| match event {
                    yim_audio::RecordEvent::Level(level) => Some(level),
                    yim_audio::RecordEvent::MaxDurationReached => None,
                })
                .collect(),
            Capturing::Inline { .. } => Vec::new(),
        }
    }

    /// Abandons the recording and deletes its file.
    pub fn cancel(self) {
        match self {
            Capturing::Threaded { recording, .. } => recording.cancel(),
            Capturing::Inline {
                mut input, core, ..
            } => {
                input.stop();
                core.cancel();
            }
        }
    }
}

/// Opens the input and starts recording `request_id` (already accepted by the machine).
pub(crate) fn start(
    setup: &AudioSetup,
    request_id: RequestId,
    recognize: Recognize,
    now_ms: u64,
) -> Result<Capturing, ErrorCode> {
    let input = (setup.input)().map_err(|e| e.code())?;
    start_with(
        setup,
        input,
        setup.capture,
        request_id,
        recognize,
        Some(now_ms),
    )
}

/// Starts recording `request_id` from `input`, captured as `capture` says; `started_ms`
/// `None` takes all the input has (inline capture only).
pub(crate) fn start_with(
    setup: &AudioSetup,
    mut input: Box<dyn AudioInput>,
    capture: Capture,
    request_id: RequestId,
    recognize: Recognize,
    started_ms: Option<u64>,
) -> Result<Capturing, ErrorCode> {
    let wav_path = match &setup.cache_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|_| ErrorCode::PttReadWriteFileError)?;
            Some(dir.join(format!("voice_{}.wav", request_id.get())))
        }
        None => None,
    };
    let config = RecordConfig {
        wav_path,
        keep_pcm: recognize != Recognize::No,
        ..RecordConfig::default()
    };
    match capture {
        Capture::Threaded => {
            let recording = Recorder::start(input, config).map_err(|e| e.code())?;
            Ok(Capturing::Threaded {
                request_id,
                recording,
                recognize,
            })
        }
        Capture::Inline => {
            let core = RecorderCore::new(input.format(), config).map_err(|e| e.code())?;
            if let Err(e) = input.start() {
                core.cancel();
                return Err(e.code());
            }
            Ok(Capturing::Inline {
                request_id,
                input,
                core: Box::new(core),
                started_ms,
                recognize,
            })
        }
    }
}

/// Finishes the recording and reports it to the machine: at once for inline capture, from a
/// thread for threaded capture (joining the worker and speech to text may take a while).
pub(crate) fn finish(shared: &Arc<Shared>, setup: &AudioSetup, capturing: Capturing) {
    match capturing {
        Capturing::Inline {
            request_id,
            mut input,
            mut core,
            started_ms,
            recognize,
        } => {
            let now_ms = shared.clock.monotonic_ms();
            let recorded_ms = started_ms
                .map_or(u64::MAX, |started| now_ms.saturating_sub(started))
                .min(u64::from(MAX_CLIP_MS));
            let clip = pull(&mut *input, &mut core, recorded_ms).and_then(|()| (*core).finish());
            input.stop();
            let outcome = outcome(setup, clip, recognize);
            report(shared, request_id, outcome);
        }
        Capturing::Threaded {
            request_id,
            recording,
            recognize,
        } => {
            let (worker_shared, setup) = (shared.clone(), setup.clone());
            let spawned = std::thread::Builder::new()
                .name("yim-voice-finish".into())
                .spawn(move || {
                    let outcome = outcome(&setup, recording.finish(), recognize);
                    report(&worker_shared, request_id, outcome);
                });
            if spawned.is_err() {
                // No thread to finish on: the recording is lost, but its status still comes.
                report(shared, request_id, Err(ErrorCode::PttStopRecordFailed));
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

/// What the machine is told: the clip with its text, or the failing code.
fn outcome(
    setup: &AudioSetup,
    clip: Result<RecordedClip, RecordError>,
    recognize: Recognize,
) -> Result<Recorded, ErrorCode> {
    let clip = clip.map_err(|e| e.code())?;
    let text = match (recognize, &setup.recognizer, &clip.pcm) {
        (Recognize::No, _, _) => Ok(String::new()),
        (_, Some(make), Some(pcm)) => (make)().recognize(pcm).map_err(|e| e.code()),
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
        audio_path: clip
            .wav_path
            .as_ref()
            .map(|p: &PathBuf| p.display().to_string())
            .unwrap_or_default(),
        reached_max_duration: clip.reached_max_duration,
    })
}

fn report(shared: &Arc<Shared>, request_id: RequestId, outcome: Result<Recorded, ErrorCode>) {
    let now_ms = shared.clock.monotonic_ms();
    shared
        .lock()
        .machine
        .handle_recorded(now_ms, request_id, outcome);
    shared.wake_driver.notify_one();
}
