//! What runs inside the simulated hosts: the game apps on the client hosts (each an SDK client
//! executing its scheduled operations, recording every call and event), and the operator on
//! the admin host. In the liveness phase each app that wants to be online logs in again, as
//! YIM tells games to do after an unsolicited logout.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing::Instrument;
use yim_sdk::{Call, ChatType, Client, ClientConfig, ErrorCode, Recognize, ServerZone, State};
use yim_server::admin::{AdminClient, AdminError};

use crate::client_disk::ClientDisk;
use crate::close_order::CloseOrder;
use crate::env::{host_now_ms, sim_ms, SimClock, SimNetwork, Skew};
use crate::hearing::Hearing;
use crate::history::{self, AdminOutcome, AppId, Entry, History, MuteRecord};
use crate::link::Links;
use crate::scenario::{Op, Scenario, TokenKind};

/// The app key every simulated app logs in with.
pub const APP_KEY: &str = "sim_app";
/// The app key's secret, shared with the simulated server.
pub const APP_SECRET: &str = "sim_secret";
/// The server's address inside the simulation.
pub const SERVER_ADDR: &str = "server:5000";
/// How often an app that wants to be online checks its session in the liveness phase.
const RELOGIN_INTERVAL_MS: u64 = 1000;
/// An operator request with no answer within this long has an unknown outcome.
const ADMIN_TIMEOUT_MS: u64 = 5000;
/// The local history's bound per conversation in the simulation: small, so that trimming
/// happens in most runs.
pub const HISTORY_MAX_PER_CONVERSATION: usize = 8;
/// How long after a join the game asks for the room's history from the server.
const ROOM_HISTORY_DELAY_MS: u64 = 1500;

/// One client slot: its current app and what the player wants.
#[derive(Debug, Default)]
pub struct Slot {
    /// How many times the client's app has started (0 before the first): the current app's
    /// `AppId::incarnation`.
    pub incarnation: u32,
    /// The running app's SDK client; `None` while the app is down.
    pub client: Option<Client>,
    /// The player's latest login was accepted and has not failed, and the player has not
    /// logged out or been kicked off since.
    pub wants_online: bool,
    /// Request IDs of the current app's logins, to spot their completions.
    pub login_requests: std::collections::BTreeSet<u64>,
    /// The rooms the player is in (joined and not left), re-joined after a new login.
    pub desired_rooms: std::collections::BTreeSet<String>,
    /// What the client's microphone says next.
    pub spoken: Spoken,
    /// An account switch (`Op::SwitchAccount`) is under way: the game's own loop leaves the
    /// session alone.
    pub switching: bool,
}

/// State shared by the hosts and the runner (one thread; the mutex is never held across an
/// await).
#[derive(Debug)]
pub struct World {
    /// The scenario being run.
    pub scenario: Arc<Scenario>,
    /// The history recorded so far.
    pub history: History,
    /// Each client's slot, by client index.
    pub slots: Vec<Slot>,
    /// For each user, the client that most recently logged in as them (the device the player
    /// is using).
    pub active_device: std::collections::BTreeMap<String, usize>,
    /// How many times the server has started (the first start makes it 1).
    pub server_incarnation: u64,
    /// The partition model of every client host.
    pub links: Links,
    /// The order in which a crashing host's connections close.
    pub close_order: CloseOrder,
    /// Where apps save downloaded voice audio during this run (never recorded in the history).
    pub download_dir: std::path::PathBuf,
    /// Each client's disk (its SDK's local history), which outlives its apps.
    pub client_disks: Vec<ClientDisk>,
    /// The ID of the latest voice message delivered to any app (what `Op::Eavesdrop` asks for).
    pub last_voice_message: Option<u64>,
    /// What the apps hear in the voice audio they download (see [`crate::hearing`]).
    pub hearing: Hearing,
    /// What a simulated game waited for and never got although the SDK owed it (a logout
    /// that never completed), with the simulated time it gave up: each becomes a
    /// `simulation` violation of the run. Never in the history.
    pub harness_failures: Vec<(u64, String)>,
}

/// The world, as the hosts and the runner share it.
pub type Shared = Arc<Mutex<World>>;

/// A fresh directory for one run's downloads (runs may go in parallel in one process).
fn run_dir() -> std::path::PathBuf {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::env::temp_dir().join(format!("yim-sim-{}-{run}", std::process::id()))
}

