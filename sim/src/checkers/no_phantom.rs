//! **no_phantom**: everything delivered was really sent, intact: each delivered message
//! matches a send (every send's content is unique in a run) by the same user, to the same
//! receiver and chat type, with the same body and attach; it carries the message ID the sender
//! was given if the send succeeded; a send that certainly failed (refused at once, or completed
//! with any code but Success, TimeOut or NetError — ForbiddenSpeak included) is never
//! delivered; and every delivery of one message ID is identical. A message the server lost
//! in a power loss under durability `normal` may have been delivered under an ID its sender
//! was never told (the resend got a new one).

use std::collections::BTreeMap;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut first_copy = BTreeMap::new();
    for &(at_ms, position, app, message) in &facts.deliveries {
        findings.examined();
        let id = message.message_id;
        if let Some((previous, first_position)) = first_copy.insert(id, (message, position)) {
            if previous != message {
                findings.violation(
                    at_ms,
                    &[first_position, position],
                    format!("{app:?} got message {id} altered: {message:?} vs {previous:?}"),
                );
            }
        }
        let Some(send) = facts.sends.get(&message.body) else {
            findings.violation(
                at_ms,
                &[position],
                format!("{app:?} got message {id} that nobody sent: {message:?}"),
            );
            continue;
        };
        let sender = facts.user(send.invoke.app);
        let completion = send.completion.map(|c| c.position);
        let cited: Vec<usize> = [Some(send.invoke.position), completion, Some(position)]
            .into_iter()
            .flatten()
            .collect();
        if sender != message.sender
            || send.receiver != message.receiver
            || send.room != message.room
        {
            findings.violation(
                at_ms,
                &[send.invoke.position, position],
                format!("{app:?} got message {id} with altered addressing: {message:?}, sent by {sender} to {}", send.receiver),
            );
        }
        if send.certainly_failed() {
            findings.violation(
                at_ms,
                &cited,
                format!(
                    "{app:?} got message {id} whose send failed: {:?}",
                    send.completion
                ),
            );
        }
        if let Some(info) = send
            .completion
            .and_then(|c| c.send)
            .filter(|_| send.succeeded() && !facts.lost_in_power_loss.contains(&id))
        {
            if info.message_id != id {
                findings.violation(
                    at_ms,
                    &cited,
                    format!(
                        "{app:?} got message {id}, but its sender was told {}",
                        info.message_id
                    ),
                );
            }
        }
    }
}
