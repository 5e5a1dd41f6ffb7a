//! What a run reports: a table for people and a JSON document for tools, one column (or
//! object) per run, and for a comparison the ratio of ours to the baseline. Field names say
//! their units.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::histogram::Percentiles;
use crate::scenario::LoadParams;
use crate::stats::{Kind, WindowStats};

/// CPU and memory of the server process.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ProcessUsage {
    /// CPU time over the window per second of it (2.0: both cores of this machine).
    pub cpu_cores: f64,
    /// CPU time over the window per delivery made in it, in microseconds.
    pub cpu_us_per_delivery: f64,
    /// Peak resident memory over the server's life (VmHWM), in MiB.
    pub peak_rss_mib: f64,
    /// Resident memory at the end of the window, in MiB.
    pub rss_mib: f64,
}

/// One measured phase against one server.
///
/// Two latencies, both from the time a send was due: `ack_latency` ends when the sender reads
/// the server's answer, `delivery_latency` (and its per-kind and per-third splits) when a
/// receiver reads the message.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The server measured: `yim-server` or `baseline`.
    pub target: String,
    /// The parameters of the run.
    pub params: LoadParams,
    /// Sends offered per second (the dispatcher's schedule, all clients together).
    pub offered_per_sec: f64,
    /// Length of the measurement window, in seconds.
    pub window_secs: f64,
    /// Clients logged in (raw and SDK).
    pub clients_connected: usize,
    /// Of them, clients that are the SDK's `Client`.
    pub clients_sdk: usize,
    /// Clients that could not get going (connect, log in, finish setup in time), by reason.
    /// Refused joins are in `refusals`.
    pub setup_failures: BTreeMap<String, u64>,
    /// Sends made during the window (their send time in it).
    pub sent: u64,
    /// `sent` by kind of message (`room`, `private`, `voice`; kinds not sent are left out).
    pub sent_by_kind: BTreeMap<String, u64>,
    /// `sent` per second of the window.
    pub sends_per_sec: f64,
    /// Sends of the window answered with success.
    pub acked_ok: u64,
    /// Sends of the window not answered by the end of the drain.
    pub unanswered: u64,
    /// Deliveries the window's successful sends call for.
    pub expected_deliveries: u64,
    /// Deliveries of the window's sends that arrived by the end of the drain.
    pub delivered: u64,
    /// delivered / expected_deliveries (1.0 when none are expected).
    pub completeness: f64,
    /// Deliveries that arrived during the window (of any send), per second: the throughput
    /// sustained.
    pub deliveries_per_sec: f64,
    /// Delivery latency of the window's sends: from the send time carried in the payload to
    /// a receiver reading the message, one sample per delivery.
    pub delivery_latency: Percentiles,
    /// `delivery_latency` by kind of message (kinds neither sent nor delivered are left out).
    pub delivery_latency_by_kind: BTreeMap<String, Percentiles>,
    /// Ack latency of the window's sends: from the send time to the sender reading the
    /// answer (success or refusal), one sample per answered send.
    pub ack_latency: Percentiles,
    /// Delivery latency of the sends of the window's first third: a last third much slower
    /// than it means the server's queues grow (it is past saturation).
    pub delivery_latency_first_third: Percentiles,
    /// Delivery latency of the sends of the window's last third.
    pub delivery_latency_last_third: Percentiles,
    /// "what: Code (n)" -> count: sends refused in the window, and logins and joins refused
    /// at setup.
    pub refusals: BTreeMap<String, u64>,
    /// Connection trouble during the window.
    pub errors: BTreeMap<String, u64>,
    /// Sends the generator could not hand to their client in the window because its queue
    /// was full (the server was not taking its bytes).
    pub backlogged: u64,
    /// Clients disconnected since setup.
    pub disconnected: u64,
    /// `None` for a server given by address.
    pub server: Option<ProcessUsage>,
    /// CPU of the load generator itself over the window, in cores.
    pub load_cpu_cores: f64,
    /// Whether a started server was still running at the end.
    pub server_running: bool,
    /// The machine's 1-minute load average at the end (from /proc/loadavg): above the core
    /// count, other work competed for the CPU and latencies mean little.
    pub load_average: Option<f64>,
}

