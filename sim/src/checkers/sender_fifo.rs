//! **sender_fifo**: per-sender FIFO for private chat: the private messages a client receives
//! from one sending app arrive in the order that app sent them (judged per receiving app run,
//! as an app that restarts gets its unacknowledged mail again). A text is sent when its call
//! is made; a voice message when its recording is stopped (it is recorded first). Messages
//! the server lost in a power loss under durability `normal` are not judged (their resends
//! came again, later, under new IDs).

use std::collections::BTreeMap;

use crate::history::AppId;

use super::{Facts, Findings};

/// The order of a delivered send, (send time, request ID), and the positions of its send and
/// its delivery.
type LastSend = ((u64, u64), [usize; 2]);

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // (receiving app run, sending app) -> (send time, request ID) of the last delivered send,
    // and the positions of its send and its delivery. Per receiving app run: after an app
    // restart, unacknowledged mail comes again from the start of the mailbox.
    let mut last: BTreeMap<(AppId, AppId), LastSend> = BTreeMap::new();
    for &(at_ms, position, app, message) in &facts.deliveries {
        if message.room || facts.lost_in_power_loss.contains(&message.message_id) {
            continue;
        }
        let Some(send) = facts.sends.get(&message.body) else {
            continue;
        };
        let Some(request_id) = send.invoke.request_id else {
            continue;
        };
        findings.examined();
        let (sent_ms, sent_position) = facts
            .voice_stopped
            .get(&(send.invoke.app, request_id))
            .copied()
            .unwrap_or((send.invoke.at_ms, send.invoke.position));
        let order = (sent_ms, request_id);
        let positions = [sent_position, position];
        if let Some((previous, earlier)) = last.insert((app, send.invoke.app), (order, positions)) {
            if previous > order {
                findings.violation(
                    at_ms,
                    &[earlier[0], earlier[1], positions[0], positions[1]],
                    format!(
                        "client {} got {:?}'s message {} after a later one (request {} after {})",
                        app.client, send.invoke.app, message.message_id, previous.1, request_id
                    ),
                );
            }
        }
    }
}
