#![doc = include_str!("../README.md")]

mod audio_setup;
mod client;
mod clock;
mod config;
mod driver;
mod error;
mod machine;
mod net;
mod request;
mod store;

pub use audio_setup::{AudioSetup, AudioWork, InputFactory, OutputFactory, RecognizerFactory};
pub use client::{Client, ClientBuilder, NoRuntime};
pub use clock::{BoxFuture, Clock, TokioClock};
pub use config::{ClientConfig, ServerZone};
pub use error::{AudioError, Error};
pub use machine::{
    Action, AudioStatus, AudioTask, Call, CaptureSource, ClientMachine, Event, Forbid,
    ForbidReason, MessageBody, ReceivedMessage, Recognize, ReconnectResult, Recorded, RequestId,
    SendStatus, State, TimeOrder, MAX_APP_KEY_BYTES, MAX_APP_SECRET_BYTES, MAX_HISTORY_QUERY_COUNT,
    MAX_RECENT_CONTACTS, MAX_ROOM_HISTORY_COUNT, MAX_SAVED_ROOMS, MAX_SWITCH_ROOMS,
};
pub use net::{BoxStream, ByteStream, Network, TcpNetwork};
pub use request::{
    AudioReceipt, HistoryPage, LoginReceipt, Request, RoomHistoryPage, SendReceipt, VoiceOutcome,
};
pub use store::{
    conversation_of, Committed, Contact, DeleteHistory, HistoryBatch, HistoryDirection,
    HistoryDisk, HistoryError, HistoryMessage, HistorySlice, HistoryStore, HistoryWrite, Kept,
    MemoryDisk, SqliteDisk,
};
pub use yim_audio;
pub use yim_proto::{ChatType, ErrorCode};
