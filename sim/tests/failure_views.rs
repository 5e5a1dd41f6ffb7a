//! A failing seed seen three ways (feature `planted-bugs`, to have a failure): the sweep's
//! HTML timeline is one self-contained file that shows the violation, the entries it cites
//! and one lane per client; violations cite history positions; `explain` replays the saved
//! scenario (exactly, the planted bug included) and prints the violation with the cited
//! entries marked.

use yim_hooks::planted::{self, Bug};
use yim_sim::generate::Profile;
use yim_sim::sweep::{sweep, SweepConfig};

mod common;
use common::sweep_config;
use yim_sim::timeline::escape;

#[test]
fn a_failing_seed_gets_a_self_contained_timeline_and_an_explanation() {
    let dir = std::env::temp_dir().join(format!("yim-sim-views-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = SweepConfig {
        jobs: 1,
        out_dir: Some(dir.clone()),
        ..sweep_config(0, 1, Profile::Calm)
    };
    let report = sweep(&config, || planted::set(Some(Bug::DropFanout)));
    let result = &report.results[0];
    let violation = result
        .violations
        .first()
        .expect("a dropped fan-out is caught in seed 0");
    assert!(result.violations.iter().all(|v| !v.positions.is_empty()));
    assert_eq!(report.replays.len(), 1);
    assert!(report.replays[0].contains("--plant drop-fanout"));

    let html = std::fs::read_to_string(dir.join("failure-seed-0.html")).expect("timeline written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for fetched in [
        "http://", "https://", "src=", "<link", "@import", "url(http",
    ] {
        assert!(
            !html.contains(fetched),
            "the page must fetch nothing: {fetched}"
        );
    }
    assert!(html.contains("<svg") && html.contains("<script>"));
    assert!(html.contains(&escape(&violation.checker)));
    assert!(
        html.contains("stayed in"),
        "the violation's detail is shown"
    );
    let scenario = yim_sim::Scenario::load(&dir.join("failure-seed-0.json")).unwrap();
    for (client, spec) in scenario.clients.iter().enumerate() {
        let label = format!(">c{client} {} <tspan", escape(&spec.user));
        assert_eq!(
            html.matches(&label).count(),
            1,
            "one lane for client {client}"
        );
    }
    assert_eq!(
        html.matches("class=\"lane client\"").count(),
        scenario.clients.len()
    );
    assert_eq!(html.matches("class=\"lane server\"").count(), 1);
    for p in &violation.positions {
        assert!(
            html.contains(&format!("data-goto=\"{p}\"")),
            "cited #{p} listed"
        );
    }
    assert!(html.contains(" cited\""), "cited entries are highlighted");

    // explain replays the saved scenario with the bug on and finds the same violation.
    planted::set(Some(Bug::DropFanout));
    let loaded = yim_sim::explain::load(&dir.join("failure-seed-0.json"), None).unwrap();
    planted::set(None);
    assert_eq!(loaded.violations[0].checker, violation.checker);
    // Not shrunk, the saved scenario is the seed's: with the bug on, it replays exactly.
    assert_eq!(loaded.history.hash(), result.history_hash);
    assert_eq!(loaded.violations, result.violations);
    let text = yim_sim::explain::explain(&loaded.scenario, &loaded.history, &loaded.violations, 10);
    assert!(text.contains(&format!(
        "VIOLATION 1/{} {}",
        loaded.violations.len(),
        violation.checker
    )));
    let marked = text.lines().filter(|l| l.starts_with('>')).count();
    assert!(marked >= loaded.violations[0].positions.len(), "{text}");

    // An exported history is checked against its scenario, without running: the same verdict.
    let exported = dir.join("history.jsonl");
    std::fs::write(&exported, loaded.history.to_jsonl()).unwrap();
    let read = yim_sim::explain::load(&exported, Some(&dir.join("failure-seed-0.json"))).unwrap();
    assert_eq!(read.how, "read");
    assert_eq!(read.history.hash(), result.history_hash);
    assert_eq!(read.violations, result.violations);
    assert!(matches!(
        yim_sim::explain::load(&exported, None),
        Err(yim_sim::explain::ExplainError::NeedsScenario(_))
    ));
    let garbage = dir.join("garbage.json");
    std::fs::write(&garbage, "{\"not\": \"a run\"}\n").unwrap();
    assert!(matches!(
        yim_sim::explain::load(&garbage, None),
        Err(yim_sim::explain::ExplainError::Unreadable { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}
