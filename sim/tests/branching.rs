//! Branching from rare states (`yim_sim::branch`, `sweep --branch-budget`): a child keeps its
//! parent's beginning exactly, a branched run replays from what the sweep prints (also through
//! `yim-sim run`), and with branching off a sweep runs exactly what it ran before branching
//! existed (pinned history hashes).

use yim_sim::branch::{child_seed, BranchPoint, Branching, MIN_SUFFIX_MS};
use yim_sim::generate::{generate, Profile, Size};
use yim_sim::history::Record;
use yim_sim::sweep::{sweep, SweepConfig, SweepReport};

mod common;
use common::sweep_config;

fn up_to(records: &[Record], at_ms: u64) -> Vec<&Record> {
    records.iter().filter(|r| r.at_ms <= at_ms).collect()
}

/// The history of `yim-sim run ARGS`, run in a process of its own.
fn history_of_process(args: &[String]) -> Vec<Record> {
    let path = std::env::temp_dir().join(format!(
        "yim-sim-branching-{}-{}.jsonl",
        std::process::id(),
        args.join("_")
    ));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yim-sim"))
        .arg("run")
        .args(args)
        .arg("--history")
        .arg(&path)
        .output()
        .expect("yim-sim runs");
    assert!(output.status.code().is_some(), "{output:?}");
    let text = std::fs::read_to_string(&path).expect("run --history wrote the history");
    std::fs::remove_file(&path).ok();
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a history record"))
        .collect()
}

#[test]
fn a_child_keeps_its_parents_beginning_exactly() {
    let size = Size::small();
    for (seed, profile) in [(5, Profile::Calm), (3, Profile::Faulty)] {
        let parent = generate(seed, &size, profile);
        let parent_run = yim_sim::run(&parent);
        // The latest first hit that leaves enough to branch (the sweep picks rare probes;
        // any probe's first hit is a branch point).
        let (probe, at_ms) = parent_run
            .stats
            .probe_first_hit_ms
            .iter()
            .filter(|(_, at_ms)| **at_ms + MIN_SUFFIX_MS <= size.safety_ms)
            .max_by_key(|(_, at_ms)| **at_ms)
            .map(|(probe, at_ms)| (probe.clone(), *at_ms))
            .expect("some probe is hit early enough");
        let point = BranchPoint {
            parent_seed: seed,
            probe: probe.clone(),
            at_ms,
            child_seed: child_seed(seed, &probe, 0),
        };
        let child = point.scenario(&size, profile);
        child.validate().unwrap();
        let donor = generate(point.child_seed, &size, profile);

        // The scenario: the parent's ops and faults up to the branch point, the donor's ops
        // after it; everything else the parent's.
        let kept = parent.ops.iter().filter(|t| t.at_ms <= at_ms).count();
        assert!(kept > 0 && kept < parent.ops.len());
        assert_eq!(child.ops[..kept], parent.ops[..kept]);
        let after: Vec<_> = donor.ops.iter().filter(|t| t.at_ms > at_ms).collect();
        assert_eq!(child.ops[kept..].iter().collect::<Vec<_>>(), after);
        let faults_kept = parent.faults.iter().filter(|t| t.at_ms <= at_ms).count();
        assert_eq!(child.faults[..faults_kept], parent.faults[..faults_kept]);
        assert!(child.faults[faults_kept..].iter().all(|t| t.at_ms > at_ms));
        assert_eq!(
            (child.seed, &child.clients, child.durability),
            (parent.seed, &parent.clients, parent.durability)
        );

        // The run: the same history up to the branch point, another one after it.
        if profile == Profile::Calm {
            let child_run = yim_sim::run(&child);
            assert_eq!(
                up_to(&child_run.history.records, at_ms),
                up_to(&parent_run.history.records, at_ms),
                "seed {seed}: the child's history up to {at_ms} ms is the parent's"
            );
            assert_eq!(
                child_run.stats.probe_first_hit_ms.get(&probe),
                Some(&at_ms),
                "the probe is first hit at the same moment: {probe}"
            );
            assert_ne!(child_run.history.hash(), parent_run.history.hash());
        } else {
            // Faulty runs in processes of their own (some differ after other runs in the
            // same process, a dependence that predates branching).
            let parent_args = vec![
                "--seed".to_owned(),
                seed.to_string(),
                "--profile".to_owned(),
                "faulty".to_owned(),
            ];
            let mut child_args = parent_args.clone();
            child_args.extend(point.run_args().split(' ').skip(2).map(str::to_owned));
            let parent_history = history_of_process(&parent_args);
            let child_history = history_of_process(&child_args);
            assert_eq!(
                up_to(&child_history, at_ms),
                up_to(&parent_history, at_ms),
                "seed {seed}: the child's history up to {at_ms} ms is the parent's"
            );
            assert_ne!(child_history, parent_history);
        }
    }
}

