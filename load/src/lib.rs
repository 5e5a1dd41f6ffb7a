//! `yim-load`: a load generator over real TCP for `yim-server`, with a bare fan-out baseline
//! to measure it against.
//!
//! What it is: thousands of clients in one process (`raw` protocol clients, and the SDK's
//! `Client` for a share of them, `sdk_client`) logged in to a server it starts ([`target`]:
//! the `yim-server` binary on a temporary SQLite data dir, or the [`baseline`]) or one given
//! by address; an open-loop dispatcher offering sends at a fixed rate in a mix of room text,
//! private text and voice uploads ([`session`]); two latencies, both from the time a send was
//! due: ack latency to the sender reading the server's answer, and delivery latency to a
//! receiver reading the message, from the send time carried in each payload (`payload`,
//! `clock`, `stats`); and a report ([`report`]) of throughput, both latencies' percentiles,
//! refusals by code, and the server's CPU and peak memory (`procstat`). [`saturate`] ramps
//! the rate up to find where a server gives out; [`hostile`] measures a normal pair's latency
//! and the server's memory under the attacks of hostile clients, before and after (two server
//! binaries).
//!
//! The public modules are what a caller drives a run with and reads its results from; the
//! clients, their shared counters, the clock and `/proc` parsing are private to the crate.
//!
//! What it is not: a correctness checker (the simulator is), or a test of anything but one
//! machine over loopback: client and server share its cores.

pub mod baseline;
mod client;
mod clock;
pub mod histogram;
pub mod hostile;
mod payload;
mod procstat;
mod raw;
pub mod report;
pub mod saturate;
pub mod scenario;
mod sdk_client;
pub mod session;
mod stats;
pub mod target;

use report::{Comparison, Report};
use scenario::LoadParams;
use session::Session;
use target::{Target, TargetError, TargetKind, TargetOptions};

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The parameters do not make sense ([`LoadParams::validate`] says why), or the task
    /// starting the server failed.
    #[error("bad parameters: {0}")]
    Params(String),
    /// The server could not be started.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// Not one client could connect and log in: why, by reason, with the number of clients.
    #[error("no client could connect: {0:?}")]
    NoClients(std::collections::BTreeMap<String, u64>),
}

/// Starts (or reaches) the server of `kind` and logs every client in, for a caller that
/// measures several phases in one session (as [`saturate::saturate`] does). Clients that
/// cannot connect are left out and counted in [`Session::setup_failures`]; it fails only
/// when none can.
pub async fn start(
    kind: TargetKind,
    params: &LoadParams,
    options: &TargetOptions,
    progress: bool,
) -> Result<(Target, Session), LoadError> {
    params.validate().map_err(LoadError::Params)?;
    let (params_copy, options_copy) = (params.clone(), options.clone());
    let target =
        tokio::task::spawn_blocking(move || Target::start(kind, &params_copy, &options_copy))
            .await
            .map_err(|e| LoadError::Params(format!("starting the server: {e}")))??;
    let session = Session::connect(&target.addr, params, progress).await;
    if session.connected() == 0 {
        return Err(LoadError::NoClients(session.setup_failures.clone()));
    }
    Ok((target, session))
}

/// One run of `params` against the server of `kind`: setup, warm-up, window, drain, then
/// the clients and a started server are stopped. A run with refusals or losses is still a
/// report ([`Report::problems`] lists them); it fails as [`start`] does.
pub async fn run(
    kind: TargetKind,
    params: &LoadParams,
    options: &TargetOptions,
    progress: bool,
) -> Result<Report, LoadError> {
    let (mut target, mut session) = start(kind, params, options, progress).await?;
    let report = session
        .measure(
            &mut target,
            params.rate_per_sec,
            params.warmup_secs,
            params.seconds,
            params.drain_secs,
        )
        .await;
    session.stop();
    target.stop();
    Ok(report)
}

/// The same run against the baseline (always started here, whatever `options.address` says),
/// then against ours, and the ratios. Fails as [`run`] does, for either.
pub async fn compare(
    params: &LoadParams,
    options: &TargetOptions,
    progress: bool,
) -> Result<Comparison, LoadError> {
    let mut baseline_options = options.clone();
    baseline_options.address = None;
    let baseline = run(TargetKind::Baseline, params, &baseline_options, progress).await?;
    let ours = run(TargetKind::Ours, params, options, progress).await?;
    Ok(Comparison::new(baseline, ours))
}
