//! Deliberate bugs in the server and the SDK, for the simulator's tests that show each checker
//! catches the bug it is meant for. The hooks are compiled in only with the `planted-bugs`
//! feature (forwarded by `yim-server` and `yim-sdk`); without it [`active`] is a constant
//! `false` and every hook folds away. Even when compiled in, every bug is off until a test
//! switches one on with `set`.
//!
//! The switch is per thread: a simulation runs on one thread, and tests on other threads are
//! not affected.

/// A planted bug. Server bugs first, then SDK bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bug {
    /// Drops one room fan-out delivery in seven.
    DropFanout,
    /// Lets muted users speak.
    SkipMuteCheck,
    /// Also delivers room messages to one online user who is not in the room (and the SDK does
    /// not filter them out).
    DeliverToNonMember,
    /// Changes the text of room messages on their way to members.
    AlterMessage,
    /// A login elsewhere does not kick the older session off.
    NoKickOff,
    /// Accepts a wrong password.
    AcceptWrongPassword,
    /// Acknowledges private messages to offline users without storing them.
    LoseOfflineMail,
    /// Hands stored private mail over newest first.
    ReverseMailbox,
    /// After a restart, closes every new connection at once.
    RefuseAfterRestart,
    /// Serves downloaded voice audio scrambled (each chunk's bytes reversed).
    CorruptAudio,
    /// Ignores idempotency keys: a resend is delivered again with a new message ID.
    NoResendDedupe,
    /// Ignores `JoinRoom.resume_after_seq`: replays nothing and reports no loss.
    NoGapFill,
    /// Commits a send's message (mail or room log entry) and its idempotency key in two
    /// commits, the key second: a crash between them leaves the message stored without its
    /// key, so a resend is delivered again.
    SplitSendCommit,
    /// Answers and fans out a send before committing it: its writes wait for the next
    /// input's commit, so a crash or a failed commit in between loses an acknowledged
    /// message.
    ReplyBeforeCommit,
    /// Fans a room message out to its sender too (an echo).
    EchoToSender,
    /// Acknowledges an unmute but keeps the mute in force (in memory).
    IgnoreUnmute,
    /// Leave-all keeps the user in one of its rooms.
    LeaveAllKeepsOne,
    /// A login that kicks an older session off hands that session's rooms to the new one.
    KickOffKeepsRooms,
    /// The member count leaves out the member who asks.
    MemberCountWithoutAsker,
    /// Keeps only the whole seconds of a voice message's duration.
    VoiceDurationInSeconds,
    /// Accepts expired login tokens.
    IgnoreTokenExpiry,
    /// Hands stored private mail over sorted by the message ID's decimal text.
    MailSortedAsText,
    /// Leaves the newest message out of the first page of a room's history.
    HistorySkipsNewest,
    /// SDK: holds a room message back and delivers it after the next room message.
    ReorderRoom,
    /// SDK: delivers one received message in five twice.
    DuplicateDelivery,
    /// SDK: forgets the pending calls when a session ends, so they never complete.
    LoseCompletionOnDisconnect,
    /// SDK: delivers a message the server sent again (unacknowledged, redelivered at login).
    NoDedupe,
    /// SDK: after a reconnect, does not re-join the rooms it was in.
    ForgetRejoin,
    /// SDK: a cancelled recording still gets a status (PttFail).
    EventAfterCancel,
    /// SDK: emits StartSendAudio after the voice message's status instead of before.
    StartAfterStatus,
    /// SDK: takes a kick-off for a lost connection and reconnects with a fresh login, taking
    /// the session back from the device that kicked it off.
    ReconnectAfterKickOff,
    /// SDK: keeps a timed-out call pending, so its late answer completes it a second time.
    CompleteLateAnswer,
    /// SDK: hands a received message over and acknowledges it before writing it to the
    /// local store, whose write waits for the next one (write-behind).
    AckBeforeStore,
    /// SDK: the local store forgets which messages were handed to the application each time
    /// it is opened, so mail the server sends again after a restart is handed over again.
    ForgetHandedOnRestart,
    /// SDK: room history from the server is not deduplicated against what the application
    /// already has.
    NoHistoryDedupe,
    /// SDK: the local store trims its newest messages instead of its oldest.
    TrimNewestFirst,
    /// SDK: a recording under way when its session ends is not ended with it: it carries over
    /// into the client's next session, so a stop there sends it as whoever logged in then.
    RecordingOutlivesSession,
    /// Server: serves voice audio to any user of the app who asks by message ID, token or
    /// not.
    LeakVoiceAudio,
}

impl Bug {
    /// The bug named `name` (its variant name, as `Debug` prints it) among those a separate
    /// server process can be started with (the binary's `YIM_PLANTED_BUG`, used by the
    /// real-process crash test).
    pub fn by_name(name: &str) -> Option<Bug> {
        [Bug::SplitSendCommit, Bug::ReplyBeforeCommit]
            .into_iter()
            .find(|bug| format!("{bug:?}") == name)
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
