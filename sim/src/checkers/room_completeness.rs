//! **room_completeness**: a member that stays joined gets every acknowledged room message of
//! its membership, across reconnects (the SDK re-joins and the server replays what was
//! missed): if client A's join of room R completed before a send to R by another user was
//! invoked, the send completed with Success, and A stayed in R (no leave, no session end,
//! no failed re-join) until the end of the run, then A received that message, unless A was
//! told the message is lost (a `RoomMessagesLost` range holding its sequence number). Sends
//! completing in the last 2 s of the run are not yet due.

use std::collections::{BTreeMap, BTreeSet};

use super::{Facts, Findings};

/// Time a fan-out may take to arrive after the sender's completion.
const DELIVERY_SLACK_MS: u64 = 2_000;

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let received: BTreeSet<(usize, u64)> = facts
        .deliveries
        .iter()
        .map(|(_, _, app, m)| (app.client, m.message_id))
        .collect();
    // The room sequence number of each delivered message (any receiver will do).
    let seqs: BTreeMap<u64, u64> = facts
        .deliveries
        .iter()
        .map(|(_, _, _, m)| (m.message_id, m.room_seq))
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
            let stayed = session.memberships.iter().find(|m| {
                m.room == send.receiver && m.joined_ms < send.invoke.at_ms && m.leaving_ms.is_none()
            });
            let Some(stayed) = stayed else {
                continue;
            };
            findings.examined();
            let told_lost = facts.lost_ranges.iter().any(|lost| {
                lost.app == *app
                    && lost.room == send.receiver
                    && seqs
                        .get(&info.message_id)
                        .is_none_or(|seq| (lost.from_seq..=lost.to_seq).contains(seq))
            });
            if !received.contains(&(app.client, info.message_id)) && !told_lost {
                findings.violation(
                    done.at_ms,
                    &[stayed.joined_position, send.invoke.position, done.position],
                    format!(
                        "{app:?} stayed in {} but never got message {}",
                        send.receiver, info.message_id
                    ),
                );
            }
        }
    }
}
