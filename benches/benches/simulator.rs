//! The simulator's standard scenario: 100 clients packed into 10 client hosts, 10 rooms,
//! 60 simulated seconds of safety phase plus the 45 s liveness phase (105 s simulated),
//! clean and faulty profiles. Simulated seconds per wall second = 105 / the time reported.
//!
//! Run: `cargo bench -p yim-benches`

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use yim_sim::generate::{generate, Profile, Size};

fn standard_scenario(c: &mut Criterion) {
    let mut group = c.benchmark_group("standard_scenario_105s_simulated");
    group.sample_size(10);
    for profile in [Profile::Calm, Profile::Faulty] {
        let scenario = generate(0, &Size::standard(), profile);
        let simulated_s = scenario.duration_ms() as f64 / 1000.0;
        let outcome = yim_sim::run(&scenario);
        assert!(outcome.stats.messages_delivered > 0);
        eprintln!(
            "{profile:?}: {} clients, {} rooms, {simulated_s} s simulated, {} ops, {} messages delivered",
            scenario.clients.len(),
            scenario.rooms.len(),
            outcome.stats.ops,
            outcome.stats.messages_delivered
        );
        group.bench_function(format!("{profile:?}").to_lowercase(), |b| {
            b.iter(|| yim_sim::run(&scenario))
        });
    }
    group.finish();
}

criterion_group!(benches, standard_scenario);
criterion_main!(benches);
