//! The HMAC-SHA256 proofs of login: the challenge proof (the client shows it knows the app
//! secret without sending it) and login tokens (issued by the game's backend with the app
//! secret, checked by the server).
//!
//! Pure functions; the nonce and the current time are arguments.

use hmac::{Hmac, Mac};
use sha2::Sha256;

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
