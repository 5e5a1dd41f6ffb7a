//! The C interface from many threads at once, and the event queue when the game stops
//! polling: every accepted call completes exactly once, every message arrives exactly once,
//! a shutdown wakes a thread waiting for an event, and a game that stops polling loses
//! nothing.

// Calling a C interface from Rust is unsafe by nature; each block says why it is sound.
#![allow(unsafe_code)]
#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

mod support;

use std::collections::BTreeMap;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use support::*;
use yim_ffi::*;

const SENDER_THREADS: usize = 6;
const SENDS_PER_THREAD: usize = 40;

/// Polls `client` on this thread until `done`, collecting every event.
fn drain(client: YimClient, done: &AtomicBool, into: &Mutex<Vec<OwnedEvent>>) {
    while !done.load(Ordering::Relaxed) {
        let mut event = empty_event();
        // SAFETY: a whole event with its version.
        match unsafe { yim_wait_event(client, &mut event, 20) } {
            YimErrorCode::Success => into.lock().unwrap().push(take(&mut event)),
            YimErrorCode::TimeOut => {}
            other => panic!("poll failed: {other:?}"),
        }
    }
}

#[test]
fn calls_and_polls_from_many_threads_at_once_lose_and_double_nothing() {
    let server = TestServer::start();
    let alice = TestClient::new(&Options::new(&server.addr));
    let bob = TestClient::new(&Options::new(&server.addr));
    alice.login("alice");
    bob.login("bob");
    alice.join("arena");
    bob.join("arena");
    let (a, b) = (alice.handle, bob.handle);
    let done = AtomicBool::new(false);
    let alice_events = Mutex::new(Vec::new());
    let bob_events = Mutex::new(Vec::new());
    let sent: Mutex<BTreeMap<u64, String>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        // Two pumps per client, racing each other for the same queue.
        for _ in 0..2 {
            s.spawn(|| drain(a, &done, &alice_events));
            s.spawn(|| drain(b, &done, &bob_events));
        }
        // Clients coming and going meanwhile.
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let other = TestClient::new(&Options::new(&server.addr));
                assert_eq!(yim_shutdown(other.handle), YimErrorCode::Success);
            }
        });
        let senders: Vec<_> = (0..SENDER_THREADS)
            .map(|t| {
                let (sent, alice) = (&sent, &alice);
                s.spawn(move || {
                    for i in 0..SENDS_PER_THREAD {
                        let text = format!("t{t} m{i}");
                        let id = alice.send_text("arena", YimChatType::Room, &text);
                        sent.lock().unwrap().insert(id, text);
                    }
                })
            })
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        let total = SENDER_THREADS * SENDS_PER_THREAD;
        eventually("every status and message", || {
            alice_events.lock().unwrap().len() >= total && bob_events.lock().unwrap().len() >= total
        });
        // Anything extra would arrive now.
        std::thread::sleep(Duration::from_millis(300));
        done.store(true, Ordering::Relaxed);
    });
    let sent = sent.into_inner().unwrap();
    assert_eq!(
        sent.len(),
        SENDER_THREADS * SENDS_PER_THREAD,
        "distinct request IDs"
    );
    let mut statuses: Vec<u64> = alice_events
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(
                (e.kind, e.code),
                (YimEventKind::SendMessageStatus, YimErrorCode::Success)
            );
            e.request_id
        })
        .collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        sent.keys().copied().collect::<Vec<_>>(),
        "one status per send"
    );
    let mut texts: Vec<String> = bob_events
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|e| {
            assert_eq!(e.kind, YimEventKind::RecvMessage);
            e.text
        })
        .collect();
    texts.sort();
    let mut expected: Vec<String> = sent.into_values().collect();
    expected.sort();
    assert_eq!(texts, expected, "each message exactly once");
}

#[test]
fn shutdown_wakes_a_thread_waiting_for_an_event() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    let handle = client.handle;
    let waiter = std::thread::spawn(move || {
        let started = Instant::now();
        let mut event = empty_event();
        // SAFETY: a whole event with its version.
        let code = unsafe { yim_wait_event(handle, &mut event, 60_000) };
        (code, started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(yim_shutdown(handle), YimErrorCode::Success);
    let (code, waited) = waiter.join().unwrap();
    assert_eq!(code, YimErrorCode::EngineNotInit);
    assert!(
        waited < Duration::from_secs(10),
        "woken, not timed out: {waited:?}"
    );
}

#[test]
fn a_game_that_stops_polling_loses_nothing() {
    const MESSAGES: usize = 200;
    let server = TestServer::start();
    let alice = TestClient::new(&Options::new(&server.addr));
    let mut bob_options = Options::new(&server.addr);
    // Far fewer than will come: the SDK stops reading from the server (backpressure).
    bob_options.raw.max_queued_events = 8;
    let bob = TestClient::new(&bob_options);
    alice.login("alice");
    bob.login("bob");
    alice.join("arena");
    bob.join("arena");
    // Bob's game stops polling while Alice sends.
    for i in 0..MESSAGES {
        let id = alice.send_text("arena", YimChatType::Room, &format!("m{i}"));
        assert_eq!(alice.completion(id).code, YimErrorCode::Success);
    }
    std::thread::sleep(Duration::from_millis(500));
    // It polls again: everything, in order, nothing else.
    for i in 0..MESSAGES {
        let message = bob.message();
        assert_eq!(message.text, format!("m{i}"));
        assert_eq!(message.room_seq, i as u64 + 1);
    }
    let quiet = bob.try_next_event(Duration::from_millis(500));
    assert_eq!(quiet, Err(YimErrorCode::TimeOut));
    // SAFETY: a NULL out-parameter is allowed.
    let code = unsafe { yim_logout(bob.handle, null_mut()) };
    assert_eq!(code, YimErrorCode::Success);
}
