//! Scenarios from a seed, swarm-style (as TigerBeetle's VOPR does): each seed draws its own
//! operation mix and its own fault rates, so across a sweep some seeds hammer one fault kind,
//! others another, and some run calm.

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

use yim_server::store::Durability;

use crate::scenario::{
    ClientSpec, Fault, Op, Scenario, TimedFault, TimedOp, TokenKind, UnsyncedFate,
};

pub use crate::size::{Size, LIVENESS_BOUND_MS};
pub use crate::swarm::Profile;
use crate::swarm::{generate_faults, Rng};

/// The scenario of `seed`.
pub fn generate(seed: u64, size: &Size, profile: Profile) -> Scenario {
    if profile == Profile::Live {
        return crate::live::generate(seed, size);
    }
    let mut rng = Rng(ChaCha8Rng::seed_from_u64(seed));
    let hosts = size.client_hosts.max(1);
    let rooms: Vec<String> = [
        "world", "guild", "team", "trade", "raid", "clan", "party", "pvp", "news", "help",
    ]
    .iter()
    .cycle()
    .take(size.rooms.max(1))
    .enumerate()
    .map(|(i, name)| {
        if i < 10 {
            (*name).to_owned()
        } else {
            format!("{name}_{i}")
        }
    })
    .collect();

    // About one client in eight is a second device of an earlier player.
    let mut clients: Vec<ClientSpec> = Vec::new();
    let mut second_devices = Vec::new();
    for i in 0..size.clients.max(1) {
        let host = i % hosts;
        if i > 0 && rng.chance(12) {
            let first = rng.index(i);
            let spec = ClientSpec {
                host,
                ..clients[first].clone()
            };
            clients.push(spec);
            second_devices.push(i);
        } else {
            clients.push(ClientSpec {
                user: format!("u{i}"),
                password: format!("pw{i}"),
                host,
            });
        }
    }
    let primaries: Vec<usize> = (0..clients.len())
        .filter(|c| !second_devices.contains(c))
        .collect();

    let mut ops = Vec::new();
    // The rooms each client joins first: most of its room messages go there.
    let mut home_rooms: Vec<Vec<usize>> = vec![Vec::new(); clients.len()];
    for &client in &primaries {
        let login_ms = rng.below(500);
        ops.push(TimedOp {
            at_ms: login_ms,
            op: Op::Login { client },
        });
        for k in 0..=rng.below(2) {
            let at_ms = login_ms + 300 + 200 * k + rng.below(800);
            let room = rng.index(rooms.len());
            home_rooms[client].push(room);
            ops.push(TimedOp {
                at_ms,
                op: Op::Join { client, room },
            });
        }
    }

    // Swarm: this seed's operation mix.
    let weights = [
        rng.range(10, 40), // send to a room
        rng.range(2, 20),  // send privately
        rng.range(2, 10),  // join
        rng.below(4),      // leave
        rng.below(2),      // leave all
        rng.below(4),      // count members
        rng.below(3),      // logout
        rng.range(1, 6),   // login (back in, or a second device)
        rng.below(3),      // wrong password
        rng.below(2),      // invalid name
        // An app restart closes the connection under in-flight messages: connection-breaking.
        if profile == Profile::Faulty {
            rng.below(3)
        } else {
            0
        }, // app restart
        rng.below(4), // mute
        rng.below(3), // unmute
        rng.below(4), // voice message
    ];
    let first_op_ms = 2_000;
    let span_ms = size.safety_ms.saturating_sub(first_op_ms + 1_000).max(1);
    let count =
        (size.ops_per_client_second * clients.len() as f64 * span_ms as f64 / 1000.0) as usize;
    for _ in 0..count {
        let at_ms = first_op_ms + rng.below(span_ms);
        let client = rng.index(clients.len());
        let home = &home_rooms[client];
        let room = if !home.is_empty() && rng.chance(80) {
            home[rng.index(home.len())]
        } else {
            rng.index(rooms.len())
        };
        let custom = rng.chance(15);
        let op = match rng.weighted(&weights) {
            0 => Op::SendRoom {
                client,
                room,
                custom,
            },
            1 => Op::SendPrivate {
                client,
                to: rng.index(clients.len()),
                custom,
            },
            2 => Op::Join { client, room },
            3 => Op::Leave { client, room },
            4 => Op::LeaveAll { client },
            5 => Op::CountMembers { client, room },
            6 => Op::Logout { client },
            7 => Op::Login { client },
            8 => Op::LoginWrongPassword { client },
            9 => Op::LoginInvalidName { client },
            10 => Op::AppRestart { client },
            13 => Op::SendVoice {
                client,
                room,
                to: rng.chance(30).then(|| rng.index(clients.len())),
                cancel: rng.chance(15),
            },
            11 => Op::Mute {
                room,
                user: rng.chance(70).then(|| rng.index(clients.len())),
                reason: rng.below(8) as u32,
                duration_ms: rng.range(1_000, 20_000),
            },
            _ => Op::Unmute {
                room,
                user: rng.chance(60).then(|| rng.index(clients.len())),
            },
        };
        ops.push(TimedOp { at_ms, op });
    }
    // Players who step away: each logs out for a few seconds (and private messages to them
    // wait in the mailbox), then comes back; the game rejoins their rooms.
    let away = primaries.len() / 4 + 1;
    for _ in 0..away {
        let client = primaries[rng.index(primaries.len())];
        let at_ms = first_op_ms + rng.below(span_ms);
        ops.push(TimedOp {
            at_ms,
            op: Op::Logout { client },
        });
        ops.push(TimedOp {
            at_ms: at_ms + rng.range(2_000, 8_000),
            op: Op::Login { client },
        });
        let sender = primaries[rng.index(primaries.len())];
        for k in 0..2 {
            let to = client;
            let at_ms = at_ms + 500 + 400 * k;
            ops.push(TimedOp {
                at_ms,
                op: Op::SendPrivate {
                    client: sender,
                    to,
                    custom: false,
                },
            });
        }
    }
    // Account switches on a shared device and curious players, from their own random numbers
    // so that the rest of each seed's scenario stays as it was before they existed.
    let mut switches = Rng(ChaCha8Rng::seed_from_u64(seed ^ 0x5317_C400_0000_0000));
    if switches.chance(40) {
        for _ in 0..=switches.below(2) {
            let client = primaries[switches.index(primaries.len())];
            ops.push(TimedOp {
                at_ms: first_op_ms + switches.below(span_ms),
                op: Op::SwitchAccount {
                    client,
                    to: switches.index(clients.len()),
                },
            });
        }
    }
    if switches.chance(50) {
        for _ in 0..=switches.below(3) {
            ops.push(TimedOp {
                at_ms: first_op_ms + switches.below(span_ms),
                op: Op::Eavesdrop {
                    client: switches.index(clients.len()),
                },
            });
        }
    }
    ops.retain(|t| t.at_ms < size.safety_ms);
    ops.sort_by_key(|t| t.at_ms);

    let mut faults = generate_faults(&mut rng, size, hosts, profile);
    let has_voice = ops.iter().any(|t| matches!(t.op, Op::SendVoice { .. }));
    let disk = generate_disk(seed, size, profile, has_voice);
    faults.extend(disk.faults);
    let extra = generate_extras(seed, size, profile, hosts, &ops);
    ops.extend(extra.ops);
    ops.sort_by_key(|t| t.at_ms);
    faults.extend(extra.faults);
    faults.sort_by_key(|f| f.at_ms);
    // Most seeds keep YIM's five-minute reconnect budget; some give up after a few seconds,
    // so outages outlast it and the game's own re-login loop is exercised too.
    let reconnect_budget_ms = if rng.chance(25) {
        rng.range(1_000, 10_000)
    } else {
        yim_sdk::ClientConfig::DEFAULT_RECONNECT_BUDGET_MS
    };
    // Some seeds keep only a few room messages for resuming members, so some gaps outlast the
    // log and the SDK must report them.
    let room_log_messages = rng.chance(30).then(|| rng.range(1, 12) as usize);
    Scenario {
        seed,
        client_hosts: hosts,
        clients,
        rooms,
        ops,
        faults,
        safety_ms: size.safety_ms,
        liveness_ms: size.liveness_ms,
        min_latency_ms: 1,
        max_latency_ms: rng.range(5, 60),
        reconnect_budget_ms,
        room_log_messages,
        durability: disk.durability,
        checkpoint_commits: disk.checkpoint_commits,
        first_message_id: extra.first_message_id,
    }
}

