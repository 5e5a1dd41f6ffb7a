//! YIM's calls as flat C functions, each a thin mapping onto one `yim_sdk::Client` method.
//!
//! What it is: every entry point except the pump, each in the same four steps: read and check
//! the game's arguments (`boundary`), find the live client (`instance`), make the SDK call
//! inside the client's runtime, write the request ID through the out-parameter. Every one runs
//! in `guard`, so nothing unwinds into the game. What it is not: any rule of YIM's (the SDK
//! decides every code but the boundary's own: `PARAM_INVALID` for bad pointers and strings,
//! `ENGINE_NOT_INIT` for a handle that is not a live client).
//!
//! Conventions for every call below: strings are UTF-8 and NUL-terminated, copied during the
//! call; a NULL required string is `PARAM_INVALID`, a NULL optional one (documented as such)
//! reads as "". `out_request_id` may be NULL; otherwise it receives the request ID that the
//! call's one completion event will carry. A call that returns anything but `SUCCESS` did
//! nothing, and no event will follow for it. Calls may be made from any thread, at once.

use std::ffi::c_char;
use std::sync::atomic::Ordering;

use std::path::Path;
use yim_proto::limits::MAX_CUSTOM_BYTES;

use yim_sdk::{Client, Error, Recognize, Request, RequestId};

use crate::boundary::{
    bytes, check_out, check_required, guard, guard_value, optional_str, required_str, write_out,
};
use crate::codes::{chat_type_from_u32, description, YimErrorCode};
use crate::instance::{self, YimClient};
use crate::options::{read_init, YimInitOptions};

/// What an SDK call that starts a request returns: its request ID. The game takes the
/// completion from the pump, so an awaitable `Request` is dropped (its completion still goes to
/// the event stream).
trait Started {
    fn request_id(&self) -> RequestId;
}

impl<T> Started for Request<T> {
    fn request_id(&self) -> RequestId {
        Request::request_id(self)
    }
}

impl Started for RequestId {
    fn request_id(&self) -> RequestId {
        *self
    }
}

/// Makes one SDK call for `client`: inside its runtime, the request ID written to
/// `out_request_id`, which is checked before the call is made.
///
/// # Safety
///
/// `out_request_id` is NULL or points to a writable `uint64_t`.
unsafe fn request<S: Started>(
    client: YimClient,
    out_request_id: *mut u64,
    call: impl FnOnce(&Client) -> Result<S, Error>,
) -> Result<(), YimErrorCode> {
    check_out(out_request_id)?;
    let instance = instance::get(client)?;
    let _in_runtime = instance.enter();
    let request_id = call(&instance.client)?.request_id();
    // SAFETY: checked above; writable by the caller's contract.
    unsafe { write_out(out_request_id, request_id.get()) };
    Ok(())
}

/// Makes one SDK call for `client` that returns no request ID, inside its runtime.
fn act(
    client: YimClient,
    call: impl FnOnce(&Client) -> Result<(), Error>,
) -> Result<(), YimErrorCode> {
    let instance = instance::get(client)?;
    let _in_runtime = instance.enter();
    call(&instance.client).map_err(YimErrorCode::from)
}

/// Starts a client: its own runtime (two worker threads), YIM's `Init(appKey, appSecret,
/// zone)` with `server_address` as the zone's server. Writes the new handle to `*out_client`.
/// Several clients may live at once (up to 64), each with its own user and events. Fails with
/// `PARAM_INVALID` for bad options, `UNSUPPORT` (31) for real audio devices in a library built
/// without them, `INIT_FAILED` (50) when no more clients or threads can be started.
///
/// # Safety
///
/// `options` is NULL or points to a `YimInitOptions` of its `api_version`; `out_client` is
/// NULL or points to a writable `YimClient`.
#[no_mangle]
pub unsafe extern "C" fn yim_init(
    options: *const YimInitOptions,
    out_client: *mut YimClient,
) -> YimErrorCode {
    guard(|| {
        check_required(options)?;
        check_required(out_client)?;
        // SAFETY: not NULL, aligned; the rest is the caller's contract.
        let settings = unsafe { read_init(options) }?;
        let client = instance::create(&settings)?;
        // SAFETY: checked above; writable by the caller's contract.
        unsafe { write_out(out_client, client) };
        Ok(())
    })
}

