//! YIM's error codes (`YIMErrorcode`), every value with its number and a short description.
//!
//! This is the one error type the SDK reports to applications and the server puts on the wire
//! (`Reply.code`). Numbers are YIM's and never change; 67-999 and 1002-1999 are unused.

use std::fmt;

/// A YIM error code. `Success` (0) is a code too: YIM reports it through the same callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[repr(u32)]
pub enum ErrorCode {
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

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 102] = [
        ErrorCode::Success,
        ErrorCode::EngineNotInit,
        ErrorCode::NotLogin,
        ErrorCode::ParamInvalid,
        ErrorCode::TimeOut,
        ErrorCode::StatusError,
        ErrorCode::SDKInvalid,
        ErrorCode::AlreadyLogin,
        ErrorCode::ServerError,
        ErrorCode::NetError,
        ErrorCode::LoginSessionError,
        ErrorCode::NotStartUp,
        ErrorCode::FileNotExist,
        ErrorCode::SendFileError,
        ErrorCode::UploadFailed,
        ErrorCode::UsernamePasswordError,
        ErrorCode::UserStatusError,
        ErrorCode::MessageTooLong,
        ErrorCode::ReceiverTooLong,
        ErrorCode::InvalidChatType,
        ErrorCode::InvalidReceiver,
        ErrorCode::UnknowError,
        ErrorCode::InvalidAppkey,
        ErrorCode::ForbiddenSpeak,
        ErrorCode::CreateFileFailed,
        ErrorCode::UnsupportFormat,
        ErrorCode::ReceiverEmpty,
        ErrorCode::RoomIDTooLong,
        ErrorCode::ContentInvalid,
        ErrorCode::NoLocationAuthrize,
        ErrorCode::UnknowLocation,
        ErrorCode::Unsupport,
        ErrorCode::NoAudioDevice,
        ErrorCode::AudioDriver,
        ErrorCode::DeviceStatusInvalid,
        ErrorCode::ResolveFileError,
        ErrorCode::ReadWriteFileError,
        ErrorCode::NoLangCode,
        ErrorCode::TranslateUnable,
        ErrorCode::SpeechAccentInvalid,
        ErrorCode::SpeechLanguageInvalid,
        ErrorCode::HasIllegalText,
        ErrorCode::AdvertisementMessage,
        ErrorCode::AlreadyBlock,
        ErrorCode::NotBlock,
        ErrorCode::MessageBlocked,
        ErrorCode::LocationTimeout,
        ErrorCode::NotJoinRoom,
        ErrorCode::LoginTokenInvalid,
        ErrorCode::CreateDirectoryFailed,
        ErrorCode::InitFailed,
        ErrorCode::Disconnect,
        ErrorCode::TheSameParam,
        ErrorCode::QueryUserInfoFail,
        ErrorCode::SetUserInfoFail,
        ErrorCode::UpdateUserOnlineStateFail,
        ErrorCode::NickNameTooLong,
        ErrorCode::SignatureTooLong,
        ErrorCode::NeedFriendVerify,
        ErrorCode::BeRefuse,
        ErrorCode::HasNotRegisterUserInfo,
        ErrorCode::AlreadyFriend,
        ErrorCode::NotFriend,
        ErrorCode::NotBlack,
        ErrorCode::PhotoUrlTooLong,
        ErrorCode::PhotoSizeTooLarge,
        ErrorCode::ChannelMemberOverflow,
        ErrorCode::AlreadyFriends,
        ErrorCode::LoginInvalid,
        ErrorCode::PttStart,
        ErrorCode::PttFail,
        ErrorCode::PttDownloadFail,
        ErrorCode::PttGetUploadTokenFail,
        ErrorCode::PttUploadFail,
        ErrorCode::PttNotSpeech,
        ErrorCode::PttDeviceStatusError,
        ErrorCode::PttIsSpeeching,
        ErrorCode::PttFileNotExist,
        ErrorCode::PttReachMaxDuration,
        ErrorCode::PttSpeechTooShort,
        ErrorCode::PttStartAudioRecordFailed,
        ErrorCode::PttSpeechTimeout,
        ErrorCode::PttIsPlaying,
        ErrorCode::PttNotStartPlay,
        ErrorCode::PttCancelPlay,
        ErrorCode::PttNotStartRecord,
        ErrorCode::PttNotInit,
        ErrorCode::PttInitFailed,
        ErrorCode::PttAuthorize,
        ErrorCode::PttStartRecordFailed,
        ErrorCode::PttStopRecordFailed,
        ErrorCode::PttUnsupprtFormat,
        ErrorCode::PttResolveFileError,
        ErrorCode::PttReadWriteFileError,
        ErrorCode::PttConvertFileFailed,
        ErrorCode::PttNoAudioDevice,
        ErrorCode::PttNoDriver,
        ErrorCode::PttStartPlayFailed,
        ErrorCode::PttStopPlayFailed,
        ErrorCode::PttRecognizeFailed,
        ErrorCode::PttShortConnectionMode,
        ErrorCode::Fail,
    ];

    /// The numeric value, as YIM and the wire carry it.
    pub fn as_u32(self) -> u32 {
        self as u32
    }

    /// The code with this number, if YIM defines one.
    pub fn from_u32(value: u32) -> Option<ErrorCode> {
        Some(match value {
            0 => ErrorCode::Success,
            1 => ErrorCode::EngineNotInit,
            2 => ErrorCode::NotLogin,
            3 => ErrorCode::ParamInvalid,
            4 => ErrorCode::TimeOut,
            5 => ErrorCode::StatusError,
            6 => ErrorCode::SDKInvalid,
            7 => ErrorCode::AlreadyLogin,
            8 => ErrorCode::ServerError,
            9 => ErrorCode::NetError,
            10 => ErrorCode::LoginSessionError,
            11 => ErrorCode::NotStartUp,
            12 => ErrorCode::FileNotExist,
            13 => ErrorCode::SendFileError,
            14 => ErrorCode::UploadFailed,
            15 => ErrorCode::UsernamePasswordError,
            16 => ErrorCode::UserStatusError,
            17 => ErrorCode::MessageTooLong,
            18 => ErrorCode::ReceiverTooLong,
            19 => ErrorCode::InvalidChatType,
            20 => ErrorCode::InvalidReceiver,
            21 => ErrorCode::UnknowError,
            22 => ErrorCode::InvalidAppkey,
            23 => ErrorCode::ForbiddenSpeak,
            24 => ErrorCode::CreateFileFailed,
            25 => ErrorCode::UnsupportFormat,
            26 => ErrorCode::ReceiverEmpty,
            27 => ErrorCode::RoomIDTooLong,
            28 => ErrorCode::ContentInvalid,
            29 => ErrorCode::NoLocationAuthrize,
            30 => ErrorCode::UnknowLocation,
            31 => ErrorCode::Unsupport,
            32 => ErrorCode::NoAudioDevice,
            33 => ErrorCode::AudioDriver,
            34 => ErrorCode::DeviceStatusInvalid,
            35 => ErrorCode::ResolveFileError,
            36 => ErrorCode::ReadWriteFileError,
            37 => ErrorCode::NoLangCode,
            38 => ErrorCode::TranslateUnable,
            39 => ErrorCode::SpeechAccentInvalid,
            40 => ErrorCode::SpeechLanguageInvalid,
            41 => ErrorCode::HasIllegalText,
            42 => ErrorCode::AdvertisementMessage,
            43 => ErrorCode::AlreadyBlock,
            44 => ErrorCode::NotBlock,
            45 => ErrorCode::MessageBlocked,
            46 => ErrorCode::LocationTimeout,
            47 => ErrorCode::NotJoinRoom,
            48 => ErrorCode::LoginTokenInvalid,
            49 => ErrorCode::CreateDirectoryFailed,
            50 => ErrorCode::InitFailed,
            51 => ErrorCode::Disconnect,
            52 => ErrorCode::TheSameParam,
            53 => ErrorCode::QueryUserInfoFail,
            54 => ErrorCode::SetUserInfoFail,
            55 => ErrorCode::UpdateUserOnlineStateFail,
            56 => ErrorCode::NickNameTooLong,
            57 => ErrorCode::SignatureTooLong,
            58 => ErrorCode::NeedFriendVerify,
            59 => ErrorCode::BeRefuse,
            60 => ErrorCode::HasNotRegisterUserInfo,
            61 => ErrorCode::AlreadyFriend,
            62 => ErrorCode::NotFriend,
            63 => ErrorCode::NotBlack,
            64 => ErrorCode::PhotoUrlTooLong,
            65 => ErrorCode::PhotoSizeTooLarge,
            66 => ErrorCode::ChannelMemberOverflow,
            1000 => ErrorCode::AlreadyFriends,
            1001 => ErrorCode::LoginInvalid,
            2000 => ErrorCode::PttStart,
            2001 => ErrorCode::PttFail,
            2002 => ErrorCode::PttDownloadFail,
            2003 => ErrorCode::PttGetUploadTokenFail,
            2004 => ErrorCode::PttUploadFail,
            2005 => ErrorCode::PttNotSpeech,
            2006 => ErrorCode::PttDeviceStatusError,
            2007 => ErrorCode::PttIsSpeeching,
            2008 => ErrorCode::PttFileNotExist,
            2009 => ErrorCode::PttReachMaxDuration,
            2010 => ErrorCode::PttSpeechTooShort,
            2011 => ErrorCode::PttStartAudioRecordFailed,
            2012 => ErrorCode::PttSpeechTimeout,
            2013 => ErrorCode::PttIsPlaying,
            2014 => ErrorCode::PttNotStartPlay,
            2015 => ErrorCode::PttCancelPlay,
            2016 => ErrorCode::PttNotStartRecord,
            2017 => ErrorCode::PttNotInit,
            2018 => ErrorCode::PttInitFailed,
            2019 => ErrorCode::PttAuthorize,
            2020 => ErrorCode::PttStartRecordFailed,
            2021 => ErrorCode::PttStopRecordFailed,
            2022 => ErrorCode::PttUnsupprtFormat,
            2023 => ErrorCode::PttResolveFileError,
            2024 => ErrorCode::PttReadWriteFileError,
            2025 => ErrorCode::PttConvertFileFailed,
            2026 => ErrorCode::PttNoAudioDevice,
            2027 => ErrorCode::PttNoDriver,
            2028 => ErrorCode::PttStartPlayFailed,
            2029 => ErrorCode::PttStopPlayFailed,
            2030 => ErrorCode::PttRecognizeFailed,
            2031 => ErrorCode::PttShortConnectionMode,
            10000 => ErrorCode::Fail,
            _ => return None,
        })
    }

    /// A short English description.
    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::Success => "success",
            ErrorCode::EngineNotInit => "SDK not initialised",
            ErrorCode::NotLogin => "not logged in (also during reconnect)",
            ErrorCode::ParamInvalid => "bad parameter",
            ErrorCode::TimeOut => "the server did not answer in time",
            ErrorCode::StatusError => "wrong state for this call",
            ErrorCode::SDKInvalid => "SDK or app key validation failed",
            ErrorCode::AlreadyLogin => "already logged in",
            ErrorCode::ServerError => "server error",
            ErrorCode::NetError => "network error",
            ErrorCode::LoginSessionError => "login session error",
            ErrorCode::NotStartUp => "SDK not started",
            ErrorCode::FileNotExist => "file does not exist",
            ErrorCode::SendFileError => "sending the file failed",
            ErrorCode::UploadFailed => "upload failed",
            ErrorCode::UsernamePasswordError => {
                "password differs from the one used at the first login"
            }
            ErrorCode::UserStatusError => "invalid user status",
            ErrorCode::MessageTooLong => "message text longer than 2 KB",
            ErrorCode::ReceiverTooLong => "receiver ID too long",
            ErrorCode::InvalidChatType => "invalid chat type",
            ErrorCode::InvalidReceiver => "invalid receiver",
            ErrorCode::UnknowError => "unknown error",
            ErrorCode::InvalidAppkey => "invalid app key",
            ErrorCode::ForbiddenSpeak => "muted: see the forbid fields",
            ErrorCode::CreateFileFailed => "could not create the file",
            ErrorCode::UnsupportFormat => "unsupported format",
            ErrorCode::ReceiverEmpty => "receiver is empty",
            ErrorCode::RoomIDTooLong => "room ID too long",
            ErrorCode::ContentInvalid => "content is illegal",
            ErrorCode::NoLocationAuthrize => "location permission is off",
            ErrorCode::UnknowLocation => "unknown location",
            ErrorCode::Unsupport => "API not supported",
            ErrorCode::NoAudioDevice => "no audio device",
            ErrorCode::AudioDriver => "audio driver error",
            ErrorCode::DeviceStatusInvalid => "device status invalid",
            ErrorCode::ResolveFileError => "could not parse the file",
            ErrorCode::ReadWriteFileError => "file read or write error",
            ErrorCode::NoLangCode => "no language code",
            ErrorCode::TranslateUnable => "translation unavailable",
            ErrorCode::SpeechAccentInvalid => "speech accent invalid",
            ErrorCode::SpeechLanguageInvalid => "speech language invalid",
            ErrorCode::HasIllegalText => "text contains illegal words",
            ErrorCode::AdvertisementMessage => "message looks like advertising",
            ErrorCode::AlreadyBlock => "user already blocked",
            ErrorCode::NotBlock => "user not blocked",
            ErrorCode::MessageBlocked => "message blocked",
            ErrorCode::LocationTimeout => "location timed out",
            ErrorCode::NotJoinRoom => "not a member of the room",
            ErrorCode::LoginTokenInvalid => "login token invalid or expired",
            ErrorCode::CreateDirectoryFailed => "could not create the directory",
            ErrorCode::InitFailed => "initialisation failed",
            ErrorCode::Disconnect => "disconnected from the server",
            ErrorCode::TheSameParam => "same parameter as before",
            ErrorCode::QueryUserInfoFail => "querying user info failed",
            ErrorCode::SetUserInfoFail => "setting user info failed",
            ErrorCode::UpdateUserOnlineStateFail => "updating online state failed",
            ErrorCode::NickNameTooLong => "nickname longer than 64 bytes",
            ErrorCode::SignatureTooLong => "signature longer than 120 bytes",
            ErrorCode::NeedFriendVerify => "friend request needs verification",
            ErrorCode::BeRefuse => "friend request refused",
            ErrorCode::HasNotRegisterUserInfo => "user info not registered",
            ErrorCode::AlreadyFriend => "already a friend",
            ErrorCode::NotFriend => "not a friend",
            ErrorCode::NotBlack => "not in the blacklist",
            ErrorCode::PhotoUrlTooLong => "photo URL longer than 500 bytes",
            ErrorCode::PhotoSizeTooLarge => "photo larger than 100 KB",
            ErrorCode::ChannelMemberOverflow => "room is full",
            ErrorCode::AlreadyFriends => "server: already friends",
            ErrorCode::LoginInvalid => "server: login invalid",
            ErrorCode::PttStart => "voice: start",
            ErrorCode::PttFail => "voice: recording failed",
            ErrorCode::PttDownloadFail => "voice: download failed",
            ErrorCode::PttGetUploadTokenFail => "voice: could not get an upload token",
            ErrorCode::PttUploadFail => "voice: upload failed",
            ErrorCode::PttNotSpeech => "voice: no speech",
            ErrorCode::PttDeviceStatusError => "voice: device status error",
            ErrorCode::PttIsSpeeching => "voice: already recording",
            ErrorCode::PttFileNotExist => "voice: file does not exist",
            ErrorCode::PttReachMaxDuration => "voice: reached 60 s, sent (counts as success)",
            ErrorCode::PttSpeechTooShort => "voice: shorter than 1 s or no speech",
            ErrorCode::PttStartAudioRecordFailed => "voice: could not start recording",
            ErrorCode::PttSpeechTimeout => "voice: audio input timed out",
            ErrorCode::PttIsPlaying => "voice: already playing",
            ErrorCode::PttNotStartPlay => "voice: playback not started",
            ErrorCode::PttCancelPlay => "voice: playback stopped early",
            ErrorCode::PttNotStartRecord => "voice: not recording",
            ErrorCode::PttNotInit => "voice: not initialised",
            ErrorCode::PttInitFailed => "voice: initialisation failed",
            ErrorCode::PttAuthorize => "voice: no record permission",
            ErrorCode::PttStartRecordFailed => "voice: starting the recording failed",
            ErrorCode::PttStopRecordFailed => "voice: stopping the recording failed",
            ErrorCode::PttUnsupprtFormat => "voice: unsupported format",
            ErrorCode::PttResolveFileError => "voice: could not parse the file",
            ErrorCode::PttReadWriteFileError => "voice: file read or write error",
            ErrorCode::PttConvertFileFailed => "voice: file conversion failed",
            ErrorCode::PttNoAudioDevice => "voice: no audio device",
            ErrorCode::PttNoDriver => "voice: no driver",
            ErrorCode::PttStartPlayFailed => "voice: starting playback failed",
            ErrorCode::PttStopPlayFailed => "voice: stopping playback failed",
            ErrorCode::PttRecognizeFailed => "voice: speech recognition failed",
            ErrorCode::PttShortConnectionMode => {
                "voice: sends not allowed in short-connection mode"
            }
            ErrorCode::Fail => "voice service failed to start",
        }
    }

    /// True for `Success`, and for `PttReachMaxDuration`, which YIM counts as a successful send.
    pub fn is_success(self) -> bool {
        matches!(self, ErrorCode::Success | ErrorCode::PttReachMaxDuration)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({}): {}", self, self.as_u32(), self.description())
    }
}

impl std::error::Error for ErrorCode {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_are_sorted() {
        for pair in ErrorCode::ALL.windows(2) {
            assert!(pair[0].as_u32() < pair[1].as_u32(), "{:?}", pair);
        }
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_u32(code.as_u32()), Some(code));
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn yim_numbers_are_kept() {
        assert_eq!(ErrorCode::ALL.len(), 67 + 2 + 32 + 1);
        assert_eq!(ErrorCode::ForbiddenSpeak.as_u32(), 23);
        assert_eq!(ErrorCode::NotJoinRoom.as_u32(), 47);
        assert_eq!(ErrorCode::LoginTokenInvalid.as_u32(), 48);
        assert_eq!(ErrorCode::ChannelMemberOverflow.as_u32(), 66);
        assert_eq!(ErrorCode::PttReachMaxDuration.as_u32(), 2009);
        assert_eq!(ErrorCode::PttShortConnectionMode.as_u32(), 2031);
        assert_eq!(ErrorCode::Fail.as_u32(), 10000);
        assert_eq!(ErrorCode::from_u32(67), None);
        assert_eq!(ErrorCode::from_u32(1002), None);
    }
}
