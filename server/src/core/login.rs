//! Logging in and out: app keys and the challenge proof, accounts (first login registers,
//! later logins must match the first password), login tokens, one session per user (a login
//! elsewhere kicks the older session off), session IDs and resuming them, operator sessions,
//! and private mail handed over at login.
//!
//! Session IDs: each fresh login gets a new ID (from the message-ID allocator: unique across
//! restarts, never 0), stored as the user's current session and returned in the
//! `LoginReceipt`. A login that resumes an ID (`resume_session_id != 0`) is refused with
//! LoginSessionError (10) unless that ID is still the user's current session, and a refused
//! resume kicks no one off; an accepted one keeps its ID and is otherwise a normal login.
//!
//! A login takes two inputs, so that no password is hashed on the core (see the module doc
//! of `core`): the `Login` frame makes every cheap check (state, protocol, app key and proof,
//! IDs, token), applies the throttles, reads the account and queues a [`HashJob`] (the stored
//! salt to check the password, or a fresh one to register it); the job's result
//! (`hash_done`) judges the password and makes the login's writes (a new account, the new
//! session ID and any message-ID block it takes) one commit, before anything changes in
//! memory: if it fails the login gets ServerError and its connection is closed, and the
//! older session is not kicked off. A registration whose user ID was registered while its
//! hash was computed (a login racing it) is checked again against that account. A connection
//! gone by the time its hash is ready is answered nothing.
//!
//! Throttles (token buckets, `throttle`): a login of an existing account takes a token from
//! the account's and from the peer address's failed-login buckets, given back when the
//! password matches (so only failures, and logins still being checked, count); a
//! registration takes one from the address's registration bucket. With no token left the
//! login is refused at once with UserStatusError (16), without hashing, and its connection
//! closed. More than `max_pending_hashes` logins waiting for a hash: ServerError (8). A
//! locked account refuses its right password too until it refills: an attacker can keep one
//! account locked (the price of limiting guesses per account; the address limit does not
//! lock anyone else out).

use std::collections::BTreeSet;

use prost::Message as _;
use yim_hooks::planted::{self, Bug};
use yim_hooks::probe::{self, Probe};
use yim_proto::wire::{reply, AdminLogin, KickOff, Login, LoginReceipt};
use yim_proto::{auth, limits, ErrorCode, FrameBody};

use super::io::{ConnId, Now, Output};
use super::login_state::PendingLogin;
use super::password::{HashDone, HashJob};
use super::state::{Role, ServerCore, UserSession};
use super::throttle::peer_address;
use crate::store::{Account, StoreError, Write};

/// Bytes of salt per password.
const SALT_BYTES: usize = 16;

