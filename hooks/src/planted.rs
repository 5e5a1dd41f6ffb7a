//! Deliberate bugs in the server and the SDK, for the simulator's tests that show each checker
//! catches the bug it is meant for. The hooks are compiled in only with the `planted-bugs`
//! feature (forwarded by `yim-server`, `yim-sdk` and `yim-sim`); without it [`active`] is a
//! constant `false` and every hook folds away. Even when compiled in, every bug is off until a
//! test switches one on with `set`.
//!
//! The switch is per thread: a simulation runs on one thread, and tests on other threads are
//! not affected. What this module is not: the checkers that catch the bugs (`yim-sim`).

/// Declares [`Bug`] with each bug's name listed once: the variant, its kebab-case name (for
/// `yim-sim --plant NAME`) and its doc.
macro_rules! bugs {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// A planted bug. Server bugs first, then SDK bugs.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Bug {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Bug {
            /// Every bug, in declaration order.
            pub const ALL: &'static [Bug] = &[$(Bug::$variant,)*];

            /// The bug's name: its variant in kebab case (`DropFanout` is `drop-fanout`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Bug::$variant => $name,)*
                }
            }
        }
    };
}

bugs! {
    /// Drops one room fan-out delivery in seven.
    DropFanout = "drop-fanout",
    /// Lets muted users speak.
    SkipMuteCheck = "skip-mute-check",
    /// Also delivers room messages to one online user who is not in the room (and the SDK does
    /// not filter them out).
    DeliverToNonMember = "deliver-to-non-member",
    /// Changes the text of room messages on their way to members.
    AlterMessage = "alter-message",
    /// A login elsewhere does not kick the older session off.
    NoKickOff = "no-kick-off",
    /// Accepts a wrong password.
    AcceptWrongPassword = "accept-wrong-password",
    /// Acknowledges private messages to offline users without storing them.
    LoseOfflineMail = "lose-offline-mail",
    /// Hands stored private mail over newest first.
    ReverseMailbox = "reverse-mailbox",
    /// After a restart, closes every new connection at once.
    RefuseAfterRestart = "refuse-after-restart",
    /// Serves downloaded voice audio scrambled (each chunk's bytes reversed).
    CorruptAudio = "corrupt-audio",
    /// Ignores idempotency keys: a resend is delivered again with a new message ID.
    NoResendDedupe = "no-resend-dedupe",
    /// Ignores `JoinRoom.resume_after_seq`: replays nothing and reports no loss.
    NoGapFill = "no-gap-fill",
    /// Commits a send's message (mail or room log entry) and its idempotency key in two
    /// commits, the key second: a crash between them leaves the message stored without its
    /// key, so a resend is delivered again.
    SplitSendCommit = "split-send-commit",
    /// Answers and fans out a send before committing it: its writes wait for the next
    /// input's commit, so a crash or a failed commit in between loses an acknowledged
    /// message.
    ReplyBeforeCommit = "reply-before-commit",
    /// Fans a room message out to its sender too (an echo).
    EchoToSender = "echo-to-sender",
    /// Acknowledges an unmute but keeps the mute in force (in memory).
    IgnoreUnmute = "ignore-unmute",
    /// Leave-all keeps the user in one of its rooms.
    LeaveAllKeepsOne = "leave-all-keeps-one",
    /// A login that kicks an older session off hands that session's rooms to the new one.
    KickOffKeepsRooms = "kick-off-keeps-rooms",
    /// The member count leaves out the member who asks.
    MemberCountWithoutAsker = "member-count-without-asker",
    /// Keeps only the whole seconds of a voice message's duration.
    VoiceDurationInSeconds = "voice-duration-in-seconds",
    /// Accepts expired login tokens.
    IgnoreTokenExpiry = "ignore-token-expiry",
    /// Hands stored private mail over sorted by the message ID's decimal text.
    MailSortedAsText = "mail-sorted-as-text",
    /// Leaves the newest message out of the first page of a room's history.
    HistorySkipsNewest = "history-skips-newest",
    /// SDK: holds a room message back and delivers it after the next room message.
    ReorderRoom = "reorder-room",
    /// SDK: delivers one received message in five twice.
    DuplicateDelivery = "duplicate-delivery",
    /// SDK: forgets the pending calls when a session ends, so they never complete.
    LoseCompletionOnDisconnect = "lose-completion-on-disconnect",
    /// SDK: delivers a message the server sent again (unacknowledged, redelivered at login).
    NoDedupe = "no-dedupe",
    /// SDK: after a reconnect, does not re-join the rooms it was in.
    ForgetRejoin = "forget-rejoin",
    /// SDK: a cancelled recording still gets a status (PttFail).
    EventAfterCancel = "event-after-cancel",
    /// SDK: emits StartSendAudio after the voice message's status instead of before.
    StartAfterStatus = "start-after-status",
    /// SDK: takes a kick-off for a lost connection and reconnects with a fresh login, taking
    /// the session back from the device that kicked it off.
    ReconnectAfterKickOff = "reconnect-after-kick-off",
    /// SDK: keeps a timed-out call pending, so its late answer completes it a second time.
    CompleteLateAnswer = "complete-late-answer",
    /// SDK: hands a received message over and acknowledges it before writing it to the
    /// local store, whose write waits for the next one (write-behind).
    AckBeforeStore = "ack-before-store",
    /// SDK: the local store forgets which messages were handed to the application each time
    /// it is opened, so mail the server sends again after a restart is handed over again.
    ForgetHandedOnRestart = "forget-handed-on-restart",
    /// SDK: room history from the server is not deduplicated against what the application
    /// already has.
    NoHistoryDedupe = "no-history-dedupe",
    /// SDK: the local store trims its newest messages instead of its oldest.
    TrimNewestFirst = "trim-newest-first",
    /// SDK: a recording under way when its session ends is not ended with it: it carries over
    /// into the client's next session, so a stop there sends it as whoever logged in then.
    RecordingOutlivesSession = "recording-outlives-session",
    /// Server: serves voice audio to any user of the app who asks by message ID, token or
    /// not.
    LeakVoiceAudio = "leak-voice-audio",
    /// Server: releases a group's held outputs (acknowledgements, deliveries) at once and
    /// syncs its commits only when the next input arrives (a lazy sync): a power loss or a
    /// failed sync in between loses what was acknowledged.
    ReleaseBeforeSync = "release-before-sync",
    /// Server: a failed sync is logged and the group's held outputs are released as if it
    /// had succeeded; the core goes on.
    IgnoreSyncFailure = "ignore-sync-failure",
    /// Server: the core forgets a group's unsynced commits at the start of each input, so a
    /// group whose last input committed nothing (a ping, a read) is released unsynced.
    SyncFlagPerInput = "sync-flag-per-input",
    /// Server store: no checkpoint when the store opens, so after a failed sync a restarted
    /// server serves commits whose pages the kernel marked clean: no later sync makes them
    /// durable and a power loss takes them (the "fsync-gate" case).
    NoCheckpointAtOpen = "no-checkpoint-at-open",
}

