//! **private_delivery**: private chat is store-and-forward: every private message whose send
//! completed with Success reaches its receiver (on at least one of the receiver's devices),
//! even if the receiver was offline or its connection broke, provided the receiver is logged
//! in at the end of the run (the liveness phase logs every player who wants to be online back
//! in). That no app gets it twice is `no_duplicates`' property; a player's second device may
//! get a message the first one had not acknowledged. A message in the local history of one
//! of the receiver's clients at the end counts as reached: the SDK stores a message before it
//! hands it over, so one whose hand-over died with its app (a crash between the two) is in
//! the history and, by design, never handed over again. Exempt: a message the server lost in
//! a power loss under durability `normal` (which keeps only synced commits through one).

use std::collections::{BTreeMap, BTreeSet};

use crate::history::Entry;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let online_at_end: BTreeSet<&str> = facts
        .finals
        .iter()
        .filter_map(|(_, _, entry)| match entry {
            Entry::Final { user, state, .. } if state == "LoggedIn" => Some(user.as_str()),
            _ => None,
        })
        .collect();
    let mut delivered: BTreeMap<(&str, u64), usize> = BTreeMap::new();
    for &(_, _, app, message) in &facts.deliveries {
        if !message.room {
            *delivered
                .entry((facts.user(app), message.message_id))
                .or_default() += 1;
        }
    }
    let stored: BTreeSet<(&str, u64)> = facts
        .local_history
        .iter()
        .filter_map(|(_, _, entry)| match entry {
            Entry::LocalHistory { user, messages, .. } => Some((user.as_str(), messages)),
            _ => None,
        })
        .flat_map(|(user, messages)| messages.iter().map(move |m| (user, m.message_id)))
        .collect();
    for send in facts.sends.values() {
        if send.room || !send.succeeded() || !online_at_end.contains(send.receiver) {
            continue;
        }
        let Some(done) = send.completion else {
            continue;
        };
        let Some(info) = done.send else {
            continue;
        };
        if facts.lost_in_power_loss.contains(&info.message_id) {
            continue;
        }
        findings.examined();
        let count = delivered
            .get(&(send.receiver, info.message_id))
            .copied()
            .unwrap_or(0);
        if count == 0 && !stored.contains(&(send.receiver, info.message_id)) {
            findings.violation(
                send.invoke.at_ms,
                &[send.invoke.position, done.position],
                format!(
                    "private message {} from {:?} to {} never delivered",
                    info.message_id, send.invoke.app, send.receiver
                ),
            );
        }
    }
}
