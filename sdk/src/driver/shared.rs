//! What the driver task and the `Client` handles share: the machine, the application's event
//! queue, the awaited calls and the driver's audio, under one lock, with the clock, the
//! runtime the builder kept, and the two wake-ups.
//!
//! What it is: every way into the machine (a call, a timer, a frame, an audio answer) ends
//! here in `settle`, which runs the audio work the machine asked for and moves its events to
//! the application's queue, handing each completion to its awaiting `Request` on the way.
//! Blocking audio work is spawned on the kept runtime's blocking pool and reports back here.
//! Every critical section is short and none is held across an `.await`. What it is not: the
//! transport (see `driver`) or any rule (see `machine`).

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::runtime::Handle;
use tokio::sync::{oneshot, Notify};
use tracing::debug;
use yim_audio::WavFileInput;
use yim_proto::ErrorCode;

use super::audio::{self, Audio};
use super::capture::Finishing;
use crate::clock::Clock;
use crate::error::Error;
use crate::machine::{AudioTask, Call, ClientMachine, Event, RequestId};
use crate::request::Completion;

/// The state behind the lock.
#[derive(Debug)]
pub(crate) struct Core {
    pub machine: ClientMachine,
    /// Events for the application, oldest first (bounded by backpressure: see
    /// `wants_frames`).
    events: VecDeque<Event>,
    /// Accepted calls whose result someone may await. A `Request` dropped meanwhile changes
    /// nothing here: its completion is still queued for the application.
    waiters: BTreeMap<RequestId, oneshot::Sender<Completion>>,
    pub audio: Audio,
    /// Set by `Client::shutdown` or when the last `Client` is dropped.
    pub shutdown_requested: bool,
    /// Set when the driver has stopped: no call is accepted any more.
    pub stopped: bool,
    /// The deadline the driver sleeps until (`u64::MAX`: none), set each turn of its loop.
    pub sleeping_until_ms: u64,
}

impl Core {
    /// False while more than `max_queued_events` events wait for the application: the driver
    /// stops reading frames until they are taken (backpressure; nothing is dropped).
    pub fn wants_frames(&self) -> bool {
        self.events.len() <= self.machine.config().max_queued_events
    }

    /// The earliest time the driver has something to do: a machine deadline or the audio's
    /// periodic work (`u64::MAX`: none).
    pub fn next_deadline_ms(&self) -> u64 {
        [self.machine.poll_timeout(), self.audio.next_tick_ms()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(u64::MAX)
    }

    /// True if events wait for the application.
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Moves the machine's events to the application's queue; a completion also goes to the
    /// `Request` awaiting it.
    fn route_events(&mut self) {
        while let Some(event) = self.machine.poll_event() {
            if let Some(waiter) = event.request_id().and_then(|id| self.waiters.remove(&id)) {
                if !waiter.is_closed() {
                    let _ = waiter.send(Completion::Done(event.clone()));
                }
            }
            self.events.push_back(event);
        }
    }
}

/// See the module doc.
pub(crate) struct Shared {
    core: Mutex<Core>,
    pub clock: Arc<dyn Clock>,
    /// Where the driver, the socket tasks and blocking audio work run.
    pub runtime: Handle,
    /// Wakes the driver: a call was made, events were taken, audio work reported, shutdown
    /// was asked for.
    pub wake_driver: Notify,
    /// Wakes `next_event` waiters: events were queued, or the driver stopped.
    pub events_ready: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// What the machine answered a call with, and the way to its completion.
pub(crate) type Accepted = (RequestId, oneshot::Receiver<Completion>);

impl Shared {
    pub fn new(
        machine: ClientMachine,
        audio: Audio,
        clock: Arc<dyn Clock>,
        runtime: Handle,
    ) -> Shared {
        Shared {
            core: Mutex::new(Core {
                machine,
                events: VecDeque::new(),
                waiters: BTreeMap::new(),
                audio,
                shutdown_requested: false,
                stopped: false,
                sleeping_until_ms: u64::MAX,
            }),
            clock,
            runtime,
            wake_driver: Notify::new(),
            events_ready: Notify::new(),
        }
    }

    /// Locks the core. A panic while locked cannot leave the machine half-updated in a way
    /// that matters more than stopping would, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn request_shutdown(&self) {
        self.lock().shutdown_requested = true;
        self.wake_driver.notify_one();
    }

