//! Shared by the C-interface tests: a real `yim-server` on a loopback port, clients made
//! through `yim_init`, and events copied out of `YimEvent` (and freed) so tests can compare
//! them.
//!
//! What it is: test scaffolding only. What it is not: assertions about behaviour; those live
//! in the test files.

#![allow(dead_code)]
// each test file uses its own part
// Calling a C interface from Rust is unsafe by nature; each block says why it is sound.
#![allow(unsafe_code)]

use std::ffi::{c_char, CString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use yim_ffi::*;
use yim_server::store::memory::MemoryStore;
use yim_server::{RunningServer, ServerConfig};

pub const APP_KEY: &str = "game_app";
pub const APP_SECRET: &str = "game_secret";
/// How long a test waits for one event.
pub const EVENT_WAIT: Duration = Duration::from_secs(10);

/// A server on 127.0.0.1 with an in-memory store, on a runtime of its own (the calls under
/// test run on plain threads, as a game's would).
#[derive(Debug)]
pub struct TestServer {
    pub addr: String,
    runtime: tokio::runtime::Runtime,
    running: Option<RunningServer>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        let mut config = ServerConfig::new("127.0.0.1:0", &[(APP_KEY, APP_SECRET)]);
        config.limits.password_hash_rounds = 16;
        // Tests send bursts of room messages at once (240 in `threads.rs`); the room send rate
        // has tests of its own.
        config.limits.room_sends = yim_server::core::Rate::UNLIMITED;
        let running = runtime
            .block_on(yim_server::spawn_tcp(
                &config,
                Box::new(MemoryStore::new()),
                42,
            ))
            .expect("server starts");
        TestServer {
            addr: running.addr.to_string(),
            runtime,
            running: Some(running),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.stop());
        }
    }
}

/// `YimInitOptions` whose strings live as long as it does.
#[derive(Debug)]
pub struct Options {
    strings: Vec<CString>,
    pub raw: YimInitOptions,
}

impl Options {
    /// Options for `addr`, no audio.
    pub fn new(addr: &str) -> Options {
        let strings: Vec<CString> = [APP_KEY, APP_SECRET, addr]
            .iter()
            .map(|s| CString::new(*s).expect("no NUL"))
            .collect();
        let raw = YimInitOptions {
            api_version: YIM_INIT_OPTIONS_API_LATEST,
            app_key: strings[0].as_ptr(),
            app_secret: strings[1].as_ptr(),
            zone: YimServerZone::China as u32,
            server_address: strings[2].as_ptr(),
            audio_devices: YimAudioDevices::None as u32,
            audio_cache_dir: std::ptr::null(),
            simulated_speech: std::ptr::null(),
            max_queued_events: 0,
        };
        Options { strings, raw }
    }

    /// Simulated audio saying `speech`, recordings kept in `cache_dir`.
    pub fn simulated(mut self, speech: &str, cache_dir: &Path) -> Options {
        let speech = CString::new(speech).expect("no NUL");
        let dir = CString::new(cache_dir.to_str().expect("UTF-8 path")).expect("no NUL");
        self.raw.audio_devices = YimAudioDevices::Simulated as u32;
        self.raw.simulated_speech = speech.as_ptr();
        self.raw.audio_cache_dir = dir.as_ptr();
        self.strings.push(speech);
        self.strings.push(dir);
        self
    }
}

/// A live client, shut down when dropped.
#[derive(Debug)]
pub struct TestClient {
    pub handle: YimClient,
}

impl TestClient {
    pub fn new(options: &Options) -> TestClient {
        let mut handle = YimClient { id: 0 };
        // SAFETY: the options and their strings are alive; `handle` is writable.
        let code = unsafe { yim_init(&options.raw, &mut handle) };
        assert_eq!(code, YimErrorCode::Success, "yim_init");
        TestClient { handle }
    }

