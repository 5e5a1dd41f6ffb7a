//! `examples/Chat.cs` with the csbindgen binding `csharp/NativeMethods.g.cs`, compiled by Mono's
//! `mcs` and run under `mono` against a real server on loopback: the chat flow through
//! P/Invoke, events drained once a frame on the calling thread as a Unity `Update()` does.
//! The program exits non-zero on any mismatch.

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::{library_dir, run, TestServer};

#[test]
fn chat_cs_passes_under_mono() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let exe = work.path().join("chat.exe");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("mcs")
        .args(["-unsafe", "-warnaserror", "-nologo"])
        .arg(format!("-out:{}", exe.display()))
        .arg(dir.join("csharp/NativeMethods.g.cs"))
        .arg(dir.join("csharp/YimStrings.cs"))
        .arg(dir.join("examples/Chat.cs"))
        .output()
        .expect("mcs runs (install mono-mcs)");
    assert!(
        output.status.success(),
        "mcs failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut command = Command::new("mono");
    command
        .env("LD_LIBRARY_PATH", library_dir())
        .arg(&exe)
        .arg(&server.addr)
        .arg(work.path());
    let (code, output) = run(command);
    assert_eq!(code, Some(0), "Chat.cs failed:\n{output}");
    assert!(output.contains("chat.cs: all checks passed"), "{output}");
}
