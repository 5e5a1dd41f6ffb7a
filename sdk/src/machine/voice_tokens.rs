//! The download tokens of the voice messages this client received, so that
//! `Call::DownloadAudio` needs only the message ID (as YIM's `DownloadFile` does) while the
//! server serves a message's audio only to whoever shows its token (or to its sender).
//!
//! What it is: a bounded map, (account, message ID) -> token, kept across sessions for the
//! life of the machine (a message delivered in an earlier session can still be downloaded,
//! by the account it was delivered to only). At most [`VOICE_TOKENS_KEPT`] are kept, the
//! oldest dropped first. What it is not: persistent; after an app restart only messages
//! delivered again can be downloaded.

use std::collections::{BTreeMap, VecDeque};

/// Voice messages whose tokens are kept.
pub const VOICE_TOKENS_KEPT: usize = 4096;

#[derive(Debug, Default)]
pub(crate) struct VoiceTokens {
    tokens: BTreeMap<(String, u64), u64>,
    /// The same keys, oldest first, for eviction.
    order: VecDeque<(String, u64)>,
}

impl VoiceTokens {
    /// Keeps the token of voice message `message_id`, received by `user_id`.
    pub fn remember(&mut self, user_id: &str, message_id: u64, token: u64) {
        if token == 0 {
            return;
        }
        let key = (user_id.to_owned(), message_id);
        if self.tokens.insert(key.clone(), token).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > VOICE_TOKENS_KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.tokens.remove(&oldest);
            }
        }
    }

    /// The token `user_id` was given with `message_id`; 0 (none) for a message it did not
    /// receive here, such as one it sent (the server needs no token from the sender).
    pub fn token(&self, user_id: &str, message_id: u64) -> u64 {
        self.tokens
            .get(&(user_id.to_owned(), message_id))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_account_and_bounded() {
        let mut tokens = VoiceTokens::default();
        tokens.remember("alice", 7, 0xabc);
        tokens.remember("alice", 8, 0);
        assert_eq!(tokens.token("alice", 7), 0xabc);
        assert_eq!(tokens.token("alice", 8), 0, "no token, nothing kept");
        assert_eq!(tokens.token("carol", 7), 0, "not another account's");
        tokens.remember("carol", 9, 0xdef);
        assert_eq!(tokens.token("alice", 7), 0xabc, "kept across a switch");
        assert_eq!(tokens.token("carol", 9), 0xdef);
        for id in 100..100 + VOICE_TOKENS_KEPT as u64 {
            tokens.remember("carol", id, id);
        }
        assert_eq!(tokens.token("alice", 7), 0, "the oldest dropped");
        assert_eq!(tokens.token("carol", 100), 100);
        assert_eq!(tokens.tokens.len(), VOICE_TOKENS_KEPT);
    }
}
