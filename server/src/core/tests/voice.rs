//! Unit tests of voice messages: resumable uploads, voice sends on the common send path, and
//! downloads of the stored audio; their bounds, purges and survival across restarts. Uses
//! the harness of the parent module (`max_uploads_per_user` 2, `max_audio_blobs` 2).

use prost::Message as _;
use yim_proto::limits::{MAX_AUDIO_BYTES, MAX_AUDIO_CHUNK_BYTES};
use yim_proto::wire::{
    reply, AudioChunk, DownloadAudio, Reply, SendReceipt, UploadAudio, UploadState, Voice,
};

use super::*;
use crate::store::Store;

const SECS: u64 = T0_MS / 1000;

impl Harness {
    /// One chunk: the reply's code and the received count it reports.
    fn upload(
        &mut self,
        conn: ConnId,
        upload_key: u64,
        total_size: u64,
        offset: u64,
        data: &[u8],
    ) -> (ErrorCode, Option<u64>) {
        let (code, out) = self.call(conn, |request_id| {
            FrameBody::UploadAudio(UploadAudio {
                request_id,
                upload_key,
                total_size,
                offset,
                data: data.to_vec(),
            })
        });
        let received = match reply_of(&out, conn, self.next_request).detail {
            Some(reply::Detail::UploadState(UploadState { received })) => Some(received),
            None => None,
            Some(other) => panic!("an upload reply with {other:?}"),
        };
        (code, received)
    }

    /// Uploads all of `audio` in the largest chunks.
    fn upload_all(&mut self, conn: ConnId, upload_key: u64, audio: &[u8]) {
        let total = audio.len() as u64;
        let mut offset = 0;
        for chunk in audio.chunks(MAX_AUDIO_CHUNK_BYTES) {
            let after = offset + chunk.len() as u64;
            assert_eq!(
                self.upload(conn, upload_key, total, offset, chunk),
                (ErrorCode::Success, Some(after))
            );
            offset = after;
        }
    }

    fn send_voice(
        &mut self,
        conn: ConnId,
        to: &str,
        chat_type: ChatType,
        upload_key: u64,
        file_size: u64,
        idempotency_key: u64,
    ) -> (ErrorCode, SendReceipt, Vec<Output>) {
        let id = self.request_id();
        let message = SendMessage {
            request_id: id,
            receiver_id: to.into(),
            chat_type: chat_type as i32,
            body: Some(Body {
                kind: Some(body::Kind::Voice(Voice {
                    audio_id: 0,
                    file_size,
                    duration_ms: 3_000,
                    text: "hello".into(),
                    extra_param: "extra".into(),
                    upload_key,
                    download_token: 0,
                })),
            }),
            idempotency_key,
        };
        let out = self.frame(conn, FrameBody::SendMessage(message));
        let reply = reply_of(&out, conn, id);
        let Some(reply::Detail::SendReceipt(receipt)) = reply.detail else {
            panic!("send replies carry a receipt")
        };
        (ErrorCode::from_u32(reply.code).unwrap(), receipt, out)
    }

    /// Uploads `audio` under `upload_key` and sends it; the message ID.
    fn voice(
        &mut self,
        conn: ConnId,
        to: &str,
        chat_type: ChatType,
        upload_key: u64,
        audio: &[u8],
    ) -> u64 {
        self.upload_all(conn, upload_key, audio);
        let (code, receipt, _) =
            self.send_voice(conn, to, chat_type, upload_key, audio.len() as u64, 0);
        assert_eq!(code, ErrorCode::Success);
        receipt.message_id
    }

    /// A download with the token `conn` was sent with the message (0 if none).
    fn download(
        &mut self,
        conn: ConnId,
        audio_id: u64,
        offset: u64,
        max_bytes: u32,
    ) -> (ErrorCode, Option<AudioChunk>) {
        let token = self.voice_tokens.get(&(conn, audio_id)).copied();
        self.download_with(conn, audio_id, token.unwrap_or(0), offset, max_bytes)
    }

