//! What the clients record while a load runs: sends, answers to them (with their codes and
//! ack latency), deliveries with their delivery latency, refusals by code and connection
//! errors.
//!
//! Two latencies, both counted from the time a send was due (its stamp, also carried in its
//! payload), and kept in separate histograms: **ack latency** ends when the sender reads the
//! server's answer to the send, **delivery latency** ends when a receiver reads the message.
//!
//! Only messages *sent* inside the measurement window count towards latency and
//! completeness (their send time is in the payload, so a delivery knows which window it
//! belongs to). Running totals for the progress bar and for rates over the window are plain
//! atomics. Detailed counts live in a few shards behind mutexes (client `i` uses shard
//! `i % SHARDS`), so 2,000 clients do not each carry their own histograms.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use serde::Serialize;
use yim_proto::ErrorCode;

use crate::histogram::Histogram;

/// Stat shards.
const SHARDS: usize = 16;

/// The kind of a load message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A text message to a room the sender is in.
    Room,
    /// A text message to one user.
    Private,
    /// A voice message (its audio uploaded first) to a room or, without one, to a user.
    Voice,
}

impl Kind {
    /// Every kind, in the order of the per-kind arrays of [`WindowStats`].
    pub const ALL: [Kind; 3] = [Kind::Room, Kind::Private, Kind::Voice];

    /// The kind's place in the per-kind arrays of [`WindowStats`].
    fn index(self) -> usize {
        self as usize
    }

    /// The kind's name in reports and refusal keys: `room`, `private` or `voice`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Room => "room",
            Kind::Private => "private",
            Kind::Voice => "voice",
        }
    }
}

/// The measurement window: sends stamped in `start_ns..end_ns` count.
#[derive(Debug, Default)]
pub struct Window {
    start_ns: AtomicU64,
    end_ns: AtomicU64,
}

impl Window {
    /// Makes sends stamped in `start_ns..end_ns` (the run's clock) the ones that count.
    pub fn set(&self, start_ns: u64, end_ns: u64) {
        self.start_ns.store(start_ns, Ordering::Relaxed);
        self.end_ns.store(end_ns, Ordering::Relaxed);
    }

    /// Whether a send stamped `stamp_ns` is in the window.
    pub fn contains(&self, stamp_ns: u64) -> bool {
        stamp_ns >= self.start_ns.load(Ordering::Relaxed)
            && stamp_ns < self.end_ns.load(Ordering::Relaxed)
    }

    /// Whether a stamp in the window is in its first third (`Some(true)`) or its last
    /// (`Some(false)`).
    fn first_or_last_third(&self, stamp_ns: u64) -> Option<bool> {
        let start = self.start_ns.load(Ordering::Relaxed);
        let end = self.end_ns.load(Ordering::Relaxed);
        let third = end.saturating_sub(start) / 3;
        if stamp_ns >= start && stamp_ns < start + third {
            Some(true)
        } else if stamp_ns >= end - third && stamp_ns < end {
            Some(false)
        } else {
            None
        }
    }
}

/// Running totals over the whole run, for the progress bar and for rates.
#[derive(Debug, Default)]
pub struct Totals {
    /// Sends handed to the server (a raw client's written; an SDK client's accepted by its
    /// send call).
    pub sent: AtomicU64,
    /// Sends the server answered with success.
    pub acked: AtomicU64,
    /// Sends the server (or the SDK) answered with an error code.
    pub refused: AtomicU64,
    /// Load messages received, of any send.
    pub delivered: AtomicU64,
    /// Sends the load generator could not hand to a client: its queue was full because the
    /// server was not taking its bytes.
    pub backlogged: AtomicU64,
    /// Clients whose connection ended (closed, a goodbye, a kick-off, an I/O error).
    pub disconnected: AtomicU64,
}

