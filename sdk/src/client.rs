//! The application API: `Client`, a cheap-clone handle whose methods mirror YIM's calls one
//! for one, and its builder.
//!
//! What it is: synchronous calls that return at once (the request ID, or YIM's error code)
//! and one event stream for everything YIM delivers through callbacks. What it is not: where
//! the rules live (see `machine`) or where I/O happens (see `driver`).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use yim_proto::{ChatType, ErrorCode};

use crate::audio_setup::AudioSetup;
use crate::clock::{Clock, TokioClock};
use crate::config::{ClientConfig, ServerZone};
use crate::driver::{self, Shared};
use crate::machine::{Call, ClientMachine, Event, RequestId, State};
use crate::net::{Network, TcpNetwork};
use crate::voice_calls::VoiceLayer;

/// A handle on one YIM client. Clones share the client; when the last one is dropped the
/// driver stops and closes the connection.
#[derive(Clone)]
pub struct Client {
    pub(crate) shared: Arc<Shared>,
    pub(crate) voice: Arc<VoiceLayer>,
    _owner: Arc<Owner>,
}

/// Stops the driver when the last `Client` clone goes.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.request_shutdown();
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

/// `build` was called outside a tokio runtime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Client::build needs a tokio runtime to spawn its driver on")]
pub struct NoRuntime;

/// Builds a [`Client`]. Defaults: `ClientConfig::default()`, [`TokioClock`], [`TcpNetwork`].
pub struct ClientBuilder {
    config: ClientConfig,
    clock: Option<Arc<dyn Clock>>,
    network: Option<Arc<dyn Network>>,
    rng_seed: Option<u64>,
    audio: Option<AudioSetup>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("custom_clock", &self.clock.is_some())
            .field("custom_network", &self.network.is_some())
            .finish()
    }
}

impl ClientBuilder {
    pub fn config(mut self, config: ClientConfig) -> ClientBuilder {
        self.config = config;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ClientBuilder {
        self.clock = Some(clock);
        self
    }

    pub fn network(mut self, network: Arc<dyn Network>) -> ClientBuilder {
        self.network = Some(network);
        self
    }

    /// Where voice messages' audio comes from and goes; default: [`AudioSetup::unavailable`].
    pub fn audio(mut self, setup: AudioSetup) -> ClientBuilder {
        self.audio = Some(setup);
        self
    }

    /// Seeds the client's random numbers (reconnect jitter, send idempotency keys); see
    /// [`ClientMachine::with_seed`]. Simulations set it; by default each client draws a
    /// fresh seed from the OS-seeded hasher keys of the standard library, so two devices of
    /// one user never share idempotency keys.
    pub fn rng_seed(mut self, seed: u64) -> ClientBuilder {
        self.rng_seed = Some(seed);
        self
    }

    /// Spawns the driver on the current tokio runtime and returns the first handle.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, like `tokio::spawn`. Use [`ClientBuilder::try_build`] to get
    /// an error instead.
    pub fn build(self) -> Client {
        match self.try_build() {
            Ok(client) => client,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`ClientBuilder::build`], but fails with [`NoRuntime`] outside a tokio runtime.
    pub fn try_build(self) -> Result<Client, NoRuntime> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| NoRuntime)?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(TokioClock::new()));
        let network = self.network.unwrap_or_else(|| Arc::new(TcpNetwork));
        let seed = self.rng_seed.unwrap_or_else(fresh_seed);
        let machine = ClientMachine::with_seed(self.config, seed);
        let shared = Arc::new(Shared::new(machine, clock));
        runtime.spawn(driver::run(shared.clone(), network));
        let voice = crate::voice_calls::layer(self.audio.unwrap_or_else(AudioSetup::unavailable));
        Ok(Client {
            _owner: Arc::new(Owner(shared.clone())),
            shared,
            voice,
        })
    }
}