/// What [`generate_extras`] adds to a seed's scenario.
struct Extras {
    ops: Vec<TimedOp>,
    faults: Vec<TimedFault>,
    first_message_id: Option<u64>,
}

/// Boundaries message IDs are started just below: powers of ten (where a sort by text goes
/// wrong), 2^31 and 2^32 (narrow integers), 2^53 (a double's integers).
const ID_BOUNDARIES: [u64; 7] = [10, 100, 1_000, 10_000, 1 << 31, 1 << 32, 1 << 53];

/// Draws, from a stream of its own (so the rest of a seed stays as it was), what closes the
/// blind spots of the other draws:
/// - an unmute after some mutes, of the same target, while the mute is still in force;
/// - logins with login tokens (valid, expired, forged, another user's) after some logouts,
///   while the player is away;
/// - in the faulty profile, now and then a hold longer than the SDK's 10 s call timeout, so
///   answers arrive after their calls timed out on a live connection;
/// - in half the seeds, a first message ID just below a boundary, so IDs cross it.
fn generate_extras(
    seed: u64,
    size: &Size,
    profile: Profile,
    hosts: usize,
    ops: &[TimedOp],
) -> Extras {
    let mut rng = Rng(ChaCha8Rng::seed_from_u64(seed ^ 0x0B11_AD5B_0000_0000));
    let mut extra_ops = Vec::new();
    for timed in ops {
        match timed.op {
            Op::Mute {
                room,
                user,
                duration_ms,
                ..
            } if rng.chance(50) => extra_ops.push(TimedOp {
                at_ms: timed.at_ms + rng.range(300, duration_ms.max(301)),
                op: Op::Unmute { room, user },
            }),
            Op::Logout { client } if rng.chance(40) => {
                let token = match rng.below(4) {
                    0 => TokenKind::Valid,
                    1 => TokenKind::Expired,
                    2 => TokenKind::Forged,
                    _ => TokenKind::OtherUser,
                };
                extra_ops.push(TimedOp {
                    at_ms: timed.at_ms + rng.range(300, 1_500),
                    op: Op::LoginToken { client, token },
                });
            }
            _ => {}
        }
    }
    extra_ops.retain(|t| t.at_ms < size.safety_ms);
    let mut faults = Vec::new();
    // A hold from `at` to past `at` + 10 s, released before the safety phase ends.
    let latest_start_ms = size.safety_ms.saturating_sub(11_000);
    if profile == Profile::Faulty && latest_start_ms > 1_000 && rng.chance(30) {
        let at_ms = rng.range(1_000, latest_start_ms);
        let longest_ms = (size.safety_ms - 1 - at_ms).min(25_000);
        let host = rng.index(hosts);
        faults.push(TimedFault {
            at_ms,
            fault: Fault::Hold { host },
        });
        faults.push(TimedFault {
            at_ms: at_ms + rng.range(10_500, longest_ms.max(10_501)),
            fault: Fault::Release { host },
        });
    }
    let first_message_id = rng.chance(50).then(|| {
        let boundary = ID_BOUNDARIES[rng.index(ID_BOUNDARIES.len())];
        boundary.saturating_sub(rng.range(1, 120)).max(1)
    });
    Extras {
        ops: extra_ops,
        faults,
        first_message_id,
    }
}

