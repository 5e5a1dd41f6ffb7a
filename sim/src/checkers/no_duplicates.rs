//! **no_duplicates**: no app delivers the same message ID twice, across reconnects, logins and
//! redeliveries. Judged per app run (`AppId`): an app that restarts has lost what it
//! delivered (the SDK keeps nothing on disk), so a message it never acknowledged may come
//! again after the restart.

use std::collections::BTreeSet;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut seen = BTreeSet::new();
    for &(at_ms, app, message) in &facts.deliveries {
        findings.examined();
        if !seen.insert((app, message.message_id)) {
            findings.violation(
                at_ms,
                format!("{app:?} got message {} twice", message.message_id),
            );
        }
    }
}