/// A seed no other client of this or any other process is likely to have: the standard
/// library's per-process random hasher keys, advanced for each call.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            config: ClientConfig::default(),
            clock: None,
            network: None,
            rng_seed: None,
            audio: None,
        }
    }

    /// YIM `Init(appKey, appSecret, zone)`. See [`ClientMachine::init`].
    pub fn init(&self, app_key: &str, app_secret: &str, zone: ServerZone) -> Result<(), ErrorCode> {
        let mut core = self.shared.lock();
        if core.stopped {
            return Err(ErrorCode::NotStartUp);
        }
        core.machine.init(app_key, app_secret, zone)
    }

    /// Makes any call. `Ok(request_id)`: exactly one completion event carrying `request_id`
    /// follows. `Err(code)`: nothing was sent and no event follows. After the driver stopped
    /// every call fails with `NotStartUp`.
    pub fn call(&self, call: Call) -> Result<RequestId, ErrorCode> {
        let result = {
            let mut core = self.shared.lock();
            if core.stopped || core.shutdown_requested {
                return Err(ErrorCode::NotStartUp);
            }
            let now_ms = self.shared.clock.monotonic_ms();
            core.machine.handle_call(now_ms, call)
        };
        if result.is_ok() {
            self.shared.wake_driver.notify_one();
        }
        result
    }

    /// YIM `Login(userID, password, token)`; completes with [`Event::Login`].
    pub fn login(
        &self,
        user_id: &str,
        password: &str,
        token: &str,
    ) -> Result<RequestId, ErrorCode> {
        self.call(Call::Login {
            user_id: user_id.to_owned(),
            password: password.to_owned(),
            token: token.to_owned(),
        })
    }

    /// YIM `Logout()`; completes with [`Event::Logout`].
    pub fn logout(&self) -> Result<RequestId, ErrorCode> {
        self.call(Call::Logout)
    }

    /// YIM `JoinChatRoom(roomID)`; completes with [`Event::JoinChatRoom`].
    pub fn join_chat_room(&self, room_id: &str) -> Result<RequestId, ErrorCode> {
        self.call(Call::JoinChatRoom {
            room_id: room_id.to_owned(),
        })
    }

    /// YIM `LeaveChatRoom(roomID)`; completes with [`Event::LeaveChatRoom`].
    pub fn leave_chat_room(&self, room_id: &str) -> Result<RequestId, ErrorCode> {
        self.call(Call::LeaveChatRoom {
            room_id: room_id.to_owned(),
        })
    }

    /// YIM `LeaveAllChatRooms()`; completes with [`Event::LeaveAllChatRooms`].
    pub fn leave_all_chat_rooms(&self) -> Result<RequestId, ErrorCode> {
        self.call(Call::LeaveAllChatRooms)
    }

    /// YIM `GetRoomMemberCount(roomID)`; completes with [`Event::RoomMemberCount`].
    pub fn get_room_member_count(&self, room_id: &str) -> Result<RequestId, ErrorCode> {
        self.call(Call::GetRoomMemberCount {
            room_id: room_id.to_owned(),
        })
    }

    /// YIM `SendTextMessage`; completes with [`Event::SendMessageStatus`].
    pub fn send_text_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        text: &str,
        attach: &str,
    ) -> Result<RequestId, ErrorCode> {
        self.call(Call::SendText {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            text: text.to_owned(),
            attach: attach.to_owned(),
        })
    }

    /// YIM `SendCustomMessage`; completes with [`Event::SendMessageStatus`].
    pub fn send_custom_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        content: &[u8],
    ) -> Result<RequestId, ErrorCode> {
        self.call(Call::SendCustom {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            content: content.to_vec(),
        })
    }

    /// The next event; waits for one. `None` once the driver has stopped and every event has
    /// been taken.
    pub async fn next_event(&self) -> Option<Event> {
        loop {
            let notified = self.shared.events_ready.notified();
            tokio::pin!(notified);
            // Register before looking, so an event queued in between still wakes us.
            notified.as_mut().enable();
            {
                let mut core = self.shared.lock();
                if let Some(event) = self.take_event(&mut core) {
                    return Some(event);
                }
                if core.stopped {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// The next event if one is queued, without waiting.
    pub fn try_next_event(&self) -> Option<Event> {
        let mut core = self.shared.lock();
        self.take_event(&mut core)
    }

    fn take_event(&self, core: &mut driver::Core) -> Option<Event> {
        let was_full = !core.machine.wants_frames();
        let event = core.machine.poll_event()?;
        if was_full && core.machine.wants_frames() {
            // Backpressure lifted: the driver may read frames again.
            self.shared.wake_driver.notify_one();
        }
        Some(event)
    }

    /// Where the session stands.
    pub fn state(&self) -> State {
        self.shared.lock().machine.state()
    }

    /// Calls accepted and not yet completed.
    pub fn pending_calls(&self) -> usize {
        self.shared.lock().machine.pending_calls()
    }

    /// Rooms joined in the current session.
    pub fn joined_rooms(&self) -> BTreeSet<String> {
        self.shared.lock().machine.joined_rooms().clone()
    }

    /// The user of the current (or starting) session.
    pub fn user_id(&self) -> Option<String> {
        self.shared.lock().machine.user_id().map(str::to_owned)
    }

    /// Stops the driver: closes the connection and completes every pending call (`NetError`,
    /// and an unsolicited `Logout` if logged in). Events already queued can still be taken;
    /// then `next_event` returns `None`. Later calls fail with `NotStartUp`.
    pub fn shutdown(&self) {
        self.shared.request_shutdown();
    }

    /// False once the driver has stopped.
    pub fn is_running(&self) -> bool {
        !self.shared.lock().stopped
    }
}