/// Compares without an early exit, so timing does not reveal how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl ServerCore {
    pub(super) fn handle_login(&mut self, now: Now, conn: ConnId, login: Login) {
        let request_id = login.request_id;
        if let Err(code) = self.start_login(now, conn, login) {
            self.refuse_login(conn, request_id, code);
        }
    }

    /// Answers a refused login and closes its connection (but for AlreadyLogin, which leaves
    /// the session in place alone).
    fn refuse_login(&mut self, conn: ConnId, request_id: u64, code: ErrorCode) {
        self.reply(conn, request_id, code);
        if code != ErrorCode::AlreadyLogin {
            self.close(conn, code, format!("login failed: {code}"));
        }
    }

    /// The first step: checks and throttles, then the hash job.
    fn start_login(&mut self, now: Now, conn: ConnId, login: Login) -> Result<(), ErrorCode> {
        let address = self.check_login(now, conn, &login)?;
        if self.hashing.len() >= self.limits.max_pending_hashes {
            tracing::warn!(user = %login.user_id, "too many logins waiting for a hash; refused");
            return Err(ErrorCode::ServerError);
        }
        let stored = self
            .store
            .0
            .account(&login.app_key, &login.user_id)
            .map_err(store_failed)?;
        let now_ms = now.mono_ms;
        let salt = match &stored {
            Some(account) => {
                let key = (login.app_key.clone(), login.user_id.clone());
                if !self.throttles.take_login(&key, &address, now_ms) {
                    tracing::warn!(user = %login.user_id, %address, "failed logins throttled");
                    return Err(ErrorCode::UserStatusError);
                }
                account.salt.clone()
            }
            None => {
                if !self
                    .throttles
                    .registrations_by_address
                    .take(&address, now_ms)
                {
                    tracing::warn!(%address, "registrations throttled");
                    return Err(ErrorCode::UserStatusError);
                }
                let mut salt = vec![0u8; SALT_BYTES];
                rand_core::RngCore::fill_bytes(&mut self.rng, &mut salt);
                salt
            }
        };
        self.queue_hash(PendingLogin {
            conn,
            login,
            account: stored,
            salt,
            address,
        });
        Ok(())
    }

    /// Queues the hash of a login (the caller checked there is room).
    fn queue_hash(&mut self, pending: PendingLogin) {
        let id = self.next_hash_job;
        self.next_hash_job += 1;
        if let Some(connection) = self.connections.get_mut(&pending.conn) {
            connection.hashing = Some(id);
        }
        let job = HashJob {
            id,
            password: pending.login.password.clone(),
            salt: pending.salt.clone(),
            rounds: self.limits.password_hash_rounds,
        };
        self.hashing.insert(id, pending);
        self.queue(Output::Hash(job));
    }

    /// The second step: the password is judged, then the login is made.
    pub(super) fn hash_done(&mut self, now: Now, done: HashDone) {
        let Some(pending) = self.hashing.remove(&done.id) else {
            return;
        };
        let PendingLogin {
            conn,
            login,
            account,
            salt,
            address,
        } = pending;
        let now_ms = now.mono_ms;
        let key = (login.app_key.clone(), login.user_id.clone());
        let right = match &account {
            Some(account) => {
                let right = constant_time_eq(&done.hash, &account.password_hash)
                    || planted::active(Bug::AcceptWrongPassword);
                if right {
                    self.throttles.give_back_login(&key, &address, now_ms);
                }
                right
            }
            None => true,
        };
        // Judged (and counted) whether or not anyone still waits for the answer.
        let waiting = self
            .connections
            .get_mut(&conn)
            .filter(|c| c.hashing == Some(done.id));
        let Some(connection) = waiting else {
            return;
        };
        connection.hashing = None;
        let request_id = login.request_id;
        if !right {
            self.refuse_login(conn, request_id, ErrorCode::UsernamePasswordError);
            return;
        }
        let new_account = match account {
            Some(_) => None,
            None => {
                let registered = self
                    .store
                    .0
                    .account(&login.app_key, &login.user_id)
                    .map_err(store_failed);
                match registered {
                    Err(code) => return self.refuse_login(conn, request_id, code),
                    Ok(Some(existing)) => {
                        // Registered meanwhile by a racing login: check against that one.
                        let code = if self.hashing.len() >= self.limits.max_pending_hashes {
                            ErrorCode::ServerError
                        } else if !self.throttles.take_login(&key, &address, now_ms) {
                            ErrorCode::UserStatusError
                        } else {
                            self.queue_hash(PendingLogin {
                                conn,
                                login,
                                salt: existing.salt.clone(),
                                account: Some(existing),
                                address,
                            });
                            return;
                        };
                        return self.refuse_login(conn, request_id, code);
                    }
                    Ok(None) => Some(Account {
                        salt,
                        password_hash: done.hash,
                    }),
                }
            }
        };
        self.finish_login(conn, login, new_account);
    }

    /// The password is right: the login's one commit, then the session.
    fn finish_login(&mut self, conn: ConnId, login: Login, new_account: Option<Account>) {
        let request_id = login.request_id;
        let claimed = self.claim_session(&login).and_then(|session_id| {
            if let Some(account) = new_account {
                self.stage(Write::PutAccount {
                    app_key: login.app_key.clone(),
                    user_id: login.user_id.clone(),
                    account,
                });
            }
            self.commit().map_err(store_failed)?;
            Ok(session_id)
        });
        let session_id = match claimed {
            Ok(session_id) => session_id,
            Err(code) => return self.refuse_login(conn, request_id, code),
        };
        let old = self.sessions.insert(&login.app_key, &login.user_id, conn);
        self.membership_changes += 1;
        // The planted bug hands the old session's rooms to the new one.
        let inherited = match old.and_then(|old| self.user_session_mut(old)) {
            Some(session) if planted::active(Bug::KickOffKeepsRooms) => {
                std::mem::take(&mut session.rooms)
            }
            _ => BTreeSet::new(),
        };
        if let Some(old) = old.filter(|_| !planted::active(Bug::NoKickOff)) {
            self.send(old, FrameBody::KickOff(KickOff {}));
            self.close(
                old,
                ErrorCode::Success,
                "kicked off by a login elsewhere".into(),
            );
        }
        let session = UserSession {
            app_key: login.app_key.clone(),
            user_id: login.user_id.clone(),
            rooms: inherited,
        };
        self.authenticate(conn, Role::User(session));
        self.reply_with(
            conn,
            request_id,
            ErrorCode::Success,
            Some(reply::Detail::LoginReceipt(LoginReceipt { session_id })),
        );
        if let Err(e) = self.deliver_mail(conn, &login.app_key, &login.user_id) {
            tracing::error!(error = %e, user = %login.user_id, "delivering stored mail");
        }
    }

    /// The cheap rules of login, in order, with reads only; returns the peer's address.
    fn check_login(&self, now: Now, conn: ConnId, login: &Login) -> Result<String, ErrorCode> {
        let Some(connection) = self.connections.get(&conn) else {
            return Err(ErrorCode::NetError);
        };
        if !matches!(connection.role, Role::Pending) || connection.hashing.is_some() {
            return Err(ErrorCode::AlreadyLogin);
        }
        if login.protocol_version != yim_proto::PROTOCOL_VERSION {
            return Err(ErrorCode::SDKInvalid);
        }
        let Some(secret) = self.apps.get(&login.app_key) else {
            return Err(ErrorCode::InvalidAppkey);
        };
        if !auth::verify_challenge_proof(secret, &connection.nonce, &login.proof) {
            return Err(ErrorCode::SDKInvalid);
        }
        limits::check_user_id(&login.user_id)?;
        limits::check_password(&login.password)?;
        limits::check_token(&login.token)?;
        // The planted bug checks the token at the beginning of time: it never expires.
        let token_now_secs = if planted::active(Bug::IgnoreTokenExpiry) {
            0
        } else {
            now.wall_secs()
        };
        if !login.token.is_empty()
            && !auth::verify_login_token(secret, &login.user_id, &login.token, token_now_secs)
        {
            probe::hit(Probe::TokenRefused);
            return Err(ErrorCode::LoginTokenInvalid);
        }
        Ok(peer_address(&connection.peer).to_owned())
    }

    /// The session ID this (checked) login holds; see the module doc. A fresh one is
    /// staged as the user's current session.
    fn claim_session(&mut self, login: &Login) -> Result<u64, ErrorCode> {
        let (app_key, user_id) = (&login.app_key, &login.user_id);
        if login.resume_session_id != 0 {
            let current = self
                .store
                .0
                .current_session(app_key, user_id)
                .map_err(store_failed)?;
            return if current == Some(login.resume_session_id) {
                Ok(login.resume_session_id)
            } else {
                Err(ErrorCode::LoginSessionError)
            };
        }
        let session_id = self.next_message_id();
        self.stage(Write::PutSession {
            app_key: app_key.clone(),
            user_id: user_id.clone(),
            session_id,
        });
        Ok(session_id)
    }

    /// Sends the user's unacknowledged private messages in message ID order. They stay in the
    /// mailbox until the SDK acknowledges them.
    fn deliver_mail(
        &mut self,
        conn: ConnId,
        app_key: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let mut mail = self.store.0.mail(app_key, user_id)?;
        if planted::active(Bug::ReverseMailbox) {
            mail.reverse();
        }
        if planted::active(Bug::MailSortedAsText) {
            mail.sort_by_key(|stored| stored.message_id.to_string());
        }
        for stored in mail {
            match yim_proto::wire::Message::decode(stored.message.as_slice()) {
                Ok(message) => self.send(conn, FrameBody::Message(message)),
                Err(e) => {
                    tracing::error!(error = %e, message_id = stored.message_id, "unreadable stored mail")
                }
            }
        }
        Ok(())
    }

    /// The user's SDK delivered private messages up to `up_to_message_id`: forget them
    /// (committed when the input ends; nothing is answered).
    pub(super) fn handle_ack(&mut self, conn: ConnId, up_to_message_id: u64) {
        let Some(session) = self.user_session(conn) else {
            return; // not logged in: nothing of its to acknowledge
        };
        let (app_key, user_id) = (session.app_key.clone(), session.user_id.clone());
        self.stage(Write::DeleteMail {
            app_key,
            user_id,
            up_to_message_id,
        });
    }

    pub(super) fn handle_logout(&mut self, conn: ConnId, request_id: u64) {
        if self.require_user(conn, request_id).is_none() {
            return;
        }
        self.reply(conn, request_id, ErrorCode::Success);
        self.close(conn, ErrorCode::Success, "logout".into());
    }

    pub(super) fn handle_admin_login(&mut self, conn: ConnId, login: AdminLogin) {
        let code = match self.connections.get(&conn) {
            None => return,
            Some(c) if !matches!(c.role, Role::Pending) || c.hashing.is_some() => {
                ErrorCode::AlreadyLogin
            }
            Some(_) if login.protocol_version != yim_proto::PROTOCOL_VERSION => {
                ErrorCode::SDKInvalid
            }
            Some(c) => match self.apps.get(&login.app_key) {
                None => ErrorCode::InvalidAppkey,
                Some(secret) if !auth::verify_challenge_proof(secret, &c.nonce, &login.proof) => {
                    ErrorCode::SDKInvalid
                }
                Some(_) => ErrorCode::Success,
            },
        };
        let request_id = login.request_id;
        match code {
            ErrorCode::Success => {
                let role = Role::Admin {
                    app_key: login.app_key,
                };
                self.authenticate(conn, role);
                self.reply(conn, request_id, code);
            }
            ErrorCode::AlreadyLogin => self.reply(conn, request_id, code),
            _ => {
                self.reply(conn, request_id, code);
                self.close(conn, code, format!("operator login failed: {code}"));
            }
        }
    }
}

fn store_failed(e: StoreError) -> ErrorCode {
    tracing::error!(error = %e, "store failure during login");
    ErrorCode::ServerError
}