    fn download_with(
        &mut self,
        conn: ConnId,
        audio_id: u64,
        download_token: u64,
        offset: u64,
        max_bytes: u32,
    ) -> (ErrorCode, Option<AudioChunk>) {
        let (code, out) = self.call(conn, |request_id| {
            FrameBody::DownloadAudio(DownloadAudio {
                request_id,
                audio_id,
                offset,
                max_bytes,
                download_token,
            })
        });
        let chunk = match reply_of(&out, conn, self.next_request).detail {
            Some(reply::Detail::AudioChunk(chunk)) => Some(chunk),
            None => None,
            Some(other) => panic!("a download reply with {other:?}"),
        };
        (code, chunk)
    }

    /// Downloads the whole audio in chunks of `max_bytes`; the bytes and the chunk count.
    fn download_all(&mut self, conn: ConnId, audio_id: u64, max_bytes: u32) -> (Vec<u8>, usize) {
        let mut audio = Vec::new();
        let mut chunks = 0;
        loop {
            let (code, chunk) = self.download(conn, audio_id, audio.len() as u64, max_bytes);
            assert_eq!(code, ErrorCode::Success);
            let chunk = chunk.expect("a chunk");
            assert_eq!(chunk.offset, audio.len() as u64);
            assert!(chunk.data.len() <= MAX_AUDIO_CHUNK_BYTES);
            audio.extend_from_slice(&chunk.data);
            chunks += 1;
            if audio.len() as u64 >= chunk.total_size {
                return (audio, chunks);
            }
            assert!(!chunk.data.is_empty(), "progress before the end");
        }
    }

    fn uploaded(&self, user: &str, upload_key: u64) -> Option<Vec<u8>> {
        self.store.upload_data(APP, user, upload_key).unwrap()
    }

    fn sweep_at(&mut self, ms: u64) {
        self.now_ms = ms;
        self.core.handle_timeout(Now::at(ms));
        self.drain();
    }
}

/// `len` bytes of recognisable audio.
fn audio(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

fn voice_of(message: &Message) -> &Voice {
    match message.body.as_ref().and_then(|b| b.kind.as_ref()) {
        Some(body::Kind::Voice(voice)) => voice,
        _ => panic!("not a voice message: {message:?}"),
    }
}

/// The voice body delivered for message `id`, with the token `delivered` carries (which must
/// be one: never 0).
fn delivered_voice(id: u64, file_size: u64, delivered: &Message) -> Voice {
    let download_token = voice_of(delivered).download_token;
    assert_ne!(
        download_token, 0,
        "a delivered voice message carries a token"
    );
    Voice {
        audio_id: id,
        file_size,
        duration_ms: 3_000,
        text: "hello".into(),
        extra_param: "extra".into(),
        upload_key: 0,
        download_token,
    }
}

#[test]
fn a_chunked_upload_then_a_room_voice_send_delivers_and_the_download_returns_the_bytes() {
    let mut h = Harness::new();
    for (conn, user) in [(1, "alice"), (2, "bob"), (3, "carol")] {
        h.logged_in(conn, user);
    }
    h.join(1, "world");
    h.join(2, "world");
    h.join(3, "guild");
    let sound = audio(40_000);
    h.upload_all(1, 0xfeed, &sound);
    let (code, receipt, out) = h.send_voice(1, "world", ChatType::Room, 0xfeed, 40_000, 0);
    assert_eq!(code, ErrorCode::Success);
    let id = receipt.message_id;
    assert!(id > 0);
    assert!(messages_to(&out, 1).is_empty(), "no echo to the sender");
    assert!(messages_to(&out, 3).is_empty(), "non-members get nothing");
    let to_bob = messages_to(&out, 2);
    assert_eq!(to_bob.len(), 1);
    assert_eq!((to_bob[0].message_id, to_bob[0].room_seq), (id, 1));
    assert_eq!(
        voice_of(&to_bob[0]),
        &delivered_voice(id, 40_000, &to_bob[0])
    );
    assert_eq!(h.uploaded("alice", 0xfeed), None, "the upload is used up");
    // The room log holds the message as delivered (for resuming joins).
    let logged = h.store.room_log_after(APP, "world", 0).unwrap();
    let logged = Message::decode(logged[0].message.as_slice()).unwrap();
    assert_eq!(voice_of(&logged), &delivered_voice(id, 40_000, &to_bob[0]));
    // A member it was sent to downloads it with its token, in chunks of at most
    // MAX_AUDIO_CHUNK_BYTES; so does the sender, without one.
    let (bytes, chunks) = h.download_all(2, id, 0);
    assert_eq!((bytes == sound, chunks), (true, 3));
    let (bytes, chunks) = h.download_all(1, id, 10_000);
    assert_eq!((bytes == sound, chunks), (true, 4));
    // Carol (not in the room) gets what an unknown ID gets.
    assert_eq!(h.download(3, id, 0, 0), (ErrorCode::ParamInvalid, None));
    let (code, chunk) = h.download(2, id, 39_990, u32::MAX);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(chunk.unwrap().data, sound[39_990..]);
    // At the end: an empty chunk; past it: ParamInvalid.
    let (code, chunk) = h.download(2, id, 40_000, 0);
    let chunk = chunk.unwrap();
    assert_eq!(
        (code, chunk.total_size, chunk.data.len()),
        (ErrorCode::Success, 40_000, 0)
    );
    assert_eq!(
        h.download(2, id, 40_001, 0),
        (ErrorCode::ParamInvalid, None)
    );
}

#[test]
fn a_private_voice_send_goes_to_the_mailbox() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.core.handle_disconnect(2, "test");
    let sound = audio(1_000);
    let id = h.voice(1, "bob", ChatType::Private, 5, &sound);
    let out = h.logged_in(3, "bob");
    let mail = messages_to(&out, 3);
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].message_id, mail[0].sender_id.as_str()),
        (id, "alice")
    );
    assert_eq!(voice_of(&mail[0]), &delivered_voice(id, 1_000, &mail[0]));
    assert_eq!(h.download_all(3, id, 0).0, sound);
    // To an online receiver it goes at once (and stays in the mailbox until acknowledged).
    h.upload_all(1, 6, &sound[..10]);
    let (code, receipt, out) = h.send_voice(1, "bob", ChatType::Private, 6, 10, 0);
    assert_eq!(code, ErrorCode::Success);
    let online = messages_to(&out, 3);
    assert_eq!(online.len(), 1);
    assert_eq!(
        voice_of(&online[0]),
        &delivered_voice(receipt.message_id, 10, &online[0])
    );
    assert_eq!(h.store.mail_count(APP, "bob").unwrap(), 2);
    assert_eq!(h.download_all(3, receipt.message_id, 0).0, &sound[..10]);
}

