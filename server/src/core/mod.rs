//! The server's protocol logic, with no I/O (quinn-proto style).
//!
//! `ServerCore` takes inputs — a connection opened (`handle_connect`), a decoded frame
//! (`handle_frame`), a connection gone (`handle_disconnect`), time passing (`handle_timeout`) —
//! and queues outputs (`poll_output`): frames to send to a connection, connections to close.
//! Time is always an argument. The async driver (`crate::driver`) owns the sockets; the
//! simulator runs the very same core through the very same driver.
//!
//! **The commit rule.** Everything one input (a frame, a connect or disconnect, a timer
//! sweep) writes to the store is staged in one [`WriteBatch`] and committed as one atomic
//! unit, and no output of the input leaves the core before that commit has succeeded:
//! outputs are held in `pending` and released only when the input ends. A handler whose
//! answer depends on its writes (a send, a login, an upload, a mute) first checks everything
//! with reads, then stages its writes, then commits (`commit`), and only then changes its
//! in-memory state (a room's last seq, the message-ID block, the mute table, sessions) and
//! queues its outputs; if the commit fails it changes nothing in memory and answers
//! ServerError (8), and everyone else goes on being served. Writes nothing waits on (an
//! acknowledgement of mail) are committed when the input ends. A commit whose outcome is
//! unknown (`StoreError::CommitUncertain`) halts the core at once: none of that input's
//! outputs leaves, nothing more is handled, and the driver stops (a restart reads whichever
//! state the disk holds). So a crash can only leave the state before or after a whole
//! input, and an acknowledgement always means "committed".
//!
//! **Group commit.** A commit survives a process crash once it returns, a power loss once
//! the store has synced it ([`Store::sync`]). So the released outputs of an input that
//! committed wait in `held`, with those of every later input (whatever they read may
//! depend on it), until `poll_output` finds nothing else to hand out: it syncs the store
//! once for all of them and then releases them. A driver that handles several inputs
//! before polling (the driver takes what its input queue holds at once) pays one sync for
//! all. A sync that fails halts the core like an uncertain commit, and the held outputs
//! never leave.
//!
//! **Work off the core.** A password hash (PBKDF2, milliseconds of CPU) is never computed by
//! the core: a login that needs one queues `Output::Hash` with a [`HashJob`] and waits; the
//! driver runs the job on its pool and feeds the result back as an input of its own
//! (`handle_hash_done`), whose commit holds the login's writes. At most `max_pending_hashes`
//! jobs are out at once.
//!
//! Split by concern: `login` (apps, accounts, sessions and their IDs, kick-off), `rooms`
//! (membership, resuming joins with replay), `messaging` (sends, resend dedupe, room seqs and
//! log, fan-out, private mailboxes), `history` (pages of a room's log for its members), `voice`
//! (resumable audio uploads, the stored audio of voice messages and its chunked download),
//! `mutes` (operator mutes), `throttle` (token buckets for the rate limits), `invariants` (what
//! must hold between inputs).
//!
//! Layered, never in a circle: the rule modules import what they share from the modules that
//! define it, below them: `state` (the `ServerCore` struct and what it holds), `io` (`ConnId`,
//! `Now`, `Output`), `password` (hash jobs), `login_state` (logins waiting for a hash, the
//! login throttles), `mute_table`, `sessions`, `throttle`. This module sits on top: it only
//! re-exports the public API and holds the input machinery (dispatch, the commit rule, group
//! commit) and the helpers the rules share; nothing below imports it.

mod history;
mod invariants;
mod io;
mod login;
mod login_state;
mod messaging;
mod mute_table;
mod mutes;
mod password;
mod rooms;
mod sessions;
mod state;
pub(crate) mod throttle;
mod voice;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{reply, Pong, Reply};
use yim_proto::{ErrorCode, Frame, FrameBody};

