//! The simulator's speed.
//!
//! - `standard_scenario_105s_simulated`: 100 clients packed into 10 client hosts, 10 rooms,
//!   60 simulated seconds of safety phase plus the 45 s liveness phase (105 s simulated),
//!   calm and faulty profiles, beside `bare_turmoil`: the calm scenario's traffic on a plain
//!   turmoil program with the same hosts and settings (see `yim_benches::bare_turmoil`). Our
//!   ratio to plain turmoil is calm / bare_turmoil.
//! - `large_scenario_1000_clients`: 1,000 clients in 10 hosts, 10 rooms, 15 s of safety phase
//!   plus 45 s of liveness (60 s simulated), calm, on one core.
//!
//! Times real time = simulated seconds / the time reported; each bench also prints what its
//! first run measured.
//!
//! Run: `cargo bench -p yim-benches --bench simulator`

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use yim_benches::bare_turmoil;
use yim_sim::generate::{generate, Profile, Size};
use yim_sim::Scenario;

/// Wall seconds of one call.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
    let started = std::time::Instant::now();
    let value = f();
    (value, started.elapsed().as_secs_f64())
}

fn describe(name: &str, scenario: &Scenario) -> f64 {
    let simulated_s = scenario.duration_ms() as f64 / 1000.0;
    let (outcome, wall_s) = timed(|| yim_sim::run(scenario));
    assert!(outcome.stats.messages_delivered > 0);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    eprintln!(
        "{name}: {} clients in {} hosts, {} rooms, {simulated_s} s simulated, {} ops, {} messages delivered; first run {wall_s:.2} s = {:.0}x real time",
        scenario.clients.len(),
        scenario.client_hosts,
        scenario.rooms.len(),
        outcome.stats.ops,
        outcome.stats.messages_delivered,
        simulated_s / wall_s
    );
    wall_s
}

fn standard_scenario(c: &mut Criterion) {
    let mut group = c.benchmark_group("standard_scenario_105s_simulated");
    group.sample_size(10);
    let calm = generate(0, &Size::standard(), Profile::Calm);
    let ours_s = describe("calm", &calm);
    let (bare, bare_s) = timed(|| bare_turmoil::run(&calm));
    assert!(bare.deliveries > 0);
    eprintln!(
        "bare_turmoil: the calm scenario's {} sends, {} deliveries; first run {bare_s:.2} s; simulator / bare turmoil = {:.1}x",
        bare.sends,
        bare.deliveries,
        ours_s / bare_s
    );
    group.bench_function("calm", |b| b.iter(|| yim_sim::run(&calm)));
    group.bench_function("bare_turmoil", |b| b.iter(|| bare_turmoil::run(&calm)));
    let faulty = generate(0, &Size::standard(), Profile::Faulty);
    describe("faulty", &faulty);
    group.bench_function("faulty", |b| b.iter(|| yim_sim::run(&faulty)));
    group.finish();
}

fn large_scenario(c: &mut Criterion) {
    let mut group = c.benchmark_group("large_scenario_1000_clients");
    group.sample_size(10);
    let size = Size {
        safety_ms: 15_000,
        ..Size::large()
    };
    let scenario = generate(0, &size, Profile::Calm);
    describe("large calm", &scenario);
    // The fewest samples criterion takes, and no more than one run each.
    group.warm_up_time(std::time::Duration::from_millis(1));
    group.measurement_time(std::time::Duration::from_millis(1));
    group.bench_function("calm_60s_simulated", |b| b.iter(|| yim_sim::run(&scenario)));
    group.finish();
}

criterion_group!(benches, standard_scenario, large_scenario);
criterion_main!(benches);
