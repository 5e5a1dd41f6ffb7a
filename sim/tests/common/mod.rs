//! What the simulator's integration tests share: the sweep they all start from. Each test
//! file changes only the fields it is about (`SweepConfig { jobs: 1, ..sweep_config(..) }`).

use yim_sim::branch::Branching;
use yim_sim::generate::{Profile, Size};
use yim_sim::sweep::SweepConfig;

/// A CI-sized sweep of `seeds` seeds from `from_seed` in `profile`: small scenarios, two
/// threads, one shard, no output directory, no shrinking, no progress bar, no branching,
/// every seed run.
pub fn sweep_config(from_seed: u64, seeds: u64, profile: Profile) -> SweepConfig {
    SweepConfig {
        from_seed,
        seeds,
        shard: (0, 1),
        jobs: 2,
        size: Size::small(),
        profile,
        out_dir: None,
        shrink_runs: 0,
        progress: false,
        branching: Branching::OFF,
        stop_at_first_failure: false,
    }
}
