//! The HTML timeline of a run: one self-contained file (inline SVG, style and script; nothing
//! fetched) that shows a failure at a glance. A status line on top (seed, size, faults, the
//! verdict); the violations with the entries they cite; then one lane per client and one for
//! the server, simulated time across: calls as bars from invoke to completion (coloured by
//! outcome), deliveries and session events as marks, sessions and reconnects as shading,
//! faults as bands (partitions, holds and crashes over the lanes they cut off), the heal and
//! each violation as vertical lines. Cited entries are outlined in red. Hovering anything
//! shows its history entries in the one-line format of [`crate::lines`]; clicking a cited
//! entry in the list scrolls to it. This module draws; it judges nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use yim_sdk::{ErrorCode, ReconnectResult};

use crate::checkers::{Facts, Violation};
use crate::history::{AppId, Entry, History};
use crate::lines::{self, Lines};
use crate::scenario::{Direction, Fault, Scenario};

/// Width of the lane labels, px.
const LABEL_PX: f64 = 160.0;
/// Width the whole run gets at the first zoom level, px.
const FIT_PX: f64 = 1380.0;
const AXIS_PX: f64 = 28.0;
const SERVER_LANE_PX: f64 = 56.0;
/// Where marks sit in a lane, below its top: a client's events; its calls' middle row; the
/// operator's actions and the other faults on the server's lane.
const EVENT_ROW_PX: f64 = 6.0;
const CALL_ROW_PX: f64 = 19.0;
const ADMIN_ROW_PX: f64 = 14.0;
const FAULT_ROWS_PX: [f64; 3] = [28.0, 38.0, 48.0];
const CLIENT_LANE_PX: f64 = 36.0;
/// Rows for overlapping calls in a client's lane.
const CALL_ROWS: usize = 3;

/// The HTML page of a run. `note` says how the run came about, for the status line (e.g.
/// `sweep --profile faulty, planted drop-fanout, after shrinking`; may be empty).
pub fn timeline_html(
    scenario: &Scenario,
    history: &History,
    violations: &[Violation],
    note: &str,
) -> String {
    let lines = Lines::new(scenario, history);
    let facts = Facts::new(scenario, history);
    let end_ms = history
        .records
        .last()
        .map_or(scenario.duration_ms(), |r| r.at_ms)
        .max(1);
    let cited: BTreeSet<usize> = violations
        .iter()
        .flat_map(|v| v.positions.iter().copied())
        .collect();
    let scale = (FIT_PX / (end_ms as f64 / 1000.0)).max(4.0);
    let mut svg = Svg {
        out: String::new(),
        labels: String::new(),
        scale,
        cited: &cited,
    };
    let lanes = Lanes::new(scenario);
    let height = lanes.height();
    svg.lanes(scenario, history, &lanes);
    svg.axis(end_ms, height);
    svg.faults(history, &lanes, end_ms);
    svg.sessions(&facts, &lanes, end_ms);
    svg.calls(history, &lanes, end_ms);
    svg.marks(history, &lanes);
    svg.verticals(history, violations, height);
    svg.citations(history, violations, &lanes);
    let _ = write!(svg.out, "<g id=\"labels\">{}</g>", svg.labels);
    let width = LABEL_PX + end_ms as f64 / 1000.0 * scale + 40.0;

    let entry_lines: Vec<String> = (0..history.records.len()).map(|p| lines.line(p)).collect();
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n");
    let _ = writeln!(
        html,
        "<title>yim-sim seed {} timeline</title>\n<style>{STYLE}</style></head><body>",
        scenario.seed
    );
    html.push_str(&status_line(scenario, history, violations, &facts, note));
    html.push_str(&violation_list(violations, &lines));
    html.push_str(
        "<div class=\"tools\">zoom <button data-zoom=\"0.5\">&minus;</button>\
         <button data-zoom=\"2\">+</button><button data-zoom=\"0\">fit</button> \
         <span class=\"hint\">hover a mark for its history entries; click a cited entry \
         above to find it</span></div>\n",
    );
    let _ = writeln!(
        html,
        "<div class=\"scroll\"><svg id=\"tl\" width=\"{width:.0}\" height=\"{height:.0}\" \
         data-scale=\"{scale:.4}\" data-end=\"{end_ms}\" data-left=\"{LABEL_PX}\">{DEFS}{}</svg></div>",
        svg.out
    );
    html.push_str(LEGEND);
    html.push_str("<div id=\"detail\" class=\"detail\">hover a mark</div>\n");
    let headers: Vec<String> = violations
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "V{} {} at {}: {}",
                i + 1,
                v.checker,
                lines::time(v.at_ms).trim(),
                lines.readable(&v.detail)
            )
        })
        .collect();
    let json = |value: &Vec<String>| {
        serde_json::to_string(value)
            .unwrap_or_else(|_| "[]".to_owned())
            .replace("</", "<\\/")
    };
    let _ = writeln!(
        html,
        "<script>const LINES = {};\nconst VIOLATIONS = {};\n{SCRIPT}</script>\n</body></html>",
        json(&entry_lines),
        json(&headers)
    );
    html
}

