//! The one-line-per-entry format of a history, shared by `run --trace`, `explain` and the
//! HTML timeline's details. Each line is
//!
//! ```text
//!      TIME  #POS   WHO       WHAT
//!   12.345s  #412   c3 u3     call send room world text "c3_m17" -> req 41
//! ```
//!
//! TIME is simulated seconds since the run began; POS the entry's index in the history (what
//! violations cite); WHO the client (`c3`, or `c3.2` for its second app run after a restart)
//! and its user, or `fault` / `admin` for the fault schedule and the operator. The legend of
//! WHAT is in `sim/README.md`. This module only formats; it judges nothing.

use std::collections::BTreeMap;

use yim_sdk::{ErrorCode, ReconnectResult};

use crate::history::{
    AdminOutcome, AppId, BodyRecord, CallRecord, DiskEvent, Entry, History, Record,
};
use crate::scenario::{Fault, Scenario, TokenKind};

/// Formats the entries of one history.
#[derive(Debug)]
pub struct Lines<'a> {
    scenario: &'a Scenario,
    history: &'a History,
    /// Each request's call, to name what a completion completes.
    calls: BTreeMap<(AppId, u64), (u64, &'a CallRecord)>,
    who_width: usize,
}

impl<'a> Lines<'a> {
    /// The lines of `history`, a run of `scenario`.
    pub fn new(scenario: &'a Scenario, history: &'a History) -> Lines<'a> {
        let mut calls = BTreeMap::new();
        for record in &history.records {
            if let Entry::Invoke {
                app,
                call,
                request_id: Some(id),
                ..
            } = &record.entry
            {
                calls.insert((*app, *id), (record.at_ms, call));
            }
        }
        let who_width = history
            .records
            .iter()
            .filter_map(|r| app_of(&r.entry))
            .map(|app| who_app(scenario, app).len())
            .max()
            .unwrap_or(0)
            .max("admin".len());
        Lines {
            scenario,
            history,
            calls,
            who_width,
        }
    }

    /// The line of the entry at `position` (empty if there is none).
    pub fn line(&self, position: usize) -> String {
        let Some(record) = self.history.records.get(position) else {
            return String::new();
        };
        format!(
            "{}  #{position:<5} {:<width$}  {}",
            time(record.at_ms),
            self.who(&record.entry),
            self.what(record),
            width = self.who_width
        )
    }

    /// WHO: the client and its user, or `fault` / `admin`.
    pub fn who(&self, entry: &Entry) -> String {
        match entry {
            Entry::Fault { .. } | Entry::Heal => "fault".to_owned(),
            Entry::Disk { .. } => "disk".to_owned(),
            Entry::ServerRooms { .. } => "server".to_owned(),
            Entry::Admin { .. } => "admin".to_owned(),
            other => app_of(other).map_or_else(String::new, |app| who_app(self.scenario, app)),
        }
    }

    /// The user of a client index (empty if out of range).
    pub fn user(&self, client: usize) -> &str {
        self.scenario
            .clients
            .get(client)
            .map_or("", |c| c.user.as_str())
    }

    /// WHAT: the entry itself (see the legend in `sim/README.md`).
    pub fn what(&self, record: &Record) -> String {
        match &record.entry {
            Entry::AppStart { .. } => "app started".to_owned(),
            Entry::AppStop { .. } => "app stopped (its pending calls die)".to_owned(),
            Entry::Invoke {
                app,
                call,
                request_id,
                refused,
            } => {
                let result = match (request_id, refused) {
                    (Some(id), _) => format!("req {id}"),
                    (None, Some(code)) => format!("refused {}", code_name(*code)),
                    (None, None) => "nothing".to_owned(),
                };
                format!("call {} -> {result}", self.call(*app, call))
            }
            Entry::Complete {
                app,
                request_id,
                code,
                send,
                count,
            } => {
                let mut out = format!("done req {request_id}");
                match self.calls.get(&(*app, *request_id)) {
                    Some(&(invoked_ms, call)) => out.push_str(&format!(
                        " ({}, {} after the call)",
                        call_short(call),
                        seconds(record.at_ms.saturating_sub(invoked_ms))
                    )),
                    None => out.push_str(" (never invoked)"),
                }
                out.push_str(&format!(" {}", code_name(*code)));
                if let Some(info) = send {
                    if info.message_id != 0 {
                        out.push_str(&format!(" msg {}", info.message_id));
                    }
                    if let Some(forbid) = info.forbid {
                        let target = if forbid.whole_room { "room" } else { "user" };
                        out.push_str(&format!(
                            " muted {target} reason {:?} until {} (sent {})",
                            forbid.reason, forbid.end_time, info.send_time
                        ));
                    }
                }
                if let Some(count) = count {
                    out.push_str(&format!(" count {count}"));
                }
                out
            }
            Entry::Deliver { message, .. } => {
                let place = if message.room {
                    format!("room {} seq {}", message.receiver, message.room_seq)
                } else {
                    format!("private to {}", message.receiver)
                };
                format!(
                    "recv msg {} {place} from {} {}",
                    message.message_id,
                    message.sender,
                    body(&message.body)
                )
            }
            Entry::KickOff { .. } => "kicked off".to_owned(),
            Entry::SessionLost { code, .. } => format!("session lost {}", code_name(*code)),
            Entry::StartReconnect { .. } => "reconnect started".to_owned(),
            Entry::ReconnectResult { result, .. } => match result {
                ReconnectResult::Success => "reconnect resumed".to_owned(),
                ReconnectResult::FailAgain => "reconnect attempt failed (retrying)".to_owned(),
                ReconnectResult::Fail => "reconnect gave up".to_owned(),
            },
            Entry::RoomMessagesLost {
                room,
                from_seq,
                to_seq,
                ..
            } => format!("told room {room} seq {from_seq}..={to_seq} is lost"),
            Entry::VoiceStopped { request_id, .. } => format!("voice req {request_id} stopped"),
            Entry::VoiceCancelled { request_id, .. } => {
                format!("voice req {request_id} cancelled")
            }
            Entry::VoiceStarted {
                request_id,
                code,
                text,
                ..
            } => format!(
                "voice req {request_id} started {} recognised {text:?}",
                code_name(*code)
            ),
            Entry::Downloaded {
                request_id,
                message_id,
                code,
                heard,
                ..
            } => {
                let heard = heard
                    .as_deref()
                    .map_or_else(|| "nothing".to_owned(), |h| format!("{h:?}"));
                format!(
                    "downloaded req {request_id} msg {message_id} {} heard {heard}",
                    code_name(*code)
                )
            }
            Entry::RejoinFailed { room, code, .. } => {
                format!("re-join of {room} failed {}", code_name(*code))
            }
            Entry::Admin {
                room,
                user,
                mute,
                outcome,
                invoked_ms,
            } => {
                let target = if user.is_empty() {
                    format!("room {room}")
                } else {
                    format!("{user} in room {room}")
                };
                let action = match mute {
                    Some(m) => format!("mute {target} reason {} until {}", m.reason, m.end_time),
                    None => format!("unmute {target}"),
                };
                let outcome = match outcome {
                    AdminOutcome::Applied => "applied",
                    AdminOutcome::NotApplied => "not applied",
                    AdminOutcome::Unknown => "unknown",
                };
                format!(
                    "{action} -> {outcome} (sent at {})",
                    time(*invoked_ms).trim()
                )
            }
            Entry::Fault { fault } => fault_text(fault),
            Entry::Disk { event } => disk_text(event),
            Entry::Heal => "heal: every fault ends (clock skews stay)".to_owned(),
            Entry::ServerRooms {
                user,
                server,
                conn,
                rooms,
            } => {
                let session = match conn {
                    Some(conn) => format!("session on conn {server}.{conn}"),
                    None => "no session".to_owned(),
                };
                format!("members: {user} ({session}) in [{}]", rooms.join(", "))
            }
            Entry::RoomHistory {
                request_id,
                room,
                messages,
                ..
            } => {
                let seqs: Vec<String> = messages.iter().map(|m| m.room_seq.to_string()).collect();
                format!(
                    "room history of {room} from the server (req {request_id}): seqs [{}]",
                    seqs.join(", ")
                )
            }
            Entry::LocalHistory {
                messages, handed, ..
            } => format!(
                "local history at the end: {} messages kept, {} marked handed",
                messages.len(),
                handed.len()
            ),
            Entry::Final {
                state,
                pending_calls,
                wants_online,
                ..
            } => format!(
                "final {state}, {pending_calls} pending, {}",
                if *wants_online {
                    "wants to be online"
                } else {
                    "offline by choice"
                }
            ),
        }
    }

    /// A call in full.
    fn call(&self, app: AppId, call: &CallRecord) -> String {
        let spec = self.scenario.clients.get(app.client);
        match call {
            CallRecord::Login {
                user,
                password,
                token,
            } => {
                let mut out = "login".to_owned();
                if spec.is_none_or(|s| s.user != *user) {
                    out.push_str(&format!(" as {user:?}"));
                }
                if spec.is_some_and(|s| s.password != *password) {
                    out.push_str(" with a wrong password");
                }
                if let Some(token) = token {
                    let kind = match token {
                        TokenKind::Valid => "a valid",
                        TokenKind::Expired => "an expired",
                        TokenKind::Forged => "a forged",
                        TokenKind::OtherUser => "another user's",
                    };
                    out.push_str(&format!(" with {kind} token"));
                }
                out
            }
            CallRecord::Send {
                receiver,
                room,
                body: b,
            } => format!("send {} {}", place(receiver, *room), body(b)),
            CallRecord::RecordVoice {
                receiver,
                room,
                body: b,
            } => format!("record voice {} {}", place(receiver, *room), body(b)),
            other => call_short(other),
        }
    }

    /// Replaces the `AppId { client: 3, incarnation: 1 }` of a checker's detail with `c3 (u3)`.
    pub fn readable(&self, detail: &str) -> String {
        let mut out = detail.to_owned();
        let apps: std::collections::BTreeSet<AppId> = self
            .history
            .records
            .iter()
            .filter_map(|r| app_of(&r.entry))
            .collect();
        for app in apps.into_iter().rev() {
            let name = app_name(app);
            out = out.replace(
                &format!("{app:?}"),
                &format!("{name} ({})", self.user(app.client)),
            );
        }
        out
    }
}