/// Stops a client: the handle stops working at once (later calls: `ENGINE_NOT_INIT`), pending
/// calls end, the connection closes, the client's threads stop. Events not yet polled are
/// dropped; events polled and not yet freed stay valid until freed. A second shutdown of the
/// same handle is `ENGINE_NOT_INIT` and does nothing.
#[no_mangle]
pub extern "C" fn yim_shutdown(client: YimClient) -> YimErrorCode {
    guard(|| instance::destroy(client))
}

/// This library's version: major * 10000 + minor * 100 + patch.
#[no_mangle]
pub extern "C" fn yim_get_sdk_version() -> u32 {
    let part = |s: &str| s.parse::<u32>().unwrap_or(0);
    part(env!("CARGO_PKG_VERSION_MAJOR")) * 10_000
        + part(env!("CARGO_PKG_VERSION_MINOR")) * 100
        + part(env!("CARGO_PKG_VERSION_PATCH"))
}

/// YIM's short English description of an error code: a static NUL-terminated string (never
/// freed), or NULL for a number YIM does not use.
#[no_mangle]
pub extern "C" fn yim_error_description(code: u32) -> *const c_char {
    guard_value(std::ptr::null(), || {
        description(code).unwrap_or(std::ptr::null())
    })
}

/// YIM `Login(userID, password, token)`: logs the client in (the first login registers the
/// user); completes with `YIM_EVENT_KIND_LOGIN`. `token` is optional.
///
/// # Safety
///
/// String arguments are NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_login(
    client: YimClient,
    user_id: *const c_char,
    password: *const c_char,
    token: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: (strings and out-parameter) the caller's contract.
        unsafe {
            let (user_id, password) = (required_str(user_id)?, required_str(password)?);
            let token = optional_str(token)?;
            request(client, out_request_id, |c| {
                c.login(user_id, password, token)
            })
        }
    })
}

/// YIM `Logout()`; completes with `YIM_EVENT_KIND_LOGOUT`.
///
/// # Safety
///
/// `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_logout(client: YimClient, out_request_id: *mut u64) -> YimErrorCode {
    // SAFETY: the caller's contract.
    guard(|| unsafe { request(client, out_request_id, Client::logout) })
}

/// YIM `JoinChatRoom(roomID)` (the room is created on first join); completes with
/// `YIM_EVENT_KIND_JOIN_CHAT_ROOM`.
///
/// # Safety
///
/// `room_id` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_join_chat_room(
    client: YimClient,
    room_id: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            let room_id = required_str(room_id)?;
            request(client, out_request_id, |c| c.join_chat_room(room_id))
        }
    })
}

/// YIM `LeaveChatRoom(roomID)`; completes with `YIM_EVENT_KIND_LEAVE_CHAT_ROOM`.
///
/// # Safety
///
/// `room_id` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_leave_chat_room(
    client: YimClient,
    room_id: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            let room_id = required_str(room_id)?;
            request(client, out_request_id, |c| c.leave_chat_room(room_id))
        }
    })
}

/// YIM `LeaveAllChatRooms()`; completes with `YIM_EVENT_KIND_LEAVE_ALL_CHAT_ROOMS`.
///
/// # Safety
///
/// `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_leave_all_chat_rooms(
    client: YimClient,
    out_request_id: *mut u64,
) -> YimErrorCode {
    // SAFETY: the caller's contract.
    guard(|| unsafe { request(client, out_request_id, Client::leave_all_chat_rooms) })
}

/// YIM `GetRoomMemberCount(roomID)` of a joined room; completes with
/// `YIM_EVENT_KIND_ROOM_MEMBER_COUNT`.
///
/// # Safety
///
/// `room_id` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_get_room_member_count(
    client: YimClient,
    room_id: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            let room_id = required_str(room_id)?;
            request(client, out_request_id, |c| c.get_room_member_count(room_id))
        }
    })
}

/// YIM `SendTextMessage(receiverID, chatType, text, attachParam, &requestID)`: a text (at
/// most 2048 bytes) with an optional attach parameter (at most 1024 bytes) to a user
/// (`chat_type` 1) or a joined room (2); completes with `YIM_EVENT_KIND_SEND_MESSAGE_STATUS`.
///
/// # Safety
///
/// String arguments are NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_send_text_message(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    text: *const c_char,
    attach: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        let chat_type = chat_type_from_u32(chat_type)?;
        // SAFETY: the caller's contract.
        unsafe {
            let (receiver_id, text) = (required_str(receiver_id)?, required_str(text)?);
            let attach = optional_str(attach)?;
            request(client, out_request_id, |c| {
                c.send_text_message(receiver_id, chat_type, text, attach)
            })
        }
    })
}

