//! Replays the fuzz corpus in `fixtures/fuzz/` through the same checks the fuzz targets run
//! (`yim_proto::fuzzing`), and keeps the hand-made seeds there in sync with the golden frames.
//!
//! Set `YIM_BLESS_CORPUS=1` to (re)write the seeds after a golden frame changes. Files found
//! by fuzzing (crash reproducers) are added by hand and are replayed too.

// Test code: helpers unwrap like #[test] functions (clippy.toml: allow-unwrap-in-tests).
#![allow(clippy::unwrap_used)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use prost::encoding::{encode_key, encode_varint, WireType};
use yim_proto::framing::{decode_frame, DecodeError, MAX_FRAME_BYTES};
use yim_proto::fuzzing::{check_decode, check_round_trip};
use yim_proto::{encode_frame, Frame};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/fuzz")
        .join(target)
}

/// Every file of a corpus directory, sorted by name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn decode_frame_corpus_passes_check_decode() {
    let files = corpus("decode_frame");
    assert!(!files.is_empty(), "empty decode_frame corpus");
    for (name, data) in files {
        eprintln!("decode_frame/{name}");
        check_decode(&data);
    }
}

#[test]
fn round_trip_corpus_passes_check_round_trip() {
    let files = corpus("round_trip");
    assert!(!files.is_empty(), "empty round_trip corpus");
    for (name, data) in files {
        eprintln!("round_trip/{name}");
        check_round_trip(&data);
    }
}

/// A length-delimited field.
fn field(tag: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(tag, WireType::LengthDelimited, &mut out);
    encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// A varint field written as the given raw varint bytes (which may be non-canonical).
fn raw_varint_field(tag: u32, varint: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(tag, WireType::Varint, &mut out);
    out.extend_from_slice(varint);
    out
}

/// A frame: the length prefix, then `body` as is.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn golden(name: &str) -> Vec<u8> {
    let (_, frame) = common::golden_frames()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap();
    encode_frame(&frame).unwrap()
}

// Field numbers from yim.proto.
const FRAME_MESSAGE: u32 = 3;
const FRAME_GOODBYE: u32 = 6;
const FRAME_SEND_MESSAGE: u32 = 16;
const FRAME_PING: u32 = 17;
const SEND_MESSAGE_CHAT_TYPE: u32 = 3;
const SEND_MESSAGE_BODY: u32 = 4;
const BODY_CUSTOM: u32 = 2;
const UNKNOWN_FIELD: u32 = 99;

/// `levels` start-group markers of an unknown field, closed again by as many end-group markers.
fn nested_unknown_groups(levels: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..levels {
        encode_key(UNKNOWN_FIELD, WireType::StartGroup, &mut out);
    }
    for _ in 0..levels {
        encode_key(UNKNOWN_FIELD, WireType::EndGroup, &mut out);
    }
    out
}

/// A SendMessage frame of exactly `MAX_FRAME_BYTES` whose chat_type is -1 written as a 5-byte
/// varint. prost reads the varint as a u64 and truncates it to i32, but writes a negative i32
/// as 10 bytes, so re-encoding this frame makes it 5 bytes longer than the input.
fn max_size_frame_with_short_negative_chat_type() -> Vec<u8> {
    let chat_type = raw_varint_field(SEND_MESSAGE_CHAT_TYPE, &[0xff, 0xff, 0xff, 0xff, 0x0f]);
    for content_len in (0..MAX_FRAME_BYTES).rev() {
        let custom = field(1, &vec![b'x'; content_len]);
        let mut send = chat_type.clone();
        send.extend(field(SEND_MESSAGE_BODY, &field(BODY_CUSTOM, &custom)));
        let body = field(FRAME_SEND_MESSAGE, &send);
        if body.len() == MAX_FRAME_BYTES {
            return framed(&body);
        }
    }
    unreachable!("some content length gives a frame of exactly MAX_FRAME_BYTES")
}

