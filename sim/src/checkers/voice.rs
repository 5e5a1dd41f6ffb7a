//! **voice**: YIM's voice-message rules, per recording and per download:
//!
//! - a cancelled recording gets no event at all (no `StartSendAudio`, no status);
//! - `StartSendAudio` comes at most once, only for a recording that was stopped, before its
//!   `SendAudioStatus`, and says what was spoken (speech to text of the synthetic voice);
//! - a status that is a success (`Success` or `PttReachMaxDuration`) has its
//!   `StartSendAudio` before it; a recording that failed (too short, say) has none;
//! - every download of a delivered voice message that succeeds saves audio that still says
//!   what the sender spoke (through the codec, upload, store and download), and the only ways
//!   a download of a delivered message may fail are the network ones (`PttDownloadFail`),
//!   or ParamInvalid for a message the server lost in a power loss under durability
//!   `normal`;
//! - voice audio is private: a download by an app the message was not delivered to (before
//!   the download was asked for) whose user did not send it (`Op::Eavesdrop`) never succeeds;
//!   it gets ParamInvalid, as for an unknown ID (or a network failure).
//!
//! Who sent each voice message (never another account than the one that recorded it, also
//! across an account switch on one client, `Op::SwitchAccount`) is `no_phantom`'s: a message
//! whose sender is not the recording app's user is altered addressing.
//!
//! "Exactly one status per stopped recording" is the `completion` checker's (a recording is a
//! call whose completion is its status).

use std::collections::BTreeMap;

use yim_sdk::ErrorCode;

use crate::history::{BodyRecord, CallRecord};

use super::facts::Download;
use super::{code, Facts, Findings};

const PTT_REACH_MAX_DURATION: ErrorCode = ErrorCode::PttReachMaxDuration;
const PTT_DOWNLOAD_FAIL: ErrorCode = ErrorCode::PttDownloadFail;

pub fn check(facts: &Facts<'_>, findings: &mut Findings) {
    let mut started: BTreeMap<_, Vec<(u64, usize, &str)>> = BTreeMap::new();
    for &(at_ms, position, app, request_id, _, text) in &facts.voice_started {
        started
            .entry((app, request_id))
            .or_default()
            .push((at_ms, position, text));
    }
    for (key, invoke) in &facts.invokes {
        let CallRecord::RecordVoice { body, .. } = invoke.call else {
            continue;
        };
        findings.examined();
        let spoken = match body {
            BodyRecord::Voice { text, .. } => text.as_str(),
            _ => "",
        };
        let starts = started.get(key).map_or(&[][..], Vec::as_slice);
        let completion = facts.completions.get(key).and_then(|c| c.first());
        if let Some(&(cancel_ms, cancel_position)) = facts.voice_cancelled.get(key) {
            if let Some(&(at_ms, position, _)) = starts.first() {
                findings.violation(
                    at_ms,
                    &[invoke.position, cancel_position, position],
                    format!(
                        "{:?} request {} got StartSendAudio after its cancel at {cancel_ms}",
                        invoke.app, key.1
                    ),
                );
            }
            if let Some(done) = completion {
                findings.violation(
                    done.at_ms,
                    &[invoke.position, cancel_position, done.position],
                    format!(
                        "{:?} request {} got a status after its cancel at {cancel_ms}",
                        invoke.app, key.1
                    ),
                );
            }
            continue;
        }
        if starts.len() > 1 {
            let cited: Vec<usize> = starts.iter().map(|&(_, position, _)| position).collect();
            findings.violation(
                starts[1].0,
                &cited,
                format!(
                    "{:?} request {} got StartSendAudio {} times",
                    invoke.app,
                    key.1,
                    starts.len()
                ),
            );
        }
        if let Some(&(at_ms, position, text)) = starts.first() {
            if !facts.voice_stopped.contains_key(key) {
                findings.violation(
                    at_ms,
                    &[invoke.position, position],
                    format!(
                        "{:?} request {} got StartSendAudio but was never stopped",
                        invoke.app, key.1
                    ),
                );
            }
            if text != spoken {
                findings.violation(
                    at_ms,
                    &[invoke.position, position],
                    format!(
                        "{:?} request {} recognised {text:?}, but {spoken:?} was spoken",
                        invoke.app, key.1
                    ),
                );
            }
            if let Some(done) = completion.filter(|done| done.position < position) {
                findings.violation(
                    at_ms,
                    &[done.position, position],
                    format!(
                        "{:?} request {} got its status before StartSendAudio",
                        invoke.app, key.1
                    ),
                );
            }
        }
        if let Some(done) = completion {
            let success = matches!(done.code, code::SUCCESS | PTT_REACH_MAX_DURATION);
            if success && starts.is_empty() {
                findings.violation(
                    done.at_ms,
                    &[invoke.position, done.position],
                    format!(
                        "{:?} request {} succeeded without StartSendAudio",
                        invoke.app, key.1
                    ),
                );
            }
        }
    }
    // What each delivered voice message says and who sent it, by message ID (and a
    // delivery's position).
    let spoken_by_id: BTreeMap<u64, (&str, &str, usize)> = facts
        .deliveries
        .iter()
        .filter_map(|&(_, position, _, m)| match &m.body {
            BodyRecord::Voice { text, .. } => {
                Some((m.message_id, (text.as_str(), m.sender.as_str(), position)))
            }
            _ => None,
        })
        .collect();
    // The first delivery of each voice message to each app.
    let mut delivered_to: BTreeMap<(u64, crate::history::AppId), usize> = BTreeMap::new();
    for &(_, position, app, m) in &facts.deliveries {
        delivered_to.entry((m.message_id, app)).or_insert(position);
    }
    for download in &facts.downloads {
        let Download {
            at_ms,
            position,
            app,
            request_id,
            message_id,
            code: download_code,
            heard,
            ..
        } = *download;
        findings.examined();
        let Some(&(spoken, sender, delivered_position)) = spoken_by_id.get(&message_id) else {
            findings.violation(
                at_ms,
                &[position],
                format!("{app:?} downloaded message {message_id}, never delivered"),
            );
            continue;
        };
        let asked_position = facts
            .invokes
            .get(&(app, request_id))
            .map_or(position, |invoke| invoke.position);
        let entitled = sender == facts.user(app)
            || delivered_to
                .get(&(message_id, app))
                .is_some_and(|&delivered| delivered < asked_position);
        if !entitled {
            if download_code == code::SUCCESS {
                findings.violation(
                    at_ms,
                    &[delivered_position, asked_position, position],
                    format!(
                        "{app:?} ({}) downloaded the audio of message {message_id} from {sender}, which was never delivered to it",
                        facts.user(app)
                    ),
                );
            }
            continue;
        }
        match download_code {
            code::SUCCESS if heard != Some(spoken) => findings.violation(
                at_ms,
                &[delivered_position, position],
                format!("{app:?} downloaded message {message_id}: it says {heard:?}, {spoken:?} was sent"),
            ),
            code::SUCCESS | PTT_DOWNLOAD_FAIL => {}
            code::PARAM_INVALID if facts.lost_in_power_loss.contains(&message_id) => {}
            other => findings.violation(
                at_ms,
                &[delivered_position, position],
                format!("{app:?} download of delivered message {message_id} failed with {other}"),
            ),
        }
    }
}
