//! Recording from a live [`AudioInput`] on a worker thread: `Recorder::start` -> [`Recording`]
//! -> `finish` / `cancel`.
//!
//! The worker drains the input (for cpal, the ring buffer its real-time callback fills) and
//! runs the [`RecorderCore`] pipeline on each batch, so releasing the button only flushes the
//! tails. Events (levels, max duration) come through a bounded channel. For the simulator, use
//! [`RecorderCore`] directly: no threads.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::RecordError;
use crate::limits::MAX_PENDING_EVENTS;
use crate::pipeline::{PushOutcome, RecordConfig, RecordEvent, RecordedClip, RecorderCore};
use crate::traits::AudioInput;

const RUNNING: u8 = 0;
const FINISH: u8 = 1;
const CANCEL: u8 = 2;

/// Samples the worker reads per batch (~85 ms of 48 kHz stereo).
const BATCH: usize = 8_192;
/// Worker sleep when the input has nothing.
const IDLE: Duration = Duration::from_millis(2);

/// Starts recordings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recorder;

type WorkerResult = Result<Option<RecordedClip>, RecordError>;

/// A recording in progress.
#[derive(Debug)]
pub struct Recording {
    command: Arc<AtomicU8>,
    events: Receiver<RecordEvent>,
    worker: Option<JoinHandle<WorkerResult>>,
}

impl Recorder {
    /// Starts `input` and a worker that feeds the pipeline. Errors from starting the input or
    /// creating the WAV file are returned here, before any thread runs.
    pub fn start(
        mut input: Box<dyn AudioInput>,
        config: RecordConfig,
    ) -> Result<Recording, RecordError> {
        let core = RecorderCore::new(input.format(), config)?;
        if let Err(e) = input.start() {
            core.cancel();
            return Err(e.into());
        }
        let command = Arc::new(AtomicU8::new(RUNNING));
        let (tx, rx) = sync_channel(MAX_PENDING_EVENTS);
        let cmd = Arc::clone(&command);
        let worker = std::thread::Builder::new()
            .name("yim-audio-record".into())
            .spawn(move || run(input, core, &cmd, &tx))
            .map_err(|_| RecordError::Worker("could not spawn the recording thread"))?;
        Ok(Recording {
            command,
            events: rx,
            worker: Some(worker),
        })
    }
}

fn forward(core: &mut RecorderCore, tx: &SyncSender<RecordEvent>) {
    while let Some(e) = core.poll_event() {
        // A full channel means nobody polls: dropping level updates is the right thing.
        if let Err(TrySendError::Full(_)) = tx.try_send(e) {}
    }
}

fn run(
    mut input: Box<dyn AudioInput>,
    mut core: RecorderCore,
    command: &AtomicU8,
    tx: &SyncSender<RecordEvent>,
) -> WorkerResult {
    let mut buf = vec![0.0f32; BATCH];
    let mut stopped = false;
    let result = loop {
        let cmd = command.load(Ordering::Acquire);
        if cmd == CANCEL {
            break Ok(false);
        }
        if cmd == FINISH && !stopped {
            // Release: stop capturing, then drain what the input already holds.
            input.stop();
            stopped = true;
        }
        let read = match input.read(&mut buf) {
            Ok(r) => r,
            Err(e) => break Err(RecordError::from(e)),
        };
        if read.samples > 0 {
            match core.push(&buf[..read.samples]) {
                Ok(PushOutcome::MaxDurationReached) => {
                    forward(&mut core, tx);
                    break Ok(true);
                }
                Ok(PushOutcome::Continue) => {}
                Err(e) => break Err(e),
            }
            forward(&mut core, tx);
        }
        if read.ended || (stopped && read.samples == 0) {
            break Ok(true);
        }
        if read.samples == 0 {
            std::thread::sleep(IDLE);
        }
    };
    if !stopped {
        input.stop();
    }
    let dropped = input.dropped_samples();
    match result {
        Ok(true) if command.load(Ordering::Acquire) != CANCEL => {
            // Wait for finish or cancel when the input ended or the cap was hit on its own.
            while command.load(Ordering::Acquire) == RUNNING {
                std::thread::sleep(IDLE);
            }
            if command.load(Ordering::Acquire) == CANCEL {
                core.cancel();
                return Ok(None);
            }
            let mut clip = core.finish()?;
            clip.dropped_samples = dropped;
            Ok(Some(clip))
        }
        Ok(_) => {
            core.cancel();
            Ok(None)
        }
        Err(e) => {
            core.cancel();
            Err(e)
        }
    }
}

impl Recording {
    /// The next level or max-duration event, if any (never blocks).
    pub fn poll_event(&self) -> Option<RecordEvent> {
        self.events.try_recv().ok()
    }

    fn join(&mut self, command: u8) -> WorkerResult {
        self.command.store(command, Ordering::Release);
        match self.worker.take() {
            Some(handle) => handle
                .join()
                .map_err(|_| RecordError::Worker("recording thread panicked"))?,
            None => Err(RecordError::Finished),
        }
    }

    /// Stops capture, drains what was captured, flushes the pipeline and returns the clip (or
    /// `SpeechTooShort`, or the input's error).
    pub fn finish(mut self) -> Result<RecordedClip, RecordError> {
        self.join(FINISH)?.ok_or(RecordError::Finished)
    }

    /// Stops capture and deletes the WAV file; nothing is returned (YIM sends no callback).
    pub fn cancel(mut self) {
        // The worker's own errors do not matter once the recording is abandoned.
        let _ = self.join(CANCEL);
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if self.worker.is_some() {
            let _ = self.join(CANCEL);
        }
    }
}
