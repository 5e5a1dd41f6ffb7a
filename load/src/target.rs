//! The server under load: the release `yim-server` binary started on a temporary data dir
//! (SQLite) with a config written for the scenario, the baseline (this binary's
//! `baseline-server`, see `baseline`) started the same way, or a server already running at
//! an address (then its CPU and memory are not measured).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use crate::client::{APP_KEY, APP_SECRET};
use crate::procstat;
use crate::scenario::LoadParams;

/// How long a started server may take to say where it listens.
const START_TIMEOUT_SECS: u64 = 30;

/// Which server a run drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// `yim-server` (ours).
    Ours,
    /// The bare fan-out baseline.
    Baseline,
}

impl TargetKind {
    /// The server's name in reports: `yim-server` or `baseline`.
    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Ours => "yim-server",
            TargetKind::Baseline => "baseline",
        }
    }
}

/// How to reach (or start) the server.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// A server already running there: nothing is started.
    pub address: Option<String>,
    /// The `yim-server` binary; default: next to this one.
    pub server_bin: Option<PathBuf>,
    /// A config file for `yim-server` instead of the one written for the scenario. It must
    /// host the load app (key `load_app`, secret `load_secret`).
    pub server_config: Option<PathBuf>,
    /// Run `yim-server` with its in-memory store instead of SQLite.
    pub memory_store: bool,
}

/// A server the run talks to, and the process to measure if it started one.
#[derive(Debug)]
pub struct Target {
    /// Which server it is.
    pub kind: TargetKind,
    /// Where it listens, `host:port`.
    pub addr: String,
    child: Option<Child>,
    /// Holds the data dir and config while the server runs.
    _dir: Option<tempfile::TempDir>,
}

/// Why the server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// The server binary (or this one, for the baseline) was not found; says where it looked
    /// and how to build it.
    #[error("{0}")]
    NotFound(String),
    /// The server process could not be started.
    #[error("starting {what}: {source}")]
    Spawn {
        /// The server's name ([`TargetKind::name`]).
        what: String,
        /// The error of the spawn.
        source: std::io::Error,
    },
    /// The server did not print `listening on ADDR` in time (or exited first); it was
    /// killed.
    #[error("{what} did not say where it listens within {START_TIMEOUT_SECS} s: {detail}")]
    NoAddress {
        /// The server's name ([`TargetKind::name`]).
        what: String,
        /// What happened instead, and the server's log.
        detail: String,
    },
    /// The temporary data dir, its config or the server's log could not be written.
    #[error("temporary directory: {0}")]
    TempDir(std::io::Error),
}

/// The text of the `yim-server` config (TOML) for a scenario: the load app, fast password
/// hashing (logins are setup, not what is measured), and room and connection limits raised
/// where the scenario needs more than the defaults (a room of 2,000 fits the default
/// exactly); registrations per address are not limited, as every load client comes from
/// the one loopback address.
pub fn server_config_toml(params: &LoadParams) -> String {
    let members = params.largest_room().max(2000);
    let connections = (params.clients + 100).max(10_000);
    format!(
        "# Written by yim-load for the `{scenario:?}` scenario.\n\
         listen = \"127.0.0.1:0\"\n\n\
         [[apps]]\nkey = \"{APP_KEY}\"\nsecret = \"{APP_SECRET}\"\n\n\
         [limits]\n\
         password_hash_rounds = 16\n\
         max_room_members = {members}\n\
         max_connections = {connections}\n\
         registrations_per_address = {{ burst = 0, refill_ms = 1 }}\n",
        scenario = params.scenario,
    )
}

fn default_server_bin() -> Result<PathBuf, TargetError> {
    let me = std::env::current_exe()
        .map_err(|e| TargetError::NotFound(format!("where is this binary? {e}")))?;
    let dir = me.parent().unwrap_or(Path::new("."));
    let bin = dir.join(format!("yim-server{}", std::env::consts::EXE_SUFFIX));
    if bin.exists() {
        Ok(bin)
    } else {
        Err(TargetError::NotFound(format!(
            "no yim-server binary next to yim-load (looked for {}): build both with \
             `cargo build --release -p yim-server -p yim-load`, or pass --server-bin",
            bin.display()
        )))
    }
}

