//! **room_order**: one order per room: any two messages of a room that two clients both
//! received were received in the same order by both.

use std::collections::BTreeMap;

use super::{Facts, Findings};

/// One client's deliveries of a room: (message ID, history position), in delivery order.
type Sequence = Vec<(u64, usize)>;

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // room -> client -> (message ID, history position) in delivery order
    let mut sequences: BTreeMap<&str, BTreeMap<usize, Sequence>> = BTreeMap::new();
    for &(_, position, app, message) in &facts.deliveries {
        if message.room {
            findings.examined();
            sequences
                .entry(&message.receiver)
                .or_default()
                .entry(app.client)
                .or_default()
                .push((message.message_id, position));
        }
    }
    for (room, by_client) in &sequences {
        // client -> message ID -> (rank in the client's order, history position)
        let ranks: BTreeMap<usize, BTreeMap<u64, (usize, usize)>> = by_client
            .iter()
            .map(|(client, ids)| {
                (
                    *client,
                    ids.iter()
                        .enumerate()
                        .map(|(i, &(id, position))| (id, (i, position)))
                        .collect(),
                )
            })
            .collect();
        for (a, ids_a) in by_client {
            for (b, ranks_b) in ranks.range(a + 1..) {
                // (ID, rank in b, position in a, position in b)
                let in_b: Vec<(u64, usize, usize, usize)> = ids_a
                    .iter()
                    .filter_map(|&(id, position_a)| {
                        ranks_b
                            .get(&id)
                            .map(|&(rank, position_b)| (id, rank, position_a, position_b))
                    })
                    .collect();
                if let Some(pair) = in_b.windows(2).find(|w| w[0].1 > w[1].1) {
                    findings.violation(
                        facts.end_ms,
                        &[pair[0].2, pair[1].2, pair[0].3, pair[1].3],
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
