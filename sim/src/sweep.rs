//! Sweeps: run many seeds (optionally one shard of them, on several threads), report a summary
//! table, write one JSON line per seed (`results.jsonl`, with `sweep.json` saying what was
//! swept, for [`crate::merge`]), and for each failing seed shrink its scenario, save it with
//! its HTML timeline ([`crate::timeline`]), and print the one command that replays it.
//! Optionally the sweep branches from runs that reached rare states ([`crate::branch`]):
//! then it runs its seeds in rounds, each round's fresh runs followed by the children chosen
//! from them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::branch::{BranchPoint, Branching, Chooser, FreshRun, ROUND_SEEDS};
use crate::checkers::Violation;
use crate::generate::{generate, Profile, Size};
use crate::runner::{run, RunStats};
use crate::scenario::Scenario;
use crate::shrink::shrink;

/// What to sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// The first seed.
    pub from_seed: u64,
    /// How many seeds, from `from_seed` on.
    pub seeds: u64,
    /// (index, count): run only seeds with `seed % count == index`.
    pub shard: (u64, u64),
    /// Runs at a time (threads).
    pub jobs: usize,
    /// The scenario size.
    pub size: Size,
    /// The fault profile.
    pub profile: Profile,
    /// Where results, shrunk scenarios and histories go; `None`: nowhere.
    pub out_dir: Option<PathBuf>,
    /// Runs allowed for shrinking each failure (0: no shrinking).
    pub shrink_runs: usize,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Branching from rare states (see `crate::branch`); [`Branching::OFF`]: every run a
    /// fresh seed.
    pub branching: Branching,
    /// Stop at the first failing run, in run order (seed order; with branching, each round's
    /// fresh runs, then its children): the report then has the runs up to it.
    pub stop_at_first_failure: bool,
}

/// One seed's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed (a branched run's parent seed).
    pub seed: u64,
    /// Simulated time the run covered.
    pub simulated_ms: u64,
    /// Wall-clock time the run took.
    pub wall_ms: u64,
    /// Operations the scenario made.
    pub ops: usize,
    /// Faults that fired, by kind.
    pub faults_by_kind: BTreeMap<String, usize>,
    /// Messages delivered to apps.
    pub messages_delivered: usize,
    /// Session events by kind (see [`RunStats::session_events`]).
    pub session_events: BTreeMap<String, usize>,
    /// Checker name -> history entries it examined.
    pub examined_by_checker: BTreeMap<String, usize>,
    /// What the checkers found (empty: the run passed).
    pub violations: Vec<Violation>,
    /// The history's hash, hex (the same seed gives the same hash).
    pub history_hash: String,
    /// Hits per coverage probe (see `crate::probes`).
    #[serde(default)]
    pub probes: BTreeMap<String, u64>,
    /// Simulated ms of the first hit of each probe that was hit.
    #[serde(default)]
    pub probe_first_hit_ms: BTreeMap<String, u64>,
    /// A branched run's origin (its `seed` is the parent's); `None` for a fresh seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<BranchPoint>,
}

impl SeedResult {
    /// `seed 7`, or `seed 7 at 8.214s (probe ...), child seed C` for a branched run.
    pub fn describe(&self) -> String {
        match &self.branch {
            Some(point) => point.describe(),
            None => format!("seed {}", self.seed),
        }
    }
}

/// The first failing run of a sweep, in run order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstFailure {
    /// Runs up to and including it (1 is the first run).
    pub runs: usize,
    /// What it was, as [`SeedResult::describe`] says.
    pub run: String,
}

/// The whole sweep.
#[derive(Debug, Clone, Default)]
pub struct SweepReport {
    /// One result per run, in run order.
    pub results: Vec<SeedResult>,
    /// Wall-clock time the sweep took.
    pub wall_ms: u64,
    /// Replay commands of the failures.
    pub replays: Vec<String>,
    /// Replay commands of the branched runs (each child's `yim-sim run` command).
    pub branches: Vec<String>,
    /// The first failing run, in run order (unknown for merged shards).
    pub first_failure: Option<FirstFailure>,
}

impl SweepReport {
    /// Violations found in all runs together.
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
        let branched = self.results.iter().filter(|r| r.branch.is_some());
        let (branched, branched_failing) = branched.fold((0, 0), |(n, f), r| {
            (n + 1, f + usize::from(!r.violations.is_empty()))
        });
        line("seeds", self.results.len().to_string());
        if branched > 0 {
            // The lines below count the branched runs with the fresh ones.
            line("of them branched runs", branched.to_string());
            line("branched runs failing", branched_failing.to_string());
        }
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
    run_job(scenario, None)
}

