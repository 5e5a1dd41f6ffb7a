//! **mute**: muting works as an operator set it, judged by the times the server reported.
//! - A room send that fails with ForbiddenSpeak (23) matches a mute the operator sent (applied
//!   or of unknown outcome) for that room and, unless `is_forbid_room`, that user, with the
//!   same reason and end time, and the server's send time is before the end time; and that
//!   mute was not lifted: no unmute of the same target, sent after the mute was answered,
//!   was applied before the send was invoked.
//! - A room send that succeeds was not muted: when it was invoked, the newest operator action
//!   on the room (and on the sender in the room) that may have taken effect is not a mute,
//!   acknowledged before the invoke, still in force at the server's send time.
//! - Private sends never fail with ForbiddenSpeak.
//!
//! (An unmute can break three ways: ignored, applied to the wrong target (a user's unmute
//! lifting the room's, or not), or not surviving a restart; each shows as a send refused by a
//! mute an acknowledged unmute lifted, or as a send let through.)
//!
//! (Nothing from a muted sender is delivered: `no_phantom` rejects delivery of any send that
//! failed, ForbiddenSpeak included.)

use crate::history::{AdminOutcome, Entry, MuteRecord};

use super::{code, Facts, Findings};

/// One operator action, flattened.
struct Action<'a> {
    acked_ms: u64,
    position: usize,
    invoked_ms: u64,
    room: &'a str,
    user: &'a str,
    mute: Option<MuteRecord>,
    outcome: AdminOutcome,
}

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let actions: Vec<Action<'_>> = facts
        .admin
        .iter()
        .filter_map(|&(acked_ms, position, entry)| match entry {
            Entry::Admin {
                room,
                user,
                mute,
                outcome,
                invoked_ms,
            } => Some(Action {
                acked_ms,
                position,
                invoked_ms: *invoked_ms,
                room,
                user,
                mute: *mute,
                outcome: *outcome,
            }),
            _ => None,
        })
        .collect();
    for _ in &actions {
        findings.examined();
    }
    for send in facts.sends.values() {
        let Some(done) = send.completion else {
            continue;
        };
        findings.examined();
        let sender = facts.user(send.invoke.app);
        let cited = [send.invoke.position, done.position];
        if !send.room {
            if done.code == code::FORBIDDEN_SPEAK {
                findings.violation(
                    done.at_ms,
                    &cited,
                    format!("{:?} private send got ForbiddenSpeak", send.invoke.app),
                );
            }
            continue;
        }
        let Some(info) = done.send else { continue };
        if done.code == code::FORBIDDEN_SPEAK {
            let Some(forbid) = info.forbid else {
                findings.violation(
                    done.at_ms,
                    &cited,
                    format!(
                        "{:?} ForbiddenSpeak without the mute's fields",
                        send.invoke.app
                    ),
                );
                continue;
            };
            let target = if forbid.whole_room { "" } else { sender };
            let matching: Vec<&Action<'_>> = actions
                .iter()
                .filter(|a| {
                    a.room == send.receiver
                        && a.user == target
                        && a.outcome != AdminOutcome::NotApplied
                        && a.invoked_ms <= done.at_ms
                        && a.mute.is_some_and(|m| {
                            yim_sdk::ForbidReason::from_u32(m.reason) == forbid.reason
                                && m.end_time == forbid.end_time
                        })
                })
                .collect();
            // An unmute of the same target sent after the mute was answered and applied
            // before the send was invoked lifts it.
            let lifted_by = |mute: &Action<'_>| {
                actions.iter().find(|u| {
                    u.mute.is_none()
                        && u.room == mute.room
                        && u.user == mute.user
                        && u.outcome == AdminOutcome::Applied
                        && u.invoked_ms >= mute.acked_ms
                        && u.acked_ms < send.invoke.at_ms
                })
            };
            let in_force = matching.iter().any(|m| lifted_by(m).is_none());
            if matching.is_empty() || info.send_time >= forbid.end_time {
                findings.violation(
                    done.at_ms,
                    &cited,
                    format!(
                        "{:?} ForbiddenSpeak not explained by any mute in force: {info:?}",
                        send.invoke.app
                    ),
                );
            } else if !in_force {
                let mute = matching[matching.len() - 1];
                let unmute = lifted_by(mute).map_or(mute.position, |u| u.position);
                findings.violation(
                    done.at_ms,
                    &[mute.position, unmute, cited[0], cited[1]],
                    format!(
                        "{:?} ForbiddenSpeak by a mute of {target:?} in {} that an acknowledged unmute lifted",
                        send.invoke.app, send.receiver
                    ),
                );
            }
        } else if done.code == code::SUCCESS {
            for target in ["", sender] {
                let newest = actions.iter().rev().find(|a| {
                    a.room == send.receiver
                        && a.user == target
                        && a.outcome != AdminOutcome::NotApplied
                        && a.invoked_ms <= done.at_ms
                });
                let Some(action) = newest else { continue };
                let in_force = action.outcome == AdminOutcome::Applied
                    && action.acked_ms < send.invoke.at_ms
                    && action.mute.is_some_and(|m| info.send_time < m.end_time);
                if in_force {
                    findings.violation(
                        done.at_ms,
                        &[action.position, cited[0], cited[1]],
                        format!(
                            "{:?} ({sender}) sent to muted room {} at {} (mute of {target:?} until {:?})",
                            send.invoke.app,
                            send.receiver,
                            info.send_time,
                            action.mute.map(|m| m.end_time)
                        ),
                    );
                }
            }
        }
    }
}
