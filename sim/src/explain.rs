//! `yim-sim explain`: a failing run told as text. Each violation is printed with the history
//! entries it cites and the entries before it, in the one-line format of [`crate::lines`].
//! The context is narrowed to what matters: the clients the cited entries belong to, plus the
//! fault schedule and the operator. The run comes from a file: a scenario (replayed; the
//! same scenario gives the same history) or a history exported with `run --history` (checked
//! against its scenario, without running anything).

use std::collections::BTreeSet;
use std::path::Path;

use crate::checkers::{self, Violation};
use crate::history::{Entry, History, Record};
use crate::lines::{self, Lines};
use crate::scenario::{Scenario, ScenarioError};

/// A run to explain.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The scenario.
    pub scenario: Scenario,
    /// Its history, as the file had it or as a run made it.
    pub history: History,
    /// The checkers' violations of the history.
    pub violations: Vec<Violation>,
    /// `replayed` or `read`, for the reader.
    pub how: &'static str,
}

/// A file `explain` could not use.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The scenario file is not a valid scenario.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    #[error(
        "{path} is neither a scenario ({as_scenario}) nor a history (line {line}: {as_history})"
    )]
    /// The file is neither a scenario nor a history.
    Unreadable {
        /// The file.
        path: String,
        /// Why it is not a scenario.
        as_scenario: serde_json::Error,
        /// The first line that is not a history entry.
        line: usize,
        /// Why that line is not a history entry.
        as_history: serde_json::Error,
    },
    /// A history was given without its scenario.
    #[error("{0} is a history: give its scenario with --scenario (the file the run was made from, or `run --save-scenario`)")]
    NeedsScenario(String),
}

/// Loads `path`: a scenario is replayed (with whatever planted bug is on for this thread); a
/// history is checked against `scenario`, which it needs.
pub fn load(path: &Path, scenario: Option<&Path>) -> Result<Loaded, ExplainError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ExplainError::Io {
        path: shown.clone(),
        source,
    })?;
    let as_scenario = match serde_json::from_str::<Scenario>(&text) {
        Ok(replayed) => {
            replayed.validate()?;
            let outcome = crate::run(&replayed);
            return Ok(Loaded {
                scenario: replayed,
                history: outcome.history,
                violations: outcome.violations,
                how: "replayed",
            });
        }
        Err(e) => e,
    };
    let mut history = History::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(record) => history.records.push(record),
            Err(as_history) => {
                return Err(ExplainError::Unreadable {
                    path: shown,
                    as_scenario,
                    line: i + 1,
                    as_history,
                })
            }
        }
    }
    let scenario = Scenario::load(scenario.ok_or(ExplainError::NeedsScenario(shown))?)?;
    let violations = checkers::check_all(&scenario, &history).violations;
    Ok(Loaded {
        scenario,
        history,
        violations,
        how: "read",
    })
}

/// Entries shown before a violation's last cited entry, by default.
pub const DEFAULT_BEFORE: usize = 25;

/// The text `explain` prints for a run.
pub fn explain(
    scenario: &Scenario,
    history: &History,
    violations: &[Violation],
    before: usize,
) -> String {
    let lines = Lines::new(scenario, history);
    let mut out = format!(
        "seed {}: {} entries, {} violation{}, history {}\n",
        scenario.seed,
        history.records.len(),
        violations.len(),
        if violations.len() == 1 { "" } else { "s" },
        &history.hash()[..16]
    );
    out.push_str(
        "(line format: TIME #POSITION WHO WHAT; legend in sim/README.md; > marks a cited entry)\n",
    );
    for (i, violation) in violations.iter().enumerate() {
        out.push('\n');
        out.push_str(&format!(
            "VIOLATION {}/{} {} at {}: {}\n",
            i + 1,
            violations.len(),
            violation.checker,
            lines::time(violation.at_ms).trim(),
            lines.readable(&violation.detail)
        ));
        let cited: Vec<String> = violation
            .positions
            .iter()
            .map(|p| format!("#{p}"))
            .collect();
        if !cited.is_empty() {
            out.push_str(&format!("  cites {}\n", cited.join(" ")));
        }
        for shown in context(history, violation, before) {
            match shown {
                Shown::Gap => out.push_str("   ...\n"),
                Shown::Entry(position) => {
                    let mark = if violation.positions.contains(&position) {
                        '>'
                    } else {
                        ' '
                    };
                    out.push_str(&format!("{mark} {}\n", lines.line(position)));
                }
            }
        }
    }
    out
}

/// One line of a violation's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The history entry at this position.
    Entry(usize),
    /// Relevant entries left out.
    Gap,
}

/// What to show for `violation`: every cited entry, and the `before` relevant entries up to
/// its last cited one (relevant: of a client a cited entry belongs to, or a fault, heal or
/// operator action; every entry if no cited entry has a client). Without citations, the last
/// `before` entries of the history.
pub fn context(history: &History, violation: &Violation, before: usize) -> Vec<Shown> {
    let records = &history.records;
    if records.is_empty() {
        return Vec::new();
    }
    let cited: BTreeSet<usize> = violation
        .positions
        .iter()
        .copied()
        .filter(|&p| p < records.len())
        .collect();
    let anchor = cited.last().copied().unwrap_or(records.len() - 1);
    let clients: BTreeSet<usize> = cited
        .iter()
        .filter_map(|&p| lines::app_of(&records[p].entry))
        .map(|app| app.client)
        .collect();
    let relevant = |position: usize| {
        let entry = &records[position].entry;
        clients.is_empty()
            || matches!(
                entry,
                Entry::Fault { .. } | Entry::Heal | Entry::Admin { .. }
            )
            || lines::app_of(entry).is_some_and(|app| clients.contains(&app.client))
    };
    let mut shown: BTreeSet<usize> = cited.clone();
    shown.extend(
        (0..=anchor)
            .rev()
            .filter(|&p| relevant(p))
            .take(before.max(1)),
    );
    let mut out = Vec::new();
    let mut previous: Option<usize> = None;
    for &position in &shown {
        let skipped_from = previous.map_or(0, |p| p + 1);
        if (skipped_from..position).any(relevant) {
            out.push(Shown::Gap);
        }
        out.push(Shown::Entry(position));
        previous = Some(position);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::AppId;

    fn app(client: usize) -> AppId {
        AppId {
            client,
            incarnation: 1,
        }
    }

    #[test]
    fn context_keeps_cited_entries_and_the_cited_clients_before_them() {
        let mut history = History::default();
        for i in 0..10u64 {
            // Even positions client 0, odd positions client 1.
            history.push(
                i,
                Entry::KickOff {
                    app: app(i as usize % 2),
                },
            );
        }
        history.push(10, Entry::Heal);
        history.push(11, Entry::KickOff { app: app(0) });
        let violation = Violation {
            checker: "kick_off".into(),
            at_ms: 11,
            detail: String::new(),
            positions: vec![0, 11],
        };
        let shown = context(&history, &violation, 3);
        assert_eq!(
            shown,
            [
                Shown::Entry(0),
                Shown::Gap,
                Shown::Entry(8),
                Shown::Entry(10),
                Shown::Entry(11)
            ]
        );
        let uncited = Violation {
            positions: Vec::new(),
            ..violation
        };
        assert_eq!(
            context(&history, &uncited, 2),
            [Shown::Gap, Shown::Entry(10), Shown::Entry(11)]
        );
    }
}
