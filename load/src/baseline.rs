//! The baseline: a bare fan-out server with the same framing and the same frames as
//! `yim-server` and no chat logic, so a load run can say how much of the cost is ours and how
//! much is the machine, the loopback and the protocol.
//!
//! It answers a login's challenge and every request minimally (no password, no proof check,
//! no store, no dedupe, no limits), keeps who is in which room, and relays each send as the
//! same `Message` frame the real server would deliver. What a good fan-out does and the real
//! server (today) does not: each message is encoded once and its bytes shared by every
//! receiver, connections are served by their own tasks on every core (no single owner), and
//! each connection writes whatever is queued for it in one `write`. A receiver whose queue is
//! full (10,240 frames, the real server's default) loses the frame; the load tool reports it
//! as a missing delivery.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use yim_proto::wire::{
    body, reply, Challenge, LoginReceipt, Message, Pong, Reply, RoomJoined, SendReceipt,
    UploadState,
};
use yim_proto::{encode_frame, ChatType, Frame, FrameBody, FrameDecoder};

/// Frames queued per connection, as `yim-server`'s default.
const QUEUE_FRAMES: usize = 10_240;
/// Bytes gathered into one write at most.
const WRITE_BATCH_BYTES: usize = 64 * 1024;

type Out = mpsc::Sender<Bytes>;

#[derive(Default)]
struct Hub {
    rooms: BTreeMap<String, BTreeMap<u64, Out>>,
    users: BTreeMap<String, Out>,
    room_seqs: BTreeMap<String, u64>,
    next_id: u64,
}

fn frame_bytes(body: FrameBody) -> Bytes {
    encode_frame(&Frame::new(body))
        .map(Bytes::from)
        .unwrap_or_default()
}

fn reply_bytes(request_id: u64, detail: Option<reply::Detail>) -> Bytes {
    frame_bytes(FrameBody::Reply(Reply {
        request_id,
        code: 0,
        detail,
    }))
}

/// Serves until the process ends.
pub async fn serve(listener: TcpListener) {
    let hub = Arc::new(Mutex::new(Hub::default()));
    let mut next_conn = 0;
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        next_conn += 1;
        tokio::spawn(connection(stream, next_conn, hub.clone()));
    }
}

async fn connection(stream: tokio::net::TcpStream, conn: u64, hub: Arc<Mutex<Hub>>) {
    let (mut reader, mut writer) = stream.into_split();
    let (out, mut queue) = mpsc::channel::<Bytes>(QUEUE_FRAMES);
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(WRITE_BATCH_BYTES);
        while let Some(first) = queue.recv().await {
            batch.clear();
            batch.extend_from_slice(&first);
            while batch.len() < WRITE_BATCH_BYTES {
                let Ok(more) = queue.try_recv() else { break };
                batch.extend_from_slice(&more);
            }
            if writer.write_all(&batch).await.is_err() {
                return;
            }
        }
    });
    let _ = out.try_send(frame_bytes(FrameBody::Challenge(Challenge {
        protocol_version: yim_proto::PROTOCOL_VERSION,
        nonce: vec![0; 16],
    })));
    let mut decoder = FrameDecoder::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut user = String::new();
    while let Ok(n @ 1..) = reader.read(&mut chunk).await {
        decoder.extend(&chunk[..n]);
        while let Ok(Some(frame)) = decoder.next_frame() {
            let Some(body) = frame.body else { continue };
            let answer = handle(&hub, conn, &out, &mut user, body);
            if let Some(answer) = answer {
                let _ = out.try_send(answer);
            }
        }
    }
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    for members in hub.rooms.values_mut() {
        members.remove(&conn);
    }
    hub.users.remove(&user);
}

/// One frame from a client; returns the answer to queue on its connection.
fn handle(
    hub: &Mutex<Hub>,
    conn: u64,
    out: &Out,
    user: &mut String,
    body: FrameBody,
) -> Option<Bytes> {
    let mut hub = hub.lock().unwrap_or_else(|p| p.into_inner());
    match body {
        FrameBody::Login(login) => {
            *user = login.user_id;
            hub.users.insert(user.clone(), out.clone());
            hub.next_id += 1;
            let receipt = LoginReceipt {
                session_id: hub.next_id,
            };
            Some(reply_bytes(
                login.request_id,
                Some(reply::Detail::LoginReceipt(receipt)),
            ))
        }
        FrameBody::JoinRoom(join) => {
            let last_seq = hub.room_seqs.get(&join.room_id).copied().unwrap_or(0);
            hub.rooms
                .entry(join.room_id)
                .or_default()
                .insert(conn, out.clone());
            let joined = RoomJoined {
                last_seq,
                ..RoomJoined::default()
            };
            Some(reply_bytes(
                join.request_id,
                Some(reply::Detail::RoomJoined(joined)),
            ))
        }
        FrameBody::SendMessage(send) => {
            hub.next_id += 1;
            let message_id = hub.next_id;
            let room = send.chat_type == ChatType::Room as i32;
            let room_seq = if room {
                let seq = hub.room_seqs.entry(send.receiver_id.clone()).or_default();
                *seq += 1;
                *seq
            } else {
                0
            };
            let mut body = send.body;
            if let Some(body::Kind::Voice(voice)) = body.as_mut().and_then(|b| b.kind.as_mut()) {
                voice.audio_id = message_id;
                voice.upload_key = 0;
            }
            // A real timestamp, so the frame is as long as the real server's.
            let now_secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let message = frame_bytes(FrameBody::Message(Message {
                message_id,
                sender_id: user.clone(),
                receiver_id: send.receiver_id.clone(),
                chat_type: send.chat_type,
                create_time: now_secs,
                room_seq,
                body,
            }));
            if room {
                for (member, member_out) in hub.rooms.get(&send.receiver_id).into_iter().flatten() {
                    if *member != conn {
                        let _ = member_out.try_send(message.clone());
                    }
                }
            } else if let Some(receiver) = hub.users.get(&send.receiver_id) {
                let _ = receiver.try_send(message);
            }
            let receipt = SendReceipt {
                message_id,
                send_time: now_secs,
                forbid: None,
                room_seq: 0,
            };
            Some(reply_bytes(
                send.request_id,
                Some(reply::Detail::SendReceipt(receipt)),
            ))
        }
        FrameBody::UploadAudio(upload) => {
            let received = upload.offset + upload.data.len() as u64;
            let state = UploadState { received };
            Some(reply_bytes(
                upload.request_id,
                Some(reply::Detail::UploadState(state)),
            ))
        }
        FrameBody::Ping(ping) => Some(frame_bytes(FrameBody::Pong(Pong { nonce: ping.nonce }))),
        FrameBody::LeaveRoom(leave) => {
            if let Some(members) = hub.rooms.get_mut(&leave.room_id) {
                members.remove(&conn);
            }
            Some(reply_bytes(leave.request_id, None))
        }
        FrameBody::Logout(logout) => Some(reply_bytes(logout.request_id, None)),
        FrameBody::LeaveAllRooms(leave) => Some(reply_bytes(leave.request_id, None)),
        _ => None,
    }
}
