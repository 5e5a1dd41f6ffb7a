//! Push-to-talk: hold the key, speak, release; the voice message is recorded, recognised,
//! uploaded and sent, and the receiver downloads it and plays it.
//!
//! A game gives its client the microphone and speaker with `AudioSetup::devices(cache_dir)`
//! (feature `cpal`) and a speech recogniser (PocketSphinx when installed). So that this
//! example runs anywhere, the "microphone" here is a synthetic voice saying a phrase in a tone
//! code, the recogniser reads that code, and the "speaker" is memory. The capture runs as a
//! microphone's does: on a worker thread, in real time.
//!
//! Run it against a server:
//! `cargo run -p yim-sdk --example push_to_talk -- 127.0.0.1:5000 demo_app demo_secret`.
//! The workspace's tests run it against an in-process server (`tests/tests/examples.rs`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use yim_sdk::yim_audio::{
    AudioFormat, AudioInput, AudioOutput, InputError, MemoryOutput, Recognizer, Signal, SynthInput,
    ToneRecognizer,
};
use yim_sdk::{
    AudioSetup, AudioWork, ChatType, Client, ClientConfig, Error, ErrorCode, Event, MessageBody,
    Recognize, ServerZone, VoiceOutcome,
};

/// What the player says.
const SPOKEN: &str = "push middle";

/// A synthetic microphone saying `SPOKEN`, a memory speaker, the tone-code recogniser, and
/// recordings kept in `cache_dir`.
fn audio(cache_dir: PathBuf) -> AudioSetup {
    AudioSetup {
        input: Arc::new(|| {
            SynthInput::natural(&Signal::speech(SPOKEN), AudioFormat::SPEECH, 1_000)
                .map(|input| Box::new(input) as Box<dyn AudioInput>)
                .map_err(|e| InputError::StreamFailed(e.to_string()))
        }),
        output: Arc::new(|| Ok(Box::new(MemoryOutput::new(16_384)) as Box<dyn AudioOutput>)),
        recognizer: Some(Arc::new(|| {
            Box::new(ToneRecognizer::new()) as Box<dyn Recognizer>
        })),
        cache_dir: Some(cache_dir),
        work: AudioWork::Threaded,
    }
}

async fn player(
    addr: &str,
    key: &str,
    secret: &str,
    name: &str,
    dir: PathBuf,
) -> Result<Client, Error> {
    let client = Client::builder()
        .config(ClientConfig::with_server(addr))
        .audio(audio(dir))
        .build();
    client.init(key, secret, ServerZone::China)?;
    client.login(name, "pw", "")?.await?;
    client.join_chat_room("team")?.await?;
    Ok(client)
}

/// alice talks to the team, bob hears it; returns what bob's download says, recognised.
pub async fn run(addr: &str, app_key: &str, app_secret: &str) -> Result<String, Error> {
    let dir = std::env::temp_dir().join(format!("yim-push-to-talk-{}", std::process::id()));
    let alice = player(addr, app_key, app_secret, "alice", dir.join("alice")).await?;
    let bob = player(addr, app_key, app_secret, "bob", dir.join("bob")).await?;

    // Key down: recording starts (a missing microphone would be refused here, at once).
    let recording =
        alice.start_record_audio_message("team", ChatType::Room, Recognize::AlongWithSend)?;
    let speech_ms = Signal::speech(SPOKEN).natural_ms().unwrap_or(1_000);
    tokio::time::sleep(Duration::from_millis(speech_ms + 200)).await;
    // Key up: stop and send; the recording's request gives the outcome.
    alice.stop_and_send_audio_message("{\"channel\":\"team\"}")?;
    let VoiceOutcome::Sent(sent) = recording.await? else {
        return Err(Error::Code(ErrorCode::PttFail));
    };
    println!(
        "alice sent voice message {} ({} ms, recognised {:?})",
        sent.message_id, sent.duration_ms, sent.text
    );

    // bob's side: the message arrives in the event stream; download it and play it.
    let message = loop {
        match bob.next_event().await {
            Some(Event::RecvMessage(message)) if message.message_id == sent.message_id => {
                break message
            }
            Some(_) => continue,
            None => return Err(Error::Code(ErrorCode::NetError)),
        }
    };
    if let MessageBody::Voice { text, .. } = &message.body {
        println!(
            "bob got a voice message from {} saying {text:?}",
            message.sender_id
        );
    }
    let saved = bob
        .download_audio(message.message_id, &dir.join("bob/heard.wav"))?
        .await?;
    bob.start_play_audio(&saved)?;
    while bob.is_playing() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let samples =
        yim_sdk::yim_audio::wav::read_wav_i16_speech(&saved).map_err(|e| Error::Code(e.code()))?;
    let heard = ToneRecognizer::new()
        .recognize(&samples)
        .map_err(|e| Error::Code(e.code()))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(heard)
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:5000".to_owned());
    let app_key = args.next().unwrap_or_else(|| "demo_app".to_owned());
    let app_secret = args.next().unwrap_or_else(|| "demo_secret".to_owned());
    match run(&addr, &app_key, &app_secret).await {
        Ok(heard) => {
            println!("bob's download says {heard:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("failed with {}: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}
