//! Each checker catches the bug planted for it (feature `planted-bugs`), within a stated
//! number of seeds. This is what makes a green sweep mean something.

use yim_proto::planted::{self, Bug};
use yim_sim::generate::{generate, Profile, Size};

/// (bug, the checker that must catch it, the profile to run, seeds allowed)
const CASES: [(Bug, &str, Profile, u64); 22] = [
    (Bug::DropFanout, "room_completeness", Profile::Calm, 5),
    (Bug::SkipMuteCheck, "mute", Profile::Calm, 10),
    (Bug::DeliverToNonMember, "membership", Profile::Calm, 5),
    (Bug::ReorderRoom, "room_order", Profile::Calm, 5),
    (Bug::AlterMessage, "no_phantom", Profile::Calm, 5),
    (Bug::NoKickOff, "kick_off", Profile::Calm, 20),
    (Bug::AcceptWrongPassword, "login", Profile::Calm, 20),
    (Bug::LoseOfflineMail, "private_delivery", Profile::Calm, 10),
    (Bug::ReverseMailbox, "sender_fifo", Profile::Calm, 20),
    (Bug::RefuseAfterRestart, "liveness", Profile::Faulty, 20),
    (Bug::DuplicateDelivery, "no_duplicates", Profile::Calm, 5),
    (
        Bug::LoseCompletionOnDisconnect,
        "completion",
        Profile::Faulty,
        10,
    ),
    (Bug::NoDedupe, "no_duplicates", Profile::Faulty, 40),
    (Bug::NoResendDedupe, "no_duplicates", Profile::Faulty, 40),
    (Bug::NoGapFill, "room_completeness", Profile::Faulty, 40),
    (Bug::ForgetRejoin, "room_completeness", Profile::Faulty, 40),
    (Bug::ReconnectAfterKickOff, "reconnect", Profile::Faulty, 40),
    (Bug::CorruptAudio, "voice", Profile::Calm, 10),
    (Bug::EventAfterCancel, "voice", Profile::Calm, 20),
    (Bug::StartAfterStatus, "voice", Profile::Calm, 10),
    // An account switch while recording (`Op::SwitchAccount`): sent as the second account.
    (
        Bug::RecordingOutlivesSession,
        "no_phantom",
        Profile::Calm,
        200,
    ),
    // A curious player (`Op::Eavesdrop`) hears another pair's voice message.
    (Bug::LeakVoiceAudio, "voice", Profile::Calm, 200),
];

/// The first seed in `0..max_seeds` whose run has a violation from `checker`.
fn first_catch(bug: Bug, checker: &str, profile: Profile, max_seeds: u64) -> Option<u64> {
    first_catch_by(bug, &[checker], profile, max_seeds)
}

/// The first seed in `0..max_seeds` whose run has a violation from one of `checkers`.
fn first_catch_by(bug: Bug, checkers: &[&str], profile: Profile, max_seeds: u64) -> Option<u64> {
    planted::set(Some(bug));
    let found = (0..max_seeds).find(|&seed| {
        let outcome = yim_sim::run(&generate(seed, &Size::small(), profile));
        // Every checker's violation cites the history entries it is about.
        let uncited = outcome
            .violations
            .iter()
            .find(|v| v.positions.is_empty() && v.checker != "simulation");
        assert!(
            uncited.is_none(),
            "{bug:?} seed {seed}: {uncited:?} cites nothing"
        );
        outcome
            .violations
            .iter()
            .any(|v| checkers.contains(&v.checker.as_str()))
    });
    planted::set(None);
    found
}

/// The message and its idempotency key in two commits (the old server): a crash point
/// between them (after the first commit, or before the second) leaves the message stored
/// without its key, and the SDK's resend is delivered again.
#[test]
fn mail_and_key_in_two_commits_is_caught_by_no_duplicates() {
    let seed = first_catch(Bug::SplitSendCommit, "no_duplicates", Profile::Faulty, 200);
    println!("SplitSendCommit: caught by no_duplicates at seed {seed:?}");
    assert!(seed.is_some(), "not caught within 200 faulty seeds");
}

/// Replying (and fanning out) before the commit: a crash or a failed commit before the
/// writes reach the disk loses an acknowledged message.
#[test]
fn reply_before_commit_is_caught_by_the_delivery_checkers() {
    let checkers = ["private_delivery", "room_completeness", "no_duplicates"];
    let seed = first_catch_by(Bug::ReplyBeforeCommit, &checkers, Profile::Faulty, 200);
    println!("ReplyBeforeCommit: caught at seed {seed:?}");
    assert!(seed.is_some(), "not caught within 200 faulty seeds");
}

#[test]
fn every_planted_bug_is_caught_by_its_checker() {
    let mut missed = Vec::new();
    for (bug, checker, profile, max_seeds) in CASES {
        match first_catch(bug, checker, profile, max_seeds) {
            Some(seed) => println!("{bug:?}: caught by {checker} at seed {seed} ({profile:?})"),
            None => missed.push(format!(
                "{bug:?} not caught by {checker} within {max_seeds} seeds"
            )),
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
}

#[test]
fn without_a_planted_bug_the_same_seeds_are_clean() {
    planted::set(None);
    let outcome = yim_sim::run(&generate(0, &Size::small(), Profile::Calm));
    assert!(outcome.violations.is_empty(), "{:#?}", outcome.violations);
}

/// `--plant` knows every bug that has a canary here, and no other.
#[test]
fn every_planted_bug_has_a_name_for_the_cli() {
    let named: std::collections::BTreeSet<Bug> =
        yim_sim::plant::BUGS.iter().map(|(_, bug)| *bug).collect();
    let mut canaries: std::collections::BTreeSet<Bug> = CASES.iter().map(|case| case.0).collect();
    // The two commit-rule canaries have tests of their own above.
    canaries.extend([Bug::SplitSendCommit, Bug::ReplyBeforeCommit]);
    assert_eq!(
        named, canaries,
        "add each new bug to yim_sim::plant::BUGS (sim/src/plant.rs) too"
    );
}
