//! Awaitable calls: a `Request<T>` gives its request ID at once and, awaited, the call's typed
//! result (`LoginReceipt`, `SendReceipt`, a member count, `VoiceOutcome`, ...) or its `Error`.
//!
//! What it is: a view of the one completion event of an accepted call, turned into a result.
//! The event itself still comes through the client's event stream too, so a game may await,
//! read the stream in YIM's style, or both. What it is not: a second path for the completion
//! (it is decided once, in the machine) or a cancellation: dropping a `Request` only stops
//! listening. The call goes on and its completion event still comes through the stream; for
//! a recording, dropping the request of `start_record_audio_message` does not cancel it (stop
//! it, or cancel it, with the client's calls).

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use yim_proto::{ChatType, ErrorCode};

use crate::error::Error;
use crate::machine::{Event, ReceivedMessage, RequestId};
use crate::store::{Contact, HistoryMessage};

/// An accepted call: its request ID now, its result when awaited. See the module doc.
///
/// Dropping it loses nothing: the call is not cancelled and its completion event still comes
/// through the event stream ([`Client::next_event`](crate::Client::next_event)), as every
/// completion does. A recording's request is no exception: dropping it leaves the recording
/// running until it is stopped (or reaches 60 s), and its `SendAudioStatus` still comes in the
/// stream. Awaited, it gives the call's result; [`Error::Cancelled`] only for a cancelled
/// recording; `NetError` (9) if the client stopped before the call could complete (the driver
/// never ran, say because its runtime was shut down first: every other ending completes the
/// call with its own code, `NetError` included).
pub struct Request<T> {
    request_id: RequestId,
    completion: oneshot::Receiver<Completion>,
    outcome: fn(Event) -> Result<T, Error>,
}

/// What a `Request` is told.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Completion {
    /// The call's completion event (also in the event stream).
    Done(Event),
    /// The recording was cancelled: no event will come.
    Cancelled,
}

impl<T> fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl<T> Request<T> {
    pub(crate) fn new(
        request_id: RequestId,
        completion: oneshot::Receiver<Completion>,
        outcome: fn(Event) -> Result<T, Error>,
    ) -> Request<T> {
        Request {
            request_id,
            completion,
            outcome,
        }
    }

    /// The request ID, as YIM returns it; the completion event in the stream carries it.
    pub fn request_id(&self) -> RequestId {
        self.request_id
    }
}

impl<T> Future for Request<T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let outcome = self.outcome;
        Pin::new(&mut self.completion)
            .poll(cx)
            .map(|completion| match completion {
                Ok(Completion::Done(event)) => outcome(event),
                Ok(Completion::Cancelled) => Err(Error::Cancelled),
                // Dropped unanswered: the client went away before the call could complete.
                Err(_) => Err(Error::Code(ErrorCode::NetError)),
            })
    }
}

/// A successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginReceipt {
    /// The user logged in.
    pub user_id: String,
}

/// A text or custom message the server accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendReceipt {
    /// Its server message ID.
    pub message_id: u64,
    /// Server send time, unix seconds.
    pub send_time: u64,
}

/// A voice message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioReceipt {
    /// Its server message ID.
    pub message_id: u64,
    /// Server send time, unix seconds.
    pub send_time: u64,
    /// Speech-to-text result; empty when not asked for or not recognised.
    pub text: String,
    /// The local WAV; empty when none is kept.
    pub audio_path: PathBuf,
    /// Length of the recording.
    pub duration_ms: u32,
    /// It stopped by itself at 60 s (YIM's `PttReachMaxDuration`, a success).
    pub reached_max_duration: bool,
}

/// What a recording came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoiceOutcome {
    /// Sent as a voice message.
    Sent(AudioReceipt),
    /// Recognised only (`Recognize::Only`): nothing was sent.
    Recognized {
        /// What was said.
        text: String,
    },
}

/// A page of the local history (YIM `OnQueryHistoryMessage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The other user, or the room.
    pub target_id: String,
    /// Private or room.
    pub chat_type: ChatType,
    /// Messages of the conversation past this page, in the direction asked.
    pub remain: u32,
    /// Oldest first.
    pub messages: Vec<HistoryMessage>,
}

/// Room history from the server (YIM `OnQueryRoomHistoryMessageFromServer`): messages this
/// app was never handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomHistoryPage {
    /// The room.
    pub room_id: String,
    /// Older messages the server still keeps that this app was never handed.
    pub remain: u32,
    /// In the order asked for.
    pub messages: Vec<ReceivedMessage>,
}

/// The event's code as a result: a success, or the error it stands for.
fn succeeded(event: &Event) -> Result<(), Error> {
    let forbid = match event {
        Event::SendMessageStatus(status) => status.forbid,
        Event::SendAudioStatus(status) => status.forbid,
        _ => None,
    };
    match event.code() {
        Some(ErrorCode::Success | ErrorCode::PttReachMaxDuration) => Ok(()),
        Some(code) => Err(Error::from_completion(code, forbid)),
        None => Err(unexpected()),
    }
}

/// A completion of another kind than the call's (cannot happen: the machine builds each
/// call's completion from its own kind).
fn unexpected() -> Error {
    Error::Code(ErrorCode::UnknowError)
}

