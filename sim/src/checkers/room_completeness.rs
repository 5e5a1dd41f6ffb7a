//! **room_completeness**: a member that stays joined gets every acknowledged room message of
//! its membership: if client A's join of room R completed before a send to R by another user
//! was invoked, the send completed with Success, and A stayed in R (no leave, no session end)
//! until the end of the run, then A received that message. Sends completing in the last
//! 2 s of the run are not yet due.

use std::collections::BTreeSet;

use super::{Facts, Findings};

/// Time a fan-out may take to arrive after the sender's completion.
const DELIVERY_SLACK_MS: u64 = 2_000;

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let received: BTreeSet<(usize, u64)> = facts
        .deliveries
        .iter()
        .map(|(_, app, m)| (app.client, m.message_id))
        .collect();
    for send in facts.sends.values() {
        if !send.room || !send.succeeded() {
            continue;
        }
        let Some(done) = send.completion else {
            continue;
        };
        let Some(info) = done.send else { continue };
        if done.at_ms + DELIVERY_SLACK_MS > facts.end_ms {
            continue;
        }
        let sender = facts.user(send.invoke.app);
        for (app, sessions) in &facts.sessions {
            if facts.user(*app) == sender {
                continue;
            }
            let Some(session) = sessions.last().filter(|s| s.end_ms.is_none()) else {
                continue;
            };
            let stayed = session.memberships.iter().any(|m| {
                m.room == send.receiver && m.joined_ms < send.invoke.at_ms && m.leaving_ms.is_none()
            });
            if !stayed {
                continue;
            }
            findings.examined();
            if !received.contains(&(app.client, info.message_id)) {
                findings.violation(
                    done.at_ms,
                    format!(
                        "{app:?} stayed in {} but never got message {}",
                        send.receiver, info.message_id
                    ),
                );
            }
        }
    }
}
