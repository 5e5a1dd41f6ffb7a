//! A sweep run in shards and merged (`yim-sim merge`) reports what one machine's sweep of the
//! same seeds reports: the same results per seed (all but wall time) and the same table.

use std::path::PathBuf;

use yim_sim::generate::Profile;
use yim_sim::merge::merge;
use yim_sim::sweep::{sweep, SeedResult, SweepConfig, SweepReport};

mod common;
use common::sweep_config;

fn config(shard: (u64, u64), out_dir: PathBuf) -> SweepConfig {
    SweepConfig {
        shard,
        out_dir: Some(out_dir),
        ..sweep_config(3, 5, Profile::Calm)
    }
}

/// Results without wall time, which no two runs share.
fn timeless(report: &SweepReport) -> Vec<SeedResult> {
    let mut results = report.results.clone();
    for r in &mut results {
        r.wall_ms = 0;
    }
    results
}

/// The table without its wall-time lines.
fn table_without_wall_time(report: &SweepReport) -> String {
    report
        .table()
        .lines()
        .filter(|l| !l.starts_with("wall time") && !l.starts_with("simulated s per wall s"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn two_shards_merged_equal_one_sweep_of_the_same_seeds() {
    let root = std::env::temp_dir().join(format!("yim-sim-merge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let single = sweep(&config((0, 1), root.join("single")), || {});
    let shards: Vec<PathBuf> = (0..2).map(|i| root.join(format!("shard-{i}"))).collect();
    for (i, dir) in shards.iter().enumerate() {
        let shard = sweep(&config((i as u64, 2), dir.clone()), || {});
        assert!(!shard.results.is_empty() && shard.results.len() < single.results.len());
    }

    let merged = merge(&shards).expect("the shards merge");
    assert_eq!(
        merged
            .report
            .results
            .iter()
            .map(|r| r.seed)
            .collect::<Vec<_>>(),
        (3..8).collect::<Vec<_>>()
    );
    assert_eq!(timeless(&merged.report), timeless(&single));
    assert_eq!(
        table_without_wall_time(&merged.report),
        table_without_wall_time(&single)
    );
    assert!(merged.missing_seeds.is_empty());
    let info = merged.info.expect("every shard wrote sweep.json");
    assert_eq!((info.from_seed, info.seeds, info.shard), (3, 5, (0, 1)));

    // One shard alone is a sweep with seeds missing; a shard given twice overlaps.
    let half = merge(&shards[..1]).expect("one shard merges");
    assert_eq!(half.missing_seeds, [3, 5, 7]);
    let twice = merge(&[shards[0].clone(), shards[0].clone()]);
    assert!(matches!(
        twice,
        Err(yim_sim::merge::MergeError::DuplicateSeed { seed: 4, .. })
    ));
    std::fs::remove_dir_all(&root).ok();
}
