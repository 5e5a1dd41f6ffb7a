//! The C enums: YIM's error codes, chat types, server zones and message body types, with
//! YIM's numbers, and their conversions to and from the SDK's types.
//!
//! What it is: plain `#[repr(u32)]` enums that cbindgen turns into C enums and csbindgen into
//! C# enums. Values the SDK writes (return codes, event fields) use these types; values the
//! game passes in (a chat type, a zone) are taken as `uint32_t` and checked here, because a
//! Rust enum holding a number it does not list would be undefined behaviour. What it is not:
//! the calls (see `calls`) or the events (see `event`).

use std::collections::BTreeMap;
use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use yim_proto::{ChatType, ErrorCode};
use yim_sdk::ServerZone;

/// YIM's error codes (`YIMErrorcode`) with YIM's numbers: every value of
/// `yim_proto::ErrorCode`. Every call returns one; `YIM_ERROR_CODE_SUCCESS` (0) means accepted,
/// anything else means nothing was done and no event will follow. Completion events carry one in
/// `YimEvent.code`. Numbers never change; 67-999 and 1002-1999 are unused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u32)]
pub enum YimErrorCode {
    /// Success.
    Success = 0,
    /// SDK not initialised.
    EngineNotInit = 1,
    /// Not logged in (also during reconnect).
    NotLogin = 2,
    /// Bad parameter.
    ParamInvalid = 3,
    /// The server did not answer in time.
    TimeOut = 4,
    /// Wrong state for this call.
    StatusError = 5,
    /// SDK or app key validation failed.
    SDKInvalid = 6,
    /// Already logged in.
    AlreadyLogin = 7,
    /// Server error.
    ServerError = 8,
    /// Network error.
    NetError = 9,
    /// Login session error.
    LoginSessionError = 10,
    /// SDK not started.
    NotStartUp = 11,
    /// File does not exist.
    FileNotExist = 12,
    /// Sending the file failed.
    SendFileError = 13,
    /// Upload failed.
    UploadFailed = 14,
    /// Password differs from the one used at the first login.
    UsernamePasswordError = 15,
    /// Invalid user status.
    UserStatusError = 16,
    /// Message text longer than 2 KB.
    MessageTooLong = 17,
    /// Receiver ID too long.
    ReceiverTooLong = 18,
    /// Invalid chat type.
    InvalidChatType = 19,
    /// Invalid receiver.
    InvalidReceiver = 20,
    /// Unknown error.
    UnknowError = 21,
    /// Invalid app key.
    InvalidAppkey = 22,
    /// Muted: see the forbid fields.
    ForbiddenSpeak = 23,
    /// Could not create the file.
    CreateFileFailed = 24,
    /// Unsupported format.
    UnsupportFormat = 25,
    /// Receiver is empty.
    ReceiverEmpty = 26,
    /// Room ID too long.
    RoomIDTooLong = 27,
    /// Content is illegal.
    ContentInvalid = 28,
    /// Location permission is off.
    NoLocationAuthrize = 29,
    /// Unknown location.
    UnknowLocation = 30,
    /// API not supported.
    Unsupport = 31,
    /// No audio device.
    NoAudioDevice = 32,
    /// Audio driver error.
    AudioDriver = 33,
    /// Device status invalid.
    DeviceStatusInvalid = 34,
    /// Could not parse the file.
    ResolveFileError = 35,
    /// File read or write error.
    ReadWriteFileError = 36,
    /// No language code.
    NoLangCode = 37,
    /// Translation unavailable.
    TranslateUnable = 38,
    /// Speech accent invalid.
    SpeechAccentInvalid = 39,
    /// Speech language invalid.
    SpeechLanguageInvalid = 40,
    /// Text contains illegal words.
    HasIllegalText = 41,
    /// Message looks like advertising.
    AdvertisementMessage = 42,
    /// User already blocked.
    AlreadyBlock = 43,
    /// User not blocked.
    NotBlock = 44,
    /// Message blocked.
    MessageBlocked = 45,
    /// Location timed out.
    LocationTimeout = 46,
    /// Not a member of the room.
    NotJoinRoom = 47,
    /// Login token invalid or expired.
    LoginTokenInvalid = 48,
    /// Could not create the directory.
    CreateDirectoryFailed = 49,
    /// Initialisation failed.
    InitFailed = 50,
    /// Disconnected from the server.
    Disconnect = 51,
    /// Same parameter as before.
    TheSameParam = 52,
    /// Querying user info failed.
    QueryUserInfoFail = 53,
    /// Setting user info failed.
    SetUserInfoFail = 54,
    /// Updating online state failed.
    UpdateUserOnlineStateFail = 55,
    /// Nickname longer than 64 bytes.
    NickNameTooLong = 56,
    /// Signature longer than 120 bytes.
    SignatureTooLong = 57,
    /// Friend request needs verification.
    NeedFriendVerify = 58,
    /// Friend request refused.
    BeRefuse = 59,
    /// User info not registered.
    HasNotRegisterUserInfo = 60,
    /// Already a friend.
    AlreadyFriend = 61,
    /// Not a friend.
    NotFriend = 62,
    /// Not in the blacklist.
    NotBlack = 63,
    /// Photo URL longer than 500 bytes.
    PhotoUrlTooLong = 64,
    /// Photo larger than 100 KB.
    PhotoSizeTooLarge = 65,
    /// Room is full.
    ChannelMemberOverflow = 66,
    /// Server: already friends.
    AlreadyFriends = 1000,
    /// Server: login invalid.
    LoginInvalid = 1001,
    /// Voice: start.
    PttStart = 2000,
    /// Voice: recording failed.
    PttFail = 2001,
    /// Voice: download failed.
    PttDownloadFail = 2002,
    /// Voice: could not get an upload token.
    PttGetUploadTokenFail = 2003,
    /// Voice: upload failed.
    PttUploadFail = 2004,
    /// Voice: no speech.
    PttNotSpeech = 2005,
    /// Voice: device status error.
    PttDeviceStatusError = 2006,
    /// Voice: already recording.
    PttIsSpeeching = 2007,
    /// Voice: file does not exist.
    PttFileNotExist = 2008,
    /// Voice: reached 60 s, sent (counts as success).
    PttReachMaxDuration = 2009,
    /// Voice: shorter than 1 s or no speech.
    PttSpeechTooShort = 2010,
    /// Voice: could not start recording.
    PttStartAudioRecordFailed = 2011,
    /// Voice: audio input timed out.
    PttSpeechTimeout = 2012,
    /// Voice: already playing.
    PttIsPlaying = 2013,
    /// Voice: playback not started.
    PttNotStartPlay = 2014,
    /// Voice: playback stopped early.
    PttCancelPlay = 2015,
    /// Voice: not recording.
    PttNotStartRecord = 2016,
    /// Voice: not initialised.
    PttNotInit = 2017,
    /// Voice: initialisation failed.
    PttInitFailed = 2018,
    /// Voice: no record permission.
    PttAuthorize = 2019,
    /// Voice: starting the recording failed.
    PttStartRecordFailed = 2020,
    /// Voice: stopping the recording failed.
    PttStopRecordFailed = 2021,
    /// Voice: unsupported format.
    PttUnsupprtFormat = 2022,
    /// Voice: could not parse the file.
    PttResolveFileError = 2023,
    /// Voice: file read or write error.
    PttReadWriteFileError = 2024,
    /// Voice: file conversion failed.
    PttConvertFileFailed = 2025,
    /// Voice: no audio device.
    PttNoAudioDevice = 2026,
    /// Voice: no driver.
    PttNoDriver = 2027,
    /// Voice: starting playback failed.
    PttStartPlayFailed = 2028,
    /// Voice: stopping playback failed.
    PttStopPlayFailed = 2029,
    /// Voice: speech recognition failed.
    PttRecognizeFailed = 2030,
    /// Voice: sends not allowed in short-connection mode.
    PttShortConnectionMode = 2031,
    /// Voice service failed to start.
    Fail = 10000,
}

