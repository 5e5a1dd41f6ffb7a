//! The option structs a game fills in (`YimInitOptions`), their version numbers, and reading
//! them into plain Rust settings.
//!
//! What it is: EOS's rule for growing a C API without breaking old binaries. Every option
//! struct starts with `api_version`, which the game sets to the `..._API_LATEST` constant of
//! the header it was compiled against; the SDK reads only the fields that version has, and a
//! later version only ever appends fields. What it is not: what the settings do (see
//! `instance` and `audio`).

use std::ffi::c_char;
use std::path::PathBuf;

use yim_sdk::ServerZone;

use crate::boundary::{optional_str, required_str};
use crate::codes::{zone_from_u32, YimErrorCode};

/// The `api_version` of `YimInitOptions` this header describes.
pub const YIM_INIT_OPTIONS_API_LATEST: u32 = 1;

/// Where voice messages' audio comes from and goes (`YimInitOptions.audio_devices`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum YimAudioDevices {
    /// No microphone or speaker: recording and playback fail with `PTT_NO_AUDIO_DEVICE`
    /// (2026); sending WAV files and downloading still work.
    None = 0,
    /// The system's default microphone and speaker. Only in a library built with the `cpal`
    /// feature; otherwise `yim_init` fails with `UNSUPPORT` (31).
    System = 1,
    /// For tests and headless bots: a synthetic microphone that says
    /// `YimInitOptions.simulated_speech` in a tone code, a silent speaker that plays in real
    /// time (16 kHz mono), and a recogniser that reads the tone code back as text.
    Simulated = 2,
}

/// How to start a client (`yim_init`), YIM's `Init(appKey, appSecret, zone)` plus the server
/// address (YIM's `SetLoginAddress`). Strings are UTF-8 and NUL-terminated; they are copied
/// during the call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct YimInitOptions {
    /// Set to `YIM_INIT_OPTIONS_API_LATEST`.
    pub api_version: u32,
    /// The app key from the server's configuration. Required.
    pub app_key: *const c_char,
    /// The app's secret (proves the app to the server; never sent). Required.
    pub app_secret: *const c_char,
    /// A `YimServerZone` number (YIM's); the client connects to `server_address` for it.
    pub zone: u32,
    /// The server, "host:port". Required.
    pub server_address: *const c_char,
    /// A `YimAudioDevices` number.
    pub audio_devices: u32,
    /// Where recordings' WAV files are kept (YIM's `SetAudioCacheDir`); created if missing.
    /// NULL: no local file for simulated audio, the system temporary directory for real
    /// devices.
    pub audio_cache_dir: *const c_char,
    /// With `YIM_AUDIO_DEVICES_SIMULATED`: what the microphone says (a-z, 0-9 and spaces).
    /// Otherwise ignored; may be NULL.
    pub simulated_speech: *const c_char,
    /// Events waiting to be polled past which the client stops reading from the server (see
    /// the README's "When the game stops polling"). 0: the default, 4096.
    pub max_queued_events: u32,
}

/// `YimInitOptions`, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitSettings {
    pub app_key: String,
    pub app_secret: String,
    pub zone: ServerZone,
    pub server_address: String,
    pub audio: AudioSettings,
    /// `None`: the SDK's default.
    pub max_queued_events: Option<usize>,
}

/// What audio a client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSettings {
    None,
    System {
        cache_dir: Option<PathBuf>,
    },
    Simulated {
        speech: String,
        cache_dir: Option<PathBuf>,
    },
}

/// Reads the options: an unknown `api_version`, a missing or bad string, an unknown zone or
/// audio mode are `ParamInvalid`.
///
/// # Safety
///
/// `options` is not NULL, aligned, and points to a `YimInitOptions` of at least the version
/// its `api_version` says, whose strings follow `boundary::required_str`'s contract.
pub unsafe fn read_init(options: *const YimInitOptions) -> Result<InitSettings, YimErrorCode> {
    // SAFETY: every version starts with `api_version`, so reading it alone is in bounds; a
    // u32 is valid for any bits.
    let api_version = unsafe { std::ptr::addr_of!((*options).api_version).read() };
    if api_version != YIM_INIT_OPTIONS_API_LATEST {
        return Err(YimErrorCode::ParamInvalid);
    }
    // SAFETY: version 1 is the whole struct, which the caller provides; its fields are
    // integers and raw pointers, valid for any bits.
    let o = unsafe { options.read() };
    // SAFETY: (the string reads below) the caller's contract for the struct's strings.
    let (app_key, app_secret, server_address) = unsafe {
        (
            required_str(o.app_key)?,
            required_str(o.app_secret)?,
            required_str(o.server_address)?,
        )
    };
    // SAFETY: as above.
    let cache_dir = unsafe { optional_str(o.audio_cache_dir) }?;
    let cache_dir = (!cache_dir.is_empty()).then(|| PathBuf::from(cache_dir));
    let audio = match o.audio_devices {
        0 => AudioSettings::None,
        1 => AudioSettings::System { cache_dir },
        2 => {
            // SAFETY: as above.
            let speech = unsafe { required_str(o.simulated_speech) }?;
            AudioSettings::Simulated {
                speech: speech.to_owned(),
                cache_dir,
            }
        }
        _ => return Err(YimErrorCode::ParamInvalid),
    };
    Ok(InitSettings {
        app_key: app_key.to_owned(),
        app_secret: app_secret.to_owned(),
        zone: zone_from_u32(o.zone)?,
        server_address: server_address.to_owned(),
        audio,
        max_queued_events: (o.max_queued_events > 0)
            .then(|| usize::try_from(o.max_queued_events).unwrap_or(usize::MAX)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> YimInitOptions {
        YimInitOptions {
            api_version: YIM_INIT_OPTIONS_API_LATEST,
            app_key: c"game_app".as_ptr(),
            app_secret: c"game_secret".as_ptr(),
            zone: 0,
            server_address: c"127.0.0.1:5000".as_ptr(),
            audio_devices: 0,
            audio_cache_dir: std::ptr::null(),
            simulated_speech: std::ptr::null(),
            max_queued_events: 0,
        }
    }

    fn read(o: YimInitOptions) -> Result<InitSettings, YimErrorCode> {
        // SAFETY: a whole, aligned struct whose strings are static C strings or NULL.
        unsafe { read_init(&o) }
    }

    #[test]
    fn good_options_are_read() {
        let settings = read(options()).unwrap();
        assert_eq!(settings.app_key, "game_app");
        assert_eq!(settings.zone, ServerZone::China);
        assert_eq!(settings.audio, AudioSettings::None);
        assert_eq!(settings.max_queued_events, None);
    }

    #[test]
    fn bad_options_are_param_invalid() {
        let bad = [
            YimInitOptions {
                api_version: 0,
                ..options()
            },
            YimInitOptions {
                api_version: 2,
                ..options()
            },
            YimInitOptions {
                app_key: std::ptr::null(),
                ..options()
            },
            YimInitOptions {
                zone: 13,
                ..options()
            },
            YimInitOptions {
                audio_devices: 3,
                ..options()
            },
            // Simulated audio must say what it says.
            YimInitOptions {
                audio_devices: 2,
                ..options()
            },
        ];
        for o in bad {
            assert_eq!(read(o), Err(YimErrorCode::ParamInvalid), "{o:?}");
        }
    }
}
