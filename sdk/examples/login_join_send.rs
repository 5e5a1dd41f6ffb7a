//! The first thing a game does: log in, join a room, send a message, and await each call's
//! typed result (the login receipt, the send's message ID and time, the room's member count).
//!
//! Run it against a server (`cargo run --release --bin yim-server -- serve --config
//! fixtures/server.toml --data-dir ./yim-data`):
//! `cargo run -p yim-sdk --example login_join_send -- 127.0.0.1:5000 demo_app demo_secret`.
//! The workspace's tests run it against an in-process server (`tests/tests/examples.rs`).

use std::process::ExitCode;

use yim_sdk::{ChatType, Client, ClientConfig, Error, ServerZone};

/// Logs in as "alice" on the server at `addr`, joins "world" and says hello; returns what
/// happened, one line per step.
pub async fn run(addr: &str, app_key: &str, app_secret: &str) -> Result<Vec<String>, Error> {
    let client = Client::builder()
        .config(ClientConfig::with_server(addr))
        .build();
    client.init(app_key, app_secret, ServerZone::China)?;

    // Each call returns at once: its request ID, or YIM's code if it was refused. Awaited, it
    // gives the call's result, or the error its completion carried.
    let login = client.login("alice", "pw", "")?;
    let mut steps = vec![format!("login accepted as {}", login.request_id())];
    let receipt = login.await?;
    steps.push(format!("logged in as {}", receipt.user_id));

    client.join_chat_room("world")?.await?;
    let members = client.get_room_member_count("world")?.await?;
    steps.push(format!("joined world ({members} members)"));

    let sent = client
        .send_text_message("world", ChatType::Room, "hello, world", "")?
        .await?;
    steps.push(format!(
        "sent message {} at {} (unix seconds)",
        sent.message_id, sent.send_time
    ));

    client.logout()?.await?;
    steps.push("logged out".to_owned());
    Ok(steps)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let app_key = args.next().unwrap_or_else(|| "demo_app".to_owned());
    let app_secret = args.next().unwrap_or_else(|| "demo_secret".to_owned());
    match run(&addr, &app_key, &app_secret).await {
        Ok(steps) => {
            steps.iter().for_each(|step| println!("{step}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            // `code()` is YIM's number; the message says more (and the source, for audio).
            eprintln!("failed with {}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}