    /// Logs `user` in and waits for success.
    pub fn login(&self, user: &str) {
        let user = c(user);
        let mut id = 0;
        // SAFETY: NUL-terminated strings, a writable ID.
        let code = unsafe {
            yim_login(
                self.handle,
                user.as_ptr(),
                c"pw".as_ptr(),
                std::ptr::null(),
                &mut id,
            )
        };
        assert_eq!(code, YimErrorCode::Success, "login call");
        let event = self.completion(id);
        assert_eq!(
            (event.kind, event.code),
            (YimEventKind::Login, YimErrorCode::Success)
        );
    }

    /// Joins `room` and waits for success.
    pub fn join(&self, room: &str) {
        let room = c(room);
        let mut id = 0;
        // SAFETY: a NUL-terminated string, a writable ID.
        let code = unsafe { yim_join_chat_room(self.handle, room.as_ptr(), &mut id) };
        assert_eq!(code, YimErrorCode::Success, "join call");
        let event = self.completion(id);
        assert_eq!(event.code, YimErrorCode::Success, "join");
    }

    /// Sends a text; its request ID.
    pub fn send_text(&self, to: &str, chat_type: YimChatType, text: &str) -> u64 {
        let (to, text) = (c(to), c(text));
        let mut id = 0;
        // SAFETY: NUL-terminated strings, a writable ID.
        let code = unsafe {
            yim_send_text_message(
                self.handle,
                to.as_ptr(),
                chat_type as u32,
                text.as_ptr(),
                std::ptr::null(),
                &mut id,
            )
        };
        assert_eq!(code, YimErrorCode::Success, "send call");
        id
    }

    /// The next event, waiting up to `EVENT_WAIT`; panics if none comes.
    pub fn next_event(&self) -> OwnedEvent {
        self.try_next_event(EVENT_WAIT)
            .unwrap_or_else(|code| panic!("no event within {EVENT_WAIT:?}: {code:?}"))
    }

    /// The next event within `wait`, or the code `yim_wait_event` returned.
    pub fn try_next_event(&self, wait: Duration) -> Result<OwnedEvent, YimErrorCode> {
        let mut raw = empty_event();
        let timeout_ms = u32::try_from(wait.as_millis()).unwrap_or(u32::MAX);
        // SAFETY: a whole, writable event with its version set.
        let code = unsafe { yim_wait_event(self.handle, &mut raw, timeout_ms) };
        if code != YimErrorCode::Success {
            return Err(code);
        }
        Ok(take(&mut raw))
    }

    /// The completion of `request_id`, failing on any other event first.
    pub fn completion(&self, request_id: u64) -> OwnedEvent {
        let event = self.next_event();
        assert_eq!(
            event.request_id, request_id,
            "expected the completion: {event:?}"
        );
        event
    }

    /// The next received message, skipping nothing.
    pub fn message(&self) -> OwnedEvent {
        let event = self.next_event();
        assert_eq!(event.kind, YimEventKind::RecvMessage, "{event:?}");
        event
    }
}

impl Drop for TestClient {
    fn drop(&mut self) {
        yim_shutdown(self.handle);
    }
}

/// An event struct ready to be filled.
pub fn empty_event() -> YimEvent {
    let mut raw = zeroed_event();
    raw.api_version = YIM_EVENT_API_LATEST;
    raw
}

fn zeroed_event() -> YimEvent {
    // SAFETY: every field of YimEvent is an integer, a raw pointer or a C enum whose 0 is a
    // variant, so all-zero bytes are a valid YimEvent.
    unsafe { std::mem::zeroed() }
}

/// An event's fields, copied out of the SDK's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedEvent {
    pub kind: YimEventKind,
    pub request_id: u64,
    pub code: YimErrorCode,
    pub chat_type: YimChatType,
    pub body_type: YimMessageBodyType,
    pub message_id: u64,
    pub user_id: String,
    pub sender_id: String,
    pub receiver_id: String,
    pub room_id: String,
    pub text: String,
    pub attach: String,
    pub path: String,
    pub data: Vec<u8>,
    pub room_seq: u64,
    pub count: u32,
    pub duration_ms: u32,
}

