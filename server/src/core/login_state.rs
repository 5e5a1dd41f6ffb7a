//! What logins keep in the core between inputs: the logins waiting for their password hash,
//! and the login rate limits (token buckets per account and per peer address). Only the
//! state and its bookkeeping: the login rules that use them are in `login`.

use yim_proto::wire::Login;

use super::io::ConnId;
use super::throttle::Throttle;
use crate::config::Limits;
use crate::store::Account;

/// A login waiting for its hash.
#[derive(Debug)]
pub(super) struct PendingLogin {
    pub(super) conn: ConnId,
    pub(super) login: Login,
    /// The account the password is checked against; `None`: registering with `salt`.
    pub(super) account: Option<Account>,
    pub(super) salt: Vec<u8>,
    pub(super) address: String,
}

impl PendingLogin {
    pub(super) fn conn(&self) -> ConnId {
        self.conn
    }
}

/// The login rate limits (see the module doc).
#[derive(Debug)]
pub(super) struct Throttles {
    failed_by_account: Throttle<(String, String)>,
    failed_by_address: Throttle<String>,
    pub(super) registrations_by_address: Throttle<String>,
}

impl Throttles {
    pub(super) fn new(limits: &Limits) -> Throttles {
        let keys = limits.max_throttled_keys;
        Throttles {
            failed_by_account: Throttle::new(limits.failed_logins_per_account, keys),
            failed_by_address: Throttle::new(limits.failed_logins_per_address, keys),
            registrations_by_address: Throttle::new(limits.registrations_per_address, keys),
        }
    }

    /// A login of an existing account: a token of the account's and of the address's.
    pub(super) fn take_login(
        &mut self,
        account: &(String, String),
        address: &String,
        now_ms: u64,
    ) -> bool {
        if !self.failed_by_account.take(account, now_ms) {
            return false;
        }
        if !self.failed_by_address.take(address, now_ms) {
            self.failed_by_account.give_back(account, now_ms);
            return false;
        }
        true
    }

    /// The password matched: the login does not count as a failure.
    pub(super) fn give_back_login(
        &mut self,
        account: &(String, String),
        address: &String,
        now_ms: u64,
    ) {
        self.failed_by_account.give_back(account, now_ms);
        self.failed_by_address.give_back(address, now_ms);
    }

    pub(super) fn sweep(&mut self, now_ms: u64) {
        self.failed_by_account.sweep(now_ms);
        self.failed_by_address.sweep(now_ms);
        self.registrations_by_address.sweep(now_ms);
    }

    /// Keys held and the bound, of each table (for the invariants).
    pub(super) fn sizes(&self) -> [(usize, usize); 3] {
        [
            (
                self.failed_by_account.len(),
                self.failed_by_account.max_keys(),
            ),
            (
                self.failed_by_address.len(),
                self.failed_by_address.max_keys(),
            ),
            (
                self.registrations_by_address.len(),
                self.registrations_by_address.max_keys(),
            ),
        ]
    }
}
