//! The event pump: the game takes events on its own thread (`yim_poll_event` once a frame, or
//! `yim_wait_event`, YIM's `IM_GetMessage`) and gives each back with `yim_free_event`.
//!
//! What it is: the three entry points, and the table of events handed out and not yet freed
//! (the SDK memory behind their pointers), with its bound. Nothing here calls into the game:
//! every event is delivered as a return value on the thread that asked. What it is not: the
//! queue itself, which is the SDK's (see the README's "When the game stops polling": it
//! never drops an event), or the mapping of events onto `YimEvent` (see `event`).
//!
//! Each event's memory is named by a handle (1, 2, 3, ...; never reused), written into the
//! struct: `yim_free_event` frees what its handle names and zeroes the struct, so freeing the
//! same event twice, or a copy of it, or a struct never filled, finds no handle and is a
//! harmless `PARAM_INVALID`.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use yim_sdk::Event;

use crate::boundary::{check_required, guard};
use crate::codes::YimErrorCode;
use crate::event::{translate, EventBytes, YimEvent, YIM_EVENT_API_LATEST};
use crate::instance::{self, YimClient};

/// Events of one client handed out and not yet freed, at most. Past this, polling fails with
/// `STATUS_ERROR` (5) without taking an event, until the game frees some: a game that forgets
/// `yim_free_event` finds out at once instead of growing without bound.
pub const YIM_MAX_UNFREED_EVENTS: u32 = 1024;

/// Events handed out and not yet freed, by handle.
#[derive(Debug)]
struct Table {
    last_handle: u64,
    held: BTreeMap<u64, Held>,
    /// Per client: held events plus slots reserved by polls under way.
    in_use: BTreeMap<u64, usize>,
}

#[derive(Debug)]
struct Held {
    client_id: u64,
    _bytes: EventBytes,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    last_handle: 0,
    held: BTreeMap::new(),
    in_use: BTreeMap::new(),
});

fn table() -> MutexGuard<'static, Table> {
    // Every critical section below leaves the table consistent before anything can panic.
    TABLE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Table {
    /// Counts one more event for `client_id`, if it is under the bound.
    fn reserve(&mut self, client_id: u64) -> Result<(), YimErrorCode> {
        let in_use = self.in_use.entry(client_id).or_insert(0);
        if *in_use >= YIM_MAX_UNFREED_EVENTS as usize {
            return Err(YimErrorCode::StatusError);
        }
        *in_use += 1;
        Ok(())
    }

    fn unreserve(&mut self, client_id: u64) {
        if let Some(in_use) = self.in_use.get_mut(&client_id) {
            *in_use = in_use.saturating_sub(1);
            if *in_use == 0 {
                self.in_use.remove(&client_id);
            }
        }
    }

    /// Keeps a reserved event's bytes; its new handle.
    fn hold(&mut self, client_id: u64, bytes: EventBytes) -> u64 {
        self.last_handle += 1;
        let held = Held {
            client_id,
            _bytes: bytes,
        };
        self.held.insert(self.last_handle, held);
        self.last_handle
    }

    /// Frees the event of `handle`; false if no such event is held.
    fn free(&mut self, handle: u64) -> bool {
        match self.held.remove(&handle) {
            Some(held) => {
                self.unreserve(held.client_id);
                true
            }
            None => false,
        }
    }
}

/// Events of `client_id` handed out and not yet freed (for tests).
pub fn unfreed_events(client_id: u64) -> usize {
    let table = table();
    table
        .held
        .values()
        .filter(|h| h.client_id == client_id)
        .count()
}

/// Checks the game's event struct; its `api_version`.
///
/// # Safety
///
/// `event` is NULL or points to memory at least the size of the `YimEvent` version its
/// `api_version` names.
unsafe fn event_version(event: *mut YimEvent) -> Result<u32, YimErrorCode> {
    check_required(event)?;
    // SAFETY: not NULL, aligned; every version starts with `api_version`, a u32 valid for any
    // bits. Only that field is read: the rest may be anything.
    let api_version = unsafe { std::ptr::addr_of!((*event).api_version).read() };
    if api_version != YIM_EVENT_API_LATEST {
        return Err(YimErrorCode::ParamInvalid);
    }
    Ok(api_version)
}

/// Hands a taken event to the game: keeps its bytes under a new handle and fills the struct.
///
/// # Safety
///
/// `out` passed `event_version`.
unsafe fn deliver(client_id: u64, event: &Event, api_version: u32, out: *mut YimEvent) {
    let (mut filled, bytes) = translate(event, api_version);
    filled.handle = table().hold(client_id, bytes);
    // SAFETY: `out` is aligned and as large as version 1, the only version, by
    // `event_version`; the old contents are plain data with nothing to drop.
    unsafe { out.write(filled) };
}