impl From<yim_sdk::Error> for YimErrorCode {
    /// The error's YIM code (the C interface has no room for the source; the SDK logs it).
    fn from(error: yim_sdk::Error) -> YimErrorCode {
        error.code().into()
    }
}

/// The conversions both ways between `ErrorCode` and `YimErrorCode`, from one list of the
/// variant names the two enums share. The C enum above must be written out (cbindgen reads
/// the source and does not expand macros); both matches are exhaustive, so a code added to
/// either enum and not here fails to compile, and `every_yim_code_has_its_number_both_ways`
/// checks the numbers.
macro_rules! same_codes {
    ($($name:ident),* $(,)?) => {
        impl From<ErrorCode> for YimErrorCode {
            fn from(code: ErrorCode) -> YimErrorCode {
                match code {
                    $(ErrorCode::$name => YimErrorCode::$name,)*
                }
            }
        }

        impl From<YimErrorCode> for ErrorCode {
            fn from(code: YimErrorCode) -> ErrorCode {
                match code {
                    $(YimErrorCode::$name => ErrorCode::$name,)*
                }
            }
        }
    };
}

same_codes!(
    Success,
    EngineNotInit,
    NotLogin,
    ParamInvalid,
    TimeOut,
    StatusError,
    SDKInvalid,
    AlreadyLogin,
    ServerError,
    NetError,
    LoginSessionError,
    NotStartUp,
    FileNotExist,
    SendFileError,
    UploadFailed,
    UsernamePasswordError,
    UserStatusError,
    MessageTooLong,
    ReceiverTooLong,
    InvalidChatType,
    InvalidReceiver,
    UnknowError,
    InvalidAppkey,
    ForbiddenSpeak,
    CreateFileFailed,
    UnsupportFormat,
    ReceiverEmpty,
    RoomIDTooLong,
    ContentInvalid,
    NoLocationAuthrize,
    UnknowLocation,
    Unsupport,
    NoAudioDevice,
    AudioDriver,
    DeviceStatusInvalid,
    ResolveFileError,
    ReadWriteFileError,
    NoLangCode,
    TranslateUnable,
    SpeechAccentInvalid,
    SpeechLanguageInvalid,
    HasIllegalText,
    AdvertisementMessage,
    AlreadyBlock,
    NotBlock,
    MessageBlocked,
    LocationTimeout,
    NotJoinRoom,
    LoginTokenInvalid,
    CreateDirectoryFailed,
    InitFailed,
    Disconnect,
    TheSameParam,
    QueryUserInfoFail,
    SetUserInfoFail,
    UpdateUserOnlineStateFail,
    NickNameTooLong,
    SignatureTooLong,
    NeedFriendVerify,
    BeRefuse,
    HasNotRegisterUserInfo,
    AlreadyFriend,
    NotFriend,
    NotBlack,
    PhotoUrlTooLong,
    PhotoSizeTooLarge,
    ChannelMemberOverflow,
    AlreadyFriends,
    LoginInvalid,
    PttStart,
    PttFail,
    PttDownloadFail,
    PttGetUploadTokenFail,
    PttUploadFail,
    PttNotSpeech,
    PttDeviceStatusError,
    PttIsSpeeching,
    PttFileNotExist,
    PttReachMaxDuration,
    PttSpeechTooShort,
    PttStartAudioRecordFailed,
    PttSpeechTimeout,
    PttIsPlaying,
    PttNotStartPlay,
    PttCancelPlay,
    PttNotStartRecord,
    PttNotInit,
    PttInitFailed,
    PttAuthorize,
    PttStartRecordFailed,
    PttStopRecordFailed,
    PttUnsupprtFormat,
    PttResolveFileError,
    PttReadWriteFileError,
    PttConvertFileFailed,
    PttNoAudioDevice,
    PttNoDriver,
    PttStartPlayFailed,
    PttStopPlayFailed,
    PttRecognizeFailed,
    PttShortConnectionMode,
    Fail,
);

