//! **membership**: no client receives a room message unless, at that moment, it is in the
//! room: after its join completed with Success and before its leave (or leave-all) completed
//! or its session ended.

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for &(at_ms, position, app, message) in &facts.deliveries {
        if !message.room {
            continue;
        }
        findings.examined();
        let session = facts.session_at(app, at_ms);
        let member = session.is_some_and(|session| {
            session.memberships.iter().any(|m| {
                m.room == message.receiver
                    && m.joined_ms <= at_ms
                    && m.left_ms.is_none_or(|left| at_ms <= left)
            })
        });
        if !member {
            // Cited with the delivery: where the app's last membership of the room ended.
            let left = session
                .into_iter()
                .flat_map(|s| &s.memberships)
                .filter(|m| m.room == message.receiver)
                .filter_map(|m| m.left_position)
                .filter(|&p| p < position)
                .max();
            findings.violation(
                at_ms,
                &[Some(position), left]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>(),
                format!(
                    "{app:?} received message {} of room {} while not a member",
                    message.message_id, message.receiver
                ),
            );
        }
    }
}
