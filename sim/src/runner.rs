//! Runs one scenario on turmoil: a server host, the client hosts (many SDK clients packed into
//! each, since turmoil's cost grows with the square of the host count), and an admin host.
//! Applies the fault schedule during the safety phase, heals everything, runs the liveness
//! phase, records each client's final state, and hands the history to the checkers.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use yim_server::core::ServerCore;
use yim_server::ServerConfig;

use crate::app::{self, lock, Shared, World, APP_KEY, APP_SECRET};
use crate::checkers::{self, Violation};
use crate::disk::{CrashPoint, SimDisk};
use crate::env::{SimClock, SimListener, Skew, EPOCH_UNIX_MS};
use crate::history::{AppId, Entry, History};
use crate::scenario::{Fault, HostRef, Scenario};

/// How long the server host waits before opening its store again when that fails (a
/// supervisor restarting the process).
const STORE_RETRY_MS: u64 = 500;
/// turmoil's step: every host runs once per tick. 2 ms halves the cost of 1 ms (measured:
/// 1.35 s vs 0.72 s wall for the standard scenario) and is still well below the 1-60 ms link
/// latencies the scenarios draw.
const TICK_MS: u64 = 2;
const SERVER: &str = "server";
const ADMIN: &str = "admin";
const SERVER_PORT: u16 = 5000;

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// Everything that happened, in order.
    pub history: History,
    /// What the checkers found in the history.
    pub violations: Vec<Violation>,
    /// Counts for the sweep report.
    pub stats: RunStats,
}

/// Counts for the sweep report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Simulated time the run covered.
    pub simulated_ms: u64,
    /// Operations the scenario made.
    pub ops: usize,
    /// Faults that fired, by kind.
    pub faults_by_kind: BTreeMap<String, usize>,
    /// Messages delivered to apps.
    pub messages_delivered: usize,
    /// Session events by kind (reconnects started, resumed, retried, given up; kick-offs;
    /// lost sessions; lost room ranges; failed re-joins).
    pub session_events: BTreeMap<String, usize>,
    /// Checker name -> number of history entries it examined.
    pub examined_by_checker: BTreeMap<String, usize>,
    /// Probe name -> hits in the run (every probe listed, hit or not; see `crate::probes`).
    pub probes: BTreeMap<String, u64>,
    /// Probe name -> simulated ms of its first hit (the probes hit only).
    pub probe_first_hit_ms: BTreeMap<String, u64>,
}

fn client_host_name(host: usize) -> String {
    format!("c{host}")
}

/// Crashes `host`, its connections closing in a fixed order (see `crate::close_order`).
fn crash(sim: &mut turmoil::Sim<'_>, shared: &Shared, host: &str) {
    let close_order = lock(shared).close_order.clone();
    close_order.crash(sim, host);
}

/// Restarts `host`, as [`crash`] would close its connections.
fn bounce(sim: &mut turmoil::Sim<'_>, shared: &Shared, host: &str) {
    let close_order = lock(shared).close_order.clone();
    close_order.bounce(sim, host);
}

/// The server configuration used in simulations: fast password hashing, run inline between
/// inputs (so a seed replays exactly; still a separate input from its login frame, as on a
/// real server), no login throttles (a few client hosts log in many players, and the game's
/// re-login loop retries every second), and default limits otherwise.
pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig::new("0.0.0.0:5000", &[(APP_KEY, APP_SECRET)]);
    config.limits.password_hash_rounds = 1;
    config.limits.hash_workers = 0;
    config.limits.failed_logins_per_account = yim_server::core::Rate::UNLIMITED;
    config.limits.failed_logins_per_address = yim_server::core::Rate::UNLIMITED;
    config.limits.registrations_per_address = yim_server::core::Rate::UNLIMITED;
    config
}

/// Counts the session events of a history by kind, for the report.
fn session_events(history: &History) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, entry) in history.iter() {
        let kind = match entry {
            Entry::StartReconnect { .. } => "reconnect started",
            Entry::ReconnectResult { result, .. } => match result {
                yim_sdk::ReconnectResult::Success => "reconnect resumed",
                yim_sdk::ReconnectResult::FailAgain => "reconnect attempt failed",
                yim_sdk::ReconnectResult::Fail => "reconnect gave up",
            },
            Entry::KickOff { .. } => "kick-off",
            Entry::SessionLost { .. } => "session lost",
            Entry::RoomMessagesLost { .. } => "room messages lost",
            Entry::RejoinFailed { .. } => "re-join failed",
            _ => continue,
        };
        *counts.entry(kind.to_owned()).or_default() += 1;
    }
    counts
}