#[test]
fn a_resent_chunk_is_taken_once_and_a_gap_is_refused_with_the_state() {
    let mut h = Harness::new();
    h.connect(9);
    assert_eq!(h.upload(9, 1, 30, 0, b"x"), (ErrorCode::NotLogin, None));
    h.logged_in(1, "alice");
    let sound = audio(30);
    assert_eq!(
        h.upload(1, 1, 30, 0, &sound[..10]),
        (ErrorCode::Success, Some(10))
    );
    assert_eq!(
        h.upload(1, 1, 30, 0, &sound[..10]),
        (ErrorCode::Success, Some(10)),
        "a resend changes nothing"
    );
    assert_eq!(
        h.upload(1, 1, 30, 5, &sound[5..15]),
        (ErrorCode::Success, Some(15)),
        "an overlapping chunk adds only what is new"
    );
    assert_eq!(h.uploaded("alice", 1).unwrap(), &sound[..15]);
    assert_eq!(
        h.upload(1, 1, 30, 20, &sound[20..25]),
        (ErrorCode::ParamInvalid, Some(15)),
        "a gap"
    );
    assert_eq!(
        h.upload(1, 2, 30, 8, &sound[8..10]),
        (ErrorCode::ParamInvalid, Some(0)),
        "a gap in an upload the server does not have: start from 0"
    );
    assert_eq!(h.uploaded("alice", 2), None);
    // Bad parameters: with the state when the upload is known.
    let big = vec![0; MAX_AUDIO_CHUNK_BYTES + 1];
    for (key, total, offset, data, received) in [
        (0, 30, 0, &sound[..1], None),
        (3, 0, 0, &b""[..], None),
        (3, MAX_AUDIO_BYTES + 1, 0, &sound[..1], None),
        (3, MAX_AUDIO_BYTES, 0, &big[..], None),
        (3, 5, 0, &sound[..6], None),
        (3, 5, u64::MAX, &sound[..6], None),
        (1, 31, 15, &sound[15..16], Some(15)),
        (1, 30, 15, &sound[..16], Some(15)),
    ] {
        assert_eq!(
            h.upload(1, key, total, offset, data),
            (ErrorCode::ParamInvalid, received),
            "key {key}, total {total}, offset {offset}, {} bytes",
            data.len()
        );
    }
    assert_eq!(
        h.uploaded("alice", 3),
        None,
        "nothing kept of refused chunks"
    );
    assert_eq!(
        h.upload(1, 1, 30, 15, &sound[15..]),
        (ErrorCode::Success, Some(30))
    );
    assert_eq!(
        h.upload(1, 1, 30, 25, &sound[25..]),
        (ErrorCode::Success, Some(30))
    );
    assert_eq!(
        h.uploaded("alice", 1).unwrap(),
        sound,
        "exactly the audio, once"
    );
    // Uploads are per user: bob's key 1 is his own.
    h.logged_in(2, "bob");
    assert_eq!(h.upload(2, 1, 4, 0, b"bobs"), (ErrorCode::Success, Some(4)));
    assert_eq!(h.uploaded("alice", 1).unwrap(), sound);
}

