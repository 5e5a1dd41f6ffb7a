//! An index of a history that the checkers share: calls by request, completions, sends by
//! their (unique) content, deliveries, per-app timelines with sessions and room memberships,
//! and each app's session marks (logins, reconnects, endings) in order. Everything indexed
//! keeps its position in the history (the index of its record), so a violation can cite the
//! entries it is about.

use std::collections::{BTreeMap, BTreeSet};

use yim_sdk::{ErrorCode, ReconnectResult};
use yim_server::store::Durability;

use crate::history::{
    AppId, BodyRecord, CallRecord, DiskEvent, Entry, History, MessageRecord, SendInfo,
};
use crate::scenario::Scenario;

use super::code;

/// A call and its immediate result.
#[derive(Debug, Clone, Copy)]
pub struct Invoke<'a> {
    pub at_ms: u64,
    /// Position in the history.
    pub position: usize,
    pub app: AppId,
    pub call: &'a CallRecord,
    pub request_id: Option<u64>,
    pub refused: Option<ErrorCode>,
}

/// A completion event.
#[derive(Debug, Clone, Copy)]
pub struct Completion {
    pub at_ms: u64,
    /// Position in the history, to order entries of the same instant.
    pub position: usize,
    pub code: ErrorCode,
    pub send: Option<SendInfo>,
    /// The member count a count returned.
    pub count: Option<u32>,
}

/// One send: its call and its (first) completion.
#[derive(Debug, Clone, Copy)]
pub struct Send<'a> {
    pub invoke: Invoke<'a>,
    pub receiver: &'a str,
    pub room: bool,
    pub completion: Option<Completion>,
}

impl Send<'_> {
    /// Certainly accepted by the server.
    pub fn succeeded(&self) -> bool {
        self.completion.is_some_and(|c| c.code == code::SUCCESS)
    }

    /// Certainly not processed: refused at once, or completed with a definite failure.
    pub fn certainly_failed(&self) -> bool {
        self.invoke.refused.is_some()
            || self.completion.is_some_and(|c| {
                !matches!(c.code, code::SUCCESS | code::TIME_OUT | code::NET_ERROR)
            })
    }
}

/// A logged-in span of one app: from the login's Success completion to the session's end.
#[derive(Debug, Clone)]
pub struct Session {
    pub start_ms: u64,
    /// The login completion's position in the history.
    pub start_position: usize,
    /// `None`: still logged in at the end of the run.
    pub end_ms: Option<u64>,
    /// The position of the entry that ended it.
    pub end_position: Option<usize>,
    pub memberships: Vec<Membership>,
}

/// A span in a room within one session.
#[derive(Debug, Clone)]
pub struct Membership {
    pub room: String,
    /// The join's Success completion.
    pub joined_ms: u64,
    pub joined_position: usize,
    /// The first leave or leave-all invoke after joining, or the session's end.
    pub leaving_ms: Option<u64>,
    /// The leave's completion, or the session's end: no message may arrive after this.
    pub left_ms: Option<u64>,
    pub left_position: Option<usize>,
}

/// What happened to an app's session, in history order (see `Facts::marks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A login completed with Success.
    LoginSuccess,
    StartReconnect,
    /// YIM's ReconnectResult.
    ReconnectResult(ReconnectResult),
    /// The unsolicited logout.
    SessionLost,
    KickOff,
    /// A logout call completed.
    LoggedOut,
    /// The app stopped (crash or restart).
    Stopped,
    /// A message was delivered.
    Delivered,
}

/// A reconnect of one app: from StartReconnect to its final result (0 or 2) or the session's
/// end (logout, app stop); `None` if still reconnecting at the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconnectSpan {
    pub start_ms: u64,
    pub start_position: usize,
    pub end_ms: Option<u64>,
    pub end_position: Option<usize>,
}

/// Room messages a member was told it will not get: `from_seq..=to_seq` of `room`.
#[derive(Debug, Clone, Copy)]
pub struct LostRange<'a> {
    pub at_ms: u64,
    pub position: usize,
    pub app: AppId,
    pub room: &'a str,
    pub from_seq: u64,
    pub to_seq: u64,
}

