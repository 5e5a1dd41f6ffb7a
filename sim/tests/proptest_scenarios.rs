//! Property: no scenario without connection-breaking faults violates any checker. proptest
//! generates small scenarios and, on failure, shrinks them.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn clean_scenarios_pass_every_checker(scenario in yim_sim::strategy::scenario(false)) {
        scenario.validate().unwrap();
        let outcome = yim_sim::run(&scenario);
        prop_assert!(outcome.violations.is_empty(), "{:#?}", outcome.violations);
    }
}
