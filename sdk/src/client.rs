//! The application API: `Client`, a cheap-clone handle whose methods mirror YIM's calls one
//! for one, and its builder.
//!
//! What it is: thin delegations to the machine behind the one lock (see `driver::Shared`).
//! Each call returns at once: a refusal with YIM's code, or a [`Request`] that gives the
//! request ID and can be awaited for the typed result. Everything YIM delivers through
//! callbacks (completions included) also comes through the one event stream
//! ([`Client::next_event`]). What it is not: where the rules live (see `machine`) or where
//! I/O happens (see `driver`).

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::runtime::Handle;
use yim_proto::ChatType;

use crate::audio_setup::AudioSetup;
use crate::clock::{Clock, TokioClock};
use crate::config::{ClientConfig, ServerZone};
use crate::driver::{self, Accepted, Audio, Shared};
use crate::error::Error;
use crate::machine::{Call, ClientMachine, Event, Recognize, RequestId, State, TimeOrder};
use crate::net::{Network, TcpNetwork};
use crate::request::{
    self, HistoryPage, LoginReceipt, Request, RoomHistoryPage, SendReceipt, VoiceOutcome,
};
use crate::store::{Contact, DeleteHistory, HistoryDirection, HistoryDisk, MemoryDisk, SqliteDisk};

/// A handle on one YIM client. Clones share the client; when the last one is dropped the
/// driver stops and closes the connection.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
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

/// `build` was called outside a tokio runtime and no runtime was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Client::build needs a tokio runtime to spawn its driver on")]
pub struct NoRuntime;

/// Builds a [`Client`]. Defaults: `ClientConfig::default()`, [`TokioClock`], [`TcpNetwork`],
/// [`AudioSetup::unavailable`], the current tokio runtime, and the local history in memory
/// (nothing kept across app restarts; see [`ClientBuilder::history_dir`]).
pub struct ClientBuilder {
    config: ClientConfig,
    history: Option<Arc<dyn HistoryDisk>>,
    clock: Option<Arc<dyn Clock>>,
    network: Option<Arc<dyn Network>>,
    rng_seed: Option<u64>,
    audio: Option<AudioSetup>,
    runtime: Option<Handle>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("custom_clock", &self.clock.is_some())
            .field("custom_network", &self.network.is_some())
            .field("runtime", &self.runtime.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The client's settings (zones, timeouts, bounds).
    pub fn config(mut self, config: ClientConfig) -> ClientBuilder {
        self.config = config;
        self
    }

    /// The clock the driver keeps time with (the simulator's virtual time, say).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> ClientBuilder {
        self.clock = Some(clock);
        self
    }

    /// How the driver connects (the simulator's network, say).
    pub fn network(mut self, network: Arc<dyn Network>) -> ClientBuilder {
        self.network = Some(network);
        self
    }

    /// Keeps the local history in `dir`: one SQLite file per app key and user
    /// (`<dir>/<app key>/<user>.sqlite3`), so history and exactly-once delivery survive app
    /// restarts. The directory is created at the first login; a login whose store cannot be
    /// opened is refused (`CreateDirectoryFailed`, `ReadWriteFileError`).
    pub fn history_dir(mut self, dir: impl Into<PathBuf>) -> ClientBuilder {
        self.history = Some(Arc::new(SqliteDisk::new(dir)));
        self
    }

    /// Keeps the local history on `disk` (the simulator's, say); see [`HistoryDisk`].
    pub fn history_disk(mut self, disk: Arc<dyn HistoryDisk>) -> ClientBuilder {
        self.history = Some(disk);
        self
    }

    /// Where voice messages' audio comes from and goes.
    pub fn audio(mut self, setup: AudioSetup) -> ClientBuilder {
        self.audio = Some(setup);
        self
    }