impl Totals {
    /// The totals now.
    pub fn snapshot(&self) -> TotalsSnapshot {
        TotalsSnapshot {
            sent: self.sent.load(Ordering::Relaxed),
            acked: self.acked.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            backlogged: self.backlogged.load(Ordering::Relaxed),
            disconnected: self.disconnected.load(Ordering::Relaxed),
        }
    }
}

/// [`Totals`] at one moment (each field counts what the same field of [`Totals`] does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TotalsSnapshot {
    pub sent: u64,
    pub acked: u64,
    pub refused: u64,
    pub delivered: u64,
    pub backlogged: u64,
    pub disconnected: u64,
}

/// Detailed counts of the messages sent in the window (one shard's, or all of them merged).
#[derive(Debug, Default, Clone)]
pub struct WindowStats {
    /// Sends handed to the server (as [`Totals::sent`]), by kind (in the order of
    /// [`Kind::ALL`]).
    pub sent: [u64; 3],
    /// Sends answered with success, by kind (in the order of [`Kind::ALL`]).
    pub acked_ok: [u64; 3],
    /// Deliveries the successful sends call for: the room's members but the sender, or the
    /// one private receiver.
    pub expected: u64,
    /// Delivery latency by kind (in the order of [`Kind::ALL`]), in ns: from the send time
    /// carried in the payload to the read that brought the message to a receiver. One sample
    /// per delivery, so a room message counts once per receiver.
    pub delivery_latency: [Histogram; 3],
    /// Ack latency, in ns: from the send time to the read that brought the sender the
    /// answer (success or refusal; for an SDK client, the status the SDK reports, which may
    /// be its own time-out). One sample per answered send.
    pub ack_latency: Histogram,
    /// Delivery latency (ns) of the sends of the window's first third: a server that keeps
    /// up has the same as in the last; one whose queues grow is slower in the last.
    pub delivery_first_third: Histogram,
    /// Delivery latency (ns) of the sends of the window's last third.
    pub delivery_last_third: Histogram,
    /// "what: Code (n)" -> count.
    pub refusals: BTreeMap<String, u64>,
    /// Connection-level trouble: disconnects, goodbyes, kick-offs, I/O errors.
    pub errors: BTreeMap<String, u64>,
}

impl WindowStats {
    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &WindowStats) {
        for i in 0..3 {
            self.sent[i] += other.sent[i];
            self.acked_ok[i] += other.acked_ok[i];
            self.delivery_latency[i].merge(&other.delivery_latency[i]);
        }
        self.expected += other.expected;
        self.ack_latency.merge(&other.ack_latency);
        self.delivery_first_third.merge(&other.delivery_first_third);
        self.delivery_last_third.merge(&other.delivery_last_third);
        for (k, v) in &other.refusals {
            *self.refusals.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }

    /// Deliveries of the window's sends, of every kind.
    pub fn delivered(&self) -> u64 {
        self.delivery_latency.iter().map(Histogram::count).sum()
    }

    /// Delivery latency of every kind together, in ns.
    pub fn all_delivery_latency(&self) -> Histogram {
        let mut all = Histogram::default();
        for h in &self.delivery_latency {
            all.merge(h);
        }
        all
    }
}

/// Everything the clients of one run share.
#[derive(Debug)]
pub struct Shared {
    /// Which sends the detailed counts are for.
    pub window: Window,
    /// Counts over the whole run.
    pub totals: Totals,
    shards: Vec<Mutex<WindowStats>>,
    /// Members of each room once every client has joined.
    room_members: OnceLock<Vec<u64>>,
}

impl Default for Shared {
    fn default() -> Shared {
        Shared {
            window: Window::default(),
            totals: Totals::default(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            room_members: OnceLock::new(),
        }
    }
}

/// A refusal's key, `"what: Name (code)"` (`"what: code N"` for a code YIM does not name).
pub fn refusal_key(what: &str, code: u32) -> String {
    match ErrorCode::from_u32(code) {
        Some(known) => format!("{what}: {known:?} ({code})"),
        None => format!("{what}: code {code}"),
    }
}

impl Shared {
    /// Sets each room's member count (by room index) once setup is done: a room send that
    /// succeeds then calls for that many deliveries but one. Only the first call counts.
    pub fn set_room_members(&self, members: Vec<u64>) {
        let _ = self.room_members.set(members);
    }

