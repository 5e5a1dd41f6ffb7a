//! Arbitrary frames through encode and decode; see `yim_proto::fuzzing::check_round_trip`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| yim_proto::fuzzing::check_round_trip(data));
