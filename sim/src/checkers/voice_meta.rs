//! **voice_meta**: a voice message's length and size are what was recorded.
//!
//! - A delivered voice message's duration equals the length the sender's SDK recorded (its
//!   `StartSendAudio` and its status say it; each is compared when present).
//! - Its file size (bytes of encoded audio) is not zero and at most what the codec can
//!   produce for that length ([`MAX_BYTES_PER_SECOND`] plus a header's worth).
//! - A download that saved audio saved as much audio as the duration says, within
//!   [`DURATION_SLACK_MS`] (the codec works in 20 ms frames).
//!
//! (Breaking a unit or a rounding of the duration, reporting the decoded size, or computing
//! a length at the wrong sample rate each break one of these.)

use std::collections::BTreeMap;

use super::{Facts, Findings};

/// The most encoded bytes a second of speech may take (128 kbit/s; the SDK's Opus encoder
/// runs far below).
pub const MAX_BYTES_PER_SECOND: u64 = 16_000;
/// Bytes of container overhead allowed besides.
const HEADER_BYTES: u64 = 4_096;
/// How far the saved audio's length may be from the duration.
pub const DURATION_SLACK_MS: u64 = 60;

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    // message ID -> (duration, delivery position)
    let mut delivered: BTreeMap<u64, (u32, usize)> = BTreeMap::new();
    for &(at_ms, position, app, message) in &facts.deliveries {
        let Some(meta) = message.voice else { continue };
        findings.examined();
        delivered.insert(message.message_id, (meta.duration_ms, position));
        let id = message.message_id;
        let max_bytes = HEADER_BYTES + u64::from(meta.duration_ms) * MAX_BYTES_PER_SECOND / 1000;
        if meta.file_size == 0 || meta.file_size > max_bytes {
            findings.violation(
                at_ms,
                &[position],
                format!(
                    "{app:?} got voice message {id} of {} ms with a file size of {} bytes",
                    meta.duration_ms, meta.file_size
                ),
            );
        }
        let Some(send) = facts.sends.get(&message.body) else {
            continue; // no_phantom's
        };
        let Some(request_id) = send.invoke.request_id else {
            continue;
        };
        let recorded = facts
            .voice_durations
            .get(&(send.invoke.app, request_id))
            .map(|&(ms, position)| (ms, position, "StartSendAudio"));
        let status = send.completion.and_then(|done| {
            let ms = done.send?.duration_ms?;
            Some((ms, done.position, "status"))
        });
        for (recorded_ms, recorded_position, said) in recorded.into_iter().chain(status) {
            if recorded_ms != meta.duration_ms {
                findings.violation(
                    at_ms,
                    &[recorded_position, position],
                    format!(
                        "{app:?} got voice message {id} of {} ms; its sender's {said} said {recorded_ms} ms",
                        meta.duration_ms
                    ),
                );
            }
        }
    }
    for download in &facts.downloads {
        let (Some(heard_ms), Some(&(duration_ms, delivered_position))) =
            (download.heard_ms, delivered.get(&download.message_id))
        else {
            continue;
        };
        findings.examined();
        if heard_ms.abs_diff(u64::from(duration_ms)) > DURATION_SLACK_MS {
            findings.violation(
                download.at_ms,
                &[delivered_position, download.position],
                format!(
                    "{:?} downloaded {heard_ms} ms of audio for voice message {} of {duration_ms} ms",
                    download.app, download.message_id
                ),
            );
        }
    }
}
