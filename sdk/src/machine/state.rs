//! The session state the machine is in, as the application may observe it.
//!
//! What it is: the public `State` enum and the few questions asked of it. What it is not: the
//! data each state carries (that is the machine's `phase::Phase`, whose view this is). New
//! states are added here as variants; callers should not match it exhaustively.

use std::fmt;

/// Where the client's session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum State {
    /// `init` has not succeeded yet.
    Uninitialised,
    /// Initialised, no session: `Login` may be called.
    LoggedOut,
    /// Login called; waiting for the transport connection.
    Connecting,
    /// Connected; waiting for the server's `Challenge`.
    AwaitingChallenge,
    /// `Login` frame sent; waiting for its reply.
    LoggingIn,
    /// Logged in: every call may be made.
    LoggedIn,
    /// Logged in, but the connection was lost and the SDK is reconnecting by itself. Calls are
    /// accepted and wait (bounded) for the session to resume.
    Reconnecting,
    /// `Logout` frame sent; waiting for its reply or for the connection to end.
    LoggingOut,
}

impl State {
    /// True while a login is under way (connecting, awaiting the challenge or the reply).
    pub fn is_logging_in(self) -> bool {
        matches!(
            self,
            State::Connecting | State::AwaitingChallenge | State::LoggingIn
        )
    }

    /// True while the machine holds (or is opening) a transport connection, or is
    /// reconnecting.
    pub fn has_connection(self) -> bool {
        self.is_logging_in()
            || matches!(
                self,
                State::LoggedIn | State::Reconnecting | State::LoggingOut
            )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