/// Takes the next event of `client` without waiting, like a game's once-a-frame pump.
///
/// Returns `SUCCESS` with `*event` filled (free it with `yim_free_event`), or, leaving
/// `*event` as it was: `TIME_OUT` (4) when no event is waiting, `ENGINE_NOT_INIT` (1) for a
/// handle that is not (or no longer) a live client, `PARAM_INVALID` (3) for a NULL or
/// misaligned `event` or an `api_version` other than `YIM_EVENT_API_LATEST`, `STATUS_ERROR`
/// (5) while `YIM_MAX_UNFREED_EVENTS` events of this client are not freed (a wait under way
/// on another thread counts as one, so that an event taken always fits). Polling into a
/// struct that still holds an unfreed event overwrites it without freeing it (that event's
/// memory stays counted until the bound is reached), so free each event before the next
/// poll. Safe from any thread.
///
/// # Safety
///
/// `event` is NULL or points to a writable `YimEvent` whose `api_version` is set.
#[no_mangle]
pub unsafe extern "C" fn yim_poll_event(client: YimClient, event: *mut YimEvent) -> YimErrorCode {
    // SAFETY: the caller's contract is `yim_wait_event`'s.
    guard(|| unsafe { wait(client, event, 0) })
}

/// Takes the next event of `client`, waiting up to `timeout_ms` for one (YIM's
/// `IM_GetMessage`); with 0 it is `yim_poll_event`. Returns as `yim_poll_event` does,
/// `TIME_OUT` when nothing came in time; also returns (`ENGINE_NOT_INIT`) when another thread
/// shuts the client down meanwhile. Blocks only the calling thread.
///
/// # Safety
///
/// `event` is NULL or points to a writable `YimEvent` whose `api_version` is set.
#[no_mangle]
pub unsafe extern "C" fn yim_wait_event(
    client: YimClient,
    event: *mut YimEvent,
    timeout_ms: u32,
) -> YimErrorCode {
    // SAFETY: the caller's contract.
    guard(|| unsafe { wait(client, event, timeout_ms) })
}

/// # Safety
///
/// As `yim_wait_event`.
unsafe fn wait(client: YimClient, out: *mut YimEvent, timeout_ms: u32) -> Result<(), YimErrorCode> {
    // SAFETY: the caller's contract.
    let api_version = unsafe { event_version(out) }?;
    let instance = instance::get(client)?;
    table().reserve(client.id)?;
    let taken = match instance.client.try_next_event() {
        Some(event) => Ok(event),
        None if timeout_ms == 0 => Err(YimErrorCode::TimeOut),
        None => wait_on_runtime(&instance, timeout_ms),
    };
    match taken {
        Ok(event) => {
            // SAFETY: `out` passed `event_version`.
            unsafe { deliver(client.id, &event, api_version, out) };
            Ok(())
        }
        Err(code) => {
            table().unreserve(client.id);
            Err(code)
        }
    }
}

/// Waits for the client's next event on its runtime, blocking this thread (which need not be
/// a runtime thread, and may even be another runtime's). The task sends what it took before
/// it can be cancelled, and this thread always receives, so an event is never lost between
/// the two.
fn wait_on_runtime(instance: &instance::Instance, timeout_ms: u32) -> Result<Event, YimErrorCode> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let client = instance.client.clone();
    let within = Duration::from_millis(u64::from(timeout_ms));
    instance.handle().spawn(async move {
        let taken = tokio::time::timeout(within, client.next_event()).await;
        let _ = sender.send(taken);
    });
    match receiver.recv() {
        Ok(Ok(Some(event))) => Ok(event),
        Ok(Err(_elapsed)) => Err(YimErrorCode::TimeOut),
        // The client stopped (shut down by another thread) or its runtime dropped the task.
        Ok(Ok(None)) | Err(_) => Err(YimErrorCode::EngineNotInit),
    }
}

/// Frees the SDK memory behind an event's pointers and zeroes the struct (kind `NONE`,
/// `handle` 0). Events stay valid until freed, even after `yim_shutdown` of their client.
/// Returns `SUCCESS`, or `PARAM_INVALID` (3), doing nothing, for NULL or an event the SDK does
/// not hold: never filled, freed already, or a copy of one freed. Safe from any thread.
///
/// # Safety
///
/// `event` is NULL or points to a writable `YimEvent`.
#[no_mangle]
pub unsafe extern "C" fn yim_free_event(event: *mut YimEvent) -> YimErrorCode {
    guard(|| {
        check_required(event)?;
        // SAFETY: not NULL, aligned; the handle and version are integers valid for any bits,
        // read alone so the rest of the struct may be anything.
        let (handle, api_version) = unsafe {
            (
                std::ptr::addr_of!((*event).handle).read(),
                std::ptr::addr_of!((*event).api_version).read(),
            )
        };
        if handle == 0 || !table().free(handle) {
            return Err(YimErrorCode::ParamInvalid);
        }
        if api_version == YIM_EVENT_API_LATEST {
            // SAFETY: the SDK filled this struct (its handle was held), so it is a whole
            // version-1 struct; plain data, nothing to drop.
            unsafe { event.write(YimEvent::empty(api_version)) };
        }
        Ok(())
    })
}
