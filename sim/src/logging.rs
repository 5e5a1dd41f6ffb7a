//! Log lines of a simulation: stamped with simulated time (never the wall clock) and carrying
//! who logged them. turmoil wraps each host's work in a `node{name=...}` span (`server`,
//! `admin`, `c0`... for the client hosts); the simulated apps add a `client{id=c3 user=alice}`
//! span around what each client does, so a line reads
//!
//! ```text
//!   12.346s  INFO node{name="c1"}:client{id=c3 user=u3}: yim_sdk::machine::receive: logged in
//! ```
//!
//! The SDK's own tasks (its driver) are spawned by the SDK, outside the app's span: their
//! lines carry the host (`node`) but not the client. Filtered by `RUST_LOG` (off by default);
//! written to stderr.

use std::fmt;

use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::EnvFilter;

/// Simulated time since the run began, in seconds; `-` outside a simulated host.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimTime;

impl FormatTime for SimTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match turmoil::sim_elapsed() {
            Some(elapsed) => write!(w, "{:>8.3}s", elapsed.as_secs_f64()),
            None => write!(w, "{:>9}", "-"),
        }
    }
}

/// Installs the subscriber (once per process; later calls do nothing).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_timer(SimTime)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The span around one client's work.
pub fn client_span(client: usize, user: &str) -> tracing::Span {
    tracing::info_span!("client", id = %format_args!("c{client}"), user = %user)
}
