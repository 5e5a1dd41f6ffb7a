//! **history**: each client's local history (the SDK's store on the client's disk, which
//! outlives its app runs) and the room history it gets from the server.
//!
//! 1. *Kept*: the store at the end of the run holds every message handed to any app run of
//!    the client that belongs in it: every private message, and every room message of a room
//!    whose history switch was on (its `SetRoomHistoryMessageSwitch` completed with Success
//!    before it, on that disk), whether delivered live or returned by room history from the
//!    server; and the client's own successful sends (private ones, and room ones completed
//!    after the room's switch went on). Exempt: what the bound trimmed, oldest first: a
//!    message may be missing only if its conversation holds its full bound
//!    (`HISTORY_MAX_PER_CONVERSATION`) of messages, all newer than it.
//! 2. *Once, in delivery order*: no message ID is kept twice, and the received messages of a
//!    conversation, listed in message ID order as the history pages them, were delivered live
//!    in that order (room messages also in room sequence order; room history from the server
//!    hands older messages over later, by design).
//! 3. *Room history from the server*: a result names each message once, all of the room asked
//!    for, in one room order (ascending or descending sequence); no message of a result was
//!    ever handed to the client before or after (delivered live, returned by another result,
//!    or its own send), across app restarts; and it leaves out no message the client was never
//!    handed (by the store's final handed IDs) that is newer than one it returns and whose
//!    send had completed before the query. Judged only while no power loss has struck (one
//!    may lose room log entries under durability `normal`).
//!
//! The crash point between the store write and the hand-over (`ClientCrashAtStore`) is what
//! makes rule 1 say "handed" and not "stored": a message stored and marked handed whose
//! hand-over died with the app is in the history and is never handed over; rule 1 needs
//! nothing of it, and `private_delivery` counts it as reached.

use std::collections::{BTreeMap, BTreeSet};

use crate::app::HISTORY_MAX_PER_CONVERSATION;
use crate::history::{CallRecord, Entry, MessageRecord, StoredRecord};
use crate::scenario::Fault;

use super::{code, Facts, Findings};

/// (room, the other user or the room): a conversation.
type Conversation = (bool, String);

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let switches = switch_positions(facts);
    let mut handed_by_client: BTreeMap<usize, Vec<Handed<'_>>> = BTreeMap::new();
    for &(at_ms, position, app, message) in &facts.deliveries {
        handed_by_client
            .entry(app.client)
            .or_default()
            .push(Handed {
                at_ms,
                position,
                message,
                from_history: false,
            });
    }
    let mut results = Vec::new();
    for &(at_ms, position, entry) in &facts.local_history {
        if let Entry::RoomHistory {
            app,
            request_id,
            room,
            messages,
        } = entry
        {
            results.push((at_ms, position, *app, *request_id, room.as_str(), messages));
            for message in messages {
                handed_by_client
                    .entry(app.client)
                    .or_default()
                    .push(Handed {
                        at_ms,
                        position,
                        message,
                        from_history: true,
                    });
            }
        }
    }
    for &(at_ms, position, entry) in &facts.local_history {
        let Entry::LocalHistory {
            app,
            user,
            messages,
            ..
        } = entry
        else {
            continue;
        };
        let handed = handed_by_client
            .get(&app.client)
            .map_or(&[][..], Vec::as_slice);
        let own = own_sends(facts, app.client, &switches);
        check_kept(
            findings, at_ms, position, app.client, user, messages, handed, &own, &switches,
        );
        check_order(findings, at_ms, position, messages, handed);
    }
    let finals: BTreeMap<usize, BTreeSet<u64>> = facts
        .local_history
        .iter()
        .filter_map(|(_, _, entry)| match entry {
            Entry::LocalHistory { app, handed, .. } => {
                Some((app.client, handed.iter().copied().collect()))
            }
            _ => None,
        })
        .collect();
    for (at_ms, position, app, request_id, room, messages) in results {
        findings.examined();
        let handed = handed_by_client
            .get(&app.client)
            .map_or(&[][..], Vec::as_slice);
        check_result(findings, at_ms, position, room, messages, handed);
        check_sent_ones_handed(facts, findings, at_ms, position, app.client, messages);
        if let Some(final_handed) = finals.get(&app.client) {
            let invoked = facts.invokes.get(&(app, request_id)).map(|i| i.position);
            check_result_complete(
                facts,
                findings,
                (at_ms, position, invoked),
                room,
                messages,
                final_handed,
            );
        }
    }
}

/// A message handed to an app of the client: delivered, or returned by room history.
#[derive(Debug, Clone, Copy)]
struct Handed<'a> {
    at_ms: u64,
    position: usize,
    message: &'a MessageRecord,
    from_history: bool,
}

