//! Log lines of a simulation: stamped with simulated time (never the wall clock) and carrying
//! who logged them. A line reads
//!
//! ```text
//!   12.346s c3 u3     INFO node{name="c1"}: yim_sdk::machine::receive: logged in
//! ```
//!
//! - the simulated time since the run began;
//! - the client (`c3`, `c3.2` for its second app run) and its user, when the line comes from
//!   a task of that client: the simulated apps run inside a `client{id=c3 user=u3}` span,
//!   and the SDK's own tasks (its driver, which the SDK spawns itself, outside any span of
//!   ours) are known by their tokio task: each app's clock notes the task that reads it;
//! - turmoil's `node{name=...}` span: the host (`server`, `admin`, `c0`... for client hosts).
//!
//! Filtered by `RUST_LOG` (off by default); written to stderr. Logs are for reading only: no
//! line feeds back into a run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;
use tracing_subscriber::EnvFilter;

thread_local! {
    /// The client of each tokio task that read a client's clock in this thread's current run.
    static TASK_CLIENTS: RefCell<BTreeMap<tokio::task::Id, Arc<str>>> =
        const { RefCell::new(BTreeMap::new()) };
}

/// Notes that the current task works for client `name` (`c3 u3`). Does nothing unless
/// logging is on.
pub fn note_task(name: &Arc<str>) {
    if LevelFilter::current() == LevelFilter::OFF {
        return;
    }
    if let Some(id) = tokio::task::try_id() {
        TASK_CLIENTS.with(|tasks| {
            tasks.borrow_mut().entry(id).or_insert_with(|| name.clone());
        });
    }
}

/// Forgets the tasks of the previous run on this thread (a run's tasks are bounded by its apps).
pub fn forget_tasks() {
    TASK_CLIENTS.with(|tasks| tasks.borrow_mut().clear());
}

fn task_client() -> Option<Arc<str>> {
    let id = tokio::task::try_id()?;
    TASK_CLIENTS.with(|tasks| tasks.borrow().get(&id).cloned())
}

/// Simulated time since the run began, in seconds (`-` outside a simulated host), then the
/// client of the current task, if known.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimTime;

impl FormatTime for SimTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        match turmoil::sim_elapsed() {
            Some(elapsed) => write!(w, "{:>8.3}s", elapsed.as_secs_f64())?,
            None => write!(w, "{:>9}", "-")?,
        }
        let client = task_client();
        write!(w, " {:<8}", client.as_deref().unwrap_or(""))
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

/// The span around one client's work in the simulated app.
pub fn client_span(client: usize, user: &str) -> tracing::Span {
    tracing::info_span!("client", id = %format_args!("c{client}"), user = %user)
}
