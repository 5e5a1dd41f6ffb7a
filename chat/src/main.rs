//! `yim-chat`: a terminal chat client on the YIM reference SDK.
//!
//! What it is: log in, then type commands on stdin (`/join ROOM`, `/leave ROOM`, `/leaveall`,
//! `/count ROOM`, `/say ROOM text`, `/to USER text`, plain text to the most recently joined
//! room, `/quit`); every SDK event is printed as one line on stdout. Exits non-zero if the
//! login fails or the session is lost. What it is not: a place for SDK logic; it only calls
//! the `Client` API.

mod command;
mod show;

use std::process::ExitCode;

use clap::Parser;
use std::path::Path;
use tokio::io::{AsyncBufReadExt, BufReader};

use yim_sdk::{ChatType, Client, ClientConfig, Error, ErrorCode, Event, Recognize, ServerZone};

use command::{Command, Target, HELP};

#[derive(Debug, Parser)]
#[command(name = "yim-chat", about = "Chat through a YIM reference server")]
struct Args {
    /// Server address, host:port.
    #[arg(long, default_value = "127.0.0.1:5000")]
    server: String,
    #[arg(long)]
    app_key: String,
    #[arg(long)]
    app_secret: String,
    #[arg(long)]
    user: String,
    #[arg(long)]
    password: String,
    /// Login token, if the server is in token mode.
    #[arg(long, default_value = "")]
    token: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run(args));
    // A blocking stdin read cannot be cancelled: do not wait for it.
    runtime.shutdown_background();
    code
}

async fn run(args: Args) -> ExitCode {
    let client = Client::builder()
        .config(ClientConfig::with_server(args.server.as_str()))
        .audio(audio_setup())
        .build();
    if let Err(code) = client.init(&args.app_key, &args.app_secret, ServerZone::China) {
        eprintln!("init failed: {code}");
        return ExitCode::FAILURE;
    }
    let login = match client.login(&args.user, &args.password, &args.token) {
        Ok(login) => login,
        Err(refused) => {
            eprintln!("login refused: {refused}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(failed) = login.await {
        eprintln!("login failed: {failed}");
        return ExitCode::FAILURE;
    }
    // The login's own event (and anything before it) is in the stream too.
    while let Some(event) = client.try_next_event() {
        println!("{}", show::event_line(&event));
    }
    println!("{HELP}");
    chat(&client).await
}

/// The microphone and speaker (feature `cpal`), recordings in the temp dir, and PocketSphinx
/// for speech to text when it is installed.
fn audio_setup() -> yim_sdk::AudioSetup {
    let cache_dir = std::env::temp_dir().join("yim-chat");
    #[cfg(feature = "cpal")]
    let setup = yim_sdk::AudioSetup::devices(cache_dir);
    #[cfg(not(feature = "cpal"))]
    let setup = yim_sdk::AudioSetup {
        cache_dir: Some(cache_dir),
        ..yim_sdk::AudioSetup::unavailable()
    };
    match yim_sdk::yim_audio::PocketSphinx::detect() {
        Ok(engine) => setup.with_recognizer(std::sync::Arc::new(move || {
            Box::new(engine.clone()) as Box<dyn yim_sdk::yim_audio::Recognizer>
        })),
        Err(_) => setup,
    }
}

/// The chat loop: commands from stdin, events to stdout, until the session ends.
async fn chat(client: &Client) -> ExitCode {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    // Rooms joined, most recent last: plain text goes to the last one.
    let mut rooms: Vec<String> = Vec::new();
    let mut quitting = false;
    loop {
        tokio::select! {
            line = lines.next_line(), if !quitting => {
                let command = match line {
                    Ok(Some(line)) => command::parse(&line),
                    // End of input: leave like /quit.
                    Ok(None) | Err(_) => Ok(Command::Quit),
                };
                match command {
                    Ok(Command::Quit) => match client.logout() {
                        Ok(_) => quitting = true,
                        Err(_) => return ExitCode::SUCCESS,
                    },
                    Ok(command) => execute(client, &rooms, command),
                    Err(usage) => println!("{usage}"),
                }
            }
            event = client.next_event() => {
                let Some(event) = event else {
                    return ExitCode::FAILURE;
                };
                println!("{}", show::event_line(&event));
                track_rooms(&mut rooms, &event);
                match event {
                    Event::Logout { request_id: Some(_), .. } => return ExitCode::SUCCESS,
                    Event::Logout { request_id: None, .. } | Event::KickOff => {
                        return ExitCode::FAILURE
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Runs one command. Results come as events (every completion is in the stream), so the
/// requests' own results are not awaited here; a refusal is printed at once.
fn execute(client: &Client, rooms: &[String], command: Command) {
    let result: Result<(), Error> = match command {
        Command::Join(room) => client.join_chat_room(&room).map(drop),
        Command::Leave(room) => client.leave_chat_room(&room).map(drop),
        Command::LeaveAll => client.leave_all_chat_rooms().map(drop),
        Command::Count(room) => client.get_room_member_count(&room).map(drop),
        Command::Say { room, text } => client
            .send_text_message(&room, ChatType::Room, &text, "")
            .map(drop),
        Command::To { user, text } => client
            .send_text_message(&user, ChatType::Private, &text, "")
            .map(drop),
        Command::Plain(text) => match rooms.last() {
            Some(room) => client
                .send_text_message(room, ChatType::Room, &text, "")
                .map(drop),
            None => {
                println!("join a room first (/join ROOM), or use /to USER text");
                return;
            }
        },
        Command::Record(target) => {
            let (to, chat_type) = target_parts(&target);
            client
                .start_record_audio_message(to, chat_type, Recognize::AlongWithSend)
                .map(drop)
        }
        Command::Stop(extra) => client.stop_and_send_audio_message(&extra).map(drop),
        Command::Cancel => client.cancel_audio_message(),
        Command::SendWav { target, path } => {
            let (to, chat_type) = target_parts(&target);
            client
                .send_audio_file(
                    to,
                    chat_type,
                    Path::new(&path),
                    Recognize::AlongWithSend,
                    "",
                )
                .map(drop)
        }
        Command::Download { message_id, path } => client
            .download_audio(message_id, Path::new(&path))
            .map(drop),
        Command::Play(path) => client.start_play_audio(Path::new(&path)),
        Command::StopPlay => client.stop_play_audio(),
        Command::Help => {
            println!("{HELP}");
            return;
        }
        Command::Nothing | Command::Quit => return,
    };
    if let Err(refused) = result {
        println!("refused: {refused}");
    }
}

fn target_parts(target: &Target) -> (&str, ChatType) {
    match target {
        Target::Room(room) => (room, ChatType::Room),
        Target::User(user) => (user, ChatType::Private),
    }
}

fn track_rooms(rooms: &mut Vec<String>, event: &Event) {
    match event {
        Event::JoinChatRoom {
            code: ErrorCode::Success,
            room_id,
            ..
        } => {
            rooms.retain(|r| r != room_id);
            rooms.push(room_id.clone());
        }
        Event::LeaveChatRoom {
            code: ErrorCode::Success,
            room_id,
            ..
        } => rooms.retain(|r| r != room_id),
        Event::LeaveAllChatRooms {
            code: ErrorCode::Success,
            ..
        } => rooms.clear(),
        _ => {}
    }
}
