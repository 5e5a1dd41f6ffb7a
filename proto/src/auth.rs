//! The HMAC-SHA256 proofs of login: the challenge proof (the client shows it knows the app
//! secret without sending it), login tokens (issued by the game's backend with the app
//! secret, checked by the server), and [`Login::new`], the one way to build the `Login` frame
//! that answers a challenge.
//!
//! Pure functions; the nonce and the current time are arguments.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::wire::Login;
use crate::PROTOCOL_VERSION;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

/// HMAC-SHA256(secret, nonce): what the client sends in `Login.proof`.
pub fn challenge_proof(secret: &str, nonce: &[u8]) -> Vec<u8> {
    let mut mac = mac(secret);
    mac.update(nonce);
    mac.finalize().into_bytes().to_vec()
}

/// Checks a challenge proof in constant time.
pub fn verify_challenge_proof(secret: &str, nonce: &[u8], proof: &[u8]) -> bool {
    let mut mac = mac(secret);
    mac.update(nonce);
    mac.verify_slice(proof).is_ok()
}

/// What a client logs in with. The app secret only signs the challenge proof: it is never
/// sent. `token` is empty when the user logs in with a password alone.
#[derive(Clone, Copy)]
pub struct LoginCredentials<'a> {
    /// The game's app key.
    pub app_key: &'a str,
    /// The game's app secret.
    pub app_secret: &'a str,
    /// The user logging in.
    pub user_id: &'a str,
    /// The user's password.
    pub password: &'a str,
    /// A login token from the game's backend (see [`make_login_token`]), or empty.
    pub token: &'a str,
}

impl std::fmt::Debug for LoginCredentials<'_> {
    /// Shows who logs in, never the secret, the password or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginCredentials")
            .field("app_key", &self.app_key)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Login {
    /// The fresh login answering the challenge `nonce`, in this crate's protocol version. A
    /// client resuming a session sets `resume_session_id` on the result.
    pub fn new(request_id: u64, credentials: &LoginCredentials<'_>, nonce: &[u8]) -> Login {
        Login {
            request_id,
            protocol_version: PROTOCOL_VERSION,
            app_key: credentials.app_key.to_owned(),
            proof: challenge_proof(credentials.app_secret, nonce),
            user_id: credentials.user_id.to_owned(),
            password: credentials.password.to_owned(),
            token: credentials.token.to_owned(),
            resume_session_id: 0,
        }
    }
}

fn token_mac(secret: &str, user_id: &str, expiry_secs: u64) -> HmacSha256 {
    let mut mac = mac(secret);
    mac.update(format!("{user_id}:{expiry_secs}").as_bytes());
    mac
}

/// A login token for `user_id`, valid until `expiry_secs` (unix seconds):
/// `"<expiry>:<hex HMAC-SHA256(secret, "user_id:expiry")>"`.
pub fn make_login_token(secret: &str, user_id: &str, expiry_secs: u64) -> String {
    let tag = token_mac(secret, user_id, expiry_secs)
        .finalize()
        .into_bytes();
    format!("{expiry_secs}:{}", hex::encode(tag))
}

/// True if `token` was made for `user_id` with `secret` and has not expired at `now_secs`.
pub fn verify_login_token(secret: &str, user_id: &str, token: &str, now_secs: u64) -> bool {
    let Some((expiry, tag_hex)) = token.split_once(':') else {
        return false;
    };
    let (Ok(expiry_secs), Ok(tag)) = (expiry.parse::<u64>(), hex::decode(tag_hex)) else {
        return false;
    };
    now_secs < expiry_secs
        && token_mac(secret, user_id, expiry_secs)
            .verify_slice(&tag)
            .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_proof_needs_the_secret_and_the_nonce() {
        let proof = challenge_proof("s3cret", b"nonce");
        assert!(verify_challenge_proof("s3cret", b"nonce", &proof));
        assert!(!verify_challenge_proof("other", b"nonce", &proof));
        assert!(!verify_challenge_proof("s3cret", b"nonce2", &proof));
        assert!(!verify_challenge_proof("s3cret", b"nonce", &proof[1..]));
    }

    #[test]
    fn a_login_answers_the_challenge_it_was_built_for() {
        let credentials = LoginCredentials {
            app_key: "app",
            app_secret: "s3cret",
            user_id: "alice",
            password: "pw",
            token: "tok",
        };
        let login = Login::new(7, &credentials, b"nonce");
        assert_eq!(login.request_id, 7);
        assert_eq!(login.protocol_version, PROTOCOL_VERSION);
        assert_eq!(
            (
                &*login.app_key,
                &*login.user_id,
                &*login.password,
                &*login.token
            ),
            ("app", "alice", "pw", "tok")
        );
        assert_eq!(login.resume_session_id, 0);
        assert!(verify_challenge_proof("s3cret", b"nonce", &login.proof));
        assert!(!verify_challenge_proof("s3cret", b"other", &login.proof));
    }

    #[test]
    fn login_tokens() {
        let token = make_login_token("s3cret", "alice", 1000);
        assert!(verify_login_token("s3cret", "alice", &token, 999));
        assert!(
            !verify_login_token("s3cret", "alice", &token, 1000),
            "expired"
        );
        assert!(
            !verify_login_token("s3cret", "bob", &token, 10),
            "other user"
        );
        assert!(
            !verify_login_token("other", "alice", &token, 10),
            "other secret"
        );
        assert!(!verify_login_token("s3cret", "alice", "2000:zz", 10));
        assert!(!verify_login_token("s3cret", "alice", "garbage", 10));
        let forged = token.replacen("1000", "9000", 1);
        assert!(
            !verify_login_token("s3cret", "alice", &forged, 10),
            "changed expiry"
        );
    }
}
