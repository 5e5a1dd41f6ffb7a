//! The `live` profile: a live-stream chat room. Every client joins one room in the first
//! seconds; then a barrage (弹幕) of short room messages from all of them, at the size's
//! operation rate, with a few viewers leaving and coming back and a few member counts. Faults
//! are the calm profile's (latency changes, clock skew): the point is scale, not outages.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use crate::scenario::{ClientSpec, Op, Scenario, TimedOp};
use crate::size::Size;
use crate::swarm::{generate_faults, Profile, Rng};

/// The one room.
pub const LIVE_ROOM: &str = "live";

/// The live scenario of `seed` at `size` (its `rooms` is ignored: there is one).
pub fn generate(seed: u64, size: &Size) -> Scenario {
    let mut rng = Rng(ChaCha8Rng::seed_from_u64(seed));
    let hosts = size.client_hosts.max(1);
    let clients: Vec<ClientSpec> = (0..size.clients.max(1))
        .map(|i| ClientSpec {
            user: format!("v{i}"),
            password: format!("pw{i}"),
            host: i % hosts,
        })
        .collect();
    let mut ops = Vec::new();
    for client in 0..clients.len() {
        let login_ms = rng.below(2_000);
        ops.push(TimedOp {
            at_ms: login_ms,
            op: Op::Login { client },
        });
        ops.push(TimedOp {
            at_ms: login_ms + 300 + rng.below(800),
            op: Op::Join { client, room: 0 },
        });
    }
    let first_op_ms = 3_000;
    let span_ms = size.safety_ms.saturating_sub(first_op_ms + 1_000).max(1);
    let count =
        (size.ops_per_client_second * clients.len() as f64 * span_ms as f64 / 1000.0) as usize;
    for _ in 0..count {
        let at_ms = first_op_ms + rng.below(span_ms);
        let client = rng.index(clients.len());
        let op = match rng.below(100) {
            0..=1 => Op::Leave { client, room: 0 },
            2..=4 => Op::Join { client, room: 0 },
            5 => Op::CountMembers { client, room: 0 },
            _ => Op::SendRoom {
                client,
                room: 0,
                custom: rng.chance(5),
            },
        };
        ops.push(TimedOp { at_ms, op });
    }
    ops.retain(|t| t.at_ms < size.safety_ms);
    ops.sort_by_key(|t| t.at_ms);
    let faults = generate_faults(&mut rng, size, hosts, Profile::Calm);
    Scenario {
        seed,
        client_hosts: hosts,
        clients,
        rooms: vec![LIVE_ROOM.to_owned()],
        ops,
        faults,
        safety_ms: size.safety_ms,
        liveness_ms: size.liveness_ms,
        min_latency_ms: 1,
        max_latency_ms: rng.range(5, 60),
        reconnect_budget_ms: yim_sdk::ClientConfig::DEFAULT_RECONNECT_BUDGET_MS,
        room_log_messages: None,
        durability: yim_server::store::Durability::Full,
        checkpoint_commits: 16,
        first_message_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_room_everyone_joins_mostly_room_sends_calm() {
        let size = Size::standard();
        let scenario = crate::generate::generate(4, &size, Profile::Live);
        scenario.validate().unwrap();
        assert_eq!(scenario, generate(4, &size));
        assert_eq!(scenario.rooms, vec![LIVE_ROOM.to_owned()]);
        assert_eq!(scenario.clients.len(), 100);
        let joined: std::collections::BTreeSet<usize> = scenario
            .ops
            .iter()
            .filter_map(|t| match t.op {
                Op::Join { client, .. } => Some(client),
                _ => None,
            })
            .collect();
        assert_eq!(joined.len(), 100, "every client joins");
        let sends = scenario
            .ops
            .iter()
            .filter(|t| matches!(t.op, Op::SendRoom { .. }))
            .count();
        assert!(
            sends * 10 > (scenario.ops.len() - 200) * 8,
            "{sends} room sends"
        );
        assert!(scenario
            .faults
            .iter()
            .all(|f| !f.fault.breaks_connections()));
    }
}