/// (client, room) -> the position of the first Success of a switch turning the room on.
fn switch_positions(facts: &Facts<'_>) -> BTreeMap<(usize, String), usize> {
    let mut on = BTreeMap::new();
    for (key, invoke) in &facts.invokes {
        let CallRecord::RoomHistorySwitch { rooms, save: true } = invoke.call else {
            continue;
        };
        let Some(done) = facts.completions.get(key).and_then(|list| list.first()) else {
            continue;
        };
        if done.code != code::SUCCESS {
            continue;
        }
        for room in rooms {
            let position = on.entry((key.0.client, room.clone())).or_insert(usize::MAX);
            *position = (*position).min(done.position);
        }
    }
    on
}

/// The client's own successful sends that belong in its history: (position of the
/// completion, message ID, conversation).
fn own_sends(
    facts: &Facts<'_>,
    client: usize,
    switches: &BTreeMap<(usize, String), usize>,
) -> Vec<(usize, u64, Conversation)> {
    facts
        .sends
        .values()
        .filter(|send| send.invoke.app.client == client && send.succeeded())
        .filter_map(|send| {
            let done = send.completion?;
            let info = done.send?;
            if info.message_id == 0 {
                return None;
            }
            let switched = switches
                .get(&(client, send.receiver.to_owned()))
                .is_some_and(|&on| on < done.position);
            (!send.room || switched).then(|| {
                (
                    done.position,
                    info.message_id,
                    (send.room, send.receiver.to_owned()),
                )
            })
        })
        .collect()
}

fn conversation_of(user: &str, message: &MessageRecord) -> Conversation {
    if message.room || message.sender == user {
        (message.room, message.receiver.clone())
    } else {
        (false, message.sender.clone())
    }
}

