//! Exploring from interesting states: a sweep that branches (`sweep --branch-budget N`) takes
//! a run that reached a state few runs reach (the first hit of a coverage probe that is rare,
//! or that few fresh runs of the sweep have hit so far) and runs it again with the same
//! beginning and new endings: the parent's operations and faults up to the probe's first hit
//! are kept, the rest is drawn from a new seed's scenario. Scenarios are data, so a branch is
//! a splice of two scenarios ([`splice`]); the child keeps the parent's seed (turmoil's
//! latencies, the server's nonces, the apps' random numbers) and everything the parent's
//! world was built from, so its run is the parent's run up to the branch point.
//!
//! A child is named by its [`BranchPoint`] (parent seed, probe, time, child seed), from which
//! `yim-sim run --seed P --branch-at-ms T --branch-seed C` rebuilds and replays it; a failing
//! child's scenario is saved and shrunk like any other.
//!
//! What it is not: a search that learns. Which runs to branch is decided by the rule in
//! [`choose`] from the probe hits of the fresh runs so far, nothing else.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::generate::{generate, Profile, Size};
use crate::scenario::{Fault, Scenario, TimedFault};

/// When branching, the sweep runs its seeds in rounds of this many fresh runs, then the
/// children it chose from them: a fixed number, so that what is run (and so the report)
/// does not depend on `--jobs`.
pub const ROUND_SEEDS: usize = 16;

/// A probe is rare so far when at most this share (percent) of the sweep's fresh runs so
/// far hit it (or when it is marked [`yim_hooks::probe::Probe::rare`]).
pub const RARE_SO_FAR_PERCENT: usize = 10;

/// A branch point leaves at least this long of the safety phase (where the faults and most
/// operations are) to draw anew; a later first hit is not branched from.
pub const MIN_SUFFIX_MS: u64 = 3_000;

/// Children per branch point unless `--branch-children` says otherwise.
pub const DEFAULT_CHILDREN: usize = 4;

/// How a sweep branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branching {
    /// Child runs allowed in the whole sweep (0: no branching). Spent evenly: after `k` of
    /// the sweep's `n` fresh runs, at most `budget * k / n` children have been run.
    pub budget: usize,
    /// Children per branch point.
    pub children: usize,
}

impl Branching {
    /// No branching: every run a fresh seed.
    pub const OFF: Branching = Branching {
        budget: 0,
        children: DEFAULT_CHILDREN,
    };

    /// Whether any child run will be made.
    pub fn is_on(&self) -> bool {
        self.budget > 0 && self.children > 0
    }
}

impl Default for Branching {
    fn default() -> Branching {
        Branching::OFF
    }
}

/// Where a branched run comes from (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BranchPoint {
    /// The parent's seed: its scenario is `generate(parent_seed)` at the sweep's size and
    /// profile, and the child keeps it as its own seed.
    pub parent_seed: u64,
    /// The probe at whose first hit in the parent the branch is made.
    pub probe: String,
    /// The branch point (simulated ms): the parent's operations and faults at or before it
    /// are kept.
    pub at_ms: u64,
    /// The seed whose scenario gives the operations and faults after `at_ms`.
    pub child_seed: u64,
}

impl BranchPoint {
    /// The child's scenario.
    pub fn scenario(&self, size: &Size, profile: Profile) -> Scenario {
        splice(
            &generate(self.parent_seed, size, profile),
            &generate(self.child_seed, size, profile),
            self.at_ms,
        )
    }

    /// `seed 7 at 8.214s (probe mailbox_full), child seed 123`
    pub fn describe(&self) -> String {
        format!(
            "seed {} at {:.3}s (probe {}), child seed {}",
            self.parent_seed,
            self.at_ms as f64 / 1000.0,
            self.probe,
            self.child_seed
        )
    }

