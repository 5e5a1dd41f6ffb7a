//! The deterministic simulator: many SDK clients and the server on turmoil, under faults.
//!
//! What it is: scenarios as data ([`scenario`]), generated from a seed with per-seed fault
//! rates ([`generate`], [`live`], drawing with [`swarm`] at a [`size`]) or by proptest
//! strategies ([`strategy`]); a runner that plays one on turmoil with the same SDK and server
//! code as production ([`runner`], [`app`], [`env`]);
//! a history of every call and event ([`history`]) judged by named checkers ([`checkers`]);
//! shrinking of failing scenarios ([`shrink`]); sweeps over many seeds ([`sweep`]), possibly
//! branching from runs that reached rare states ([`branch`]), possibly in shards on many
//! machines, merged again ([`merge`]); and a failure told as text
//! ([`explain`], in the line format of [`lines`]) or drawn as an HTML timeline
//! ([`timeline`]), with logs in simulated time ([`logging`]).
//! What it is not: a model of the system: the real code runs, only the network, the clocks
//! and the disk ([`disk`]: crash points at commits, failing commits, power loss) are
//! simulated.

pub mod app;
pub mod branch;
pub mod checkers;
pub mod client_disk;
pub mod close_order;
pub mod disk;
pub mod env;
pub mod explain;
pub mod generate;
pub mod hearing;
pub mod history;
pub mod lines;
pub mod link;
pub mod live;
pub mod logging;
pub mod merge;
pub mod probes;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod size;
pub mod strategy;
pub mod swarm;
pub mod sweep;
pub mod timeline;

pub use runner::{run, RunOutcome, RunStats};
pub use scenario::Scenario;
