//! Test support for the simulator: the planted-bug switches ([`planted`]) and the coverage
//! probes and server observations ([`probe`]) that `yim-server` and `yim-sdk` call into.
//!
//! What it is not: part of the protocol or of either end's behaviour. With neither feature on
//! (`planted-bugs`, `probes`; only `yim-sim` and tests turn them on) every hook here is a
//! constant or an empty inline function, and its call sites fold away. It depends on nothing,
//! so any crate can call it without a cycle.

pub mod planted;
pub mod probe;
