//! The one completion function: every call's one completion event is built and queued here,
//! whatever ended the call (a reply, a time-out, a failed recording, a save, the session's end).
//!
//! What it is: `ClientMachine::complete`, which turns what completes (a pending call, a
//! recording that never reached its upload, a saved download) and a code into YIM's event,
//! and keeps the rooms up to date as room calls complete. What it is not: deciding *that* a
//! call completes (the rules do that).

use std::path::{Path, PathBuf};

use yim_proto::wire::reply;
use yim_proto::ErrorCode;

use super::call::{Recognize, RequestId};
use super::event::Event;
use super::inbound;
use super::message::{MessageBody, ReceivedMessage};
use super::pending::{Outgoing, PendingKind};
use super::status::AudioStatus;
use super::ClientMachine;

/// What completes.
#[derive(Debug)]
pub(crate) enum Completing {
    /// A call of the pending table.
    Call(PendingKind),
    /// A recording that ends before any upload: it failed, was recognised (`text`), or ended
    /// with its session.
    Recording { recognize: Recognize, text: String },
    /// A download whose audio the driver saved (or failed to).
    Saved { message_id: u64, save_path: PathBuf },
    /// Room history from the server, fetched and deduplicated.
    RoomHistory {
        room_id: String,
        remain: u32,
        messages: Vec<ReceivedMessage>,
    },
}

impl ClientMachine {
    /// Queues the one completion of `request_id`. `detail` is the reply's, `None` when the
    /// call ends locally (time-out, connection loss, a recording or save outcome).
    pub(super) fn complete(
        &mut self,
        request_id: RequestId,
        what: Completing,
        code: ErrorCode,
        detail: Option<&reply::Detail>,
    ) {
        let kind = match what {
            Completing::Call(kind) => kind,
            Completing::Recording {
                recognize: Recognize::Only,
                text,
            } => {
                let text = if code == ErrorCode::Success {
                    text
                } else {
                    String::new()
                };
                let event = Event::RecognizeText {
                    request_id,
                    code,
                    text,
                };
                self.events.push_back(event);
                return;
            }
            Completing::Recording { .. } => {
                let status = audio_status(request_id, code, None);
                self.events.push_back(Event::SendAudioStatus(status));
                return;
            }
            Completing::RoomHistory {
                room_id,
                remain,
                messages,
            } => {
                self.events.push_back(Event::RoomHistoryFromServer {
                    request_id,
                    code,
                    room_id,
                    remain,
                    messages,
                });
                return;
            }
            Completing::Saved {
                message_id,
                save_path,
            } => {
                if code == ErrorCode::Success {
                    self.keep_saved_path(message_id, &save_path);
                }
                self.events.push_back(Event::DownloadAudio {
                    request_id,
                    code,
                    message_id,
                    save_path,
                });
                return;
            }
        };
        self.track_rooms(&kind, code, detail);
        let event = match kind {
            PendingKind::Login { user_id } => Event::Login {
                request_id,
                code,
                user_id,
            },
            PendingKind::Logout => Event::Logout {
                request_id: Some(request_id),
                code,
            },
            PendingKind::JoinChatRoom { room_id } => Event::JoinChatRoom {
                request_id,
                code,
                room_id,
            },
            PendingKind::LeaveChatRoom { room_id } => Event::LeaveChatRoom {
                request_id,
                code,
                room_id,
            },
            PendingKind::LeaveAllChatRooms => Event::LeaveAllChatRooms { request_id, code },
            PendingKind::RoomMemberCount { room_id } => {
                let count = match detail {
                    Some(reply::Detail::MemberCount(count)) => *count,
                    _ => 0,
                };
                Event::RoomMemberCount {
                    request_id,
                    code,
                    room_id,
                    count,
                }
            }
            PendingKind::Send(outgoing) => {
                if code == ErrorCode::Success {
                    let Outgoing {
                        receiver_id,
                        chat_type,
                        body,
                    } = *outgoing;
                    self.keep_sent(&receiver_id, chat_type, body, Path::new(""), detail);
                }
                Event::SendMessageStatus(inbound::send_status(request_id, code, detail))
            }
            PendingKind::Voice(upload) => {
                if code == ErrorCode::Success {
                    let body = MessageBody::Voice {
                        file_size: upload.recorded.encoded.len() as u64,
                        duration_ms: upload.recorded.duration_ms,
                        text: upload.recorded.text.clone(),
                        extra_param: upload.extra_param.clone(),
                    };
                    let path = upload.recorded.audio_path.clone();
                    self.keep_sent(&upload.receiver_id, upload.chat_type, body, &path, detail);
                }
                let mut status = audio_status(request_id, code, detail);
                let recorded = &upload.recorded;
                status.text = recorded.text.clone();
                status.audio_path = recorded.audio_path.clone();
                status.duration_ms = recorded.duration_ms;
                // A success at the 60 s limit says so.
                if code == ErrorCode::Success && recorded.reached_max_duration {
                    status.code = ErrorCode::PttReachMaxDuration;
                }
                self.events.push_back(Event::SendAudioStatus(status));
                if let Some(start) = upload.late_start {
                    // Planted `StartAfterStatus`: the start event comes after its status.
                    self.events.push_back(*start);
                }
                return;
            }
            PendingKind::Download(download) => Event::DownloadAudio {
                request_id,
                // YIM: an unknown message is ParamInvalid; anything else is a failed download.
                code: match code {
                    ErrorCode::ParamInvalid => ErrorCode::ParamInvalid,
                    _ => ErrorCode::PttDownloadFail,
                },
                message_id: download.message_id,
                save_path: download.save_path,
            },
            PendingKind::RoomHistory(paging) => Event::RoomHistoryFromServer {
                request_id,
                code,
                room_id: paging.room_id,
                remain: 0,
                messages: Vec::new(),
            },
        };
        self.events.push_back(event);
    }

