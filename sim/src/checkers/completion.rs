//! **completion**: every call that returned a request ID gets exactly one completion, within
//! [`COMPLETION_BOUND_MS`](super::COMPLETION_BOUND_MS) of its invoke, or of the end of a
//! reconnect that began before it was due (calls wait during an outage and complete after the
//! session resumes, or with NetError when the reconnect gives up); a call refused at once gets
//! none, and no completion names a request that was never made. Exceptions: a call whose app
//! stopped (host crash, app restart) before the call completed may get none; a call not due
//! before the end of the run is not judged for lateness.

use super::{Facts, Findings, COMPLETION_BOUND_MS};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for (key, invoke) in &facts.invokes {
        if facts.voice_cancelled.contains_key(key) {
            continue; // a cancelled recording gets no event at all (see `voice`)
        }
        findings.examined();
        let completions = facts.completions.get(key).map_or(&[][..], Vec::as_slice);
        if completions.len() > 1 {
            let cited: Vec<usize> = std::iter::once(invoke.position)
                .chain(completions.iter().map(|c| c.position))
                .collect();
            findings.violation(
                completions[1].at_ms,
                &cited,
                format!(
                    "{:?} request {} completed {} times",
                    invoke.app,
                    key.1,
                    completions.len()
                ),
            );
            continue;
        }
        let stopped_ms = facts.app_stops.get(&invoke.app).copied();
        let due_ms = facts.completion_due_ms(invoke.app, invoke.at_ms, COMPLETION_BOUND_MS);
        match completions.first() {
            Some(done) => {
                let late = done.at_ms > due_ms;
                if late && stopped_ms.is_none_or(|stop| stop > due_ms) {
                    findings.violation(
                        done.at_ms,
                        &[invoke.position, done.position],
                        format!(
                            "{:?} request {} completed {} ms after its call",
                            invoke.app,
                            key.1,
                            done.at_ms - invoke.at_ms
                        ),
                    );
                }
            }
            None => {
                let due = due_ms <= facts.end_ms;
                let died = stopped_ms.is_some_and(|stop| stop >= invoke.at_ms);
                if due && !died {
                    findings.violation(
                        invoke.at_ms,
                        &[invoke.position],
                        format!(
                            "{:?} request {} ({:?}) never completed",
                            invoke.app, key.1, invoke.call
                        ),
                    );
                }
            }
        }
    }
    for &(at_ms, position, app, request_id) in &facts.orphan_completions {
        findings.examined();
        findings.violation(
            at_ms,
            &[position],
            format!("{app:?} completion of request {request_id}, never made"),
        );
    }
}
