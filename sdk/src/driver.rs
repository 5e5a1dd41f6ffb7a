//! The driver task: runs a `ClientMachine` over a `Clock` and a `Network`.
//!
//! What it is: one loop that executes the machine's actions (connect, close), writes its
//! transmits, feeds it frames, connection changes and timeouts, and wakes event readers. It
//! decides nothing itself. What it is not: the application API (see `client`) or the socket
//! tasks (see `link`).
//!
//! The machine sits behind a `std::sync::Mutex` shared with the `Client` handles; every
//! critical section is short and none is held across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tracing::{debug, info, warn};
use yim_proto::encode_frame;

use crate::clock::Clock;
use crate::link::{Inbound, Link, LinkEvent};
use crate::machine::{Action, ClientMachine};
use crate::net::Network;

/// The machine and whether the driver still runs, under one lock so that a call never slips
/// in after the driver stopped.
#[derive(Debug)]
pub(crate) struct Core {
    pub machine: ClientMachine,
    /// Set by `Client::shutdown` or when the last `Client` is dropped.
    pub shutdown_requested: bool,
    /// Set when the driver has stopped: no call is accepted any more.
    pub stopped: bool,
}

/// What the driver and the `Client` handles share.
pub(crate) struct Shared {
    core: Mutex<Core>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the driver: a call was made, events were drained, shutdown was asked for.
    pub wake_driver: Notify,
    /// Wakes `next_event` waiters: events were queued, or the driver stopped.
    pub events_ready: Notify,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl Shared {
    pub fn new(machine: ClientMachine, clock: Arc<dyn Clock>) -> Shared {
        Shared {
            core: Mutex::new(Core {
                machine,
                shutdown_requested: false,
                stopped: false,
            }),
            clock,
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
}

/// Marks the driver stopped however its task ends (return, panic, runtime shutdown), so
/// `next_event` never waits forever, and completes every pending call (NetError) if the task
/// ended without doing so, so no accepted call is left without its completion.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        let mut core = self.0.lock();
        if !core.stopped {
            let now_ms = self.0.clock.monotonic_ms();
            core.machine.shutdown(now_ms);
            core.stopped = true;
        }
        drop(core);
        self.0.events_ready.notify_waiters();
    }
}

/// Decodes downloaded voice audio and writes it as a WAV at `path`, creating directories;
/// the outcome's code.
fn save_audio(path: &str, encoded: &[u8]) -> yim_proto::ErrorCode {
    match write_audio(path, encoded) {
        Ok(()) => yim_proto::ErrorCode::Success,
        Err(code) => code,
    }
}

fn write_audio(path: &str, encoded: &[u8]) -> Result<(), yim_proto::ErrorCode> {
    let (pcm, rate) = yim_audio::decode_to_pcm(encoded)
        .map_err(|_| yim_proto::ErrorCode::PttConvertFileFailed)?;
    let path = std::path::Path::new(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|_| yim_proto::ErrorCode::CreateDirectoryFailed)?;
    }
    let format = yim_audio::AudioFormat {
        sample_rate: rate,
        channels: 1,
    };
    yim_audio::write_wav_i16(path, format, &pcm).map_err(|e| e.code())
}

/// The driver loop. Returns when shutdown is requested.
pub(crate) async fn run(shared: Arc<Shared>, network: Arc<dyn Network>) {
    let _stop_guard = StopGuard(shared.clone());
    let mut driver = Driver {
        shared,
        network,
        link: Link::Idle,
        last_generation: 0,
    };
    driver.run().await;
}

struct Driver {
    shared: Arc<Shared>,
    network: Arc<dyn Network>,
    link: Link,
    last_generation: u64,
}

/// What the machine wants, read once per loop turn.
struct Wants {
    deadline_ms: Option<u64>,
    frames: bool,
    transmits: bool,
}

impl Driver {
    async fn run(&mut self) {
        info!("driver started");
        while let Some(wants) = self.step() {
            let shared = self.shared.clone();
            let sleep = async {
                match wants.deadline_ms {
                    Some(deadline_ms) => shared.clock.sleep_until(deadline_ms).await,
                    None => std::future::pending().await,
                }
            };
            // Biased (deterministic under simulation) in an order that starves nothing: a
            // passed deadline is cleared by `handle_timeout`, and every turn runs `step`,
            // which is all a wake-up asks for.
            tokio::select! {
                biased;
                _ = sleep => {
                    let now_ms = shared.clock.monotonic_ms();
                    shared.lock().machine.handle_timeout(now_ms);
                }
                event = self.link.next_event(wants.frames, wants.transmits) => {
                    if let Some(event) = event {
                        self.on_link_event(event);
                    }
                }
                _ = shared.wake_driver.notified() => {}
            }
        }
        info!("driver stopped");
    }

