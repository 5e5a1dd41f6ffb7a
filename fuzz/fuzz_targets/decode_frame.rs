//! Any bytes as a TCP stream into the frame decoder; see `yim_proto::fuzzing::check_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| yim_proto::fuzzing::check_decode(data));