/// Runs `scenario` and checks its history.
pub fn run(scenario: &Scenario) -> RunOutcome {
    // A planted bug that fires once in N counts afresh in each run, so a run with a bug on
    // is a function of its scenario too and replays (`--plant`).
    #[cfg(feature = "planted-bugs")]
    yim_hooks::planted::set(yim_hooks::planted::current());
    let scenario = Arc::new(scenario.clone());
    let shared: Shared = Arc::new(std::sync::Mutex::new(World::new(scenario.clone())));
    let server_skew = Skew::default();
    let client_skews: Vec<Skew> = (0..scenario.client_hosts)
        .map(|_| Skew::default())
        .collect();

    let mut sim = turmoil::Builder::new()
        .rng_seed(scenario.seed)
        .epoch(UNIX_EPOCH + Duration::from_millis(EPOCH_UNIX_MS))
        .tick_duration(Duration::from_millis(TICK_MS))
        .simulation_duration(Duration::from_millis(scenario.duration_ms() + 60_000))
        .min_message_latency(Duration::from_millis(scenario.min_latency_ms))
        .max_message_latency(Duration::from_millis(scenario.max_latency_ms))
        .tcp_capacity(4096)
        .build();

    let disk = SimDisk::new(
        scenario.durability,
        scenario.checkpoint_commits,
        scenario.first_message_id,
        shared.clone(),
    );
    crate::probes::install(shared.clone());
    {
        // One clock for every incarnation of the server: the machine's clock survives a crash.
        let clock = Arc::new(SimClock::new(server_skew.clone()));
        let (shared, seed) = (shared.clone(), scenario.seed);
        let room_log_messages = scenario.room_log_messages;
        let disk = disk.clone();
        sim.host(SERVER, move || {
            let (shared, disk, clock) = (shared.clone(), disk.clone(), clock.clone());
            async move {
                let (incarnation, links, close_order) = {
                    let mut world = lock(&shared);
                    world.server_incarnation += 1;
                    let close_order = world.close_order.clone();
                    (world.server_incarnation, world.links.clone(), close_order)
                };
                let _closer = close_order.closer();
                let listener = turmoil::net::TcpListener::bind(("0.0.0.0", SERVER_PORT)).await?;
                let rng_seed = seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(incarnation);
                let mut config = server_config();
                if let Some(kept) = room_log_messages {
                    config.limits.room_log_messages = kept;
                }
                config.store.durability = disk.durability();
                disk.open(crate::env::sim_ms());
                let core = loop {
                    match ServerCore::new(&config, Box::new(disk.clone()), rng_seed) {
                        Ok(core) => break core,
                        Err(_) => tokio::time::sleep(Duration::from_millis(STORE_RETRY_MS)).await,
                    }
                };
                // The core halted (a commit's or a sync's outcome is unknown): the process
                // exits; the runner crashes the host at once.
                let _halt = yim_server::serve(
                    Box::new(SimListener {
                        listener,
                        links,
                        close_order,
                    }),
                    core,
                    clock,
                )
                .await;
                disk.process_exited();
                std::future::pending::<()>().await;
                Ok(())
            }
        });
    }
    for (host, skew) in client_skews.iter().enumerate() {
        let (shared, skew) = (shared.clone(), skew.clone());
        sim.host(client_host_name(host).as_str(), move || {
            app::client_host(shared.clone(), host, skew.clone())
        });
    }
    {
        let shared = shared.clone();
        sim.host(ADMIN, move || app::admin_host(shared.clone()));
    }

    let mut faults = Faults::new(&scenario);
    let mut step_error = None;
    let mut next_fault = 0;
    let mut healed = false;
    let total_ms = scenario.duration_ms();
    while (sim.elapsed().as_millis() as u64) < total_ms {
        let now_ms = sim.elapsed().as_millis() as u64;
        while let Some(timed) = scenario
            .faults
            .get(next_fault)
            .filter(|f| f.at_ms <= now_ms)
        {
            faults.apply(
                now_ms,
                &mut sim,
                &shared,
                &disk,
                &timed.fault,
                &server_skew,
                &client_skews,
            );
            lock(&shared).history.push(
                now_ms,
                Entry::Fault {
                    fault: timed.fault.clone(),
                },
            );
            next_fault += 1;
        }
        if !healed && now_ms >= scenario.safety_ms {
            faults.heal(&mut sim, &shared, &disk);
            lock(&shared).history.push(now_ms, Entry::Heal);
            healed = true;
        }
        if let Err(e) = sim.step() {
            step_error = Some(e.to_string());
            break;
        }
        faults.crash_struck_client_hosts(&mut sim, &shared);
        if disk.take_crashed() && !faults.server_down {
            // A crash point struck inside the server: the process dies here.
            crash(&mut sim, &shared, SERVER);
            faults.server_down = true;
        }
    }
    for (kind, n) in disk.strikes() {
        *faults.fired.entry(kind).or_default() += n;
    }

    let end_ms = sim.elapsed().as_millis() as u64;
    let mut world = lock(&shared);
    for client in 0..scenario.clients.len() {
        let wants_online = world.should_be_online(client);
        let slot = &world.slots[client];
        let app = AppId {
            client,
            incarnation: slot.incarnation,
        };
        let (state, pending_calls) = match &slot.client {
            Some(sdk) => (format!("{:?}", sdk.state()), sdk.pending_calls()),
            None => ("Stopped".to_owned(), 0),
        };
        let user = scenario.clients[client].user.clone();
        world.history.push(
            end_ms,
            Entry::Final {
                app,
                user,
                state,
                pending_calls,
                wants_online,
            },
        );
    }
    for client in 0..scenario.clients.len() {
        let app = AppId {
            client,
            incarnation: world.slots[client].incarnation,
        };
        let user = scenario.clients[client].user.clone();
        let (messages, handed) = world.client_disks[client].contents(app::APP_KEY, &user);
        world.history.push(
            end_ms,
            Entry::LocalHistory {
                app,
                user,
                messages,
                handed,
            },
        );
    }
    for slot in &mut world.slots {
        if let Some(sdk) = slot.client.take() {
            sdk.shutdown();
        }
    }
    let history = std::mem::take(&mut world.history);
    let harness_failures = std::mem::take(&mut world.harness_failures);
    let code_probes = crate::probes::uninstall();
    // Downloads are deleted once heard; whatever an unfinished run left goes too.
    let _ = std::fs::remove_dir_all(&world.download_dir);
    drop(world);
    drop(sim);

    let report = checkers::check_all(&scenario, &history);
    let mut violations = report.violations;
    let step_failure = step_error.map(|error| (end_ms, error));
    for (at_ms, detail) in harness_failures.into_iter().chain(step_failure) {
        violations.push(Violation {
            checker: "simulation".into(),
            at_ms,
            detail,
            positions: Vec::new(),
        });
    }
    let probes = crate::probes::hits(code_probes, &scenario, &history);
    let stats = RunStats {
        simulated_ms: end_ms,
        ops: scenario.ops.len(),
        faults_by_kind: faults.fired,
        messages_delivered: history
            .iter()
            .filter(|(_, e)| matches!(e, Entry::Deliver { .. }))
            .count(),
        session_events: session_events(&history),
        examined_by_checker: report.examined,
        probes: probes.hits,
        probe_first_hit_ms: probes.first_hit_ms,
    };
    RunOutcome {
        history,
        violations,
        stats,
    }
}

