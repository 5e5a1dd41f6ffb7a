//! Server configuration: the apps it hosts, where it listens, its limits, and how durable its
//! store's commits are. Loaded from a TOML file by the binary; built in code by tests and the
//! simulator.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::store::Durability;

/// One hosted app: its key and the secret clients and operators prove they know.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppConfig {
    pub key: String,
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
        }
    }
}

/// Room for the login reply and whatever else is queued with the mailbox at login.
const LOGIN_FRAMES_BESIDES_MAIL: usize = 16;

/// See the module doc.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerConfig {
    /// "host:port" to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    pub apps: Vec<AppConfig>,
    #[serde(default)]
    pub limits: Limits,
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
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("parsing {path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
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
