//! The properties the framing code promises, as checks over raw fuzzer bytes.
//!
//! Shared by the cargo-fuzz targets in `fuzz/` and the corpus replay in
//! `proto/tests/fuzz_corpus.rs`, so both test the same thing. A check accepts any input; it
//! panics (the fuzzer's signal for a finding) only when the framing code breaks a promise.

use arbitrary::{Arbitrary, Unstructured};

use crate::framing::{
    decode_frame, encode_frame, DecodeError, EncodeError, FrameDecoder, LENGTH_PREFIX_BYTES,
    MAX_FRAME_BYTES,
};
use crate::wire::Frame;

/// How a byte stream ends: with an error, or waiting for more with this many bytes buffered
/// (0 when it ends on a frame boundary).
#[derive(Debug, PartialEq)]
enum StreamEnd {
    Error(DecodeError),
    NeedMore { buffered: usize },
}

/// Decodes `data` as a byte stream and checks the decoder's promises:
///
/// - `FrameDecoder` yields the same frames and the same end (error, or bytes left waiting)
///   whichever way the stream is cut into reads: whole, byte by byte, and in chunks sized by
///   a generator seeded from the input;
/// - those agree with `decode_frame` applied frame after frame to the whole input (so the
///   first result of the streaming decoder is what `decode_frame(data)` returns);
/// - waiting for more never buffers more than one frame's prefix and maximal body;
/// - every decoded frame re-encodes with `encode_frame` and decodes back to itself.
pub fn check_decode(data: &[u8]) {
    let (frames, end) = decode_all(data);

    for frame in &frames {
        let bytes = match encode_frame(frame) {
            Ok(bytes) => bytes,
            Err(e) => panic!("decoded {} frame does not re-encode: {e}", frame.kind()),
        };
        assert_eq!(
            decode_frame(&bytes),
            Ok(Some((frame.clone(), bytes.len()))),
            "re-encoded frame does not decode back to itself"
        );
    }
    match end {
        StreamEnd::Error(DecodeError::TooLong {
            declared_bytes: bytes,
        })
        | StreamEnd::Error(DecodeError::ReencodesTooLong {
            encoded_bytes: bytes,
        }) => assert!(bytes > MAX_FRAME_BYTES, "{end:?} within the limit"),
        _ => {}
    }

    for chunking in [
        Chunking::Whole,
        Chunking::Bytewise,
        Chunking::Seeded(seed(data)),
    ] {
        let (streamed_frames, streamed_end) = decode_stream(data, chunking);
        assert_eq!(
            (&streamed_frames, &streamed_end),
            (&frames, &end),
            "FrameDecoder fed {chunking:?} disagrees with decode_frame"
        );
    }
}

/// Builds an arbitrary `Frame` from `data` and checks that encoding round-trips: if
/// `encode_frame` accepts it, `decode_frame` gives the same frame back and consumes exactly
/// the encoded bytes (also when more bytes follow), or reports `EmptyBody` for a frame without
/// a body; the streaming decoder agrees (via [`check_decode`]).
pub fn check_round_trip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(frame) = Frame::arbitrary(&mut u) else {
        return;
    };
    let bytes = match encode_frame(&frame) {
        Ok(bytes) => bytes,
        Err(EncodeError::TooLong { bytes }) => {
            assert!(bytes > MAX_FRAME_BYTES, "TooLong for {bytes} bytes");
            return;
        }
    };
    let body_bytes = bytes.len() - LENGTH_PREFIX_BYTES;
    assert!(body_bytes <= MAX_FRAME_BYTES);
    assert_eq!(
        bytes[..LENGTH_PREFIX_BYTES],
        (body_bytes as u32).to_be_bytes()
    );

    let expected = if frame.body.is_some() {
        Ok(Some((frame, bytes.len())))
    } else {
        Err(DecodeError::EmptyBody)
    };
    assert_eq!(decode_frame(&bytes), expected);

    // Whatever follows the frame on the stream is not consumed.
    let mut followed = bytes.clone();
    followed.extend_from_slice(u.take_rest());
    assert_eq!(decode_frame(&followed), expected);

    check_decode(&bytes);
}

/// The frames in `data` and how it ends, by `decode_frame` applied at each frame boundary.
fn decode_all(data: &[u8]) -> (Vec<Frame>, StreamEnd) {
    let mut frames = Vec::new();
    let mut rest = data;
    loop {
        match decode_frame(rest) {
            Ok(Some((frame, used))) => {
                assert!(
                    used > LENGTH_PREFIX_BYTES && used <= rest.len(),
                    "decode_frame used {used} of {} bytes",
                    rest.len()
                );
                frames.push(frame);
                rest = &rest[used..];
            }
            Ok(None) => {
                let buffered = rest.len();
                return (frames, StreamEnd::NeedMore { buffered });
            }
            Err(e) => return (frames, StreamEnd::Error(e)),
        }
    }
}

/// How a stream is cut into reads.
#[derive(Debug, Clone, Copy)]
enum Chunking {
    Whole,
    Bytewise,
    /// Reads of 0 to 63 bytes, sizes drawn from a generator with this seed.
    Seeded(u64),
}

/// Feeds `data` to a `FrameDecoder` in reads cut by `chunking`, pulling frames after each read
/// until it needs more bytes or fails.
fn decode_stream(data: &[u8], chunking: Chunking) -> (Vec<Frame>, StreamEnd) {
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    let mut rest = data;
    let mut rng = crate::rng::SplitMix64::new(match chunking {
        Chunking::Seeded(seed) => seed,
        Chunking::Whole | Chunking::Bytewise => 0,
    });
    loop {
        let read = match chunking {
            Chunking::Whole => rest.len(),
            Chunking::Bytewise => 1,
            Chunking::Seeded(_) => (rng.next_u64() % 64) as usize,
        }
        .min(rest.len());
        decoder.extend(&rest[..read]);
        rest = &rest[read..];
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(e) => return (frames, StreamEnd::Error(e)),
            }
        }
        let buffered = decoder.buffered_bytes();
        assert!(
            buffered < LENGTH_PREFIX_BYTES + MAX_FRAME_BYTES,
            "decoder waits with {buffered} bytes buffered"
        );
        if rest.is_empty() {
            return (frames, StreamEnd::NeedMore { buffered });
        }
    }
}

/// FNV-1a of the input: a seed that changes with every input byte.
fn seed(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
