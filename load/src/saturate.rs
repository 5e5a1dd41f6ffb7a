//! The saturation ramp: one session, the rate raised step by step (by a factor) until the
//! server gives out, for one server or for ours and the baseline in turn.
//!
//! A step is saturated when its sends are not all taken (a backlog, unanswered sends), when
//! deliveries fall behind (under 99% of those expected arrive, or the delivery rate during
//! the window is under 90% of what the offered rate calls for), when delivery latency grows
//! during the window (the median of the last third's sends is more than twice the first
//! third's plus 20 ms: queues are growing), or when the delivery or ack p99 blows up: passes
//! both the bound and `p99_growth` times the first step's (on a busy machine the first step's
//! p99 is already high). The sustained rate is the last step that was not saturated.

use serde::Serialize;

use crate::report::Report;
use crate::scenario::LoadParams;
use crate::target::{TargetKind, TargetOptions};
use crate::LoadError;

/// Latency growth within a window below this is noise.
const GROWTH_SLACK_MS: f64 = 20.0;

/// How to ramp.
#[derive(Debug, Clone, Serialize)]
pub struct Ramp {
    /// The first step's offered rate, in sends per second.
    pub from_per_sec: f64,
    /// Each step's rate over the one before (above 1).
    pub factor: f64,
    /// Steps at most; the ramp ends sooner at the first saturated step.
    pub max_steps: usize,
    /// Seconds measured per step (after 1 s of warm-up at its rate).
    pub step_secs: f64,
    /// A delivery or ack p99 (ms) up to this is never what saturates a step.
    pub max_p99_ms: f64,
    /// Nor is one up to this many times the first step's p99 of the same latency.
    pub p99_growth: f64,
}

/// One step's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// The step's measurement.
    pub report: Report,
    /// Why the step counts as saturated; empty if it does not.
    pub saturated_because: Vec<String>,
}

/// A ramp's result for one server.
#[derive(Debug, Clone, Serialize)]
pub struct Saturation {
    /// The server ramped: `yim-server` or `baseline`.
    pub target: String,
    /// How it was ramped.
    pub ramp: Ramp,
    /// Every step measured, in order; only the last may be saturated.
    pub steps: Vec<Step>,
    /// The highest rate that did not saturate, in sends per second (`None`: the first did).
    pub sustained_per_sec: Option<f64>,
    /// The rate of the step that saturated, in sends per second (`None`: none did within
    /// `max_steps`).
    pub saturated_at_per_sec: Option<f64>,
}

/// The reasons a step counts as saturated; `first` is the ramp's first step, if this is not it.
pub fn judge(report: &Report, ramp: &Ramp, first: Option<&Report>) -> Vec<String> {
    let bound = |first_p99: Option<f64>| {
        ramp.max_p99_ms
            .max(first_p99.unwrap_or(0.0) * ramp.p99_growth)
    };
    let delivery_bound = bound(first.map(|f| f.delivery_latency.p99_ms));
    let ack_bound = bound(first.map(|f| f.ack_latency.p99_ms));
    let mut why = Vec::new();
    if report.backlogged > 0 {
        why.push(format!("{} sends backlogged", report.backlogged));
    }
    if report.unanswered > 0 {
        why.push(format!("{} sends unanswered", report.unanswered));
    }
    if report.completeness < 0.99 {
        why.push(format!("{:.1}% delivered", report.completeness * 100.0));
    }
    let expected_rate = report.expected_deliveries as f64 / report.window_secs.max(1e-9);
    if report.deliveries_per_sec < 0.9 * expected_rate {
        why.push(format!(
            "{:.0} deliveries/s of {:.0}",
            report.deliveries_per_sec, expected_rate
        ));
    }
    let (early, late) = (
        report.delivery_latency_first_third.p50_ms,
        report.delivery_latency_last_third.p50_ms,
    );
    if late > 2.0 * early + GROWTH_SLACK_MS {
        why.push(format!(
            "delivery latency growing: p50 {early:.0} ms then {late:.0} ms"
        ));
    }
    if report.delivery_latency.p99_ms > delivery_bound {
        why.push(format!(
            "delivery p99 {:.0} ms",
            report.delivery_latency.p99_ms
        ));
    }
    if report.ack_latency.p99_ms > ack_bound {
        why.push(format!("ack p99 {:.0} ms", report.ack_latency.p99_ms));
    }
    if !report.server_running {
        why.push("the server died".into());
    }
    why
}