/// The text the client's synthetic microphone says next, set just before each recording.
pub type Spoken = Arc<Mutex<String>>;

/// The simulated audio of a client: a microphone saying `spoken` in tone code (16 kHz mono
/// for even clients, 48 kHz stereo for odd ones, so both pipelines run), a memory speaker,
/// the tone-code recognizer, no local WAV, and inline capture (no threads, deterministic).
fn sim_audio(client: usize, spoken: Spoken) -> yim_sdk::AudioSetup {
    use yim_sdk::yim_audio::{
        AudioFormat, AudioInput, AudioOutput, InputError, MemoryOutput, Recognizer, Signal,
        SynthInput, ToneRecognizer,
    };
    let format = if client.is_multiple_of(2) {
        AudioFormat::SPEECH
    } else {
        AudioFormat {
            sample_rate: 48_000,
            channels: 2,
        }
    };
    yim_sdk::AudioSetup {
        input: Arc::new(move || {
            let text = spoken
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone();
            SynthInput::natural(&Signal::speech(&text), format, 1_000)
                .map(|input| Box::new(input) as Box<dyn AudioInput>)
                .map_err(|e| InputError::StreamFailed(e.to_string()))
        }),
        output: Arc::new(|| Ok(Box::new(MemoryOutput::new(0)) as Box<dyn AudioOutput>)),
        recognizer: Some(Arc::new(|| {
            Box::new(ToneRecognizer::new()) as Box<dyn Recognizer>
        })),
        cache_dir: None,
        work: yim_sdk::AudioWork::Inline,
    }
}

/// What a voice op says: its content in the tone code's alphabet.
pub fn spoken_text(client: usize, index: usize) -> String {
    format!("c{client} m{index}")
}

/// Locks the world (a poisoned lock is taken as it is).
pub fn lock(shared: &Shared) -> MutexGuard<'_, World> {
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl World {
    /// A world before the run: no history, every app down.
    pub fn new(scenario: Arc<Scenario>) -> World {
        crate::logging::forget_tasks();
        let scenario_hosts = scenario.client_hosts;
        let slots = scenario.clients.iter().map(|_| Slot::default()).collect();
        let client_disks = scenario.clients.iter().map(|_| ClientDisk::new()).collect();
        World {
            scenario,
            history: History::default(),
            slots,
            active_device: Default::default(),
            server_incarnation: 0,
            links: Links::new(scenario_hosts),
            close_order: CloseOrder::default(),
            download_dir: run_dir(),
            client_disks,
            last_voice_message: None,
            hearing: Hearing::default(),
            harness_failures: Vec::new(),
        }
    }

    /// The clients on client host `host`.
    pub fn clients_of_host(&self, host: usize) -> Vec<usize> {
        (0..self.scenario.clients.len())
            .filter(|&c| self.scenario.clients[c].host == host)
            .collect()
    }

    /// Records `entry` at the current simulated time.
    pub fn record(&mut self, entry: Entry) {
        self.history.push(sim_ms(), entry);
    }

    /// Whether this client should be logged in (it wants to be, and it is the user's device).
    pub fn should_be_online(&self, client: usize) -> bool {
        let user = &self.scenario.clients[client].user;
        self.slots[client].wants_online && self.active_device.get(user) == Some(&client)
    }

    /// Marks the client's current app as stopped (crash or restart) at `at_ms`.
    pub fn stop_app(&mut self, client: usize, at_ms: u64) {
        let slot = &mut self.slots[client];
        // An account switch under way dies with its app.
        slot.switching = false;
        if let Some(app) = slot.client.take() {
            app.shutdown();
            let app = AppId {
                client,
                incarnation: slot.incarnation,
            };
            self.history.push(at_ms, Entry::AppStop { app });
        }
    }
}

/// A client host: starts the apps of its clients and runs them until the host crashes.
pub async fn client_host(shared: Shared, host: usize, skew: Skew) -> turmoil::Result {
    let _closer = lock(&shared).close_order.closer();
    let clients: Vec<usize> = {
        let world = lock(&shared);
        (0..world.scenario.clients.len())
            .filter(|&c| world.scenario.clients[c].host == host)
            .collect()
    };
    for client in clients {
        let span = {
            let world = lock(&shared);
            crate::logging::client_span(client, &world.scenario.clients[client].user)
        };
        tokio::spawn(run_app(shared.clone(), client, skew.clone()).instrument(span.clone()));
        tokio::spawn(keep_online(shared.clone(), client).instrument(span));
    }
    std::future::pending::<()>().await;
    Ok(())
}