#[test]
fn a_send_with_an_incomplete_or_missing_upload_fails_with_2004_and_delivers_nothing() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    let sound = audio(100);
    assert_eq!(h.upload(1, 7, 100, 0, &sound[..60]).0, ErrorCode::Success);
    for (to, chat_type, key, size, why) in [
        ("world", ChatType::Room, 7, 100, "incomplete"),
        ("bob", ChatType::Private, 7, 100, "incomplete, private"),
        ("world", ChatType::Room, 8, 100, "no such upload"),
        ("world", ChatType::Room, 0, 100, "no upload key"),
        (
            "world",
            ChatType::Room,
            7,
            60,
            "a size that is not the upload's",
        ),
    ] {
        let (code, receipt, out) = h.send_voice(1, to, chat_type, key, size, 0);
        assert_eq!(code, ErrorCode::PttUploadFail, "{why}");
        assert_eq!(receipt.message_id, 0, "{why}");
        assert!(messages_to(&out, 2).is_empty(), "{why}: nothing delivered");
    }
    assert_eq!(h.store.mail_count(APP, "bob").unwrap(), 0);
    assert!(h.store.room_log_after(APP, "world", 0).unwrap().is_empty());
    // The voice fields are checked first (ParamInvalid, as for any bad parameter).
    let (code, _, _) = h.send_voice(1, "world", ChatType::Room, 7, MAX_AUDIO_BYTES + 1, 0);
    assert_eq!(code, ErrorCode::ParamInvalid);
    // The upload stays: completed, it sends, and the size must match it.
    assert_eq!(h.upload(1, 7, 100, 60, &sound[60..]).0, ErrorCode::Success);
    assert_eq!(
        h.send_voice(1, "world", ChatType::Room, 7, 99, 0).0,
        ErrorCode::PttUploadFail
    );
    let (code, receipt, out) = h.send_voice(1, "world", ChatType::Room, 7, 100, 0);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 2).len(), 1);
    assert_eq!(h.download_all(2, receipt.message_id, 0).0, sound);
    // Used up: sending it again fails.
    assert_eq!(
        h.send_voice(1, "world", ChatType::Room, 7, 100, 0).0,
        ErrorCode::PttUploadFail
    );
}

#[test]
fn a_muted_voice_sender_gets_forbidden_speak_with_the_forbid_fields() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    h.admin(9);
    assert_eq!(
        h.mute(9, "world", "alice", 4, SECS + 60),
        ErrorCode::Success
    );
    let sound = audio(50);
    h.upload_all(1, 3, &sound);
    let (code, receipt, out) = h.send_voice(1, "world", ChatType::Room, 3, 50, 0);
    assert_eq!(code, ErrorCode::ForbiddenSpeak);
    let forbid = receipt.forbid.expect("forbid fields");
    assert_eq!(
        (forbid.is_forbid_room, forbid.reason, forbid.end_time),
        (false, 4, SECS + 60)
    );
    assert_eq!(receipt.message_id, 0);
    assert!(messages_to(&out, 2).is_empty());
    assert_eq!(h.uploaded("alice", 3).unwrap(), sound, "the upload stays");
    // Not joined: NotJoinRoom; after the mute ends the same upload goes out.
    assert_eq!(
        h.send_voice(1, "guild", ChatType::Room, 3, 50, 0).0,
        ErrorCode::NotJoinRoom
    );
    h.now_ms = (SECS + 60) * 1000;
    let (code, _, out) = h.send_voice(1, "world", ChatType::Room, 3, 50, 0);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 2).len(), 1);
}

