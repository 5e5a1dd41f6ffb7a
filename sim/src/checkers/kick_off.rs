//! **kick_off**: when a device logs in as a user, the user's session on any other device that
//! was already open when the login was made ends (YIM's OnKickOff, or the session was lost)
//! within [`LIVENESS_BOUND_MS`]: a device cut off from the server learns it was kicked off
//! only when it notices the cut (the heartbeat timeout) and tries to resume; and a kick-off is
//! only ever delivered after another device of the same user started logging in.

use crate::generate::LIVENESS_BOUND_MS;
use crate::history::CallRecord;

use super::{code, Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // Successful logins: (login invoke time, completion time, client, user, positions of the
    // invoke and the completion).
    let mut logins = Vec::new();
    for (key, invoke) in &facts.invokes {
        if let CallRecord::Login { user, .. } = invoke.call {
            if let Some(done) = facts.completions.get(key).and_then(|c| c.first()) {
                if done.code == code::SUCCESS {
                    logins.push((
                        invoke.at_ms,
                        done.at_ms,
                        invoke.app.client,
                        user.as_str(),
                        [invoke.position, done.position],
                    ));
                }
            }
        }
    }
    for &(at_ms, position, app) in &facts.kick_offs {
        findings.examined();
        let user = facts.user(app);
        // Any login made elsewhere counts, whatever its outcome: the server may have done it
        // even if its device never heard back (the app stopped, the reply was lost).
        let cause = facts.invokes.values().any(|invoke| {
            matches!(invoke.call, CallRecord::Login { user: u, .. } if u == user)
                && invoke.app.client != app.client
                && invoke.at_ms <= at_ms
        });
        if !cause {
            findings.violation(
                at_ms,
                &[position],
                format!("{app:?} kicked off with no login elsewhere"),
            );
        }
    }
    for &(invoked_ms, done_ms, client, user, login_positions) in &logins {
        if done_ms + LIVENESS_BOUND_MS > facts.end_ms {
            continue;
        }
        for (app, sessions) in &facts.sessions {
            if app.client == client || facts.user(*app) != user {
                continue;
            }
            // Only sessions already open when this login was made: the server certainly saw
            // them first. A login racing the other device's login may lose the race.
            for session in sessions.iter().filter(|s| s.start_ms < invoked_ms) {
                findings.examined();
                let ended_in_time = session
                    .end_ms
                    .is_some_and(|end| end <= done_ms + LIVENESS_BOUND_MS);
                if !ended_in_time {
                    findings.violation(
                        done_ms,
                        &[
                            session.start_position,
                            login_positions[0],
                            login_positions[1],
                        ],
                        format!("{app:?} ({user}) still logged in after client {client} logged in as the same user"),
                    );
                }
            }
        }
    }
}
