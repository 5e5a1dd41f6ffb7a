//! Sweeps: run many seeds (optionally one shard of them, on several threads), report a summary
//! table, write one JSON line per seed (`results.jsonl`, with `sweep.json` saying what was
//! swept, for [`crate::merge`]), and for each failing seed shrink its scenario, save it with
//! its HTML timeline ([`crate::timeline`]), and print the one command that replays it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::checkers::Violation;
use crate::generate::{generate, Profile, Size};
use crate::runner::{run, RunStats};
use crate::scenario::Scenario;
use crate::shrink::shrink;

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    pub from_seed: u64,
    pub seeds: u64,
    /// (index, count): run only seeds with `seed % count == index`.
    pub shard: (u64, u64),
    pub jobs: usize,
    pub size: Size,
    pub profile: Profile,
    /// Where results, shrunk scenarios and histories go; `None`: nowhere.
    pub out_dir: Option<PathBuf>,
    /// Runs allowed for shrinking each failure (0: no shrinking).
    pub shrink_runs: usize,
    pub progress: bool,
}

/// One seed's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    pub seed: u64,
    pub simulated_ms: u64,
    pub wall_ms: u64,
    pub ops: usize,
    pub faults_by_kind: BTreeMap<String, usize>,
    pub messages_delivered: usize,
    pub session_events: BTreeMap<String, usize>,
    pub examined_by_checker: BTreeMap<String, usize>,
    pub violations: Vec<Violation>,
    pub history_hash: String,
    /// Hits per coverage probe (see `crate::probes`).
    #[serde(default)]
    pub probes: BTreeMap<String, u64>,
}

/// The whole sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    pub results: Vec<SeedResult>,
    pub wall_ms: u64,
    /// Replay commands of the failures.
    pub replays: Vec<String>,
}

impl SweepReport {
    pub fn violations(&self) -> usize {
        self.results.iter().map(|r| r.violations.len()).sum()
    }

    /// Violations by checker.
    pub fn violations_by_checker(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for v in self.results.iter().flat_map(|r| &r.violations) {
            *counts.entry(v.checker.clone()).or_default() += 1;
        }
        counts
    }

    /// Faults fired by kind, summed.
    pub fn faults_by_kind(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (kind, n) in self.results.iter().flat_map(|r| &r.faults_by_kind) {
            *counts.entry(kind.clone()).or_default() += n;
        }
        counts
    }

    /// Session events by kind, summed.
    pub fn session_events(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (kind, n) in self.results.iter().flat_map(|r| &r.session_events) {
            *counts.entry(kind.clone()).or_default() += n;
        }
        counts
    }

    /// Entries examined by each checker, summed.
    pub fn examined_by_checker(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (name, n) in self.results.iter().flat_map(|r| &r.examined_by_checker) {
            *counts.entry(name.clone()).or_default() += n;
        }
        counts
    }

    /// Per probe: (hits summed, seeds that hit it). Every probe is listed.
    pub fn probes(&self) -> BTreeMap<String, (u64, usize)> {
        let mut counts: BTreeMap<String, (u64, usize)> = yim_hooks::probe::Probe::ALL
            .iter()
            .map(|p| (p.name().to_owned(), (0, 0)))
            .collect();
        for (name, n) in self.results.iter().flat_map(|r| &r.probes) {
            let count = counts.entry(name.clone()).or_default();
            count.0 += n;
            count.1 += usize::from(*n > 0);
        }
        counts
    }

    /// The probes never hit that are not marked rare (a meta-test wants none).
    pub fn unhit_probes(&self) -> Vec<String> {
        self.probes()
            .into_iter()
            .filter(|(name, (hits, _))| {
                *hits == 0 && yim_hooks::probe::Probe::by_name(name).is_some_and(|p| !p.rare())
            })
            .map(|(name, _)| name)
            .collect()
    }