#[test]
fn downloading_an_unknown_audio_id_gets_param_invalid() {
    let mut h = Harness::new();
    h.connect(9);
    assert_eq!(h.download(9, 1, 0, 0), (ErrorCode::NotLogin, None));
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    let id = h.voice(1, "bob", ChatType::Private, 1, &audio(10));
    assert_eq!(h.download(2, 0, 0, 0), (ErrorCode::ParamInvalid, None));
    assert_eq!(
        h.download(2, id + 1000, 0, 0),
        (ErrorCode::ParamInvalid, None)
    );
    // Another app's user cannot reach it.
    h.connect(5);
    let login = h.login_frame(5, "other", "other_secret", "eve", "pw", "");
    let out = h.frame(5, FrameBody::Login(login));
    assert!(!closed(&out, 5));
    assert_eq!(h.download(5, id, 0, 0), (ErrorCode::ParamInvalid, None));
    assert_eq!(h.download(2, id, 0, 0).0, ErrorCode::Success);
}

#[test]
fn uploads_and_audio_survive_a_restart() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    let sound = audio(30_000);
    assert_eq!(
        h.upload(1, 4, 30_000, 0, &sound[..MAX_AUDIO_CHUNK_BYTES]).0,
        ErrorCode::Success
    );
    let mut h = h.restart();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    let resend = h.upload(1, 4, 30_000, 0, &sound[..100]);
    assert_eq!(
        resend,
        (ErrorCode::Success, Some(MAX_AUDIO_CHUNK_BYTES as u64))
    );
    let rest = &sound[MAX_AUDIO_CHUNK_BYTES..];
    let at = MAX_AUDIO_CHUNK_BYTES as u64;
    assert_eq!(
        h.upload(1, 4, 30_000, at, rest),
        (ErrorCode::Success, Some(30_000))
    );
    let (code, receipt, _) = h.send_voice(1, "bob", ChatType::Private, 4, 30_000, 0);
    assert_eq!(code, ErrorCode::Success);
    let mut h = h.restart();
    h.logged_in(2, "bob");
    assert_eq!(h.download_all(2, receipt.message_id, 0).0, sound);
}

#[test]
fn uploads_are_bounded_per_user_and_purged_by_age() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    assert_eq!(h.upload(2, 1, 5, 0, b"b").0, ErrorCode::Success);
    for key in [1, 2] {
        assert_eq!(h.upload(1, key, 5, 0, b"a").0, ErrorCode::Success);
    }
    // More chunks of a held upload are fine; a third upload drops the oldest (key 1).
    assert_eq!(h.upload(1, 1, 5, 1, b"a").0, ErrorCode::Success);
    assert_eq!(h.upload(1, 3, 5, 0, b"a").0, ErrorCode::Success);
    assert_eq!(h.store.upload_keys(APP, "alice").unwrap(), [2, 3]);
    assert_eq!(
        h.uploaded("bob", 1).unwrap(),
        b"b",
        "other users keep theirs"
    );
    assert_eq!(
        h.upload(1, 1, 5, 2, b"a"),
        (ErrorCode::ParamInvalid, Some(0)),
        "a dropped upload starts over"
    );
    // Touched 300 s later, key 3 outlives key 2 (and bob's) by the 600 s age limit.
    h.now_ms += 300_000;
    assert_eq!(h.upload(1, 3, 5, 1, b"a").0, ErrorCode::Success);
    h.sweep_at(T0_MS + 600_000);
    assert_eq!(
        h.store.upload_keys(APP, "alice").unwrap(),
        [2, 3],
        "not yet"
    );
    h.sweep_at(T0_MS + 601_000);
    assert_eq!(h.store.upload_keys(APP, "alice").unwrap(), [3]);
    assert_eq!(h.uploaded("bob", 1), None);
    h.sweep_at(T0_MS + 901_000);
    assert!(h.store.upload_keys(APP, "alice").unwrap().is_empty());
}

