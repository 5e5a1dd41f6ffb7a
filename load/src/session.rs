//! A load session: every client connected and logged in to one server, and the open-loop
//! dispatcher that hands them sends at a fixed rate. A session can run several measured
//! phases (the saturation ramp runs one per rate) without logging in again.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::client::{ClientHandle, ClientPlan, Names, SendCommand, SetupError, Target};
use crate::clock::{instant_of, now_ns};
use crate::report::{ProcessUsage, Report, ReportContext};
use crate::scenario::LoadParams;
use crate::stats::{Kind, Shared, TotalsSnapshot, WindowStats};
use crate::target::Target as Server;

/// Clients logging in at once during setup.
const SETUP_CONCURRENCY: usize = 64;
/// How often the dispatcher wakes.
const DISPATCH_TICK_MS: u64 = 1;
/// A drain ends early once nothing is in flight and no delivery came for this long.
const QUIET_MS: u64 = 300;

/// See the module doc.
#[derive(Debug)]
pub struct Session {
    params: LoadParams,
    clients: Vec<ClientHandle>,
    shared: Arc<Shared>,
    /// Refusals and errors of the setup (failed logins and joins).
    setup: WindowStats,
    /// Why the clients that are missing could not get going (connect, log in, finish setup
    /// in time): reason -> number of clients. A refused join is a refusal, not this.
    pub setup_failures: std::collections::BTreeMap<String, u64>,
    room_senders: Vec<usize>,
    raw_senders: Vec<usize>,
    rng: ChaCha8Rng,
    seq: u64,
    progress: bool,
}

fn bar(total: u64, enabled: bool, template: &str) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

impl Session {
    /// Connects, logs in and joins every client of `params` to the server at `addr`, 64 at a
    /// time. Never fails: a client that cannot get going is left out and counted in
    /// `setup_failures` (a refused join leaves the client in, without that room).
    pub async fn connect(addr: &str, params: &LoadParams, progress: bool) -> Session {
        let shared = Arc::new(Shared::default());
        let names = Arc::new(Names {
            rooms: params.room_names(),
            users: params.user_names(),
        });
        let bar = bar(
            params.clients as u64,
            progress,
            "connecting [{bar:40}] {pos}/{len} clients {msg}",
        );
        let permits = Arc::new(Semaphore::new(SETUP_CONCURRENCY));
        let mut joins = JoinSet::new();
        for index in 0..params.clients {
            let plan = ClientPlan {
                index,
                rooms: params.rooms_of(index),
                names: names.clone(),
                text_bytes: params.text_bytes,
                voice_bytes: params.voice_bytes,
                shared: shared.clone(),
            };
            let (addr, permits) = (addr.to_owned(), permits.clone());
            let sdk = params.is_sdk(index);
            let seed = params
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(index as u64);
            joins.spawn(async move {
                let _permit = permits.acquire_owned().await;
                if sdk {
                    crate::sdk_client::start(&addr, plan, seed).await
                } else {
                    crate::raw::start(&addr, plan).await
                }
            });
        }
        let mut clients = Vec::new();
        let mut setup_failures = std::collections::BTreeMap::new();
        while let Some(joined) = joins.join_next().await {
            bar.inc(1);
            match joined {
                Ok(Ok(client)) => clients.push(client),
                Ok(Err(e)) => {
                    let reason = match e {
                        SetupError::Connect(e) => format!("connecting: {}", e.kind()),
                        other => other.to_string(),
                    };
                    *setup_failures.entry(reason).or_insert(0u64) += 1;
                    bar.set_message(format!("{} failed", setup_failures.values().sum::<u64>()));
                }
                Err(e) => *setup_failures.entry(format!("task: {e}")).or_insert(0) += 1,
            }
        }
        bar.finish_and_clear();
        clients.sort_by_key(|c| c.index);
        let mut members = vec![0u64; params.rooms];
        for client in &clients {
            for &room in &client.joined {
                members[room] += 1;
            }
        }
        shared.set_room_members(members);
        let setup = shared.take_window_stats();
        let room_senders = (0..clients.len())
            .filter(|&i| !clients[i].joined.is_empty())
            .collect();
        let raw_senders = (0..clients.len()).filter(|&i| !clients[i].sdk).collect();
        Session {
            params: params.clone(),
            clients,
            shared,
            setup,
            setup_failures,
            room_senders,
            raw_senders,
            rng: ChaCha8Rng::seed_from_u64(params.seed),
            seq: 0,
            progress,
        }
    }