impl Bug {
    /// The bug called `name` ([`Bug::name`]).
    pub fn by_name(name: &str) -> Option<Bug> {
        Bug::ALL.iter().copied().find(|bug| bug.name() == name)
    }

    /// The bug called `name` among those a separate server process can be started with (the
    /// binary's `YIM_PLANTED_BUG`, used by the real-process crash test).
    pub fn for_server_process(name: &str) -> Option<Bug> {
        [Bug::SplitSendCommit, Bug::ReplyBeforeCommit]
            .into_iter()
            .find(|bug| bug.name() == name)
    }
}

#[cfg(feature = "planted-bugs")]
mod switch {
    use std::cell::Cell;

    use super::Bug;

    thread_local! {
        static ACTIVE: Cell<Option<Bug>> = const { Cell::new(None) };
        static COUNTER: Cell<u64> = const { Cell::new(0) };
    }

    pub fn set(bug: Option<Bug>) {
        ACTIVE.with(|active| active.set(bug));
        COUNTER.with(|counter| counter.set(0));
    }

    pub fn active(bug: Bug) -> bool {
        ACTIVE.with(|active| active.get() == Some(bug))
    }

    pub fn current() -> Option<Bug> {
        ACTIVE.with(|active| active.get())
    }

    pub fn every(n: u64) -> bool {
        COUNTER.with(|counter| {
            counter.set(counter.get() + 1);
            counter.get() % n == 0
        })
    }
}

/// Switches `bug` on (or all bugs off) for this thread.
#[cfg(feature = "planted-bugs")]
pub fn set(bug: Option<Bug>) {
    switch::set(bug);
}

/// True if `bug` is switched on.
#[inline]
pub fn active(bug: Bug) -> bool {
    #[cfg(feature = "planted-bugs")]
    {
        switch::active(bug)
    }
    #[cfg(not(feature = "planted-bugs"))]
    {
        let _ = bug;
        false
    }
}

/// True once in `n` calls while `bug` is on.
#[inline]
pub fn active_every(bug: Bug, n: u64) -> bool {
    #[cfg(feature = "planted-bugs")]
    {
        switch::active(bug) && switch::every(n)
    }
    #[cfg(not(feature = "planted-bugs"))]
    {
        let _ = (bug, n);
        false
    }
}

/// The bug switched on for this thread, if any (always `None` without the feature).
#[inline]
pub fn current() -> Option<Bug> {
    #[cfg(feature = "planted-bugs")]
    {
        switch::current()
    }
    #[cfg(not(feature = "planted-bugs"))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_its_variant_in_kebab_case_and_round_trips() {
        for &bug in Bug::ALL {
            let mut kebab = String::new();
            for (i, c) in format!("{bug:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    kebab.push('-');
                }
                kebab.push(c.to_ascii_lowercase());
            }
            assert_eq!(bug.name(), kebab);
            assert_eq!(Bug::by_name(bug.name()), Some(bug));
        }
        assert_eq!(Bug::by_name("no-such-bug"), None);
    }
}