    fn members(&self, room: usize) -> u64 {
        self.room_members
            .get()
            .and_then(|m| m.get(room))
            .copied()
            .unwrap_or(0)
    }

    fn shard(&self, client: usize) -> MutexGuard<'_, WindowStats> {
        self.shards[client % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Takes (and resets) the detailed counts of every shard, merged.
    pub fn take_window_stats(&self) -> WindowStats {
        let mut all = WindowStats::default();
        for shard in &self.shards {
            let taken = std::mem::take(&mut *shard.lock().unwrap_or_else(|p| p.into_inner()));
            all.merge(&taken);
        }
        all
    }

    /// A client handed a send to the server.
    pub fn sent(&self, client: usize, kind: Kind, stamp_ns: u64) {
        self.totals.sent.fetch_add(1, Ordering::Relaxed);
        if self.window.contains(stamp_ns) {
            self.shard(client).sent[kind.index()] += 1;
        }
    }

    /// The answer to a send stamped `stamp_ns` reached its sender at `now_ns` with `code` (0:
    /// success). `room` is the room it went to, if any.
    pub fn acked(
        &self,
        client: usize,
        kind: Kind,
        stamp_ns: u64,
        code: u32,
        room: Option<usize>,
        now_ns: u64,
    ) {
        if code == 0 {
            self.totals.acked.fetch_add(1, Ordering::Relaxed);
        } else {
            self.totals.refused.fetch_add(1, Ordering::Relaxed);
        }
        if !self.window.contains(stamp_ns) {
            return;
        }
        let expected = match room {
            Some(room) => self.members(room).saturating_sub(1),
            None => 1,
        };
        let mut shard = self.shard(client);
        shard.ack_latency.record(now_ns.saturating_sub(stamp_ns));
        if code == 0 {
            shard.acked_ok[kind.index()] += 1;
            shard.expected += expected;
        } else {
            *shard
                .refusals
                .entry(refusal_key(&format!("send {}", kind.name()), code))
                .or_default() += 1;
        }
    }

    /// Messages a client received at `now_ns`: (kind, send stamp) each.
    pub fn delivered(&self, client: usize, now_ns: u64, deliveries: &[(Kind, u64)]) {
        if deliveries.is_empty() {
            return;
        }
        self.totals
            .delivered
            .fetch_add(deliveries.len() as u64, Ordering::Relaxed);
        let mut shard = None;
        for &(kind, stamp_ns) in deliveries {
            if self.window.contains(stamp_ns) {
                let shard = shard.get_or_insert_with(|| self.shard(client));
                let latency = now_ns.saturating_sub(stamp_ns);
                shard.delivery_latency[kind.index()].record(latency);
                match self.window.first_or_last_third(stamp_ns) {
                    Some(true) => shard.delivery_first_third.record(latency),
                    Some(false) => shard.delivery_last_third.record(latency),
                    None => {}
                }
            }
        }
    }

    /// A refusal outside a send (login, join, upload, an SDK call refused at once).
    pub fn refused(&self, client: usize, what: &str, code: u32) {
        *self
            .shard(client)
            .refusals
            .entry(refusal_key(what, code))
            .or_default() += 1;
    }

    /// Connection trouble; `disconnect` says whether the client is gone.
    pub fn error(&self, client: usize, what: &str, disconnect: bool) {
        if disconnect {
            self.totals.disconnected.fetch_add(1, Ordering::Relaxed);
        }
        *self
            .shard(client)
            .errors
            .entry(what.to_owned())
            .or_default() += 1;
    }

    /// The generator could not hand a send to its client (queue full).
    pub fn backlogged(&self) {
        self.totals.backlogged.fetch_add(1, Ordering::Relaxed);
    }
}