/// What a disk fault did to the server's commits.
fn disk_text(event: &DiskEvent) -> String {
    match event {
        DiskEvent::Crash {
            kind,
            commit,
            durable,
        } => {
            let state = if *durable { "durable" } else { "not durable" };
            format!("{kind} at commit {commit} ({state}); the server halts")
        }
        DiskEvent::CommitFailed { commit } => format!("commit {commit} failed, nothing written"),
        DiskEvent::PowerLoss {
            lost_commits,
            lost_message_ids,
        } => format!(
            "power loss: {lost_commits} unsynced commits lost, with private messages {lost_message_ids:?}"
        ),
        DiskEvent::SyncFailed { commit, fate } => {
            format!("the sync after commit {commit} failed ({fate:?}); the server halts")
        }
        DiskEvent::LostAtReopen {
            lost_commits,
            lost_message_ids,
        } => format!(
            "reopened: the {lost_commits} commits of the failed sync are gone, with private messages {lost_message_ids:?}"
        ),
    }
}

/// The client an entry belongs to, if any.
pub fn app_of(entry: &Entry) -> Option<AppId> {
    match entry {
        Entry::AppStart { app }
        | Entry::AppStop { app }
        | Entry::Invoke { app, .. }
        | Entry::Complete { app, .. }
        | Entry::Deliver { app, .. }
        | Entry::KickOff { app }
        | Entry::SessionLost { app, .. }
        | Entry::StartReconnect { app }
        | Entry::ReconnectResult { app, .. }
        | Entry::RoomMessagesLost { app, .. }
        | Entry::VoiceStopped { app, .. }
        | Entry::VoiceCancelled { app, .. }
        | Entry::VoiceStarted { app, .. }
        | Entry::Downloaded { app, .. }
        | Entry::RejoinFailed { app, .. }
        | Entry::RoomHistory { app, .. }
        | Entry::LocalHistory { app, .. }
        | Entry::Final { app, .. } => Some(*app),
        Entry::Admin { .. }
        | Entry::Fault { .. }
        | Entry::Disk { .. }
        | Entry::ServerRooms { .. }
        | Entry::Heal => None,
    }
}