/// The hand-made seeds of the decode_frame corpus: every golden frame, and the edge cases.
fn decode_frame_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds: Vec<(String, Vec<u8>)> = common::golden_frames()
        .iter()
        .map(|(name, frame)| (format!("golden_{name}.bin"), encode_frame(frame).unwrap()))
        .collect();
    let message = golden("message_room_text");
    let ping = golden("ping");
    let pong = golden("pong");
    let mut seed = |name: &str, bytes: Vec<u8>| seeds.push((format!("{name}.bin"), bytes));

    seed("empty_input", Vec::new());
    seed("partial_length_prefix", message[..3].to_vec());
    seed("length_prefix_only", message[..4].to_vec());
    seed("truncated_body", message[..message.len() - 1].to_vec());
    seed(
        "length_max_frame_bytes_body_missing",
        [&(MAX_FRAME_BYTES as u32).to_be_bytes()[..], &[0x1a; 16]].concat(),
    );
    seed(
        "length_max_frame_bytes_plus_one",
        (MAX_FRAME_BYTES as u32 + 1).to_be_bytes().to_vec(),
    );
    seed("length_u32_max", u32::MAX.to_be_bytes().to_vec());
    seed("empty_body", framed(&[]));
    seed(
        "unknown_field_only",
        framed(&raw_varint_field(UNKNOWN_FIELD, &[1])),
    );
    seed("garbage_protobuf", framed(&[0xff, 0xff]));
    seed(
        "wrong_wire_type",
        framed(&raw_varint_field(FRAME_GOODBYE, &[1])),
    );
    seed(
        "invalid_utf8_string",
        framed(&field(FRAME_GOODBYE, &field(2, &[b'o', b'k', 0xff, 0xfe]))),
    );
    seed(
        "inner_length_overruns_frame",
        framed(&[FRAME_MESSAGE as u8 * 8 + 2, 0x7f, 0x08, 0x01]),
    );
    seed(
        "unknown_groups_nested_50",
        framed(&[&nested_unknown_groups(50)[..], &ping[4..]].concat()),
    );
    seed(
        "unknown_groups_nested_200",
        framed(&[&nested_unknown_groups(200)[..], &ping[4..]].concat()),
    );
    seed("two_frames_back_to_back", [&ping[..], &pong].concat());
    seed(
        "frame_then_partial_frame",
        [&ping[..], &message[..9]].concat(),
    );
    seed("frame_then_garbage", [&ping[..], &framed(&[0xff])].concat());
    seed("frame_then_empty_body", [&ping[..], &framed(&[])].concat());
    seed(
        "frame_then_u32_max_length",
        [&ping[..], &u32::MAX.to_be_bytes()].concat(),
    );
    seed(
        "two_bodies_last_wins",
        framed(&[&ping[4..], &pong[4..]].concat()),
    );
    seed(
        "message_field_twice_merges",
        framed(&[&message[4..], &field(FRAME_MESSAGE, &field(2, b"bob"))].concat()),
    );
    seed(
        "non_canonical_varints",
        framed(&field(
            FRAME_PING,
            &raw_varint_field(1, &[0x91, 0x80, 0x80, 0x80, 0x00]),
        )),
    );
    seed(
        "unknown_chat_type",
        framed(&field(
            FRAME_SEND_MESSAGE,
            &raw_varint_field(SEND_MESSAGE_CHAT_TYPE, &[99]),
        )),
    );
    seed(
        "negative_chat_type_short_varint",
        framed(&field(
            FRAME_SEND_MESSAGE,
            &raw_varint_field(SEND_MESSAGE_CHAT_TYPE, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        )),
    );
    seed(
        "max_size_frame_negative_chat_type_short_varint",
        max_size_frame_with_short_negative_chat_type(),
    );
    seeds
}

/// Variants of `FrameBody` (golden.rs checks the count against the schema).
const FRAME_BODY_VARIANTS: u64 = 21;

/// The hand-made seeds of the round_trip corpus: for each variant, input that makes
/// `Frame::arbitrary` pick it (the golden encoding serves as filler for the fields), plus
/// inputs that give no body.
fn round_trip_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = vec![
        ("empty_input.bin".to_owned(), Vec::new()),
        ("no_body.bin".to_owned(), vec![0x00]),
        ("all_ff_256.bin".to_owned(), vec![0xff; 256]),
    ];
    let mut seen = Vec::new();
    for (name, frame) in common::golden_frames() {
        let wanted = std::mem::discriminant(frame.body.as_ref().unwrap());
        if seen.contains(&wanted) {
            continue;
        }
        seen.push(wanted);
        let filler = encode_frame(&frame).unwrap();
        // `Some`, then the variant index scaled as arbitrary's derive reads it, then filler.
        let data = (0..u64::from(u8::MAX))
            .map(|index| {
                let choice = ((index << 32).div_ceil(FRAME_BODY_VARIANTS) as u32).to_le_bytes();
                [&[0x01][..], &choice, &filler].concat()
            })
            .find(|data| {
                let made = Frame::arbitrary(&mut Unstructured::new(data)).unwrap();
                made.body.as_ref().map(std::mem::discriminant) == Some(wanted)
            })
            .unwrap_or_else(|| panic!("no input picks the variant of {name}"));
        seeds.push((format!("variant_{name}.bin"), data));
    }
    seeds
}

