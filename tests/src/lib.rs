//! Helpers for the cross-crate integration tests: a real `yim-server` on 127.0.0.1:0 and SDK
//! clients talking to it over real TCP, with the waiting done for you.
//!
//! What it is: test scaffolding (servers, clients, awaiting calls and matching unsolicited
//! events with a deadline). What it is not: assertions about behaviour; those live in
//! `tests/tests/*.rs`.
//!
//! [`raw`] is the wire-level client of the tests that play hostile or careless clients.

pub mod raw;

use std::collections::VecDeque;
use std::time::Duration;

use yim_proto::ErrorCode;
use yim_sdk::{
    ChatType, Client, ClientBuilder, ClientConfig, Error, Event, ReceivedMessage, Request,
    SendReceipt, ServerZone,
};
use yim_server::admin::AdminClient;
use yim_server::store::memory::MemoryStore;
use yim_server::store::Store;
use yim_server::{RunningServer, ServerConfig};

/// The app every test client uses.
pub const APP_KEY: &str = "game_app";
/// Its secret.
pub const APP_SECRET: &str = "game_secret";
/// A second app on the same server.
pub const OTHER_APP_KEY: &str = "other_app";
/// Its secret.
pub const OTHER_APP_SECRET: &str = "other_secret";

/// How long a test waits for an event before failing.
pub const EVENT_WAIT: Duration = Duration::from_secs(10);

/// The config used by every test server: two apps, fast password hashing.
pub fn server_config() -> ServerConfig {
    let mut config = ServerConfig::new(
        "127.0.0.1:0",
        &[(APP_KEY, APP_SECRET), (OTHER_APP_KEY, OTHER_APP_SECRET)],
    );
    config.limits.password_hash_rounds = 16;
    config
}

/// A server on a free loopback port.
#[derive(Debug)]
pub struct TestServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    running: RunningServer,
}

impl TestServer {
    /// A server with an in-memory store.
    pub async fn start() -> TestServer {
        TestServer::start_with(server_config(), Box::new(MemoryStore::new())).await
    }

    /// A server with `config` and `store`.
    pub async fn start_with(config: ServerConfig, store: Box<dyn Store>) -> TestServer {
        let running = yim_server::spawn_tcp(&config, store, 42)
            .await
            .expect("server starts");
        TestServer {
            addr: running.addr,
            running,
        }
    }

    /// Stops the server and closes every connection.
    pub async fn stop(self) {
        self.running.stop().await;
    }

    /// A client of `APP_KEY` aimed at this server.
    pub fn client(&self) -> TestClient {
        TestClient::new(&self.addr.to_string(), APP_KEY, APP_SECRET)
    }

    /// A client builder aimed at this server, for a client with more than [`client`]'s
    /// defaults; [`TestClient::from_builder`] builds and initialises it.
    ///
    /// [`client`]: TestServer::client
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder().config(ClientConfig::with_server(self.addr.to_string()))
    }

    /// An operator session for `APP_KEY`.
    pub async fn admin(&self) -> AdminClient {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .expect("connect");
        AdminClient::login(Box::new(stream), APP_KEY, APP_SECRET)
            .await
            .expect("operator login")
    }
}

/// The result of an accepted call, awaited for at most `EVENT_WAIT`. Panics if the call was
/// refused at once or its result does not come in time.
pub async fn done<T>(request: Result<Request<T>, Error>) -> Result<T, Error> {
    let request = request.unwrap_or_else(|refused| panic!("call refused: {refused}"));
    let request_id = request.request_id();
    tokio::time::timeout(EVENT_WAIT, request)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for the result of {request_id}"))
}

/// The completion code of an accepted call (`Success` when it succeeded).
pub async fn code<T>(request: Result<Request<T>, Error>) -> ErrorCode {
    result_code(&done(request).await)
}

/// The code of a result (`Success` when it is `Ok`).
pub fn result_code<T>(result: &Result<T, Error>) -> ErrorCode {
    result
        .as_ref()
        .map_or_else(Error::code, |_| ErrorCode::Success)
}

/// The code a call was refused with at once; panics if it was accepted.
pub fn refusal<T>(request: Result<Request<T>, Error>) -> ErrorCode {
    match request {
        Ok(request) => panic!("{} was accepted", request.request_id()),
        Err(refused) => refused.code(),
    }
}