/// YIM `SendCustomMessage(receiverID, chatType, content, size, &requestID)`: up to 2048
/// arbitrary bytes (NULs included); completes with `YIM_EVENT_KIND_SEND_MESSAGE_STATUS`. A
/// `content_len` over 2048 is `MESSAGE_TOO_LONG` (17), found before `content` is read.
///
/// # Safety
///
/// `receiver_id` is NULL or NUL-terminated; `content` is NULL (with `content_len` 0) or
/// points to `content_len` readable bytes; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_send_custom_message(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    content: *const u8,
    content_len: usize,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        let chat_type = chat_type_from_u32(chat_type)?;
        // SAFETY: the caller's contract.
        unsafe {
            let receiver_id = required_str(receiver_id)?;
            let too_long = YimErrorCode::MessageTooLong;
            let content = bytes(content, content_len, MAX_CUSTOM_BYTES, too_long)?;
            request(client, out_request_id, |c| {
                c.send_custom_message(receiver_id, chat_type, content)
            })
        }
    })
}

/// Starts recording a voice message, with speech to text if `recognize_text`.
///
/// # Safety
///
/// As `yim_send_audio_message`.
unsafe fn start_record(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    recognize_text: bool,
    out_request_id: *mut u64,
) -> Result<(), YimErrorCode> {
    let chat_type = chat_type_from_u32(chat_type)?;
    // SAFETY: the caller's contract.
    unsafe {
        let receiver_id = required_str(receiver_id)?;
        let only = instance::get(client)?
            .only_recognize_text
            .load(Ordering::Relaxed);
        request(client, out_request_id, |c| {
            let recognize = match (only, recognize_text) {
                (true, _) => Recognize::Only,
                (false, true) => Recognize::AlongWithSend,
                (false, false) => Recognize::No,
            };
            c.start_record_audio_message(receiver_id, chat_type, recognize)
        })
    }
}

/// YIM `SendAudioMessage(receiverID, chatType, &requestID)`: starts recording a voice message
/// with speech to text; `yim_stop_audio_message` sends it, `yim_cancel_audio_message`
/// discards it. Already recording: `PTT_IS_SPEECHING` (2007); no microphone:
/// `PTT_NO_AUDIO_DEVICE` (2026). At 60 s it stops and sends by itself.
///
/// # Safety
///
/// `receiver_id` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_send_audio_message(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    out_request_id: *mut u64,
) -> YimErrorCode {
    // SAFETY: the caller's contract.
    guard(|| unsafe { start_record(client, receiver_id, chat_type, true, out_request_id) })
}

/// YIM `SendOnlyAudioMessage`: as `yim_send_audio_message`, without speech to text.
///
/// # Safety
///
/// `receiver_id` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_send_only_audio_message(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    out_request_id: *mut u64,
) -> YimErrorCode {
    // SAFETY: the caller's contract.
    guard(|| unsafe { start_record(client, receiver_id, chat_type, false, out_request_id) })
}

/// YIM `SetOnlyRecognizeSpeechText(bool)`: while `only` is not 0, recordings started are
/// recognised and not sent; their result is one `YIM_EVENT_KIND_RECOGNIZE_TEXT`.
#[no_mangle]
pub extern "C" fn yim_set_only_recognize_speech_text(client: YimClient, only: u8) -> YimErrorCode {
    guard(|| {
        let instance = instance::get(client)?;
        instance
            .only_recognize_text
            .store(only != 0, Ordering::Relaxed);
        Ok(())
    })
}

/// YIM `StopAudioMessage(extraParam)`: stops the recording and sends it with the optional
/// `extra_param`: `YIM_EVENT_KIND_START_SEND_AUDIO` (only if the recording succeeded), then
/// exactly one `YIM_EVENT_KIND_SEND_AUDIO_STATUS`; in recognise-only mode one
/// `YIM_EVENT_KIND_RECOGNIZE_TEXT`. Writes the recording's request ID. Nothing recording:
/// `PTT_NOT_START_RECORD` (2016).
///
/// # Safety
///
/// `extra_param` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_stop_audio_message(
    client: YimClient,
    extra_param: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            let extra_param = optional_str(extra_param)?;
            request(client, out_request_id, |c| {
                c.stop_and_send_audio_message(extra_param)
            })
        }
    })
}