/// The lanes: the server's first, then one per client; and the clients of each host.
struct Lanes {
    clients: usize,
    hosts: BTreeMap<usize, Vec<usize>>,
}

impl Lanes {
    fn new(scenario: &Scenario) -> Lanes {
        let mut hosts: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (client, spec) in scenario.clients.iter().enumerate() {
            hosts.entry(spec.host).or_default().push(client);
        }
        Lanes {
            clients: scenario.clients.len(),
            hosts,
        }
    }

    fn server_y(&self) -> f64 {
        AXIS_PX
    }

    fn client_y(&self, client: usize) -> f64 {
        AXIS_PX + SERVER_LANE_PX + client as f64 * CLIENT_LANE_PX
    }

    fn height(&self) -> f64 {
        self.client_y(self.clients) + 4.0
    }

    fn of_host(&self, host: usize) -> &[usize] {
        self.hosts.get(&host).map_or(&[][..], Vec::as_slice)
    }
}

struct Svg<'a> {
    out: String,
    /// The lane labels, drawn last and kept in view when the timeline scrolls sideways.
    labels: String,
    /// px per simulated second.
    scale: f64,
    cited: &'a BTreeSet<usize>,
}

impl Svg<'_> {
    fn x(&self, at_ms: u64) -> f64 {
        LABEL_PX + at_ms as f64 / 1000.0 * self.scale
    }

    /// ` cited` if any of the positions is cited.
    fn cited_class(&self, positions: &[usize]) -> &'static str {
        if positions.iter().any(|p| self.cited.contains(p)) {
            " cited"
        } else {
            ""
        }
    }

    /// A bar (a call) from `t0` to `t1` at height `y`..`y + h`, `min_px` wide at least,
    /// outlined if cited.
    #[allow(clippy::too_many_arguments)]
    fn span(&mut self, class: &str, t0: u64, t1: u64, y: f64, h: f64, min_px: f64, p: &[usize]) {
        let class = format!("{class}{}", self.cited_class(p));
        self.rect(&class, t0, t1, y, h, min_px, p);
    }

    /// Shading (a session, a reconnect, a fault): like [`Svg::span`], never outlined.
    #[allow(clippy::too_many_arguments)]
    fn shade(&mut self, class: &str, t0: u64, t1: u64, y: f64, h: f64, min_px: f64, p: &[usize]) {
        self.rect(class, t0, t1, y, h, min_px, p);
    }

    #[allow(clippy::too_many_arguments)]
    fn rect(&mut self, class: &str, t0: u64, t1: u64, y: f64, h: f64, min_px: f64, p: &[usize]) {
        let x = self.x(t0);
        let w = ((t1.saturating_sub(t0)) as f64 / 1000.0 * self.scale).max(min_px);
        let _ = write!(
            self.out,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
             data-t0=\"{t0}\" data-t1=\"{t1}\" data-w=\"{min_px}\"{}/>",
            positions_attr(p)
        );
    }

    /// A mark (an SVG fragment drawn around the origin) at `t`, height `y`.
    fn mark(&mut self, class: &str, t: u64, y: f64, shape: &str, p: &[usize]) {
        let x = self.x(t);
        let _ = write!(
            self.out,
            "<g class=\"{class}{}\" transform=\"translate({x:.1},{y:.1})\" data-t0=\"{t}\" \
             data-y=\"{y:.1}\"{}>{shape}</g>",
            self.cited_class(p),
            positions_attr(p)
        );
    }

    fn lanes(&mut self, scenario: &Scenario, history: &History, lanes: &Lanes) {
        let y = lanes.server_y();
        let label_w = LABEL_PX - 8.0;
        let _ = write!(
            self.out,
            "<rect class=\"lane server\" x=\"0\" y=\"{y}\" width=\"100%\" height=\"{SERVER_LANE_PX}\"/>"
        );
        let _ = write!(
            self.labels,
            "<rect class=\"label-bg server\" x=\"0\" y=\"{y}\" width=\"{label_w}\" height=\"{SERVER_LANE_PX}\"/>\
             <text class=\"label\" x=\"6\" y=\"{:.1}\">server &amp; operator</text>",
            y + 16.0
        );
        // Each client's final entries, for hovering its label.
        let mut finals: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (position, record) in history.records.iter().enumerate() {
            if let Entry::Final { app, .. } = record.entry {
                finals.entry(app.client).or_default().push(position);
            }
        }
        for (client, spec) in scenario.clients.iter().enumerate() {
            let y = lanes.client_y(client);
            let p = finals.get(&client).map_or(&[][..], Vec::as_slice);
            let _ = write!(
                self.out,
                "<rect class=\"lane client\" x=\"0\" y=\"{y}\" width=\"100%\" height=\"{CLIENT_LANE_PX}\"/>\
                 <line class=\"sep\" x1=\"0\" x2=\"100%\" y1=\"{y}\" y2=\"{y}\"/>"
            );
            let _ = write!(
                self.labels,
                "<rect class=\"label-bg client\" x=\"0\" y=\"{:.1}\" width=\"{label_w}\" height=\"{:.1}\"/>\
                 <text class=\"label lane-label{}\" x=\"6\" y=\"{:.1}\"{}>c{client} {} \
                 <tspan class=\"host\">host {}</tspan></text>",
                y + 1.0,
                CLIENT_LANE_PX - 1.0,
                self.cited_class(p),
                y + 15.0,
                positions_attr(p),
                escape(&spec.user),
                spec.host
            );
        }
    }

    fn axis(&mut self, end_ms: u64, height: f64) {
        let seconds = end_ms / 1000;
        for s in 0..=seconds {
            let labelled = s % 5 == 0;
            let shape = if labelled {
                format!(
                    "<line class=\"grid\" x1=\"0\" x2=\"0\" y1=\"16\" y2=\"{:.0}\"/>\
                     <text class=\"tick\" x=\"0\" y=\"12\">{s}s</text>",
                    height
                )
            } else {
                "<line class=\"tick-minor\" x1=\"0\" x2=\"0\" y1=\"20\" y2=\"26\"/>".to_owned()
            };
            self.mark("axis", s * 1000, 0.0, &shape, &[]);
        }
    }

    /// Partitions, holds and crashes as bands over the lanes they cut off; other faults as
    /// marks on the server's lane.
    fn faults(&mut self, history: &History, lanes: &Lanes, end_ms: u64) {
        // What is open: key -> (class, label, start, position).
        let mut open: BTreeMap<(u8, usize), (&'static str, String, u64, usize)> = BTreeMap::new();
        let mut bands = Vec::new();
        let mut marks = 0;
        for (position, record) in history.records.iter().enumerate() {
            let at_ms = record.at_ms;
            let Entry::Fault { fault } = &record.entry else {
                if matches!(record.entry, Entry::Heal) {
                    for (key, band) in std::mem::take(&mut open) {
                        bands.push((key, band, at_ms, Some(position)));
                    }
                }
                continue;
            };
            let mut close = |key: (u8, usize), open: &mut BTreeMap<_, _>| {
                if let Some(band) = open.remove(&key) {
                    bands.push((key, band, at_ms, Some(position)));
                }
            };
            match fault {
                Fault::Partition { host, direction } => {
                    close((0, *host), &mut open);
                    let (class, label) = match direction {
                        Direction::Both => ("partition", "partition"),
                        Direction::ToServer => ("partition oneway", "partition to server"),
                        Direction::FromServer => ("partition oneway", "partition from server"),
                    };
                    open.insert((0, *host), (class, label.to_owned(), at_ms, position));
                }
                Fault::Repair { host } => close((0, *host), &mut open),
                Fault::Hold { host } => {
                    close((1, *host), &mut open);
                    open.insert((1, *host), ("hold", "hold".to_owned(), at_ms, position));
                }
                Fault::Release { host } => close((1, *host), &mut open),
                Fault::ClientHostCrash { host } => {
                    let band = ("crash", "host crashed".to_owned(), at_ms, position);
                    open.entry((2, *host)).or_insert(band);
                }
                Fault::ClientHostRestart { host } => close((2, *host), &mut open),
                Fault::ServerCrash => {
                    let band = ("crash", "server down".to_owned(), at_ms, position);
                    open.entry((3, 0)).or_insert(band);
                }
                Fault::ServerRestart => close((3, 0), &mut open),
                other => {
                    // The kind only (the fields are in the hover), on alternating rows.
                    let label = escape(&other.kind().replace('_', " "));
                    let y = lanes.server_y() + FAULT_ROWS_PX[marks % FAULT_ROWS_PX.len()];
                    marks += 1;
                    self.mark(
                        "fault-mark",
                        at_ms,
                        y,
                        &format!(
                            "<polygon points=\"0,-5 4,3 -4,3\"/><text class=\"small\" x=\"5\" y=\"3\">{label}</text>"
                        ),
                        &[position],
                    );
                }
            }
        }
        for (key, band) in open {
            bands.push((key, band, end_ms, None));
        }
        for ((kind, host), (class, label, start_ms, start), end_ms, end) in bands {
            let p: Vec<usize> = std::iter::once(start).chain(end).collect();
            if kind == 3 {
                // The server down: its lane, and faintly every client's.
                let y = lanes.server_y();
                self.shade(
                    &format!("band {class}"),
                    start_ms,
                    end_ms,
                    y,
                    SERVER_LANE_PX,
                    2.0,
                    &p,
                );
                let all = lanes.height() - y - SERVER_LANE_PX;
                let below = y + SERVER_LANE_PX;
                self.shade("band faint", start_ms, end_ms, below, all, 2.0, &p);
                self.label(start_ms, y + 12.0, &label);
                continue;
            }
            for &client in lanes.of_host(host) {
                let y = lanes.client_y(client);
                self.shade(
                    &format!("band {class}"),
                    start_ms,
                    end_ms,
                    y,
                    CLIENT_LANE_PX,
                    2.0,
                    &p,
                );
            }
            if let Some(&first) = lanes.of_host(host).first() {
                let text = format!("{label} (host {host})");
                self.label(start_ms, lanes.client_y(first) + 10.0, &text);
            }
        }
    }

    fn label(&mut self, t: u64, y: f64, text: &str) {
        let shape = format!(
            "<text class=\"band-label\" x=\"3\" y=\"0\">{}</text>",
            escape(text)
        );
        self.mark("band-text", t, y, &shape, &[]);
    }

    /// Logged-in sessions and reconnects as shading of each client's lane.
    fn sessions(&mut self, facts: &Facts<'_>, lanes: &Lanes, end_ms: u64) {
        for (app, sessions) in &facts.sessions {
            let y = lanes.client_y(app.client);
            for session in sessions {
                let p: Vec<usize> = std::iter::once(session.start_position)
                    .chain(session.end_position)
                    .collect();
                let end = session.end_ms.unwrap_or(end_ms);
                self.shade("session", session.start_ms, end, y + 31.0, 3.0, 1.0, &p);
            }
        }
        for (app, spans) in &facts.reconnects {
            let y = lanes.client_y(app.client);
            for span in spans {
                let p: Vec<usize> = std::iter::once(span.start_position)
                    .chain(span.end_position)
                    .collect();
                let end = span.end_ms.unwrap_or(end_ms);
                self.shade(
                    "reconnect",
                    span.start_ms,
                    end,
                    y + 1.0,
                    CLIENT_LANE_PX - 2.0,
                    2.0,
                    &p,
                );
            }
        }
    }

    /// Calls as bars from invoke to completion, in rows so overlapping calls stay apart.
    fn calls(&mut self, history: &History, lanes: &Lanes, end_ms: u64) {
        let mut completions: BTreeMap<(AppId, u64), (u64, usize, ErrorCode)> = BTreeMap::new();
        let mut stops: BTreeMap<AppId, u64> = BTreeMap::new();
        for (position, record) in history.records.iter().enumerate() {
            match &record.entry {
                Entry::Complete {
                    app,
                    request_id,
                    code,
                    ..
                } => {
                    completions.entry((*app, *request_id)).or_insert((
                        record.at_ms,
                        position,
                        *code,
                    ));
                }
                Entry::AppStop { app } => {
                    stops.insert(*app, record.at_ms);
                }
                _ => {}
            }
        }
        // client -> when each row is free again (ms)
        let mut rows: BTreeMap<usize, [u64; CALL_ROWS]> = BTreeMap::new();
        for (position, record) in history.records.iter().enumerate() {
            let Entry::Invoke {
                app, request_id, ..
            } = &record.entry
            else {
                continue;
            };
            let t0 = record.at_ms;
            let free = rows.entry(app.client).or_insert([0; CALL_ROWS]);
            let row = free.iter().position(|&f| f <= t0).unwrap_or(CALL_ROWS - 1);
            let y = lanes.client_y(app.client) + 13.0 + row as f64 * 6.0;
            let Some(id) = request_id else {
                self.span("call refused", t0, t0, y - 1.0, 7.0, 2.0, &[position]);
                continue;
            };
            let (t1, class, p) = match completions.get(&(*app, *id)) {
                Some(&(t1, done, code)) => (t1, outcome_class(code), vec![position, done]),
                None => {
                    let t1 = stops.get(app).copied().unwrap_or(end_ms).max(t0);
                    (t1, "pending", vec![position])
                }
            };
            // A pixel's worth of time keeps bars that touch apart.
            free[row] = t1 + (1000.0 / self.scale) as u64 * 2;
            self.span(&format!("call {class}"), t0, t1, y, 5.0, 2.0, &p);
        }
    }

    /// Deliveries and session events as marks in the top row of each client's lane, and the
    /// operator's actions on the server's lane.
    fn marks(&mut self, history: &History, lanes: &Lanes) {
        for (position, record) in history.records.iter().enumerate() {
            let t = record.at_ms;
            let p = [position];
            let (class, shape) = match &record.entry {
                Entry::Deliver { message, .. } => (
                    if message.room {
                        "deliver room"
                    } else {
                        "deliver private"
                    },
                    "<circle r=\"2.6\"/>",
                ),
                Entry::KickOff { .. } => ("bad", "<polygon points=\"0,-5 5,4 -5,4\"/>"),
                Entry::SessionLost { .. } => (
                    "bad",
                    "<rect x=\"-3.5\" y=\"-3.5\" width=\"7\" height=\"7\"/>",
                ),
                Entry::RejoinFailed { .. } => ("bad", "<polygon points=\"-4,-4 4,4 4,-4 -4,4\"/>"),
                Entry::RoomMessagesLost { .. } => {
                    ("lost", "<polygon points=\"0,-5 5,0 0,5 -5,0\"/>")
                }
                Entry::StartReconnect { .. } => ("recon", "<polygon points=\"-4,-4 4,0 -4,4\"/>"),
                Entry::ReconnectResult { result, .. } => (
                    match result {
                        ReconnectResult::Success => "recon ok",
                        ReconnectResult::Fail => "bad",
                        ReconnectResult::FailAgain => "recon",
                    },
                    "<rect x=\"-1.5\" y=\"-5\" width=\"3\" height=\"10\"/>",
                ),
                Entry::AppStart { .. } | Entry::AppStop { .. } => {
                    ("app", "<rect x=\"-1\" y=\"-6\" width=\"2\" height=\"30\"/>")
                }
                Entry::VoiceStopped { .. }
                | Entry::VoiceCancelled { .. }
                | Entry::VoiceStarted { .. }
                | Entry::Downloaded { .. } => ("voice", "<polygon points=\"0,4 4,-3 -4,-3\"/>"),
                Entry::Admin { mute, .. } => {
                    let y = lanes.server_y() + ADMIN_ROW_PX;
                    let letter = if mute.is_some() { "M" } else { "U" };
                    let shape = format!(
                        "<circle r=\"6\"/><text class=\"admin-letter\" x=\"0\" y=\"3\">{letter}</text>"
                    );
                    self.mark("admin", t, y, &shape, &p);
                    continue;
                }
                _ => continue,
            };
            let Some(app) = lines::app_of(&record.entry) else {
                continue;
            };
            let y = lanes.client_y(app.client) + EVENT_ROW_PX;
            self.mark(class, t, y, shape, &p);
        }
    }

    fn verticals(&mut self, history: &History, violations: &[Violation], height: f64) {
        for (position, record) in history.records.iter().enumerate() {
            if matches!(record.entry, Entry::Heal) {
                let shape = format!(
                    "<line class=\"heal\" x1=\"0\" x2=\"0\" y1=\"16\" y2=\"{height:.0}\"/>\
                     <text class=\"heal-label\" x=\"3\" y=\"24\">heal</text>"
                );
                self.mark("vertical", record.at_ms, 0.0, &shape, &[position]);
            }
        }
        for (i, violation) in violations.iter().enumerate() {
            let y = AXIS_PX + 2.0 + 13.0 * (i % 3) as f64;
            let shape = format!(
                "<line class=\"violation-line\" x1=\"0\" x2=\"0\" y1=\"14\" y2=\"{height:.0}\"/>\
                 <rect class=\"violation-box\" x=\"-1\" y=\"{y:.0}\" width=\"22\" height=\"12\"/>\
                 <text class=\"violation-label\" x=\"10\" y=\"{:.0}\">V{}</text>",
                y + 10.0,
                i + 1,
            );
            let _ = write!(
                self.out,
                "<g class=\"vertical\" transform=\"translate({:.1},0)\" data-t0=\"{}\" data-y=\"0\" \
                 data-v=\"{i}\"{}>{shape}</g>",
                self.x(violation.at_ms),
                violation.at_ms,
                positions_attr(&violation.positions)
            );
        }
    }

    /// A red ring around every entry a violation cites, the rings of one violation joined in
    /// history order, so the story reads across lanes.
    fn citations(&mut self, history: &History, violations: &[Violation], lanes: &Lanes) {
        let place = |position: usize| -> Option<(u64, f64)> {
            let record = history.records.get(position)?;
            let y = match (&record.entry, lines::app_of(&record.entry)) {
                (
                    Entry::Invoke { .. } | Entry::Complete { .. } | Entry::Final { .. },
                    Some(app),
                ) => lanes.client_y(app.client) + CALL_ROW_PX,
                (_, Some(app)) => lanes.client_y(app.client) + EVENT_ROW_PX,
                (Entry::Admin { .. }, None) => lanes.server_y() + ADMIN_ROW_PX,
                (_, None) => lanes.server_y() + FAULT_ROWS_PX[1],
            };
            Some((record.at_ms, y))
        };
        for (i, violation) in violations.iter().enumerate() {
            let points: Vec<(usize, u64, f64)> = violation
                .positions
                .iter()
                .filter_map(|&p| place(p).map(|(t, y)| (p, t, y)))
                .collect();
            for pair in points.windows(2) {
                let ((_, t0, y0), (_, t1, y1)) = (pair[0], pair[1]);
                let _ = write!(
                    self.out,
                    "<line class=\"cite-link\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{y0:.1}\" y2=\"{y1:.1}\" \
                     data-t0=\"{t0}\" data-t1=\"{t1}\" data-v=\"{i}\"{}/>",
                    self.x(t0),
                    self.x(t1),
                    positions_attr(&violation.positions)
                );
            }
            // One label per lane and violation: rings of one lane are usually a call's invoke
            // and completion, close together.
            let mut labelled = BTreeSet::new();
            for &(p, t, y) in &points {
                let label = if labelled.insert(y.to_bits()) {
                    format!(
                        "<text class=\"halo-label\" x=\"9\" y=\"-6\">V{}</text>",
                        i + 1
                    )
                } else {
                    String::new()
                };
                let shape = format!("<circle class=\"halo\" r=\"7\"/>{label}");
                self.mark("cite-ring", t, y, &shape, &[p]);
            }
        }
    }
}

