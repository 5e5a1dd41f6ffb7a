//! **no_duplicates**: no client (across reconnects and app restarts) delivers the same message
//! ID twice.

use std::collections::BTreeSet;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut seen = BTreeSet::new();
    for &(at_ms, app, message) in &facts.deliveries {
        findings.examined();
        if !seen.insert((app.client, message.message_id)) {
            findings.violation(
                at_ms,
                format!(
                    "client {} got message {} twice",
                    app.client, message.message_id
                ),
            );
        }
    }
}