    /// The summary table printed at the end of a sweep.
    pub fn table(&self) -> String {
        let simulated_ms: u64 = self.results.iter().map(|r| r.simulated_ms).sum();
        let busy_ms: u64 = self.results.iter().map(|r| r.wall_ms).sum();
        let mut out = String::new();
        let mut line = |k: &str, v: String| out.push_str(&format!("{k:<34} {v}\n"));
        line("seeds", self.results.len().to_string());
        line(
            "failing seeds",
            self.results
                .iter()
                .filter(|r| !r.violations.is_empty())
                .count()
                .to_string(),
        );
        line(
            "simulated time",
            format!("{:.1} s", simulated_ms as f64 / 1000.0),
        );
        line(
            "wall time",
            format!("{:.1} s", self.wall_ms as f64 / 1000.0),
        );
        line(
            "simulated s per wall s",
            format!(
                "{:.1} (per busy core: {:.1})",
                ratio(simulated_ms, self.wall_ms),
                ratio(simulated_ms, busy_ms)
            ),
        );
        line(
            "operations",
            self.results
                .iter()
                .map(|r| r.ops)
                .sum::<usize>()
                .to_string(),
        );
        line(
            "messages delivered",
            self.results
                .iter()
                .map(|r| r.messages_delivered)
                .sum::<usize>()
                .to_string(),
        );
        for (kind, n) in self.faults_by_kind() {
            line(&format!("faults: {kind}"), n.to_string());
        }
        for (kind, n) in self.session_events() {
            line(&format!("events: {kind}"), n.to_string());
        }
        let by_checker = self.violations_by_checker();
        for (name, examined) in self.examined_by_checker() {
            let violations = by_checker.get(&name).copied().unwrap_or(0);
            line(
                &format!("checker: {name}"),
                format!("{violations} violations ({examined} examined)"),
            );
        }
        for (name, (hits, seeds)) in self.probes() {
            let rare = yim_hooks::probe::Probe::by_name(&name).is_some_and(|p| p.rare());
            line(
                &format!("probe: {name}"),
                format!(
                    "{hits} hits in {seeds} seeds{}",
                    if rare { " (rare)" } else { "" }
                ),
            );
        }
        if let Some(n) = by_checker.get("simulation") {
            line("checker: simulation", format!("{n} violations"));
        }
        out
    }
}

fn ratio(simulated_ms: u64, wall_ms: u64) -> f64 {
    simulated_ms as f64 / (wall_ms.max(1) as f64)
}

/// Runs one scenario and summarises it.
pub fn run_seed(scenario: &Scenario) -> SeedResult {
    #[allow(clippy::disallowed_methods)] // wall time for the report, never for the simulation
    let started = std::time::Instant::now();
    let outcome = run(scenario);
    let RunStats {
        simulated_ms,
        ops,
        faults_by_kind,
        messages_delivered,
        session_events,
        examined_by_checker,
        probes,
    } = outcome.stats;
    SeedResult {
        seed: scenario.seed,
        simulated_ms,
        wall_ms: started.elapsed().as_millis() as u64,
        ops,
        faults_by_kind,
        messages_delivered,
        session_events,
        examined_by_checker,
        violations: outcome.violations,
        history_hash: outcome.history.hash(),
        probes,
    }
}

/// Runs the sweep. `prepare` runs once on each worker thread first (tests use it to switch on
/// a planted bug, which is per thread).
pub fn sweep(config: &SweepConfig, prepare: impl Fn() + Sync) -> SweepReport {
    #[allow(clippy::disallowed_methods)] // wall time for the report
    let started = std::time::Instant::now();
    let seeds: Vec<u64> = (config.from_seed..config.from_seed + config.seeds)
        .filter(|seed| seed % config.shard.1.max(1) == config.shard.0)
        .collect();
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    let replays = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1) {
            scope.spawn(|| {
                prepare();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&seed) = seeds.get(i) else { break };
                    let scenario = generate(seed, &config.size, config.profile);
                    let result = run_seed(&scenario);
                    if !result.violations.is_empty() {
                        if let Some(replay) = save_failure(config, &scenario, &result) {
                            replays
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(replay);
                        }
                    }
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(result);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if config.progress {
                        progress(finished, seeds.len());
                    }
                }
            });
        }
    });
    if config.progress {
        eprintln!();
    }
    let mut results = results.into_inner().unwrap_or_else(|p| p.into_inner());
    results.sort_by_key(|r| r.seed);
    let mut replays = replays.into_inner().unwrap_or_else(|p| p.into_inner());
    replays.sort();
    let report = SweepReport {
        results,
        wall_ms: started.elapsed().as_millis() as u64,
        replays,
    };
    if let Some(dir) = &config.out_dir {
        let info = crate::merge::ShardInfo::of(config, report.wall_ms);
        if let Err(e) = write_results(dir, &report, &info) {
            eprintln!("yim-sim: writing results: {e}");
        }
    }
    report
}