    /// The runtime the driver, its socket tasks and its blocking audio work run on, for
    /// callers outside any runtime (an engine's C interface owning its runtime, say).
    pub fn runtime(mut self, runtime: Handle) -> ClientBuilder {
        self.runtime = Some(runtime);
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

    /// Spawns the driver and returns the first handle.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime when none was given, like `tokio::spawn`. Use
    /// [`ClientBuilder::try_build`] to get an error instead.
    pub fn build(self) -> Client {
        match self.try_build() {
            Ok(client) => client,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`ClientBuilder::build`], but fails with [`NoRuntime`] outside a tokio runtime
    /// when none was given.
    pub fn try_build(self) -> Result<Client, NoRuntime> {
        let runtime = match self.runtime {
            Some(runtime) => runtime,
            None => Handle::try_current().map_err(|_| NoRuntime)?,
        };
        let clock = self.clock.unwrap_or_else(|| Arc::new(TokioClock::new()));
        let network = self.network.unwrap_or_else(|| Arc::new(TcpNetwork));
        let seed = self.rng_seed.unwrap_or_else(fresh_seed);
        let disk = self.history.unwrap_or_else(|| Arc::new(MemoryDisk::new()));
        let machine = ClientMachine::with_disk(self.config, seed, disk);
        let audio = Audio::new(self.audio.unwrap_or_else(AudioSetup::unavailable));
        let shared = Arc::new(Shared::new(machine, audio, clock, runtime.clone()));
        runtime.spawn(driver::run(shared.clone(), network));
        Ok(Client {
            _owner: Arc::new(Owner(shared.clone())),
            shared,
        })
    }
}

/// A seed no other client of this or any other process is likely to have: the standard
/// library's per-process random hasher keys, advanced for each call. The SDK's one source of
/// entropy, on purpose (two devices of one user must not draw the same idempotency keys);
/// whoever needs a replayable run (the simulator, tests) gives `ClientBuilder::rng_seed`.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)] // the one fresh seed, see above
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder {
            config: ClientConfig::default(),
            history: None,
            clock: None,
            network: None,
            rng_seed: None,
            audio: None,
            runtime: None,
        }
    }

    /// YIM `Init(appKey, appSecret, zone)`. See [`ClientMachine::init`].
    pub fn init(&self, app_key: &str, app_secret: &str, zone: ServerZone) -> Result<(), Error> {
        let mut core = self.shared.lock();
        if core.stopped {
            return Err(Error::Code(yim_proto::ErrorCode::NotStartUp));
        }
        Ok(core.machine.init(app_key, app_secret, zone)?)
    }

    /// Makes any call, YIM style: `Ok(request_id)` and exactly one completion event carrying
    /// it follows in the stream (for stop and cancel: the recording's ID; see [`Call`]), or
    /// `Err` and no event follows. After the driver stopped every call fails with
    /// `NotStartUp`.
    pub fn call(&self, call: Call) -> Result<RequestId, Error> {
        self.shared.call(call).map(|(request_id, _)| request_id)
    }

    fn request<T>(
        &self,
        call: Call,
        outcome: fn(Event) -> Result<T, Error>,
    ) -> Result<Request<T>, Error> {
        let (request_id, completion): Accepted = self.shared.call(call)?;
        Ok(Request::new(request_id, completion, outcome))
    }

    /// YIM `Login(userID, password, token)`; completes with [`Event::Login`].
    pub fn login(
        &self,
        user_id: &str,
        password: &str,
        token: &str,
    ) -> Result<Request<LoginReceipt>, Error> {
        let call = Call::Login {
            user_id: user_id.to_owned(),
            password: password.to_owned(),
            token: token.to_owned(),
        };
        self.request(call, request::login)
    }

    /// YIM `Logout()`; completes with [`Event::Logout`].
    pub fn logout(&self) -> Result<Request<()>, Error> {
        self.request(Call::Logout, request::done)
    }

    /// YIM `JoinChatRoom(roomID)`; completes with [`Event::JoinChatRoom`].
    pub fn join_chat_room(&self, room_id: &str) -> Result<Request<()>, Error> {
        let room_id = room_id.to_owned();
        self.request(Call::JoinChatRoom { room_id }, request::done)
    }

    /// YIM `LeaveChatRoom(roomID)`; completes with [`Event::LeaveChatRoom`].
    pub fn leave_chat_room(&self, room_id: &str) -> Result<Request<()>, Error> {
        let room_id = room_id.to_owned();
        self.request(Call::LeaveChatRoom { room_id }, request::done)
    }

    /// YIM `LeaveAllChatRooms()`; completes with [`Event::LeaveAllChatRooms`].
    pub fn leave_all_chat_rooms(&self) -> Result<Request<()>, Error> {
        self.request(Call::LeaveAllChatRooms, request::done)
    }

    /// YIM `GetRoomMemberCount(roomID)`; completes with [`Event::RoomMemberCount`].
    pub fn get_room_member_count(&self, room_id: &str) -> Result<Request<u32>, Error> {
        let room_id = room_id.to_owned();
        self.request(Call::GetRoomMemberCount { room_id }, request::member_count)
    }

