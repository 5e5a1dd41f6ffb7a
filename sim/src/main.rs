//! `yim-sim`: run one simulation, or sweep many seeds.
//!
//! ```text
//! yim-sim run --seed 7 [--profile calm|faulty|live] [--size small|standard|large] [--clients N] [--rooms R] [--hosts H] [--seconds S] [--trace] [--history h.jsonl]
//! yim-sim run --scenario failure.json [--trace]
//! yim-sim sweep --seeds 100 [--from 0] [--shard 0/4] [--jobs 2] [--profile calm] [--size ...] [--out sim-results]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yim_sim::generate::{generate, Profile};
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

#[derive(Subcommand, Debug)]
enum Command {
    /// Run one seed or one scenario file and check it.
    Run {
        #[arg(long, conflicts_with = "scenario")]
        seed: Option<u64>,
        #[arg(long)]
        scenario: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "faulty")]
        profile: Profile,
        #[command(flatten)]
        size: SizeArgs,
        /// Print every history entry with its simulated time.
        #[arg(long)]
        trace: bool,
        /// Write the history as JSON lines.
        #[arg(long)]
        history: Option<PathBuf>,
        /// Write the generated scenario.
        #[arg(long)]
        save_scenario: Option<PathBuf>,
    },
    /// Run many seeds and report.
    Sweep {
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// I/N: run only the seeds with seed % N == I.
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
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Run {
            seed,
            scenario,
            profile,
            size,
            trace,
            history,
            save_scenario,
        } => {
            let scenario = match (seed, scenario) {
                (_, Some(path)) => match Scenario::load(&path) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("yim-sim: {e}");
                        return ExitCode::from(2);
                    }
                },
                (seed, None) => generate(seed.unwrap_or(0), &size.size(), profile),
            };
            if let Some(path) = save_scenario {
                if let Err(e) = scenario.save(&path) {
                    eprintln!("yim-sim: {e}");
                }
            }
            let outcome = yim_sim::run(&scenario);
            if trace {
                for record in &outcome.history.records {
                    println!(
                        "[{:>9.3}s] {}",
                        record.at_ms as f64 / 1000.0,
                        serde_json::to_string(&record.entry).unwrap_or_default()
                    );
                }
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
            for v in &outcome.violations {
                println!(
                    "VIOLATION {} at {:.3}s: {}",
                    v.checker,
                    v.at_ms as f64 / 1000.0,
                    v.detail
                );
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
        } => {
            let Some(shard) = parse_shard(&shard) else {
                eprintln!("yim-sim: --shard must be I/N with I < N");
                return ExitCode::from(2);
            };
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
            };
            let report = sweep(&config, || {});
            println!("{}", report.table());
            println!("results: {}", out.join("results.jsonl").display());
            for replay in &report.replays {
                println!("replay: {replay}");
            }
            if report.violations() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn parse_shard(text: &str) -> Option<(u64, u64)> {
    let (index, count) = text.split_once('/')?;
    let (index, count) = (index.parse().ok()?, count.parse().ok()?);
    (index < count).then_some((index, count))
}