fn progress(done: usize, total: usize) {
    let width = 40;
    let filled = done * width / total.max(1);
    eprint!(
        "\r[{}{}] {done}/{total}",
        "=".repeat(filled),
        " ".repeat(width - filled)
    );
}

/// Writes `results.jsonl` (one line per seed) and `sweep.json` (what was swept) into `dir`.
pub fn write_results(
    dir: &Path,
    report: &SweepReport,
    info: &crate::merge::ShardInfo,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let info = serde_json::to_string_pretty(info).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("sweep.json"), info + "\n")?;
    let mut file = std::fs::File::create(dir.join("results.jsonl"))?;
    for result in &report.results {
        writeln!(
            file,
            "{}",
            serde_json::to_string(result).map_err(std::io::Error::other)?
        )?;
    }
    Ok(())
}

/// Shrinks a failing scenario (keeping the first violated checker failing), saves it and the
/// HTML timeline of its run, and returns the command that replays it.
fn save_failure(config: &SweepConfig, scenario: &Scenario, result: &SeedResult) -> Option<String> {
    let dir = config.out_dir.as_ref()?;
    let checker = result.violations.first()?.checker.clone();
    let shrunk = if config.shrink_runs > 0 {
        shrink(scenario, config.shrink_runs, |candidate| {
            run(candidate)
                .violations
                .iter()
                .any(|v| v.checker == checker)
        })
    } else {
        scenario.clone()
    };
    let path = dir.join(format!("failure-seed-{}.json", scenario.seed));
    std::fs::create_dir_all(dir).ok()?;
    shrunk.save(&path).ok()?;
    let shrunk_note = if config.shrink_runs > 0 {
        "after shrinking"
    } else {
        "not shrunk"
    };
    let planted = yim_hooks::planted::current().map(|bug| bug.name().to_owned());
    let mut note = format!("sweep --profile {:?}", config.profile).to_lowercase();
    if let Some(bug) = &planted {
        note.push_str(&format!(", planted {bug}"));
    }
    note.push_str(&format!(", {shrunk_note}"));
    // The run of what was saved (the shrunk scenario), drawn.
    let outcome = run(&shrunk);
    let html =
        crate::timeline::timeline_html(&shrunk, &outcome.history, &outcome.violations, &note);
    let html_path = path.with_extension("html");
    if let Err(e) = std::fs::write(&html_path, html) {
        eprintln!("yim-sim: writing {}: {e}", html_path.display());
    }
    Some(format!(
        "{}   # {checker}, {} ops / {} faults {shrunk_note}; timeline {}",
        replay_command("run --scenario", &path, planted.as_deref()),
        shrunk.ops.len(),
        shrunk.faults.len(),
        html_path.display()
    ))
}

/// The command that runs `yim-sim <command> <path>`, with the planted bug if there is one.
pub fn replay_command(command: &str, path: &Path, planted: Option<&str>) -> String {
    match planted {
        Some(bug) => format!(
            "cargo run --release -p yim-sim --features planted-bugs -- {command} {} --plant {bug}",
            path.display()
        ),
        None => format!(
            "cargo run --release -p yim-sim -- {command} {}",
            path.display()
        ),
    }
}
