//! What the clients record while a load runs: sends, acknowledgements (with their codes),
//! deliveries with their send-to-delivery latency, refusals by code and connection errors.
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

use crate::clock::now_ns;
use crate::histogram::Histogram;

/// Stat shards.
const SHARDS: usize = 16;

/// The kind of a load message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Room,
    Private,
    Voice,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Room, Kind::Private, Kind::Voice];

    fn index(self) -> usize {
        self as usize
    }

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
    pub fn set(&self, start_ns: u64, end_ns: u64) {
        self.start_ns.store(start_ns, Ordering::Relaxed);
        self.end_ns.store(end_ns, Ordering::Relaxed);
    }

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
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub refused: AtomicU64,
    pub delivered: AtomicU64,
    /// Sends the load generator could not hand to a client: its queue was full because the
    /// server was not taking its bytes.
    pub backlogged: AtomicU64,
    pub disconnected: AtomicU64,
}

impl Totals {
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

/// [`Totals`] at one moment.
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
    pub sent: [u64; 3],
    pub acked_ok: [u64; 3],
    /// Deliveries the successful sends call for: the room's members but the sender, or the
    /// one private receiver.
    pub expected: u64,
    pub latency: [Histogram; 3],
    pub ack_latency: Histogram,
    /// Delivery latency of the sends of the window's first and last thirds: a server that
    /// keeps up has the same; one whose queues grow is slower in the last.
    pub first_third: Histogram,
    pub last_third: Histogram,
    /// "what: Code (n)" -> count.
    pub refusals: BTreeMap<String, u64>,
    /// Connection-level trouble: disconnects, goodbyes, kick-offs, I/O errors.
    pub errors: BTreeMap<String, u64>,
}

impl WindowStats {
    pub fn merge(&mut self, other: &WindowStats) {
        for i in 0..3 {
            self.sent[i] += other.sent[i];
            self.acked_ok[i] += other.acked_ok[i];
            self.latency[i].merge(&other.latency[i]);
        }
        self.expected += other.expected;
        self.ack_latency.merge(&other.ack_latency);
        self.first_third.merge(&other.first_third);
        self.last_third.merge(&other.last_third);
        for (k, v) in &other.refusals {
            *self.refusals.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }

    pub fn delivered(&self) -> u64 {
        self.latency.iter().map(Histogram::count).sum()
    }

    pub fn all_latency(&self) -> Histogram {
        let mut all = Histogram::default();
        for h in &self.latency {
            all.merge(h);
        }
        all
    }
}

/// Everything the clients of one run share.
#[derive(Debug)]
pub struct Shared {
    pub window: Window,
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

/// A refusal's key: what was refused and its YIM code.
pub fn refusal_key(what: &str, code: u32) -> String {
    match ErrorCode::from_u32(code) {
        Some(known) => format!("{what}: {known:?} ({code})"),
        None => format!("{what}: code {code}"),
    }
}

impl Shared {
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

    /// The server answered a send with `code`. `room` is the room it went to, if any.
    pub fn acked(&self, client: usize, kind: Kind, stamp_ns: u64, code: u32, room: Option<usize>) {
        let now = now_ns();
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
        shard.ack_latency.record(now.saturating_sub(stamp_ns));
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
                shard.latency[kind.index()].record(latency);
                match self.window.first_or_last_third(stamp_ns) {
                    Some(true) => shard.first_third.record(latency),
                    Some(false) => shard.last_third.record(latency),
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
