//! Length-prefixed framing: a 4-byte big-endian length, then one encoded `Frame`.
//!
//! The decoder is pure: it is handed bytes and says either "here is a frame", "need more
//! bytes" (`Ok(None)`), or "bad input" (`Err(DecodeError)`). It checks the declared length
//! against [`MAX_FRAME_BYTES`] before buffering the body, so a hostile length cannot make it
//! allocate, and it never panics on any input.

use bytes::{Buf, BytesMut};
use prost::Message as _;

use crate::wire::Frame;

/// Largest encoded `Frame` accepted or produced, in bytes (not counting the length prefix).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Bytes in the length prefix.
pub const LENGTH_PREFIX_BYTES: usize = 4;

/// Why bytes could not be decoded into a frame. Every variant means the peer is broken or
/// hostile: the connection should be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The length prefix announces more than `MAX_FRAME_BYTES` (checked before allocating).
    #[error("frame of {declared_bytes} bytes exceeds the limit of {MAX_FRAME_BYTES} bytes")]
    TooLong {
        /// What the prefix said.
        declared_bytes: usize,
    },
    /// The bytes are not a protobuf `Frame`.
    #[error("frame is not valid protobuf: {0}")]
    Malformed(String),
    /// A `Frame` without its `oneof` body.
    #[error("frame has no body")]
    EmptyBody,
    /// The length prefix announces more than the decoder's own, lower limit (a server's limit
    /// for connections that have not logged in; see [`FrameDecoder::with_max_frame_bytes`]).
    #[error(
        "frame of {declared_bytes} bytes exceeds this connection's limit of {limit_bytes} bytes"
    )]
    OverLimit {
        /// What the prefix said.
        declared_bytes: usize,
        /// The decoder's limit.
        limit_bytes: usize,
    },
    /// The frame fits the limit as sent, but its canonical encoding does not, so it could not
    /// be encoded again (relayed, logged). prost reads an over-long varint into an `int32`
    /// field (an enum) by truncating it, and writes a negative `int32` as 10 bytes: a 5-byte
    /// -1 grows by 5 bytes.
    #[error(
        "frame re-encodes to {encoded_bytes} bytes, over the limit of {MAX_FRAME_BYTES} bytes"
    )]
    ReencodesTooLong {
        /// The canonical encoding's length.
        encoded_bytes: usize,
    },
}

/// Why a frame could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The encoded frame would exceed `MAX_FRAME_BYTES`.
    #[error("frame of {bytes} bytes exceeds the limit of {MAX_FRAME_BYTES} bytes")]
    TooLong {
        /// Its encoded length.
        bytes: usize,
    },
}

/// Encodes one frame with its length prefix.
pub fn encode_frame(frame: &Frame) -> Result<Vec<u8>, EncodeError> {
    let body_bytes = frame.encoded_len();
    if body_bytes > MAX_FRAME_BYTES {
        return Err(EncodeError::TooLong { bytes: body_bytes });
    }
    let mut out = Vec::with_capacity(LENGTH_PREFIX_BYTES + body_bytes);
    // The length fits in u32: it is at most MAX_FRAME_BYTES.
    out.extend_from_slice(&(body_bytes as u32).to_be_bytes());
    frame.encode_raw(&mut out);
    Ok(out)
}

/// Decodes the first frame in `input`. Returns the frame and the number of bytes it used, or
/// `Ok(None)` when `input` holds only part of a frame.
pub fn decode_frame(input: &[u8]) -> Result<Option<(Frame, usize)>, DecodeError> {
    let Some(prefix) = input.get(..LENGTH_PREFIX_BYTES) else {
        return Ok(None);
    };
    let declared_bytes = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if declared_bytes > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLong { declared_bytes });
    }
    let total = LENGTH_PREFIX_BYTES + declared_bytes;
    let Some(body) = input.get(LENGTH_PREFIX_BYTES..total) else {
        return Ok(None);
    };
    let frame = Frame::decode(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if frame.body.is_none() {
        return Err(DecodeError::EmptyBody);
    }
    // Every frame decoded can be encoded again.
    let encoded_bytes = frame.encoded_len();
    if encoded_bytes > MAX_FRAME_BYTES {
        return Err(DecodeError::ReencodesTooLong { encoded_bytes });
    }
    Ok(Some((frame, total)))
}

