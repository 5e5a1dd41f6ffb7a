//! Coverage probes ("sometimes" assertions) and the server's observations, for the simulator.
//!
//! A probe names an interesting state the code reached: a resend answered from the key
//! table, a gap fill that replayed messages, a full mailbox. The server and the SDK call
//! [`hit`] where the state arises; the simulator counts the hits of each run and its sweep
//! reports them, and a CI meta-test fails when a probe that is not [`Probe::rare`] is never
//! hit (a state no run reaches is a state nothing was tested in). Anchors: Antithesis's
//! `sometimes`, FoundationDB's `CODE_PROBE`, TigerBeetle's coverage marks.
//!
//! [`observe`] hands the simulator a snapshot of server state (the room membership after an
//! input) that its checkers compare with what the clients saw.
//!
//! What it is not: logging or metrics. Without the feature `probes` (which only `yim-sim`
//! turns on) every function here is an empty inline function and its call sites fold away;
//! with it, nothing is counted or observed until the simulator installs a sink on its thread.

/// An interesting state (see the module doc). Code probes first, then the simulator's own
/// (judged from a run's history by `yim-sim`, listed here so the report has one list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Probe {
    /// Server: a send's idempotency key was known, so the first send's receipt answered it.
    ResendFromKeyTable,
    /// Server: a resuming join replayed room messages the member missed.
    GapFillReplayed,
    /// Server: a resuming join's gap went past what the room log keeps (a lost range).
    GapOutlastedRoomLog,
    /// Server: a private send was refused because the receiver's mailbox was full.
    MailboxFull,
    /// Server: a login with a token that failed verification.
    TokenRefused,
    /// Server: a connection's outbound queue overflowed and the slow reader was cut off.
    SlowReaderCutOff,
    /// Server: an expired mute was dropped by the sweep.
    MuteExpired,
    /// Server: a voice upload resumed (a chunk resent after a lost reply, overlapping what
    /// the server already holds).
    VoiceUploadResumed,
    /// SDK: a reply arrived for a call that had already timed out.
    LateAnswerAfterTimeOut,
    /// SDK: a kick-off arrived while the SDK was reconnecting.
    KickOffDuringReconnect,
    /// SDK: a call waiting during a reconnect was sent again after the session resumed.
    CallResentAfterResume,
    /// SDK: a message was dropped as delivered before (a redelivery).
    RedeliveryDropped,
    /// Simulator: a crash struck between a commit and its reply (the commit durable, the
    /// reply lost).
    CrashBetweenCommitAndReply,
    /// Simulator: a mute ended while its user's host was partitioned from the server.
    MuteExpiredWhilePartitioned,
    /// Simulator: a message ID crossed a power of ten in a run.
    MessageIdCrossedPowerOfTen,
}

impl Probe {
    /// Every probe, in report order.
    pub const ALL: [Probe; 15] = [
        Probe::ResendFromKeyTable,
        Probe::GapFillReplayed,
        Probe::GapOutlastedRoomLog,
        Probe::MailboxFull,
        Probe::TokenRefused,
        Probe::SlowReaderCutOff,
        Probe::MuteExpired,
        Probe::VoiceUploadResumed,
        Probe::LateAnswerAfterTimeOut,
        Probe::KickOffDuringReconnect,
        Probe::CallResentAfterResume,
        Probe::RedeliveryDropped,
        Probe::CrashBetweenCommitAndReply,
        Probe::MuteExpiredWhilePartitioned,
        Probe::MessageIdCrossedPowerOfTen,
    ];

    /// The probe's name in reports: its variant in snake case.
    pub fn name(self) -> &'static str {
        match self {
            Probe::ResendFromKeyTable => "resend_from_key_table",
            Probe::GapFillReplayed => "gap_fill_replayed",
            Probe::GapOutlastedRoomLog => "gap_outlasted_room_log",
            Probe::MailboxFull => "mailbox_full",
            Probe::TokenRefused => "token_refused",
            Probe::SlowReaderCutOff => "slow_reader_cut_off",
            Probe::MuteExpired => "mute_expired",
            Probe::VoiceUploadResumed => "voice_upload_resumed",
            Probe::LateAnswerAfterTimeOut => "late_answer_after_time_out",
            Probe::KickOffDuringReconnect => "kick_off_during_reconnect",
            Probe::CallResentAfterResume => "call_resent_after_resume",
            Probe::RedeliveryDropped => "redelivery_dropped",
            Probe::CrashBetweenCommitAndReply => "crash_between_commit_and_reply",
            Probe::MuteExpiredWhilePartitioned => "mute_expired_while_partitioned",
            Probe::MessageIdCrossedPowerOfTen => "message_id_crossed_power_of_ten",
        }
    }

    /// A rare probe may go unhit in CI's sweep without failing it (the state needs a
    /// coincidence the small sweep seldom has); the sweep still reports it.
    pub fn rare(self) -> bool {
        matches!(
            self,
            Probe::MailboxFull
                | Probe::SlowReaderCutOff
                | Probe::KickOffDuringReconnect
                | Probe::MuteExpiredWhilePartitioned
        )
    }

    /// The probe called `name`.
    pub fn by_name(name: &str) -> Option<Probe> {
        Probe::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// One user's room membership in the server, as an observation reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    /// The app key.
    pub app_key: String,
    /// The user.
    pub user_id: String,
    /// The connection of the user's session, if it has one.
    pub conn: Option<u64>,
    /// The rooms whose member lists hold the user, sorted.
    pub rooms: Vec<String>,
}

