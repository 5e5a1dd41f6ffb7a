//! `yim-demo`: the scripted end-to-end demo. Starts a real server on loopback TCP, logs in
//! two SDK clients, and prints the conversation: room chat, private chat, a message to an
//! offline user delivered at its next login, an operator mute and its lifting, and a
//! kick-off. Exits non-zero if anything does not behave as YIM promises.

use std::process::ExitCode;

use yim_sdk::{ChatType, Event, ForbidReason, MessageBody, ReceivedMessage};
use yim_tests::{done, result_code, TestClient, TestServer};

fn show(to: &str, message: &ReceivedMessage) {
    let body = match &message.body {
        MessageBody::Text { content, .. } => content.clone(),
        MessageBody::Custom(bytes) => format!("<{} bytes>", bytes.len()),
        MessageBody::Voice {
            duration_ms, text, ..
        } => format!("<voice, {} ms> {text}", duration_ms),
    };
    let place = match message.chat_type {
        ChatType::Room => format!("room {}", message.receiver_id),
        _ => "private".to_owned(),
    };
    println!(
        "  {to:<6} <- [{place}] {}: {body}   (id {}, seq {})",
        message.sender_id, message.message_id, message.room_seq
    );
}

async fn say(
    from: &mut TestClient,
    name: &str,
    to: &str,
    chat_type: ChatType,
    text: &str,
) -> Result<u64, String> {
    let sent = from.send_text(to, chat_type, text).await;
    println!("  {name:<6} -> {to}: {text:?}  => {:?}", result_code(&sent));
    sent.map(|receipt| receipt.message_id)
        .map_err(|e| format!("{name}'s send failed: {e}"))
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("demo check failed: {what}"))
    }
}

async fn demo() -> Result<(), String> {
    let server = TestServer::start().await;
    println!("yim-server listening on {}", server.addr);
    let (mut alice, mut bob) = (server.client(), server.client());
    alice.login_ok("alice").await;
    bob.login_ok("bob").await;
    println!("alice and bob logged in (first login registers them)");
    alice.join_ok("world").await;
    bob.join_ok("world").await;
    println!("both joined room 'world'\n\n-- room chat");
    let id = say(
        &mut alice,
        "alice",
        "world",
        ChatType::Room,
        "anyone up for a raid?",
    )
    .await?;
    let got = bob.next_message().await;
    show("bob", &got);
    check(got.message_id == id, "bob got alice's room message")?;
    say(&mut bob, "bob", "world", ChatType::Room, "on my way").await?;
    show("alice", &alice.next_message().await);

    println!("\n-- private chat");
    say(&mut bob, "bob", "alice", ChatType::Private, "bring potions").await?;
    show("alice", &alice.next_message().await);

    println!("\n-- store and forward: bob logs out, alice writes, bob logs back in");
    let logout = bob.client.logout().map_err(|e| e.to_string())?;
    done(Ok(logout)).await.map_err(|e| e.to_string())?;
    println!("  bob logged out");
    say(
        &mut alice,
        "alice",
        "bob",
        ChatType::Private,
        "see you tomorrow",
    )
    .await?;
    let mut bob = server.client();
    bob.login_ok("bob").await;
    println!("  bob logged in again");
    show("bob", &bob.next_message().await);
    bob.join_ok("world").await;

    println!("\n-- an operator mutes alice in 'world' for 60 s (reason 2, insult)");
    let end_time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs()
        + 60;
    let mut admin = server.admin().await;
    admin
        .mute_user("world", "alice", 2, end_time)
        .await
        .map_err(|e| e.to_string())?;
    let refused = alice
        .send_text("world", ChatType::Room, "you are all noobs")
        .await
        .err();
    let forbid = refused.as_ref().and_then(|e| e.forbid().copied());
    println!(
        "  alice  -> world: {:?} {forbid:?}",
        refused.as_ref().map(|e| e.code())
    );
    check(
        forbid.is_some_and(|f| f.reason == ForbidReason::Insult),
        "mute refuses the send",
    )?;
    say(
        &mut alice,
        "alice",
        "bob",
        ChatType::Private,
        "sorry (private chat still works)",
    )
    .await?;
    show("bob", &bob.next_message().await);
    admin
        .unmute("world", "alice")
        .await
        .map_err(|e| e.to_string())?;
    println!("  operator lifts the mute");
    say(&mut alice, "alice", "world", ChatType::Room, "gg everyone").await?;
    show("bob", &bob.next_message().await);

    println!("\n-- bob logs in on a second device");
    let mut tablet = server.client();
    tablet.login_ok("bob").await;
    bob.wait_for("kick-off", |e| matches!(e, Event::KickOff).then_some(()))
        .await;
    println!("  bob's first device: kicked off");

    server.stop().await;
    println!("\ndemo finished: every step behaved as expected");
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match demo().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