    /// Makes a call: the machine decides, the capture a recording needs starts at once (so a
    /// missing microphone fails the call), and the driver is woken when it has something new
    /// to do. A call that gets a completion gets a receiver for it.
    pub fn call(self: &Arc<Self>, call: Call) -> Result<Accepted, Error> {
        // A WAV file to send is read before the lock is taken: file I/O never runs under it.
        let preloaded = match &call {
            Call::SendAudioFile { path, .. } => Some((path.clone(), WavFileInput::open(path))),
            _ => None,
        };
        let mut core = self.lock();
        if core.stopped || core.shutdown_requested {
            return Err(Error::Code(ErrorCode::NotStartUp));
        }
        if let Some((path, loaded)) = preloaded {
            core.audio.preload(path, loaded);
        }
        let now_ms = self.clock.monotonic_ms();
        let gets_completion = call.gets_completion();
        let cancels = matches!(call, Call::CancelRecord);
        // Starting or cancelling a recording queues no frame, action or event for the driver;
        // every other call may.
        let local = matches!(call, Call::StartRecord { .. } | Call::CancelRecord);
        let accepted = core.machine.handle_call(now_ms, call);
        let started = match accepted {
            Ok(_) => self.run_audio(&mut core, now_ms),
            Err(_) => Ok(()),
        };
        core.audio.clear_preloaded();
        let request_id = accepted?;
        let (tx, rx) = oneshot::channel();
        if gets_completion && started.is_ok() {
            core.waiters.insert(request_id, tx);
        } else if cancels {
            // No event will ever come: whoever awaits the recording learns it was cancelled.
            if let Some(waiter) = core.waiters.remove(&request_id) {
                let _ = waiter.send(Completion::Cancelled);
            }
        }
        core.route_events();
        let wake = !local || core.next_deadline_ms() < core.sleeping_until_ms;
        drop(core);
        if wake {
            self.wake_driver.notify_one();
        }
        started.map(|()| (request_id, rx))
    }

    /// Runs the audio work the machine asked for, until it asks for no more. A capture that
    /// cannot start is reported to the machine at once, and its error returned (it fails the
    /// call that asked for it).
    pub fn run_audio(self: &Arc<Self>, core: &mut Core, now_ms: u64) -> Result<(), Error> {
        let mut result = Ok(());
        while let Some(task) = core.machine.poll_audio() {
            match task {
                AudioTask::StartCapture {
                    request_id,
                    source,
                    recognize,
                } => {
                    let started = core
                        .audio
                        .start_capture(now_ms, request_id, &source, recognize);
                    if let Err(error) = started {
                        debug!(%request_id, %error, "capture failed to start");
                        core.machine.handle_capture_failed(request_id);
                        result = Err(Error::Audio(error));
                    }
                }
                AudioTask::FinishCapture {
                    request_id,
                    recorded_ms,
                } => match core.audio.finish_capture(request_id, recorded_ms) {
                    Some(Finishing::Done(outcome)) => {
                        core.machine.handle_recorded(now_ms, request_id, outcome);
                    }
                    Some(Finishing::Blocking(work)) => {
                        let shared = self.clone();
                        self.runtime.spawn_blocking(move || {
                            let outcome = work();
                            shared.report(|machine, now_ms| {
                                machine.handle_recorded(now_ms, request_id, outcome);
                            });
                        });
                    }
                    None => {
                        // No capture runs for it (it could not start): its answer still comes.
                        let failed = Err(ErrorCode::PttStopRecordFailed);
                        core.machine.handle_recorded(now_ms, request_id, failed);
                    }
                },
                AudioTask::CancelCapture { request_id } => core.audio.cancel_capture(request_id),
                AudioTask::DeleteFile { path } => {
                    if core.audio.works_inline() {
                        audio::delete_file(&path);
                    } else {
                        self.runtime
                            .spawn_blocking(move || audio::delete_file(&path));
                    }
                }
                AudioTask::SaveAudio {
                    request_id,
                    save_path,
                    encoded,
                } => {
                    if core.audio.works_inline() {
                        let code = audio::save_audio(&save_path, &encoded);
                        core.machine.handle_saved(request_id, code);
                    } else {
                        let shared = self.clone();
                        self.runtime.spawn_blocking(move || {
                            let code = audio::save_audio(&save_path, &encoded);
                            shared.report(|machine, _| machine.handle_saved(request_id, code));
                        });
                    }
                }
            }
        }
        result
    }

    /// Hands the machine an input from outside the driver task (blocking audio work), then
    /// settles and wakes the driver.
    fn report(self: &Arc<Self>, input: impl FnOnce(&mut ClientMachine, u64)) {
        let mut core = self.lock();
        let now_ms = self.clock.monotonic_ms();
        input(&mut core.machine, now_ms);
        self.settle(&mut core, now_ms);
        drop(core);
        self.wake_driver.notify_one();
    }

    /// After any input: the audio work it asked for, then its events to the application.
    pub fn settle(self: &Arc<Self>, core: &mut Core, now_ms: u64) {
        // A capture can only fail to start on a call, which reports it itself.
        let _ = self.run_audio(core, now_ms);
        core.route_events();
    }

    /// The next event for the application. Taking one may lift the backpressure: the driver
    /// is woken to read frames again.
    pub fn take_event(&self, core: &mut Core) -> Option<Event> {
        let was_full = !core.wants_frames();
        let event = core.events.pop_front()?;
        if was_full && core.wants_frames() {
            self.wake_driver.notify_one();
        }
        Some(event)
    }

