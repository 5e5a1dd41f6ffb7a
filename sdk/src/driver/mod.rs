//! The driver: one task that runs a `ClientMachine` over a `Clock`, a `Network` and the
//! client's audio, spawned on the runtime the builder kept.
//!
//! What it is: one loop that executes the machine's actions (connect, close), writes its
//! transmits, feeds it frames, connection changes and timeouts, does the periodic audio work,
//! and wakes event readers. It decides nothing itself. What it is not: the application API
//! (see `client`), the shared state and audio work (see `shared`, `audio`, `capture`) or the
//! socket tasks (see `link`).
//!
//! Nothing here spawns on an ambient runtime: the socket tasks and blocking audio work go to
//! `Shared::runtime`, whatever its flavour, so a client built on an engine's own runtime (the
//! C interface) never touches another.

mod audio;
mod capture;
mod link;
mod shared;

use std::sync::Arc;

use tracing::{debug, info, warn};
use yim_proto::encode_frame;

use crate::machine::{Action, ClientMachine};
use crate::net::Network;
use link::{Inbound, Link, LinkEvent};

pub(crate) use audio::Audio;
pub(crate) use shared::{Accepted, Core, Shared};

/// Marks the driver stopped however its task ends (return, panic, runtime shutdown), so
/// `next_event` never waits forever, and completes every pending call (NetError) if the task
/// ended without doing so, so no accepted call is left without its completion.
struct StopGuard(Arc<Shared>);

impl Drop for StopGuard {
    fn drop(&mut self) {
        let mut core = self.0.lock();
        self.0.stop(&mut core);
        drop(core);
        self.0.events_ready.notify_waiters();
    }
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
            // passed deadline is cleared by `handle_timeout` or the audio's tick, and every
            // turn runs `step`, which is all a wake-up asks for.
            tokio::select! {
                biased;
                _ = sleep => {
                    let now_ms = shared.clock.monotonic_ms();
                    let mut core = shared.lock();
                    core.machine.handle_timeout(now_ms);
                    let Core { machine, audio, .. } = &mut *core;
                    audio.tick(now_ms, machine);
                    shared.settle(&mut core, now_ms);
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
            shared.stop(&mut core);
            drop(core);
            shared.events_ready.notify_waiters();
            return None;
        }
        loop {
            while let Some(action) = core.machine.poll_action() {
                self.execute(action);
            }
            if !self.flush_transmits(&mut core.machine) {
                break;
            }
            let now_ms = shared.clock.monotonic_ms();
            shared.settle(&mut core, now_ms);
        }
        let deadline_ms = core.next_deadline_ms();
        core.sleeping_until_ms = deadline_ms;
        let wants = Wants {
            deadline_ms: (deadline_ms < u64::MAX).then_some(deadline_ms),
            frames: core.wants_frames(),
            transmits: core.machine.has_transmits() && matches!(self.link, Link::Open(_)),
        };
        let has_events = core.has_events();
        drop(core);
        if has_events {
            shared.events_ready.notify_waiters();
        }
        Some(wants)
    }

    fn execute(&mut self, action: Action) {
        match action {
            Action::Connect { addr } => {
                self.last_generation += 1;
                info!(generation = self.last_generation, %addr, "connecting");
                self.link = Link::connect(
                    &self.shared.runtime,
                    self.network.clone(),
                    addr,
                    self.last_generation,
                );
            }
            Action::Close { reason } => {
                info!(generation = ?self.link.generation(), %reason, "closing");
                self.link = Link::Idle;
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
            self.execute(action);
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
                self.link = Link::open(&shared.runtime, stream, generation);
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
        shared.settle(&mut core, now_ms);
    }
}