/// An SDK client plus a buffer of events not yet asked for, so a test can wait for one kind
/// of unsolicited event while others (messages, completions) arrive in between. Calls are
/// awaited through their `Request`s (see `done`, `code`).
#[derive(Debug)]
pub struct TestClient {
    /// The SDK client.
    pub client: Client,
    pending: VecDeque<Event>,
}

impl TestClient {
    /// A client initialised with `app_key` and `app_secret`, its China zone pointing at `addr`.
    pub fn new(addr: &str, app_key: &str, app_secret: &str) -> TestClient {
        let builder = Client::builder().config(ClientConfig::with_server(addr));
        TestClient::init(builder, app_key, app_secret)
    }

    /// The client `builder` makes (its server, audio, history directory...), initialised
    /// with `APP_KEY` in the China zone.
    pub fn from_builder(builder: ClientBuilder) -> TestClient {
        TestClient::init(builder, APP_KEY, APP_SECRET)
    }

    fn init(builder: ClientBuilder, app_key: &str, app_secret: &str) -> TestClient {
        let client = builder.build();
        client
            .init(app_key, app_secret, ServerZone::China)
            .expect("init");
        TestClient::from_client(client)
    }

    /// Wraps a client built and initialised by the caller.
    pub fn from_client(client: Client) -> TestClient {
        TestClient {
            client,
            pending: VecDeque::new(),
        }
    }

    /// Waits for the first event matching `pick`, keeping the others for later.
    pub async fn wait_for<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Event) -> Option<T>,
    ) -> T {
        if let Some(index) = self.pending.iter().position(|e| pick(e).is_some()) {
            let event = self.pending.remove(index).expect("index is in range");
            return pick(&event).expect("matched above");
        }
        let deadline = tokio::time::Instant::now() + EVENT_WAIT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.client.next_event())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "timed out waiting for {what}; unclaimed: {:?}",
                        self.pending
                    )
                })
                .unwrap_or_else(|| panic!("event stream ended waiting for {what}"));
            if let Some(found) = pick(&event) {
                return found;
            }
            self.pending.push_back(event);
        }
    }

    /// Logs in and returns the completion code.
    pub async fn login(&mut self, user: &str, password: &str) -> ErrorCode {
        code(self.client.login(user, password, "")).await
    }

    /// Logs in, asserting success.
    pub async fn login_ok(&mut self, user: &str) {
        assert_eq!(
            self.login(user, "pw").await,
            ErrorCode::Success,
            "login of {user}"
        );
    }

    /// Joins a room, asserting success.
    pub async fn join_ok(&mut self, room: &str) {
        let joined = code(self.client.join_chat_room(room)).await;
        assert_eq!(joined, ErrorCode::Success, "join {room}");
    }

    /// Sends a text and returns its result.
    pub async fn send_text(
        &mut self,
        to: &str,
        chat_type: ChatType,
        text: &str,
    ) -> Result<SendReceipt, Error> {
        done(self.client.send_text_message(to, chat_type, text, "")).await
    }

    /// The next received message.
    pub async fn next_message(&mut self) -> ReceivedMessage {
        self.wait_for("a message", |e| match e {
            Event::RecvMessage(message) => Some(message.clone()),
            _ => None,
        })
        .await
    }

    /// Asserts that no message arrives within `wait`. Waits the whole window, however many
    /// events come in it, and checks every one of them (the others are kept for later). A
    /// message already waiting unclaimed fails it at once; so does an event stream that ends
    /// inside the window (a client that cannot receive proves nothing about what it would
    /// have received).
    pub async fn assert_no_message(&mut self, wait: Duration) {
        assert!(
            !self
                .pending
                .iter()
                .any(|e| matches!(e, Event::RecvMessage(_))),
            "unexpected message: {:?}",
            self.pending
        );
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(event) = tokio::time::timeout_at(deadline, self.client.next_event()).await {
            let event = event.unwrap_or_else(|| {
                panic!("the event stream ended inside the window: nothing could be checked")
            });
            assert!(
                !matches!(event, Event::RecvMessage(_)),
                "unexpected message: {event:?}"
            );
            self.pending.push_back(event);
        }
    }
}

/// Logs to stderr when `RUST_LOG` is set (call at the top of a test to debug it).
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