/// Server state handed to the simulator (see [`observe`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// The membership after an input: every user with a session or in a room.
    Membership(Vec<MemberState>),
}

#[cfg(feature = "probes")]
mod sink {
    use std::cell::RefCell;

    use super::{Observation, Probe};

    /// What the simulator installed on this thread.
    pub struct Sink {
        /// Hits per probe since the sink was installed.
        pub hits: std::collections::BTreeMap<Probe, u64>,
        /// Reads the simulator's clock (simulated ms), if it gave one.
        pub clock: Option<fn() -> u64>,
        /// The clock's reading at each probe's first hit.
        pub first_hit_ms: std::collections::BTreeMap<Probe, u64>,
        /// Receives observations.
        pub observer: Option<Box<dyn FnMut(Observation)>>,
    }

    thread_local! {
        pub static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
    }
}

/// Counts a hit of `probe` (nothing unless the simulator installed a sink).
#[inline]
pub fn hit(probe: Probe) {
    #[cfg(feature = "probes")]
    sink::SINK.with(|sink| {
        if let Some(sink) = sink.borrow_mut().as_mut() {
            *sink.hits.entry(probe).or_default() += 1;
            if let Some(clock) = sink.clock {
                sink.first_hit_ms.entry(probe).or_insert_with(clock);
            }
        }
    });
    #[cfg(not(feature = "probes"))]
    let _ = probe;
}

/// Hands the observation `make` builds to the simulator's observer; `make` runs only when
/// one is installed.
#[inline]
pub fn observe(make: impl FnOnce() -> Observation) {
    #[cfg(feature = "probes")]
    {
        let observer = sink::SINK.with(|sink| {
            sink.borrow_mut()
                .as_mut()
                .and_then(|sink| sink.observer.take())
        });
        if let Some(mut observer) = observer {
            observer(make());
            sink::SINK.with(|sink| {
                if let Some(sink) = sink.borrow_mut().as_mut() {
                    sink.observer.get_or_insert(observer);
                }
            });
        }
    }
    #[cfg(not(feature = "probes"))]
    let _ = make;
}

/// Starts counting on this thread (forgetting earlier hits), with `observer` receiving the
/// server's observations.
#[cfg(feature = "probes")]
pub fn install(observer: Option<Box<dyn FnMut(Observation)>>) {
    sink::SINK.with(|sink| {
        *sink.borrow_mut() = Some(sink::Sink {
            hits: Default::default(),
            clock: None,
            first_hit_ms: Default::default(),
            observer,
        });
    });
}

/// Notes, by `clock` (the simulator's simulated ms), when each probe is first hit from now
/// on; [`first_hits_ms`] tells. Does nothing unless a sink is installed.
#[cfg(feature = "probes")]
pub fn set_clock(clock: fn() -> u64) {
    sink::SINK.with(|sink| {
        if let Some(sink) = sink.borrow_mut().as_mut() {
            sink.clock = Some(clock);
        }
    });
}

/// The clock's reading at each probe's first hit since [`install`] (probes first hit before
/// [`set_clock`] are missing).
#[cfg(feature = "probes")]
pub fn first_hits_ms() -> std::collections::BTreeMap<Probe, u64> {
    sink::SINK.with(|sink| {
        sink.borrow()
            .as_ref()
            .map(|sink| sink.first_hit_ms.clone())
            .unwrap_or_default()
    })
}

/// Stops counting on this thread; returns the hits since [`install`].
#[cfg(feature = "probes")]
pub fn uninstall() -> std::collections::BTreeMap<Probe, u64> {
    sink::SINK
        .with(|sink| sink.borrow_mut().take())
        .map(|sink| sink.hits)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let names: std::collections::BTreeSet<&str> = Probe::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), Probe::ALL.len());
        for probe in Probe::ALL {
            assert_eq!(Probe::by_name(probe.name()), Some(probe));
        }
    }

    #[cfg(feature = "probes")]
    #[test]
    fn hits_are_counted_only_while_installed() {
        hit(Probe::MailboxFull);
        install(None);
        hit(Probe::MailboxFull);
        hit(Probe::MailboxFull);
        assert_eq!(uninstall().get(&Probe::MailboxFull), Some(&2));
        hit(Probe::MailboxFull);
        assert!(uninstall().is_empty());
    }

    #[cfg(feature = "probes")]
    #[test]
    fn the_first_hit_of_each_probe_is_timed_by_the_clock() {
        thread_local! {
            static NOW: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
        }
        fn clock() -> u64 {
            NOW.with(|now| now.get())
        }
        install(None);
        set_clock(clock);
        NOW.with(|now| now.set(5));
        hit(Probe::MailboxFull);
        NOW.with(|now| now.set(9));
        hit(Probe::MailboxFull);
        hit(Probe::TokenRefused);
        let first = first_hits_ms();
        assert_eq!(first.get(&Probe::MailboxFull), Some(&5));
        assert_eq!(first.get(&Probe::TokenRefused), Some(&9));
        assert_eq!(first.len(), 2);
        uninstall();
        assert!(first_hits_ms().is_empty());
    }
}
