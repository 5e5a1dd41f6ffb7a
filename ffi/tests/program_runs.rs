//! The helper that runs the C and C# example programs (`support::run`) reads their output
//! while they run, so a program that writes more than a pipe holds still finishes, and kills
//! a program past its time limit, failing with what the program wrote.

mod support;

use std::process::Command;
use std::time::Duration;

use support::{run, run_for};

fn shell(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

#[test]
fn a_program_writing_more_than_a_pipe_holds_finishes_with_all_its_output() {
    // 256 KiB on stdout and 128 KiB on stderr, four and two times a Linux pipe's 64 KiB.
    let (code, output) = run(shell(
        "head -c 262144 /dev/zero | tr '\\0' o; head -c 131072 /dev/zero | tr '\\0' e >&2",
    ));
    assert_eq!(code, Some(0));
    assert_eq!(output.len(), 262_144 + 131_072);
    assert!(output[..262_144].bytes().all(|b| b == b'o'));
    assert!(output[262_144..].bytes().all(|b| b == b'e'));
}

#[test]
fn a_program_past_its_limit_is_killed_and_the_failure_shows_its_output() {
    let outcome = std::panic::catch_unwind(|| {
        run_for(
            shell("echo started; echo on stderr >&2; exec sleep 60"),
            Duration::from_millis(500),
        )
    });
    let panic = outcome.expect_err("the run fails");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(message.contains("still running after"), "{message}");
    assert!(message.contains("started\non stderr"), "{message}");
}
