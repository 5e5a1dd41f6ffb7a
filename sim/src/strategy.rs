//! proptest strategies for scenarios, so a failing property shrinks to a small scenario
//! (proptest removes operations and faults and simplifies their fields).

use proptest::prelude::*;

use crate::scenario::{ClientSpec, Direction, Fault, HostRef, Op, Scenario, TimedFault, TimedOp};

const CLIENTS: usize = 5;
const HOSTS: usize = 2;
const ROOMS: usize = 2;
const SAFETY_MS: u64 = 10_000;

fn op() -> impl Strategy<Value = Op> {
    let client = 0..CLIENTS;
    let room = 0..ROOMS;
    prop_oneof![
        4 => (client.clone(), room.clone(), any::<bool>()).prop_map(|(client, room, custom)| Op::SendRoom { client, room, custom }),
        2 => (client.clone(), 0..CLIENTS, any::<bool>()).prop_map(|(client, to, custom)| Op::SendPrivate { client, to, custom }),
        2 => (client.clone(), room.clone()).prop_map(|(client, room)| Op::Join { client, room }),
        1 => (client.clone(), room.clone()).prop_map(|(client, room)| Op::Leave { client, room }),
        1 => client.clone().prop_map(|client| Op::Login { client }),
        1 => client.clone().prop_map(|client| Op::Logout { client }),
        1 => client.clone().prop_map(|client| Op::LoginWrongPassword { client }),
        1 => client.clone().prop_map(|client| Op::AppRestart { client }),
        1 => (room.clone(), proptest::option::of(client.clone()), 0u32..8, 1_000u64..8_000)
            .prop_map(|(room, user, reason, duration_ms)| Op::Mute { room, user, reason, duration_ms }),
        1 => (room, proptest::option::of(client)).prop_map(|(room, user)| Op::Unmute { room, user }),
    ]
}

/// Faults that do not break connections.
fn clean_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        (1u64..300).prop_map(|max_ms| Fault::Latency { max_ms }),
        (0..HOSTS, -300_000i64..300_000).prop_map(|(host, offset_ms)| Fault::ClockSkew {
            host: HostRef::Client(host),
            offset_ms
        }),
        (-300_000i64..300_000).prop_map(|offset_ms| Fault::ClockSkew {
            host: HostRef::Server,
            offset_ms
        }),
    ]
}

/// Every fault kind.
fn any_fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        clean_fault(),
        (
            0..HOSTS,
            prop_oneof![
                Just(Direction::Both),
                Just(Direction::ToServer),
                Just(Direction::FromServer)
            ]
        )
            .prop_map(|(host, direction)| Fault::Partition { host, direction }),
        (0..HOSTS).prop_map(|host| Fault::Repair { host }),
        (0..HOSTS).prop_map(|host| Fault::Hold { host }),
        (0..HOSTS).prop_map(|host| Fault::Release { host }),
        Just(Fault::ServerCrash),
        Just(Fault::ServerRestart),
        (0..HOSTS).prop_map(|host| Fault::ClientHostCrash { host }),
        (0..HOSTS).prop_map(|host| Fault::ClientHostRestart { host }),
    ]
}

/// Small scenarios: every client logs in and joins a room first, then the generated ops and
/// faults follow. `faulty` allows connection-breaking faults.
pub fn scenario(faulty: bool) -> impl Strategy<Value = Scenario> {
    let fault = if faulty {
        any_fault().boxed()
    } else {
        clean_fault().boxed()
    };
    (
        any::<u64>(),
        proptest::collection::vec((2_000u64..SAFETY_MS, op()), 0..40),
        proptest::collection::vec((1_000u64..SAFETY_MS, fault), 0..6),
    )
        .prop_map(|(seed, ops, faults)| {
            let clients = (0..CLIENTS)
                .map(|i| ClientSpec {
                    user: format!("p{i}"),
                    password: format!("pw{i}"),
                    host: i % HOSTS,
                })
                .collect();
            let mut timed: Vec<TimedOp> = (0..CLIENTS)
                .flat_map(|client| {
                    [
                        TimedOp {
                            at_ms: 100 * client as u64,
                            op: Op::Login { client },
                        },
                        TimedOp {
                            at_ms: 1_000 + 100 * client as u64,
                            op: Op::Join {
                                client,
                                room: client % ROOMS,
                            },
                        },
                    ]
                })
                .collect();
            timed.extend(ops.into_iter().map(|(at_ms, op)| TimedOp { at_ms, op }));
            timed.sort_by_key(|t| t.at_ms);
            let mut faults: Vec<TimedFault> = faults
                .into_iter()
                .map(|(at_ms, fault)| TimedFault { at_ms, fault })
                .collect();
            faults.sort_by_key(|f| f.at_ms);
            Scenario {
                seed,
                client_hosts: HOSTS,
                clients,
                rooms: vec!["world".into(), "guild".into()],
                ops: timed,
                faults,
                safety_ms: SAFETY_MS,
                liveness_ms: crate::generate::LIVENESS_BOUND_MS,
                min_latency_ms: 1,
                max_latency_ms: 20,
                reconnect_budget_ms: yim_sdk::ClientConfig::DEFAULT_RECONNECT_BUDGET_MS,
                room_log_messages: None,
                durability: yim_server::store::Durability::Full,
                checkpoint_commits: 16,
                first_message_id: None,
            }
        })
}
