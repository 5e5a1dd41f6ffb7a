//! Shrinking a failing scenario by delta debugging: drop chunks of operations and faults
//! (halves, then quarters, ... then single ones) while the same checker still fails, within
//! a budget of runs. The result is usually a handful of operations that show the bug.

use crate::scenario::Scenario;

/// Shrinks `scenario` while `still_fails` holds, trying at most `max_runs` candidates.
pub fn shrink(
    scenario: &Scenario,
    max_runs: usize,
    still_fails: impl Fn(&Scenario) -> bool,
) -> Scenario {
    let mut best = scenario.clone();
    let mut runs = 0;
    let mut try_candidate = |candidate: Scenario, best: &mut Scenario| -> bool {
        if runs >= max_runs {
            return false;
        }
        runs += 1;
        if still_fails(&candidate) {
            *best = candidate;
            true
        } else {
            false
        }
    };
    for list in [List::Faults, List::Ops, List::Faults] {
        let mut chunk = list.len(&best).div_ceil(2).max(1);
        loop {
            let mut start = 0;
            while start < list.len(&best) {
                let mut candidate = best.clone();
                list.remove(&mut candidate, start, chunk);
                if !try_candidate(candidate, &mut best) {
                    start += chunk;
                }
            }
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

#[derive(Clone, Copy)]
enum List {
    Ops,
    Faults,
}

impl List {
    fn len(self, scenario: &Scenario) -> usize {
        match self {
            List::Ops => scenario.ops.len(),
            List::Faults => scenario.faults.len(),
        }
    }

    fn remove(self, scenario: &mut Scenario, start: usize, count: usize) {
        let end = (start + count).min(self.len(scenario));
        match self {
            List::Ops => drop(scenario.ops.drain(start..end)),
            List::Faults => drop(scenario.faults.drain(start..end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, Profile, Size};
    use crate::scenario::Op;

    #[test]
    fn shrinks_to_the_ops_that_matter() {
        let scenario = generate(3, &Size::small(), Profile::Faulty);
        let needle = scenario
            .ops
            .iter()
            .position(|t| matches!(t.op, Op::SendPrivate { .. }))
            .unwrap();
        let wanted = scenario.ops[needle].clone();
        let shrunk = shrink(&scenario, 10_000, |s| s.ops.contains(&wanted));
        assert_eq!(shrunk.ops, vec![wanted]);
        assert!(shrunk.faults.is_empty());
    }
}
