//! Bad input across the C boundary gets a YIM code or a documented no-op, never undefined
//! behaviour or a panic: calls before `yim_init` and after `yim_shutdown`, NULL pointers,
//! invalid UTF-8, lengths that lie, misaligned out-parameters, bad option and event versions,
//! events freed twice, too many events not freed.
//!
//! Most need no server: `yim_init` does not connect, and every check here happens before the
//! SDK would.

// Calling a C interface from Rust is unsafe by nature; each block says why it is sound.
#![allow(unsafe_code)]

mod support;

use std::ffi::c_char;
use std::ptr::{null, null_mut};

use support::*;
use yim_ffi::*;

/// Every entry point, with good arguments, on `client`: (name, returned code).
fn every_call(client: YimClient) -> Vec<(&'static str, YimErrorCode)> {
    let (user, room, text) = (c"alice".as_ptr(), c"world".as_ptr(), c"hi".as_ptr());
    let path = c"/nonexistent/voice.wav".as_ptr();
    let mut id = 0u64;
    let mut playing = 0u8;
    let mut event = empty_event();
    let data = [1u8, 2, 3];
    let private = YimChatType::Private as u32;
    // SAFETY: every pointer is a live NUL-terminated string, a buffer with its length, or a
    // writable out-parameter.
    unsafe {
        vec![
            (
                "login",
                yim_login(client, user, c"pw".as_ptr(), null(), &mut id),
            ),
            ("logout", yim_logout(client, &mut id)),
            ("join", yim_join_chat_room(client, room, &mut id)),
            ("leave", yim_leave_chat_room(client, room, &mut id)),
            ("leave_all", yim_leave_all_chat_rooms(client, &mut id)),
            ("count", yim_get_room_member_count(client, room, &mut id)),
            (
                "text",
                yim_send_text_message(client, user, private, text, null(), &mut id),
            ),
            (
                "custom",
                yim_send_custom_message(client, user, private, data.as_ptr(), 3, &mut id),
            ),
            (
                "audio",
                yim_send_audio_message(client, user, private, &mut id),
            ),
            (
                "only_audio",
                yim_send_only_audio_message(client, user, private, &mut id),
            ),
            (
                "only_recognize",
                yim_set_only_recognize_speech_text(client, 1),
            ),
            (
                "stop_audio",
                yim_stop_audio_message(client, null(), &mut id),
            ),
            ("cancel_audio", yim_cancel_audio_message(client)),
            (
                "audio_file",
                yim_send_audio_file(client, user, private, path, 0, null(), &mut id),
            ),
            ("download", yim_download_audio(client, 1, path, &mut id)),
            ("play", yim_start_play_audio(client, path)),
            ("stop_play", yim_stop_play_audio(client)),
            ("is_playing", yim_is_playing(client, &mut playing)),
            ("volume", yim_set_volume(client, 0.5)),
            ("poll", yim_poll_event(client, &mut event)),
            ("wait", yim_wait_event(client, &mut event, 10)),
            ("shutdown", yim_shutdown(client)),
        ]
    }
}

#[test]
fn calls_before_init_and_after_shutdown_are_engine_not_init() {
    for handle in [YimClient { id: 0 }, YimClient { id: u64::MAX }] {
        for (name, code) in every_call(handle) {
            assert_eq!(code, YimErrorCode::EngineNotInit, "{name} on {handle:?}");
        }
    }
    let options = Options::new("127.0.0.1:9");
    let client = TestClient::new(&options);
    assert_eq!(yim_shutdown(client.handle), YimErrorCode::Success);
    for (name, code) in every_call(client.handle) {
        assert_eq!(code, YimErrorCode::EngineNotInit, "{name} after shutdown");
    }
    // A later client never gets the old handle back.
    let next = TestClient::new(&options);
    assert_ne!(next.handle, client.handle);
}

