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
    Quit,
    Help,
    /// A blank line.
    Nothing,
}

pub const HELP: &str = "commands: /join ROOM, /leave ROOM, /leaveall, /count ROOM, \
/say ROOM text..., /to USER text..., /quit; plain text goes to the most recently joined room";

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
        assert_eq!(parse("   "), Ok(Command::Nothing));
    }

    #[test]
    fn usage_errors() {
        assert!(parse("/join").is_err());
        assert!(parse("/join a b").is_err());
        assert!(parse("/say world").is_err());
        assert!(parse("/to bob   ").is_err());
        assert!(parse("/dance").unwrap_err().contains("unknown command"));
    }
}