/// Checks that each seed is in the corpus with the same bytes, or writes it when blessing.
fn check_seeds(target: &str, seeds: Vec<(String, Vec<u8>)>) {
    let dir = corpus_dir(target);
    let bless = std::env::var_os("YIM_BLESS_CORPUS").is_some_and(|v| v == "1");
    for (name, bytes) in seeds {
        let path = dir.join(&name);
        if bless {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &bytes).unwrap();
        } else {
            let stored = fs::read(&path)
                .unwrap_or_else(|e| panic!("{}: {e}; run with YIM_BLESS_CORPUS=1", path.display()));
            assert!(
                stored == bytes,
                "{} is stale; run with YIM_BLESS_CORPUS=1",
                path.display()
            );
        }
    }
}

#[test]
fn decode_frame_seeds_are_in_the_corpus() {
    check_seeds("decode_frame", decode_frame_seeds());
}

#[test]
fn round_trip_seeds_are_in_the_corpus() {
    check_seeds("round_trip", round_trip_seeds());
}

/// The seeds are what their names say.
#[test]
fn decode_frame_seeds_decode_as_named() {
    let seeds = decode_frame_seeds();
    let seed = |name: &str| {
        let file = format!("{name}.bin");
        seeds.iter().find(|(n, _)| *n == file).unwrap().1.clone()
    };
    let first = |name: &str| decode_frame(&seed(name));
    let malformed = |name: &str| matches!(first(name), Err(DecodeError::Malformed(_)));

    for name in [
        "empty_input",
        "partial_length_prefix",
        "length_prefix_only",
        "truncated_body",
        "length_max_frame_bytes_body_missing",
    ] {
        assert_eq!(first(name), Ok(None), "{name}");
    }
    assert_eq!(
        first("length_u32_max"),
        Err(DecodeError::TooLong {
            declared_bytes: u32::MAX as usize
        })
    );
    assert!(matches!(
        first("length_max_frame_bytes_plus_one"),
        Err(DecodeError::TooLong { .. })
    ));
    assert_eq!(first("empty_body"), Err(DecodeError::EmptyBody));
    assert_eq!(first("unknown_field_only"), Err(DecodeError::EmptyBody));
    for name in [
        "garbage_protobuf",
        "wrong_wire_type",
        "invalid_utf8_string",
        "inner_length_overruns_frame",
        "unknown_groups_nested_200",
    ] {
        assert!(malformed(name), "{name}: {:?}", first(name));
    }
    let ping = common::golden_frames()
        .into_iter()
        .find(|(n, _)| *n == "ping")
        .unwrap()
        .1;
    assert!(matches!(first("unknown_groups_nested_50"), Ok(Some((f, _))) if f == ping));
    assert!(matches!(first("two_frames_back_to_back"), Ok(Some((f, 9))) if f == ping));
    assert!(matches!(first("non_canonical_varints"), Ok(Some((f, _))) if f == ping));
    assert_eq!(
        first("max_size_frame_negative_chat_type_short_varint"),
        Err(DecodeError::ReencodesTooLong {
            encoded_bytes: MAX_FRAME_BYTES + 5
        })
    );
    assert!(matches!(
        first("negative_chat_type_short_varint"),
        Ok(Some((Frame { body: Some(yim_proto::FrameBody::SendMessage(m)) }, _))) if m.chat_type == -1
    ));
    assert!(matches!(
        first("two_bodies_last_wins"),
        Ok(Some((
            Frame {
                body: Some(yim_proto::FrameBody::Pong(_))
            },
            _
        )))
    ));
}