/// YIM `CancleAudioMessage`: discards the recording; nothing is sent and no event comes for
/// it. Nothing recording: `PTT_NOT_START_RECORD` (2016).
#[no_mangle]
pub extern "C" fn yim_cancel_audio_message(client: YimClient) -> YimErrorCode {
    guard(|| act(client, Client::cancel_audio_message))
}

/// Sends the WAV file at `wav_path` as a voice message, as if just recorded (its first 60
/// s): the same events as a recording. Speech to text when `recognize_text` is not 0;
/// `extra_param` is optional. Missing file: `PTT_FILE_NOT_EXIST` (2008); not a WAV:
/// `PTT_UNSUPPRT_FORMAT` (2022). (Not in YIM.)
///
/// # Safety
///
/// String arguments are NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_send_audio_file(
    client: YimClient,
    receiver_id: *const c_char,
    chat_type: u32,
    wav_path: *const c_char,
    recognize_text: u8,
    extra_param: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        let chat_type = chat_type_from_u32(chat_type)?;
        // SAFETY: the caller's contract.
        unsafe {
            let (receiver_id, wav_path) = (required_str(receiver_id)?, required_str(wav_path)?);
            let extra_param = optional_str(extra_param)?;
            request(client, out_request_id, |c| {
                c.send_audio_file(
                    receiver_id,
                    chat_type,
                    Path::new(wav_path),
                    if recognize_text != 0 {
                        Recognize::AlongWithSend
                    } else {
                        Recognize::No
                    },
                    extra_param,
                )
            })
        }
    })
}

/// YIM `DownloadFile(messageID, savePath)` for a voice message: saves its audio as a WAV at
/// `save_path` (directories are created); completes with `YIM_EVENT_KIND_DOWNLOAD_AUDIO`.
///
/// # Safety
///
/// `save_path` is NULL or NUL-terminated; `out_request_id` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn yim_download_audio(
    client: YimClient,
    message_id: u64,
    save_path: *const c_char,
    out_request_id: *mut u64,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        unsafe {
            let save_path = required_str(save_path)?;
            request(client, out_request_id, |c| {
                c.download_audio(message_id, Path::new(save_path))
            })
        }
    })
}

/// YIM `StartPlayAudio(path)`: plays a WAV; ends with `YIM_EVENT_KIND_PLAY_COMPLETION`.
/// Missing file: `PTT_FILE_NOT_EXIST` (2008); not a WAV: `PTT_UNSUPPRT_FORMAT` (2022).
///
/// # Safety
///
/// `path` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn yim_start_play_audio(
    client: YimClient,
    path: *const c_char,
) -> YimErrorCode {
    guard(|| {
        // SAFETY: the caller's contract.
        let path = unsafe { required_str(path) }?;
        act(client, |c| c.start_play_audio(Path::new(path)))
    })
}

/// YIM `StopPlayAudio`: stops playback (its completion says `PTT_CANCEL_PLAY`, 2015). Nothing
/// playing: `PTT_NOT_START_PLAY` (2014).
#[no_mangle]
pub extern "C" fn yim_stop_play_audio(client: YimClient) -> YimErrorCode {
    guard(|| act(client, Client::stop_play_audio))
}

/// YIM `IsPlaying`: writes 1 to `*out_playing` while a playback runs, else 0.
///
/// # Safety
///
/// `out_playing` is NULL or points to a writable byte.
#[no_mangle]
pub unsafe extern "C" fn yim_is_playing(client: YimClient, out_playing: *mut u8) -> YimErrorCode {
    guard(|| {
        check_required(out_playing)?;
        let instance = instance::get(client)?;
        let playing = u8::from(instance.client.is_playing());
        // SAFETY: checked above; writable by the caller's contract.
        unsafe { write_out(out_playing, playing) };
        Ok(())
    })
}

/// YIM `SetVolume(0.0-1.0)` of this and later playbacks; out of range or NaN: `PARAM_INVALID`.
#[no_mangle]
pub extern "C" fn yim_set_volume(client: YimClient, volume: f32) -> YimErrorCode {
    guard(|| act(client, |c| c.set_volume(volume)))
}
