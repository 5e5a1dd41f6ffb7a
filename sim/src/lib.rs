//! The deterministic simulator: many SDK clients and the server on turmoil, under faults.
//!
//! What it is: scenarios as data ([`scenario`]), generated from a seed with per-seed fault
//! rates ([`generate`]) or by proptest strategies ([`strategy`]); a runner that plays one on
//! turmoil with the same SDK and server code as production ([`runner`], [`app`], [`env`]);
//! a history of every call and event ([`history`]) judged by named checkers ([`checkers`]);
//! shrinking of failing scenarios ([`shrink`]); and sweeps over many seeds ([`sweep`]).
//! What it is not: a model of the system: the real code runs, only the network, the clocks
//! and the disk ([`disk`]: crash points at commits, failing commits, power loss) are
//! simulated.

pub mod app;
pub mod checkers;
pub mod disk;
pub mod env;
pub mod generate;
pub mod history;
pub mod link;
pub mod runner;
pub mod scenario;
pub mod shrink;
pub mod strategy;
pub mod sweep;

pub use runner::{run, RunOutcome, RunStats};
pub use scenario::Scenario;