/// The SDK's clock in one app: its host's clock, noting which tasks read it so that the log
/// lines of the SDK's own tasks name the client (see [`crate::logging`]).
#[derive(Debug)]
struct AppClock {
    clock: SimClock,
    /// `c3 u3`
    name: Arc<str>,
}

impl yim_sdk::Clock for AppClock {
    fn monotonic_ms(&self) -> u64 {
        crate::logging::note_task(&self.name);
        yim_sdk::Clock::monotonic_ms(&self.clock)
    }

    fn sleep_until(&self, deadline_ms: u64) -> yim_sdk::BoxFuture<'_, ()> {
        crate::logging::note_task(&self.name);
        yim_sdk::Clock::sleep_until(&self.clock, deadline_ms)
    }
}

/// Starts a new app for `client`, recording the start; returns its ID and SDK client.
fn start_app(shared: &Shared, client: usize, skew: &Skew) -> (AppId, Client) {
    let mut world = lock(shared);
    world.stop_app(client, sim_ms());
    let config = ClientConfig {
        reconnect_budget_ms: world.scenario.reconnect_budget_ms,
        history_max_per_conversation: HISTORY_MAX_PER_CONVERSATION,
        ..ClientConfig::with_server(SERVER_ADDR)
    };
    // Each app run draws its own jitter and idempotency keys, a function of the seed.
    let rng_seed = world
        .scenario
        .seed
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(((client as u64) << 20) | u64::from(world.slots[client].incarnation));
    let spoken = world.slots[client].spoken.clone();
    let next = AppId {
        client,
        incarnation: world.slots[client].incarnation + 1,
    };
    let name = format!(
        "{} {}",
        crate::lines::app_name(next),
        world.scenario.clients[client].user
    );
    let sdk = Client::builder()
        .config(config)
        .rng_seed(rng_seed)
        .audio(sim_audio(client, spoken))
        .history_disk(Arc::new(world.client_disks[client].clone()))
        .clock(Arc::new(AppClock {
            clock: SimClock::new(skew.clone()),
            name: name.into(),
        }))
        .network(Arc::new(SimNetwork {
            links: world.links.clone(),
            close_order: world.close_order.clone(),
            host: world.scenario.clients[client].host,
        }))
        .build();
    // The app key and secret are valid, so init cannot fail.
    let _ = sdk.init(APP_KEY, APP_SECRET, ServerZone::China);
    let slot = &mut world.slots[client];
    slot.incarnation += 1;
    slot.client = Some(sdk.clone());
    slot.login_requests.clear();
    let app = AppId {
        client,
        incarnation: slot.incarnation,
    };
    world.record(Entry::AppStart { app });
    tokio::spawn(pump_events(shared.clone(), app, sdk.clone()).in_current_span());
    (app, sdk)
}

/// A voice op of the scenario.
#[derive(Debug, Clone, Copy)]
struct VoiceOp {
    index: usize,
    room: usize,
    to: Option<usize>,
    cancel: bool,
}

/// Records a voice message for the natural length of its speech, then sends or cancels it.
async fn send_voice(shared: Shared, app: AppId, sdk: Client, op: VoiceOp) {
    let Some(recording) = start_recording(&shared, app, &sdk, op.index, op.room, op.to) else {
        return;
    };
    tokio::time::sleep(Duration::from_millis(recording.speech_ms + 100)).await;
    if op.cancel {
        if sdk.cancel_audio_message().is_ok() {
            lock(&shared).record(Entry::VoiceCancelled {
                app,
                request_id: recording.request_id,
            });
        }
    } else if sdk
        .stop_and_send_audio_message(&recording.extra_param)
        .is_ok()
    {
        lock(&shared).record(Entry::VoiceStopped {
            app,
            request_id: recording.request_id,
        });
    }
}

/// A recording started by [`start_recording`].
struct Started {
    request_id: u64,
    extra_param: String,
    /// How long its speech takes.
    speech_ms: u64,
}

