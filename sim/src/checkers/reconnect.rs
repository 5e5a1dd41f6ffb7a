//! **reconnect**: the SDK's own reconnects follow YIM's rules, per app:
//!
//! - `StartReconnect` comes only while a session is up (after a successful login, not after a
//!   kick-off, a lost session or a logout), never twice in a row, and no message is delivered
//!   while reconnecting;
//! - `ReconnectResult` comes only while reconnecting: 1 (retrying) keeps it going, 0 resumes the
//!   session without a second Login event, 2 (gave up) is followed by the unsolicited Logout or
//!   a KickOff before anything else; a reconnect ends only with 0 or 2 (or a logout, or the
//!   app stopping);
//! - a give-up that ends in the unsolicited Logout comes no earlier than the budget minus the
//!   longest backoff (the SDK does not give up early);
//! - every reconnect resolves within the budget plus the liveness bound;
//! - a reconnect never takes a session back from a newer login: no resume succeeds if another
//!   device of the user completed a login between this app's login and the start of the
//!   reconnect (the server refuses, and the app is told it was kicked off).

use std::collections::BTreeMap;

use yim_sdk::ReconnectResult;

use crate::generate::LIVENESS_BOUND_MS;

use super::facts::Mark;
use super::{Facts, Findings};

/// The SDK's longest backoff between attempts (`ClientConfig::reconnect_max_backoff_ms`).
const MAX_BACKOFF_MS: u64 = yim_sdk::ClientConfig::DEFAULT_RECONNECT_MAX_BACKOFF_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Out,
    /// Logged in: the login's time and history position.
    Up {
        login_ms: u64,
        login_position: usize,
    },
    Reconnecting {
        login_ms: u64,
        login_position: usize,
        start_ms: u64,
        start_position: usize,
    },
    /// Gave up (result 2): the closing event must come next.
    GaveUp {
        start_ms: u64,
        start_position: usize,
        at_ms: u64,
        position: usize,
    },
}

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let budget_ms = facts.scenario.reconnect_budget_ms;
    // Every successful login per user: (time, client, history position).
    let mut logins: BTreeMap<&str, Vec<(u64, usize, usize)>> = BTreeMap::new();
    for (app, marks) in &facts.marks {
        for &(at_ms, position, mark) in marks {
            if mark == Mark::LoginSuccess {
                logins
                    .entry(facts.user(*app))
                    .or_default()
                    .push((at_ms, app.client, position));
            }
        }
    }
    for (app, marks) in &facts.marks {
        let user = facts.user(*app);
        let mut phase = Phase::Out;
        for &(at_ms, position, mark) in marks {
            if let Phase::GaveUp {
                start_ms,
                start_position,
                at_ms: gave_up_ms,
                position: gave_up_position,
            } = phase
            {
                match mark {
                    Mark::SessionLost => {
                        findings.examined();
                        if gave_up_ms + MAX_BACKOFF_MS < start_ms + budget_ms {
                            findings.violation(
                                gave_up_ms,
                                &[start_position, gave_up_position, position],
                                format!("{app:?} gave up reconnecting {} ms after it began, before its budget of {budget_ms} ms", gave_up_ms - start_ms),
                            );
                        }
                        phase = Phase::Out;
                        continue;
                    }
                    Mark::KickOff | Mark::Stopped => {
                        phase = Phase::Out;
                        continue;
                    }
                    other => {
                        findings.violation(
                            at_ms,
                            &[gave_up_position, position],
                            format!("{app:?} gave up reconnecting, then {other:?} instead of a Logout or KickOff"),
                        );
                        phase = Phase::Out;
                    }
                }
            }
            match (mark, phase) {
                (Mark::Stopped, _) => break,
                (Mark::LoginSuccess, Phase::Out) => {
                    phase = Phase::Up {
                        login_ms: at_ms,
                        login_position: position,
                    }
                }
                (Mark::LoginSuccess, _) => {
                    let earlier = match phase {
                        Phase::Up { login_position, .. }
                        | Phase::Reconnecting { login_position, .. } => login_position,
                        _ => position,
                    };
                    findings.violation(
                        at_ms,
                        &[earlier, position],
                        format!("{app:?} got a Login event while its session was up"),
                    );
                    phase = Phase::Up {
                        login_ms: at_ms,
                        login_position: position,
                    };
                }
                (
                    Mark::StartReconnect,
                    Phase::Up {
                        login_ms,
                        login_position,
                    },
                ) => {
                    findings.examined();
                    phase = Phase::Reconnecting {
                        login_ms,
                        login_position,
                        start_ms: at_ms,
                        start_position: position,
                    };
                }
                (Mark::StartReconnect, _) => {
                    findings.violation(
                        at_ms,
                        &[position],
                        format!("{app:?} started reconnecting with no session up ({phase:?})"),
                    );
                }
                (Mark::ReconnectResult(ReconnectResult::FailAgain), Phase::Reconnecting { .. }) => {
                }
                (
                    Mark::ReconnectResult(ReconnectResult::Success),
                    Phase::Reconnecting {
                        login_ms,
                        login_position,
                        start_ms,
                        start_position,
                    },
                ) => {
                    let taken_over = logins
                        .get(user)
                        .into_iter()
                        .flatten()
                        .find(|(t, c, _)| *c != app.client && *t > login_ms && *t < start_ms);
                    if let Some(&(t, c, other_login)) = taken_over {
                        findings.violation(
                            at_ms,
                            &[login_position, other_login, start_position, position],
                            format!("{app:?} ({user}) resumed its session although client {c} logged in as {user} at {t} ms"),
                        );
                    }
                    phase = Phase::Up {
                        login_ms,
                        login_position,
                    };
                }
                (
                    Mark::ReconnectResult(ReconnectResult::Fail),
                    Phase::Reconnecting {
                        start_ms,
                        start_position,
                        ..
                    },
                ) => {
                    phase = Phase::GaveUp {
                        start_ms,
                        start_position,
                        at_ms,
                        position,
                    };
                }
                (Mark::ReconnectResult(result), _) => {
                    findings.violation(
                        at_ms,
                        &[position],
                        format!("{app:?} got ReconnectResult {result:?} while {phase:?}"),
                    );
                }
                (Mark::Delivered, Phase::Reconnecting { start_position, .. }) => {
                    findings.violation(
                        at_ms,
                        &[start_position, position],
                        format!("{app:?} delivered a message while reconnecting"),
                    );
                }
                (Mark::Delivered, _) => {}
                (Mark::SessionLost | Mark::KickOff, Phase::Reconnecting { start_position, .. }) => {
                    findings.violation(
                        at_ms,
                        &[start_position, position],
                        format!("{app:?} ended a reconnect with {mark:?} and no ReconnectResult"),
                    );
                    phase = Phase::Out;
                }
                (Mark::SessionLost | Mark::KickOff | Mark::LoggedOut, _) => phase = Phase::Out,
            }
        }
    }
    for (app, spans) in &facts.reconnects {
        for span in spans {
            let due_ms = span.start_ms + budget_ms + LIVENESS_BOUND_MS;
            if span.end_ms.is_none() && due_ms <= facts.end_ms {
                findings.violation(
                    span.start_ms,
                    &[span.start_position],
                    format!(
                        "{app:?} is still reconnecting {} ms after it began",
                        facts.end_ms - span.start_ms
                    ),
                );
            }
        }
    }
}
