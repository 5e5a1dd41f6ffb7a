//! Planted bugs by name, for `--plant BUG` on `run`, `sweep` and `explain` (the option exists
//! only with the feature `planted-bugs`). A name is the bug's variant in kebab case
//! (`DropFanout` is `drop-fanout`). This is not where bugs are planted: that is
//! `yim_proto::planted` and its hooks in the server and the SDK.

use yim_proto::planted::Bug;

/// Every planted bug with its name, in `Bug`'s order. `tests/planted_bugs.rs` checks that it
/// lists the same bugs as the canaries there.
pub const BUGS: [(&str, Bug); 38] = [
    ("drop-fanout", Bug::DropFanout),
    ("skip-mute-check", Bug::SkipMuteCheck),
    ("deliver-to-non-member", Bug::DeliverToNonMember),
    ("alter-message", Bug::AlterMessage),
    ("no-kick-off", Bug::NoKickOff),
    ("accept-wrong-password", Bug::AcceptWrongPassword),
    ("lose-offline-mail", Bug::LoseOfflineMail),
    ("reverse-mailbox", Bug::ReverseMailbox),
    ("refuse-after-restart", Bug::RefuseAfterRestart),
    ("corrupt-audio", Bug::CorruptAudio),
    ("no-resend-dedupe", Bug::NoResendDedupe),
    ("no-gap-fill", Bug::NoGapFill),
    ("split-send-commit", Bug::SplitSendCommit),
    ("reply-before-commit", Bug::ReplyBeforeCommit),
    ("echo-to-sender", Bug::EchoToSender),
    ("ignore-unmute", Bug::IgnoreUnmute),
    ("leave-all-keeps-one", Bug::LeaveAllKeepsOne),
    ("kick-off-keeps-rooms", Bug::KickOffKeepsRooms),
    ("member-count-without-asker", Bug::MemberCountWithoutAsker),
    ("voice-duration-in-seconds", Bug::VoiceDurationInSeconds),
    ("ignore-token-expiry", Bug::IgnoreTokenExpiry),
    ("mail-sorted-as-text", Bug::MailSortedAsText),
    ("history-skips-newest", Bug::HistorySkipsNewest),
    ("reorder-room", Bug::ReorderRoom),
    ("duplicate-delivery", Bug::DuplicateDelivery),
    (
        "lose-completion-on-disconnect",
        Bug::LoseCompletionOnDisconnect,
    ),
    ("no-dedupe", Bug::NoDedupe),
    ("forget-rejoin", Bug::ForgetRejoin),
    ("event-after-cancel", Bug::EventAfterCancel),
    ("start-after-status", Bug::StartAfterStatus),
    ("reconnect-after-kick-off", Bug::ReconnectAfterKickOff),
    ("complete-late-answer", Bug::CompleteLateAnswer),
    ("ack-before-store", Bug::AckBeforeStore),
    ("forget-handed-on-restart", Bug::ForgetHandedOnRestart),
    ("no-history-dedupe", Bug::NoHistoryDedupe),
    ("trim-newest-first", Bug::TrimNewestFirst),
    ("recording-outlives-session", Bug::RecordingOutlivesSession),
    ("leak-voice-audio", Bug::LeakVoiceAudio),
];

/// Every name, for the CLI's list of possible values.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUGS.iter().map(|(name, _)| *name)
}

/// The bug called `name`.
pub fn by_name(name: &str) -> Option<Bug> {
    BUGS.iter().find(|(n, _)| *n == name).map(|(_, bug)| *bug)
}

/// The name of `bug` (its variant in kebab case if it is missing from [`BUGS`]).
pub fn name(bug: Bug) -> String {
    match BUGS.iter().find(|(_, b)| *b == bug) {
        Some((name, _)) => (*name).to_owned(),
        None => kebab_case(&format!("{bug:?}")),
    }
}

/// `DropFanout` -> `drop-fanout`.
fn kebab_case(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_its_variant_in_kebab_case_and_round_trips() {
        for (name, bug) in BUGS {
            assert_eq!(name, kebab_case(&format!("{bug:?}")));
            assert_eq!(by_name(name), Some(bug));
        }
        assert_eq!(by_name("no-such-bug"), None);
    }
}