fn outcome_class(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Success | ErrorCode::PttReachMaxDuration => "ok",
        // The outcome is unknown.
        ErrorCode::TimeOut | ErrorCode::NetError => "unknown",
        _ => "error",
    }
}

fn positions_attr(positions: &[usize]) -> String {
    if positions.is_empty() {
        return String::new();
    }
    let list: Vec<String> = positions.iter().map(usize::to_string).collect();
    format!(" data-p=\"{}\"", list.join(" "))
}

/// Escapes text for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The VOPR-style status line: what ran, how much, and the verdict.
fn status_line(
    scenario: &Scenario,
    history: &History,
    violations: &[Violation],
    facts: &Facts<'_>,
    note: &str,
) -> String {
    let faults = history
        .records
        .iter()
        .filter(|r| matches!(r.entry, Entry::Fault { .. }))
        .count();
    let deliveries = facts.deliveries.len();
    let mut by_checker: BTreeMap<&str, usize> = BTreeMap::new();
    for v in violations {
        *by_checker.entry(v.checker.as_str()).or_default() += 1;
    }
    let verdict = if violations.is_empty() {
        "<span class=\"pass\">PASS</span>".to_owned()
    } else {
        let list: Vec<String> = by_checker
            .iter()
            .map(|(name, n)| format!("{} &times;{n}", escape(name)))
            .collect();
        format!(
            "<span class=\"fail\">FAIL</span> {} violation{}: {}",
            violations.len(),
            if violations.len() == 1 { "" } else { "s" },
            list.join(", ")
        )
    };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!(" &middot; {}", escape(note))
    };
    format!(
        "<div class=\"status\">yim-sim &middot; seed {} &middot; {} clients on {} hosts, {} rooms \
         &middot; {} ops, {} faults &middot; {} entries, {} deliveries &middot; {:.3} s simulated \
         (faults until {:.1} s) &middot; history {}{note} &middot; {verdict}</div>\n",
        scenario.seed,
        scenario.clients.len(),
        scenario.client_hosts,
        scenario.rooms.len(),
        scenario.ops.len(),
        faults,
        history.records.len(),
        deliveries,
        facts.end_ms as f64 / 1000.0,
        scenario.safety_ms as f64 / 1000.0,
        &history.hash()[..16],
    )
}

