//! Replays the server fuzz corpus in `fixtures/fuzz/server_core/` through the check the fuzz
//! target runs (`yim_server::fuzzing::check_core`). Files found by fuzzing (crash
//! reproducers, once fixed) are added there by hand; `corpus_seeds()` are written by
//! `YIM_BLESS_CORPUS=1` and checked to be there otherwise.

// Test code: helpers unwrap like #[test] functions (clippy.toml: allow-unwrap-in-tests).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use yim_server::fuzzing::{check_core, corpus_seeds, run_script};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fuzz/server_core")
}

#[test]
fn the_seeds_are_in_the_corpus() {
    let dir = corpus_dir();
    let bless = std::env::var_os("YIM_BLESS_CORPUS").is_some_and(|v| v == "1");
    for (name, bytes) in corpus_seeds() {
        let path = dir.join(format!("{name}.bin"));
        if bless {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &bytes).unwrap();
        } else {
            let stored = fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e}; run with YIM_BLESS_CORPUS=1", path.display()));
            assert!(stored == bytes, "{} is stale", path.display());
        }
    }
}

#[test]
fn the_corpus_passes_check_core() {
    let mut files: Vec<_> = fs::read_dir(corpus_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= corpus_seeds().len(),
        "the corpus lacks its seeds"
    );
    for path in files {
        eprintln!("{}", path.display());
        check_core(&fs::read(&path).unwrap());
    }
}

/// The hand-written seeds get past the login (and the chat ones deliver messages), so the fuzzer starts
/// from scripts that reach rooms and mailboxes.
#[test]
fn the_written_seeds_reach_sessions_and_messages() {
    for (name, bytes) in corpus_seeds() {
        let reached = run_script(&bytes);
        eprintln!("{name}: {reached:?}");
        if !name.starts_with("xorshift") && name != "empty" {
            assert!(reached.logins >= 2, "{name}: {reached:?}");
        }
        if name.contains("chat") || name.contains("mailbox") {
            assert!(reached.messages > 0, "{name}: {reached:?}");
        }
    }
}
