//! Server configuration: the apps it hosts, where it listens, its limits, and how durable its
//! store's commits are. Loaded from a TOML file by the binary; built in code by tests and the
//! simulator.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::core::throttle::Rate;
use crate::store::Durability;

/// One hosted app: its key and the secret clients and operators prove they know.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppConfig {
    /// The app key clients log in with.
    pub key: String,
    /// The app secret: signs login tokens and proves the challenge.
    pub secret: String,
}

/// Limits and timeouts. Every collection that grows with client input has a bound here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// A logged-in connection that sends nothing (not even a ping) this long is closed.
    pub idle_timeout_ms: u64,
    /// A connection that has not logged in this long after connecting is closed.
    pub login_timeout_ms: u64,
    /// Rooms one user may be in at once.
    pub max_rooms_per_user: usize,
    /// Members one room may hold (YIM's default room capacity is 2000).
    pub max_room_members: usize,
    /// Private messages kept for one offline user.
    pub max_mailbox_messages: usize,
    /// Frames queued for one connection; a reader slower than this is cut off. Must hold a
    /// login's mailbox plus a resuming join's replay in every room (see `validate`).
    pub max_queued_frames: usize,
    /// Connections open at once; more are closed at accept.
    pub max_connections: usize,
    /// PBKDF2-HMAC-SHA256 rounds for password hashes.
    pub password_hash_rounds: u32,
    /// Idempotency keys of successful sends remembered per user (oldest forgotten first).
    pub max_send_keys_per_user: usize,
    /// Messages kept per room (oldest dropped): the room log, which fills the gaps of members
    /// that resume after a reconnect and serves the room's history to its members.
    pub room_log_messages: usize,
    /// Room log entries older than this (by their create time) are purged.
    pub room_log_max_age_secs: u64,
    /// Unfinished voice uploads one user may have; starting one more drops the oldest.
    pub max_uploads_per_user: usize,
    /// Voice uploads not touched for this long (wall seconds) are purged.
    pub upload_max_age_secs: u64,
    /// The audio of a voice message is kept this long after the message (then downloads of
    /// it get ParamInvalid).
    pub audio_retention_secs: u64,
    /// Voice messages' audio kept per app (the oldest dropped first).
    pub max_audio_blobs: usize,
    /// Private messages from one sender kept in one receiver's mailbox; past it that sender
    /// gets MessageBlocked (45) and the others can still reach the receiver.
    pub max_mail_per_sender: usize,

    // ---- hostile and careless clients (see docs/limits.md) ----
    /// Threads hashing passwords, off the task that owns the core. 0 hashes on the core's
    /// task between inputs: the simulator's setting (deterministic), never a real server's.
    pub hash_workers: usize,
    /// Logins waiting for (or in) a password hash, all connections together; one more gets
    /// ServerError (8).
    pub max_pending_hashes: usize,
    /// Failed logins (wrong password, bad token) per account, counting the logins still
    /// being checked; past it logins of the account get UserStatusError (16).
    pub failed_logins_per_account: Rate,
    /// Failed logins per peer address (IP), likewise.
    pub failed_logins_per_address: Rate,
    /// Registrations (first logins of new user IDs) per peer address; past it UserStatusError
    /// (16).
    pub registrations_per_address: Rate,
    /// Keys (accounts, addresses) each of those three limits tracks at once.
    pub max_throttled_keys: usize,
    /// Sends to one room (all senders together); past it MessageBlocked (45).
    pub room_sends: Rate,
    /// Frames of one connection read but not yet handled by the core; its reader waits for
    /// the core past it, so a pipelining client slows only itself.
    pub max_requests_in_flight: usize,
    /// Largest frame (encoded, without the length prefix) of a connection that has not logged
    /// in; a longer one closes the connection with ParamInvalid (3).
    pub max_login_frame_bytes: usize,
    /// Connections open at once that have not logged in; more are closed at accept.
    pub max_unauthenticated_connections: usize,
    /// Bytes queued for one connection (as encoded frames); past it the connection is cut
    /// off as a slow reader. Must hold the login burst of `max_queued_frames` (see
    /// `validate`).
    pub max_queued_bytes: usize,
    /// Bytes queued for all connections together; past it the connection with the most
    /// queued is cut off.
    pub max_output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            idle_timeout_ms: 45_000,
            login_timeout_ms: 15_000,
            max_rooms_per_user: yim_proto::limits::MAX_ROOMS_PER_USER,
            max_room_members: 2000,
            max_mailbox_messages: 1000,
            // (256 + 1) * 32 + 1000 + 16 = 9240 at most at once; see `validate`.
            max_queued_frames: 10_240,
            max_connections: 10_000,
            password_hash_rounds: 10_000,
            max_send_keys_per_user: 1024,
            room_log_messages: 256,
            // YIM's server history window: ten hours.
            room_log_max_age_secs: 36_000,
            max_uploads_per_user: 4,
            upload_max_age_secs: 600,
            audio_retention_secs: 86_400,
            max_audio_blobs: 100_000,
            max_mail_per_sender: 100,
            hash_workers: 1,
            max_pending_hashes: 64,
            failed_logins_per_account: Rate::new(10, 30_000),
            failed_logins_per_address: Rate::new(100, 1_000),
            registrations_per_address: Rate::new(100, 10_000),
            max_throttled_keys: 100_000,
            room_sends: Rate::new(200, 10),
            max_requests_in_flight: 8,
            max_login_frame_bytes: 4096,
            max_unauthenticated_connections: 1000,
            max_queued_bytes: 40 * 1024 * 1024,
            max_output_bytes: 256 * 1024 * 1024,
        }
    }
}