/// `c3`, or `c3.2` for the client's second app run.
pub fn app_name(app: AppId) -> String {
    if app.incarnation <= 1 {
        format!("c{}", app.client)
    } else {
        format!("c{}.{}", app.client, app.incarnation)
    }
}

fn who_app(scenario: &Scenario, app: AppId) -> String {
    let user = scenario
        .clients
        .get(app.client)
        .map_or("?", |c| c.user.as_str());
    format!("{} {user}", app_name(app))
}

/// `12.345s`, right-aligned in 9 characters.
pub fn time(at_ms: u64) -> String {
    format!("{:>8.3}s", at_ms as f64 / 1000.0)
}

fn seconds(ms: u64) -> String {
    format!("{:.3}s", ms as f64 / 1000.0)
}

/// YIM's name of a code, e.g. `Success`, or `code 12345` for one it does not know.
/// YIM's name of a code (`Success`, `TimeOut`, ...).
pub fn code_name(code: ErrorCode) -> String {
    format!("{code:?}")
}

fn place(receiver: &str, room: bool) -> String {
    if room {
        format!("room {receiver}")
    } else {
        format!("to {receiver}")
    }
}

/// A call in short, to say what a completion completes.
pub fn call_short(call: &CallRecord) -> String {
    match call {
        CallRecord::Login { .. } => "login".to_owned(),
        CallRecord::Logout => "logout".to_owned(),
        CallRecord::Join { room } => format!("join {room}"),
        CallRecord::Leave { room } => format!("leave {room}"),
        CallRecord::LeaveAll => "leave all".to_owned(),
        CallRecord::CountMembers { room } => format!("count members of {room}"),
        CallRecord::Send { receiver, room, .. } => format!("send {}", place(receiver, *room)),
        CallRecord::RecordVoice { receiver, room, .. } => {
            format!("voice {}", place(receiver, *room))
        }
        CallRecord::DownloadAudio { message_id } => format!("download msg {message_id}"),
        CallRecord::QueryHistory {
            target,
            room,
            count,
        } => format!("query {count} of local history {}", place(target, *room)),
        CallRecord::RoomHistoryFromServer { room, count } => {
            format!("query {count} of {room}'s history from the server")
        }
        CallRecord::RoomHistorySwitch { rooms, save } => {
            format!(
                "switch local history of {} {}",
                rooms.join(", "),
                if *save { "on" } else { "off" }
            )
        }
        CallRecord::HistoryCall { name } => name.clone(),
    }
}

