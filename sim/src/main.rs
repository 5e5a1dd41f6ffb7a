//! `yim-sim`: run one simulation, or sweep many seeds.
//!
//! ```text
//! yim-sim run --seed 7 [--profile calm|faulty|live] [--size small|standard|large] [--clients N] [--rooms R] [--hosts H] [--seconds S] [--trace] [--history h.jsonl]
//! yim-sim run --seed 7 --branch-at-ms 8214 --branch-seed C     # a branched run of a sweep
//! yim-sim run --scenario failure.json [--trace] [--timeline t.html]
//! yim-sim sweep --seeds 100 [--from 0] [--shard 0/4 | env:JOB_COMPLETION_INDEX/4] [--jobs 2] [--profile calm] [--size ...] [--out sim-results]
//!               [--branch-budget N [--branch-children K]] [--stop-at-first-failure]
//! yim-sim explain sim-results/failure-seed-7.json [--before 25]
//! yim-sim merge shard-0 shard-1 ... [--out merged]
//! ```
//!
//! With the feature `planted-bugs`, `run`, `sweep` and `explain` take `--plant BUG`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use yim_sim::generate::{generate, Profile};
use yim_sim::lines::Lines;
use yim_sim::scenario::Scenario;
use yim_sim::size::SizeArgs;
use yim_sim::sweep::{sweep, SweepConfig};

#[derive(Parser, Debug)]
#[command(
    name = "yim-sim",
    about = "Deterministic simulation of YIM clients and server under faults"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `--plant BUG`, only with the feature `planted-bugs`.
#[derive(Args, Debug, Clone)]
struct Plant {
    /// Switch a planted bug on (to see a checker catch it).
    #[cfg(feature = "planted-bugs")]
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(yim_hooks::planted::Bug::ALL.iter().map(|bug| bug.name())))]
    plant: Option<String>,
}