/// The largest frame of a delivered message (text 2048 + attach 1024 bytes, or a voice or
/// custom body, two 255-byte IDs and the small fields come to about 3.7 KB), rounded up: the
/// byte budget of an output queue must hold its frame budget of these.
pub const MAX_MESSAGE_FRAME_BYTES: usize = 4096;

/// The smallest `max_login_frame_bytes` that holds every login a valid client can send
/// (app key, user ID and password of 255 bytes, a 512-byte token, the proof).
pub const MIN_LOGIN_FRAME_BYTES: usize = 2048;

/// Room for the login reply and whatever else is queued with the mailbox at login.
const LOGIN_FRAMES_BESIDES_MAIL: usize = 16;

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerConfig {
    /// "host:port" to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The apps hosted, each with its key and secret.
    pub apps: Vec<AppConfig>,
    /// The limits in force (`[limits]`).
    #[serde(default)]
    pub limits: Limits,
    /// The store's settings (`[store]`).
    #[serde(default)]
    pub store: StoreConfig,
}

/// The `[store]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// What an acknowledgement survives: `full` (the default: a power loss too) or `normal`
    /// (a process crash; the last private-chat commits may be lost on power loss). See
    /// [`Durability`].
    pub durability: Durability,
}

fn default_listen() -> String {
    "127.0.0.1:5000".to_owned()
}

/// The configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a config.
    #[error("parsing {path}: {source}")]
    Parse {
        /// The file.
        path: String,
        /// What the parser says.
        source: toml::de::Error,
    },
    /// The values contradict each other or a bound (what is wrong).
    #[error("{0}")]
    Invalid(String),
}

impl ServerConfig {
    /// A config hosting the given apps with default limits.
    pub fn new(listen: &str, apps: &[(&str, &str)]) -> ServerConfig {
        ServerConfig {
            listen: listen.to_owned(),
            apps: apps
                .iter()
                .map(|(key, secret)| AppConfig {
                    key: (*key).to_owned(),
                    secret: (*secret).to_owned(),
                })
                .collect(),
            limits: Limits::default(),
            store: StoreConfig::default(),
        }
    }

