//! **no_echo**: the sender never gets its own room message back: no app receives a room
//! message whose sender is the app's own user (live fan-out and the replay of a resuming
//! join both leave the sender out; a second device of the sender is the same user).
//! (The likely breaks: fan-out that forgets to skip the sender, a replay that includes the
//! member's own messages, a filter by connection instead of user that echoes to the sender's
//! other device; each shows as such a delivery.)

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for &(at_ms, position, app, message) in &facts.deliveries {
        if !message.room {
            continue;
        }
        findings.examined();
        if message.sender == facts.user(app) {
            let send = facts.sends.get(&message.body).map(|s| s.invoke.position);
            let cited: Vec<usize> = send.into_iter().chain([position]).collect();
            findings.violation(
                at_ms,
                &cited,
                format!(
                    "{app:?} ({}) got its own message {} back in {}",
                    message.sender, message.message_id, message.receiver
                ),
            );
        }
    }
}