/// A message body: `text "..."` (with its attach if it is not the usual one), `custom "..."`
/// (bytes outside printable ASCII as `\xNN`), `voice "..."` (the text spoken).
pub fn body(body: &BodyRecord) -> String {
    match body {
        BodyRecord::Text { content, attach } => {
            if *attach == format!("attach_{content}") {
                format!("text {content:?}")
            } else {
                format!("text {content:?} attach {attach:?}")
            }
        }
        BodyRecord::Custom(bytes) => {
            let shown: String = bytes
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
                        char::from(b).to_string()
                    } else {
                        format!("\\x{b:02x}")
                    }
                })
                .collect();
            format!("custom \"{shown}\"")
        }
        BodyRecord::Voice { text, .. } => format!("voice {text:?}"),
    }
}

/// A fault: its kind and its fields, e.g. `partition host 1 direction both`.
pub fn fault_text(fault: &Fault) -> String {
    let mut out = fault.kind().replace('_', " ");
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(fault) {
        for (key, value) in fields.iter().filter(|(key, _)| key.as_str() != "fault") {
            out.push_str(&format!(" {key} {}", value_text(value)));
        }
    }
    out
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| format!("{k} {}", value_text(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{MessageRecord, SendInfo};
    use crate::scenario::{ClientSpec, Direction, HostRef};

    fn scenario() -> Scenario {
        Scenario {
            seed: 0,
            client_hosts: 1,
            clients: vec![
                ClientSpec {
                    user: "alice".into(),
                    password: "pw".into(),
                    host: 0,
                },
                ClientSpec {
                    user: "bob".into(),
                    password: "pw".into(),
                    host: 0,
                },
            ],
            rooms: vec!["world".into()],
            ops: Vec::new(),
            faults: Vec::new(),
            safety_ms: 1_000,
            liveness_ms: 1_000,
            min_latency_ms: 1,
            max_latency_ms: 2,
            reconnect_budget_ms: 1_000,
            room_log_messages: None,
            durability: yim_server::store::Durability::Full,
            checkpoint_commits: 16,
            first_message_id: None,
        }
    }

    #[test]
    fn each_kind_of_entry_reads_as_one_line() {
        let alice = AppId {
            client: 0,
            incarnation: 1,
        };
        let bob = AppId {
            client: 1,
            incarnation: 2,
        };
        let mut history = History::default();
        let text = BodyRecord::Text {
            content: "c0_m7".into(),
            attach: "attach_c0_m7".into(),
        };
        history.push(
            12_345,
            Entry::Invoke {
                app: alice,
                call: CallRecord::Send {
                    receiver: "world".into(),
                    room: true,
                    body: text.clone(),
                },
                request_id: Some(41),
                refused: None,
            },
        );
        history.push(
            12_465,
            Entry::Complete {
                app: alice,
                request_id: 41,
                code: ErrorCode::Success,
                send: Some(SendInfo {
                    message_id: 9,
                    send_time: 1,
                    forbid: None,
                    duration_ms: None,
                }),
                count: None,
            },
        );
        history.push(
            12_500,
            Entry::Deliver {
                app: bob,
                message: MessageRecord {
                    message_id: 9,
                    sender: "alice".into(),
                    receiver: "world".into(),
                    room: true,
                    create_time: 1,
                    room_seq: 3,
                    body: text,
                    voice: None,
                },
            },
        );
        history.push(
            13_000,
            Entry::Fault {
                fault: Fault::Partition {
                    host: 0,
                    direction: Direction::ToServer,
                },
            },
        );
        history.push(
            13_000,
            Entry::Fault {
                fault: Fault::ClockSkew {
                    host: HostRef::Client(0),
                    offset_ms: -300,
                },
            },
        );
        let scenario = scenario();
        let lines = Lines::new(&scenario, &history);
        let all: Vec<String> = (0..history.records.len()).map(|p| lines.line(p)).collect();
        assert_eq!(
            all,
            [
                "  12.345s  #0     c0 alice  call send room world text \"c0_m7\" -> req 41",
                "  12.465s  #1     c0 alice  done req 41 (send room world, 0.120s after the call) Success msg 9",
                "  12.500s  #2     c1.2 bob  recv msg 9 room world seq 3 from alice text \"c0_m7\"",
                "  13.000s  #3     fault     partition oneway direction to_server host 0",
                "  13.000s  #4     fault     clock skew host client 0 offset_ms -300",
            ]
        );
        assert_eq!(lines.line(99), "");
        assert_eq!(
            lines.readable(&format!("{bob:?} got message 9 twice")),
            "c1.2 (bob) got message 9 twice"
        );
        assert_eq!(
            body(&BodyRecord::Custom(vec![0, 0xff, b'a'])),
            "custom \"\\x00\\xffa\""
        );
    }
}
