//! `yim-load`: drive `yim-server` (or the bare baseline) with thousands of clients over real
//! TCP and report throughput, latency, refusals, CPU and memory.
//!
//! ```text
//! yim-load run --scenario live [--target ours|baseline] [--rate 50] [--clients 2000] [--json out.json] [--check]
//! yim-load compare --scenario world [--json out.json]
//! yim-load saturate --scenario live [--target both] [--from 25] [--factor 1.5] [--max-p99-ms 100]
//! yim-load baseline-server [--listen 127.0.0.1:0]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use yim_load::report::table;
use yim_load::saturate::{saturate, step_line, Ramp};
use yim_load::scenario::{LoadParams, Mix, ScenarioName};
use yim_load::target::{TargetKind, TargetOptions};

#[derive(Parser, Debug)]
#[command(
    name = "yim-load",
    about = "Load generator for yim-server over real TCP, against a bare fan-out baseline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct LoadArgs {
    /// The named scenario whose defaults the other options override.
    #[arg(long, value_enum, default_value = "world")]
    scenario: ScenarioName,
    /// Clients in all (raw and SDK).
    #[arg(long)]
    clients: Option<usize>,
    /// Rooms; client i joins room i % rooms.
    #[arg(long)]
    rooms: Option<usize>,
    /// Messages offered per second by all clients together.
    #[arg(long)]
    rate: Option<f64>,
    /// Percent weights, e.g. room=90,private=8,voice=2.
    #[arg(long)]
    mix: Option<Mix>,
    /// Bytes of text per message.
    #[arg(long)]
    text_bytes: Option<usize>,
    /// Bytes of audio per voice message.
    #[arg(long)]
    voice_bytes: Option<usize>,
    /// Share of clients (0-1) that are the SDK's Client.
    #[arg(long)]
    sdk_share: Option<f64>,
    /// Seconds of load before the measurement window.
    #[arg(long)]
    warmup: Option<f64>,
    /// Seconds of the measurement window.
    #[arg(long)]
    seconds: Option<f64>,
    /// Seconds to wait for the window's messages after it.
    #[arg(long)]
    drain: Option<f64>,
    /// Seeds the choice of each send's kind, sender and receiver.
    #[arg(long)]
    seed: Option<u64>,
    /// Drive a server already running at this address (its CPU is then not measured).
    #[arg(long)]
    server: Option<String>,
    /// The yim-server binary (default: next to this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// A yim-server config instead of the one written for the scenario (it must host app
    /// load_app with secret load_secret).
    #[arg(long)]
    server_config: Option<PathBuf>,
    /// Run yim-server with its in-memory store instead of SQLite.
    #[arg(long)]
    memory_store: bool,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl LoadArgs {
    fn params(&self) -> LoadParams {
        let mut p = LoadParams::of(self.scenario);
        macro_rules! set {
            ($($field:ident <- $arg:ident),*) => {$( if let Some(v) = self.$arg.clone() { p.$field = v; } )*};
        }
        set!(clients <- clients, rooms <- rooms, rate_per_sec <- rate, mix <- mix,
             text_bytes <- text_bytes, voice_bytes <- voice_bytes, sdk_share <- sdk_share,
             warmup_secs <- warmup, seconds <- seconds, drain_secs <- drain, seed <- seed);
        p
    }

    fn target_options(&self) -> TargetOptions {
        TargetOptions {
            address: self.server.clone(),
            server_bin: self.server_bin.clone(),
            server_config: self.server_config.clone(),
            memory_store: self.memory_store,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Which {
    Ours,
    Baseline,
    Both,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One run against one server.
    Run {
        #[command(flatten)]
        load: LoadArgs,
        /// The server to drive: yim-server (ours) or the bare baseline.
        #[arg(long, value_enum, default_value = "ours")]
        target: TargetKind,
        /// Fail unless the run was clean: deliveries, and no refusal, error, loss or backlog.
        #[arg(long)]
        check: bool,
    },
    /// The same run against the baseline and then ours, with the ratios.
    Compare {
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Raise the rate step by step until the server saturates.
    Saturate {
        #[command(flatten)]
        load: LoadArgs,
        /// The servers to ramp, one after the other.
        #[arg(long, value_enum, default_value = "both")]
        target: Which,
        /// First rate (msg/s); default: the scenario's rate.
        #[arg(long)]
        from: Option<f64>,
        /// Each step's rate over the one before (at least 1.01).
        #[arg(long, default_value_t = 1.5)]
        factor: f64,
        /// Steps at most.
        #[arg(long, default_value_t = 12)]
        max_steps: usize,
        /// Seconds measured per step.
        #[arg(long, default_value_t = 5.0)]
        step_seconds: f64,
        /// A step whose delivery or ack p99 passes this and --p99-growth times the first
        /// step's is saturated.
        #[arg(long, default_value_t = 1000.0)]
        max_p99_ms: f64,
        /// See --max-p99-ms.
        #[arg(long, default_value_t = 4.0)]
        p99_growth: f64,
    },
    /// Hostile clients while a normal pair chats (see `yim_load::hostile`): each attack
    /// against a fresh `--before` server, then a fresh `--after` one, and the ratios.
    Hostile {
        /// The `yim-server` binary measured first (say, main's).
        #[arg(long)]
        before: PathBuf,
        /// The `yim-server` binary measured second; default: the one next to yim-load.
        #[arg(long)]
        after: Option<PathBuf>,
        /// The attacks (default: all of them).
        #[arg(long, value_enum, value_delimiter = ',')]
        attack: Vec<yim_load::hostile::Attack>,
        /// Run the servers on their in-memory store.
        #[arg(long)]
        memory_store: bool,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Run the bare fan-out baseline server (the load tool starts it by itself).
    BaselineServer {
        /// The address to listen on (port 0: any free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

fn write_json(path: &Option<PathBuf>, value: &impl serde::Serialize) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("report: {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("yim-load: no runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("yim-load: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Run {
            load,
            target,
            check,
        } => {
            let params = load.params();
            let report = yim_load::run(target, &params, &load.target_options(), !load.quiet)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", table(&[&report]));
            write_json(&load.json, &report)?;
            let problems = report.problems();
            if check && !problems.is_empty() {
                eprintln!("yim-load: the run was not clean: {}", problems.join("; "));
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare { load } => {
            let comparison = yim_load::compare(&load.params(), &load.target_options(), !load.quiet)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", comparison.table());
            write_json(&load.json, &comparison)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Saturate {
            load,
            target,
            from,
            factor,
            max_steps,
            step_seconds,
            max_p99_ms,
            p99_growth,
        } => {
            let params = load.params();
            let ramp = Ramp {
                from_per_sec: from.unwrap_or(params.rate_per_sec),
                factor: factor.max(1.01),
                max_steps,
                step_secs: step_seconds,
                max_p99_ms,
                p99_growth,
            };
            let kinds: &[TargetKind] = match target {
                Which::Ours => &[TargetKind::Ours],
                Which::Baseline => &[TargetKind::Baseline],
                Which::Both => &[TargetKind::Baseline, TargetKind::Ours],
            };
            let mut results = Vec::new();
            for &kind in kinds {
                let result = saturate(
                    kind,
                    &params,
                    &load.target_options(),
                    &ramp,
                    !load.quiet,
                    |step| {
                        println!("{}", step_line(step));
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
                println!(
                    "{}: sustains {} msg/s; saturated at {}",
                    result.target,
                    result
                        .sustained_per_sec
                        .map_or("no step".into(), |r| format!("{r:.0}")),
                    result
                        .saturated_at_per_sec
                        .map_or("no step".into(), |r| format!("{r:.0} msg/s")),
                );
                results.push(result);
            }
            write_json(&load.json, &results)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Hostile {
            before,
            after,
            attack,
            memory_store,
            json,
        } => {
            let attacks = if attack.is_empty() {
                yim_load::hostile::Attack::ALL.to_vec()
            } else {
                attack
            };
            let options = |server_bin: Option<PathBuf>| TargetOptions {
                server_bin,
                memory_store,
                ..TargetOptions::default()
            };
            let before = yim_load::hostile::run(&attacks, &options(Some(before))).await?;
            let after = yim_load::hostile::run(&attacks, &options(after)).await?;
            println!("{}", yim_load::hostile::table(&before, &after));
            write_json(&json, &(before, after))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::BaselineServer { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .map_err(|e| format!("binding {listen}: {e}"))?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            println!("baseline listening on {addr}");
            yim_load::baseline::serve(listener).await;
            Ok(ExitCode::SUCCESS)
        }
    }
}