/// Copies a filled event and frees it.
pub fn take(raw: &mut YimEvent) -> OwnedEvent {
    let owned = copy(raw);
    // SAFETY: a filled event.
    assert_eq!(unsafe { yim_free_event(raw) }, YimErrorCode::Success);
    owned
}

/// Copies a filled event's fields.
pub fn copy(raw: &YimEvent) -> OwnedEvent {
    OwnedEvent {
        kind: raw.kind,
        request_id: raw.request_id,
        code: raw.code,
        chat_type: raw.chat_type,
        body_type: raw.body_type,
        message_id: raw.message_id,
        user_id: string(raw.user_id, raw.user_id_len),
        sender_id: string(raw.sender_id, raw.sender_id_len),
        receiver_id: string(raw.receiver_id, raw.receiver_id_len),
        room_id: string(raw.room_id, raw.room_id_len),
        text: string(raw.text, raw.text_len),
        attach: string(raw.attach, raw.attach_len),
        path: string(raw.path, raw.path_len),
        // SAFETY: an event not yet freed: `data_len` bytes at `data`.
        data: unsafe { std::slice::from_raw_parts(raw.data, raw.data_len) }.to_vec(),
        room_seq: raw.room_seq,
        count: raw.count,
        duration_ms: raw.duration_ms,
    }
}

fn string(ptr: *const c_char, len: usize) -> String {
    assert!(!ptr.is_null(), "event strings are never NULL");
    // SAFETY: an event not yet freed: `len` bytes and a NUL at `ptr`.
    let bytes = unsafe { std::slice::from_raw_parts(ptr.cast::<u8>(), len + 1) };
    assert_eq!(bytes[len], 0, "event strings are NUL-terminated");
    String::from_utf8(bytes[..len].to_vec()).expect("event strings are UTF-8")
}

pub fn c(s: &str) -> CString {
    CString::new(s).expect("no NUL")
}

/// Waits until `check` holds, for at most `EVENT_WAIT`.
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + EVENT_WAIT;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How long one run may take (under valgrind the program runs some 20-50 times slower).
pub const RUN_LIMIT: Duration = Duration::from_secs(240);

/// Where cargo put `libyim_ffi.so` and `libyim_ffi.a`: beside this test's executable.
pub fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let dir = exe.parent().expect("deps directory").to_path_buf();
    assert!(
        dir.join("libyim_ffi.so").exists() && dir.join("libyim_ffi.a").exists(),
        "libyim_ffi.so / .a not found in {}",
        dir.display()
    );
    dir
}

/// Runs `program args` with a time limit; its exit code and output (stdout, then stderr).
/// Both pipes are read while the program runs, so one that writes more than a pipe holds
/// (64 KiB) does not block; past [`RUN_LIMIT`] the program is killed and the test fails
/// with what it wrote. The program finds `libyim_ffi.so` in [`library_dir`] only: cargo's
/// own `LD_LIBRARY_PATH` for tests also lists `target/debug`, where an older `cargo build`
/// may have left an older copy of the library, which the loader would take before the
/// executable's rpath.
pub fn run(command: Command) -> (Option<i32>, String) {
    run_for(command, RUN_LIMIT)
}

/// [`run`] with a time limit of `limit`.
pub fn run_for(mut command: Command, limit: Duration) -> (Option<i32>, String) {
    let mut child = command
        .env("LD_LIBRARY_PATH", library_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    let stdout = drain(child.stdout.take().expect("stdout piped"));
    let stderr = drain(child.stderr.take().expect("stderr piped"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout.join().expect("stdout reader")),
        String::from_utf8_lossy(&stderr.join().expect("stderr reader"))
    );
    match status {
        Some(status) => (status.code(), text),
        None => panic!("still running after {limit:?}, killed:\n{text}"),
    }
}

/// Reads `pipe` to its end on a thread of its own; the thread gives back what it read.
fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}