/// Starts recording the speech of op `index` to the room, or to the user of client `to`, and
/// records the call.
fn start_recording(
    shared: &Shared,
    app: AppId,
    sdk: &Client,
    index: usize,
    room: usize,
    to: Option<usize>,
) -> Option<Started> {
    let (receiver, room, text) = {
        let world = lock(shared);
        let scenario = &world.scenario;
        let text = spoken_text(app.client, index);
        *world.slots[app.client]
            .spoken
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = text.clone();
        match to {
            Some(to) => (scenario.clients[to].user.clone(), false, text),
            None => (scenario.rooms[room].clone(), true, text),
        }
    };
    let extra_param = format!("v{}_{}", app.client, index);
    let chat_type = if room {
        ChatType::Room
    } else {
        ChatType::Private
    };
    let result = sdk
        .start_record_audio_message(&receiver, chat_type, Recognize::AlongWithSend)
        .map(|request| request.request_id())
        .map_err(|e| e.code());
    let record = history::CallRecord::RecordVoice {
        receiver,
        room,
        body: history::BodyRecord::Voice {
            text: text.clone(),
            extra_param: extra_param.clone(),
        },
    };
    lock(shared).record(history::invoke_entry(app, record, result));
    let request_id = result.ok()?.get();
    let speech_ms = yim_sdk::yim_audio::Signal::speech(&text)
        .natural_ms()
        .unwrap_or(1_000);
    Some(Started {
        request_id,
        extra_param,
        speech_ms,
    })
}

/// How long an account switch waits for each logout and login.
const SWITCH_STEP_TIMEOUT_MS: u64 = 10_000;
/// How many times an account switch then looks for its logout's completion, once a tick
/// (a 1 ms sleep lasts one 2 ms turmoil tick): 20 s of simulated time.
const LOGOUT_COMPLETION_POLLS: u64 = 10_000;

