//! The YIM reference client SDK.
//!
//! What it is: a sans-IO session machine ([`ClientMachine`]) that holds every rule of YIM's
//! client behaviour, and an async driver behind a cheap-clone [`Client`] handle that runs it
//! over small object-safe [`Clock`] and [`Network`] traits (real implementations:
//! [`TokioClock`], [`TcpNetwork`]). What it is not: a server, or a simulator; those live in
//! `yim-server` and `yim-sim`.

pub mod audio_setup;
pub mod client;
pub mod clock;
pub mod config;
mod driver;
mod link;
pub mod machine;
pub mod net;
mod recording;
mod voice_calls;

pub use audio_setup::{AudioSetup, Capture};
pub use client::{Client, ClientBuilder, NoRuntime};
pub use clock::{BoxFuture, Clock, TokioClock};
pub use config::{ClientConfig, ServerZone};
pub use machine::{
    Action, AudioStatus, Call, ClientMachine, Event, MessageBody, ReceivedMessage, ReconnectResult,
    Recorded, RequestId, SendStatus, State,
};
pub use net::{BoxStream, ByteStream, Network, TcpNetwork};
pub use yim_audio;
pub use yim_proto::{ChatType, ErrorCode};