/// The parts of a report that come from the session rather than the stats (each field is
/// the [`Report`] field of the same name, but for those documented here).
#[derive(Debug, Clone)]
pub(crate) struct ReportContext<'a> {
    pub target: &'a str,
    pub params: &'a LoadParams,
    pub offered_per_sec: f64,
    pub window_secs: f64,
    /// Seconds between the samples taken at the window's start and end (a little more than
    /// `window_secs`): what the rates are over.
    pub elapsed_secs: f64,
    pub clients_connected: usize,
    pub clients_sdk: usize,
    pub setup_failures: &'a BTreeMap<String, u64>,
    /// Deliveries (of any send) that arrived between those samples.
    pub delivered_in_window: u64,
    pub backlogged: u64,
    pub disconnected: u64,
    pub server: Option<ProcessUsage>,
    pub load_cpu_cores: f64,
    pub server_running: bool,
}

impl Report {
    /// The report of a window from its detailed counts and the session's context.
    pub(crate) fn build(context: ReportContext<'_>, stats: &WindowStats) -> Report {
        let sent: u64 = stats.sent.iter().sum();
        let acked_ok: u64 = stats.acked_ok.iter().sum();
        let refused_in_window: u64 = stats
            .refusals
            .iter()
            .filter(|(k, _)| k.starts_with("send "))
            .map(|(_, v)| v)
            .sum();
        let delivered = stats.delivered();
        let mut latency_by_kind = BTreeMap::new();
        let mut sent_by_kind = BTreeMap::new();
        for kind in Kind::ALL {
            let i = kind as usize;
            let latency = &stats.delivery_latency[i];
            if stats.sent[i] > 0 || latency.count() > 0 {
                latency_by_kind.insert(kind.name().to_owned(), latency.percentiles());
                sent_by_kind.insert(kind.name().to_owned(), stats.sent[i]);
            }
        }
        let secs = context.elapsed_secs.max(1e-9);
        Report {
            target: context.target.to_owned(),
            params: context.params.clone(),
            offered_per_sec: context.offered_per_sec,
            window_secs: context.window_secs,
            clients_connected: context.clients_connected,
            clients_sdk: context.clients_sdk,
            setup_failures: context.setup_failures.clone(),
            sent,
            sent_by_kind,
            sends_per_sec: sent as f64 / context.window_secs.max(1e-9),
            acked_ok,
            unanswered: sent.saturating_sub(acked_ok + refused_in_window),
            expected_deliveries: stats.expected,
            delivered,
            completeness: if stats.expected == 0 {
                1.0
            } else {
                delivered as f64 / stats.expected as f64
            },
            deliveries_per_sec: context.delivered_in_window as f64 / secs,
            delivery_latency: stats.all_delivery_latency().percentiles(),
            delivery_latency_by_kind: latency_by_kind,
            ack_latency: stats.ack_latency.percentiles(),
            delivery_latency_first_third: stats.delivery_first_third.percentiles(),
            delivery_latency_last_third: stats.delivery_last_third.percentiles(),
            refusals: stats.refusals.clone(),
            errors: stats.errors.clone(),
            backlogged: context.backlogged,
            disconnected: context.disconnected,
            server: context.server,
            load_cpu_cores: context.load_cpu_cores,
            server_running: context.server_running,
            load_average: crate::procstat::load_average(),
        }
    }

    /// Problems a clean run must not have: nothing delivered, refusals, errors, missing
    /// deliveries, unanswered sends, a backlog, a server that died.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.delivered == 0 {
            problems.push("nothing was delivered".to_owned());
        }
        if !self.setup_failures.is_empty() {
            problems.push(format!("setup failures: {:?}", self.setup_failures));
        }
        if !self.refusals.is_empty() {
            problems.push(format!("refusals: {:?}", self.refusals));
        }
        if !self.errors.is_empty() {
            problems.push(format!("errors: {:?}", self.errors));
        }
        if self.completeness < 1.0 {
            problems.push(format!(
                "{} of {} deliveries missing",
                self.expected_deliveries - self.delivered.min(self.expected_deliveries),
                self.expected_deliveries
            ));
        }
        if self.unanswered > 0 {
            problems.push(format!("{} sends unanswered", self.unanswered));
        }
        if self.backlogged > 0 {
            problems.push(format!("{} sends backlogged", self.backlogged));
        }
        if !self.server_running {
            problems.push("the server died".to_owned());
        }
        problems
    }
}

