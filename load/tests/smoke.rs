//! The load tool end to end, small: the `smoke` scenario (20 clients, 5 of them SDK clients,
//! 2 s of room, private and voice messages) through the `yim-load` binary, against the
//! baseline it starts itself and against a `yim-server` running in this test process, each
//! with `--check` (fails unless everything sent was answered and delivered, with no refusal
//! or error).

use std::process::Command;

use yim_server::store::sqlite::SqliteStore;
use yim_server::ServerConfig;

fn yim_load(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_yim-load"))
        .args(["run", "--scenario", "smoke", "--quiet", "--check"])
        .args(args)
        .output()
        .expect("yim-load runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn smoke_against_the_baseline_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let (ok, text) = yim_load(&["--target", "baseline", "--json", json.to_str().unwrap()]);
    assert!(ok, "{text}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report["delivered"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["completeness"].as_f64(), Some(1.0), "{report}");
    assert!(
        report["server"]["peak_rss_mib"].as_f64().unwrap() > 0.0,
        "the started server is measured: {report}"
    );
    for kind in ["room", "private", "voice"] {
        assert!(
            report["delivery_latency_by_kind"][kind]["count"]
                .as_u64()
                .unwrap()
                > 0,
            "{kind} messages were delivered: {report}"
        );
    }
    assert_eq!(
        report["ack_latency"]["count"].as_u64(),
        report["sent"].as_u64(),
        "every send of the window was answered once: {report}"
    );
}

/// Runs the smoke scenario against an in-process `yim-server` with `max_room_members`.
fn against_yim_server(max_room_members: usize) -> (bool, String) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut config = ServerConfig::new("127.0.0.1:0", &[("load_app", "load_secret")]);
    config.limits.password_hash_rounds = 16;
    config.limits.max_room_members = max_room_members;
    let store = SqliteStore::open_in_dir(dir.path()).expect("the store opens");
    let server = runtime
        .block_on(yim_server::spawn_tcp(&config, Box::new(store), 7))
        .expect("the server starts");
    let result = yim_load(&["--server", &server.addr.to_string()]);
    runtime.block_on(server.stop());
    result
}

#[test]
fn refusals_are_reported_by_code_and_fail_the_check() {
    // 20 clients in 2 rooms of 10, rooms of at most 4: 12 joins refused.
    let (ok, text) = against_yim_server(4);
    assert!(!ok, "{text}");
    assert!(
        text.contains("join: ChannelMemberOverflow (66): 12"),
        "{text}"
    );
}

#[test]
fn smoke_against_a_yim_server_given_by_address() {
    let (ok, text) = against_yim_server(2000);
    assert!(ok, "{text}");
    assert!(text.contains("server cpu"), "{text}");
    assert!(
        text.contains("not measured"),
        "a server given by address is not measured: {text}"
    );
}
