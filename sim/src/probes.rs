//! The simulator's side of coverage probes (`yim_hooks::probe`): installs the per-run sink
//! that counts the server's and the SDK's probe hits and turns the server's membership
//! observations into history entries (`Entry::ServerRooms`, one per user whose session or
//! rooms changed), and judges the simulator's own probes from the history: states no single
//! piece of code sees (a crash between a commit and its reply, a mute that ended while its
//! user was partitioned, message IDs crossing a power of ten).
//!
//! Each probe's first hit in a run is timed (simulated ms): the code probes' by the sink's
//! clock, the simulator's own from the history. A sweep that branches (`crate::branch`)
//! splices new operations in from there.
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

/// What the membership observer remembers between inputs: each user's last observed state,
/// and the last observation as the server made it (with the server incarnation it came
/// from), so that an input that changed no membership (most of them: every send) costs one
/// comparison instead of a rebuilt map (at 1,000 clients that rebuild was a third of a run).
#[derive(Debug, Default)]
struct Observed {
    seen: Seen,
    last: Option<(u64, Vec<MemberState>)>,
}

/// Starts counting probe hits on this thread and recording the server's membership into the
/// run's history.
pub fn install(shared: Shared) {
    let mut observed = Observed::default();
    probe::install(Some(Box::new(move |observation| match observation {
        Observation::Membership(members) => record_membership(&shared, &mut observed, members),
    })));
    probe::set_clock(sim_ms);
}

/// The code probes' hits in a run, and when each was first hit (simulated ms).
#[derive(Debug, Clone, Default)]
pub struct CodeHits {
    /// Hits per code probe.
    pub hits: BTreeMap<Probe, u64>,
    /// Simulated ms of each code probe's first hit.
    pub first_hit_ms: BTreeMap<Probe, u64>,
}

/// Stops counting; the code probes' hits of the run.
pub fn uninstall() -> CodeHits {
    let first_hit_ms = probe::first_hits_ms();
    CodeHits {
        hits: probe::uninstall(),
        first_hit_ms,
    }
}

/// Every probe's hits in a run, by name (every probe listed), and the simulated time of the
/// first hit of each probe that was hit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeHits {
    /// Hits per probe name, every probe listed (0 if never hit).
    pub hits: BTreeMap<String, u64>,
    /// Simulated ms of the first hit of each probe that was hit.
    pub first_hit_ms: BTreeMap<String, u64>,
}

/// Records an entry for every user whose session or rooms differ from what was last seen
/// (a user gone from the observation has no session and no rooms). The same observation
/// from the same server as last time records nothing and changes nothing.
fn record_membership(shared: &Shared, observed: &mut Observed, members: Vec<MemberState>) {
    let mut world = lock(shared);
    let server = world.server_incarnation;
    if observed
        .last
        .as_ref()
        .is_some_and(|(last_server, last)| *last_server == server && *last == members)
    {
        return;
    }
    let seen = &mut observed.seen;
    let mut now: Seen = members
        .iter()
        .map(|m| (m.user_id.clone(), (server, m.conn, m.rooms.clone())))
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
    observed.last = Some((server, members));
}

/// Hits per probe name, every probe listed: the code probes' `code` and the simulator's own,
/// judged from the run's history; with the time of each probe's first hit.
pub fn hits(code: CodeHits, scenario: &Scenario, history: &History) -> ProbeHits {
    let mut hits = ProbeHits {
        hits: Probe::ALL
            .iter()
            .map(|p| (p.name().to_owned(), code.hits.get(p).copied().unwrap_or(0)))
            .collect(),
        first_hit_ms: code
            .first_hit_ms
            .iter()
            .map(|(p, at_ms)| (p.name().to_owned(), *at_ms))
            .collect(),
    };
    let mut add = |probe: Probe, n: u64, first_ms: Option<u64>| {
        *hits.hits.entry(probe.name().to_owned()).or_default() += n;
        if let Some(first_ms) = first_ms.filter(|_| n > 0) {
            let at_ms = hits
                .first_hit_ms
                .entry(probe.name().to_owned())
                .or_insert(first_ms);
            *at_ms = (*at_ms).min(first_ms);
        }
    };
    let crashes: Vec<u64> = history
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                Entry::Disk {
                    event: DiskEvent::Crash { durable: true, .. }
                }
            )
        })
        .map(|(at_ms, _)| at_ms)
        .collect();
    add(
        Probe::CrashBetweenCommitAndReply,
        crashes.len() as u64,
        crashes.first().copied(),
    );
    let ended = mutes_ended_while_partitioned(scenario, history);
    add(
        Probe::MuteExpiredWhilePartitioned,
        ended.len() as u64,
        ended.iter().min().copied(),
    );
    let crossed = message_ids_cross_a_power_of_ten(history);
    add(
        Probe::MessageIdCrossedPowerOfTen,
        u64::from(crossed.is_some()),
        crossed,
    );
    hits
}

/// The ends (simulated ms) of the applied user mutes whose end fell while a host of one of
/// the user's clients was partitioned from the server.
fn mutes_ended_while_partitioned(scenario: &Scenario, history: &History) -> Vec<u64> {
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
    let mut ends = Vec::new();
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
        if partitioned {
            ends.push(end_ms);
        }
    }
    ends
}

/// When the message IDs the server handed out in the run first had different numbers of
/// digits (the time of the entry that showed it), if they did.
fn message_ids_cross_a_power_of_ten(history: &History) -> Option<u64> {
    let mut digits: Option<(u32, u32)> = None;
    for (at_ms, entry) in history.iter() {
        let id = match entry {
            Entry::Complete {
                send: Some(info), ..
            } if info.message_id > 0 => info.message_id,
            Entry::Deliver { message, .. } if message.message_id > 0 => message.message_id,
            _ => continue,
        };
        let d = id.ilog10();
        let (low, high) = digits.map_or((d, d), |(low, high)| (low.min(d), high.max(d)));
        if low != high {
            return Some(at_ms);
        }
        digits = Some((low, high));
    }
    None
}
