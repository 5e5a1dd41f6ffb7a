//! Bounded sweeps sized for CI, and the meta-tests that keep them honest: every fault kind
//! fires, every checker examines a non-empty history, and every coverage probe not marked
//! rare is hit, so a green sweep is not a vacuous one.

use yim_sim::generate::Profile;
use yim_sim::sweep::{sweep, SweepReport};

mod common;
use common::sweep_config;

/// Asserts each checker examined something, but those in `idle` (which have nothing to judge
/// in the profile).
fn assert_every_checker_examined_something(report: &SweepReport, idle: &[&str]) {
    let examined = report.examined_by_checker();
    assert_eq!(examined.len(), yim_sim::checkers::CHECKERS.len());
    for (checker, count) in examined {
        assert!(
            count > 0 || idle.contains(&checker.as_str()),
            "checker {checker} examined nothing:\n{}",
            report.table()
        );
    }
}

/// Nothing breaks a connection in the calm profile, so the SDK never reconnects.
#[test]
fn the_calm_profile_passes_every_checker() {
    let report = sweep(&sweep_config(0, 24, Profile::Calm), || {});
    assert_eq!(
        report.violations(),
        0,
        "{}\n{:#?}",
        report.table(),
        report
            .results
            .iter()
            .flat_map(|r| &r.violations)
            .collect::<Vec<_>>()
    );
    assert_every_checker_examined_something(&report, &["reconnect"]);
    let faults = report.faults_by_kind();
    for kind in ["latency", "clock_skew"] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never fired:\n{}",
            report.table()
        );
    }
}

/// Connection-breaking faults too: partitions (both ways and one way), holds, server and
/// client crashes (also at an SDK's local store write), app restarts, clock skew, and the
/// disk's: crash points before and after a commit, in a voice upload and at a group's sync
/// (as a process crash or a power loss), power loss, failing commits and failing syncs. The SDK reconnects and resumes (rooms re-joined
/// with replay, waiting calls resent with their idempotency keys), private messages are kept
/// until acknowledged, and each is delivered once: this profile passes every checker.
#[test]
fn the_faulty_profile_fires_every_fault_and_passes_every_checker() {
    let report = sweep(&sweep_config(40, 64, Profile::Faulty), || {});
    let faults = report.faults_by_kind();
    for kind in [
        "latency",
        "clock_skew",
        "partition",
        "partition_oneway",
        "repair",
        "hold",
        "release",
        "server_crash",
        "server_restart",
        "client_crash",
        "client_restart",
        "client_crash_at_store",
        "crash_before_commit",
        "crash_after_commit",
        "crash_mid_upload",
        "power_loss",
        // A power loss right after a sync loses nothing: this one lost commits.
        "power_loss_lost_commits",
        "store_failure",
        "crash_at_sync",
        "power_loss_at_sync",
        "sync_failure_kept",
        "sync_failure_lost",
        "sync_failure_visible",
    ] {
        assert!(
            faults.get(kind).copied().unwrap_or(0) > 0,
            "{kind} never fired:\n{}",
            report.table()
        );
    }
    assert_every_checker_examined_something(&report, &[]);
    assert_eq!(report.violations(), 0, "{}", report.table());
    let unhit = report.unhit_probes();
    assert!(
        unhit.is_empty(),
        "probes never hit (mark a probe rare only if CI's sweep cannot be made to reach it): {unhit:?}\n{}",
        report.table()
    );
}