/// Ramps `params` against the server of `kind` (one session: clients log in once), `on_step`
/// seeing each step as it ends. Fails as [`crate::start`] does; a step that saturates is a
/// result, not an error.
pub async fn saturate(
    kind: TargetKind,
    params: &LoadParams,
    options: &TargetOptions,
    ramp: &Ramp,
    progress: bool,
    mut on_step: impl FnMut(&Step),
) -> Result<Saturation, LoadError> {
    let (mut target, mut session) = crate::start(kind, params, options, progress).await?;
    let mut steps = Vec::new();
    let mut rate = ramp.from_per_sec;
    let (mut sustained, mut saturated_at) = (None, None);
    for _ in 0..ramp.max_steps {
        let report = session
            .measure(&mut target, rate, 1.0, ramp.step_secs, params.drain_secs)
            .await;
        let step = Step {
            saturated_because: judge(&report, ramp, steps.first().map(|s: &Step| &s.report)),
            report,
        };
        on_step(&step);
        let saturated = !step.saturated_because.is_empty();
        steps.push(step);
        if saturated {
            saturated_at = Some(rate);
            break;
        }
        sustained = Some(rate);
        rate *= ramp.factor;
    }
    session.stop();
    target.stop();
    Ok(Saturation {
        target: kind.name().to_owned(),
        ramp: ramp.clone(),
        steps,
        sustained_per_sec: sustained,
        saturated_at_per_sec: saturated_at,
    })
}

/// A step as one line for people: rates, completeness, delivery p50 and p99, ack p99, server
/// CPU and memory, and the verdict.
pub fn step_line(step: &Step) -> String {
    let r = &step.report;
    let verdict = if step.saturated_because.is_empty() {
        "ok".to_owned()
    } else {
        format!("SATURATED: {}", step.saturated_because.join(", "))
    };
    let cpu = r
        .server
        .map(|s| {
            format!(
                "{:.2} cores {:.2} us/dlv {:.0} MiB",
                s.cpu_cores, s.cpu_us_per_delivery, s.peak_rss_mib
            )
        })
        .unwrap_or_else(|| "cpu not measured".into());
    format!(
        "{:<10} {:>8.0} msg/s  {:>10.0} dlv/s  {:>6.2}%  delivery p50 {:>8.2} ms  p99 {:>8.2} ms  ack p99 {:>8.2} ms  {cpu}  load {:.2} cores  {verdict}",
        r.target,
        r.offered_per_sec,
        r.deliveries_per_sec,
        r.completeness * 100.0,
        r.delivery_latency.p50_ms,
        r.delivery_latency.p99_ms,
        r.ack_latency.p99_ms,
        r.load_cpu_cores,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{report, report_of};

    #[test]
    fn slow_or_lossy_steps_are_saturated() {
        let ramp = Ramp {
            from_per_sec: 10.0,
            factor: 1.5,
            max_steps: 3,
            step_secs: 1.0,
            max_p99_ms: 100.0,
            p99_growth: 4.0,
        };
        assert_eq!(
            judge(&report(10, 190, 190, 5), &ramp, None),
            Vec::<String>::new()
        );
        let slow = judge(&report(10, 190, 190, 500), &ramp, None);
        assert_eq!(slow.len(), 2, "{slow:?}");
        assert!(slow[0].starts_with("delivery p99"), "{slow:?}");
        let first = report(10, 190, 190, 150);
        assert_eq!(
            judge(&report(10, 190, 190, 500), &ramp, Some(&first)),
            Vec::<String>::new(),
            "within 4x of a slow first step"
        );
        assert_eq!(
            judge(&report(10, 190, 190, 700), &ramp, Some(&first)).len(),
            2
        );
        let lossy = judge(&report(10, 190, 100, 5), &ramp, None);
        assert!(lossy.iter().any(|w| w.contains("% delivered")), "{lossy:?}");
        // Each p99 is judged on its own latency, against its own bound.
        assert_eq!(
            judge(&report_of(10, 190, 190, 500, 5), &ramp, None),
            vec!["delivery p99 500 ms".to_owned()]
        );
        assert_eq!(
            judge(&report_of(10, 190, 190, 5, 500), &ramp, None),
            vec!["ack p99 500 ms".to_owned()]
        );
        let slow_ack_first = report_of(10, 190, 190, 5, 150);
        assert_eq!(
            judge(
                &report_of(10, 190, 190, 5, 500),
                &ramp,
                Some(&slow_ack_first)
            ),
            Vec::<String>::new(),
            "within 4x of the first step's ack p99"
        );
        assert_eq!(
            judge(
                &report_of(10, 190, 190, 500, 5),
                &ramp,
                Some(&slow_ack_first)
            ),
            vec!["delivery p99 500 ms".to_owned()],
            "a slow first ack does not raise the delivery bound"
        );
    }
}