use crate::config::{Limits, ServerConfig};
use crate::store::{Store, StoreError, Write, WriteBatch};
use login_state::Throttles;
use sessions::Sessions;
use state::{Connection, MessageIds, Role, Scoped, StoreBox, UserSession};

pub use io::{ConnId, Now, Output};
pub use mute_table::MuteTable;
pub use password::{HashDone, HashJob};
pub use state::ServerCore;
pub use throttle::{peer_address, Rate};

/// How often the core sweeps for idle connections and expired mutes.
const SWEEP_INTERVAL_MS: u64 = 1000;
/// Message IDs reserved from the store at a time.
const MESSAGE_ID_BLOCK: u64 = 1024;

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
        let first_ids = store.message_id_mark()?;
        let restarted = first_ids > 1;
        let mut reservation = WriteBatch::new();
        reservation.push(Write::MessageIdMark {
            next: first_ids + MESSAGE_ID_BLOCK,
        });
        store.commit(&reservation)?;
        Ok(ServerCore {
            apps: config.app_secrets(),
            limits: config.limits.clone(),
            store: StoreBox(store),
            rng: ChaCha8Rng::seed_from_u64(rng_seed),
            connections: BTreeMap::new(),
            sessions: Sessions::default(),
            rooms: BTreeMap::new(),
            // Reported after the first input.
            membership_changes: 1,
            membership_reported: 0,
            mutes,
            message_ids: MessageIds {
                next: first_ids,
                end: first_ids + MESSAGE_ID_BLOCK,
                staged_end: 0,
            },
            next_sweep_ms: 0,
            batch: WriteBatch::new(),
            commits_in_input: 0,
            pending: Vec::new(),
            held: Vec::new(),
            // The message-ID reservation above is not synced yet.
            unsynced: true,
            outputs: VecDeque::new(),
            halt: None,
            restarted,
            hashing: BTreeMap::new(),
            next_hash_job: 1,
            throttles: Throttles::new(&config.limits),
            unauthenticated: 0,
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

    /// Connections open that have not logged in (`max_unauthenticated_connections` bounds
    /// them at accept).
    pub fn unauthenticated_count(&self) -> usize {
        self.unauthenticated
    }

    /// Why the core halted, if it did: a commit's outcome is unknown, so it handles nothing
    /// more and the driver must stop (see the module doc).
    pub fn halted(&self) -> Option<&StoreError> {
        self.halt.as_ref()
    }

    /// A new connection: send it a challenge.
    pub fn handle_connect(&mut self, now: Now, conn: ConnId, peer: &str) {
        self.input(|core| core.connect(now, conn, peer));
    }

    fn connect(&mut self, now: Now, conn: ConnId, peer: &str) {
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
                hashing: None,
            },
        );
        self.unauthenticated += 1;
        if self.restarted && yim_hooks::planted::active(yim_hooks::planted::Bug::RefuseAfterRestart)
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
        self.input(|core| core.frame(now, conn, frame));
    }

    fn frame(&mut self, now: Now, conn: ConnId, frame: Frame) {
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
            FrameBody::QueryRoomHistory(query) => self.handle_room_history(conn, query),
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

    /// The result of a [`HashJob`] the core asked for with `Output::Hash`.
    pub fn handle_hash_done(&mut self, now: Now, done: HashDone) {
        self.input(|core| core.hash_done(now, done));
    }

    /// `conn` is gone (peer closed, read error, bad frame, slow reader). `reason` is logged.
    pub fn handle_disconnect(&mut self, conn: ConnId, reason: &str) {
        self.input(|core| {
            if let Some(connection) = core.connections.get(&conn) {
                tracing::info!(conn, peer = %connection.peer, reason, "connection ended");
            }
            core.forget(conn);
        });
    }

    /// Closes connections that were idle too long, drops expired mutes, purges room log
    /// entries older than `room_log_max_age_secs`, and purges stale uploads and old audio
    /// (see `voice`).
    pub fn handle_timeout(&mut self, now: Now) {
        self.input(|core| core.sweep(now));
    }

    fn sweep(&mut self, now: Now) {
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
        self.throttles.sweep(now_ms);
        let expired = self.mutes.expired(now.wall_secs());
        if !expired.is_empty() {
            probe::hit(Probe::MuteExpired);
        }
        for key in &expired {
            self.stage(MuteTable::delete(key));
        }
        let before_secs = now
            .wall_secs()
            .saturating_sub(self.limits.room_log_max_age_secs);
        self.stage(Write::PurgeRoomLogs { before_secs });
        self.stage_voice_purges(now);
        match self.commit() {
            Ok(()) => {
                for key in expired {
                    self.mutes.remove(&key);
                }
            }
            Err(e) => tracing::error!(error = %e, "store failure in the sweep's purges"),
        }
    }

    /// When (monotonic ms) `handle_timeout` next has work to do.
    pub fn poll_timeout(&self) -> u64 {
        self.next_sweep_ms
    }

    /// The next thing for the driver to do. Once the released outputs are all taken, syncs
    /// the store and releases the held ones (see the module doc).
    pub fn poll_output(&mut self) -> Option<Output> {
        if self.outputs.is_empty() && !self.held.is_empty() {
            self.sync();
        }
        self.outputs.pop_front()
    }

    /// Syncs the store's commits and releases the outputs held for them; a failed sync
    /// halts the core.
    fn sync(&mut self) {
        if self.halt.is_some() {
            return;
        }
        // A planted bug releases them at once and leaves the sync to the next input.
        if !planted::active(Bug::ReleaseBeforeSync) {
            self.sync_store();
        }
        if self.halt.is_none() {
            self.outputs.extend(self.held.drain(..));
        }
    }

    /// Syncs the store if a commit has returned since the last sync; a failed sync halts
    /// the core, and the held outputs never leave.
    fn sync_store(&mut self) {
        if self.unsynced {
            let mut synced = self.store.0.sync();
            if planted::active(Bug::IgnoreSyncFailure) {
                synced = Ok(());
            }
            if let Err(e) = synced {
                tracing::error!(error = %e, "a sync's outcome is unknown: halting");
                self.halt = Some(match e {
                    StoreError::Failed(reason) => StoreError::CommitUncertain(reason),
                    uncertain => uncertain,
                });
                self.held.clear();
                return;
            }
            self.unsynced = false;
        }
    }

    // ---- the commit rule (see the module doc) ----

    /// Handles one input: its outputs are released only at its end, after its commit.
    fn input(&mut self, handle: impl FnOnce(&mut ServerCore)) {
        if self.halt.is_some() {
            return;
        }
        if planted::active(Bug::ReleaseBeforeSync) {
            self.sync_store();
            if self.halt.is_some() {
                return;
            }
        }
        self.commits_in_input = 0;
        if planted::active(Bug::SyncFlagPerInput) {
            self.unsynced = false;
        }
        handle(self);
        // Writes nothing waited on; a planted bug leaves them for a later commit.
        if !planted::active(Bug::ReplyBeforeCommit) {
            if let Err(e) = self.commit() {
                tracing::error!(error = %e, "store failure committing an input");
            }
        }
        if self.halt.is_some() {
            self.pending.clear();
            self.held.clear();
            return;
        }
        self.held.append(&mut self.pending);
        if self.membership_changes != self.membership_reported {
            self.membership_reported = self.membership_changes;
            probe::observe(|| probe::Observation::Membership(self.membership()));
        }
    }

    /// Every user with a session or in a room, with its connection and rooms (for the
    /// simulator's membership checker; see `yim_hooks::probe`).
    fn membership(&self) -> Vec<probe::MemberState> {
        let mut users: BTreeMap<Scoped, probe::MemberState> = BTreeMap::new();
        let state = |(app_key, user_id): &Scoped| probe::MemberState {
            app_key: app_key.clone(),
            user_id: user_id.clone(),
            conn: None,
            rooms: Vec::new(),
        };
        for (app_key, user_id, conn) in self.sessions.iter() {
            let key = (app_key.to_owned(), user_id.to_owned());
            users.entry(key.clone()).or_insert_with(|| state(&key)).conn = Some(conn);
        }
        for ((app_key, room_id), room) in &self.rooms {
            for user_id in &room.members {
                let key = (app_key.clone(), user_id.clone());
                let member = users.entry(key.clone()).or_insert_with(|| state(&key));
                member.rooms.push(room_id.clone());
            }
        }
        users.into_values().collect()
    }

    /// Stages a write of the current input.
    fn stage(&mut self, write: Write) {
        debug_assert!(
            self.commits_in_input == 0 || planted::active(Bug::SplitSendCommit),
            "an input commits once: nothing is staged after its commit"
        );
        self.batch.push(write);
    }

    /// Commits everything the current input staged, as one unit (nothing staged: nothing
    /// to do). On success the message-ID block staged with it counts; on failure nothing
    /// staged remains, and an uncertain outcome halts the core.
    fn commit(&mut self) -> Result<(), StoreError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.commits_in_input += 1;
        let batch = self.batch.take();
        let staged_end = std::mem::take(&mut self.message_ids.staged_end);
        match self.store.0.commit(&batch) {
            Ok(()) => {
                self.unsynced = true;
                self.message_ids.end = self.message_ids.end.max(staged_end);
                Ok(())
            }
            Err(e) => {
                if matches!(e, StoreError::CommitUncertain(_)) {
                    tracing::error!(error = %e, "a commit's outcome is unknown: halting");
                    self.halt = Some(e.clone());
                }
                Err(e)
            }
        }
    }

    // ---- helpers shared by the submodules ----

    fn send(&mut self, conn: ConnId, body: FrameBody) {
        self.queue(Output::Send {
            conn,
            frame: Arc::new(Frame::new(body)),
        });
    }

    /// Queues an output of the current input, released when the input ends.
    fn queue(&mut self, output: Output) {
        debug_assert!(
            self.batch.is_empty() || planted::active(Bug::ReplyBeforeCommit),
            "no output is queued while writes of the input wait for their commit"
        );
        self.pending.push(output);
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
        self.queue(Output::Close { conn, code, reason });
    }

    /// Drops all state of `conn`: its session and its room memberships.
    fn forget(&mut self, conn: ConnId) {
        let Some(connection) = self.connections.remove(&conn) else {
            return;
        };
        if matches!(connection.role, Role::Pending) {
            self.unauthenticated -= 1;
        }
        if let Role::User(session) = connection.role {
            self.sessions
                .remove_if_on(&session.app_key, &session.user_id, conn);
            self.membership_changes += 1;
            for room_id in &session.rooms {
                self.remove_member(&session.app_key, room_id, &session.user_id);
            }
        }
    }

    /// `conn` logged in as `role`: it no longer counts as unauthenticated, and the driver lifts
    /// its frame limit (queued before the login's reply, so it applies first).
    fn authenticate(&mut self, conn: ConnId, role: Role) {
        let Some(connection) = self.connections.get_mut(&conn) else {
            return;
        };
        if matches!(connection.role, Role::Pending) {
            self.unauthenticated -= 1;
        }
        connection.role = role;
        self.queue(Output::LoggedIn { conn });
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

    /// The next message ID; past the reserved block, stages the reservation of a new one
    /// (see [`MessageIds`]).
    fn next_message_id(&mut self) -> u64 {
        let ids = &mut self.message_ids;
        let id = ids.next;
        ids.next += 1;
        if id >= ids.end.max(ids.staged_end) {
            ids.staged_end = id + MESSAGE_ID_BLOCK;
            let next = ids.staged_end;
            self.stage(Write::MessageIdMark { next });
        }
        id
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

#[cfg(test)]
mod tests;
