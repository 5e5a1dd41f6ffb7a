//! The chat commands typed on stdin, parsed into `Command`s.
//!
//! What it is: pure parsing with usage errors. What it is not: running them (see `main`).

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Join(String),
    Leave(String),
    LeaveAll,
    Count(String),
    /// A message to a room.
    Say {
        room: String,
        text: String,
    },
    /// A private message.
    To {
        user: String,
        text: String,
    },
    /// Plain text: to the most recently joined room.
    Plain(String),
    /// Start recording a voice message from the microphone (to `#room` or a user).
    Record(Target),
    /// Stop recording and send, with an optional extra parameter.
    Stop(String),
    /// Discard the recording.
    Cancel,
    /// Send a WAV file as a voice message.
    SendWav {
        target: Target,
        path: String,
    },
    /// Save a received voice message's audio as a WAV.
    Download {
        message_id: u64,
        path: String,
    },
    /// Play a WAV.
    Play(String),
    /// Stop playing.
    StopPlay,
    Quit,
    Help,
    /// A blank line.
    Nothing,
}

/// Who a voice message goes to: `#room` or a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Room(String),
    User(String),
}

impl Target {
    fn parse(word: &str) -> Target {
        match word.strip_prefix('#') {
            Some(room) => Target::Room(room.to_owned()),
            None => Target::User(word.to_owned()),
        }
    }
}

pub const HELP: &str = "commands: /join ROOM, /leave ROOM, /leaveall, /count ROOM, \
/say ROOM text..., /to USER text..., /record #ROOM|USER, /stop [extra], /cancel, \
/sendwav #ROOM|USER FILE.wav, /download MESSAGE_ID FILE.wav, /play FILE.wav, /stopplay, /quit; \
plain text goes to the most recently joined room";

/// Parses one input line.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Command::Nothing);
    }
    let Some(rest) = line.strip_prefix('/') else {
        return Ok(Command::Plain(line.to_owned()));
    };
    let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let args = args.trim();
    let one = |usage: &str| -> Result<String, String> {
        match args.split_whitespace().collect::<Vec<_>>().as_slice() {
            [arg] => Ok((*arg).to_owned()),
            _ => Err(format!("usage: {usage}")),
        }
    };
    let target_and_text = |usage: &str| -> Result<(String, String), String> {
        match args.split_once(char::is_whitespace) {
            Some((target, text)) if !text.trim().is_empty() => {
                Ok((target.to_owned(), text.trim().to_owned()))
            }
            _ => Err(format!("usage: {usage}")),
        }
    };
    match name {
        "join" => one("/join ROOM").map(Command::Join),
        "leave" => one("/leave ROOM").map(Command::Leave),
        "leaveall" => Ok(Command::LeaveAll),
        "count" => one("/count ROOM").map(Command::Count),
        "say" => {
            target_and_text("/say ROOM text...").map(|(room, text)| Command::Say { room, text })
        }
        "to" => target_and_text("/to USER text...").map(|(user, text)| Command::To { user, text }),
        "record" => one("/record #ROOM|USER").map(|t| Command::Record(Target::parse(&t))),
        "stop" => Ok(Command::Stop(args.to_owned())),
        "cancel" => Ok(Command::Cancel),
        "sendwav" => {
            target_and_text("/sendwav #ROOM|USER FILE.wav").map(|(target, path)| Command::SendWav {
                target: Target::parse(&target),
                path,
            })
        }
        "download" => match target_and_text("/download MESSAGE_ID FILE.wav") {
            Ok((id, path)) => match id.parse() {
                Ok(message_id) => Ok(Command::Download { message_id, path }),
                Err(_) => Err("usage: /download MESSAGE_ID FILE.wav".to_owned()),
            },
            Err(e) => Err(e),
        },
        "play" => one("/play FILE.wav").map(Command::Play),
        "stopplay" => Ok(Command::StopPlay),
        "quit" | "exit" => Ok(Command::Quit),
        "help" => Ok(Command::Help),
        other => Err(format!("unknown command /{other}; {HELP}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse("/join world"), Ok(Command::Join("world".to_owned())));
        assert_eq!(
            parse("  /leave  world "),
            Ok(Command::Leave("world".to_owned()))
        );
        assert_eq!(parse("/leaveall"), Ok(Command::LeaveAll));
        assert_eq!(
            parse("/count guild"),
            Ok(Command::Count("guild".to_owned()))
        );
        assert_eq!(
            parse("/say world hello  there"),
            Ok(Command::Say {
                room: "world".to_owned(),
                text: "hello  there".to_owned()
            })
        );
        assert_eq!(
            parse("/to bob hi"),
            Ok(Command::To {
                user: "bob".to_owned(),
                text: "hi".to_owned()
            })
        );
        assert_eq!(
            parse("hello all"),
            Ok(Command::Plain("hello all".to_owned()))
        );
        assert_eq!(parse("/quit"), Ok(Command::Quit));
        assert_eq!(
            parse("/record #world"),
            Ok(Command::Record(Target::Room("world".to_owned())))
        );
        assert_eq!(
            parse("/sendwav bob /tmp/a.wav"),
            Ok(Command::SendWav {
                target: Target::User("bob".to_owned()),
                path: "/tmp/a.wav".to_owned()
            })
        );
        assert_eq!(
            parse("/download 42 out/x.wav"),
            Ok(Command::Download {
                message_id: 42,
                path: "out/x.wav".to_owned()
            })
        );
        assert_eq!(
            parse("/stop {\"k\":1}"),
            Ok(Command::Stop("{\"k\":1}".to_owned()))
        );
        assert_eq!(parse("   "), Ok(Command::Nothing));
    }

    #[test]
    fn usage_errors() {
        assert!(parse("/join").is_err());
        assert!(parse("/join a b").is_err());
        assert!(parse("/say world").is_err());
        assert!(parse("/to bob   ").is_err());
        assert!(parse("/dance").unwrap_err().contains("unknown command"));
        assert!(parse("/download x y.wav").is_err());
        assert!(parse("/record").is_err());
    }
}
