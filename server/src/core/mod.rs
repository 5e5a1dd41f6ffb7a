//! The server's protocol logic, with no I/O (quinn-proto style).
//!
//! `ServerCore` takes inputs — a connection opened (`handle_connect`), a decoded frame
//! (`handle_frame`), a connection gone (`handle_disconnect`), time passing (`handle_timeout`) —
//! and queues outputs (`poll_output`): frames to send to a connection, connections to close.
//! Time is always an argument. The async driver (`crate::driver`) owns the sockets; the
//! simulator runs the very same core through the very same driver.
//!
//! Split by concern: `login` (apps, accounts, sessions and their IDs, kick-off), `rooms`
//! (membership, resuming joins with replay), `messaging` (sends, resend dedupe, room seqs and
//! log, fan-out, private mailboxes), `voice` (resumable audio uploads, the stored audio of
//! voice messages and its chunked download), `mutes` (operator mutes).

mod login;
mod messaging;
mod mutes;
mod rooms;
mod voice;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use yim_proto::wire::{reply, Goodbye, Pong, Reply};
use yim_proto::{ErrorCode, Frame, FrameBody};

use crate::config::{Limits, ServerConfig};
use crate::store::{Store, StoreError};

pub use mutes::MuteTable;

/// Identifies one connection for the lifetime of a server process.
pub type ConnId = u64;

/// The time of an input: wall time (unix ms) for timestamps, mute ends and token expiry, and
/// monotonic time (ms) for timeouts. See `crate::clock::Clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub wall_ms: u64,
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

    pub fn wall_secs(self) -> u64 {
        self.wall_ms / 1000
    }
}

/// Something the driver must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Queue `frame` on the connection.
    Send { conn: ConnId, frame: Frame },
    /// Send `Goodbye{code, reason}` after what is queued, then close the connection. The core
    /// has already forgotten it.
    Close {
        conn: ConnId,
        code: ErrorCode,
        reason: String,
    },
}

/// How often the core sweeps for idle connections and expired mutes.
const SWEEP_INTERVAL_MS: u64 = 1000;
/// Message IDs reserved from the store at a time.
const MESSAGE_ID_BLOCK: u64 = 1024;

#[derive(Debug)]
struct Connection {
    peer: String,
    connected_ms: u64,
    last_received_ms: u64,
    /// The challenge nonce sent at connect.
    nonce: Vec<u8>,
    role: Role,
}

#[derive(Debug)]
enum Role {
    /// Connected, not logged in yet.
    Pending,
    User(UserSession),
    Admin {
        app_key: String,
    },
}

#[derive(Debug)]
struct UserSession {
    app_key: String,
    user_id: String,
    rooms: BTreeSet<String>,
}

/// App key and user or room ID.
type Scoped = (String, String);

#[derive(Debug, Default)]
struct Room {
    members: BTreeSet<String>,
    /// The sequence number of the room's last message: read from the store when the room is
    /// created in memory, and written there (with the message, in the room log) before each
    /// new message goes out.
    last_seq: u64,
}

/// Hands out message IDs from blocks reserved in the store, so IDs stay unique across restarts.
#[derive(Debug, Default)]
struct MessageIds {
    next: u64,
    end: u64,
}

/// See the module doc.
#[derive(Debug)]
pub struct ServerCore {
    apps: BTreeMap<String, String>,
    limits: Limits,
    store: StoreBox,
    rng: ChaCha8Rng,
    connections: BTreeMap<ConnId, Connection>,
    sessions: BTreeMap<Scoped, ConnId>,
    rooms: BTreeMap<Scoped, Room>,
    mutes: MuteTable,
    message_ids: MessageIds,
    next_sweep_ms: u64,
    outputs: VecDeque<Output>,
    /// Whether the store already held data when this core started (a restart).
    restarted: bool,
}

/// `Box<dyn Store>` with a Debug impl.
struct StoreBox(Box<dyn Store>);

