//! **no_duplicates**: exactly once to the application: no app delivers the same message ID
//! twice, across reconnects, logins and redeliveries; and no app receives one send twice under
//! two message IDs (a resend after a reconnect that the server took for a new message; every
//! send in a simulation has a unique body). Judged per client across its app runs: every
//! simulated client has a disk with the SDK's local store, which remembers what was handed
//! over, so a message is never handed over again after an app restart or a host crash (that
//! room history results are not handed over twice either is `history`'s). Exempt from the
//! second rule: a send whose
//! first copy the server lost in a power loss under durability `normal` (its idempotency key
//! went with it, so a resend is a new message).

use std::collections::BTreeMap;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // (client, message ID) -> position of its first delivery
    let mut seen = BTreeMap::new();
    let mut bodies = BTreeMap::new();
    for &(at_ms, position, app, message) in &facts.deliveries {
        findings.examined();
        if let Some(&first) = seen.get(&(app.client, message.message_id)) {
            findings.violation(
                at_ms,
                &[first, position],
                format!("{app:?} got message {} twice", message.message_id),
            );
            continue;
        }
        seen.insert((app.client, message.message_id), position);
        let key = (app.client, message.sender.as_str(), &message.body);
        let lost = |id| facts.lost_in_power_loss.contains(&id);
        let previous = bodies.insert(key, (message.message_id, position));
        if let Some((first_id, first)) =
            previous.filter(|&(first_id, _)| !lost(first_id) && !lost(message.message_id))
        {
            findings.violation(
                at_ms,
                &[first, position],
                format!(
                    "{app:?} got one send of {} twice, as messages {first_id} and {}",
                    message.sender, message.message_id
                ),
            );
        }
    }
}