    /// YIM `SendTextMessage`; completes with [`Event::SendMessageStatus`].
    pub fn send_text_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        text: &str,
        attach: &str,
    ) -> Result<Request<SendReceipt>, Error> {
        let call = Call::SendText {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            text: text.to_owned(),
            attach: attach.to_owned(),
        };
        self.request(call, request::sent)
    }

    /// YIM `SendCustomMessage`; completes with [`Event::SendMessageStatus`].
    pub fn send_custom_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        content: &[u8],
    ) -> Result<Request<SendReceipt>, Error> {
        let call = Call::SendCustom {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            content: content.to_vec(),
        };
        self.request(call, request::sent)
    }

    /// YIM `SendAudioMessage` / `SendOnlyAudioMessage` / recognise-only: starts recording (see
    /// [`Call::StartRecord`]); completes with [`Event::SendAudioStatus`] or, recognising only,
    /// [`Event::RecognizeText`]. Refused at once (no event ever): not logged in, a bad
    /// receiver, already recording (`PttIsSpeeching`, 2007), no microphone
    /// (`PttNoAudioDevice`, 2026), the input failed to start. At 60 s the recording stops and
    /// is sent by itself, with `PttReachMaxDuration` (2009) as its success code. Dropping the
    /// returned request does not cancel the recording (see [`Request`]).
    pub fn start_record_audio_message(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        recognize: Recognize,
    ) -> Result<Request<VoiceOutcome>, Error> {
        let call = Call::StartRecord {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            recognize,
        };
        self.request(call, request::voice)
    }

    /// YIM `StopAudioMessage(extraParam)`: stops recording and sends (or recognises); the
    /// result is the recording's (await the request `start_record_audio_message` returned).
    /// Returns the recording's request ID. Nothing recording: `PttNotStartRecord` (2016).
    pub fn stop_and_send_audio_message(&self, extra_param: &str) -> Result<RequestId, Error> {
        let extra_param = extra_param.to_owned();
        self.call(Call::StopRecord { extra_param })
    }

    /// YIM `CancleAudioMessage`: discards the recording; nothing is sent and no event comes
    /// (awaiting its request gives [`Error::Cancelled`]). Nothing recording:
    /// `PttNotStartRecord` (2016).
    pub fn cancel_audio_message(&self) -> Result<(), Error> {
        self.call(Call::CancelRecord).map(|_| ())
    }

    /// Sends the WAV file at `path` as a voice message, as if just recorded (see
    /// [`Call::SendAudioFile`]). Missing file: `PttFileNotExist` (2008); not a WAV:
    /// `PttUnsupprtFormat` (2022).
    pub fn send_audio_file(
        &self,
        receiver_id: &str,
        chat_type: ChatType,
        path: &Path,
        recognize: Recognize,
        extra_param: &str,
    ) -> Result<Request<VoiceOutcome>, Error> {
        let call = Call::SendAudioFile {
            receiver_id: receiver_id.to_owned(),
            chat_type,
            path: path.to_path_buf(),
            recognize,
            extra_param: extra_param.to_owned(),
        };
        self.request(call, request::voice)
    }

    /// YIM `DownloadFile(messageID, savePath)` for a voice message: saves its audio as a WAV
    /// at `save_path` (directories are created); completes with [`Event::DownloadAudio`]
    /// and, awaited, gives the path. Unknown message: `ParamInvalid`; network failure:
    /// `PttDownloadFail` (2002).
    pub fn download_audio(
        &self,
        message_id: u64,
        save_path: &Path,
    ) -> Result<Request<PathBuf>, Error> {
        let save_path = save_path.to_path_buf();
        self.request(
            Call::DownloadAudio {
                message_id,
                save_path,
            },
            request::downloaded,
        )
    }

    /// YIM `QueryHistoryMessage(targetID, chatType, startMessageID, count, direction)`: a page
    /// of a conversation of the local history, the user's own messages included (see
    /// [`Call::QueryHistoryMessage`]); completes at once with [`Event::QueryHistoryMessage`].
    /// `count` 1-100, else `ParamInvalid`; a bad target: `ReceiverEmpty`, `InvalidReceiver`,
    /// `InvalidChatType`, ...
    pub fn query_history_message(
        &self,
        target_id: &str,
        chat_type: ChatType,
        start_message_id: u64,
        count: u32,
        direction: HistoryDirection,
    ) -> Result<Request<HistoryPage>, Error> {
        let call = Call::QueryHistoryMessage {
            target_id: target_id.to_owned(),
            chat_type,
            start_message_id,
            count,
            direction,
        };
        self.request(call, request::history_page)
    }

    /// YIM `SetRoomHistoryMessageSwitch(roomIDs, save)`: keep the rooms' messages in the
    /// local history from now on (off by default), or stop; completes at once with
    /// [`Event::HistoryChanged`] (the rooms switched). 1-32 valid room IDs, else
    /// `ParamInvalid` (or `RoomIDTooLong`); more than 1024 rooms kept: `StatusError`.
    pub fn set_room_history_message_switch(
        &self,
        room_ids: &[&str],
        save: bool,
    ) -> Result<Request<u32>, Error> {
        let call = Call::SetRoomHistoryMessageSwitch {
            room_ids: room_ids.iter().map(|r| (*r).to_owned()).collect(),
            save,
        };
        self.request(call, request::changed)
    }

    /// YIM `DeleteHistoryMessage` / `DeleteHistoryMessageByID`: deletes from the local
    /// history (and the cached audio of deleted voice messages); completes at once with
    /// [`Event::HistoryChanged`] (the messages deleted).
    pub fn delete_history_message(&self, delete: DeleteHistory) -> Result<Request<u32>, Error> {
        self.request(Call::DeleteHistoryMessage(delete), request::changed)
    }

    /// YIM `GetRecentContacts`: the private conversations of the local history, newest first,
    /// at most 100, each with its last message and unread count; completes at once with
    /// [`Event::RecentContacts`].
    pub fn get_recent_contacts(&self) -> Result<Request<Vec<Contact>>, Error> {
        self.request(Call::GetRecentContacts, request::contacts)
    }

    /// YIM `SetMessageRead(messageID, read)`; completes at once with
    /// [`Event::HistoryChanged`]. Message ID 0: `ParamInvalid`.
    pub fn set_message_read(&self, message_id: u64, read: bool) -> Result<Request<u32>, Error> {
        self.request(Call::SetMessageRead { message_id, read }, request::changed)
    }

    /// YIM `SetAllMessageRead(userID, read)`: the conversation with `user_id`, or every message
    /// when it is empty; completes at once with [`Event::HistoryChanged`].
    pub fn set_all_message_read(&self, user_id: &str, read: bool) -> Result<Request<u32>, Error> {
        let user_id = user_id.to_owned();
        self.request(Call::SetAllMessageRead { user_id, read }, request::changed)
    }

    /// YIM `SetVoiceMsgPlayed(messageID, played)`; completes at once with
    /// [`Event::HistoryChanged`].
    pub fn set_voice_message_played(
        &self,
        message_id: u64,
        played: bool,
    ) -> Result<Request<u32>, Error> {
        let call = Call::SetVoiceMessagePlayed { message_id, played };
        self.request(call, request::changed)
    }

    /// YIM `QueryRoomHistoryMessageFromServer(roomID, count, direction)`: the room's most
    /// recent messages the server keeps that this app was never handed (delivered, sent, or
    /// returned before, also before an app restart), at most `count` (1-200, else
    /// `ParamInvalid`), in `order`; a later call goes on with older ones. Completes with
    /// [`Event::RoomHistoryFromServer`]; not in the room: `NotJoinRoom`.
    pub fn query_room_history_message_from_server(
        &self,
        room_id: &str,
        count: u32,
        order: TimeOrder,
    ) -> Result<Request<RoomHistoryPage>, Error> {
        let call = Call::QueryRoomHistoryMessageFromServer {
            room_id: room_id.to_owned(),
            count,
            order,
        };
        self.request(call, request::room_history)
    }

    /// YIM `StartPlayAudio(path)`: plays a WAV; completes with [`Event::PlayCompletion`]
    /// (`Success` at the end, `PttCancelPlay` 2015 when stopped or replaced). Missing file:
    /// `PttFileNotExist` (2008); not a WAV: `PttUnsupprtFormat` (2022); no speaker:
    /// `PttNoAudioDevice` (2026).
    pub fn start_play_audio(&self, path: &Path) -> Result<(), Error> {
        self.shared.play(path)
    }

    /// YIM `StopPlayAudio`: stops playback (its completion says `PttCancelPlay`). Nothing
    /// playing: `PttNotStartPlay` (2014).
    pub fn stop_play_audio(&self) -> Result<(), Error> {
        self.shared.stop_play()
    }

    /// YIM `IsPlaying`.
    pub fn is_playing(&self) -> bool {
        self.shared.lock().audio.is_playing()
    }

    /// YIM `SetVolume(0.0-1.0)`: for this and later playbacks. Out of range: `ParamInvalid`.
    pub fn set_volume(&self, volume: f32) -> Result<(), Error> {
        self.shared.lock().audio.set_volume(volume)
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
                if let Some(event) = self.shared.take_event(&mut core) {
                    return Some(event);
                }
                if core.stopped {
                    return None;
                }
            }
            notified.await;
        }
    }

    /// The next event if one is queued, without waiting (a game loop calls it once a frame
    /// until it gives `None`).
    pub fn try_next_event(&self) -> Option<Event> {
        let mut core = self.shared.lock();
        self.shared.take_event(&mut core)
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