impl Plant {
    /// Switches the bug on (or every bug off) for this thread.
    fn switch_on(&self) {
        #[cfg(feature = "planted-bugs")]
        yim_hooks::planted::set(
            self.plant
                .as_deref()
                .and_then(yim_hooks::planted::Bug::by_name),
        );
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one seed or one scenario file and check it.
    Run {
        #[arg(long, conflicts_with = "scenario")]
        seed: Option<u64>,
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// With --seed: run a sweep's branched run, the seed's scenario up to this simulated
        /// ms and --branch-seed's after it (see sim/README.md).
        #[arg(long, requires_all = ["seed", "branch_seed"])]
        branch_at_ms: Option<u64>,
        /// The child seed of a branched run (with --branch-at-ms).
        #[arg(long, requires = "branch_at_ms")]
        branch_seed: Option<u64>,
        #[arg(long, value_enum, default_value = "faulty")]
        profile: Profile,
        #[command(flatten)]
        size: SizeArgs,
        /// Print every history entry, one line each (the format of `explain`, see
        /// sim/README.md).
        #[arg(long)]
        trace: bool,
        /// With --trace: print the entries as raw JSON instead.
        #[arg(long, requires = "trace")]
        trace_json: bool,
        /// Write the history as JSON lines.
        #[arg(long)]
        history: Option<PathBuf>,
        /// Write the generated scenario.
        #[arg(long)]
        save_scenario: Option<PathBuf>,
        /// Write the run's HTML timeline.
        #[arg(long)]
        timeline: Option<PathBuf>,
        #[command(flatten)]
        plant: Plant,
    },
    /// Run many seeds and report.
    Sweep {
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// I/N: run only the seeds with seed % N == I. I or N may be `env:NAME`, read from the
        /// environment (e.g. env:JOB_COMPLETION_INDEX/8 in a Kubernetes Indexed Job).
        #[arg(long, default_value = "0/1")]
        shard: String,
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        #[arg(long, value_enum, default_value = "faulty")]
        profile: Profile,
        #[command(flatten)]
        size: SizeArgs,
        #[arg(long, default_value = "sim-results")]
        out: PathBuf,
        /// Runs allowed to shrink each failing scenario.
        #[arg(long, default_value_t = 200)]
        shrink_runs: usize,
        /// Branch from runs that reached rare states: up to this many extra runs in the
        /// sweep, each a run's beginning with a new seed's rest (0: off; see sim/README.md).
        #[arg(long, default_value_t = 0)]
        branch_budget: usize,
        /// Children per branch point.
        #[arg(long, default_value_t = yim_sim::branch::DEFAULT_CHILDREN)]
        branch_children: usize,
        /// Stop at the first failing run (in run order) and say how many runs it took.
        #[arg(long)]
        stop_at_first_failure: bool,
        #[command(flatten)]
        plant: Plant,
    },
    /// Print a failing run's violations with the history entries before them, one line each.
    Explain {
        /// A scenario (replayed), e.g. a sweep's failure-seed-N.json, or a history exported
        /// with `run --history` (then give --scenario).
        file: PathBuf,
        /// The scenario of a history file.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Entries to show before each violation's last cited entry.
        #[arg(long, default_value_t = yim_sim::explain::DEFAULT_BEFORE)]
        before: usize,
        /// Also write the run's HTML timeline.
        #[arg(long)]
        timeline: Option<PathBuf>,
        #[command(flatten)]
        plant: Plant,
    },
    /// Combine the output directories of a sweep's shards into one report.
    Merge {
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Write the merged results.jsonl and sweep.json here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    yim_sim::logging::init();
    match Cli::parse().command {
        Command::Run {
            seed,
            scenario,
            branch_at_ms,
            branch_seed,
            profile,
            size,
            trace,
            trace_json,
            history,
            save_scenario,
            timeline,
            plant,
        } => {
            plant.switch_on();
            let scenario = match (seed, scenario) {
                (_, Some(path)) => match Scenario::load(&path) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("yim-sim: {e}");
                        return ExitCode::from(2);
                    }
                },
                (seed, None) => match (branch_at_ms, branch_seed) {
                    (Some(at_ms), Some(child_seed)) => yim_sim::branch::BranchPoint {
                        parent_seed: seed.unwrap_or(0),
                        probe: String::new(),
                        at_ms,
                        child_seed,
                    }
                    .scenario(&size.size(), profile),
                    _ => generate(seed.unwrap_or(0), &size.size(), profile),
                },
            };
            if let Some(path) = save_scenario {
                if let Err(e) = scenario.save(&path) {
                    eprintln!("yim-sim: {e}");
                }
            }
            let outcome = yim_sim::run(&scenario);
            if trace {
                let lines = Lines::new(&scenario, &outcome.history);
                for (position, record) in outcome.history.records.iter().enumerate() {
                    if trace_json {
                        println!("{}", serde_json::to_string(record).unwrap_or_default());
                    } else {
                        println!("{}", lines.line(position));
                    }
                }
            }
            if let Some(path) = timeline {
                write_timeline(&path, &scenario, &outcome.history, &outcome.violations);
            }
            if let Some(path) = history {
                if let Err(e) = std::fs::write(&path, outcome.history.to_jsonl()) {
                    eprintln!("yim-sim: writing {}: {e}", path.display());
                }
            }
            println!(
                "seed {}: {} ops, {} faults, {} messages delivered, {:.1} s simulated, history {}",
                scenario.seed,
                outcome.stats.ops,
                outcome.stats.faults_by_kind.values().sum::<usize>(),
                outcome.stats.messages_delivered,
                outcome.stats.simulated_ms as f64 / 1000.0,
                &outcome.history.hash()[..16]
            );
            let lines = Lines::new(&scenario, &outcome.history);
            for v in &outcome.violations {
                let cited: Vec<String> = v.positions.iter().map(|p| format!("#{p}")).collect();
                println!(
                    "VIOLATION {} at {:.3}s: {} (cites {})",
                    v.checker,
                    v.at_ms as f64 / 1000.0,
                    lines.readable(&v.detail),
                    cited.join(" ")
                );
            }
            if !outcome.violations.is_empty() {
                println!("(yim-sim explain shows each with the entries before it)");
            }
            if outcome.violations.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Sweep {
            seeds,
            from,
            shard,
            jobs,
            profile,
            size,
            out,
            shrink_runs,
            branch_budget,
            branch_children,
            stop_at_first_failure,
            plant,
        } => {
            let shard = match yim_sim::merge::parse_shard(&shard, |name| std::env::var(name).ok()) {
                Ok(shard) => shard,
                Err(e) => {
                    eprintln!("yim-sim: {e}");
                    return ExitCode::from(2);
                }
            };
            // On this thread for sweep.json, on each worker for the runs.
            plant.switch_on();
            let config = SweepConfig {
                from_seed: from,
                seeds,
                shard,
                jobs,
                size: size.size(),
                profile,
                out_dir: Some(out.clone()),
                shrink_runs,
                progress: true,
                branching: yim_sim::branch::Branching {
                    budget: branch_budget,
                    children: branch_children,
                },
                stop_at_first_failure,
            };
            let report = sweep(&config, || plant.switch_on());
            println!("{}", report.table());
            println!("results: {}", out.join("results.jsonl").display());
            for branch in &report.branches {
                println!("branch: {branch}");
            }
            match &report.first_failure {
                Some(first) => println!(
                    "first failing run: run {} of {} ({})",
                    first.runs,
                    report.results.len(),
                    first.run
                ),
                None => println!("first failing run: none in {} runs", report.results.len()),
            }
            for replay in &report.replays {
                println!("replay: {replay}");
            }
            if report.violations() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Explain {
            file,
            scenario,
            before,
            timeline,
            plant,
        } => {
            plant.switch_on();
            let loaded = match yim_sim::explain::load(&file, scenario.as_deref()) {
                Ok(loaded) => loaded,
                Err(e) => {
                    eprintln!("yim-sim: {e}");
                    return ExitCode::from(2);
                }
            };
            println!("{} {}", loaded.how, file.display());
            print!(
                "{}",
                yim_sim::explain::explain(
                    &loaded.scenario,
                    &loaded.history,
                    &loaded.violations,
                    before
                )
            );
            if let Some(path) = timeline {
                write_timeline(&path, &loaded.scenario, &loaded.history, &loaded.violations);
            }
            ExitCode::SUCCESS
        }
        Command::Merge { dirs, out } => {
            let merged = match yim_sim::merge::merge(&dirs) {
                Ok(merged) => merged,
                Err(e) => {
                    eprintln!("yim-sim: {e}");
                    return ExitCode::from(2);
                }
            };
            println!("{}", merged.report.table());
            if !merged.missing_seeds.is_empty() {
                println!(
                    "warning: {} seeds of the sweep are in no directory (first {}): a shard is missing",
                    merged.missing_seeds.len(),
                    merged.missing_seeds[0]
                );
            }
            if let (Some(dir), Some(info)) = (&out, &merged.info) {
                if let Err(e) = yim_sim::sweep::write_results(dir, &merged.report, info) {
                    eprintln!("yim-sim: writing {}: {e}", dir.display());
                    return ExitCode::from(2);
                }
                println!("results: {}", dir.join("results.jsonl").display());
            } else if out.is_some() {
                eprintln!("yim-sim: --out needs every shard's sweep.json");
                return ExitCode::from(2);
            }
            for replay in &merged.report.replays {
                println!("replay: {replay}");
            }
            if merged.report.violations() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn write_timeline(
    path: &std::path::Path,
    scenario: &Scenario,
    history: &yim_sim::history::History,
    violations: &[yim_sim::checkers::Violation],
) {
    let html = yim_sim::timeline::timeline_html(scenario, history, violations, "");
    match std::fs::write(path, html) {
        Ok(()) => println!("timeline: {}", path.display()),
        Err(e) => eprintln!("yim-sim: writing {}: {e}", path.display()),
    }
}