    /// Executes the machine's actions and moves its transmits to the writer. Returns `None`
    /// when the driver must stop.
    fn step(&mut self) -> Option<Wants> {
        let shared = self.shared.clone();
        let mut core = shared.lock();
        if core.shutdown_requested {
            // Close the connection and complete whatever is pending, so every accepted call
            // still gets its one completion.
            self.link = Link::Idle;
            let now_ms = shared.clock.monotonic_ms();
            core.machine.shutdown(now_ms);
            core.stopped = true;
            drop(core);
            shared.events_ready.notify_waiters();
            return None;
        }
        loop {
            while let Some(action) = core.machine.poll_action() {
                self.execute(action, &mut core.machine);
            }
            if !self.flush_transmits(&mut core.machine) {
                break;
            }
        }
        let wants = Wants {
            deadline_ms: core.machine.poll_timeout(),
            frames: core.machine.wants_frames(),
            transmits: core.machine.has_transmits() && matches!(self.link, Link::Open(_)),
        };
        let has_events = core.machine.queued_events() > 0;
        drop(core);
        if has_events {
            shared.events_ready.notify_waiters();
        }
        Some(wants)
    }

    fn execute(&mut self, action: Action, machine: &mut ClientMachine) {
        match action {
            Action::Connect { addr } => {
                self.last_generation += 1;
                info!(generation = self.last_generation, %addr, "connecting");
                self.link = Link::connect(self.network.clone(), addr, self.last_generation);
            }
            Action::Close { reason } => {
                info!(generation = ?self.link.generation(), %reason, "closing");
                self.link = Link::Idle;
            }
            Action::SaveAudio {
                request_id,
                save_path,
                encoded,
            } => {
                // Decoding and writing a file block: on a multi-threaded runtime they go to
                // the blocking pool and report back; on a current-thread runtime (the
                // simulator's, where results must come at a deterministic point) inline.
                let flavor = tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor());
                if let Ok(tokio::runtime::RuntimeFlavor::MultiThread) = flavor {
                    let shared = self.shared.clone();
                    tokio::task::spawn_blocking(move || {
                        let code = save_audio(&save_path, &encoded);
                        shared.lock().machine.handle_saved(request_id, code);
                        shared.wake_driver.notify_one();
                    });
                } else {
                    machine.handle_saved(request_id, save_audio(&save_path, &encoded));
                }
            }
        }
    }

    /// Moves transmits to the writer while it has room. Returns true if the connection broke
    /// (the machine has been told, and may have new actions).
    fn flush_transmits(&mut self, machine: &mut ClientMachine) -> bool {
        let Link::Open(open) = &self.link else {
            return false;
        };
        while open.writer.capacity() > 0 {
            let Some(frame) = machine.poll_transmit() else {
                return false;
            };
            let problem = match encode_frame(&frame) {
                Ok(bytes) => match open.writer.try_send(bytes) {
                    Ok(()) => continue,
                    Err(e) => format!("writer stopped: {e}"),
                },
                Err(e) => format!("cannot encode a {} frame: {e}", frame.kind()),
            };
            warn!(generation = open.generation, %problem, "closing the connection");
            self.link = Link::Idle;
            machine.handle_disconnect(self.shared.clock.monotonic_ms());
            return true;
        }
        false
    }

    /// Feeds a link event to the machine. Actions the machine queued meanwhile (say a Close
    /// after a kick-off, then a Connect for a new login) are executed first, so output of a
    /// connection the machine has already given up is dropped instead of being taken for the
    /// new one.
    fn on_link_event(&mut self, event: LinkEvent) {
        let shared = self.shared.clone();
        let mut core = shared.lock();
        let now_ms = shared.clock.monotonic_ms();
        let source = match &event {
            LinkEvent::Connected(_) | LinkEvent::ConnectFailed(_) => self.link.generation(),
            LinkEvent::Inbound { generation, .. } => Some(*generation),
        };
        while let Some(action) = core.machine.poll_action() {
            self.execute(action, &mut core.machine);
        }
        let current = self.link.generation();
        if source.is_none() || source != current {
            debug!(?source, ?current, "output of a closed connection; ignored");
            return;
        }
        let machine = &mut core.machine;
        match event {
            LinkEvent::Connected(stream) => {
                let Some(generation) = current else {
                    return;
                };
                info!(generation, "connected");
                self.link = Link::open(stream, generation);
                machine.handle_connected(now_ms);
            }
            LinkEvent::ConnectFailed(reason) => {
                info!(?current, %reason, "connect failed");
                self.link = Link::Idle;
                machine.handle_disconnect(now_ms);
            }
            LinkEvent::Inbound { inbound, .. } => match inbound {
                Inbound::Frame(frame) => machine.handle_frame(now_ms, frame),
                Inbound::Closed(reason) => {
                    info!(?current, %reason, "connection ended");
                    self.link = Link::Idle;
                    machine.handle_disconnect(now_ms);
                }
                Inbound::Broken(error) => {
                    warn!(?current, %error, "undecodable bytes; closing");
                    self.link = Link::Idle;
                    machine.handle_disconnect(now_ms);
                }
            },
        }
    }
}