#[test]
fn null_pointers_are_param_invalid() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    let h = client.handle;
    let (room, text) = (c"world".as_ptr(), c"hi".as_ptr());
    let room_chat = YimChatType::Room as u32;
    let mut out = YimClient { id: 0 };
    let options = Options::new("127.0.0.1:9");
    // SAFETY: every pointer is NULL or live; NULL is what is under test.
    let codes = unsafe {
        [
            ("init options", yim_init(null(), &mut out)),
            ("init out", yim_init(&options.raw, null_mut())),
            (
                "login user",
                yim_login(h, null(), c"pw".as_ptr(), null(), null_mut()),
            ),
            (
                "login password",
                yim_login(h, c"a".as_ptr(), null(), null(), null_mut()),
            ),
            ("join", yim_join_chat_room(h, null(), null_mut())),
            ("leave", yim_leave_chat_room(h, null(), null_mut())),
            ("count", yim_get_room_member_count(h, null(), null_mut())),
            (
                "text receiver",
                yim_send_text_message(h, null(), room_chat, text, null(), null_mut()),
            ),
            (
                "text text",
                yim_send_text_message(h, room, room_chat, null(), null(), null_mut()),
            ),
            (
                "custom receiver",
                yim_send_custom_message(h, null(), room_chat, text.cast(), 2, null_mut()),
            ),
            (
                "custom content with a length",
                yim_send_custom_message(h, room, room_chat, null(), 2, null_mut()),
            ),
            (
                "audio",
                yim_send_audio_message(h, null(), room_chat, null_mut()),
            ),
            (
                "only audio",
                yim_send_only_audio_message(h, null(), room_chat, null_mut()),
            ),
            (
                "audio file path",
                yim_send_audio_file(h, room, room_chat, null(), 0, null(), null_mut()),
            ),
            (
                "download path",
                yim_download_audio(h, 1, null(), null_mut()),
            ),
            ("play path", yim_start_play_audio(h, null())),
            ("is_playing out", yim_is_playing(h, null_mut())),
            ("poll", yim_poll_event(h, null_mut())),
            ("wait", yim_wait_event(h, null_mut(), 10)),
            ("free", yim_free_event(null_mut())),
        ]
    };
    for (name, code) in codes {
        assert_eq!(code, YimErrorCode::ParamInvalid, "{name}");
    }
    assert!(
        yim_error_description(67).is_null(),
        "an unused number has no description"
    );
    // Optional strings and out-parameters may be NULL: this call passes the boundary and is
    // refused by the SDK for its own reason (not logged in).
    // SAFETY: live strings; NULL where documented as allowed.
    let code = unsafe { yim_send_text_message(h, room, room_chat, text, null(), null_mut()) };
    assert_eq!(code, YimErrorCode::NotLogin);
}

#[test]
fn invalid_utf8_and_unknown_numbers_are_refused() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    let h = client.handle;
    let bad: *const c_char = c"al\xffce".as_ptr();
    let room_chat = YimChatType::Room as u32;
    // SAFETY: NUL-terminated buffers.
    unsafe {
        assert_eq!(
            yim_login(h, bad, c"pw".as_ptr(), null(), null_mut()),
            YimErrorCode::ParamInvalid
        );
        assert_eq!(
            yim_send_text_message(h, c"world".as_ptr(), room_chat, bad, null(), null_mut()),
            YimErrorCode::ParamInvalid
        );
        assert_eq!(
            yim_send_text_message(h, c"world".as_ptr(), 7, c"hi".as_ptr(), null(), null_mut()),
            YimErrorCode::InvalidChatType
        );
        let mut options = Options::new("127.0.0.1:9");
        options.raw.app_key = bad;
        let mut out = YimClient { id: 0 };
        assert_eq!(yim_init(&options.raw, &mut out), YimErrorCode::ParamInvalid);
        for zone in [13, 9998, u32::MAX] {
            let mut options = Options::new("127.0.0.1:9");
            options.raw.zone = zone;
            assert_eq!(yim_init(&options.raw, &mut out), YimErrorCode::ParamInvalid);
        }
        let mut options = Options::new("127.0.0.1:9");
        options.raw.api_version = YIM_INIT_OPTIONS_API_LATEST + 1;
        assert_eq!(yim_init(&options.raw, &mut out), YimErrorCode::ParamInvalid);
        let mut options = Options::new("127.0.0.1:9");
        options.raw.audio_devices = YimAudioDevices::Simulated as u32;
        options.raw.simulated_speech = c"Hello, world!".as_ptr();
        assert_eq!(
            yim_init(&options.raw, &mut out),
            YimErrorCode::ParamInvalid,
            "simulated speech outside the tone code's alphabet"
        );
        assert_eq!(out, YimClient { id: 0 }, "a failed init writes no handle");
    }
    assert_eq!(yim_set_volume(h, f32::NAN), YimErrorCode::ParamInvalid);
    assert_eq!(yim_set_volume(h, 1.5), YimErrorCode::ParamInvalid);
}