    /// Clients logged in (raw and SDK).
    pub fn connected(&self) -> usize {
        self.clients.len()
    }

    /// Of them, clients that are the SDK's `Client`.
    pub fn sdk_clients(&self) -> usize {
        self.clients.iter().filter(|c| c.sdk).count()
    }

    fn pick(&mut self, from_len: usize) -> usize {
        (self.rng.next_u64() % from_len.max(1) as u64) as usize
    }

    /// The kind of the next send, by the mix (a kind nobody can send is skipped).
    fn next_kind(&mut self) -> Option<Kind> {
        let mix = self.params.mix;
        let weights = [
            if self.room_senders.is_empty() {
                0
            } else {
                mix.room
            },
            mix.private,
            if self.raw_senders.is_empty() {
                0
            } else {
                mix.voice
            },
        ];
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut pick = (self.rng.next_u64() % u64::from(total)) as u32;
        for (kind, weight) in Kind::ALL.into_iter().zip(weights) {
            if pick < weight {
                return Some(kind);
            }
            pick -= weight;
        }
        None
    }

    /// The private receiver for client `sender` (by client index, not position).
    fn private_target(&mut self, sender: usize) -> usize {
        let clients = self.params.clients;
        if self.params.pairs {
            let partner = sender ^ 1;
            return if partner < clients {
                partner
            } else {
                sender.saturating_sub(1)
            };
        }
        let other = self.pick(clients - 1);
        if other >= sender {
            other + 1
        } else {
            other
        }
    }

