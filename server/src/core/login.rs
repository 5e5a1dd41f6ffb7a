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
//! A login's writes (a new account, the new session ID and any message-ID block it takes)
//! are one commit, made before anything changes in memory: if it fails the login gets
//! ServerError and its connection is closed, and the older session is not kicked off.

use std::collections::BTreeSet;

use prost::Message as _;
use sha2::Sha256;
use yim_proto::planted::{self, Bug};
use yim_proto::probe::{self, Probe};
use yim_proto::wire::{reply, AdminLogin, KickOff, Login, LoginReceipt};
use yim_proto::{auth, limits, ErrorCode, FrameBody};

use super::{ConnId, Now, Role, ServerCore, UserSession};
use crate::store::{Account, StoreError, Write};

/// Bytes of salt per password.
const SALT_BYTES: usize = 16;

/// PBKDF2-HMAC-SHA256 of `password` with `salt`.
pub(crate) fn hash_password(password: &str, salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut hash = vec![0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds.max(1), &mut hash);
    hash
}

/// Compares without an early exit, so timing does not reveal how much matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl ServerCore {
    pub(super) fn handle_login(&mut self, now: Now, conn: ConnId, login: Login) {
        let request_id = login.request_id;
        let claimed = self.check_login(now, conn, &login).and_then(|new_account| {
            let session_id = self.claim_session(&login)?;
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
            Err(code) => {
                self.reply(conn, request_id, code);
                if code != ErrorCode::AlreadyLogin {
                    self.close(conn, code, format!("login failed: {code}"));
                }
                return;
            }
        };
        let key = (login.app_key.clone(), login.user_id.clone());
        let old = self.sessions.insert(key, conn);
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
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.role = Role::User(UserSession {
                app_key: login.app_key.clone(),
                user_id: login.user_id.clone(),
                rooms: inherited,
            });
        }
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

    /// Every rule of login, in order, with reads only; on success the password matched the
    /// account, or the account to register is returned.
    fn check_login(
        &mut self,
        now: Now,
        conn: ConnId,
        login: &Login,
    ) -> Result<Option<Account>, ErrorCode> {
        let Some(connection) = self.connections.get(&conn) else {
            return Err(ErrorCode::NetError);
        };
        if !matches!(connection.role, Role::Pending) {
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
        let rounds = self.limits.password_hash_rounds;
        let stored = self
            .store
            .0
            .account(&login.app_key, &login.user_id)
            .map_err(store_failed)?;
        match stored {
            Some(account) => {
                let hash = hash_password(&login.password, &account.salt, rounds);
                if !constant_time_eq(&hash, &account.password_hash)
                    && !planted::active(Bug::AcceptWrongPassword)
                {
                    return Err(ErrorCode::UsernamePasswordError);
                }
                Ok(None)
            }
            None => {
                let mut salt = vec![0u8; SALT_BYTES];
                rand_core::RngCore::fill_bytes(&mut self.rng, &mut salt);
                let password_hash = hash_password(&login.password, &salt, rounds);
                Ok(Some(Account {
                    salt,
                    password_hash,
                }))
            }
        }
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
            Some(c) if !matches!(c.role, Role::Pending) => ErrorCode::AlreadyLogin,
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
        self.reply(conn, login.request_id, code);
        match code {
            ErrorCode::Success => {
                if let Some(connection) = self.connections.get_mut(&conn) {
                    connection.role = Role::Admin {
                        app_key: login.app_key,
                    };
                }
            }
            ErrorCode::AlreadyLogin => {}
            _ => self.close(conn, code, format!("operator login failed: {code}")),
        }
    }
}

fn store_failed(e: StoreError) -> ErrorCode {
    tracing::error!(error = %e, "store failure during login");
    ErrorCode::ServerError
}