#[test]
fn lengths_that_lie_are_caught_before_reading() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    let h = client.handle;
    let room = c"world".as_ptr();
    let room_chat = YimChatType::Room as u32;
    // A length no buffer has, with a pointer to nothing: refused before any byte is read.
    let dangling = std::ptr::dangling::<u8>();
    // SAFETY: the over-long lengths must be refused before `dangling` is read.
    unsafe {
        for len in [2049, 1 << 40, usize::MAX] {
            assert_eq!(
                yim_send_custom_message(h, room, room_chat, dangling, len, null_mut()),
                YimErrorCode::MessageTooLong,
                "{len}"
            );
        }
    }
    // A string whose terminator is missing: the scan stops at the limit, inside the buffer.
    let unterminated = vec![b'a'; YIM_MAX_C_STRING_BYTES as usize + 1];
    // SAFETY: the buffer holds all the bytes the scan may read.
    let code = unsafe {
        yim_send_text_message(
            h,
            room,
            room_chat,
            unterminated.as_ptr().cast(),
            null(),
            null_mut(),
        )
    };
    assert_eq!(code, YimErrorCode::ParamInvalid);
    // A text over YIM's 2048 bytes but under the scan limit is the SDK's MESSAGE_TOO_LONG
    // (checked after NOT_LOGIN, so log in first).
    let server = TestServer::start();
    let client = TestClient::new(&Options::new(&server.addr));
    client.login("alice");
    client.join("world");
    let long = c(&"x".repeat(2049));
    // SAFETY: live strings.
    let code = unsafe {
        yim_send_text_message(
            client.handle,
            room,
            room_chat,
            long.as_ptr(),
            null(),
            null_mut(),
        )
    };
    assert_eq!(code, YimErrorCode::MessageTooLong);
}

#[test]
fn a_misaligned_out_parameter_refuses_the_call_before_it_is_made() {
    let server = TestServer::start();
    let client = TestClient::new(&Options::new(&server.addr));
    let mut words = [0u64; 2];
    let misaligned = words
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(1)
        .cast::<u64>();
    // SAFETY: strings are live; the misaligned pointer is never written to.
    let code = unsafe {
        yim_login(
            client.handle,
            c"alice".as_ptr(),
            c"pw".as_ptr(),
            null(),
            misaligned,
        )
    };
    assert_eq!(code, YimErrorCode::ParamInvalid);
    assert_eq!(words, [0, 0], "nothing written");
    // The refused call was never made: the next one is accepted as the first.
    client.login("alice");
    let mut misaligned_event = [0u64; 64];
    let event = misaligned_event
        .as_mut_ptr()
        .cast::<u8>()
        .wrapping_add(4)
        .cast::<YimEvent>();
    // SAFETY: never dereferenced: refused for its alignment.
    assert_eq!(
        unsafe { yim_poll_event(client.handle, event) },
        YimErrorCode::ParamInvalid
    );
}

