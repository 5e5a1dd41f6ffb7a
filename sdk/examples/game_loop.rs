//! A game loop in YIM's style: the SDK runs on a runtime of its own, the game thread makes
//! calls (keeping only their request IDs) and, once a frame, takes every event that came in,
//! completions included. No `async` in the game.
//!
//! Two players, alice and bob, log in and join "world"; alice says something; bob's frame loop
//! shows it. Run it against a server:
//! `cargo run -p yim-sdk --example game_loop -- 127.0.0.1:5000 demo_app demo_secret`.
//! The workspace's tests run it against an in-process server (`tests/tests/examples.rs`).

use std::process::ExitCode;
use std::time::Duration;

use yim_sdk::{
    ChatType, Client, ClientConfig, Error, ErrorCode, Event, MessageBody, RequestId, ServerZone,
};

/// One frame at 60 frames a second.
const FRAME: Duration = Duration::from_millis(16);
/// Give up after this many frames (10 s).
const MAX_FRAMES: u32 = 600;

/// What the game remembers about one player.
struct Player {
    name: &'static str,
    client: Client,
    login: Option<RequestId>,
    logged_in: bool,
    joined: bool,
    heard: Vec<String>,
}

impl Player {
    fn new(name: &'static str, client: Client) -> Player {
        Player {
            name,
            client,
            login: None,
            logged_in: false,
            joined: false,
            heard: Vec::new(),
        }
    }

    /// Once a frame: every event that came in since the last frame.
    fn poll_events(&mut self) -> Result<(), String> {
        while let Some(event) = self.client.try_next_event() {
            match event {
                Event::Login {
                    request_id, code, ..
                } if Some(request_id) == self.login => {
                    if code != ErrorCode::Success {
                        return Err(format!("{} could not log in: {code}", self.name));
                    }
                    self.logged_in = true;
                    // YIM style: the request ID is kept, the completion comes as an event.
                    self.client
                        .join_chat_room("world")
                        .map_err(|e| e.to_string())?;
                }
                Event::JoinChatRoom { code, .. } => self.joined = code == ErrorCode::Success,
                Event::RecvMessage(message) => {
                    if let MessageBody::Text { content, .. } = message.body {
                        self.heard.push(format!("{}: {content}", message.sender_id));
                    }
                }
                Event::KickOff
                | Event::Logout {
                    request_id: None, ..
                } => {
                    return Err(format!("{} lost its session", self.name));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Runs the two players' frames until bob has heard alice; returns what bob heard.
pub fn run(addr: &str, app_key: &str, app_secret: &str) -> Result<Vec<String>, String> {
    // The SDK's own runtime: the game thread never blocks on it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let make = |name| -> Result<Player, Error> {
        let client = Client::builder()
            .runtime(runtime.handle().clone())
            .config(ClientConfig::with_server(addr))
            .build();
        client.init(app_key, app_secret, ServerZone::China)?;
        let mut player = Player::new(name, client);
        player.login = Some(player.client.login(name, "pw", "")?.request_id());
        Ok(player)
    };
    let mut alice = make("alice").map_err(|e| e.to_string())?;
    let mut bob = make("bob").map_err(|e| e.to_string())?;
    let mut said = false;
    for _frame in 0..MAX_FRAMES {
        alice.poll_events()?;
        bob.poll_events()?;
        if alice.joined && bob.joined && !said {
            alice
                .client
                .send_text_message("world", ChatType::Room, "gg", "")
                .map_err(|e| e.to_string())?;
            said = true;
        }
        if !bob.heard.is_empty() {
            return Ok(bob.heard);
        }
        // The rest of the game's frame.
        std::thread::sleep(FRAME);
    }
    Err(format!(
        "bob heard nothing in {MAX_FRAMES} frames (logged in: {}, {})",
        alice.logged_in, bob.logged_in
    ))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let app_key = args.next().unwrap_or_else(|| "demo_app".to_owned());
    let app_secret = args.next().unwrap_or_else(|| "demo_secret".to_owned());
    match run(&addr, &app_key, &app_secret) {
        Ok(heard) => {
            heard.iter().for_each(|line| println!("bob heard {line}"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