/// One row of the table: a name and the value of each report.
fn rows(report: &Report) -> Vec<(&'static str, String, Option<f64>)> {
    let ms = |v: f64| format!("{v:.2} ms");
    let mut rows = vec![
        (
            "clients (sdk)",
            format!("{} ({})", report.clients_connected, report.clients_sdk),
            None,
        ),
        (
            "offered msg/s",
            format!("{:.0}", report.offered_per_sec),
            None,
        ),
        (
            "sent msg/s",
            format!("{:.0}", report.sends_per_sec),
            Some(report.sends_per_sec),
        ),
        (
            "deliveries/s",
            format!("{:.0}", report.deliveries_per_sec),
            Some(report.deliveries_per_sec),
        ),
        (
            "delivered/expected",
            format!(
                "{}/{} ({:.2}%)",
                report.delivered,
                report.expected_deliveries,
                report.completeness * 100.0
            ),
            Some(report.completeness),
        ),
        (
            "delivery p50",
            ms(report.delivery_latency.p50_ms),
            Some(report.delivery_latency.p50_ms),
        ),
        (
            "delivery p99",
            ms(report.delivery_latency.p99_ms),
            Some(report.delivery_latency.p99_ms),
        ),
        (
            "delivery max",
            ms(report.delivery_latency.max_ms),
            Some(report.delivery_latency.max_ms),
        ),
        (
            "delivery p50 1st/last third",
            format!(
                "{:.1}/{:.1} ms",
                report.delivery_latency_first_third.p50_ms,
                report.delivery_latency_last_third.p50_ms
            ),
            None,
        ),
        (
            "ack p50",
            ms(report.ack_latency.p50_ms),
            Some(report.ack_latency.p50_ms),
        ),
        (
            "ack p99",
            ms(report.ack_latency.p99_ms),
            Some(report.ack_latency.p99_ms),
        ),
    ];
    match &report.server {
        Some(server) => rows.extend([
            (
                "server cpu (cores)",
                format!("{:.2}", server.cpu_cores),
                Some(server.cpu_cores),
            ),
            (
                "server cpu us/delivery",
                format!("{:.2}", server.cpu_us_per_delivery),
                Some(server.cpu_us_per_delivery),
            ),
            (
                "server peak rss",
                format!("{:.1} MiB", server.peak_rss_mib),
                Some(server.peak_rss_mib),
            ),
        ]),
        None => rows.push(("server cpu", "not measured".to_owned(), None)),
    }
    rows.push((
        "load cpu (cores)",
        format!("{:.2}", report.load_cpu_cores),
        None,
    ));
    let refused: u64 = report.refusals.values().sum();
    let errors: u64 = report.errors.values().sum();
    rows.push(("refused / errors", format!("{refused} / {errors}"), None));
    rows.push(("backlogged", report.backlogged.to_string(), None));
    rows.push((
        "machine load average",
        report
            .load_average
            .map_or("unknown".to_owned(), |l| format!("{l:.1}")),
        None,
    ));
    rows
}

/// A table with one column per report.
pub fn table(reports: &[&Report]) -> String {
    let mut out = String::new();
    let columns: Vec<Vec<(&str, String, Option<f64>)>> = reports.iter().map(|r| rows(r)).collect();
    out.push_str(&format!("{:<28}", ""));
    for report in reports {
        out.push_str(&format!(" {:>26}", report.target));
    }
    out.push('\n');
    for (i, (name, _, _)) in columns[0].iter().enumerate() {
        out.push_str(&format!("{name:<28}"));
        for column in &columns {
            out.push_str(&format!(" {:>26}", column[i].1));
        }
        out.push('\n');
    }
    out.push_str(&details(reports));
    out
}

fn details(reports: &[&Report]) -> String {
    let mut out = String::new();
    for report in reports {
        for (what, n) in report
            .setup_failures
            .iter()
            .chain(&report.refusals)
            .chain(&report.errors)
        {
            out.push_str(&format!("  {}: {what}: {n}\n", report.target));
        }
    }
    out
}

/// Ours against the baseline, as ratios (ours / baseline; NaN where the baseline's figure is
/// 0, `None` where a server's usage was not measured).
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The scenario both ran (`world`, `live`, ...).
    pub scenario: String,
    /// The run against the baseline.
    pub baseline: Report,
    /// The run against `yim-server`.
    pub ours: Report,
    /// Of `deliveries_per_sec`.
    pub deliveries_per_sec_ratio: f64,
    /// Of the delivery latency's median.
    pub delivery_p50_ratio: f64,
    /// Of the delivery latency's 99th percentile.
    pub delivery_p99_ratio: f64,
    /// Of the ack latency's 99th percentile.
    pub ack_p99_ratio: f64,
    /// Of the server's CPU per delivery.
    pub server_cpu_per_delivery_ratio: Option<f64>,
    /// Of the server's peak resident memory.
    pub server_peak_rss_ratio: Option<f64>,
}

fn ratio(ours: f64, baseline: f64) -> f64 {
    if baseline == 0.0 {
        f64::NAN
    } else {
        ours / baseline
    }
}

