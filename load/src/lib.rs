//! `yim-load`: a load generator over real TCP for `yim-server`, with a bare fan-out baseline
//! to measure it against.
//!
//! What it is: thousands of clients in one process ([`raw`] protocol clients, and the SDK's
//! `Client` for a share of them, [`sdk_client`]) logged in to a server it starts ([`target`]:
//! the `yim-server` binary on a temporary SQLite data dir, or the [`baseline`]) or one given
//! by address; an open-loop dispatcher offering sends at a fixed rate in a mix of room text,
//! private text and voice uploads ([`session`]); send-to-delivery latency from the send time
//! carried in each payload ([`payload`], [`clock`]); and a report ([`report`]) of throughput,
//! latency percentiles, refusals by code, and the server's CPU and peak memory
//! ([`procstat`]). [`saturate`] ramps the rate up to find where a server gives out;
//! [`hostile`] measures a normal pair's latency and the server's memory under the attacks of
//! hostile clients, before and after (two server binaries).
//!
//! What it is not: a correctness checker (the simulator is), or a test of anything but one
//! machine over loopback: client and server share its cores.
// missing_docs is lifted with the server hot-path work (issue 14), which documents this crate
// as it changes it.
#![allow(missing_docs)]

pub mod baseline;
pub mod client;
pub mod clock;
pub mod histogram;
pub mod hostile;
pub mod payload;
pub mod procstat;
pub mod raw;
pub mod report;
pub mod saturate;
pub mod scenario;
pub mod sdk_client;
pub mod session;
pub mod stats;
pub mod target;

use report::{Comparison, Report};
use scenario::LoadParams;
use session::Session;
use target::{Target, TargetError, TargetKind, TargetOptions};

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("bad parameters: {0}")]
    Params(String),
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("no client could connect: {0:?}")]
    NoClients(std::collections::BTreeMap<String, u64>),
}

/// Starts (or reaches) the server of `kind` and logs every client in.
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

/// One run of `params` against the server of `kind`.
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

/// The same run against the baseline, then against ours, and the ratios.
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