fn violation_list(violations: &[Violation], lines: &Lines<'_>) -> String {
    let mut out = String::from("<div class=\"violations\">\n");
    for (i, v) in violations.iter().enumerate() {
        let _ = writeln!(
            out,
            "<div class=\"violation\"><b>V{} &middot; {} at {}</b>: {}",
            i + 1,
            escape(&v.checker),
            escape(lines::time(v.at_ms).trim()),
            escape(&lines.readable(&v.detail))
        );
        for &p in &v.positions {
            let _ = writeln!(
                out,
                "<pre class=\"cite\" data-goto=\"{p}\">{}</pre>",
                escape(&lines.line(p))
            );
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n");
    out
}

const DEFS: &str = "<defs>\
<pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
<rect width=\"6\" height=\"6\" fill=\"#bbb\" fill-opacity=\"0.25\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#777\" stroke-width=\"2\" stroke-opacity=\"0.5\"/></pattern>\
<pattern id=\"hatch-hold\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(-45)\">\
<rect width=\"6\" height=\"6\" fill=\"#f5a623\" fill-opacity=\"0.15\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#e08e0b\" stroke-width=\"2\" stroke-opacity=\"0.5\"/></pattern>\
</defs>";

const STYLE: &str = "
body { font: 13px system-ui, sans-serif; margin: 0; padding: 0 0 120px 0; color: #222; }
.status { font: 13px ui-monospace, monospace; background: #1d2430; color: #e8e8e8; padding: 8px 12px; }
.status .fail { background: #d0021b; color: #fff; padding: 1px 6px; font-weight: bold; }
.status .pass { background: #2e8b57; color: #fff; padding: 1px 6px; font-weight: bold; }
.violations { padding: 6px 12px; max-height: 32vh; overflow: auto; }
.violation { margin: 6px 0; padding: 6px 8px; border-left: 4px solid #d0021b; background: #fff4f4; }
pre.cite { margin: 2px 0 0 0; font: 12px ui-monospace, monospace; cursor: pointer; white-space: pre-wrap; }
pre.cite:hover { background: #ffe0e0; }
.tools { padding: 4px 12px; } .tools button { width: 34px; } .hint { color: #777; }
.scroll { overflow: auto; border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; }
svg text { font: 11px system-ui, sans-serif; }
.lane.server, .label-bg.server { fill: #eef1f6; } .lane.client, .label-bg.client { fill: #fff; }
.sep { stroke: #e4e4e4; }
.label { fill: #333; font-weight: 600; } .host { fill: #999; font-weight: 400; }
.lane-label.cited { fill: #d0021b; text-decoration: underline; }
.tick { fill: #666; text-anchor: middle; } .grid { stroke: #eee; } .tick-minor { stroke: #bbb; }
.session { fill: #7ccf8a; } .reconnect { fill: #ffe27a; fill-opacity: 0.45; }
.band.partition { fill: url(#hatch); } .band.oneway { fill-opacity: 0.6; }
.band.hold { fill: url(#hatch-hold); }
.band.crash { fill: #d0021b; fill-opacity: 0.14; } .band.faint { fill: #d0021b; fill-opacity: 0.04; }
.band-label { fill: #555; font-size: 10px; }
.call.ok { fill: #3c9d5d; } .call.unknown { fill: #f0a020; } .call.error { fill: #d0021b; }
.call.pending { fill: #aaa; fill-opacity: 0.6; } .call.refused { fill: #d0021b; fill-opacity: 0.35; }
.deliver.room { fill: #2f6fd0; } .deliver.private { fill: #9b3fd0; }
.bad { fill: #d0021b; } .recon { fill: #c99a00; } .recon.ok { fill: #3c9d5d; } .lost { fill: #f07000; }
.app { fill: #555; } .voice { fill: #0a9396; }
.admin circle { fill: #5b5fc7; } .admin-letter { fill: #fff; text-anchor: middle; font-size: 9px; font-weight: bold; }
.fault-mark polygon { fill: #777; } .small { fill: #666; font-size: 9px; }
.heal { stroke: #2e8b57; stroke-width: 1.5; stroke-dasharray: 5 3; } .heal-label { fill: #2e8b57; }
.violation-line { stroke: #d0021b; stroke-width: 1.2; stroke-dasharray: 2 2; }
.violation-box { fill: #d0021b; } .violation-label { fill: #fff; font-size: 10px; font-weight: bold; text-anchor: middle; }
.halo { fill: none; stroke: #d0021b; stroke-width: 2; } .halo-label { fill: #d0021b; font-size: 9px; font-weight: bold; }
.cite-link { stroke: #d0021b; stroke-width: 1.2; stroke-opacity: 0.55; }
.cited { stroke: #d0021b; stroke-width: 2.5; } .cited text { stroke: none; }
rect.call.cited { stroke-width: 2; } g.cited circle, g.cited polygon, g.cited rect { stroke: #d0021b; stroke-width: 2.5; }
g.cited circle { r: 5; }
.flash { animation: flash 0.4s 4 alternate; } @keyframes flash { to { opacity: 0.1; } }
[data-p] { cursor: pointer; } [data-p]:hover { opacity: 0.7; }
.legend { padding: 8px 12px; color: #444; line-height: 1.7; }
.legend .k { display: inline-block; width: 18px; height: 9px; vertical-align: middle; margin: 0 3px 0 12px; }
.detail { position: fixed; left: 0; right: 0; bottom: 0; background: #1d2430; color: #e8e8e8;
  font: 12px ui-monospace, monospace; padding: 6px 12px; white-space: pre; overflow-x: auto; min-height: 3.2em; }
";

const LEGEND: &str = "<div class=\"legend\"><b>Legend</b> \
<span class=\"k\" style=\"background:#3c9d5d\"></span>call, completed with Success \
<span class=\"k\" style=\"background:#f0a020\"></span>TimeOut / NetError \
<span class=\"k\" style=\"background:#d0021b\"></span>other error (thin: refused at once) \
<span class=\"k\" style=\"background:#aaa\"></span>never completed \
<span class=\"k\" style=\"background:#2f6fd0;border-radius:5px;width:9px\"></span>room message received \
<span class=\"k\" style=\"background:#9b3fd0;border-radius:5px;width:9px\"></span>private message received \
<span class=\"k\" style=\"background:#7ccf8a;height:3px\"></span>logged in \
<span class=\"k\" style=\"background:#ffe27a\"></span>reconnecting \
<span class=\"k\" style=\"background:#ccc\"></span>partition (hatched) \
<span class=\"k\" style=\"background:#f9d9a0\"></span>hold \
<span class=\"k\" style=\"background:#f5c6cb\"></span>crash \
<br>marks: &#9650; kick-off, &#9632; session lost, &#9654; reconnect started, | reconnect result \
(green resumed, red gave up), &#9670; room messages lost, &#10006; re-join failed, &#9660; voice, \
tall bar: app start/stop; server lane: M/U mute/unmute, &#9650; other faults. \
Red ring V<i>n</i>: an entry violation <i>n</i> cites (rings of one violation joined in history order); dashed red line: the time of the violation.</div>\n";

const SCRIPT: &str = r#"
(function () {
  const svg = document.getElementById('tl');
  const detail = document.getElementById('detail');
  const left = +svg.dataset.left, end = +svg.dataset.end, fit = +svg.dataset.scale;
  let scale = fit;
  function place() {
    for (const el of svg.querySelectorAll('[data-t0]')) {
      const t0 = +el.dataset.t0, x = left + t0 / 1000 * scale;
      if (el.tagName === 'line') {
        el.setAttribute('x1', x.toFixed(1));
        el.setAttribute('x2', (left + +el.dataset.t1 / 1000 * scale).toFixed(1));
      } else if (el.tagName === 'rect') {
        const t1 = +el.dataset.t1, w = Math.max(+el.dataset.w, (t1 - t0) / 1000 * scale);
        el.setAttribute('x', x.toFixed(1)); el.setAttribute('width', w.toFixed(1));
      } else {
        el.setAttribute('transform', 'translate(' + x.toFixed(1) + ',' + el.dataset.y + ')');
      }
    }
    svg.setAttribute('width', Math.ceil(left + end / 1000 * scale + 40));
  }
  for (const b of document.querySelectorAll('[data-zoom]')) {
    b.addEventListener('click', function () {
      const z = +b.dataset.zoom;
      scale = z === 0 ? fit : Math.min(fit * 256, Math.max(fit / 4, scale * z));
      place();
    });
  }
  const labels = document.getElementById('labels');
  svg.parentElement.addEventListener('scroll', function () {
    labels.setAttribute('transform', 'translate(' + svg.parentElement.scrollLeft + ',0)');
  });
  function show(el) {
    const ps = el.dataset.p.split(' ').map(Number);
    const head = el.dataset.v === undefined ? [] : [VIOLATIONS[+el.dataset.v]];
    detail.textContent = head.concat(ps.map(function (p) { return LINES[p] || ''; })).join('\n');
  }
  svg.addEventListener('mouseover', function (e) {
    const el = e.target.closest('[data-p]');
    if (el) show(el);
  });
  for (const c of document.querySelectorAll('[data-goto]')) {
    c.addEventListener('click', function () {
      const el = svg.querySelector('[data-p~="' + c.dataset.goto + '"]');
      if (!el) return;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      show(el);
      el.classList.remove('flash'); void el.getBoundingClientRect(); el.classList.add('flash');
    });
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
