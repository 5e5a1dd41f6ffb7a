//! A password's hash, computed off the core: the job the core hands its driver
//! (`Output::Hash`) and the result the driver feeds back (`ServerCore::handle_hash_done`), both
//! pure data with no state of the core. Not the judging of a password or the login around it
//! (`login`).

use sha2::Sha256;

/// PBKDF2-HMAC-SHA256 of `password` with `salt`.
pub(crate) fn hash_password(password: &str, salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut hash = vec![0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds.max(1), &mut hash);
    hash
}

/// A password to hash off the core (`Output::Hash`): pure work, run anywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct HashJob {
    /// Identifies the job: its result comes back with the same ID.
    pub id: u64,
    pub(super) password: String,
    pub(super) salt: Vec<u8>,
    pub(super) rounds: u32,
}

impl std::fmt::Debug for HashJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashJob")
            .field("id", &self.id)
            .field("rounds", &self.rounds)
            .finish_non_exhaustive()
    }
}

impl HashJob {
    /// Hashes the password (milliseconds of CPU at the default rounds).
    pub fn run(&self) -> HashDone {
        HashDone {
            id: self.id,
            hash: hash_password(&self.password, &self.salt, self.rounds),
        }
    }
}

/// The result of a [`HashJob`], for `ServerCore::handle_hash_done`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashDone {
    /// The ID of the job it answers.
    pub id: u64,
    pub(super) hash: Vec<u8>,
}