    /// Keeps the joined rooms and their cursors up to date as room calls complete. A join
    /// counts once it succeeded, and starts the room's cursor at the room's last message (what
    /// came before the join is not the member's). A leave counts whatever its outcome: the
    /// application asked to be out, so a leave that failed or timed out (the server may or may
    /// not have done it) still takes the room off the list, its messages are no longer
    /// delivered, and it is not re-joined after a reconnect.
    fn track_rooms(&mut self, kind: &PendingKind, code: ErrorCode, detail: Option<&reply::Detail>) {
        let Some(session) = self.session_mut() else {
            return;
        };
        match kind {
            PendingKind::JoinChatRoom { room_id } if code == ErrorCode::Success => {
                session.joined_rooms.insert(room_id.clone());
                let last_seq = match detail {
                    Some(reply::Detail::RoomJoined(joined)) => joined.last_seq,
                    _ => 0,
                };
                session
                    .room_cursors
                    .entry(room_id.clone())
                    .or_insert(last_seq);
            }
            PendingKind::LeaveChatRoom { room_id } => {
                session.joined_rooms.remove(room_id);
                session.room_cursors.remove(room_id);
            }
            PendingKind::LeaveAllChatRooms => {
                session.joined_rooms.clear();
                session.room_cursors.clear();
            }
            _ => {}
        }
    }
}

/// A voice message's status with the send's fields (see `inbound::send_status`); the
/// recording's fields are the caller's to fill.
fn audio_status(
    request_id: RequestId,
    code: ErrorCode,
    detail: Option<&reply::Detail>,
) -> AudioStatus {
    let send = inbound::send_status(request_id, code, detail);
    AudioStatus {
        request_id,
        code,
        text: String::new(),
        audio_path: PathBuf::new(),
        duration_ms: 0,
        send_time: send.send_time,
        forbid: send.forbid,
        message_id: send.message_id,
    }
}