/// A completed download.
#[derive(Debug, Clone, Copy)]
pub struct Download<'a> {
    pub at_ms: u64,
    pub position: usize,
    pub app: AppId,
    /// The download's request (its invoke is in `invokes`).
    pub request_id: u64,
    pub message_id: u64,
    pub code: ErrorCode,
    /// What the saved audio says.
    pub heard: Option<&'a str>,
    /// How long the saved audio is.
    pub heard_ms: Option<u64>,
}

/// See the module doc.
#[derive(Debug)]
pub struct Facts<'a> {
    /// The scenario run.
    pub scenario: &'a Scenario,
    /// When the history ends.
    pub end_ms: u64,
    /// The calls the SDK took, by app run and request ID.
    pub invokes: BTreeMap<(AppId, u64), Invoke<'a>>,
    /// The calls the SDK refused at once.
    pub refused: Vec<Invoke<'a>>,
    /// Each call's completions, by app run and request ID.
    pub completions: BTreeMap<(AppId, u64), Vec<Completion>>,
    /// Completions whose request was never invoked: (time, position, app, request).
    pub orphan_completions: Vec<(u64, usize, AppId, u64)>,
    /// Each send by its body (unique in a run).
    pub sends: BTreeMap<&'a BodyRecord, Send<'a>>,
    /// (time, position, receiving app, message)
    pub deliveries: Vec<(u64, usize, AppId, &'a MessageRecord)>,
    /// Kick-offs: (time, position, app).
    pub kick_offs: Vec<(u64, usize, AppId)>,
    /// When each app run stopped.
    pub app_stops: BTreeMap<AppId, u64>,
    /// Each app run's sessions, in order.
    pub sessions: BTreeMap<AppId, Vec<Session>>,
    /// Operator actions: (time, position, entry).
    pub admin: Vec<(u64, usize, &'a Entry)>,
    /// Each client's final state: (time, position, entry).
    pub finals: Vec<(u64, usize, &'a Entry)>,
    /// Each app's session marks in order: (time, position, mark).
    pub marks: BTreeMap<AppId, Vec<(u64, usize, Mark)>>,
    /// Each app's reconnects in order.
    pub reconnects: BTreeMap<AppId, Vec<ReconnectSpan>>,
    /// Room message ranges reported lost to a resuming member.
    pub lost_ranges: Vec<LostRange<'a>>,
    /// Voice recordings the app cancelled: (time, position).
    pub voice_cancelled: BTreeMap<(AppId, u64), (u64, usize)>,
    /// Voice recordings the app stopped to send: (time, position).
    pub voice_stopped: BTreeMap<(AppId, u64), (u64, usize)>,
    /// StartSendAudio events: (time, history position, app, request, code, recognised text).
    pub voice_started: Vec<(u64, usize, AppId, u64, ErrorCode, &'a str)>,
    /// The position in the history of the entry being indexed.
    position: usize,
    /// Voice downloads, in order.
    pub downloads: Vec<Download<'a>>,
    /// Private messages the server lost in a power loss or at a reopening after a failed sync
    /// (under durability `normal`, which does not promise to keep the last commits before
    /// one): acknowledged or not, they may
    /// be lost, and a resend of one may be delivered again under a new ID.
    pub lost_in_power_loss: BTreeSet<u64>,
    /// The recorded length of each voice recording that started sending (StartSendAudio),
    /// with that entry's position.
    pub voice_durations: BTreeMap<(AppId, u64), (u32, usize)>,
    /// The server's room membership as observed, in history order.
    pub server_rooms: Vec<ServerRooms<'a>>,
    /// Room history results and the clients' local histories at the end (see `history`).
    pub local_history: Vec<(u64, usize, &'a Entry)>,
}

/// One user's membership in the server after an input (see `Entry::ServerRooms`).
#[derive(Debug, Clone, Copy)]
pub struct ServerRooms<'a> {
    pub at_ms: u64,
    pub position: usize,
    pub user: &'a str,
    /// (server incarnation, connection) of the user's session, if it has one.
    pub session: Option<(u64, u64)>,
    pub rooms: &'a [String],
}

impl<'a> Facts<'a> {
    /// Indexes `history`, a run of `scenario`.
    pub fn new(scenario: &'a Scenario, history: &'a History) -> Facts<'a> {
        let mut facts = Facts {
            scenario,
            end_ms: history.records.last().map_or(0, |r| r.at_ms),
            invokes: BTreeMap::new(),
            refused: Vec::new(),
            completions: BTreeMap::new(),
            orphan_completions: Vec::new(),
            sends: BTreeMap::new(),
            deliveries: Vec::new(),
            kick_offs: Vec::new(),
            app_stops: BTreeMap::new(),
            sessions: BTreeMap::new(),
            admin: Vec::new(),
            finals: Vec::new(),
            marks: BTreeMap::new(),
            reconnects: BTreeMap::new(),
            lost_ranges: Vec::new(),
            voice_cancelled: BTreeMap::new(),
            voice_stopped: BTreeMap::new(),
            voice_started: Vec::new(),
            position: 0,
            downloads: Vec::new(),
            lost_in_power_loss: BTreeSet::new(),
            server_rooms: Vec::new(),
            voice_durations: BTreeMap::new(),
            local_history: Vec::new(),
        };
        let mut timelines = Timelines::default();
        for (position, (at_ms, entry)) in history.iter().enumerate() {
            facts.position = position;
            facts.index(at_ms, entry, &mut timelines);
        }
        facts.sessions = timelines.finish();
        facts.reconnects = reconnect_spans(&facts.marks);
        facts
    }

    fn mark(&mut self, at_ms: u64, app: AppId, mark: Mark) {
        let position = self.position;
        self.marks
            .entry(app)
            .or_default()
            .push((at_ms, position, mark));
    }

    /// When a call of `app` invoked at `invoked_ms` must have completed: the bound after the
    /// invoke, pushed past the end of every reconnect that began before it was due (calls
    /// wait during an outage and get the bound again once the session resumes).
    pub fn completion_due_ms(&self, app: AppId, invoked_ms: u64, bound_ms: u64) -> u64 {
        let mut due_ms = invoked_ms.saturating_add(bound_ms);
        for span in self.reconnects.get(&app).into_iter().flatten() {
            let overlaps = span.start_ms <= due_ms && span.end_ms.is_none_or(|e| e >= invoked_ms);
            if overlaps {
                due_ms = match span.end_ms {
                    Some(end_ms) => due_ms.max(end_ms.saturating_add(bound_ms)),
                    None => u64::MAX,
                };
            }
        }
        due_ms
    }

    fn index(&mut self, at_ms: u64, entry: &'a Entry, timelines: &mut Timelines) {
        let position = self.position;
        match entry {
            Entry::Invoke {
                app,
                call,
                request_id,
                refused,
            } => {
                let invoke = Invoke {
                    at_ms,
                    position,
                    app: *app,
                    call,
                    request_id: *request_id,
                    refused: *refused,
                };
                match request_id {
                    Some(id) => {
                        self.invokes.insert((*app, *id), invoke);
                    }
                    None => self.refused.push(invoke),
                }
                if let CallRecord::Send {
                    receiver,
                    room,
                    body,
                }
                | CallRecord::RecordVoice {
                    receiver,
                    room,
                    body,
                } = call
                {
                    self.sends.entry(body).or_insert(Send {
                        invoke,
                        receiver,
                        room: *room,
                        completion: None,
                    });
                }
                timelines.invoke(at_ms, &invoke);
            }
            Entry::Complete {
                app,
                request_id,
                code,
                send,
                count,
            } => {
                let completion = Completion {
                    at_ms,
                    position,
                    code: *code,
                    send: *send,
                    count: *count,
                };
                let Some(invoke) = self.invokes.get(&(*app, *request_id)).copied() else {
                    self.orphan_completions
                        .push((at_ms, position, *app, *request_id));
                    return;
                };
                let list = self.completions.entry((*app, *request_id)).or_default();
                list.push(completion);
                if list.len() == 1 {
                    if let CallRecord::Send { body, .. } | CallRecord::RecordVoice { body, .. } =
                        invoke.call
                    {
                        if let Some(send) = self.sends.get_mut(body) {
                            if send.invoke.app == *app
                                && send.invoke.request_id == Some(*request_id)
                            {
                                send.completion = Some(completion);
                            }
                        }
                    }
                    timelines.complete(at_ms, position, &invoke, *code);
                    match invoke.call {
                        CallRecord::Login { .. } if *code == code::SUCCESS => {
                            self.mark(at_ms, *app, Mark::LoginSuccess);
                        }
                        CallRecord::Logout => self.mark(at_ms, *app, Mark::LoggedOut),
                        _ => {}
                    }
                }
            }
            Entry::Deliver { app, message } => {
                self.deliveries.push((at_ms, position, *app, message));
                self.mark(at_ms, *app, Mark::Delivered);
            }
            Entry::KickOff { app } => {
                self.kick_offs.push((at_ms, position, *app));
                timelines.end_session(at_ms, position, *app);
                self.mark(at_ms, *app, Mark::KickOff);
            }
            Entry::SessionLost { app, .. } => {
                timelines.end_session(at_ms, position, *app);
                self.mark(at_ms, *app, Mark::SessionLost);
            }
            Entry::AppStop { app } => {
                self.app_stops.insert(*app, at_ms);
                timelines.end_session(at_ms, position, *app);
                self.mark(at_ms, *app, Mark::Stopped);
            }
            Entry::StartReconnect { app } => self.mark(at_ms, *app, Mark::StartReconnect),
            Entry::ReconnectResult { app, result } => {
                self.mark(at_ms, *app, Mark::ReconnectResult(*result));
            }
            Entry::RoomMessagesLost {
                app,
                room,
                from_seq,
                to_seq,
            } => self.lost_ranges.push(LostRange {
                at_ms,
                position,
                app: *app,
                room,
                from_seq: *from_seq,
                to_seq: *to_seq,
            }),
            Entry::RejoinFailed { app, room, .. } => {
                timelines.leave(at_ms, position, *app, Some(room));
            }
            Entry::VoiceStopped { app, request_id } => {
                self.voice_stopped
                    .insert((*app, *request_id), (at_ms, position));
            }
            Entry::VoiceCancelled { app, request_id } => {
                self.voice_cancelled
                    .insert((*app, *request_id), (at_ms, position));
            }
            Entry::VoiceStarted {
                app,
                request_id,
                code,
                text,
                duration_ms,
            } => {
                self.voice_durations
                    .insert((*app, *request_id), (*duration_ms, position));
                self.voice_started
                    .push((at_ms, position, *app, *request_id, *code, text.as_str()))
            }
            Entry::Downloaded {
                app,
                request_id,
                message_id,
                code,
                heard,
                heard_ms,
                ..
            } => self.downloads.push(Download {
                at_ms,
                position,
                app: *app,
                request_id: *request_id,
                message_id: *message_id,
                code: *code,
                heard: heard.as_deref(),
                heard_ms: *heard_ms,
            }),
            Entry::Admin { .. } => self.admin.push((at_ms, position, entry)),
            Entry::Final { .. } => self.finals.push((at_ms, position, entry)),
            Entry::RoomHistory { .. } | Entry::LocalHistory { .. } => {
                self.local_history.push((at_ms, position, entry));
            }
            // Only `normal` lets acknowledged commits go: under `full` a lost commit's
            // outputs never left, so nothing of it is exempt.
            Entry::Disk {
                event:
                    DiskEvent::PowerLoss {
                        lost_message_ids, ..
                    }
                    | DiskEvent::LostAtReopen {
                        lost_message_ids, ..
                    },
            } if self.scenario.durability == Durability::Normal => {
                self.lost_in_power_loss.extend(lost_message_ids)
            }
            Entry::ServerRooms {
                user,
                server,
                conn,
                rooms,
            } => self.server_rooms.push(ServerRooms {
                at_ms,
                position,
                user,
                session: conn.map(|conn| (*server, conn)),
                rooms,
            }),
            Entry::AppStart { .. } | Entry::Fault { .. } | Entry::Disk { .. } | Entry::Heal => {}
        }
    }

    /// The user an app logs in as.
    pub fn user(&self, app: AppId) -> &'a str {
        &self.scenario.clients[app.client].user
    }

    /// The session of `app` that contains `at_ms`, if any.
    pub fn session_at(&self, app: AppId, at_ms: u64) -> Option<&Session> {
        self.sessions
            .get(&app)?
            .iter()
            .find(|s| s.start_ms <= at_ms && s.end_ms.is_none_or(|end| at_ms <= end))
    }
}

/// Each app's reconnects, from its marks.
fn reconnect_spans(
    marks: &BTreeMap<AppId, Vec<(u64, usize, Mark)>>,
) -> BTreeMap<AppId, Vec<ReconnectSpan>> {
    let mut spans: BTreeMap<AppId, Vec<ReconnectSpan>> = BTreeMap::new();
    for (app, marks) in marks {
        let list = spans.entry(*app).or_default();
        let mut open: Option<(u64, usize)> = None;
        let closed = |(start_ms, start_position): (u64, usize), at_ms, position| ReconnectSpan {
            start_ms,
            start_position,
            end_ms: Some(at_ms),
            end_position: Some(position),
        };
        for &(at_ms, position, mark) in marks {
            match mark {
                Mark::StartReconnect => {
                    if let Some(start) = open.replace((at_ms, position)) {
                        list.push(closed(start, at_ms, position));
                    }
                }
                Mark::ReconnectResult(ReconnectResult::FailAgain)
                | Mark::Delivered
                | Mark::LoginSuccess => {}
                _ => {
                    if let Some(start) = open.take() {
                        list.push(closed(start, at_ms, position));
                    }
                }
            }
        }
        if let Some((start_ms, start_position)) = open {
            list.push(ReconnectSpan {
                start_ms,
                start_position,
                end_ms: None,
                end_position: None,
            });
        }
    }
    spans
}

/// Builds each app's sessions and memberships while the history is read in order.
#[derive(Debug, Default)]
struct Timelines {
    sessions: BTreeMap<AppId, Vec<Session>>,
}

impl Timelines {
    fn current(&mut self, app: AppId) -> Option<&mut Session> {
        self.sessions
            .get_mut(&app)?
            .last_mut()
            .filter(|s| s.end_ms.is_none())
    }

    fn invoke(&mut self, at_ms: u64, invoke: &Invoke<'_>) {
        let leaving = match invoke.call {
            CallRecord::Leave { room } => Some(Some(room.as_str())),
            CallRecord::LeaveAll => Some(None),
            _ => None,
        };
        let Some(leaving) = leaving else { return };
        if let Some(session) = self.current(invoke.app) {
            for m in &mut session.memberships {
                if m.leaving_ms.is_none() && leaving.is_none_or(|room| room == m.room) {
                    m.leaving_ms = Some(at_ms);
                }
            }
        }
    }

    fn complete(&mut self, at_ms: u64, position: usize, invoke: &Invoke<'_>, code: ErrorCode) {
        let app = invoke.app;
        match invoke.call {
            CallRecord::Login { .. } if code == code::SUCCESS => {
                self.end_session(at_ms, position, app);
                self.sessions.entry(app).or_default().push(Session {
                    start_ms: at_ms,
                    start_position: position,
                    end_ms: None,
                    end_position: None,
                    memberships: Vec::new(),
                });
            }
            CallRecord::Logout => self.end_session(at_ms, position, app),
            CallRecord::Join { room } if code == code::SUCCESS => {
                if let Some(session) = self.current(app) {
                    let open = session
                        .memberships
                        .iter()
                        .any(|m| m.room == *room && m.left_ms.is_none());
                    if !open {
                        session.memberships.push(Membership {
                            room: room.clone(),
                            joined_ms: at_ms,
                            joined_position: position,
                            leaving_ms: None,
                            left_ms: None,
                            left_position: None,
                        });
                    }
                }
            }
            CallRecord::Leave { room } => self.leave(at_ms, position, app, Some(room)),
            CallRecord::LeaveAll => self.leave(at_ms, position, app, None),
            _ => {}
        }
    }

    /// Ends the current session's open memberships of `room` (of every room if `None`).
    fn leave(&mut self, at_ms: u64, position: usize, app: AppId, room: Option<&str>) {
        if let Some(session) = self.current(app) {
            let open = session
                .memberships
                .iter_mut()
                .filter(|m| m.left_ms.is_none());
            for m in open.filter(|m| room.is_none_or(|r| r == m.room)) {
                m.leaving_ms.get_or_insert(at_ms);
                m.left_ms = Some(at_ms);
                m.left_position = Some(position);
            }
        }
    }

    fn end_session(&mut self, at_ms: u64, position: usize, app: AppId) {
        self.leave(at_ms, position, app, None);
        if let Some(session) = self.current(app) {
            session.end_ms = Some(at_ms);
            session.end_position = Some(position);
        }
    }

    fn finish(self) -> BTreeMap<AppId, Vec<Session>> {
        self.sessions
    }
}
