//! Golden wire encodings: one snapshot of `encode_frame` per example in `common`, covering
//! every frame body variant. A changed snapshot is a wire change: review it as one.

// Test code: helpers unwrap like #[test] functions (clippy.toml: allow-unwrap-in-tests).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use prost::encoding::{encode_key, WireType};
use yim_proto::framing::decode_frame;
use yim_proto::{encode_frame, Frame, FrameBody};

/// The variant's name. `Frame::kind` has no wildcard arm, so a new `FrameBody` variant stops
/// the crate compiling until it is named there, and `every_variant_has_a_golden_example` then
/// fails until `common::golden_frames` has an example of it.
fn variant_name(body: &FrameBody) -> &'static str {
    Frame::new(body.clone()).kind()
}

fn golden_hex(frame: &Frame) -> String {
    hex::encode(encode_frame(frame).expect("golden frames fit the limit"))
}

#[test]
fn golden_encodings() {
    for (name, frame) in common::golden_frames() {
        insta::assert_snapshot!(name, golden_hex(&frame));
    }
}

/// The hex stored in the snapshot file, so decoding is checked against what was reviewed,
/// not against the current encoder.
fn stored_hex(name: &str) -> String {
    let path = format!(
        "{}/tests/snapshots/golden__{name}.snap",
        env!("CARGO_MANIFEST_DIR")
    );
    let snap = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // An insta snapshot is a `---`-delimited header, then the value.
    let value = snap
        .splitn(3, "---\n")
        .nth(2)
        .unwrap_or_else(|| panic!("{path}: no header"));
    value.trim().to_owned()
}

#[test]
fn stored_golden_hex_decodes_to_the_frame() {
    for (name, frame) in common::golden_frames() {
        let bytes = hex::decode(stored_hex(name)).unwrap();
        assert_eq!(
            decode_frame(&bytes),
            Ok(Some((frame, bytes.len()))),
            "golden {name}"
        );
    }
}

#[test]
fn golden_names_are_unique() {
    let frames = common::golden_frames();
    let names: BTreeSet<_> = frames.iter().map(|(name, _)| *name).collect();
    assert_eq!(names.len(), frames.len());
}

/// One instance of every `FrameBody` variant, found by decoding an empty field for each field
/// number up to 4095 (as a message, and as a varint in case a scalar variant is ever added).
/// Independent of `variant_name`, so it also sees variants added there without an example.
fn every_variant() -> Vec<FrameBody> {
    let mut variants = Vec::new();
    for tag in 1..4096 {
        for (wire_type, value) in [(WireType::LengthDelimited, 0), (WireType::Varint, 0)] {
            let mut body = Vec::new();
            encode_key(tag, wire_type, &mut body);
            body.push(value);
            let mut bytes = (body.len() as u32).to_be_bytes().to_vec();
            bytes.extend(body);
            if let Ok(Some((Frame { body: Some(b) }, _))) = decode_frame(&bytes) {
                variants.push(b);
                break;
            }
        }
    }
    variants
}

#[test]
fn every_variant_has_a_golden_example() {
    let variants: BTreeSet<_> = every_variant().iter().map(variant_name).collect();
    assert_eq!(variants.len(), 21, "the schema has 21 frame body variants");
    let covered: BTreeSet<_> = common::golden_frames()
        .iter()
        .filter_map(|(_, frame)| frame.body.as_ref().map(variant_name))
        .collect();
    assert_eq!(covered, variants);
}

/// Frame sizes on the wire, length prefix included, for a room message with a 20-byte text:
/// 61 bytes delivered (server -> client), 53 bytes sent (client -> server): 44 plus the
/// 9-byte idempotency key (a fixed64 with its tag) every send carries.
#[test]
fn room_text_message_sizes() {
    let delivered = encode_frame(&common::room_text_message()).unwrap();
    let sent = encode_frame(&common::room_text_send()).unwrap();
    assert_eq!(common::TEXT_20.len(), 20);
    assert_eq!(delivered.len(), 61);
    assert_eq!(sent.len(), 53);
}
