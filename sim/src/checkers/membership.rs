//! **membership**: no client receives a room message unless, at that moment, it is in the
//! room: after its join completed with Success and before its leave (or leave-all) completed
//! or its session ended.

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for &(at_ms, app, message) in &facts.deliveries {
        if !message.room {
            continue;
        }
        findings.examined();
        let member = facts.session_at(app, at_ms).is_some_and(|session| {
            session.memberships.iter().any(|m| {
                m.room == message.receiver
                    && m.joined_ms <= at_ms
                    && m.left_ms.is_none_or(|left| at_ms <= left)
            })
        });
        if !member {
            findings.violation(
                at_ms,
                format!(
                    "{app:?} received message {} of room {} while not a member",
                    message.message_id, message.receiver
                ),
            );
        }
    }
}
