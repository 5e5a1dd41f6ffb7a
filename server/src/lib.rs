//! The YIM reference server.
//!
//! Hosts several apps; keeps accounts, sessions, rooms, operator mutes, private mailboxes and
//! the audio of voice messages.
//! The protocol logic is a sans-IO core ([`core::ServerCore`]); [`driver`] runs it over any
//! [`net::Listener`] and [`clock::Clock`], so the real binary (TCP, system clock, SQLite) and
//! the simulator (turmoil, simulated clock, in-memory store) run the same code. Password
//! hashes run off the core's task on a [`hash_pool::HashPool`].
//! [`admin`] is the operator client used by the `yim-server admin` CLI and by tests.

pub mod admin;
pub mod clock;
pub mod config;
pub mod core;
pub mod driver;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod hash_pool;
pub mod net;
mod output_bytes;
pub mod store;

pub use config::{AppConfig, Limits, ServerConfig, StoreConfig};
pub use driver::{serve, spawn_tcp, RunningServer};
