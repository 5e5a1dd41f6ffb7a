//! **server_membership**: the server's own room membership, observed after each of its
//! inputs (`Entry::ServerRooms`), agrees with what the clients did. The SDK drops messages
//! of rooms it does not count as joined, so a server that keeps a user in a room shows in no
//! delivery; this judges the server's state directly.
//!
//! - A new session starts in no room: when a user's session moves to a new connection (a
//!   login, a resume after a reconnect, a login elsewhere), the server holds the user in no
//!   room (the rooms of a session kicked off are not handed on).
//! - The server holds a user in a room only after one of the user's apps invoked a join of
//!   it.
//! - Once a leave of a room completes with Success, the server's state at that moment does
//!   not hold the user in it, and once a leave-all does, in no room; unless one of the
//!   user's apps invoked a join of the room after the leave, or the leaving app reconnected
//!   in between (its re-joins may land after the leave).
//!
//! (The likely breaks: a leave or leave-all that forgets a room, a kick-off or disconnect that
//! leaves the member lists to the next session, a join that lands in the wrong room; the
//! planted `LeaveAllKeepsOne` and `KickOffKeepsRooms` are the first two.)

use std::collections::BTreeMap;

use crate::history::CallRecord;

use super::facts::{Mark, ServerRooms};
use super::{code, Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut by_user: BTreeMap<&str, Vec<&ServerRooms<'_>>> = BTreeMap::new();
    for state in &facts.server_rooms {
        by_user.entry(state.user).or_default().push(state);
    }
    // (user, room) -> times its joins were invoked
    let mut joins: BTreeMap<(&str, &str), Vec<u64>> = BTreeMap::new();
    for invoke in facts.invokes.values() {
        if let CallRecord::Join { room } = invoke.call {
            joins
                .entry((facts.user(invoke.app), room.as_str()))
                .or_default()
                .push(invoke.at_ms);
        }
    }
    let joined_between = |user: &str, room: &str, from_ms: u64, to_ms: u64| {
        joins
            .get(&(user, room))
            .is_some_and(|times| times.iter().any(|&t| from_ms <= t && t <= to_ms))
    };
    for (user, states) in &by_user {
        let mut previous: Option<&ServerRooms<'_>> = None;
        for state in states {
            findings.examined();
            let new_session =
                state.session.is_some() && previous.is_none_or(|p| p.session != state.session);
            if new_session && !state.rooms.is_empty() {
                let cited: Vec<usize> = previous
                    .map(|p| p.position)
                    .into_iter()
                    .chain([state.position])
                    .collect();
                findings.violation(
                    state.at_ms,
                    &cited,
                    format!(
                        "the server's new session of {user} starts in rooms {:?}",
                        state.rooms
                    ),
                );
            }
            for room in state.rooms {
                if !joined_between(user, room, 0, state.at_ms) {
                    findings.violation(
                        state.at_ms,
                        &[state.position],
                        format!("the server holds {user} in {room}, which it never joined"),
                    );
                }
            }
            previous = Some(state);
        }
    }
    for (key, invoke) in &facts.invokes {
        let left: Option<&str> = match invoke.call {
            CallRecord::Leave { room } => Some(room),
            CallRecord::LeaveAll => None,
            _ => continue,
        };
        let Some(done) = facts.completions.get(key).and_then(|c| c.first()) else {
            continue;
        };
        if done.code != code::SUCCESS {
            continue;
        }
        findings.examined();
        let user = facts.user(invoke.app);
        let Some(state) = by_user
            .get(user)
            .and_then(|states| states.iter().rev().find(|s| s.position < done.position))
        else {
            continue;
        };
        let reconnected = facts.marks.get(&invoke.app).is_some_and(|marks| {
            marks.iter().any(|&(_, position, mark)| {
                mark == Mark::StartReconnect
                    && invoke.position < position
                    && position < done.position
            })
        });
        if reconnected {
            continue;
        }
        for room in state.rooms {
            let left_this = left.is_none_or(|r| r == room.as_str());
            if left_this && !joined_between(user, room, invoke.at_ms, done.at_ms) {
                findings.violation(
                    done.at_ms,
                    &[invoke.position, state.position, done.position],
                    format!(
                        "{:?} left {} (completed Success) but the server still holds {user} in {room}",
                        invoke.app,
                        left.unwrap_or("every room"),
                    ),
                );
            }
        }
    }
}