impl Comparison {
    /// The ratios of `ours` to `baseline`.
    pub fn new(baseline: Report, ours: Report) -> Comparison {
        let both = |f: fn(&ProcessUsage) -> f64| match (&ours.server, &baseline.server) {
            (Some(o), Some(b)) => Some(ratio(f(o), f(b))),
            _ => None,
        };
        Comparison {
            scenario: format!("{:?}", ours.params.scenario).to_lowercase(),
            deliveries_per_sec_ratio: ratio(ours.deliveries_per_sec, baseline.deliveries_per_sec),
            delivery_p50_ratio: ratio(
                ours.delivery_latency.p50_ms,
                baseline.delivery_latency.p50_ms,
            ),
            delivery_p99_ratio: ratio(
                ours.delivery_latency.p99_ms,
                baseline.delivery_latency.p99_ms,
            ),
            ack_p99_ratio: ratio(ours.ack_latency.p99_ms, baseline.ack_latency.p99_ms),
            server_cpu_per_delivery_ratio: both(|u| u.cpu_us_per_delivery),
            server_peak_rss_ratio: both(|u| u.peak_rss_mib),
            baseline,
            ours,
        }
    }

    /// The two columns and a ratio column.
    pub fn table(&self) -> String {
        let baseline = rows(&self.baseline);
        let ours = rows(&self.ours);
        let mut out = format!(
            "{:<28} {:>26} {:>26} {:>12}\n",
            format!("scenario {}", self.scenario),
            self.baseline.target,
            self.ours.target,
            "ours/base"
        );
        for ((name, b, bv), (_, o, ov)) in baseline.iter().zip(&ours) {
            let ratio = match (bv, ov) {
                (Some(b), Some(o)) => format!("{:.2}x", ratio(*o, *b)),
                _ => String::new(),
            };
            out.push_str(&format!("{name:<28} {b:>26} {o:>26} {ratio:>12}\n"));
        }
        out.push_str(&details(&[&self.baseline, &self.ours]));
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::ScenarioName;
    use crate::stats::Shared;

    fn context<'a>(
        params: &'a LoadParams,
        failures: &'a BTreeMap<String, u64>,
        sent: u64,
        delivered: u64,
    ) -> ReportContext<'a> {
        ReportContext {
            target: "test",
            params,
            offered_per_sec: sent as f64,
            window_secs: 1.0,
            elapsed_secs: 1.0,
            clients_connected: 20,
            clients_sdk: 5,
            setup_failures: failures,
            delivered_in_window: delivered,
            backlogged: 0,
            disconnected: 0,
            server: None,
            load_cpu_cores: 0.1,
            server_running: true,
        }
    }

    /// A report of `sent` room sends, `expected` deliveries called for and `delivered`
    /// made, each delivery taking `delivery_ms` and each answer `ack_ms`.
    pub(crate) fn report_of(
        sent: u64,
        expected: u64,
        delivered: u64,
        delivery_ms: u64,
        ack_ms: u64,
    ) -> Report {
        let params = LoadParams::of(ScenarioName::Smoke);
        let mut stats = WindowStats::default();
        stats.sent[0] = sent;
        stats.acked_ok[0] = sent;
        stats.expected = expected;
        for _ in 0..delivered {
            stats.delivery_latency[0].record(delivery_ms * 1_000_000);
        }
        for _ in 0..sent {
            stats.ack_latency.record(ack_ms * 1_000_000);
        }
        let failures = BTreeMap::new();
        Report::build(context(&params, &failures, sent, delivered), &stats)
    }

    /// [`report_of`] with answers as slow as deliveries.
    pub(crate) fn report(sent: u64, expected: u64, delivered: u64, latency_ms: u64) -> Report {
        report_of(sent, expected, delivered, latency_ms, latency_ms)
    }

    /// The value of the table row `name` (its first column).
    fn row<'a>(table: &'a str, name: &str) -> &'a str {
        table
            .lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with("  "))
            .unwrap_or_else(|| panic!("no row {name:?} in\n{table}"))[name.len()..]
            .trim()
            .split("  ")
            .next()
            .unwrap_or_default()
    }

    #[test]
    fn ack_and_delivery_latency_are_measured_and_labelled_apart() {
        // One room send due at 1 s, answered 2 ms later, delivered to the room's other
        // member 50 ms later; a private send due at 1.5 s, answered after 4 ms, delivered
        // after 30 ms.
        let shared = Shared::default();
        shared.window.set(1_000_000_000, 2_000_000_000);
        shared.set_room_members(vec![2]);
        let (room_ns, private_ns) = (1_000_000_000, 1_500_000_000);
        shared.sent(0, Kind::Room, room_ns);
        shared.acked(0, Kind::Room, room_ns, 0, Some(0), room_ns + 2_000_000);
        shared.delivered(1, room_ns + 50_000_000, &[(Kind::Room, room_ns)]);
        shared.sent(1, Kind::Private, private_ns);
        shared.delivered(0, private_ns + 30_000_000, &[(Kind::Private, private_ns)]);
        shared.acked(
            1,
            Kind::Private,
            private_ns,
            0,
            None,
            private_ns + 4_000_000,
        );
        let params = LoadParams::of(ScenarioName::Smoke);
        let failures = BTreeMap::new();
        let stats = shared.take_window_stats();
        let report = Report::build(context(&params, &failures, 2, 2), &stats);
        assert_eq!(report.problems(), Vec::<String>::new());

        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.02;
        assert_eq!(report.ack_latency.count, 2);
        assert!(near(report.ack_latency.max_ms, 4.0), "{report:?}");
        assert!(near(report.ack_latency.p50_ms, 2.0), "{report:?}");
        assert_eq!(report.delivery_latency.count, 2);
        assert!(near(report.delivery_latency.max_ms, 50.0), "{report:?}");
        assert!(near(report.delivery_latency.p50_ms, 30.0), "{report:?}");
        let by_kind = &report.delivery_latency_by_kind;
        assert!(near(by_kind["room"].max_ms, 50.0), "{by_kind:?}");
        assert!(near(by_kind["private"].max_ms, 30.0), "{by_kind:?}");
        // The room send is in the window's first third, the private one in neither.
        assert!(near(report.delivery_latency_first_third.max_ms, 50.0));
        assert_eq!(report.delivery_latency_last_third.count, 0);

        let json = serde_json::to_value(&report).unwrap();
        assert!(near(json["ack_latency"]["max_ms"].as_f64().unwrap(), 4.0));
        assert!(near(
            json["delivery_latency"]["max_ms"].as_f64().unwrap(),
            50.0
        ));
        assert!(near(
            json["delivery_latency_by_kind"]["private"]["max_ms"]
                .as_f64()
                .unwrap(),
            30.0
        ));

        let table = table(&[&report]);
        let ms = |name: &str| -> f64 {
            let value = row(&table, name);
            let number = value.strip_suffix(" ms").and_then(|v| v.parse().ok());
            number.unwrap_or_else(|| panic!("{name}: {value:?} in\n{table}"))
        };
        assert_eq!(ms("delivery max"), 50.0, "{table}");
        assert!(near(ms("delivery p50"), 30.0), "{table}");
        assert!(near(ms("delivery p99"), 50.0), "{table}");
        assert!(near(ms("ack p50"), 2.0), "{table}");
        assert!(near(ms("ack p99"), 4.0), "{table}");
        assert_eq!(row(&table, "delivery p50 1st/last third"), "50.0/0.0 ms");

        // Ratios keep them apart too: ours twice as slow to answer, three times to deliver.
        let comparison = Comparison::new(report_of(10, 10, 10, 4, 2), report_of(10, 10, 10, 12, 4));
        assert!(near(comparison.delivery_p50_ratio, 3.0), "{comparison:?}");
        assert!(near(comparison.delivery_p99_ratio, 3.0), "{comparison:?}");
        assert!(near(comparison.ack_p99_ratio, 2.0), "{comparison:?}");
    }

    #[test]
    fn a_clean_run_has_no_problems_and_a_lossy_one_does() {
        let clean = report(10, 190, 190, 2);
        assert_eq!(clean.problems(), Vec::<String>::new());
        assert_eq!(clean.completeness, 1.0);
        assert!(
            (clean.delivery_latency.p99_ms - 2.0).abs() < 0.05,
            "{:?}",
            clean.delivery_latency
        );
        let lossy = report(10, 190, 189, 2);
        assert_eq!(
            lossy.problems(),
            vec!["1 of 190 deliveries missing".to_owned()]
        );
        let silent = report(10, 0, 0, 2);
        assert!(silent
            .problems()
            .contains(&"nothing was delivered".to_owned()));
    }

    #[test]
    fn comparisons_are_ours_over_the_baseline() {
        let baseline = report(100, 1000, 1000, 2);
        let ours = report(100, 1000, 500, 6);
        let comparison = Comparison::new(baseline, ours);
        assert!((comparison.deliveries_per_sec_ratio - 0.5).abs() < 1e-9);
        assert!((comparison.delivery_p99_ratio - 3.0).abs() < 0.1);
        assert_eq!(comparison.server_cpu_per_delivery_ratio, None);
        let table = comparison.table();
        assert!(table.contains("0.50x"), "{table}");
    }
}