/// The fault schedule's effect on the simulation, and what healing must undo.
struct Faults {
    client_hosts: usize,
    max_latency_ms: u64,
    server_down: bool,
    crashed_hosts: std::collections::BTreeSet<usize>,
    fired: BTreeMap<String, usize>,
}

impl Faults {
    fn new(scenario: &Scenario) -> Faults {
        Faults {
            client_hosts: scenario.client_hosts,
            max_latency_ms: scenario.max_latency_ms,
            server_down: false,
            crashed_hosts: Default::default(),
            fired: BTreeMap::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        now_ms: u64,
        sim: &mut turmoil::Sim<'_>,
        shared: &Shared,
        disk: &SimDisk,
        fault: &Fault,
        server_skew: &Skew,
        client_skews: &[Skew],
    ) {
        if !fault.is_armed() {
            *self.fired.entry(fault.kind().to_owned()).or_default() += 1;
        }
        match fault {
            Fault::Partition { host, direction } => lock(shared).links.partition(*host, *direction),
            Fault::Repair { host } => lock(shared).links.repair(*host),
            Fault::Hold { host } => sim.hold(SERVER, client_host_name(*host).as_str()),
            Fault::Release { host } => sim.release(SERVER, client_host_name(*host).as_str()),
            Fault::Latency { max_ms } => {
                sim.set_max_message_latency(Duration::from_millis(*max_ms))
            }
            Fault::ServerCrash => {
                if !self.server_down {
                    crash(sim, shared, SERVER);
                    self.server_down = true;
                }
            }
            Fault::ServerRestart => {
                disk.disarm();
                if self.server_down {
                    bounce(sim, shared, SERVER);
                    self.server_down = false;
                }
            }
            Fault::CrashAtCommit { durable: true } => disk.arm(CrashPoint::AfterCommit),
            Fault::CrashAtCommit { durable: false } => disk.arm(CrashPoint::BeforeCommit),
            Fault::CrashMidUpload => disk.arm(CrashPoint::MidUpload),
            Fault::CrashAtSync { power_loss } => disk.arm(CrashPoint::AtSync {
                power_loss: *power_loss,
            }),
            Fault::SyncFailure { fate } => disk.fail_next_sync(*fate),
            Fault::StoreFailure { commits } => disk.fail_commits(*commits),
            Fault::PowerLoss => {
                if !self.server_down {
                    crash(sim, shared, SERVER);
                    self.server_down = true;
                }
                disk.power_loss(now_ms);
            }
            Fault::ClientHostCrash { host } => self.crash_client_host(now_ms, sim, shared, *host),
            Fault::ClientCrashAtStore { host } => {
                let world = lock(shared);
                for client in world.clients_of_host(*host) {
                    world.client_disks[client].arm();
                }
            }
            Fault::ClientHostRestart { host } => {
                {
                    let world = lock(shared);
                    for client in world.clients_of_host(*host) {
                        world.client_disks[client].restart();
                    }
                }
                if self.crashed_hosts.remove(host) {
                    bounce(sim, shared, &client_host_name(*host));
                }
            }
            Fault::ClockSkew { host, offset_ms } => match host {
                HostRef::Server => server_skew.set(*offset_ms),
                HostRef::Client(host) => {
                    if let Some(skew) = client_skews.get(*host) {
                        skew.set(*offset_ms);
                    }
                }
            },
        }
    }

    /// The client host crashes now: its apps stop (their pending calls die), its disk stays.
    fn crash_client_host(
        &mut self,
        now_ms: u64,
        sim: &mut turmoil::Sim<'_>,
        shared: &Shared,
        host: usize,
    ) {
        if self.crashed_hosts.insert(host) {
            let mut world = lock(shared);
            for client in world.clients_of_host(host) {
                world.stop_app(client, now_ms);
            }
            drop(world);
            crash(sim, shared, &client_host_name(host));
        }
    }

    /// A client store's crash point struck during the last step: its host crashes now (the
    /// app was dead from the commit on; see `crate::client_disk`).
    fn crash_struck_client_hosts(&mut self, sim: &mut turmoil::Sim<'_>, shared: &Shared) {
        let now_ms = sim.elapsed().as_millis() as u64;
        let struck: Vec<usize> = {
            let world = lock(shared);
            (0..self.client_hosts)
                .filter(|&host| {
                    world
                        .clients_of_host(host)
                        .into_iter()
                        .any(|client| world.client_disks[client].take_crashed())
                })
                .collect()
        };
        for host in struck {
            *self
                .fired
                .entry(Fault::ClientCrashAtStore { host }.kind().to_owned())
                .or_default() += 1;
            let fault = Fault::ClientHostCrash { host };
            lock(shared).history.push(now_ms, Entry::Fault { fault });
            self.crash_client_host(now_ms, sim, shared, host);
        }
    }

    /// Ends every fault: repairs and releases all links, restores latency, ends disk faults,
    /// restarts what is down. Clock skews stay: a skewed clock is not a fault that heals.
    fn heal(&mut self, sim: &mut turmoil::Sim<'_>, shared: &Shared, disk: &SimDisk) {
        disk.heal();
        let links = lock(shared).links.clone();
        for host in 0..self.client_hosts {
            links.repair(host);
            sim.release(SERVER, client_host_name(host).as_str());
        }
        sim.set_max_message_latency(Duration::from_millis(self.max_latency_ms));
        if self.server_down {
            bounce(sim, shared, SERVER);
            self.server_down = false;
        }
        {
            let world = lock(shared);
            for disk in &world.client_disks {
                disk.restart();
            }
        }
        for host in std::mem::take(&mut self.crashed_hosts) {
            bounce(sim, shared, &client_host_name(host));
        }
    }
}
