//! `examples/chat.c`, compiled by gcc against `include/yim.h` and the library this build made,
//! run against a real server on loopback: linked statically and run as is, and linked
//! dynamically and run under valgrind's memcheck (no invalid reads or writes, no memory
//! definitely lost). The program exits non-zero on any mismatch. `tests/c/planted.c` shows
//! that this valgrind run catches a use after `yim_free_event` and a leak.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::{library_dir, run, TestServer};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles `source` (relative to the crate) into `out`.
fn gcc(source: &str, out: &Path, flags: &[&str]) {
    let mut command = Command::new("gcc");
    command
        .args([
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
            "-I",
        ])
        .arg(crate_dir().join("include"))
        .arg(crate_dir().join(source))
        .arg("-o")
        .arg(out)
        .args(flags);
    let output = command
        .output()
        .expect("gcc runs (install build-essential)");
    assert!(
        output.status.success(),
        "gcc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn chat_c_linked_statically_passes() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let exe = work.path().join("chat-static");
    let lib = library_dir().join("libyim_ffi.a");
    let lib = lib.to_str().expect("UTF-8 path");
    let mut flags = vec![lib, "-lpthread", "-ldl", "-lm"];
    if cfg!(feature = "cpal") {
        // Real audio devices: cpal talks to ALSA.
        flags.push("-lasound");
    }
    gcc("examples/chat.c", &exe, &flags);
    let mut command = Command::new(&exe);
    command.arg(&server.addr).arg(work.path());
    let (code, output) = run(command);
    assert_eq!(code, Some(0), "chat.c failed:\n{output}");
    assert!(output.contains("chat: all checks passed"), "{output}");
}

/// Flags linking against the shared library, found at run time by its path.
fn dynamic_link() -> Vec<String> {
    let dir = library_dir();
    let dir = dir.to_str().expect("UTF-8 path");
    vec![
        "-L".into(),
        dir.into(),
        "-lyim_ffi".into(),
        format!("-Wl,-rpath,{dir}"),
    ]
}

/// `exe` under memcheck: exit code 99 if it found an invalid access or a definite leak.
fn valgrind(exe: &Path) -> Command {
    let mut command = Command::new("valgrind");
    command
        .args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
        ])
        .arg(exe);
    command
}

#[test]
fn chat_c_linked_dynamically_passes_under_valgrind() {
    let server = TestServer::start();
    let work = tempfile::tempdir().expect("work dir");
    let exe = work.path().join("chat");
    let link = dynamic_link();
    let link: Vec<&str> = link.iter().map(String::as_str).collect();
    gcc("examples/chat.c", &exe, &link);
    let mut command = valgrind(&exe);
    command.arg(&server.addr).arg(work.path());
    let (code, output) = run(command);
    assert_eq!(
        code,
        Some(0),
        "chat.c under valgrind failed (99: memcheck found errors; is valgrind installed?):\n{output}"
    );
    assert!(output.contains("chat: all checks passed"), "{output}");
}

#[test]
fn valgrind_catches_the_planted_bugs() {
    let work = tempfile::tempdir().expect("work dir");
    for (plant, expected) in [(None, 0), (Some("USE_AFTER_FREE"), 99), (Some("LEAK"), 99)] {
        let exe = work
            .path()
            .join(format!("planted-{}", plant.unwrap_or("none")));
        let mut flags = dynamic_link();
        if let Some(plant) = plant {
            flags.push(format!("-DPLANT_{plant}"));
        }
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        gcc("tests/c/planted.c", &exe, &flags);
        let (code, output) = run(valgrind(&exe));
        assert_eq!(code, Some(expected), "planted {plant:?}:\n{output}");
    }
}

/// The C snippets of the READMEs compile against the header, as the body of a `main`.
#[test]
fn readme_snippets_compile() {
    let work = tempfile::tempdir().expect("work dir");
    let readmes = [
        crate_dir().join("../README.md"),
        crate_dir().join("README.md"),
    ];
    let mut compiled = 0;
    for readme in readmes {
        let text = std::fs::read_to_string(&readme).expect("README");
        for (index, block) in text.split("```c\n").skip(1).enumerate() {
            let code = block.split("```").next().expect("a closed block");
            let source = work.path().join(format!("snippet-{compiled}.c"));
            let program = format!(
                "#include <stdio.h>\n#include \"yim.h\"\nint main(void) {{\n{code}\nreturn 0;\n}}\n"
            );
            std::fs::write(&source, program).expect("write the snippet");
            let output = Command::new("gcc")
                .args([
                    "-std=c11",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-fsyntax-only",
                    "-I",
                ])
                .arg(crate_dir().join("include"))
                .arg(&source)
                .output()
                .expect("gcc runs");
            assert!(
                output.status.success(),
                "C block {index} of {} does not compile:\n{}",
                readme.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            compiled += 1;
        }
    }
    assert!(compiled >= 2, "the READMEs' C flows were found");
}
