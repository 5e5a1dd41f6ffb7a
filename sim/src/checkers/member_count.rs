//! **member_count**: a member count that completes with Success says how many users the
//! server held in the room at some moment while the count was on its way: the count equals
//! the number of users in the room in one of the server's observed states
//! (`Entry::ServerRooms`) from the last one before the count's invoke to the last one
//! before its completion. (Off by one, counting devices or sessions instead of users, or a
//! stale count all break this.)

use std::collections::{BTreeMap, BTreeSet};

use crate::history::CallRecord;

use super::{code, Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    for (key, invoke) in &facts.invokes {
        let CallRecord::CountMembers { room } = invoke.call else {
            continue;
        };
        let Some(done) = facts.completions.get(key).and_then(|c| c.first()) else {
            continue;
        };
        let Some(count) = done.count.filter(|_| done.code == code::SUCCESS) else {
            continue;
        };
        findings.examined();
        // Replay the server's states up to the completion, noting the room's size in the
        // state current at the invoke and in each later one.
        let mut rooms_of: BTreeMap<&str, &[String]> = BTreeMap::new();
        let size = |rooms_of: &BTreeMap<&str, &[String]>| {
            rooms_of
                .values()
                .filter(|rooms| rooms.contains(room))
                .count() as u64
        };
        let mut sizes = BTreeSet::new();
        let mut last_before = None;
        let mut at_invoke_noted = false;
        for state in facts
            .server_rooms
            .iter()
            .take_while(|s| s.position < done.position)
        {
            if state.position > invoke.position && !at_invoke_noted {
                sizes.insert(size(&rooms_of));
                at_invoke_noted = true;
            }
            rooms_of.insert(state.user, state.rooms);
            if state.position < invoke.position {
                last_before = Some(state.position);
            } else {
                sizes.insert(size(&rooms_of));
            }
        }
        if !at_invoke_noted {
            sizes.insert(size(&rooms_of));
        }
        if !sizes.contains(&u64::from(count)) {
            let cited: Vec<usize> = last_before
                .into_iter()
                .chain([invoke.position, done.position])
                .collect();
            findings.violation(
                done.at_ms,
                &cited,
                format!(
                    "{:?} counted {count} members in {room}, but the server held {sizes:?}",
                    invoke.app
                ),
            );
        }
    }
}
