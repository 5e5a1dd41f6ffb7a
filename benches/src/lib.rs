//! Support for the criterion benchmarks in `benches/`: [`bare_turmoil`], the plain turmoil
//! program the simulator is measured against.

pub mod bare_turmoil;