/// Runs one scenario (the child of `branch`, if given) and summarises it.
fn run_job(scenario: &Scenario, branch: Option<BranchPoint>) -> SeedResult {
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
        probe_first_hit_ms,
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
        probe_first_hit_ms,
        branch,
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
    // Without branching, one round of every seed.
    let round_seeds = if config.branching.is_on() {
        ROUND_SEEDS
    } else {
        seeds.len().max(1)
    };
    let progress = Progress {
        done: AtomicUsize::new(0),
        total: seeds.len() + config.branching.budget,
        on: config.progress,
    };
    let mut chooser = Chooser::default();
    let mut results: Vec<SeedResult> = Vec::new();
    let mut replays = Vec::new();
    let mut branches = Vec::new();
    let mut first_failure = None;
    for round in seeds.chunks(round_seeds) {
        let fresh: Vec<Job> = round.iter().map(|&seed| Job::Fresh(seed)).collect();
        let ran = run_jobs(config, &fresh, &prepare, &progress);
        let stop = record(&ran, &mut results, &mut replays, &mut first_failure);
        if stop && config.stop_at_first_failure {
            break;
        }
        let fresh_runs: Vec<FreshRun<'_>> = ran
            .runs
            .iter()
            .map(|r| FreshRun {
                seed: r.seed,
                failed: !r.violations.is_empty(),
                first_hit_ms: &r.probe_first_hit_ms,
            })
            .collect();
        let points = chooser.choose(
            &config.branching,
            &fresh_runs,
            seeds.len(),
            config.size.safety_ms,
        );
        if points.is_empty() {
            continue;
        }
        for point in &points {
            branches.push(branch_command(config, point));
        }
        let children: Vec<Job> = points.into_iter().map(Job::Child).collect();
        let ran = run_jobs(config, &children, &prepare, &progress);
        let stop = record(&ran, &mut results, &mut replays, &mut first_failure);
        if stop && config.stop_at_first_failure {
            break;
        }
    }
    if config.progress {
        eprintln!();
    }
    results.sort_by(|a, b| (a.seed, &a.branch).cmp(&(b.seed, &b.branch)));
    replays.sort();
    let report = SweepReport {
        results,
        wall_ms: started.elapsed().as_millis() as u64,
        replays,
        branches,
        first_failure,
    };
    if let Some(dir) = &config.out_dir {
        let info = ShardInfo::of(config, report.wall_ms);
        if let Err(e) = write_results(dir, &report, &info) {
            eprintln!("yim-sim: writing results: {e}");
        }
    }
    report
}

/// One run of a sweep: a fresh seed or a branch's child.
#[derive(Debug, Clone)]
enum Job {
    Fresh(u64),
    Child(BranchPoint),
}

impl Job {
    fn scenario(&self, config: &SweepConfig) -> Scenario {
        match self {
            Job::Fresh(seed) => generate(*seed, &config.size, config.profile),
            Job::Child(point) => point.scenario(&config.size, config.profile),
        }
    }

    fn branch(&self) -> Option<BranchPoint> {
        match self {
            Job::Fresh(_) => None,
            Job::Child(point) => Some(point.clone()),
        }
    }
}

/// What [`run_jobs`] ran: the results in job order (up to the first failure, when the sweep
/// stops there) and the replay commands of their failures.
struct Ran {
    runs: Vec<SeedResult>,
    replays: Vec<String>,
    /// The index in `runs` of the first failing run.
    first_failure: Option<usize>,
}

/// Adds what one batch ran to the sweep's results; true when it had a failure.
fn record(
    ran: &Ran,
    results: &mut Vec<SeedResult>,
    replays: &mut Vec<String>,
    first_failure: &mut Option<FirstFailure>,
) -> bool {
    if first_failure.is_none() {
        *first_failure = ran.first_failure.map(|i| FirstFailure {
            runs: results.len() + i + 1,
            run: ran.runs[i].describe(),
        });
    }
    results.extend(ran.runs.iter().cloned());
    replays.extend(ran.replays.iter().cloned());
    ran.first_failure.is_some()
}

