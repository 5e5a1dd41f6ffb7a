//! **liveness**: after the faults heal, within the liveness phase (the scenario's
//! `liveness_ms`, the stated bound), every client whose player wants to be online (logged in
//! with the right password, not logged out since, not kicked off, and the user's most recent
//! device) is logged in and idle: no call is left pending.

use crate::history::Entry;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for &(at_ms, position, entry) in &facts.finals {
        let Entry::Final {
            app,
            user,
            state,
            pending_calls,
            wants_online,
        } = entry
        else {
            continue;
        };
        if !*wants_online {
            continue;
        }
        findings.examined();
        if state != "LoggedIn" || *pending_calls > 0 {
            findings.violation(
                at_ms,
                &[position],
                format!("{app:?} ({user}) should be online and idle, but is {state} with {pending_calls} pending calls"),
            );
        }
    }
}
