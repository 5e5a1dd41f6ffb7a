//! What every scenario generator draws with: a seed's random numbers (`Rng`), the fault
//! profiles ([`Profile`]), and a seed's own fault mix and schedule (`generate_faults`:
//! swarm-style, each seed its own fault rates). Not a whole scenario: `generate` makes those
//! (and hands the live profile to `live`), both on top of this.

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use serde::{Deserialize, Serialize};

use crate::scenario::{Direction, Fault, HostRef, TimedFault};
use crate::size::Size;

/// Which faults a generated scenario may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Latency changes and clock skew only: nothing that breaks a connection (so no app
    /// restarts either).
    Calm,
    /// Everything: partitions (both ways and one way), holds, server and client crashes,
    /// app restarts, latency and clock skew. Connections break; the SDK reconnects by itself
    /// (or gives up, and the game logs back in). The profile of the main sweep.
    Faulty,
    /// A live-stream room: every client in one room, a barrage of room messages, viewers
    /// leaving and coming back; calm faults only. See `crate::live`.
    Live,
}

pub(crate) struct Rng(pub(crate) ChaCha8Rng);

impl Rng {
    /// A number in `0..n` (0 when n is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.next_u64() % n
        }
    }

    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low))
    }

    pub(crate) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Picks an index with probability proportional to its weight.
    pub(crate) fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut pick = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        0
    }
}

pub(crate) fn generate_faults(
    rng: &mut Rng,
    size: &Size,
    hosts: usize,
    profile: Profile,
) -> Vec<TimedFault> {
    // Swarm: this seed's fault mix; a few seeds get none at all.
    let connection_breaking = profile == Profile::Faulty;
    let weights = [
        rng.below(4),                                       // latency
        rng.below(3),                                       // clock skew
        if connection_breaking { rng.below(5) } else { 0 }, // partition
        if connection_breaking { rng.below(3) } else { 0 }, // one-way partition
        if connection_breaking { rng.below(3) } else { 0 }, // hold
        if connection_breaking { rng.below(2) } else { 0 }, // server crash
        if connection_breaking { rng.below(2) } else { 0 }, // client crash
    ];
    let count = if rng.chance(10) {
        0
    } else {
        rng.below(1 + size.safety_ms / 4_000)
    };
    let mut faults = Vec::new();
    let last_ms = size.safety_ms.saturating_sub(1);
    let push = |faults: &mut Vec<TimedFault>, at_ms: u64, fault: Fault| {
        faults.push(TimedFault {
            at_ms: at_ms.min(last_ms),
            fault,
        });
    };
    for _ in 0..count {
        if weights.iter().sum::<u64>() == 0 {
            break;
        }
        let at_ms = rng.range(1_000, last_ms.max(1_001));
        let host = rng.index(hosts);
        match rng.weighted(&weights) {
            0 => push(
                &mut faults,
                at_ms,
                Fault::Latency {
                    max_ms: rng.range(1, 400),
                },
            ),
            1 => {
                let target = if rng.chance(30) {
                    HostRef::Server
                } else {
                    HostRef::Client(host)
                };
                let offset_ms = rng.below(600_000) as i64 - 300_000;
                push(
                    &mut faults,
                    at_ms,
                    Fault::ClockSkew {
                        host: target,
                        offset_ms,
                    },
                );
            }
            choice @ (2 | 3) => {
                let direction = match (choice, rng.chance(50)) {
                    (2, _) => Direction::Both,
                    (_, true) => Direction::ToServer,
                    (_, false) => Direction::FromServer,
                };
                push(&mut faults, at_ms, Fault::Partition { host, direction });
                push(
                    &mut faults,
                    at_ms + rng.range(500, 8_000),
                    Fault::Repair { host },
                );
            }
            4 => {
                push(&mut faults, at_ms, Fault::Hold { host });
                push(
                    &mut faults,
                    at_ms + rng.range(200, 5_000),
                    Fault::Release { host },
                );
            }
            5 => {
                push(&mut faults, at_ms, Fault::ServerCrash);
                push(
                    &mut faults,
                    at_ms + rng.range(200, 5_000),
                    Fault::ServerRestart,
                );
            }
            _ => {
                // Half of the client crashes (by the parity of their time, so the seed's
                // other draws stay as they were) strike at an SDK's local store write.
                let crash = if at_ms.is_multiple_of(2) {
                    Fault::ClientCrashAtStore { host }
                } else {
                    Fault::ClientHostCrash { host }
                };
                push(&mut faults, at_ms, crash);
                push(
                    &mut faults,
                    at_ms + rng.range(500, 5_000),
                    Fault::ClientHostRestart { host },
                );
            }
        }
    }
    faults.sort_by_key(|f| f.at_ms);
    faults
}