#[test]
fn freeing_an_event_twice_or_a_copy_or_an_empty_struct_is_a_harmless_param_invalid() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    // A login to a port nobody listens on completes with a failure: one event to play with.
    let mut id = 0;
    // SAFETY: live strings, writable ID.
    let code = unsafe {
        yim_login(
            client.handle,
            c"alice".as_ptr(),
            c"pw".as_ptr(),
            null(),
            &mut id,
        )
    };
    assert_eq!(code, YimErrorCode::Success);
    let mut event = empty_event();
    // SAFETY: a whole event with its version.
    let code = unsafe { yim_wait_event(client.handle, &mut event, 10_000) };
    assert_eq!(code, YimErrorCode::Success);
    assert_eq!((event.kind, event.request_id), (YimEventKind::Login, id));
    assert_ne!(event.code, YimErrorCode::Success);
    let copy = event;
    assert_eq!(unfreed_events(client.handle.id), 1);
    // SAFETY: (all frees below) whole event structs.
    unsafe {
        assert_eq!(yim_free_event(&mut event), YimErrorCode::Success);
        assert_eq!(event.kind, YimEventKind::None, "zeroed");
        assert_eq!(event.handle, 0);
        assert_eq!(yim_free_event(&mut event), YimErrorCode::ParamInvalid);
        let mut copy = copy;
        assert_eq!(yim_free_event(&mut copy), YimErrorCode::ParamInvalid);
        let mut never_filled = empty_event();
        assert_eq!(
            yim_free_event(&mut never_filled),
            YimErrorCode::ParamInvalid
        );
        let mut forged = empty_event();
        forged.handle = u64::MAX;
        assert_eq!(yim_free_event(&mut forged), YimErrorCode::ParamInvalid);
    }
    assert_eq!(unfreed_events(client.handle.id), 0);
    // Nothing is waiting now: polling says so and leaves the struct alone.
    let mut event = empty_event();
    // SAFETY: a whole event with its version.
    let code = unsafe { yim_poll_event(client.handle, &mut event) };
    assert_eq!(code, YimErrorCode::TimeOut);
    assert_eq!(event.kind, YimEventKind::None);
    // A struct of an unknown version is refused.
    let mut event = empty_event();
    event.api_version = 0;
    // SAFETY: as above.
    let code = unsafe { yim_poll_event(client.handle, &mut event) };
    assert_eq!(code, YimErrorCode::ParamInvalid);
}

#[test]
fn an_event_stays_valid_after_its_client_shuts_down() {
    let client = TestClient::new(&Options::new("127.0.0.1:9"));
    // SAFETY: live strings.
    let code = unsafe {
        yim_login(
            client.handle,
            c"alice".as_ptr(),
            c"pw".as_ptr(),
            null(),
            null_mut(),
        )
    };
    assert_eq!(code, YimErrorCode::Success);
    let mut event = empty_event();
    // SAFETY: a whole event with its version.
    let code = unsafe { yim_wait_event(client.handle, &mut event, 10_000) };
    assert_eq!(code, YimErrorCode::Success);
    assert_eq!(yim_shutdown(client.handle), YimErrorCode::Success);
    let owned = take(&mut event);
    assert_eq!(owned.user_id, "alice");
}

#[test]
fn too_many_unfreed_events_is_status_error_until_some_are_freed() {
    let server = TestServer::start();
    let client = TestClient::new(&Options::new(&server.addr));
    client.login("alice");
    client.join("solo");
    // Sends to a room with no one else in it: each gives one status and nothing else.
    let max = YIM_MAX_UNFREED_EVENTS as usize;
    let mut held = Vec::new();
    while held.len() < max {
        let batch = (max - held.len()).min(256);
        for _ in 0..batch {
            client.send_text("solo", YimChatType::Room, "x");
        }
        for _ in 0..batch {
            let mut event = empty_event();
            // SAFETY: a whole event with its version.
            let code = unsafe { yim_wait_event(client.handle, &mut event, 10_000) };
            assert_eq!(code, YimErrorCode::Success);
            held.push(event);
        }
    }
    client.send_text("solo", YimChatType::Room, "one more");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut event = empty_event();
    // SAFETY: a whole event with its version.
    let code = unsafe { yim_poll_event(client.handle, &mut event) };
    assert_eq!(
        code,
        YimErrorCode::StatusError,
        "bound reached: nothing taken"
    );
    assert_eq!(unfreed_events(client.handle.id), max);
    // Freeing one makes room, and the event that waited is still there.
    let mut first = held.remove(0);
    // SAFETY: a filled event.
    assert_eq!(unsafe { yim_free_event(&mut first) }, YimErrorCode::Success);
    let waited = client.next_event();
    assert_eq!(waited.kind, YimEventKind::SendMessageStatus);
    for mut event in held {
        // SAFETY: filled events.
        assert_eq!(unsafe { yim_free_event(&mut event) }, YimErrorCode::Success);
    }
    assert_eq!(unfreed_events(client.handle.id), 0);
}
