//! What passes between the core and its driver: the ID of a connection, the time of an input,
//! and the outputs the driver must carry out. Not the inputs' handling (the `ServerCore`
//! methods, in `core` and its rule modules) nor any I/O (the driver's).

use std::sync::Arc;

use yim_proto::wire::Goodbye;
use yim_proto::{ErrorCode, Frame, FrameBody};

use super::password::HashJob;

/// Identifies one connection for the lifetime of a server process.
pub type ConnId = u64;

/// The time of an input: wall time (unix ms) for timestamps, mute ends and token expiry, and
/// monotonic time (ms) for timeouts. See `crate::clock::Clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Unix ms.
    pub wall_ms: u64,
    /// Monotonic ms.
    pub mono_ms: u64,
}

impl Now {
    /// Both readings of `clock` now.
    pub fn read(clock: &dyn crate::clock::Clock) -> Now {
        Now {
            wall_ms: clock.wall_ms(),
            mono_ms: clock.monotonic_ms(),
        }
    }

    /// A moment where both clocks read `ms` (tests).
    pub fn at(ms: u64) -> Now {
        Now {
            wall_ms: ms,
            mono_ms: ms,
        }
    }

    /// Wall time in unix seconds.
    pub fn wall_secs(self) -> u64 {
        self.wall_ms / 1000
    }
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Queue `frame` on the connection. A room message's frame is one `Arc` shared by the
    /// sends to all its receivers, so the driver encodes it once.
    Send {
        /// The connection.
        conn: ConnId,
        /// The frame.
        frame: Arc<Frame>,
    },
    /// Send `Goodbye{code, reason}` after what is queued, then close the connection. The core
    /// has already forgotten it.
    Close {
        /// The connection.
        conn: ConnId,
        /// The Goodbye's code.
        code: ErrorCode,
        /// The Goodbye's reason (and the log's).
        reason: String,
    },
    /// Hash a password off the core and hand the result to `handle_hash_done`.
    Hash(HashJob),
    /// `conn` has logged in (queued before its login's reply): its frames may now be as long
    /// as any frame, no longer only as long as a login needs.
    LoggedIn {
        /// The connection.
        conn: ConnId,
    },
}

impl Output {
    /// The nonce of the challenge this output sends, if it sends one (what a login's proof
    /// answers).
    pub fn challenge_nonce(&self) -> Option<&[u8]> {
        match self {
            Output::Send { frame, .. } => match &frame.body {
                Some(FrameBody::Challenge(challenge)) => Some(&challenge.nonce),
                _ => None,
            },
            _ => None,
        }
    }

    /// The Goodbye frame sent before closing.
    pub fn goodbye(code: ErrorCode, reason: &str) -> Frame {
        Frame::new(FrameBody::Goodbye(Goodbye {
            code: code.as_u32(),
            reason: reason.to_owned(),
        }))
    }
}