/// Buffers bytes from a stream and yields whole frames.
///
/// The buffer never holds more than one frame of its limit plus whatever the caller pushed in
/// one `extend`, because the length is checked before waiting for the body; and it grows with
/// the bytes received, never with the length a prefix declares.
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: BytesMut,
    max_frame_bytes: usize,
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A decoder with an empty buffer, taking frames up to [`MAX_FRAME_BYTES`].
    pub fn new() -> FrameDecoder {
        FrameDecoder::with_max_frame_bytes(MAX_FRAME_BYTES)
    }

    /// A decoder taking frames up to `max_frame_bytes` (at most [`MAX_FRAME_BYTES`]); a longer
    /// one is `DecodeError::OverLimit`, checked on the prefix.
    pub fn with_max_frame_bytes(max_frame_bytes: usize) -> FrameDecoder {
        FrameDecoder {
            buffer: BytesMut::new(),
            max_frame_bytes: max_frame_bytes.min(MAX_FRAME_BYTES),
        }
    }

    /// Changes the limit for the frames still to come (at most [`MAX_FRAME_BYTES`]).
    pub fn set_max_frame_bytes(&mut self, max_frame_bytes: usize) {
        self.max_frame_bytes = max_frame_bytes.min(MAX_FRAME_BYTES);
    }

    /// The limit in force.
    pub fn max_frame_bytes(&self) -> usize {
        self.max_frame_bytes
    }

    /// Appends bytes read from the stream.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole frame, `Ok(None)` if more bytes are needed, or the reason the stream is
    /// broken. After an error the decoder should be dropped with its connection.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, DecodeError> {
        if let Some(prefix) = self.buffer.get(..LENGTH_PREFIX_BYTES) {
            let declared_bytes =
                u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
            if declared_bytes > self.max_frame_bytes && declared_bytes <= MAX_FRAME_BYTES {
                return Err(DecodeError::OverLimit {
                    declared_bytes,
                    limit_bytes: self.max_frame_bytes,
                });
            }
        }
        match decode_frame(&self.buffer)? {
            Some((frame, used)) => {
                self.buffer.advance(used);
                Ok(Some(frame))
            }
            None => Ok(None),
        }
    }

    /// Bytes buffered but not yet decoded.
    pub fn buffered_bytes(&self) -> usize {
        self.buffer.len()
    }

    /// Bytes the buffer has room for (what it holds in memory).
    pub fn buffer_capacity(&self) -> usize {
        self.buffer.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ping, Pong};
    use crate::FrameBody;

    fn ping(nonce: u64) -> Frame {
        Frame::new(FrameBody::Ping(Ping { nonce }))
    }

    #[test]
    fn round_trip_byte_by_byte() {
        let frames = [
            ping(1),
            Frame::new(FrameBody::Pong(Pong { nonce: 7 })),
            ping(u64::MAX),
        ];
        let mut bytes = Vec::new();
        for frame in &frames {
            bytes.extend(encode_frame(frame).unwrap());
        }
        let mut decoder = FrameDecoder::new();
        let mut decoded = Vec::new();
        for byte in bytes {
            decoder.extend(&[byte]);
            while let Some(frame) = decoder.next_frame().unwrap() {
                decoded.push(frame);
            }
        }
        assert_eq!(decoded, frames);
        assert_eq!(decoder.buffered_bytes(), 0);
    }

    #[test]
    fn a_lower_limit_is_checked_on_the_prefix_and_can_be_raised() {
        let big = Frame::new(FrameBody::Ping(Ping { nonce: 1 }));
        let small_len = encode_frame(&big).unwrap().len() - LENGTH_PREFIX_BYTES;
        let mut decoder = FrameDecoder::with_max_frame_bytes(small_len);
        decoder.extend(&encode_frame(&big).unwrap());
        assert_eq!(
            decoder.next_frame().unwrap(),
            Some(big.clone()),
            "at the limit"
        );
        // A prefix past the limit fails before its body arrives.
        decoder.extend(&((small_len + 1) as u32).to_be_bytes());
        assert_eq!(
            decoder.next_frame(),
            Err(DecodeError::OverLimit {
                declared_bytes: small_len + 1,
                limit_bytes: small_len
            })
        );
        let mut decoder = FrameDecoder::with_max_frame_bytes(4);
        decoder.set_max_frame_bytes(usize::MAX);
        assert_eq!(
            decoder.max_frame_bytes(),
            MAX_FRAME_BYTES,
            "never past the protocol's"
        );
        decoder.extend(&encode_frame(&big).unwrap());
        assert_eq!(decoder.next_frame().unwrap(), Some(big));
        // Past the protocol's limit it is still TooLong.
        let mut decoder = FrameDecoder::with_max_frame_bytes(16);
        decoder.extend(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decoder.next_frame(),
            Err(DecodeError::TooLong { .. })
        ));
    }

    #[test]
    fn the_buffer_grows_with_bytes_received_not_with_the_declared_length() {
        let mut decoder = FrameDecoder::new();
        decoder.extend(&(MAX_FRAME_BYTES as u32).to_be_bytes());
        decoder.extend(&[0x1a; 10]);
        assert_eq!(decoder.next_frame(), Ok(None));
        assert!(
            decoder.buffer_capacity() < 1024,
            "{} bytes held for 14 received",
            decoder.buffer_capacity()
        );
    }

    #[test]
    fn partial_input_needs_more() {
        let bytes = encode_frame(&ping(300)).unwrap();
        for cut in 0..bytes.len() {
            assert_eq!(decode_frame(&bytes[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(decode_frame(&bytes).unwrap().is_some());
    }

    #[test]
    fn oversized_length_is_rejected_before_the_body_arrives() {
        let declared = (MAX_FRAME_BYTES + 1) as u32;
        let err = decode_frame(&declared.to_be_bytes()).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TooLong {
                declared_bytes: MAX_FRAME_BYTES + 1
            }
        );
        assert_eq!(
            decode_frame(&u32::MAX.to_be_bytes()).unwrap_err(),
            DecodeError::TooLong {
                declared_bytes: u32::MAX as usize
            }
        );
    }

    #[test]
    fn garbage_and_empty_bodies_are_errors() {
        assert!(matches!(
            decode_frame(&[0, 0, 0, 2, 0xff, 0xff]),
            Err(DecodeError::Malformed(_))
        ));
        assert_eq!(decode_frame(&[0, 0, 0, 0]), Err(DecodeError::EmptyBody));
    }

    /// A maximal frame whose `SendMessage.chat_type` is -1 as a 5-byte varint (ff ff ff ff 0f)
    /// instead of the canonical 10 bytes: `check_decode` fails on it without the check
    /// (fixtures/fuzz/decode_frame/max_size_frame_negative_chat_type_short_varint.bin).
    #[test]
    fn frames_that_would_re_encode_over_the_limit_are_rejected() {
        let frame_with_content = |content_len: usize| {
            // Custom { content } in Body { custom = 2 } in SendMessage { body = 4 }.
            let custom = [&[0x0a][..], &varint(content_len), &vec![b'x'; content_len]].concat();
            let body = [&[0x12][..], &varint(custom.len()), &custom].concat();
            let send = [
                &[0x18, 0xff, 0xff, 0xff, 0xff, 0x0f][..],
                &[0x22],
                &varint(body.len()),
                &body,
            ]
            .concat();
            // Frame { send_message = 16 }: key 0x82 0x01.
            let frame = [&[0x82, 0x01][..], &varint(send.len()), &send].concat();
            [&(frame.len() as u32).to_be_bytes()[..], &frame].concat()
        };
        let short = frame_with_content(10);
        let Ok(Some((frame, _))) = decode_frame(&short) else {
            panic!("small frame decodes: {:?}", decode_frame(&short));
        };
        assert_eq!(frame.encoded_len(), short.len() - LENGTH_PREFIX_BYTES + 5);

        // 23 bytes of keys, lengths (3-byte varints) and the chat_type around the content.
        let max = frame_with_content(MAX_FRAME_BYTES - 23);
        assert_eq!(max.len(), LENGTH_PREFIX_BYTES + MAX_FRAME_BYTES);
        assert_eq!(
            decode_frame(&max),
            Err(DecodeError::ReencodesTooLong {
                encoded_bytes: MAX_FRAME_BYTES + 5
            })
        );
    }

    fn varint(value: usize) -> Vec<u8> {
        let mut out = Vec::new();
        prost::encoding::encode_varint(value as u64, &mut out);
        out
    }

    #[test]
    fn encoding_refuses_frames_over_the_limit() {
        let big = Frame::new(FrameBody::Goodbye(crate::wire::Goodbye {
            code: 0,
            reason: "x".repeat(MAX_FRAME_BYTES),
        }));
        assert!(matches!(
            encode_frame(&big),
            Err(EncodeError::TooLong { .. })
        ));
    }
}