impl Target {
    /// Starts the server of `kind` for `params` and waits (up to 30 s) for it to say where it
    /// listens; with `options.address`, starts nothing and returns a target at that address.
    pub fn start(
        kind: TargetKind,
        params: &LoadParams,
        options: &TargetOptions,
    ) -> Result<Target, TargetError> {
        if let Some(addr) = &options.address {
            return Ok(Target {
                kind,
                addr: addr.clone(),
                child: None,
                _dir: None,
            });
        }
        let dir = tempfile::Builder::new()
            .prefix("yim-load-")
            .tempdir()
            .map_err(TargetError::TempDir)?;
        let mut command = match kind {
            TargetKind::Ours => {
                let bin = match &options.server_bin {
                    Some(bin) => bin.clone(),
                    None => default_server_bin()?,
                };
                let config = match &options.server_config {
                    Some(path) => path.clone(),
                    None => {
                        let path = dir.path().join("server.toml");
                        std::fs::write(&path, server_config_toml(params))
                            .map_err(TargetError::TempDir)?;
                        path
                    }
                };
                let mut command = Command::new(bin);
                command
                    .arg("serve")
                    .arg("--config")
                    .arg(config)
                    .arg("--listen")
                    .arg("127.0.0.1:0");
                if options.memory_store {
                    command.arg("--memory");
                } else {
                    command.arg("--data-dir").arg(dir.path().join("data"));
                }
                command
            }
            TargetKind::Baseline => {
                let me = std::env::current_exe()
                    .map_err(|e| TargetError::NotFound(format!("where is this binary? {e}")))?;
                let mut command = Command::new(me);
                command
                    .arg("baseline-server")
                    .arg("--listen")
                    .arg("127.0.0.1:0");
                command
            }
        };
        let log =
            std::fs::File::create(dir.path().join("server.log")).map_err(TargetError::TempDir)?;
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|source| TargetError::Spawn {
                what: kind.name().to_owned(),
                source,
            })?;
        let addr = match child.stdout.take() {
            Some(stdout) => read_listen_address(stdout),
            None => Err("no stdout".to_owned()),
        };
        match addr {
            Ok(addr) => {
                eprintln!("started {} (pid {}) on {addr}", kind.name(), child.id());
                Ok(Target {
                    kind,
                    addr,
                    child: Some(child),
                    _dir: Some(dir),
                })
            }
            Err(detail) => {
                let _ = child.kill();
                let _ = child.wait();
                let log =
                    std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                Err(TargetError::NoAddress {
                    what: kind.name().to_owned(),
                    detail: format!("{detail}; its log: {}", log.trim()),
                })
            }
        }
    }

    /// The server's process id, if this run started it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// User + system CPU time the started server has used so far, in nanoseconds (`None`:
    /// not started here, or not Linux).
    pub fn cpu_ns(&self) -> Option<u64> {
        procstat::cpu_ns(self.pid()?)
    }

    /// The started server's peak resident memory so far (VmHWM), in KiB (`None` as for
    /// [`Target::cpu_ns`]).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        procstat::peak_rss_kib(self.pid()?)
    }

    /// The started server's resident memory now (VmRSS), in KiB (`None` as for
    /// [`Target::cpu_ns`]).
    pub fn rss_kib(&self) -> Option<u64> {
        procstat::rss_kib(self.pid()?)
    }

    /// Whether a started server is still running (`true` for one given by address).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => true,
        }
    }

    /// Kills a started server and waits for it (its temporary data dir goes with it); a
    /// server given by address is left running.
    pub fn stop(mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The address in the first line that says `listening on ADDR` (both servers print one).
fn read_listen_address(stdout: std::process::ChildStdout) -> Result<String, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let found = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some((_, addr)) = line.split_once("listening on ") {
                        break Ok(addr.trim().to_owned());
                    }
                }
                Some(Err(e)) => break Err(e.to_string()),
                None => break Err("it exited".to_owned()),
            }
        };
        let _ = tx.send(found);
        // Keep reading so the server never blocks on a full pipe.
        for _ in lines {}
    });
    rx.recv_timeout(Duration::from_secs(START_TIMEOUT_SECS))
        .unwrap_or_else(|_| Err("timed out".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::ScenarioName;

    #[test]
    fn the_written_config_is_valid_for_the_server() {
        let mut params = LoadParams::of(ScenarioName::Live);
        params.clients = 3000;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.toml");
        std::fs::write(&path, server_config_toml(&params)).unwrap();
        let config = yim_server::ServerConfig::load(&path).unwrap();
        assert_eq!(config.limits.max_room_members, 3000);
        assert_eq!(config.limits.max_connections, 10_000);
        assert_eq!(
            config.app_secrets().get(APP_KEY).map(String::as_str),
            Some(APP_SECRET)
        );
    }
}