/// `--seed P --branch-at-ms T --branch-seed C` out of a printed command.
fn branch_point_of(command: &str) -> BranchPoint {
    let words: Vec<&str> = command.split_whitespace().collect();
    let value = |option: &str| -> u64 {
        let at = words
            .iter()
            .position(|w| *w == option)
            .expect("the option is printed");
        words[at + 1].parse().expect("a number")
    };
    BranchPoint {
        parent_seed: value("--seed"),
        probe: String::new(),
        at_ms: value("--branch-at-ms"),
        child_seed: value("--branch-seed"),
    }
}

fn timeless(report: &SweepReport) -> Vec<yim_sim::sweep::SeedResult> {
    let mut results = report.results.clone();
    for r in &mut results {
        r.wall_ms = 0;
    }
    results
}

#[test]
fn a_branched_run_replays_from_what_the_sweep_prints() {
    let branching = Branching {
        budget: 4,
        children: 2,
    };
    // Faulty seeds: their probes vary more, so some probe is rare among them (calm seeds 0-15
    // came to hit only common ones once writes were batched).
    let config = SweepConfig {
        branching,
        ..sweep_config(0, 16, Profile::Faulty)
    };
    let report = sweep(&config, || {});
    let children: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.branch.is_some())
        .collect();
    assert!(
        !children.is_empty() && children.len() <= branching.budget,
        "{}",
        report.table()
    );
    assert_eq!(report.branches.len(), children.len());
    assert_eq!(report.violations(), 0, "{}", report.table());
    for child in &children {
        let point = child.branch.clone().unwrap();
        // Each child is printed once, as the command that replays it.
        let printed: Vec<(&String, BranchPoint)> = report
            .branches
            .iter()
            .map(|command| (command, branch_point_of(command)))
            .filter(|(_, printed)| printed.child_seed == point.child_seed)
            .collect();
        let [(command, printed)] = printed.as_slice() else {
            panic!("child {point:?} printed {} times", printed.len());
        };
        assert_eq!(
            (printed.parent_seed, printed.at_ms),
            (point.parent_seed, point.at_ms),
            "{command}"
        );
        assert_eq!(child.seed, point.parent_seed);
        let replayed = yim_sim::run(&printed.scenario(&Size::small(), Profile::Faulty));
        assert_eq!(replayed.history.hash(), child.history_hash, "{command}");
    }

    // What is run does not depend on the number of threads.
    let one_thread = sweep(&SweepConfig { jobs: 1, ..config }, || {});
    assert_eq!(timeless(&one_thread), timeless(&report));

    // `yim-sim run` with the printed options replays it: the same history.
    let command = &report.branches[0];
    let args: Vec<&str> = command
        .split(" -- ")
        .nth(1)
        .and_then(|rest| rest.split("   #").next())
        .unwrap()
        .split_whitespace()
        .collect();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_yim-sim"))
        .args(&args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let child_seed = branch_point_of(command).child_seed;
    let child = children
        .iter()
        .find(|c| {
            c.branch
                .as_ref()
                .is_some_and(|b| b.child_seed == child_seed)
        })
        .unwrap();
    assert!(
        stdout.contains(&format!("history {}", &child.history_hash[..16])),
        "{args:?}: {stdout}"
    );
}