    /// Reads and validates a TOML file.
    pub fn load(path: &std::path::Path) -> Result<ServerConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: ServerConfig = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: shown,
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Rejects empty or duplicate app keys, empty secrets, and limits that contradict each
    /// other.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.apps.is_empty() {
            return Err(ConfigError::Invalid("no apps configured".into()));
        }
        // A login hands over the whole mailbox at once: it must fit in the output queue, or
        // the receiver would be cut off as a slow reader at every login.
        if self.limits.max_mailbox_messages + LOGIN_FRAMES_BESIDES_MAIL
            > self.limits.max_queued_frames
        {
            return Err(ConfigError::Invalid(format!(
                "max_mailbox_messages ({}) must be at most max_queued_frames ({}) - {LOGIN_FRAMES_BESIDES_MAIL}",
                self.limits.max_mailbox_messages, self.limits.max_queued_frames
            )));
        }
        // A resuming join replays up to a whole room log after its reply, and a reconnecting
        // client re-joins all its rooms at once, right after the login handed over its
        // mailbox. We do not cap the replay (a cap would turn messages the log still holds
        // into reported losses); instead the queue must hold all of it, or the client would be
        // cut off as a slow reader at every reconnect.
        let limits = &self.limits;
        let burst = limits
            .room_log_messages
            .saturating_add(1)
            .saturating_mul(limits.max_rooms_per_user)
            .saturating_add(limits.max_mailbox_messages)
            .saturating_add(LOGIN_FRAMES_BESIDES_MAIL);
        if burst > limits.max_queued_frames {
            return Err(ConfigError::Invalid(format!(
                "(room_log_messages ({}) + 1) * max_rooms_per_user ({}) + max_mailbox_messages ({}) + {LOGIN_FRAMES_BESIDES_MAIL} must be at most max_queued_frames ({})",
                limits.room_log_messages,
                limits.max_rooms_per_user,
                limits.max_mailbox_messages,
                limits.max_queued_frames
            )));
        }
        let burst_bytes = burst.saturating_mul(MAX_MESSAGE_FRAME_BYTES);
        if limits.max_queued_bytes < burst_bytes {
            return Err(ConfigError::Invalid(format!(
                "max_queued_bytes ({}) must hold the login burst of {burst} frames of up to {MAX_MESSAGE_FRAME_BYTES} bytes ({burst_bytes})",
                limits.max_queued_bytes
            )));
        }
        if limits.max_output_bytes < limits.max_queued_bytes {
            return Err(ConfigError::Invalid(format!(
                "max_output_bytes ({}) must be at least max_queued_bytes ({})",
                limits.max_output_bytes, limits.max_queued_bytes
            )));
        }
        if !(MIN_LOGIN_FRAME_BYTES..=yim_proto::framing::MAX_FRAME_BYTES)
            .contains(&limits.max_login_frame_bytes)
        {
            return Err(ConfigError::Invalid(format!(
                "max_login_frame_bytes ({}) must be within {MIN_LOGIN_FRAME_BYTES}..={}",
                limits.max_login_frame_bytes,
                yim_proto::framing::MAX_FRAME_BYTES
            )));
        }
        if limits.max_mail_per_sender == 0
            || limits.max_mail_per_sender > limits.max_mailbox_messages
        {
            return Err(ConfigError::Invalid(format!(
                "max_mail_per_sender ({}) must be within 1..=max_mailbox_messages ({})",
                limits.max_mail_per_sender, limits.max_mailbox_messages
            )));
        }
        if limits.max_requests_in_flight == 0 || limits.max_pending_hashes == 0 {
            return Err(ConfigError::Invalid(
                "max_requests_in_flight and max_pending_hashes must be at least 1".into(),
            ));
        }
        if limits.max_uploads_per_user == 0 {
            return Err(ConfigError::Invalid(
                "max_uploads_per_user must be at least 1, or no voice message could be sent".into(),
            ));
        }
        let mut seen = BTreeMap::new();
        for app in &self.apps {
            if app.key.is_empty() || app.secret.is_empty() {
                return Err(ConfigError::Invalid(
                    "app key and secret must not be empty".into(),
                ));
            }
            if seen.insert(app.key.as_str(), ()).is_some() {
                return Err(ConfigError::Invalid(format!(
                    "app key {} appears twice",
                    app.key
                )));
            }
        }
        Ok(())
    }

    /// App key -> secret.
    pub fn app_secrets(&self) -> BTreeMap<String, String> {
        self.apps
            .iter()
            .map(|app| (app.key.clone(), app.secret.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_toml_with_default_limits() {
        let config: ServerConfig = toml::from_str(
            r#"
            listen = "0.0.0.0:6000"
            [[apps]]
            key = "game1"
            secret = "s1"
            [[apps]]
            key = "game2"
            secret = "s2"
            [limits]
            max_rooms_per_user = 4
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.apps.len(), 2);
        assert_eq!(config.limits.max_rooms_per_user, 4);
        assert_eq!(config.limits.max_room_members, 2000);
    }

    #[test]
    fn the_sample_config_loads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/server.toml");
        let config = ServerConfig::load(&path).unwrap();
        assert_eq!(
            config.app_secrets().get("demo_app").map(String::as_str),
            Some("demo_secret")
        );
        assert_eq!(config.limits.max_uploads_per_user, 4);
        assert_eq!(config.limits.audio_retention_secs, 86_400);
        assert_eq!(config.store.durability, Durability::Full);
        assert_eq!(
            config.limits,
            Limits::default(),
            "the sample states the defaults"
        );
    }

    #[test]
    fn rates_parse_as_inline_tables_and_contradictions_are_refused() {
        let apps = "[[apps]]\nkey = \"a\"\nsecret = \"s\"\n";
        let text = format!("{apps}[limits]\nroom_sends = {{ burst = 5, refill_ms = 100 }}\n");
        let config: ServerConfig = toml::from_str(&text).unwrap();
        assert_eq!(config.limits.room_sends, Rate::new(5, 100));
        let bad = format!("{apps}[limits]\nroom_sends = {{ burst = 5, every = 1 }}\n");
        assert!(toml::from_str::<ServerConfig>(&bad).is_err());
        let check = |change: fn(&mut Limits)| {
            let mut config = ServerConfig::new("x", &[("a", "s")]);
            change(&mut config.limits);
            config.validate()
        };
        assert!(check(|_| {}).is_ok());
        assert!(
            check(|l| l.max_queued_bytes = 1024 * 1024).is_err(),
            "burst bytes"
        );
        assert!(check(|l| l.max_output_bytes = l.max_queued_bytes - 1).is_err());
        assert!(check(|l| l.max_login_frame_bytes = 100).is_err());
        assert!(check(|l| l.max_login_frame_bytes = 70_000).is_err());
        assert!(check(|l| l.max_mail_per_sender = 0).is_err());
        assert!(check(|l| l.max_mail_per_sender = 1001).is_err());
        assert!(check(|l| l.max_requests_in_flight = 0).is_err());
        assert!(check(|l| l.max_pending_hashes = 0).is_err());
    }

    #[test]
    fn durability_defaults_to_full_and_parses() {
        let parse = |text: &str| toml::from_str::<ServerConfig>(text);
        let apps = "[[apps]]\nkey = \"a\"\nsecret = \"s\"\n";
        assert_eq!(parse(apps).unwrap().store.durability, Durability::Full);
        let normal = format!("{apps}[store]\ndurability = \"normal\"\n");
        assert_eq!(parse(&normal).unwrap().store.durability, Durability::Normal);
        let wrong = format!("{apps}[store]\ndurability = \"sometimes\"\n");
        assert!(parse(&wrong).is_err());
    }

    #[test]
    fn rejects_duplicates_and_empty() {
        assert!(ServerConfig::new("x", &[("a", "s"), ("a", "t")])
            .validate()
            .is_err());
        assert!(ServerConfig::new("x", &[("a", "")]).validate().is_err());
        let mut config = ServerConfig::new("x", &[("a", "s")]);
        config.limits.max_mailbox_messages = config.limits.max_queued_frames;
        assert!(
            config.validate().is_err(),
            "a full mailbox must fit the output queue"
        );
        let mut config = ServerConfig::new("x", &[("a", "s")]);
        config.validate().unwrap();
        config.limits.room_log_messages += 32;
        assert!(
            config.validate().is_err(),
            "a replay of every room's log must fit the output queue"
        );
        config.limits.max_rooms_per_user = 1;
        config.validate().unwrap();
        config.limits.max_uploads_per_user = 0;
        assert!(config.validate().is_err(), "voice needs an upload");
        assert!(ServerConfig::new("x", &[]).validate().is_err());
    }
}