#[test]
fn audio_is_kept_for_its_retention_and_capped_per_app() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    let first = h.voice(1, "bob", ChatType::Private, 1, b"one");
    h.now_ms += 1000;
    let second = h.voice(1, "bob", ChatType::Private, 2, b"two");
    // The sweeps also close the idle connections: each check logs in anew.
    h.sweep_at(T0_MS + 86_400_000);
    h.logged_in(3, "bob");
    for id in [first, second] {
        assert_eq!(h.download(3, id, 0, 0).0, ErrorCode::Success, "kept a day");
    }
    h.sweep_at(T0_MS + 86_401_000);
    h.logged_in(4, "alice");
    assert_eq!(h.download(3, first, 0, 0), (ErrorCode::ParamInvalid, None));
    assert_eq!(h.download(3, second, 0, 0).0, ErrorCode::Success);
    // Bob's mailbox (2 here) is full: the send fails and its upload stays for a retry.
    h.upload_all(4, 3, b"three");
    let (code, _, _) = h.send_voice(4, "bob", ChatType::Private, 3, 5, 0);
    assert_eq!(code, ErrorCode::ServerError);
    assert_eq!(
        h.store.upload_data(APP, "alice", 3).unwrap().unwrap(),
        b"three"
    );
    h.frame(
        3,
        FrameBody::AckMessages(AckMessages {
            up_to_message_id: second,
        }),
    );
    // The cap is 2 per app here: a third drops the oldest.
    let (code, receipt, _) = h.send_voice(4, "bob", ChatType::Private, 3, 5, 0);
    assert_eq!(code, ErrorCode::Success);
    let third = receipt.message_id;
    assert_eq!(
        h.download(3, second, 0, 0).0,
        ErrorCode::Success,
        "the failed send's audio was dropped, so it took no place under the cap"
    );
    let fourth = h.voice(4, "bob", ChatType::Private, 4, b"four");
    assert_eq!(h.download(3, second, 0, 0), (ErrorCode::ParamInvalid, None));
    assert_eq!(h.download_all(3, third, 0).0, b"three");
    assert_eq!(h.download_all(3, fourth, 0).0, b"four");
}

#[test]
fn a_resent_voice_send_gets_the_first_receipt_and_is_delivered_once() {
    let mut h = Harness::new();
    h.logged_in(1, "alice");
    h.logged_in(2, "bob");
    h.join(1, "world");
    h.join(2, "world");
    h.upload_all(1, 9, b"voice");
    let (code, first, out) = h.send_voice(1, "world", ChatType::Room, 9, 5, 77);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(messages_to(&out, 2).len(), 1);
    // The upload is gone, but the resend is answered from the first send.
    h.now_ms += 5_000;
    let (code, again, out) = h.send_voice(1, "world", ChatType::Room, 9, 5, 77);
    assert_eq!(code, ErrorCode::Success);
    assert_eq!(
        (again.message_id, again.send_time),
        (first.message_id, first.send_time)
    );
    assert!(messages_to(&out, 2).is_empty(), "delivered once");
    assert_eq!(h.store.room_log_after(APP, "world", 0).unwrap().len(), 1);
    // Without the key, the same resend is a new send of a used-up upload.
    assert_eq!(
        h.send_voice(1, "world", ChatType::Room, 9, 5, 0).0,
        ErrorCode::PttUploadFail
    );
}

#[test]
fn the_largest_chunks_fit_in_a_frame() {
    let upload = Frame::new(FrameBody::UploadAudio(UploadAudio {
        request_id: u64::MAX,
        upload_key: u64::MAX,
        total_size: u64::MAX,
        offset: u64::MAX,
        data: vec![0xff; MAX_AUDIO_CHUNK_BYTES],
    }));
    let reply = Frame::new(FrameBody::Reply(Reply {
        request_id: u64::MAX,
        code: u32::MAX,
        detail: Some(reply::Detail::AudioChunk(AudioChunk {
            total_size: u64::MAX,
            offset: u64::MAX,
            data: vec![0xff; MAX_AUDIO_CHUNK_BYTES],
        })),
    }));
    for frame in [upload, reply] {
        let bytes = yim_proto::encode_frame(&frame).expect("within the frame limit");
        assert!(bytes.len() <= 4 + yim_proto::MAX_FRAME_BYTES);
        assert!(
            bytes.len() < yim_proto::MAX_FRAME_BYTES / 2,
            "{} bytes: a chunk stays well inside a frame",
            bytes.len()
        );
    }
}
