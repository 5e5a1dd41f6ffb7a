//! `yim-server`: run the reference server, act as its operator, or mint login tokens.
//!
//! ```text
//! yim-server serve --config server.toml [--data-dir ./data | --memory]
//! yim-server admin --server 127.0.0.1:5000 --app-key K --app-secret S mute-user --room R --user U --reason 2 --for-secs 600
//! yim-server admin ... mute-room --room R --reason 1 --until 1790000000
//! yim-server admin ... unmute --room R [--user U]
//! yim-server token --app-secret S --user U --ttl-secs 3600
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use yim_server::admin::AdminClient;
use yim_server::clock::{Clock, SystemClock};
use yim_server::store::memory::MemoryStore;
use yim_server::store::sqlite::SqliteStore;
use yim_server::store::Store;
use yim_server::ServerConfig;

/// An operator command with no answer within this long fails.
const ADMIN_TIMEOUT_SECS: u64 = 10;

#[derive(Parser, Debug)]
#[command(name = "yim-server", about = "YIM reference chat server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the server.
    Serve {
        /// TOML config: listen address, apps (key and secret), limits.
        #[arg(long)]
        config: PathBuf,
        /// Directory of the SQLite database.
        #[arg(long, default_value = "./yim-data")]
        data_dir: PathBuf,
        /// Keep everything in memory instead (lost at exit).
        #[arg(long)]
        memory: bool,
        /// Override the listen address from the config.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Operator commands, authenticated with the app secret.
    Admin {
        #[command(flatten)]
        target: AdminTarget,
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Print a login token for a user, signed with the app secret.
    Token {
        #[arg(long)]
        app_secret: String,
        #[arg(long)]
        user: String,
        #[arg(long, default_value_t = 3600)]
        ttl_secs: u64,
    },
}

#[derive(Args, Debug)]
struct AdminTarget {
    #[arg(long, default_value = "127.0.0.1:5000")]
    server: String,
    #[arg(long)]
    app_key: String,
    #[arg(long)]
    app_secret: String,
}

#[derive(Args, Debug)]
struct MuteEnd {
    /// Reason 0-7: 0 unknown, 1 ads, 2 insult, 3 politics, 4 terrorism, 5 reactionary, 6 sexual, 7 other.
    #[arg(long, default_value_t = 0)]
    reason: u32,
    /// End time, unix seconds.
    #[arg(long, conflicts_with = "for_secs")]
    until: Option<u64>,
    /// Duration from now, seconds.
    #[arg(long)]
    for_secs: Option<u64>,
}

impl MuteEnd {
    fn end_time(&self) -> u64 {
        match (self.until, self.for_secs) {
            (Some(until), _) => until,
            (None, Some(secs)) => (SystemClock::default().wall_ms() / 1000).saturating_add(secs),
            (None, None) => u64::MAX,
        }
    }
}

#[derive(Subcommand, Debug)]
enum AdminAction {
    /// Mute one user in a room.
    MuteUser {
        #[arg(long)]
        room: String,
        #[arg(long)]
        user: String,
        #[command(flatten)]
        end: MuteEnd,
    },
    /// Mute a whole room.
    MuteRoom {
        #[arg(long)]
        room: String,
        #[command(flatten)]
        end: MuteEnd,
    },
    /// Lift a mute (of the room when --user is not given).
    Unmute {
        #[arg(long)]
        room: String,
        #[arg(long, default_value = "")]
        user: String,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    plant_bug(&mut runtime);
    let runtime = match runtime.build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("yim-server: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("yim-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            config,
            data_dir,
            memory,
            listen,
        } => {
            let mut config = ServerConfig::load(&config).map_err(|e| e.to_string())?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            let store: Box<dyn Store> = if memory {
                Box::new(MemoryStore::new())
            } else {
                let store = SqliteStore::open_in_dir(&data_dir).map_err(|e| e.to_string())?;
                Box::new(slow_for_tests(
                    store.with_durability(config.store.durability),
                ))
            };
            let mut server = yim_server::spawn_tcp(&config, store, os_seed()?)
                .await
                .map_err(|e| e.to_string())?;
            println!("yim-server listening on {}", server.addr);
            tokio::select! {
                signal = tokio::signal::ctrl_c() => {
                    signal.map_err(|e| e.to_string())?;
                    server.stop().await;
                    Ok(())
                }
                halt = server.halted() => Err(format!("stopped: {halt}; restart to recover")),
            }
        }
        Command::Admin { target, action } => {
            let within = std::time::Duration::from_secs(ADMIN_TIMEOUT_SECS);
            tokio::time::timeout(within, admin(target, action))
                .await
                .map_err(|_| format!("no answer within {ADMIN_TIMEOUT_SECS} s"))?
        }
        Command::Token {
            app_secret,
            user,
            ttl_secs,
        } => {
            let expiry = (SystemClock::default().wall_ms() / 1000).saturating_add(ttl_secs);
            println!(
                "{}",
                yim_proto::auth::make_login_token(&app_secret, &user, expiry)
            );
            Ok(())
        }
    }
}

/// One operator command over a fresh connection.
async fn admin(target: AdminTarget, action: AdminAction) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect(&target.server)
        .await
        .map_err(|e| format!("connecting to {}: {e}", target.server))?;
    let mut admin = AdminClient::login(Box::new(stream), &target.app_key, &target.app_secret)
        .await
        .map_err(|e| e.to_string())?;
    let result = match &action {
        AdminAction::MuteUser { room, user, end } => {
            admin
                .mute_user(room, user, end.reason, end.end_time())
                .await
        }
        AdminAction::MuteRoom { room, end } => {
            admin.mute_room(room, end.reason, end.end_time()).await
        }
        AdminAction::Unmute { room, user } => admin.unmute(room, user).await,
    };
    result.map_err(|e| e.to_string())?;
    println!("ok");
    Ok(())
}

/// Builds with the `planted-bugs` feature only (the real-process crash test): switches on
/// the bug named by `YIM_PLANTED_BUG` (its kebab-case name, as `yim-sim --plant` takes it:
/// `split-send-commit`) on every runtime thread.
#[cfg(feature = "planted-bugs")]
fn plant_bug(runtime: &mut tokio::runtime::Builder) {
    use yim_hooks::planted::{self, Bug};
    let Some(bug) = std::env::var("YIM_PLANTED_BUG")
        .ok()
        .and_then(|name| Bug::for_server_process(&name))
    else {
        return;
    };
    eprintln!("yim-server: planted bug {bug:?} switched on");
    planted::set(Some(bug));
    runtime.on_thread_start(move || planted::set(Some(bug)));
}

#[cfg(not(feature = "planted-bugs"))]
fn plant_bug(_runtime: &mut tokio::runtime::Builder) {}

/// Builds with the `planted-bugs` feature only (the real-process crash test): a pause of
/// `YIM_COMMIT_PAUSE_MS` after each commit (see `SqliteStore::pause_after_commit`).
#[cfg(feature = "planted-bugs")]
fn slow_for_tests(store: SqliteStore) -> SqliteStore {
    let pause_ms = std::env::var("YIM_COMMIT_PAUSE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .unwrap_or(0);
    store.pause_after_commit(std::time::Duration::from_millis(pause_ms))
}

#[cfg(not(feature = "planted-bugs"))]
fn slow_for_tests(store: SqliteStore) -> SqliteStore {
    store
}

/// Seed for nonces and salts, from the operating system.
#[allow(clippy::disallowed_methods)] // the real binary's one source of entropy
fn os_seed() -> Result<u64, String> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("no OS randomness: {e}"))?;
    Ok(u64::from_le_bytes(bytes))
}
