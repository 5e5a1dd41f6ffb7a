//! The live clients: each `YimClient` handle names one SDK `Client` with the tokio runtime it
//! owns.
//!
//! What it is: a registry from handle numbers (1, 2, 3, ...; never reused, so a stale handle
//! can only ever mean "no such client") to instances, the runtime each instance starts in
//! `yim_init` and stops in `yim_shutdown`, and the runtime context every SDK call runs in, so
//! a game thread with no runtime of its own can make any call. What it is not: the calls
//! themselves (see `calls`) or the event pump (see `pump`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::runtime::{EnterGuard, Handle, Runtime};
use yim_sdk::{Client, ClientConfig};

use crate::codes::YimErrorCode;
use crate::options::InitSettings;

/// Worker threads of each client's runtime: the driver, socket tasks and timers need little.
pub const YIM_WORKER_THREADS: u32 = 2;
/// Threads each runtime may start for blocking work (saving downloaded audio).
const MAX_BLOCKING_THREADS: usize = 2;
/// Clients alive at once; past this `yim_init` fails with `InitFailed` (50).
pub const YIM_MAX_CLIENTS: u32 = 64;
/// How long `yim_shutdown` waits for blocking work (a WAV being written) to finish.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// A client handle, as the game holds it: a number from `yim_init`, passed to every call.
/// 0 is never a client.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YimClient {
    /// The handle's number; never reused within a process.
    pub id: u64,
}

/// One client and its runtime.
#[derive(Debug)]
pub struct Instance {
    pub client: Client,
    /// YIM's `SetOnlyRecognizeSpeechText`: recordings started from now on are recognised,
    /// not sent.
    pub only_recognize_text: AtomicBool,
    handle: Handle,
    /// Taken by `shutdown`; calls still in flight then keep `handle`, whose spawns the stopped
    /// runtime drops.
    runtime: Mutex<Option<Runtime>>,
}

static INSTANCES: Mutex<BTreeMap<u64, Arc<Instance>>> = Mutex::new(BTreeMap::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn instances() -> MutexGuard<'static, BTreeMap<u64, Arc<Instance>>> {
    // A panic while locked (none can happen: the critical sections only insert and remove)
    // leaves the map whole.
    INSTANCES.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Instance {
    /// Enters this client's runtime on the calling thread for the guard's life, so SDK code
    /// that spawns finds the runtime.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// The runtime, to spawn on.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

/// Starts a runtime and a client on it, and calls YIM's `Init`. Returns the new handle.
pub fn create(settings: &InitSettings) -> Result<YimClient, YimErrorCode> {
    if instances().len() >= YIM_MAX_CLIENTS as usize {
        return Err(YimErrorCode::InitFailed);
    }
    let audio = crate::audio::setup(&settings.audio)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(YIM_WORKER_THREADS as usize)
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .thread_name("yim-worker")
        .enable_all()
        .build()
        .map_err(|_| YimErrorCode::InitFailed)?;
    let mut config = ClientConfig::default().with_zone(settings.zone, &settings.server_address);
    if let Some(max) = settings.max_queued_events {
        config.max_queued_events = max;
    }
    let client = {
        let _in_runtime = runtime.enter();
        Client::builder()
            .runtime(runtime.handle().clone())
            .config(config)
            .audio(audio)
            .try_build()
            .map_err(|_| YimErrorCode::InitFailed)?
    };
    if let Err(code) = client.init(&settings.app_key, &settings.app_secret, settings.zone) {
        stop(client, runtime);
        return Err(code.into());
    }
    let mut live = instances();
    if live.len() >= YIM_MAX_CLIENTS as usize {
        // Others were started meanwhile.
        drop(live);
        stop(client, runtime);
        return Err(YimErrorCode::InitFailed);
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let instance = Instance {
        client,
        only_recognize_text: AtomicBool::new(false),
        handle: runtime.handle().clone(),
        runtime: Mutex::new(Some(runtime)),
    };
    live.insert(id, Arc::new(instance));
    Ok(YimClient { id })
}

/// The live instance of `client`; `EngineNotInit` before `yim_init` or after `yim_shutdown`.
pub fn get(client: YimClient) -> Result<Arc<Instance>, YimErrorCode> {
    instances()
        .get(&client.id)
        .cloned()
        .ok_or(YimErrorCode::EngineNotInit)
}

/// Ends `client`: the handle stops working at once, the connection closes, and the runtime
/// stops (waiting up to two seconds for blocking work). `EngineNotInit` if it was not live.
pub fn destroy(client: YimClient) -> Result<(), YimErrorCode> {
    let instance = instances()
        .remove(&client.id)
        .ok_or(YimErrorCode::EngineNotInit)?;
    let runtime = instance
        .runtime
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    instance.client.shutdown();
    if let Some(runtime) = runtime {
        stop_runtime(runtime);
    }
    Ok(())
}

fn stop(client: Client, runtime: Runtime) {
    client.shutdown();
    drop(client);
    stop_runtime(runtime);
}

fn stop_runtime(runtime: Runtime) {
    if Handle::try_current().is_ok() {
        // Called from inside some tokio runtime (a Rust program using this library): waiting
        // there would panic, so let the threads finish on their own.
        runtime.shutdown_background();
    } else {
        runtime.shutdown_timeout(SHUTDOWN_WAIT);
    }
}
