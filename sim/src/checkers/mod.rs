//! Named checkers, each judging one property on a run's history. Every checker module's doc
//! states its property precisely; `check_all` runs them all on an index of the history
//! ([`Facts`]) and reports violations and how many entries each examined (a checker that
//! examined nothing proved nothing: the sweep meta-test asserts each examined something).

pub(crate) mod code;
mod completion;
mod facts;
mod history;
mod kick_off;
mod liveness;
mod login;
mod member_count;
mod membership;
mod mute;
mod no_duplicates;
mod no_echo;
mod no_phantom;
mod private_delivery;
mod reconnect;
mod room_completeness;
mod room_order;
mod sender_fifo;
mod server_membership;
mod voice;
mod voice_meta;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use facts::Facts;

use crate::history::History;
use crate::scenario::Scenario;

/// A property broken, where, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The checker's name.
    pub checker: String,
    /// Simulated time of the entry that shows it.
    pub at_ms: u64,
    /// What is wrong, in words.
    pub detail: String,
    /// The history entries it is about (indices into `History::records`, ascending): the one
    /// that shows the violation and the earlier ones it contradicts.
    #[serde(default)]
    pub positions: Vec<usize>,
}

/// Collects violations for one checker.
#[derive(Debug)]
pub struct Findings {
    checker: &'static str,
    violations: Vec<Violation>,
    examined: usize,
}

impl Findings {
    fn new(checker: &'static str) -> Findings {
        Findings {
            checker,
            violations: Vec::new(),
            examined: 0,
        }
    }

    /// Counts one examined item.
    pub fn examined(&mut self) {
        self.examined += 1;
    }

    /// Records a violation at `at_ms` citing the history entries at `positions`.
    pub fn violation(&mut self, at_ms: u64, positions: &[usize], detail: String) {
        // Bounded: past 20 the rest add nothing to a report.
        if self.violations.len() < 20 {
            let mut positions = positions.to_vec();
            positions.sort_unstable();
            positions.dedup();
            self.violations.push(Violation {
                checker: self.checker.to_owned(),
                at_ms,
                detail,
                positions,
            });
        }
    }
}

/// What `check_all` found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every violation, by checker in report order.
    pub violations: Vec<Violation>,
    /// How many items each checker examined, by checker name.
    pub examined: BTreeMap<String, usize>,
}

/// A checker: its name and its function.
pub type Checker = (&'static str, fn(&Facts<'_>, &mut Findings));

/// Every checker, in report order.
pub const CHECKERS: [Checker; 19] = [
    ("login", login::check),
    ("kick_off", kick_off::check),
    ("membership", membership::check),
    ("server_membership", server_membership::check),
    ("member_count", member_count::check),
    ("no_echo", no_echo::check),
    ("no_phantom", no_phantom::check),
    ("no_duplicates", no_duplicates::check),
    ("room_order", room_order::check),
    ("sender_fifo", sender_fifo::check),
    ("private_delivery", private_delivery::check),
    ("room_completeness", room_completeness::check),
    ("completion", completion::check),
    ("mute", mute::check),
    ("reconnect", reconnect::check),
    ("voice", voice::check),
    ("voice_meta", voice_meta::check),
    ("history", history::check),
    ("liveness", liveness::check),
];

/// Runs every checker on the history.
pub fn check_all(scenario: &Scenario, history: &History) -> Report {
    let facts = Facts::new(scenario, history);
    let mut report = Report::default();
    for (name, check) in CHECKERS {
        let mut findings = Findings::new(name);
        check(&facts, &mut findings);
        report.examined.insert(name.to_owned(), findings.examined);
        report.violations.extend(findings.violations);
    }
    report
}

/// How long after its invoke a call must have completed: the SDK's request timeout (10 s)
/// plus slack for delivery of the completion.
pub const COMPLETION_BOUND_MS: u64 = 12_000;