    /// Hands one send, due at `stamp_ns`, to a client.
    fn dispatch(&mut self, stamp_ns: u64) {
        let Some(kind) = self.next_kind() else { return };
        let position = match kind {
            Kind::Room => {
                let i = self.pick(self.room_senders.len());
                self.room_senders[i]
            }
            Kind::Private => self.pick(self.clients.len()),
            Kind::Voice => {
                let i = self.pick(self.raw_senders.len());
                self.raw_senders[i]
            }
        };
        let sender = self.clients[position].index;
        let joined_count = self.clients[position].joined.len();
        let target = match kind {
            Kind::Room => {
                let i = self.pick(joined_count);
                Target::Room(self.clients[position].joined[i])
            }
            Kind::Voice if joined_count > 0 => Target::Room(self.clients[position].joined[0]),
            Kind::Private | Kind::Voice => Target::User(self.private_target(sender)),
        };
        self.seq += 1;
        let command = SendCommand {
            kind,
            target,
            stamp_ns,
            seq: self.seq,
        };
        match self.clients[position].commands.try_send(command) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.shared.backlogged(),
            Err(TrySendError::Closed(_)) => {} // the client is gone; counted when it went
        }
    }

    /// Offers `rate_per_sec` sends from `origin_ns` (counting `dispatched` already made) until
    /// `until_ns`; returns the new count.
    async fn offer(
        &mut self,
        rate_per_sec: f64,
        origin_ns: u64,
        mut dispatched: u64,
        until_ns: u64,
        bar: &ProgressBar,
    ) -> u64 {
        let interval_ns = 1e9 / rate_per_sec;
        let mut next_bar_ns = 0;
        loop {
            let now = now_ns();
            if now >= until_ns {
                return dispatched;
            }
            loop {
                let stamp = origin_ns + (dispatched as f64 * interval_ns) as u64;
                if stamp > now || stamp >= until_ns {
                    break;
                }
                self.dispatch(stamp);
                dispatched += 1;
            }
            if now >= next_bar_ns {
                next_bar_ns = now + 100_000_000;
                let t = self.shared.totals.snapshot();
                bar.set_position(
                    (now.saturating_sub(origin_ns) / 1_000_000).min(bar.length().unwrap_or(0)),
                );
                bar.set_message(format!(
                    "sent {} acked {} refused {} delivered {} backlog {} disconnected {}",
                    t.sent, t.acked, t.refused, t.delivered, t.backlogged, t.disconnected
                ));
            }
            let next_stamp = origin_ns + (dispatched as f64 * interval_ns) as u64;
            let wake = next_stamp
                .min(until_ns)
                .max(now + DISPATCH_TICK_MS * 1_000_000 / 2);
            tokio::time::sleep_until(instant_of(wake)).await;
        }
    }

    /// Waits until every send is answered and deliveries have stopped, or `drain_secs`.
    async fn drain(&self, drain_secs: f64) {
        let until = now_ns() + (drain_secs * 1e9) as u64;
        let mut last = self.shared.totals.snapshot();
        let mut quiet_since = now_ns();
        while now_ns() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.shared.totals.snapshot();
            let answered = now.acked + now.refused >= now.sent;
            if now.delivered != last.delivered || !answered {
                quiet_since = now_ns();
            } else if now_ns() - quiet_since >= QUIET_MS * 1_000_000 {
                return;
            }
            last = now;
        }
    }

    /// One measured phase at `rate_per_sec` (sends a second, all clients together):
    /// `warmup_secs` of load, a window of `seconds`, then up to `drain_secs` for the window's
    /// sends to be answered and delivered. Only sends due in the window are counted. `server`'s
    /// CPU and memory are measured when this run started it.
    pub async fn measure(
        &mut self,
        server: &mut Server,
        rate_per_sec: f64,
        warmup_secs: f64,
        seconds: f64,
        drain_secs: f64,
    ) -> Report {
        let label = format!(
            "{} {:?} {rate_per_sec}/s",
            server.kind.name(),
            self.params.scenario
        );
        let total_ms = ((warmup_secs + seconds) * 1000.0) as u64;
        let bar = bar(
            total_ms,
            self.progress,
            &format!("{label} [{{bar:30}}] {{pos}}/{{len}} ms {{msg}}"),
        );
        let origin = now_ns();
        let window_start = origin + (warmup_secs * 1e9) as u64;
        let window_end = window_start + (seconds * 1e9) as u64;
        self.shared.window.set(window_start, window_end);
        let _ = self.shared.take_window_stats(); // what happened between phases
        let dispatched = self
            .offer(rate_per_sec, origin, 0, window_start, &bar)
            .await;
        let before = Sample::take(&self.shared, server);
        self.offer(rate_per_sec, origin, dispatched, window_end, &bar)
            .await;
        let after = Sample::take(&self.shared, server);
        bar.set_message("draining");
        self.drain(drain_secs).await;
        bar.finish_and_clear();
        let stats = self.shared.take_window_stats();
        self.report(server, rate_per_sec, seconds, &before, &after, stats)
    }

    fn report(
        &self,
        server: &mut Server,
        rate_per_sec: f64,
        seconds: f64,
        before: &Sample,
        after: &Sample,
        stats: WindowStats,
    ) -> Report {
        let elapsed_s = (after.at_ns - before.at_ns) as f64 / 1e9;
        let delivered_in_window = after.totals.delivered - before.totals.delivered;
        let server_usage = match (before.server_cpu_ns, after.server_cpu_ns) {
            (Some(a), Some(b)) => Some(ProcessUsage {
                cpu_cores: (b - a) as f64 / 1e9 / elapsed_s,
                cpu_us_per_delivery: (b - a) as f64 / 1e3 / delivered_in_window.max(1) as f64,
                peak_rss_mib: server.peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
                rss_mib: server.rss_kib().unwrap_or(0) as f64 / 1024.0,
            }),
            _ => None,
        };
        let load_cpu_cores = match (before.load_cpu_ns, after.load_cpu_ns) {
            (Some(a), Some(b)) => (b - a) as f64 / 1e9 / elapsed_s,
            _ => 0.0,
        };
        let mut stats = stats;
        for (k, v) in &self.setup.refusals {
            *stats.refusals.entry(k.clone()).or_default() += v;
        }
        let context = ReportContext {
            target: server.kind.name(),
            params: &self.params,
            offered_per_sec: rate_per_sec,
            window_secs: seconds,
            elapsed_secs: elapsed_s,
            clients_connected: self.connected(),
            clients_sdk: self.sdk_clients(),
            setup_failures: &self.setup_failures,
            delivered_in_window,
            backlogged: after.totals.backlogged - before.totals.backlogged,
            disconnected: self.shared.totals.disconnected.load(Ordering::Relaxed),
            server: server_usage,
            load_cpu_cores,
            server_running: server.is_running(),
        };
        Report::build(context, &stats)
    }

    /// Stops every client's tasks and closes its connection.
    pub fn stop(self) {
        for client in self.clients {
            client.stop();
        }
    }
}

/// Counters and CPU times at one moment.
struct Sample {
    at_ns: u64,
    totals: TotalsSnapshot,
    server_cpu_ns: Option<u64>,
    load_cpu_ns: Option<u64>,
}

impl Sample {
    fn take(shared: &Shared, server: &Server) -> Sample {
        Sample {
            at_ns: now_ns(),
            totals: shared.totals.snapshot(),
            server_cpu_ns: server.cpu_ns(),
            load_cpu_ns: crate::procstat::cpu_ns(std::process::id()),
        }
    }
}
