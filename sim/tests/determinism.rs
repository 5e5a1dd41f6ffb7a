//! The same seed and scenario give the same history, byte for byte; different seeds differ.

use yim_sim::generate::{generate, Profile, Size};

#[test]
fn same_seed_same_history_hash_and_different_seeds_differ() {
    for (seed, profile) in [(5, Profile::Calm), (56, Profile::Faulty)] {
        let scenario = generate(seed, &Size::small(), profile);
        let first = yim_sim::run(&scenario);
        let second = yim_sim::run(&scenario);
        assert!(!first.history.records.is_empty());
        assert_eq!(
            first.history.hash(),
            second.history.hash(),
            "seed {seed} replays exactly"
        );
        assert_eq!(first.violations, second.violations);
        let other = yim_sim::run(&generate(seed + 1, &Size::small(), profile));
        assert_ne!(
            first.history.hash(),
            other.history.hash(),
            "seeds {seed} and {} differ",
            seed + 1
        );
    }
}

#[test]
fn a_scenario_survives_a_round_trip_through_its_file() {
    let scenario = generate(9, &Size::small(), Profile::Faulty);
    let dir = std::env::temp_dir().join(format!("yim-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.json");
    scenario.save(&path).unwrap();
    let loaded = yim_sim::Scenario::load(&path).unwrap();
    assert_eq!(loaded, scenario);
    assert_eq!(
        yim_sim::run(&loaded).history.hash(),
        yim_sim::run(&scenario).history.hash()
    );
    std::fs::remove_dir_all(&dir).ok();
}
