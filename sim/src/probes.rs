//! The simulator's side of coverage probes (`yim_hooks::probe`): installs the per-run sink
//! that counts the server's and the SDK's probe hits and turns the server's membership
//! observations into history entries (`Entry::ServerRooms`, one per user whose session or
//! rooms changed), and judges the simulator's own probes from the history: states no single
//! piece of code sees (a crash between a commit and its reply, a mute that ended while its
//! user was partitioned, message IDs crossing a power of ten).
//!
//! What it is not: a checker. A probe never fails a run; the sweep reports hits per probe and
//! a CI meta-test fails when a probe that is not rare is never hit (see `tests/sweeps.rs`).

use std::collections::BTreeMap;

use yim_hooks::probe::{self, MemberState, Observation, Probe};

use crate::app::{lock, Shared};
use crate::env::{sim_ms, EPOCH_UNIX_MS};
use crate::history::{AdminOutcome, DiskEvent, Entry, History};
use crate::scenario::{Fault, Scenario};

/// The last observed (server incarnation, connection, rooms) of each user.
type Seen = BTreeMap<String, (u64, Option<u64>, Vec<String>)>;

/// Starts counting probe hits on this thread and recording the server's membership into the
/// run's history.
pub fn install(shared: Shared) {
    let mut seen = Seen::new();
    probe::install(Some(Box::new(move |observation| match observation {
        Observation::Membership(members) => record_membership(&shared, &mut seen, members),
    })));
}

/// Stops counting; the code probes' hits of the run.
pub fn uninstall() -> BTreeMap<Probe, u64> {
    probe::uninstall()
}

/// Records an entry for every user whose session or rooms differ from what was last seen
/// (a user gone from the observation has no session and no rooms).
fn record_membership(shared: &Shared, seen: &mut Seen, members: Vec<MemberState>) {
    let mut world = lock(shared);
    let server = world.server_incarnation;
    let mut now: Seen = members
        .into_iter()
        .map(|m| (m.user_id, (server, m.conn, m.rooms)))
        .collect();
    for user in seen.keys() {
        now.entry(user.clone())
            .or_insert_with(|| (server, None, Vec::new()));
    }
    let at_ms = sim_ms();
    for (user, state) in &now {
        let before = seen.get(user);
        let same_session = |b: &(u64, Option<u64>, Vec<String>)| {
            b.1 == state.1 && (b.0 == state.0 || state.1.is_none())
        };
        if before.is_some_and(|b| same_session(b) && b.2 == state.2) {
            continue;
        }
        if before.is_none() && state.1.is_none() && state.2.is_empty() {
            continue;
        }
        world.history.push(
            at_ms,
            Entry::ServerRooms {
                user: user.clone(),
                server: state.0,
                conn: state.1,
                rooms: state.2.clone(),
            },
        );
    }
    now.retain(|_, state| state.1.is_some() || !state.2.is_empty());
    *seen = now;
}

/// Hits per probe name, every probe listed: the code probes' `code` and the simulator's own,
/// judged from the run's history.
pub fn hits(
    code: BTreeMap<Probe, u64>,
    scenario: &Scenario,
    history: &History,
) -> BTreeMap<String, u64> {
    let mut hits: BTreeMap<String, u64> = Probe::ALL
        .iter()
        .map(|p| (p.name().to_owned(), code.get(p).copied().unwrap_or(0)))
        .collect();
    let mut add = |probe: Probe, n: u64| {
        *hits.entry(probe.name().to_owned()).or_default() += n;
    };
    add(
        Probe::CrashBetweenCommitAndReply,
        history
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e,
                    Entry::Disk {
                        event: DiskEvent::Crash { durable: true, .. }
                    }
                )
            })
            .count() as u64,
    );
    add(
        Probe::MuteExpiredWhilePartitioned,
        mutes_ended_while_partitioned(scenario, history),
    );
    add(
        Probe::MessageIdCrossedPowerOfTen,
        u64::from(message_ids_cross_a_power_of_ten(history)),
    );
    hits
}

/// Applied user mutes whose end fell while a host of one of the user's clients was
/// partitioned from the server.
fn mutes_ended_while_partitioned(scenario: &Scenario, history: &History) -> u64 {
    // host -> [start, end) of its partitions, in simulated ms
    let mut partitions: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
    let mut open: BTreeMap<usize, u64> = BTreeMap::new();
    for (at_ms, entry) in history.iter() {
        match entry {
            Entry::Fault {
                fault: Fault::Partition { host, .. },
            } => {
                open.entry(*host).or_insert(at_ms);
            }
            Entry::Fault {
                fault: Fault::Repair { host },
            } => {
                if let Some(start) = open.remove(host) {
                    partitions.entry(*host).or_default().push((start, at_ms));
                }
            }
            Entry::Heal => {
                for (host, start) in std::mem::take(&mut open) {
                    partitions.entry(host).or_default().push((start, at_ms));
                }
            }
            _ => {}
        }
    }
    let mut count = 0;
    for (_, entry) in history.iter() {
        let Entry::Admin {
            user,
            mute: Some(mute),
            outcome: AdminOutcome::Applied,
            ..
        } = entry
        else {
            continue;
        };
        let end_ms = (mute.end_time * 1000).saturating_sub(EPOCH_UNIX_MS);
        let partitioned = scenario
            .clients
            .iter()
            .filter(|c| c.user == *user)
            .any(|c| {
                partitions
                    .get(&c.host)
                    .into_iter()
                    .flatten()
                    .any(|&(start, end)| start <= end_ms && end_ms < end)
            });
        count += u64::from(partitioned);
    }
    count
}

/// Whether the message IDs the server handed out in the run have different numbers of digits.
fn message_ids_cross_a_power_of_ten(history: &History) -> bool {
    let ids = history.iter().filter_map(|(_, entry)| match entry {
        Entry::Complete {
            send: Some(info), ..
        } if info.message_id > 0 => Some(info.message_id),
        Entry::Deliver { message, .. } => Some(message.message_id),
        _ => None,
    });
    let (low, high) = ids.fold((u64::MAX, 0), |(low, high), id| (low.min(id), high.max(id)));
    low <= high && low.ilog10() != high.ilog10()
}