/// YIM's `YIMChatType`: who a message is addressed to. Calls take it as a `uint32_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum YimChatType {
    /// Not set, or a number this SDK does not know.
    Unknown = 0,
    /// To one user (private chat).
    Private = 1,
    /// To a room (chat room, channel).
    Room = 2,
}

/// YIM's `ServerZone`: where the app's servers are. `YimInitOptions.zone` takes one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum YimServerZone {
    /// China.
    China = 0,
    /// Singapore.
    Singapore = 1,
    /// America.
    America = 2,
    /// Hong Kong.
    HongKong = 3,
    /// Korea.
    Korea = 4,
    /// Australia.
    Australia = 5,
    /// Germany.
    Deutschland = 6,
    /// Brazil.
    Brazil = 7,
    /// India.
    India = 8,
    /// Japan.
    Japan = 9,
    /// Ireland.
    Ireland = 10,
    /// Thailand.
    Thailand = 11,
    /// Taiwan.
    Taiwan = 12,
    /// Unknown.
    Unknow = 9999,
}

/// YIM's `YIMMessageBodyType` of a received message (`YimEvent.body_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum YimMessageBodyType {
    /// Not a message event.
    Unknow = 0,
    /// Text with its attach parameter (`text`, `attach`).
    Txt = 1,
    /// Custom bytes (`data`, `data_len`).
    CustomMesssage = 2,
    /// A voice message (`text` recognised, `attach` its extra parameter, `file_size`,
    /// `duration_ms`); fetch its audio with `yim_download_audio`.
    Voice = 5,
}

