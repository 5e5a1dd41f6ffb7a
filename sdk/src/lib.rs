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

pub use audio_setup::{AudioSetup, AudioWork, InputFactory, OutputFactory, RecognizerFactory};
pub use client::{Client, ClientBuilder, NoRuntime};
pub use clock::{BoxFuture, Clock, TokioClock};
pub use config::{ClientConfig, ServerZone};
pub use error::{AudioError, Error};
pub use machine::{
    Action, AudioStatus, AudioTask, Call, CaptureSource, ClientMachine, Event, Forbid,
    ForbidReason, MessageBody, ReceivedMessage, Recognize, ReconnectResult, Recorded, RequestId,
    SendStatus, State, MAX_APP_KEY_BYTES, MAX_APP_SECRET_BYTES,
};
pub use net::{BoxStream, ByteStream, Network, TcpNetwork};
pub use request::{AudioReceipt, LoginReceipt, Request, SendReceipt, VoiceOutcome};
pub use yim_audio;
pub use yim_proto::{ChatType, ErrorCode};