/// Seeds' history hashes (the first 16 hex digits, as `yim-sim run` prints them): with
/// branching off, a sweep makes the same runs as without branching. Pinned from the code as it
/// is; a change that alters runs on purpose updates them and says why in its commit (last:
/// the server's batched writes, which change when frames arrive, and the disk faults at a
/// group's sync and power loss under `full`, which change the faulty seeds' fault schedules).
const PINNED_CALM: [(u64, &str); 4] = [
    (0, "8bc388506e69a473"),
    (1, "ffae323c0d85de69"),
    (2, "0a2465073d7e28b4"),
    (3, "14351d590e42075a"),
];
const PINNED_FAULTY: [(u64, &str); 4] = [
    (0, "0c4574fd139e6651"),
    (1, "47746604ad7ba62d"),
    (2, "d999e9bfd3a5bd07"),
    (3, "29aded4becdef057"),
];

#[test]
fn with_branching_off_a_sweep_runs_what_it_ran_before() {
    let report = sweep(&sweep_config(0, 4, Profile::Calm), || {});
    let hashes: Vec<(u64, &str)> = report
        .results
        .iter()
        .map(|r| (r.seed, &r.history_hash[..16]))
        .collect();
    assert_eq!(hashes, PINNED_CALM);
    assert!(report.branches.is_empty());
    assert!(report.results.iter().all(|r| r.branch.is_none()));
}

/// Each faulty seed in a process of its own, as a user runs it (faulty runs used to differ
/// after other runs in the same process, which `yim_sim::close_order` ended; determinism.rs
/// checks that).
#[test]
fn with_branching_off_yim_sim_run_gives_the_pinned_histories() {
    for (seed, hash) in PINNED_FAULTY {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_yim-sim"))
            .args(["run", "--seed", &seed.to_string(), "--profile", "faulty"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains(&format!("history {hash}")),
            "seed {seed}: {stdout}"
        );
    }
}

/// A failing child is a scenario like any other: saved, loaded and shrunk, it still fails.
#[cfg(feature = "planted-bugs")]
#[test]
fn a_failing_child_is_shrunk_and_replays() {
    use yim_hooks::planted::{self, Bug};
    let size = Size::small();
    planted::set(Some(Bug::DropFanout));
    let parent = yim_sim::run(&generate(0, &size, Profile::Calm));
    let (probe, at_ms) = parent
        .stats
        .probe_first_hit_ms
        .iter()
        .find(|(_, at_ms)| **at_ms + MIN_SUFFIX_MS <= size.safety_ms)
        .map(|(probe, at_ms)| (probe.clone(), *at_ms))
        .expect("a probe hit early");
    let point = BranchPoint {
        parent_seed: 0,
        child_seed: child_seed(0, &probe, 0),
        probe,
        at_ms,
    };
    let child = point.scenario(&size, Profile::Calm);
    let failed = yim_sim::run(&child);
    let checker = failed
        .violations
        .first()
        .expect("one fan-out in seven dropped: the child fails too")
        .checker
        .clone();
    let still_fails = |s: &yim_sim::Scenario| {
        yim_sim::run(s)
            .violations
            .iter()
            .any(|v| v.checker == checker)
    };
    let shrunk = yim_sim::shrink::shrink(&child, 12, still_fails);
    assert!(shrunk.ops.len() < child.ops.len());
    let path = std::env::temp_dir().join(format!("yim-sim-branch-{}.json", std::process::id()));
    shrunk.save(&path).unwrap();
    let loaded = yim_sim::Scenario::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(still_fails(&loaded));
    planted::set(None);
}