impl From<ChatType> for YimChatType {
    fn from(chat_type: ChatType) -> YimChatType {
        match chat_type {
            ChatType::Unknown => YimChatType::Unknown,
            ChatType::Private => YimChatType::Private,
            ChatType::Room => YimChatType::Room,
        }
    }
}

/// The chat type a game passed: 0-2 are YIM's (0 is left for the SDK to refuse); anything
/// else is `InvalidChatType` (19).
pub fn chat_type_from_u32(value: u32) -> Result<ChatType, YimErrorCode> {
    match value {
        0 => Ok(ChatType::Unknown),
        1 => Ok(ChatType::Private),
        2 => Ok(ChatType::Room),
        _ => Err(YimErrorCode::InvalidChatType),
    }
}

/// The zone a game passed, if YIM has one with that number; else `ParamInvalid`.
pub fn zone_from_u32(value: u32) -> Result<ServerZone, YimErrorCode> {
    ServerZone::from_u32(value).ok_or(YimErrorCode::ParamInvalid)
}

/// YIM's short English description of `code`, NUL-terminated, static (never freed); `None`
/// for a number YIM does not use.
pub fn description(code: u32) -> Option<*const c_char> {
    static TABLE: OnceLock<BTreeMap<u32, CString>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        ErrorCode::ALL
            .iter()
            .filter_map(|c| Some((c.as_u32(), CString::new(c.description()).ok()?)))
            .collect()
    });
    table.get(&code).map(|text| text.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_yim_code_has_its_number_both_ways() {
        for code in ErrorCode::ALL {
            let c_code = YimErrorCode::from(code);
            assert_eq!(c_code as u32, code.as_u32(), "{code:?}");
            assert_eq!(ErrorCode::from(c_code), code);
        }
    }

    #[test]
    fn zones_and_chat_types_have_yims_numbers() {
        for zone in ServerZone::ALL {
            assert_eq!(zone_from_u32(zone.as_u32()), Ok(zone));
        }
        assert_eq!(YimServerZone::Taiwan as u32, ServerZone::Taiwan.as_u32());
        assert_eq!(YimServerZone::Unknow as u32, ServerZone::Unknow.as_u32());
        assert_eq!(zone_from_u32(13), Err(YimErrorCode::ParamInvalid));
        for value in 0..3 {
            let chat_type = chat_type_from_u32(value).unwrap();
            assert_eq!(YimChatType::from(chat_type) as u32, value);
        }
        assert_eq!(chat_type_from_u32(3), Err(YimErrorCode::InvalidChatType));
    }

    #[test]
    fn descriptions_exist_for_yim_codes_only() {
        assert!(description(2001).is_some());
        assert!(description(67).is_none());
    }
}