pub(crate) fn login(event: Event) -> Result<LoginReceipt, Error> {
    succeeded(&event)?;
    match event {
        Event::Login { user_id, .. } => Ok(LoginReceipt { user_id }),
        _ => Err(unexpected()),
    }
}

pub(crate) fn done(event: Event) -> Result<(), Error> {
    succeeded(&event)
}

pub(crate) fn member_count(event: Event) -> Result<u32, Error> {
    succeeded(&event)?;
    match event {
        Event::RoomMemberCount { count, .. } => Ok(count),
        _ => Err(unexpected()),
    }
}

pub(crate) fn sent(event: Event) -> Result<SendReceipt, Error> {
    succeeded(&event)?;
    match event {
        Event::SendMessageStatus(status) => Ok(SendReceipt {
            message_id: status.message_id,
            send_time: status.send_time,
        }),
        _ => Err(unexpected()),
    }
}

pub(crate) fn voice(event: Event) -> Result<VoiceOutcome, Error> {
    succeeded(&event)?;
    match event {
        Event::SendAudioStatus(status) => Ok(VoiceOutcome::Sent(AudioReceipt {
            message_id: status.message_id,
            send_time: status.send_time,
            text: status.text,
            audio_path: status.audio_path,
            duration_ms: status.duration_ms,
            reached_max_duration: status.code == ErrorCode::PttReachMaxDuration,
        })),
        Event::RecognizeText { text, .. } => Ok(VoiceOutcome::Recognized { text }),
        _ => Err(unexpected()),
    }
}

pub(crate) fn history_page(event: Event) -> Result<HistoryPage, Error> {
    succeeded(&event)?;
    match event {
        Event::QueryHistoryMessage {
            target_id,
            chat_type,
            remain,
            messages,
            ..
        } => Ok(HistoryPage {
            target_id,
            chat_type,
            remain,
            messages,
        }),
        _ => Err(unexpected()),
    }
}

pub(crate) fn room_history(event: Event) -> Result<RoomHistoryPage, Error> {
    succeeded(&event)?;
    match event {
        Event::RoomHistoryFromServer {
            room_id,
            remain,
            messages,
            ..
        } => Ok(RoomHistoryPage {
            room_id,
            remain,
            messages,
        }),
        _ => Err(unexpected()),
    }
}

pub(crate) fn contacts(event: Event) -> Result<Vec<Contact>, Error> {
    succeeded(&event)?;
    match event {
        Event::RecentContacts { contacts, .. } => Ok(contacts),
        _ => Err(unexpected()),
    }
}

pub(crate) fn changed(event: Event) -> Result<u32, Error> {
    succeeded(&event)?;
    match event {
        Event::HistoryChanged { changed, .. } => Ok(changed),
        _ => Err(unexpected()),
    }
}

pub(crate) fn downloaded(event: Event) -> Result<PathBuf, Error> {
    succeeded(&event)?;
    match event {
        Event::DownloadAudio { save_path, .. } => Ok(save_path),
        _ => Err(unexpected()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{Forbid, ForbidReason, SendStatus};

    fn status(code: ErrorCode, forbid: Option<Forbid>) -> Event {
        Event::SendMessageStatus(SendStatus {
            request_id: RequestId(1),
            code,
            send_time: 7,
            forbid,
            message_id: if code == ErrorCode::Success { 42 } else { 0 },
        })
    }

    #[test]
    fn completions_become_typed_results() {
        assert_eq!(
            sent(status(ErrorCode::Success, None)).ok(),
            Some(SendReceipt {
                message_id: 42,
                send_time: 7
            })
        );
        let forbid = Forbid {
            whole_room: false,
            reason: ForbidReason::Advertising,
            end_time: 1_000,
        };
        let muted = sent(status(ErrorCode::ForbiddenSpeak, Some(forbid)));
        assert_eq!(muted.err().and_then(|e| e.forbid().copied()), Some(forbid));
        let timed_out = sent(status(ErrorCode::TimeOut, None));
        assert_eq!(timed_out.err().map(|e| e.code()), Some(ErrorCode::TimeOut));
        let wrong_kind = member_count(status(ErrorCode::Success, None));
        assert_eq!(
            wrong_kind.err().map(|e| e.code()),
            Some(ErrorCode::UnknowError)
        );
    }

    #[tokio::test]
    async fn a_request_resolves_with_its_completion_a_cancel_or_net_error_if_dropped_unanswered() {
        let (tx, rx) = oneshot::channel();
        let request = Request::new(RequestId(1), rx, sent);
        assert_eq!(request.request_id(), RequestId(1));
        let _ = tx.send(Completion::Done(status(ErrorCode::Success, None)));
        assert_eq!(request.await.ok().map(|r| r.message_id), Some(42));
        let (tx, rx) = oneshot::channel();
        let request = Request::new(RequestId(2), rx, voice);
        let _ = tx.send(Completion::Cancelled);
        assert!(matches!(request.await, Err(Error::Cancelled)));
        // A client that went away without completing the call: a send is not "cancelled".
        let (tx, rx) = oneshot::channel::<Completion>();
        let request = Request::new(RequestId(3), rx, sent);
        drop(tx);
        assert_eq!(
            request.await.err().map(|e| e.code()),
            Some(ErrorCode::NetError)
        );
    }
}
