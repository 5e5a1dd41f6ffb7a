//! Every scenario in fixtures/regressions replays with no violation. Each is a seed that once
//! failed (a checker's or the system's bug, named in the file name) and was fixed.

#[test]
fn every_regression_scenario_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for path in files {
        let scenario = yim_sim::Scenario::load(&path).unwrap();
        let outcome = yim_sim::run(&scenario);
        assert!(
            outcome.violations.is_empty(),
            "{}: {:#?}",
            path.display(),
            outcome.violations
        );
    }
}
