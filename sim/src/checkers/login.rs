//! **login**: the first login registers a user; a login with any other password fails with
//! UsernamePasswordError (15) and a login with the registered password never does; an invalid
//! user name is refused at once with ParamInvalid (3) and never completes; a login while the
//! app is logged in is refused at once with AlreadyLogin (7).

use crate::history::CallRecord;

use super::{code, Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let registered = |user: &str| {
        facts
            .scenario
            .clients
            .iter()
            .find(|c| c.user == user)
            .map(|c| c.password.as_str())
    };
    for invoke in facts.invokes.values().chain(facts.refused.iter()) {
        let CallRecord::Login { user, password } = invoke.call else {
            continue;
        };
        findings.examined();
        let valid_name = yim_proto::limits::is_valid_id(user);
        if !valid_name {
            if invoke.refused != Some(code::PARAM_INVALID) {
                findings.violation(
                    invoke.at_ms,
                    format!(
                        "{:?} login as {user:?} was not refused with ParamInvalid",
                        invoke.app
                    ),
                );
            }
            continue;
        }
        let logged_in = facts
            .session_at(invoke.app, invoke.at_ms)
            .is_some_and(|s| s.start_ms < invoke.at_ms);
        if logged_in && invoke.refused.is_none() {
            findings.violation(
                invoke.at_ms,
                format!("{:?} login while logged in was not refused", invoke.app),
            );
        }
        if let Some(refused) = invoke.refused {
            if refused != code::ALREADY_LOGIN {
                findings.violation(
                    invoke.at_ms,
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
        let right = registered(user) == Some(password.as_str());
        if right && done.code == code::USERNAME_PASSWORD_ERROR {
            findings.violation(
                done.at_ms,
                format!("{:?} the right password for {user} was refused", invoke.app),
            );
        }
        if !right && done.code == code::SUCCESS {
            findings.violation(
                done.at_ms,
                format!("{:?} a wrong password for {user} was accepted", invoke.app),
            );
        }
    }
}
