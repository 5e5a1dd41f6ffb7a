//! yim-ffi: the YIM SDK for game engines, as a flat C interface.
//!
//! What it is: C functions with YIM's names and error codes over `yim_sdk::Client`
//! (`calls`), an event pump the game drains on its own thread (`pump`, `event`), each client
//! with a tokio runtime of its own (`instance`), and the checks that keep bad input from
//! crossing the boundary (`boundary`). The header `include/yim.h` is generated from this
//! crate by cbindgen and the C# binding `csharp/NativeMethods.g.cs` by csbindgen; tests check
//! both are current. What it is not: SDK logic. Every rule of YIM's is the SDK's; this crate
//! only converts arguments, codes and events.
//!
//! Unsafe code is allowed here, and only here in the workspace: reading C strings and
//! writing out-parameters needs it. Every unsafe block says why it is sound.

#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod audio;
mod boundary;
mod calls;
mod codes;
mod event;
mod instance;
mod options;
mod pump;

pub use boundary::YIM_MAX_C_STRING_BYTES;
pub use calls::*;
pub use codes::{YimChatType, YimErrorCode, YimMessageBodyType, YimServerZone};
pub use event::{YimEvent, YimEventKind, YIM_EVENT_API_LATEST};
pub use instance::{YimClient, YIM_MAX_CLIENTS, YIM_WORKER_THREADS};
pub use options::{YimAudioDevices, YimInitOptions, YIM_INIT_OPTIONS_API_LATEST};
pub use pump::{
    unfreed_events, yim_free_event, yim_poll_event, yim_wait_event, YIM_MAX_UNFREED_EVENTS,
};
