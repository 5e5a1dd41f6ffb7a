//! Scripts of connections, frames, timers, hashes and disconnects against the server's core;
//! see `yim_server::fuzzing::check_core`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| yim_server::fuzzing::check_core(data));