    /// The options of `yim-sim run` that replay the child (after `--seed P`).
    pub fn run_args(&self) -> String {
        format!(
            "--seed {} --branch-at-ms {} --branch-seed {}",
            self.parent_seed, self.at_ms, self.child_seed
        )
    }
}

/// The `k`th child seed of a branch of `parent_seed` (a SplitMix64 step of the two, so
/// children of different parents and probes do not share seeds, nor, but by a 2^-64 chance,
/// the sweep's own small seeds).
pub fn child_seed(parent_seed: u64, probe: &str, k: usize) -> u64 {
    let mut x = parent_seed ^ 0xB4A7_C0DE_0000_0000;
    for byte in probe.bytes().chain((k as u64).to_le_bytes()) {
        x = (x ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The parent's scenario up to `at_ms` and the donor's after it: every field of the parent
/// (seed, clients, rooms, durability, limits) but the operations and faults after `at_ms`,
/// which are the donor's (the donor must have as many clients, rooms and hosts: scenarios
/// generated at one size do). A fault of the parent still in force at `at_ms` keeps its end
/// (the repair, release or restart the parent scheduled for it after `at_ms`), so that the
/// branch point's state goes on as it would have; the donor's faults may end what is not in
/// force, which does nothing.
pub fn splice(parent: &Scenario, donor: &Scenario, at_ms: u64) -> Scenario {
    let mut child = parent.clone();
    child.ops.retain(|t| t.at_ms <= at_ms);
    child
        .ops
        .extend(donor.ops.iter().filter(|t| t.at_ms > at_ms).cloned());
    child.faults.retain(|t| t.at_ms <= at_ms);
    let mut open = Open::default();
    for timed in &child.faults {
        open.apply(&timed.fault);
    }
    let mut faults: Vec<TimedFault> = parent
        .faults
        .iter()
        .filter(|t| t.at_ms > at_ms)
        .filter(|t| open.closes(&t.fault))
        .cloned()
        .collect();
    faults.extend(donor.faults.iter().filter(|t| t.at_ms > at_ms).cloned());
    // Stable: at one time, the parent's ends before the donor's faults.
    faults.sort_by_key(|t| t.at_ms);
    child.faults.extend(faults);
    child
}

/// The faults in force at a moment, to know which later ends belong to them.
#[derive(Debug, Default)]
struct Open {
    partitioned: BTreeSet<usize>,
    held: BTreeSet<usize>,
    crashed_hosts: BTreeSet<usize>,
    /// The server is down, or a crash point is armed (a restart ends either).
    server: bool,
}

impl Open {
    fn apply(&mut self, fault: &Fault) {
        match fault {
            Fault::Partition { host, .. } => {
                self.partitioned.insert(*host);
            }
            Fault::Repair { host } => {
                self.partitioned.remove(host);
            }
            Fault::Hold { host } => {
                self.held.insert(*host);
            }
            Fault::Release { host } => {
                self.held.remove(host);
            }
            Fault::ServerCrash
            | Fault::PowerLoss
            | Fault::CrashAtCommit { .. }
            | Fault::CrashMidUpload
            | Fault::CrashAtSync { .. }
            | Fault::SyncFailure { .. } => self.server = true,
            Fault::ServerRestart => self.server = false,
            Fault::ClientHostCrash { host } | Fault::ClientCrashAtStore { host } => {
                self.crashed_hosts.insert(*host);
            }
            Fault::ClientHostRestart { host } => {
                self.crashed_hosts.remove(host);
            }
            Fault::Latency { .. } | Fault::StoreFailure { .. } | Fault::ClockSkew { .. } => {}
        }
    }

    /// Whether `fault` ends one in force, and if so, takes it as ended (only the first end
    /// of each is kept).
    fn closes(&mut self, fault: &Fault) -> bool {
        match fault {
            Fault::Repair { host } => self.partitioned.remove(host),
            Fault::Release { host } => self.held.remove(host),
            Fault::ServerRestart => std::mem::take(&mut self.server),
            Fault::ClientHostRestart { host } => self.crashed_hosts.remove(host),
            _ => false,
        }
    }
}

/// What [`choose`] knows of a fresh run.
#[derive(Debug, Clone)]
pub struct FreshRun<'a> {
    /// The run's seed.
    pub seed: u64,
    /// Whether a checker found a violation in it (failing runs are not branched).
    pub failed: bool,
    /// Probe name -> simulated ms of its first hit in the run.
    pub first_hit_ms: &'a BTreeMap<String, u64>,
}

/// The branching state of a sweep: the fresh runs so far that hit each probe, and the
/// children spent.
#[derive(Debug, Clone, Default)]
pub struct Chooser {
    fresh_runs: usize,
    runs_hitting: BTreeMap<String, usize>,
    children_run: usize,
}

impl Chooser {
    /// Chooses the branch points of one round of fresh runs (in run order), `total_fresh`
    /// being the sweep's number of fresh runs, and counts them as spent. The rule, in order:
    /// - the round's fresh runs are counted first (so the first round judges by itself);
    /// - a run that failed is not branched (its failure is reported already);
    /// - of the probes the run hit, first at least [`MIN_SUFFIX_MS`] before the end of the
    ///   safety phase, those marked rare or hit by at most [`RARE_SO_FAR_PERCENT`] percent of
    ///   the fresh runs so far qualify; the one hit by the fewest (ties: the report's order)
    ///   is branched from, at its first hit;
    /// - with `branching.children` children, fewer if the evenly spent budget has fewer left.
    pub fn choose(
        &mut self,
        branching: &Branching,
        round: &[FreshRun<'_>],
        total_fresh: usize,
        safety_ms: u64,
    ) -> Vec<BranchPoint> {
        for run in round {
            self.fresh_runs += 1;
            for probe in run.first_hit_ms.keys() {
                *self.runs_hitting.entry(probe.clone()).or_default() += 1;
            }
        }
        if !branching.is_on() {
            return Vec::new();
        }
        let allowed = branching.budget * self.fresh_runs / total_fresh.max(1);
        let mut points = Vec::new();
        for run in round.iter().filter(|r| !r.failed) {
            let left = allowed.saturating_sub(self.children_run);
            if left == 0 {
                break;
            }
            let Some((probe, at_ms)) = self.rarest(run, safety_ms) else {
                continue;
            };
            let children = branching.children.min(left);
            for k in 0..children {
                points.push(BranchPoint {
                    parent_seed: run.seed,
                    probe: probe.clone(),
                    at_ms,
                    child_seed: child_seed(run.seed, &probe, k),
                });
            }
            self.children_run += children;
        }
        points
    }

    /// The qualifying probe of `run` hit by the fewest fresh runs so far, and its first hit.
    fn rarest(&self, run: &FreshRun<'_>, safety_ms: u64) -> Option<(String, u64)> {
        yim_hooks::probe::Probe::ALL
            .iter()
            .filter_map(|probe| {
                let name = probe.name();
                let at_ms = *run.first_hit_ms.get(name)?;
                let hitting = self.runs_hitting.get(name).copied().unwrap_or(0);
                let rare = probe.rare() || hitting * 100 <= RARE_SO_FAR_PERCENT * self.fresh_runs;
                (rare && at_ms + MIN_SUFFIX_MS <= safety_ms).then_some((hitting, name, at_ms))
            })
            .min_by_key(|(hitting, _, _)| *hitting)
            .map(|(_, name, at_ms)| (name.to_owned(), at_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_seeds_differ_by_parent_probe_and_index() {
        let a = child_seed(1, "mailbox_full", 0);
        assert_eq!(a, child_seed(1, "mailbox_full", 0));
        assert_ne!(a, child_seed(1, "mailbox_full", 1));
        assert_ne!(a, child_seed(2, "mailbox_full", 0));
        assert_ne!(a, child_seed(1, "token_refused", 0));
        assert!(a > 1 << 32, "far from the sweep's own seeds");
    }

    #[test]
    fn a_fault_in_force_at_the_branch_point_keeps_its_end() {
        let size = Size::small();
        let mut parent = generate(1, &size, Profile::Faulty);
        let donor = generate(2, &size, Profile::Faulty);
        parent.faults = vec![
            TimedFault {
                at_ms: 1_000,
                fault: Fault::Partition {
                    host: 0,
                    direction: crate::scenario::Direction::Both,
                },
            },
            TimedFault {
                at_ms: 2_000,
                fault: Fault::ServerCrash,
            },
            TimedFault {
                at_ms: 2_500,
                fault: Fault::ServerRestart,
            },
            TimedFault {
                at_ms: 6_000,
                fault: Fault::Repair { host: 0 },
            },
            TimedFault {
                at_ms: 7_000,
                fault: Fault::Repair { host: 0 },
            },
            TimedFault {
                at_ms: 8_000,
                fault: Fault::ServerRestart,
            },
        ];
        let child = splice(&parent, &donor, 5_000);
        let kept: Vec<&TimedFault> = child.faults.iter().filter(|f| f.at_ms > 5_000).collect();
        let from_parent: Vec<&&TimedFault> =
            kept.iter().filter(|f| !donor.faults.contains(f)).collect();
        assert_eq!(
            from_parent.len(),
            1,
            "only the first repair of the partition in force: {kept:?}"
        );
        assert_eq!(from_parent[0].at_ms, 6_000);
        child.validate().unwrap();
    }

    #[test]
    fn the_rarest_qualifying_probe_is_chosen_and_the_budget_spent_evenly() {
        let hits = |names: &[(&str, u64)]| -> BTreeMap<String, u64> {
            names.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect()
        };
        let common = hits(&[("redelivery_dropped", 4_000)]);
        let rare = hits(&[("redelivery_dropped", 4_000), ("gap_fill_replayed", 6_000)]);
        let late = hits(&[("gap_fill_replayed", 19_000)]);
        let mut round: Vec<FreshRun<'_>> = (0..10)
            .map(|seed| FreshRun {
                seed,
                failed: false,
                first_hit_ms: &common,
            })
            .collect();
        round[3].first_hit_ms = &rare;
        round[5].first_hit_ms = &late;
        round[6].first_hit_ms = &rare;
        round[6].failed = true;
        let branching = Branching {
            budget: 4,
            children: 3,
        };
        let mut chooser = Chooser::default();
        let points = chooser.choose(&branching, &round, 10, 20_000);
        // 3 of 10 runs hit gap_fill_replayed (30%): not rare (and seed 5's first hit leaves
        // too little of the safety phase, seed 6 failed).
        assert!(points.is_empty(), "{points:?}");
        let mut round: Vec<FreshRun<'_>> = (0..20)
            .map(|seed| FreshRun {
                seed,
                failed: false,
                first_hit_ms: &common,
            })
            .collect();
        round[7].first_hit_ms = &rare;
        let points = chooser.choose(&branching, &round, 30, 20_000);
        // 4 of 30 (13%): still not rare.
        assert!(points.is_empty(), "{points:?}");
        let many: Vec<FreshRun<'_>> = (100..170)
            .map(|seed| FreshRun {
                seed,
                failed: false,
                first_hit_ms: if seed == 150 { &rare } else { &common },
            })
            .collect();
        let points = chooser.choose(&branching, &many, 100, 20_000);
        // 5 of 100 (5%) is rare: seed 150 branches at its first gap fill, 3 children.
        assert_eq!(points.len(), 3, "{points:?}");
        assert!(points
            .iter()
            .all(|p| p.parent_seed == 150 && p.probe == "gap_fill_replayed" && p.at_ms == 6_000));
        let off = Chooser::default().choose(&Branching::OFF, &many, 100, 20_000);
        assert!(off.is_empty());
    }
}