    /// YIM `StartPlayAudio(path)`. The output is opened and the file read and decoded
    /// without the lock; only the switch to the new playback is made under it.
    pub fn play(&self, path: &Path) -> Result<(), Error> {
        let setup = self.lock().audio.setup().clone();
        let player = audio::load_player(&setup, path)?;
        let mut core = self.lock();
        let now_ms = self.clock.monotonic_ms();
        let Core { machine, audio, .. } = &mut *core;
        let played = audio.play(now_ms, player, machine);
        core.route_events();
        drop(core);
        self.wake_driver.notify_one();
        Ok(played?)
    }

    /// YIM `StopPlayAudio`.
    pub fn stop_play(&self) -> Result<(), Error> {
        let mut core = self.lock();
        let Core { machine, audio, .. } = &mut *core;
        let stopped = audio.stop_play(machine);
        core.route_events();
        drop(core);
        self.wake_driver.notify_one();
        Ok(stopped?)
    }

    /// The driver stops for good: the session ends (every pending call and the recording
    /// complete), the audio stops, and every event waiter is woken.
    pub fn stop(self: &Arc<Self>, core: &mut Core) {
        if core.stopped {
            return;
        }
        let now_ms = self.clock.monotonic_ms();
        core.machine.shutdown(now_ms);
        let Core { machine, audio, .. } = &mut *core;
        audio.stop_all(machine);
        self.settle(core, now_ms);
        core.stopped = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio_setup::AudioSetup;
    use crate::clock::TokioClock;
    use crate::config::{ClientConfig, ServerZone};

    /// A client core whose machine has one login call pending, nothing connected.
    fn shared(max_queued_events: usize) -> Arc<Shared> {
        let config = ClientConfig {
            max_queued_events,
            ..ClientConfig::with_server("127.0.0.1:1")
        };
        let mut machine = ClientMachine::new(config);
        let _ = machine.init("key", "secret", ServerZone::China);
        let audio = Audio::new(AudioSetup::unavailable());
        let clock = Arc::new(TokioClock::new());
        Arc::new(Shared::new(machine, audio, clock, Handle::current()))
    }

    fn login() -> Call {
        Call::Login {
            user_id: "alice".to_owned(),
            password: "pw".to_owned(),
            token: String::new(),
        }
    }

    #[tokio::test]
    async fn completions_reach_their_waiter_and_the_stream_and_a_full_queue_stops_reading() {
        let shared = shared(0);
        let (request_id, completion) = shared
            .call(login())
            .ok()
            .unwrap_or_else(|| panic!("accepted"));
        let event = {
            let mut core = shared.lock();
            assert!(core.wants_frames());
            // Nobody answers: the login times out; its completion goes both ways.
            core.machine.handle_timeout(10_000);
            shared.settle(&mut core, 10_000);
            assert!(!core.wants_frames(), "one event waits, over a bound of 0");
            let event = shared.take_event(&mut core);
            assert!(core.wants_frames(), "taking it lifts the backpressure");
            event
        };
        assert_eq!(event.as_ref().and_then(Event::request_id), Some(request_id));
        assert_eq!(completion.await.ok(), event.map(Completion::Done));
        let refused = shared.call(login());
        assert!(refused.is_ok(), "logged out again: a new login is accepted");
    }

    #[tokio::test]
    async fn a_dropped_request_loses_nothing_its_completion_still_reaches_the_stream() {
        let shared = shared(16);
        let accepted = shared.call(login()).ok();
        let request_id = accepted.as_ref().map(|(id, _)| *id);
        drop(accepted);
        let mut core = shared.lock();
        core.machine.handle_timeout(10_000);
        shared.settle(&mut core, 10_000);
        let event = shared.take_event(&mut core);
        assert_eq!(event.as_ref().and_then(Event::request_id), request_id);
        assert_eq!(event.and_then(|e| e.code()), Some(ErrorCode::TimeOut));
        assert!(core.waiters.is_empty(), "no waiter is left behind");
    }

    #[tokio::test]
    async fn a_stopped_client_refuses_calls_and_completes_what_was_pending() {
        let shared = shared(16);
        let accepted = shared.call(login()).ok();
        let event = {
            let mut core = shared.lock();
            shared.stop(&mut core);
            shared.take_event(&mut core)
        };
        assert_eq!(event.and_then(|e| e.code()), Some(ErrorCode::NetError));
        let completion = accepted.map(|(_, rx)| rx);
        assert!(completion.is_some());
        if let Some(rx) = completion {
            let completion = rx.await.ok();
            assert!(
                matches!(completion, Some(Completion::Done(ref e)) if e.code() == Some(ErrorCode::NetError)),
                "{completion:?}"
            );
        }
        let refused = shared.call(login()).err().map(|e| e.code());
        assert_eq!(refused, Some(ErrorCode::NotStartUp));
    }
}
