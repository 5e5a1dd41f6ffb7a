//! **room_order**: one order per room: any two messages of a room that two clients both
//! received were received in the same order by both.

use std::collections::BTreeMap;

use super::{Facts, Findings};

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // room -> client -> message IDs in delivery order
    let mut sequences: BTreeMap<&str, BTreeMap<usize, Vec<u64>>> = BTreeMap::new();
    for &(_, app, message) in &facts.deliveries {
        if message.room {
            findings.examined();
            sequences
                .entry(&message.receiver)
                .or_default()
                .entry(app.client)
                .or_default()
                .push(message.message_id);
        }
    }
    for (room, by_client) in &sequences {
        let positions: BTreeMap<usize, BTreeMap<u64, usize>> = by_client
            .iter()
            .map(|(client, ids)| {
                (
                    *client,
                    ids.iter().enumerate().map(|(i, id)| (*id, i)).collect(),
                )
            })
            .collect();
        for (a, ids_a) in by_client {
            for (b, positions_b) in positions.range(a + 1..) {
                let in_b: Vec<(u64, usize)> = ids_a
                    .iter()
                    .filter_map(|id| positions_b.get(id).map(|&p| (*id, p)))
                    .collect();
                if let Some(pair) = in_b.windows(2).find(|w| w[0].1 > w[1].1) {
                    findings.violation(
                        facts.end_ms,
                        format!(
                            "room {room}: client {a} got {} before {}, client {b} the other way round",
                            pair[0].0, pair[1].0
                        ),
                    );
                }
            }
        }
    }
}
