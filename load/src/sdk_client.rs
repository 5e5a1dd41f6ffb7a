//! The SDK client: the SDK's own `Client` over real TCP, for the realistic share of a run's
//! clients (its heartbeats, acknowledgements, delivered-ID window and send bookkeeping all
//! cost what they cost in a game). It sends text messages and receives everything; voice
//! messages are sent by raw clients only, because the SDK records or encodes real audio for
//! them.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;
use yim_sdk::{ChatType, Client, ClientConfig, Event, MessageBody, RequestId, ServerZone};

use crate::client::{
    ClientHandle, ClientPlan, SendCommand, SetupError, Target, APP_KEY, APP_SECRET, COMMAND_QUEUE,
    PASSWORD,
};
use crate::clock::now_ns;
use crate::payload::{read_stamp, stamp_text};
use crate::raw::SETUP_TIMEOUT_SECS;
use crate::stats::Kind;

/// Connects, logs in and joins with the SDK, then starts the client's task.
pub async fn start(addr: &str, plan: ClientPlan, seed: u64) -> Result<ClientHandle, SetupError> {
    let client = Client::builder()
        .config(ClientConfig::with_server(addr))
        .rng_seed(seed)
        .build();
    let within = Duration::from_secs(SETUP_TIMEOUT_SECS);
    let joined = tokio::time::timeout(within, setup(&client, &plan))
        .await
        .map_err(|_| SetupError::Timeout(SETUP_TIMEOUT_SECS))??;
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let task = tokio::spawn(run(client.clone(), command_rx, plan.clone()));
    Ok(ClientHandle {
        index: plan.index,
        sdk: true,
        joined,
        commands,
        tasks: vec![task],
        sdk_client: Some(client),
    })
}

async fn setup(client: &Client, plan: &ClientPlan) -> Result<Vec<usize>, SetupError> {
    let refused = |code: yim_sdk::ErrorCode| SetupError::LoginRefused(code.as_u32());
    let call_refused = |e: yim_sdk::Error| refused(e.code());
    client
        .init(APP_KEY, APP_SECRET, ServerZone::China)
        .map_err(call_refused)?;
    let login = client
        .login(&plan.names.users[plan.index], PASSWORD, "")
        .map_err(call_refused)?;
    let code = completion_code(client, login.request_id()).await?;
    if !code.is_success() {
        plan.shared.refused(plan.index, "login", code.as_u32());
        return Err(refused(code));
    }
    let mut joined = Vec::new();
    for &room in &plan.rooms {
        let request = client
            .join_chat_room(&plan.names.rooms[room])
            .map_err(call_refused)?;
        let code = completion_code(client, request.request_id()).await?;
        if code.is_success() {
            joined.push(room);
        } else {
            plan.shared.refused(plan.index, "join", code.as_u32());
        }
    }
    Ok(joined)
}

async fn completion_code(
    client: &Client,
    request: RequestId,
) -> Result<yim_sdk::ErrorCode, SetupError> {
    loop {
        let event = client
            .next_event()
            .await
            .ok_or_else(|| SetupError::Closed("the SDK stopped".into()))?;
        if event.request_id() == Some(request) {
            return event
                .code()
                .ok_or_else(|| SetupError::Closed("a completion without a code".into()));
        }
    }
}

/// A send waiting for its status.
struct Pending {
    kind: Kind,
    stamp_ns: u64,
    room: Option<usize>,
}

async fn run(client: Client, mut commands: mpsc::Receiver<SendCommand>, plan: ClientPlan) {
    let index = plan.index;
    let shared = &plan.shared;
    let mut pending: BTreeMap<u64, Pending> = BTreeMap::new();
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { return };
                let text = stamp_text(command.stamp_ns, index, command.seq, plan.text_bytes);
                let (receiver, chat_type, room) = match command.target {
                    Target::Room(room) => (&plan.names.rooms[room], ChatType::Room, Some(room)),
                    Target::User(user) => (&plan.names.users[user], ChatType::Private, None),
                };
                match client.send_text_message(receiver, chat_type, &text, "") {
                    Ok(request) => {
                        shared.sent(index, command.kind, command.stamp_ns);
                        pending.insert(request.request_id().get(), Pending { kind: command.kind, stamp_ns: command.stamp_ns, room });
                    }
                    Err(e) => shared.refused(index, "sdk send call", e.code().as_u32()),
                }
            }
            event = client.next_event() => match event {
                None => {
                    shared.error(index, "the SDK stopped", true);
                    return;
                }
                Some(Event::RecvMessage(message)) => {
                    let arrived_ns = now_ns();
                    let stamped = match &message.body {
                        MessageBody::Text { content, .. } => read_stamp(content).map(|stamp| {
                            let private = message.chat_type == ChatType::Private;
                            (if private { Kind::Private } else { Kind::Room }, stamp)
                        }),
                        MessageBody::Voice { extra_param, .. } => {
                            read_stamp(extra_param).map(|stamp| (Kind::Voice, stamp))
                        }
                        MessageBody::Custom(_) => None,
                    };
                    if let Some(stamped) = stamped {
                        shared.delivered(index, arrived_ns, &[stamped]);
                    }
                }
                Some(Event::SendMessageStatus(status)) => {
                    if let Some(p) = pending.remove(&status.request_id.get()) {
                        let code = status.code.as_u32();
                        shared.acked(index, p.kind, p.stamp_ns, code, p.room, now_ns());
                    }
                }
                Some(Event::StartReconnect) => shared.error(index, "sdk: reconnecting", false),
                Some(Event::KickOff) => shared.error(index, "sdk: kicked off", true),
                Some(Event::Logout { .. }) => shared.error(index, "sdk: logged out", true),
                Some(_) => {}
            },
        }
    }
}
