//! **no_duplicates**: exactly once to the application: no app delivers the same message ID
//! twice, across reconnects, logins and redeliveries; and no app receives one send twice under
//! two message IDs (a resend after a reconnect that the server took for a new message; every
//! send in a simulation has a unique body). Judged per app run (`AppId`): an app that
//! restarts has lost what it delivered (the SDK keeps nothing on disk), so a message it never
//! acknowledged may come again after the restart. Exempt from the second rule: a send whose
//! first copy the server lost in a power loss under durability `normal` (its idempotency key
//! went with it, so a resend is a new message).

use std::collections::{BTreeMap, BTreeSet};

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut seen = BTreeSet::new();
    let mut bodies = BTreeMap::new();
    for &(at_ms, app, message) in &facts.deliveries {
        findings.examined();
        if !seen.insert((app, message.message_id)) {
            findings.violation(
                at_ms,
                format!("{app:?} got message {} twice", message.message_id),
            );
            continue;
        }
        let key = (app, message.sender.as_str(), &message.body);
        let lost = |id| facts.lost_in_power_loss.contains(&id);
        let previous = bodies.insert(key, message.message_id);
        if let Some(first_id) = previous.filter(|&first| !lost(first) && !lost(message.message_id))
        {
            findings.violation(
                at_ms,
                format!(
                    "{app:?} got one send of {} twice, as messages {first_id} and {}",
                    message.sender, message.message_id
                ),
            );
        }
    }
}
