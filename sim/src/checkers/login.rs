//! **login**: the first successful login registers a user with its password; a later login
//! with another password fails with UsernamePasswordError (15) and one with the registered
//! password never does (judged in completion order; a login overlapping the registering one
//! is skipped, its order being unclear); an invalid user name is refused at once with
//! ParamInvalid (3) (or AlreadyLogin / StatusError while a session is open, opening or
//! closing) and never completes; a login while the app is logged in is refused at once
//! with AlreadyLogin (7) (StatusError (5) while logging out).
//!
//! Login tokens (the scenario's logins with a token carry the right password): a login with
//! an expired or forged token, or one issued for another user, never completes with Success
//! (nor with UsernamePasswordError: the token is checked first), and one with a valid token
//! of its own user never completes with LoginTokenInvalid (112).

use std::collections::BTreeMap;

use yim_sdk::ErrorCode;

use crate::history::CallRecord;
use crate::scenario::TokenKind;

use super::{code, Facts, Findings};

/// The refusals of a login made while a session is open, opening or closing: AlreadyLogin
/// (7), or StatusError (5) while logging out.
fn busy(code: yim_sdk::ErrorCode) -> bool {
    code == code::ALREADY_LOGIN || code == code::STATUS_ERROR
}

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // (completion time, user, password, completion position) of each successful login
    let mut successes: Vec<(u64, &str, &str, usize)> = facts
        .invokes
        .iter()
        .filter_map(|(key, invoke)| match invoke.call {
            CallRecord::Login { user, password, .. } => {
                let done = facts.completions.get(key)?.first()?;
                (done.code == code::SUCCESS).then_some((
                    done.at_ms,
                    user.as_str(),
                    password.as_str(),
                    done.position,
                ))
            }
            _ => None,
        })
        .collect();
    successes.sort();
    // user -> (password, completion time, completion position) of the first successful login
    let mut registered: BTreeMap<&str, (&str, u64, usize)> = BTreeMap::new();
    for (at_ms, user, password, position) in successes {
        registered
            .entry(user)
            .or_insert((password, at_ms, position));
    }
    for invoke in facts.invokes.values().chain(facts.refused.iter()) {
        let CallRecord::Login {
            user,
            password,
            token,
        } = invoke.call
        else {
            continue;
        };
        findings.examined();
        let session = facts
            .session_at(invoke.app, invoke.at_ms)
            .filter(|s| s.start_ms < invoke.at_ms);
        let logged_in = session.is_some();
        if !yim_proto::limits::is_valid_id(user) {
            // ParamInvalid, or AlreadyLogin while a session is open or opening.
            if invoke
                .refused
                .is_none_or(|c| c != code::PARAM_INVALID && !busy(c))
            {
                findings.violation(
                    invoke.at_ms,
                    &[invoke.position],
                    format!("{:?} login as {user:?} was not refused", invoke.app),
                );
            }
            continue;
        }
        if logged_in && invoke.refused.is_none() {
            let session_start = session.map_or(invoke.position, |s| s.start_position);
            findings.violation(
                invoke.at_ms,
                &[session_start, invoke.position],
                format!("{:?} login while logged in was not refused", invoke.app),
            );
        }
        if let Some(refused) = invoke.refused {
            if !busy(refused) {
                findings.violation(
                    invoke.at_ms,
                    &[invoke.position],
                    format!("{:?} login refused with {refused}", invoke.app),
                );
            }
            continue;
        }
        let Some(request_id) = invoke.request_id else {
            continue;
        };
        let Some(done) = facts
            .completions
            .get(&(invoke.app, request_id))
            .and_then(|c| c.first())
        else {
            continue;
        };
        if let Some(token) = token {
            check_token(invoke, *token, done, findings);
        }
        let Some(&(password_registered, registered_ms, registered_position)) =
            registered.get(user.as_str())
        else {
            continue; // never registered: nothing to compare with
        };
        if invoke.at_ms <= registered_ms && registered_ms <= done.at_ms {
            continue;
        }
        let right = password_registered == password.as_str();
        let cited = [registered_position, invoke.position, done.position];
        if right && done.code == code::USERNAME_PASSWORD_ERROR {
            findings.violation(
                done.at_ms,
                &cited,
                format!(
                    "{:?} the registered password for {user} was refused",
                    invoke.app
                ),
            );
        }
        if !right && done.code == code::SUCCESS {
            findings.violation(
                done.at_ms,
                &cited,
                format!("{:?} a wrong password for {user} was accepted", invoke.app),
            );
        }
    }
}

/// The token rules of the module doc, for a login that carried `token` and completed.
fn check_token(
    invoke: &super::facts::Invoke<'_>,
    token: TokenKind,
    done: &super::facts::Completion,
    findings: &mut Findings,
) {
    let cited = [invoke.position, done.position];
    let wrong = if token.accepted() {
        done.code == ErrorCode::LoginTokenInvalid
    } else {
        done.code == code::SUCCESS || done.code == code::USERNAME_PASSWORD_ERROR
    };
    if wrong {
        findings.violation(
            done.at_ms,
            &cited,
            format!(
                "{:?} login with a {token:?} token completed {}",
                invoke.app, done.code
            ),
        );
    }
}
