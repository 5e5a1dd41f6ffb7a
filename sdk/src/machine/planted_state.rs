//! What the planted bugs (`yim_hooks::planted`) carry from one input of the machine to a later
//! one: a room message held back (`ReorderRoom`), history writes left for the next commit
//! (`AckBeforeStore`), a recording carried into the next session (`RecordingOutlivesSession`).
//!
//! One field of the machine. Without the feature `planted-bugs` it is empty and its methods
//! hold nothing, so a production machine carries no bug state. What it is not: the switches
//! (`yim_hooks::planted`) or the bugs themselves (in the modules whose rule each one breaks).

#[cfg(feature = "planted-bugs")]
use super::message::ReceivedMessage;
#[cfg(feature = "planted-bugs")]
use super::phase::Recording;
use crate::store::HistoryBatch;

/// See the module doc.
#[derive(Debug, Default)]
pub(super) struct PlantedState {
    /// A room message held back by `ReorderRoom`.
    #[cfg(feature = "planted-bugs")]
    held: Option<ReceivedMessage>,
    /// Writes `AckBeforeStore` leaves for the next commit.
    #[cfg(feature = "planted-bugs")]
    deferred_history: HistoryBatch,
    /// A recording `RecordingOutlivesSession` carries over to the next session.
    #[cfg(feature = "planted-bugs")]
    recording: Option<Recording>,
}

#[cfg(feature = "planted-bugs")]
impl PlantedState {
    /// Takes the held-back room message, if there is one.
    pub(super) fn take_held(&mut self) -> Option<ReceivedMessage> {
        self.held.take()
    }

    /// Holds `message` back until the next room message.
    pub(super) fn hold(&mut self, message: ReceivedMessage) {
        self.held = Some(message);
    }

    /// Leaves `batch` for the next commit.
    pub(super) fn defer_history(&mut self, batch: HistoryBatch) {
        self.deferred_history.append(batch);
    }

    /// Takes the writes left for this commit (none without the bug).
    pub(super) fn take_deferred_history(&mut self) -> HistoryBatch {
        std::mem::take(&mut self.deferred_history)
    }

    /// Carries `recording` over into the next session.
    pub(super) fn carry_recording(&mut self, recording: Option<Recording>) {
        self.recording = recording;
    }

    /// Takes the recording carried over from the last session (none without the bug).
    pub(super) fn take_recording(&mut self) -> Option<Recording> {
        self.recording.take()
    }
}

/// Without the feature: nothing is held, so nothing comes back. The hooks that would hold
/// something run only while a bug is on, which cannot happen in this build.
#[cfg(not(feature = "planted-bugs"))]
impl PlantedState {
    pub(super) fn take_held(&mut self) -> Option<super::message::ReceivedMessage> {
        None
    }

    pub(super) fn hold(&mut self, _message: super::message::ReceivedMessage) {}

    pub(super) fn defer_history(&mut self, _batch: HistoryBatch) {}

    pub(super) fn take_deferred_history(&mut self) -> HistoryBatch {
        HistoryBatch::new()
    }

    pub(super) fn carry_recording(&mut self, _recording: Option<super::phase::Recording>) {}

    pub(super) fn take_recording(&mut self) -> Option<super::phase::Recording> {
        None
    }
}