/// Runs `jobs` on `config.jobs` threads, taking them in order.
fn run_jobs(
    config: &SweepConfig,
    jobs: &[Job],
    prepare: &(impl Fn() + Sync),
    progress: &Progress,
) -> Ran {
    let next = AtomicUsize::new(0);
    // With stop_at_first_failure: no job after the first failing one starts.
    let first_failing = AtomicUsize::new(usize::MAX);
    // Each job's result and the replay command of its failure.
    type Done = Option<(SeedResult, Option<String>)>;
    let done: Mutex<Vec<Done>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1).min(jobs.len()) {
            scope.spawn(|| {
                prepare();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if config.stop_at_first_failure && i > first_failing.load(Ordering::Relaxed) {
                        break;
                    }
                    let scenario = job.scenario(config);
                    let result = run_job(&scenario, job.branch());
                    let mut replay = None;
                    if !result.violations.is_empty() {
                        first_failing.fetch_min(i, Ordering::Relaxed);
                        if i <= first_failing.load(Ordering::Relaxed)
                            || !config.stop_at_first_failure
                        {
                            replay = save_failure(config, &scenario, &result);
                        }
                    }
                    done.lock().unwrap_or_else(|p| p.into_inner())[i] = Some((result, replay));
                    progress.one_done();
                }
            });
        }
    });
    let done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    let first_failure = done
        .iter()
        .position(|d| d.as_ref().is_some_and(|(r, _)| !r.violations.is_empty()));
    let keep = match first_failure {
        Some(i) if config.stop_at_first_failure => i + 1,
        _ => done.len(),
    };
    let (runs, replays): (Vec<SeedResult>, Vec<Option<String>>) =
        done.into_iter().take(keep).flatten().unzip();
    Ran {
        runs,
        replays: replays.into_iter().flatten().collect(),
        first_failure,
    }
}

/// The sweep's progress bar.
struct Progress {
    done: AtomicUsize,
    /// At most this many runs (the seeds and the branching budget).
    total: usize,
    on: bool,
}

impl Progress {
    fn one_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.on {
            progress(done, self.total);
        }
    }
}

/// The command that replays a branch's child, and what it is.
fn branch_command(config: &SweepConfig, point: &BranchPoint) -> String {
    let planted = yim_hooks::planted::current().map(|bug| bug.name().to_owned());
    let mut args = format!(
        "{} --profile {}",
        point.run_args(),
        format!("{:?}", config.profile).to_lowercase()
    );
    match crate::size::size_args(&config.size) {
        Some(size) if size.is_empty() => {}
        Some(size) => args.push_str(&format!(" {size}")),
        None => args.push_str(" (a size the options cannot give)"),
    }
    let mut command = match planted {
        Some(bug) => format!(
            "cargo run --release -p yim-sim --features planted-bugs -- run {args} --plant {bug}"
        ),
        None => format!("cargo run --release -p yim-sim -- run {args}"),
    };
    command.push_str(&format!("   # {}", point.describe()));
    command
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
pub fn write_results(dir: &Path, report: &SweepReport, info: &ShardInfo) -> std::io::Result<()> {
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
    let path = dir.join(format!("{}.json", failure_name(result)));
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
    if let Some(point) = &result.branch {
        note.push_str(&format!(", branched from {}", point.describe()));
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

/// The name of a failing run's files: `failure-seed-7`, `failure-seed-7-branch-C` for a
/// branched run (C its child seed).
pub fn failure_name(result: &SeedResult) -> String {
    match &result.branch {
        Some(point) => format!(
            "failure-seed-{}-branch-{}",
            point.parent_seed, point.child_seed
        ),
        None => format!("failure-seed-{}", result.seed),
    }
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

/// What one sweep (or shard of a sweep) covered, written as `sweep.json` beside its results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// The sweep's first seed.
    pub from_seed: u64,
    /// How many seeds the whole sweep covers.
    pub seeds: u64,
    /// (index, count)
    pub shard: (u64, u64),
    /// The fault profile.
    pub profile: Profile,
    /// The scenario size.
    pub size: Size,
    /// The planted bug's name, if one was on.
    #[serde(default)]
    pub planted: Option<String>,
    /// How the sweep branched (each shard branches on its own runs).
    #[serde(default)]
    pub branching: Branching,
    /// How long the shard took, wall-clock ms.
    pub wall_ms: u64,
}

impl ShardInfo {
    /// The info of a sweep run on this thread (its planted bug is this thread's).
    pub fn of(config: &SweepConfig, wall_ms: u64) -> ShardInfo {
        ShardInfo {
            from_seed: config.from_seed,
            seeds: config.seeds,
            shard: config.shard,
            profile: config.profile,
            size: config.size.clone(),
            planted: yim_hooks::planted::current().map(|bug| bug.name().to_owned()),
            branching: config.branching,
            wall_ms,
        }
    }

    /// The seeds of this shard.
    pub fn shard_seeds(&self) -> impl Iterator<Item = u64> + '_ {
        let count = self.shard.1.max(1);
        (self.from_seed..self.from_seed.saturating_add(self.seeds))
            .filter(move |seed| seed % count == self.shard.0)
    }
}