/// Waits until the app's SDK is in `state`, checking every 50 ms; false if the step's time
/// ran out first.
async fn wait_for_state(sdk: &Client, state: State) -> bool {
    for _ in 0..SWITCH_STEP_TIMEOUT_MS / 50 {
        if sdk.state() == state {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits until the SDK is logged out and the logout's completion (if it was accepted) is in
/// the history, as a game that logs in again once its logout callback came: a logout while
/// reconnecting completes at once, its event taken by the app's event loop a moment later.
/// An accepted logout whose completion has not come after [`LOGOUT_COMPLETION_POLLS`] is
/// recorded as a harness failure (a `simulation` violation), not passed over.
async fn wait_for_logout(shared: &Shared, app: AppId, sdk: &Client, logout: Option<u64>) {
    let logged_out = wait_for_state(sdk, State::LoggedOut).await;
    let Some(request_id) = logout else { return };
    let completed = || {
        lock(shared).history.records.iter().rev().any(|r| {
            matches!(&r.entry, Entry::Complete { app: a, request_id: id, .. }
                if *a == app && *id == request_id)
        })
    };
    for _ in 0..LOGOUT_COMPLETION_POLLS {
        if completed() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let state = if logged_out {
        "logged out"
    } else {
        "not logged out either"
    };
    give_up(shared, app, request_id, state);
}

/// Records that an account switch of `app` stopped waiting for its logout `request_id`'s
/// completion, the SDK being in `state`.
fn give_up(shared: &Shared, app: AppId, request_id: u64, state: &str) {
    let detail = format!(
        "client {} (app {}): an account switch looked {LOGOUT_COMPLETION_POLLS} times for \
         the completion of its logout (request {request_id}) and gave up, the SDK {state}",
        app.client, app.incarnation
    );
    lock(shared).harness_failures.push((sim_ms(), detail));
}

/// `Op::SwitchAccount` (see its doc). The stop is made whatever came of the logout and the
/// login; if it is accepted it is recorded as `VoiceStopped`, so a voice message it sends is
/// judged (as the player's recording, by `no_phantom`: sent by another account, it is
/// altered addressing).
async fn switch_account(shared: &Shared, app: AppId, sdk: &Client, index: usize, to: usize) {
    let (player, password) = {
        let mut world = lock(shared);
        world.slots[app.client].switching = true;
        let spec = &world.scenario.clients[app.client];
        (spec.user.clone(), spec.password.clone())
    };
    let recording = start_recording(shared, app, sdk, index, 0, Some(to));
    if let Some(recording) = &recording {
        tokio::time::sleep(Duration::from_millis(recording.speech_ms / 2 + 100)).await;
    }
    let login = |user: String| Call::Login {
        user_id: user,
        password: password.clone(),
        token: String::new(),
    };
    lock(shared).slots[app.client].wants_online = false;
    let logout = invoke(shared, app, sdk, Call::Logout);
    wait_for_logout(shared, app, sdk, logout).await;
    invoke(shared, app, sdk, login(format!("{player}_alt")));
    // The login may fail under faults: the switch goes on either way.
    let _logged_in = wait_for_state(sdk, State::LoggedIn).await;
    if let Some(recording) = recording {
        if sdk
            .stop_and_send_audio_message(&recording.extra_param)
            .is_ok()
        {
            lock(shared).record(Entry::VoiceStopped {
                app,
                request_id: recording.request_id,
            });
        }
    }
    // Long enough for a voice message sent as the second account to go out.
    tokio::time::sleep(Duration::from_millis(500)).await;
    lock(shared).slots[app.client].wants_online = false;
    let logout = invoke(shared, app, sdk, Call::Logout);
    wait_for_logout(shared, app, sdk, logout).await;
    lock(shared).slots[app.client].switching = false;
    invoke(shared, app, sdk, login(player));
}

/// `Op::Eavesdrop`: a download of the latest voice message delivered to anyone.
fn eavesdrop(shared: &Shared, app: AppId, sdk: &Client) {
    let mut world = lock(shared);
    let Some(message_id) = world.last_voice_message else {
        return;
    };
    let path = download_path(&world, app, message_id);
    let result = sdk
        .download_audio(message_id, &path)
        .map(|request| request.request_id())
        .map_err(|e| e.code());
    let call = history::CallRecord::DownloadAudio { message_id };
    world.record(history::invoke_entry(app, call, result));
}

/// Receivers fetch every voice message they get; this is where the audio is saved.
fn download_path(world: &World, app: AppId, message_id: u64) -> std::path::PathBuf {
    world.download_dir.join(format!(
        "c{}_{}_{message_id}.wav",
        app.client, app.incarnation
    ))
}

/// Records every event the app's SDK delivers.
async fn pump_events(shared: Shared, app: AppId, sdk: Client) {
    while let Some(event) = sdk.next_event().await {
        let mut world = lock(&shared);
        if world.client_disks[app.client].struck() {
            // The host crashed at a store write: the app is dead (the runner ends the host).
            continue;
        }
        match &event {
            yim_sdk::Event::RecvMessage(message)
                if matches!(message.body, yim_sdk::MessageBody::Voice { .. }) =>
            {
                world.last_voice_message = Some(message.message_id);
                let path = download_path(&world, app, message.message_id);
                let result = sdk
                    .download_audio(message.message_id, &path)
                    .map(|request| request.request_id())
                    .map_err(|e| e.code());
                if let Some(entry) = history::event_entry(app, &event) {
                    world.record(entry);
                }
                let call = history::CallRecord::DownloadAudio {
                    message_id: message.message_id,
                };
                world.record(history::invoke_entry(app, call, result));
                continue;
            }
            yim_sdk::Event::DownloadAudio {
                request_id,
                code,
                message_id,
                save_path,
            } => {
                let (heard, heard_ms) = if *code == ErrorCode::Success {
                    world.hearing.hear(save_path)
                } else {
                    (None, None)
                };
                world.record(Entry::Downloaded {
                    app,
                    request_id: request_id.get(),
                    message_id: *message_id,
                    code: *code,
                    heard,
                    heard_ms,
                });
            }
            _ => {}
        }
        let slot = &mut world.slots[app.client];
        match &event {
            yim_sdk::Event::KickOff => slot.wants_online = false,
            yim_sdk::Event::Login {
                request_id, code, ..
            } if slot.login_requests.remove(&request_id.get()) && refuses_the_player(*code) => {
                // The player's credentials were refused (e.g. a wrong password): it gives up.
                // Other failures (network, server) are retried in the liveness phase.
                slot.wants_online = false;
            }
            _ => {}
        }
        if let Some(entry) = history::event_entry(app, &event) {
            world.record(entry);
        }
        if let yim_sdk::Event::RoomHistoryFromServer {
            request_id,
            room_id,
            messages,
            ..
        } = &event
        {
            world.record(Entry::RoomHistory {
                app,
                request_id: request_id.get(),
                room: room_id.clone(),
                messages: messages.iter().map(history::message_record).collect(),
            });
        }
    }
}

/// Login failures that no retry can fix.
fn refuses_the_player(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UsernamePasswordError
            | ErrorCode::ParamInvalid
            | ErrorCode::LoginTokenInvalid
            | ErrorCode::InvalidAppkey
            | ErrorCode::SDKInvalid
    )
}

async fn sleep_until_sim_ms(at_ms: u64) {
    let wait_ms = at_ms.saturating_sub(sim_ms());
    if wait_ms > 0 {
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    }
}

/// One app: its scheduled operations, then re-login attempts in the liveness phase.
async fn run_app(shared: Shared, client: usize, skew: Skew) {
    let (mut app, mut sdk) = start_app(&shared, client, &skew);
    let scenario = lock(&shared).scenario.clone();
    let start_ms = sim_ms();
    for (index, timed) in scenario.ops.iter().enumerate() {
        if timed.op.client() != Some(client) || timed.at_ms < start_ms {
            continue;
        }
        sleep_until_sim_ms(timed.at_ms).await;
        if let Op::AppRestart { .. } = timed.op {
            (app, sdk) = start_app(&shared, client, &skew);
            continue;
        }
        if let Op::Eavesdrop { .. } = timed.op {
            eavesdrop(&shared, app, &sdk);
            continue;
        }
        if let Op::SwitchAccount { to, .. } = timed.op {
            switch_account(&shared, app, &sdk, index, to).await;
            continue;
        }
        if let Op::SendVoice {
            room, to, cancel, ..
        } = timed.op
        {
            let voice = VoiceOp {
                index,
                room,
                to,
                cancel,
            };
            tokio::spawn(send_voice(shared.clone(), app, sdk.clone(), voice).in_current_span());
            continue;
        }
        if let Some(call) = call_for(&shared, &scenario, index, &timed.op) {
            let token = match timed.op {
                Op::LoginToken { token, .. } => Some(token),
                _ => None,
            };
            invoke_with_token(&shared, app, &sdk, call, token);
        }
        if let Op::Join { room, .. } = timed.op {
            let room_id = scenario.rooms[room].clone();
            tokio::spawn(
                open_room_window(shared.clone(), app, sdk.clone(), room_id, room, index)
                    .in_current_span(),
            );
        }
    }
}

/// What the game does when the player opens a room's window after joining it: rooms of even
/// index keep their messages in the local history (the switch is on from then on, on the
/// client's disk), and a moment later it asks the server for what was said before (a count
/// and an order drawn from the op's index).
async fn open_room_window(
    shared: Shared,
    app: AppId,
    sdk: Client,
    room_id: String,
    room: usize,
    index: usize,
) {
    if room.is_multiple_of(2) {
        let call = Call::SetRoomHistoryMessageSwitch {
            room_ids: vec![room_id.clone()],
            save: true,
        };
        invoke(&shared, app, &sdk, call);
    }
    tokio::time::sleep(Duration::from_millis(ROOM_HISTORY_DELAY_MS)).await;
    let order = if index.is_multiple_of(2) {
        yim_sdk::TimeOrder::Ascending
    } else {
        yim_sdk::TimeOrder::Descending
    };
    let call = Call::QueryRoomHistoryMessageFromServer {
        room_id,
        count: 1 + (index % 12) as u32,
        order,
    };
    invoke(&shared, app, &sdk, call);
}

/// The game's own loop beside the player's actions, as YIM tells games to run one: when the
/// session is lost and the player still wants to be online, log in again; once logged in,
/// join the rooms the player is in.
async fn keep_online(shared: Shared, client: usize) {
    let spec = lock(&shared).scenario.clients[client].clone();
    // Rooms asked for in the current session (a failed join is not retried in it).
    let mut requested = std::collections::BTreeSet::new();
    loop {
        tokio::time::sleep(Duration::from_millis(RELOGIN_INTERVAL_MS)).await;
        let (app, sdk, should, desired) = {
            let world = lock(&shared);
            let slot = &world.slots[client];
            let Some(sdk) = slot.client.clone().filter(|_| !slot.switching) else {
                continue;
            };
            let app = AppId {
                client,
                incarnation: slot.incarnation,
            };
            (
                app,
                sdk,
                world.should_be_online(client),
                slot.desired_rooms.clone(),
            )
        };
        match sdk.state() {
            State::LoggedOut if should => {
                let call = Call::Login {
                    user_id: spec.user.clone(),
                    password: spec.password.clone(),
                    token: String::new(),
                };
                invoke(&shared, app, &sdk, call);
            }
            State::LoggedIn => {
                let joined = sdk.joined_rooms();
                for room in desired.difference(&joined) {
                    if requested.insert(room.clone()) {
                        invoke(
                            &shared,
                            app,
                            &sdk,
                            Call::JoinChatRoom {
                                room_id: room.clone(),
                            },
                        );
                    }
                }
                continue;
            }
            _ => {}
        }
        requested.clear();
    }
}

/// Calls the SDK and records the call with its immediate result. An accepted login is the
/// player's intent to be online on this device.
fn invoke(shared: &Shared, app: AppId, sdk: &Client, call: Call) -> Option<u64> {
    invoke_with_token(shared, app, sdk, call, None)
}

/// [`invoke`], recording the kind of login token a login carries.
fn invoke_with_token(
    shared: &Shared,
    app: AppId,
    sdk: &Client,
    call: Call,
    token: Option<TokenKind>,
) -> Option<u64> {
    let mut record = history::call_record(&call)?;
    if let history::CallRecord::Login {
        token: recorded, ..
    } = &mut record
    {
        *recorded = token;
    }
    let login_user = match &call {
        Call::Login { user_id, .. } => Some(user_id.clone()),
        _ => None,
    };
    let result = sdk.call(call).map_err(|e| e.code());
    let mut world = lock(shared);
    if let (Ok(id), Some(user)) = (result, login_user) {
        let slot = &mut world.slots[app.client];
        slot.wants_online = true;
        slot.login_requests.insert(id.get());
        world.active_device.insert(user, app.client);
    }
    world.record(history::invoke_entry(app, record, result));
    result.ok().map(|id| id.get())
}

/// The SDK call an op makes, updating what the player wants.
fn call_for(shared: &Shared, scenario: &Scenario, index: usize, op: &Op) -> Option<Call> {
    let room = |r: usize| scenario.rooms[r].clone();
    let content = |client: usize| format!("c{client}_m{index}");
    let login = |user: String, password: String| Call::Login {
        user_id: user,
        password,
        token: String::new(),
    };
    Some(match *op {
        Op::Login { client } => {
            let spec = &scenario.clients[client];
            login(spec.user.clone(), spec.password.clone())
        }
        Op::LoginWrongPassword { client } => {
            let spec = &scenario.clients[client];
            login(spec.user.clone(), format!("{}_wrong", spec.password))
        }
        Op::LoginInvalidName { .. } => login("no such name!".into(), "pw".into()),
        Op::LoginToken { client, token } => {
            let spec = &scenario.clients[client];
            Call::Login {
                user_id: spec.user.clone(),
                password: spec.password.clone(),
                token: login_token(scenario, client, token),
            }
        }
        Op::Join { client, room: r } => {
            lock(shared).slots[client].desired_rooms.insert(room(r));
            Call::JoinChatRoom { room_id: room(r) }
        }
        Op::Leave { client, room: r } => {
            lock(shared).slots[client].desired_rooms.remove(&room(r));
            Call::LeaveChatRoom { room_id: room(r) }
        }
        Op::LeaveAll { client } => {
            lock(shared).slots[client].desired_rooms.clear();
            Call::LeaveAllChatRooms
        }
        Op::CountMembers { room: r, .. } => Call::GetRoomMemberCount { room_id: room(r) },
        Op::SendRoom {
            client,
            room: r,
            custom,
        } => send(room(r), ChatType::Room, content(client), custom),
        Op::SendPrivate { client, to, custom } => {
            let receiver = scenario.clients[to].user.clone();
            send(receiver, ChatType::Private, content(client), custom)
        }
        Op::Logout { client } => {
            lock(shared).slots[client].wants_online = false;
            Call::Logout
        }
        Op::Mute { .. }
        | Op::Unmute { .. }
        | Op::AppRestart { .. }
        | Op::SendVoice { .. }
        | Op::SwitchAccount { .. }
        | Op::Eavesdrop { .. } => return None,
    })
}

/// A login token of `kind` for the user of `client`, as the game's backend would issue it
/// (valid for a day), or broken as `kind` says. Expiry is judged by the server's clock, which
/// clock skew moves by at most 5 minutes: an hour is far enough either way.
fn login_token(scenario: &Scenario, client: usize, kind: TokenKind) -> String {
    let now_secs = host_now_ms(&Skew::default()) / 1000;
    let user = &scenario.clients[client].user;
    let make = |user: &str, expiry_secs: u64| {
        yim_proto::auth::make_login_token(APP_SECRET, user, expiry_secs)
    };
    match kind {
        TokenKind::Valid => make(user, now_secs + 86_400),
        TokenKind::Expired => make(user, now_secs.saturating_sub(3_600)),
        TokenKind::Forged => {
            // The expiry pushed on by a day under the old MAC.
            let expiry_secs = now_secs + 86_400;
            let token = make(user, expiry_secs);
            token.replacen(
                &expiry_secs.to_string(),
                &(expiry_secs + 86_400).to_string(),
                1,
            )
        }
        TokenKind::OtherUser => make(&format!("{user}_other"), now_secs + 86_400),
    }
}

fn send(receiver_id: String, chat_type: ChatType, content: String, custom: bool) -> Call {
    if custom {
        let mut bytes = vec![0u8, 0xff];
        bytes.extend_from_slice(content.as_bytes());
        Call::SendCustom {
            receiver_id,
            chat_type,
            content: bytes,
        }
    } else {
        let attach = format!("attach_{content}");
        Call::SendText {
            receiver_id,
            chat_type,
            text: content,
            attach,
        }
    }
}

/// The admin host: runs the scheduled mutes and unmutes, each over a fresh connection.
pub async fn admin_host(shared: Shared) -> turmoil::Result {
    let scenario = lock(&shared).scenario.clone();
    let start_ms = sim_ms();
    for timed in &scenario.ops {
        let (room, user, mute) = match timed.op {
            Op::Mute {
                room,
                user,
                reason,
                duration_ms,
            } => (room, user, Some((reason, duration_ms))),
            Op::Unmute { room, user } => (room, user, None),
            _ => continue,
        };
        if timed.at_ms < start_ms {
            continue;
        }
        sleep_until_sim_ms(timed.at_ms).await;
        // The operator's clock is never skewed.
        let now_ms = host_now_ms(&Skew::default());
        let mute = mute.map(|(reason, duration_ms)| MuteRecord {
            reason,
            end_time: (now_ms + duration_ms) / 1000,
        });
        let room_id = scenario.rooms[room].clone();
        let user_id = user
            .map(|u| scenario.clients[u].user.clone())
            .unwrap_or_default();
        let invoked_ms = sim_ms();
        let request = operator_request(&room_id, &user_id, mute);
        let outcome =
            match tokio::time::timeout(Duration::from_millis(ADMIN_TIMEOUT_MS), request).await {
                Ok(outcome) => outcome,
                Err(_) => AdminOutcome::Unknown,
            };
        lock(&shared).record(Entry::Admin {
            room: room_id,
            user: user_id,
            mute,
            outcome,
            invoked_ms,
        });
    }
    std::future::pending::<()>().await;
    Ok(())
}

async fn operator_request(room_id: &str, user_id: &str, mute: Option<MuteRecord>) -> AdminOutcome {
    let Ok(stream) = turmoil::net::TcpStream::connect(SERVER_ADDR).await else {
        return AdminOutcome::NotApplied;
    };
    let Ok(mut admin) = AdminClient::login(Box::new(stream), APP_KEY, APP_SECRET).await else {
        return AdminOutcome::NotApplied;
    };
    let result = match mute {
        Some(mute) => {
            admin
                .mute_user(room_id, user_id, mute.reason, mute.end_time)
                .await
        }
        None => admin.unmute(room_id, user_id).await,
    };
    match result {
        Ok(()) => AdminOutcome::Applied,
        Err(AdminError::Refused(_)) => AdminOutcome::NotApplied,
        Err(_) => AdminOutcome::Unknown,
    }
}