/// The server disk of a seed: its durability and its faults.
struct Disk {
    durability: Durability,
    checkpoint_commits: u32,
    faults: Vec<TimedFault>,
}

/// Draws the disk of `seed` from a stream of its own, so the operations and the other faults
/// of a seed are the same as before disk faults existed. Swarm again: each seed weighs the
/// crash points (before and after a commit, in an upload, at a sync), power loss, store and
/// sync failures its own way; the faulty profile only.
fn generate_disk(seed: u64, size: &Size, profile: Profile, has_voice: bool) -> Disk {
    let mut rng = Rng(ChaCha8Rng::seed_from_u64(seed ^ 0xD15C_FA17_0000_0000));
    let durability = if rng.chance(25) {
        Durability::Normal
    } else {
        Durability::Full
    };
    let checkpoint_commits = rng.range(2, 33) as u32;
    let mut faults = Vec::new();
    let weights = [
        rng.below(3),                             // crash after a commit
        rng.below(3),                             // crash before a commit
        if has_voice { rng.below(3) } else { 0 }, // crash in an upload
        rng.below(4),                             // power loss
        rng.below(3),                             // store failure
        rng.below(3),                             // crash or power loss at a sync
        rng.below(3),                             // failing sync
    ];
    let count = if profile != Profile::Faulty || rng.chance(15) {
        0
    } else {
        rng.below(1 + size.safety_ms / 8_000)
    };
    let last_ms = size.safety_ms.saturating_sub(1);
    let mut push = |at_ms: u64, fault: Fault| {
        faults.push(TimedFault {
            at_ms: at_ms.min(last_ms),
            fault,
        });
    };
    for _ in 0..count {
        if weights.iter().sum::<u64>() == 0 {
            break;
        }
        let at_ms = rng.range(1_000, last_ms.max(1_001));
        let down_ms = rng.range(200, 5_000);
        let crash = match rng.weighted(&weights) {
            0 => Fault::CrashAtCommit { durable: true },
            1 => Fault::CrashAtCommit { durable: false },
            2 => Fault::CrashMidUpload,
            3 => Fault::PowerLoss,
            4 => {
                let commits = rng.range(1, 6) as u32;
                push(at_ms, Fault::StoreFailure { commits });
                continue;
            }
            5 => Fault::CrashAtSync {
                power_loss: rng.chance(50),
            },
            _ => Fault::SyncFailure {
                fate: [
                    UnsyncedFate::Kept,
                    UnsyncedFate::Lost,
                    UnsyncedFate::VisibleUntilPowerLoss,
                ][rng.index(3)],
            },
        };
        push(at_ms, crash);
        push(at_ms + down_ms, Fault::ServerRestart);
    }
    Disk {
        durability,
        checkpoint_commits,
        faults,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_scenario_and_valid() {
        for seed in 0..20 {
            let a = generate(seed, &Size::small(), Profile::Faulty);
            assert_eq!(a, generate(seed, &Size::small(), Profile::Faulty));
            a.validate().unwrap();
            let calm = generate(seed, &Size::small(), Profile::Calm);
            assert!(calm.faults.iter().all(|f| !f.fault.breaks_connections()));
        }
        assert_ne!(
            generate(1, &Size::small(), Profile::Faulty),
            generate(2, &Size::small(), Profile::Faulty)
        );
    }
}