impl std::fmt::Debug for StoreBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl ServerCore {
    /// A core for `config`, reopening `store`. `rng_seed` seeds challenge nonces and password
    /// salts: the binary draws it from the OS, the simulator from its seed.
    pub fn new(
        config: &ServerConfig,
        store: Box<dyn Store>,
        rng_seed: u64,
    ) -> Result<ServerCore, StoreError> {
        let mutes = MuteTable::load(store.as_ref())?;
        let mut store = store;
        // IDs are reserved from 1 on a fresh store, so a first block above 1 means a restart.
        let first_ids = store.reserve_message_ids(MESSAGE_ID_BLOCK)?;
        let restarted = first_ids > 1;
        Ok(ServerCore {
            apps: config.app_secrets(),
            limits: config.limits.clone(),
            store: StoreBox(store),
            rng: ChaCha8Rng::seed_from_u64(rng_seed),
            connections: BTreeMap::new(),
            sessions: BTreeMap::new(),
            rooms: BTreeMap::new(),
            mutes,
            message_ids: MessageIds {
                next: first_ids,
                end: first_ids + MESSAGE_ID_BLOCK,
            },
            next_sweep_ms: 0,
            outputs: VecDeque::new(),
            restarted,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Connections currently open.
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// A new connection: send it a challenge.
    pub fn handle_connect(&mut self, now: Now, conn: ConnId, peer: &str) {
        let mut nonce = vec![0u8; 16];
        rand_core::RngCore::fill_bytes(&mut self.rng, &mut nonce);
        self.connections.insert(
            conn,
            Connection {
                peer: peer.to_owned(),
                connected_ms: now.mono_ms,
                last_received_ms: now.mono_ms,
                nonce: nonce.clone(),
                role: Role::Pending,
            },
        );
        if self.restarted && yim_proto::planted::active(yim_proto::planted::Bug::RefuseAfterRestart)
        {
            self.close(
                conn,
                ErrorCode::ServerError,
                "planted bug: refusing after restart".into(),
            );
            return;
        }
        self.send(
            conn,
            FrameBody::Challenge(yim_proto::wire::Challenge {
                protocol_version: yim_proto::PROTOCOL_VERSION,
                nonce,
            }),
        );
    }

    /// A decoded frame from `conn`.
    pub fn handle_frame(&mut self, now: Now, conn: ConnId, frame: Frame) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return; // already closed; late frames are dropped
        };
        connection.last_received_ms = now.mono_ms;
        let Some(body) = frame.body else {
            self.close(conn, ErrorCode::ParamInvalid, "frame without a body".into());
            return;
        };
        match body {
            FrameBody::Ping(ping) => self.send(conn, FrameBody::Pong(Pong { nonce: ping.nonce })),
            FrameBody::AckMessages(ack) => self.handle_ack(conn, ack.up_to_message_id),
            FrameBody::UploadAudio(upload) => self.handle_upload(now, conn, upload),
            FrameBody::DownloadAudio(download) => self.handle_download(conn, download),
            FrameBody::Login(login) => self.handle_login(now, conn, login),
            FrameBody::AdminLogin(login) => self.handle_admin_login(conn, login),
            FrameBody::Logout(logout) => self.handle_logout(conn, logout.request_id),
            FrameBody::JoinRoom(join) => self.handle_join(conn, join),
            FrameBody::LeaveRoom(leave) => self.handle_leave(conn, leave),
            FrameBody::LeaveAllRooms(leave) => self.handle_leave_all(conn, leave.request_id),
            FrameBody::GetRoomMemberCount(get) => self.handle_member_count(conn, get),
            FrameBody::SendMessage(send) => self.handle_send(now, conn, send),
            FrameBody::Mute(mute) => self.handle_mute(conn, mute),
            FrameBody::Unmute(unmute) => self.handle_unmute(conn, unmute),
            other @ (FrameBody::Challenge(_)
            | FrameBody::Reply(_)
            | FrameBody::Message(_)
            | FrameBody::KickOff(_)
            | FrameBody::Pong(_)
            | FrameBody::Goodbye(_)) => {
                let kind = Frame::new(other).kind();
                self.close(
                    conn,
                    ErrorCode::ParamInvalid,
                    format!("unexpected {kind} frame from a client"),
                );
            }
        }
    }

    /// `conn` is gone (peer closed, read error, bad frame, slow reader). `reason` is logged.
    pub fn handle_disconnect(&mut self, conn: ConnId, reason: &str) {
        if let Some(connection) = self.connections.get(&conn) {
            tracing::info!(conn, peer = %connection.peer, reason, "connection ended");
        }
        self.forget(conn);
    }

    /// Closes connections that were idle too long, drops expired mutes, purges room log
    /// entries older than `room_log_max_age_secs`, and purges stale uploads and old audio
    /// (see `voice`).
    pub fn handle_timeout(&mut self, now: Now) {
        let now_ms = now.mono_ms;
        if now_ms < self.next_sweep_ms {
            return;
        }
        self.next_sweep_ms = now_ms + SWEEP_INTERVAL_MS;
        let overdue: Vec<(ConnId, &'static str)> = self
            .connections
            .iter()
            .filter_map(|(&conn, c)| match c.role {
                Role::Pending if now_ms >= c.connected_ms + self.limits.login_timeout_ms => {
                    Some((conn, "no login in time"))
                }
                Role::User(_) | Role::Admin { .. }
                    if now_ms >= c.last_received_ms + self.limits.idle_timeout_ms =>
                {
                    Some((conn, "idle timeout"))
                }
                _ => None,
            })
            .collect();
        for (conn, reason) in overdue {
            self.close(conn, ErrorCode::TimeOut, reason.into());
        }
        if let Err(e) = self
            .mutes
            .purge_expired(self.store.0.as_mut(), now.wall_secs())
        {
            tracing::error!(error = %e, "purging expired mutes");
        }
        let log_cutoff = now
            .wall_secs()
            .saturating_sub(self.limits.room_log_max_age_secs);
        if let Err(e) = self.store.0.purge_room_logs(log_cutoff) {
            tracing::error!(error = %e, "purging old room log entries");
        }
        self.purge_voice(now);
    }

    /// When (monotonic ms) `handle_timeout` next has work to do.
    pub fn poll_timeout(&self) -> u64 {
        self.next_sweep_ms
    }

    /// The next thing for the driver to do.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    // ---- helpers shared by the submodules ----

    fn send(&mut self, conn: ConnId, body: FrameBody) {
        self.outputs.push_back(Output::Send {
            conn,
            frame: Frame::new(body),
        });
    }

    fn reply(&mut self, conn: ConnId, request_id: u64, code: ErrorCode) {
        self.reply_with(conn, request_id, code, None);
    }

    fn reply_with(
        &mut self,
        conn: ConnId,
        request_id: u64,
        code: ErrorCode,
        detail: Option<reply::Detail>,
    ) {
        self.send(
            conn,
            FrameBody::Reply(Reply {
                request_id,
                code: code.as_u32(),
                detail,
            }),
        );
    }

    /// Closes `conn` with a logged reason and forgets its session.
    fn close(&mut self, conn: ConnId, code: ErrorCode, reason: String) {
        if let Some(connection) = self.connections.get(&conn) {
            tracing::info!(conn, peer = %connection.peer, %code, %reason, "closing connection");
        }
        self.forget(conn);
        self.outputs.push_back(Output::Close { conn, code, reason });
    }

    /// Drops all state of `conn`: its session and its room memberships.
    fn forget(&mut self, conn: ConnId) {
        let Some(connection) = self.connections.remove(&conn) else {
            return;
        };
        if let Role::User(session) = connection.role {
            let key = (session.app_key.clone(), session.user_id.clone());
            if self.sessions.get(&key) == Some(&conn) {
                self.sessions.remove(&key);
            }
            for room_id in &session.rooms {
                self.remove_member(&session.app_key, room_id, &session.user_id);
            }
        }
    }

    /// The user session on `conn`, if it has logged in as a user.
    fn user_session(&self, conn: ConnId) -> Option<&UserSession> {
        match &self.connections.get(&conn)?.role {
            Role::User(session) => Some(session),
            _ => None,
        }
    }

    fn user_session_mut(&mut self, conn: ConnId) -> Option<&mut UserSession> {
        match &mut self.connections.get_mut(&conn)?.role {
            Role::User(session) => Some(session),
            _ => None,
        }
    }

    /// The next message ID, reserving a new block from the store when one runs out.
    fn next_message_id(&mut self) -> Result<u64, StoreError> {
        if self.message_ids.next >= self.message_ids.end {
            let first = self.store.0.reserve_message_ids(MESSAGE_ID_BLOCK)?;
            self.message_ids = MessageIds {
                next: first,
                end: first + MESSAGE_ID_BLOCK,
            };
        }
        let id = self.message_ids.next;
        self.message_ids.next += 1;
        Ok(id)
    }

    /// Replies NotLogin and returns None unless `conn` is a logged-in user.
    fn require_user(&mut self, conn: ConnId, request_id: u64) -> Option<(String, String)> {
        match self.user_session(conn) {
            Some(s) => Some((s.app_key.clone(), s.user_id.clone())),
            None => {
                self.reply(conn, request_id, ErrorCode::NotLogin);
                None
            }
        }
    }
}

impl Output {
    /// The Goodbye frame sent before closing.
    pub fn goodbye(code: ErrorCode, reason: &str) -> Frame {
        Frame::new(FrameBody::Goodbye(Goodbye {
            code: code.as_u32(),
            reason: reason.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests;