/// Rule 1.
#[allow(clippy::too_many_arguments)]
fn check_kept(
    findings: &mut Findings,
    at_ms: u64,
    position: usize,
    client: usize,
    user: &str,
    stored: &[StoredRecord],
    handed: &[Handed<'_>],
    own: &[(usize, u64, Conversation)],
    switches: &BTreeMap<(usize, String), usize>,
) {
    let mut kept: BTreeMap<Conversation, BTreeSet<u64>> = BTreeMap::new();
    for record in stored {
        kept.entry((record.room, record.target.clone()))
            .or_default()
            .insert(record.message_id);
    }
    let mut expected: Vec<(usize, u64, Conversation)> = own.to_vec();
    for h in handed {
        let switched = || {
            switches
                .get(&(client, h.message.receiver.clone()))
                .is_some_and(|&on| on < h.position)
        };
        if !h.message.room || switched() {
            expected.push((
                h.position,
                h.message.message_id,
                conversation_of(user, h.message),
            ));
        }
    }
    for (handed_at, message_id, conversation) in expected {
        findings.examined();
        let ids = kept.get(&conversation);
        if ids.is_some_and(|ids| ids.contains(&message_id)) {
            continue;
        }
        let trimmed = ids.is_some_and(|ids| {
            ids.len() >= HISTORY_MAX_PER_CONVERSATION
                && ids.first().is_some_and(|&o| o > message_id)
        });
        if trimmed {
            continue;
        }
        findings.violation(
            at_ms,
            &[handed_at, position],
            format!(
                "c{client}'s local history lacks message {message_id} of {} {} (it keeps {} \
                 there, bound {HISTORY_MAX_PER_CONVERSATION})",
                if conversation.0 {
                    "room"
                } else {
                    "the chat with"
                },
                conversation.1,
                ids.map_or(0, BTreeSet::len)
            ),
        );
    }
}

/// Rule 2.
fn check_order(
    findings: &mut Findings,
    at_ms: u64,
    position: usize,
    stored: &[StoredRecord],
    handed: &[Handed<'_>],
) {
    let mut seen = BTreeSet::new();
    // Live deliveries only: room history from the server hands older messages over later.
    let first_handed: BTreeMap<u64, usize> =
        handed
            .iter()
            .filter(|h| !h.from_history)
            .rev()
            .fold(BTreeMap::new(), |mut first, h| {
                first.insert(h.message.message_id, h.position);
                first
            });
    // conversation -> (last message ID, the last room seq, the last received message's
    // hand-over position)
    let mut last: BTreeMap<Conversation, (u64, u64, Option<usize>)> = BTreeMap::new();
    for record in stored {
        findings.examined();
        if !seen.insert(record.message_id) {
            findings.violation(
                at_ms,
                &[position],
                format!("message {} is kept twice", record.message_id),
            );
            continue;
        }
        let received = record.target == record.sender || record.room;
        let handed_at = if received {
            first_handed.get(&record.message_id).copied()
        } else {
            None
        };
        let key = (record.room, record.target.clone());
        if let Some(&(prev_id, prev_seq, prev_handed)) = last.get(&key) {
            // A safe resend's receipt carries no room seq (0): nothing to compare.
            let seq_out =
                record.room && prev_seq > 0 && record.room_seq > 0 && record.room_seq <= prev_seq;
            let hand_out = matches!((prev_handed, handed_at), (Some(a), Some(b)) if b < a);
            if seq_out || hand_out {
                let cited: Vec<usize> = [prev_handed, handed_at, Some(position)]
                    .into_iter()
                    .flatten()
                    .collect();
                findings.violation(
                    at_ms,
                    &cited,
                    format!(
                        "the local history lists message {prev_id} before {} in {}, but they \
                         were handed over (or sequenced) the other way",
                        record.message_id, record.target
                    ),
                );
            }
        }
        let entry = last.entry(key).or_insert((0, 0, None));
        let seq = if record.room_seq > 0 {
            record.room_seq
        } else {
            entry.1
        };
        *entry = (record.message_id, seq, handed_at.or(entry.2));
    }
}

/// Rule 3, the result alone and against everything else handed to the client.
fn check_result(
    findings: &mut Findings,
    at_ms: u64,
    position: usize,
    room: &str,
    messages: &[MessageRecord],
    handed: &[Handed<'_>],
) {
    let mut ids = BTreeSet::new();
    for message in messages {
        if !ids.insert(message.message_id) || !message.room || message.receiver != room {
            findings.violation(
                at_ms,
                &[position],
                format!(
                    "room history of {room} returns message {} twice or from elsewhere",
                    message.message_id
                ),
            );
        }
    }
    let seqs: Vec<u64> = messages.iter().map(|m| m.room_seq).collect();
    let ascending = seqs.windows(2).all(|w| w[0] < w[1]);
    let descending = seqs.windows(2).all(|w| w[0] > w[1]);
    if !ascending && !descending {
        findings.violation(
            at_ms,
            &[position],
            format!("room history of {room} is not in one room order: seqs {seqs:?}"),
        );
    }
    for h in handed {
        if ids.contains(&h.message.message_id) && h.position != position {
            findings.violation(
                h.at_ms.max(at_ms),
                &[h.position, position],
                format!(
                    "message {} of {room} was handed to the client twice (room history from \
                     the server, and {})",
                    h.message.message_id,
                    if h.from_history {
                        "another room history result"
                    } else {
                        "a delivery"
                    }
                ),
            );
        }
    }
}

/// Rule 3: a result never returns the client's own message.
fn check_sent_ones_handed(
    facts: &Facts<'_>,
    findings: &mut Findings,
    at_ms: u64,
    position: usize,
    client: usize,
    messages: &[MessageRecord],
) {
    let ids: BTreeSet<u64> = messages.iter().map(|m| m.message_id).collect();
    for send in facts.sends.values() {
        let Some(done) = send.completion.filter(|_| send.invoke.app.client == client) else {
            continue;
        };
        let Some(info) = done.send else {
            continue;
        };
        if done.position < position && ids.contains(&info.message_id) {
            findings.violation(
                at_ms,
                &[done.position, position],
                format!(
                    "room history from the server returns message {}, which the client sent",
                    info.message_id
                ),
            );
        }
    }
}

/// Rule 3: nothing left out.
fn check_result_complete(
    facts: &Facts<'_>,
    findings: &mut Findings,
    (at_ms, position, invoked): (u64, usize, Option<usize>),
    room: &str,
    messages: &[MessageRecord],
    final_handed: &BTreeSet<u64>,
) {
    let Some(invoked) = invoked else {
        return;
    };
    let power_lost = facts
        .scenario
        .faults
        .iter()
        .any(|f| matches!(f.fault, Fault::PowerLoss) && f.at_ms <= at_ms);
    let Some(oldest) = messages.iter().map(|m| m.message_id).min() else {
        return;
    };
    if power_lost {
        return;
    }
    let returned: BTreeSet<u64> = messages.iter().map(|m| m.message_id).collect();
    for send in facts.sends.values() {
        if !send.room || send.receiver != room {
            continue;
        }
        let Some(done) = send.completion.filter(|c| c.code == code::SUCCESS) else {
            continue;
        };
        let Some(info) = done.send else {
            continue;
        };
        let id = info.message_id;
        if done.position < invoked
            && id > oldest
            && !returned.contains(&id)
            && !final_handed.contains(&id)
        {
            findings.violation(
                at_ms,
                &[done.position, invoked, position],
                format!(
                    "room history of {room} from the server leaves out message {id}, newer \
                     than message {oldest} it returns, which the client was never handed"
                ),
            );
        }
    }
}
