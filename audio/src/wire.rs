//! The wire encoding of a voice message: a fixed 20-byte header, then length-prefixed codec
//! packets. Building and parsing only; no codec runs here (see [`crate::codec`]).
//!
//! ```text
//! offset size field
//!  0     4    magic "YVM1"
//!  4     1    version (1)
//!  5     1    codec (1 = Opus)
//!  6     1    frame length in ms (10, 20, 40 or 60)
//!  7     1    reserved (0)
//!  8     4    sample rate (u32 LE; 8000, 12000, 16000, 24000 or 48000)
//! 12     4    audio length in samples (u32 LE; at most 60 s)
//! 16     2    pre-skip: codec delay in samples to drop from the decoded start (u16 LE)
//! 18     2    packet count (u16 LE)
//! 20     ...  packets: 1 length byte (1..=255), then that many bytes
//! ```
//!
//! The parser checks every field and length before use, never allocates more than the input
//! justifies, and rejects trailing bytes; it never panics on any input.

use crate::error::WireError;
use crate::limits::{MAX_CLIP_MS, MAX_WIRE_BYTES};

/// First bytes of every encoded voice message.
pub const MAGIC: [u8; 4] = *b"YVM1";
/// The one version written and read.
pub const VERSION: u8 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 20;
/// Largest packet a length byte can announce.
pub const MAX_PACKET_LEN: usize = 255;

/// Codecs the format can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Opus (RFC 6716) packets.
    Opus = 1,
}

/// The header fields, validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Codec of the packets.
    pub codec: Codec,
    /// Duration of one packet in ms.
    pub frame_ms: u8,
    /// Sample rate of the audio (and of the decoder).
    pub sample_rate: u32,
    /// Length of the audio in samples (mono).
    pub samples: u32,
    /// Codec delay to drop from the start of the decoded output.
    pub pre_skip: u16,
    /// Number of packets.
    pub packet_count: u16,
}

impl Header {
    /// Samples in one packet.
    pub fn frame_samples(&self) -> usize {
        self.sample_rate as usize * usize::from(self.frame_ms) / 1000
    }

    /// Duration of the audio in milliseconds (rounded down).
    pub fn duration_ms(&self) -> u32 {
        (u64::from(self.samples) * 1000 / u64::from(self.sample_rate)) as u32
    }

    /// Most packets a valid message of this frame length can hold: 60 s plus the codec delay,
    /// rounded up, plus one.
    pub fn max_packets(frame_ms: u8) -> usize {
        (MAX_CLIP_MS as usize).div_ceil(usize::from(frame_ms.max(1))) + 2
    }

    fn validate(&self) -> Result<(), WireError> {
        if !matches!(self.frame_ms, 10 | 20 | 40 | 60) {
            return Err(WireError::BadHeader("frame length"));
        }
        if !matches!(self.sample_rate, 8_000 | 12_000 | 16_000 | 24_000 | 48_000) {
            return Err(WireError::BadHeader("sample rate"));
        }
        if u64::from(self.samples) > u64::from(self.sample_rate) * u64::from(MAX_CLIP_MS) / 1000 {
            return Err(WireError::BadHeader("longer than 60 s"));
        }
        if usize::from(self.pre_skip) > self.frame_samples() {
            return Err(WireError::BadHeader("pre-skip longer than a frame"));
        }
        let packets = usize::from(self.packet_count);
        if packets > Self::max_packets(self.frame_ms) {
            return Err(WireError::BadHeader("too many packets"));
        }
        let needed = self.samples as usize + usize::from(self.pre_skip);
        if packets * self.frame_samples() < needed {
            return Err(WireError::BadHeader("packets shorter than the audio"));
        }
        Ok(())
    }

    /// The 20 header bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..4].copy_from_slice(&MAGIC);
        b[4] = VERSION;
        b[5] = self.codec as u8;
        b[6] = self.frame_ms;
        b[8..12].copy_from_slice(&self.sample_rate.to_le_bytes());
        b[12..16].copy_from_slice(&self.samples.to_le_bytes());
        b[16..18].copy_from_slice(&self.pre_skip.to_le_bytes());
        b[18..20].copy_from_slice(&self.packet_count.to_le_bytes());
        b
    }
}

/// A parsed message: the header and the packet bytes, borrowed from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The validated header.
    pub header: Header,
    /// Packets, in order, each 1..=255 bytes.
    pub packets: Vec<&'a [u8]>,
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], WireError> {
    bytes
        .get(at..at + N)
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or(WireError::Truncated {
            offset: at,
            needed: N,
        })
}

/// Parses and validates an encoded message (header and packet framing; not the packets'
/// codec payload).
pub fn parse(bytes: &[u8]) -> Result<Parsed<'_>, WireError> {
    if bytes.len() > MAX_WIRE_BYTES {
        return Err(WireError::TooLarge(bytes.len()));
    }
    if field::<4>(bytes, 0)? != MAGIC {
        return Err(WireError::BadMagic);
    }
    let [version, codec, frame_ms, _reserved] = field::<4>(bytes, 4)?;
    if version != VERSION {
        return Err(WireError::UnsupportedVersion(version));
    }
    let codec = match codec {
        1 => Codec::Opus,
        other => return Err(WireError::UnknownCodec(other)),
    };
    let header = Header {
        codec,
        frame_ms,
        sample_rate: u32::from_le_bytes(field(bytes, 8)?),
        samples: u32::from_le_bytes(field(bytes, 12)?),
        pre_skip: u16::from_le_bytes(field(bytes, 16)?),
        packet_count: u16::from_le_bytes(field(bytes, 18)?),
    };
    header.validate()?;
    let mut packets = Vec::with_capacity(usize::from(header.packet_count));
    let mut at = HEADER_LEN;
    for index in 0..usize::from(header.packet_count) {
        let [len] = field::<1>(bytes, at)?;
        let len = usize::from(len);
        if len == 0 {
            return Err(WireError::EmptyPacket(index));
        }
        let packet = bytes
            .get(at + 1..at + 1 + len)
            .ok_or(WireError::Truncated {
                offset: at + 1,
                needed: len,
            })?;
        packets.push(packet);
        at += 1 + len;
    }
    if at != bytes.len() {
        return Err(WireError::TrailingBytes(bytes.len() - at));
    }
    Ok(Parsed { header, packets })
}

/// Appends one packet (1..=255 bytes) to a body being built; returns false if it does not fit
/// the format (empty or too long), leaving the body unchanged.
pub fn push_packet(body: &mut Vec<u8>, packet: &[u8]) -> bool {
    if packet.is_empty() || packet.len() > MAX_PACKET_LEN {
        return false;
    }
    body.push(packet.len() as u8);
    body.extend_from_slice(packet);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(packets: u16, samples: u32) -> Header {
        Header {
            codec: Codec::Opus,
            frame_ms: 40,
            sample_rate: 16_000,
            samples,
            pre_skip: 104,
            packet_count: packets,
        }
    }

    fn message(packets: &[&[u8]], samples: u32) -> Vec<u8> {
        let mut v = header(packets.len() as u16, samples).to_bytes().to_vec();
        for p in packets {
            assert!(push_packet(&mut v, p));
        }
        v
    }

    #[test]
    fn round_trips() {
        let bytes = message(&[b"abc", b"d"], 700);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.header, header(2, 700));
        assert_eq!(parsed.packets, vec![&b"abc"[..], &b"d"[..]]);
        assert_eq!(parsed.header.duration_ms(), 43);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = message(&[b"abc", b"defg"], 700);
        for n in 0..bytes.len() {
            assert!(parse(&bytes[..n]).is_err(), "prefix {n} accepted");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(parse(&long), Err(WireError::TrailingBytes(1)));
    }

    #[test]
    fn bad_fields_are_typed_errors() {
        let good = message(&[b"abc"], 500);
        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(parse(&b), Err(WireError::BadMagic));
        let mut b = good.clone();
        b[4] = 2;
        assert_eq!(parse(&b), Err(WireError::UnsupportedVersion(2)));
        let mut b = good.clone();
        b[5] = 9;
        assert_eq!(parse(&b), Err(WireError::UnknownCodec(9)));
        let mut b = good.clone();
        b[6] = 7;
        assert_eq!(parse(&b), Err(WireError::BadHeader("frame length")));
        // Claims more audio than its one packet holds.
        assert_eq!(
            parse(&message(&[b"abc"], 640)),
            Err(WireError::BadHeader("packets shorter than the audio"))
        );
        let mut b = good.clone();
        b[HEADER_LEN] = 0;
        b.truncate(HEADER_LEN + 1);
        assert_eq!(parse(&b), Err(WireError::EmptyPacket(0)));
        assert_eq!(
            parse(&vec![0u8; MAX_WIRE_BYTES + 1]),
            Err(WireError::TooLarge(MAX_WIRE_BYTES + 1))
        );
        assert!(!push_packet(&mut Vec::new(), &[0u8; 256]));
        assert!(!push_packet(&mut Vec::new(), &[]));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic sweep over mutated headers and bodies.
        let base = message(&[b"abc", b"defg"], 700);
        let mut rng = yim_proto::rng::SplitMix64::new(42);
        for _ in 0..20_000 {
            let mut b = base.clone();
            let flips = 1 + (rng.next_u64() % 4) as usize;
            for _ in 0..flips {
                let i = (rng.next_u64() as usize) % b.len();
                b[i] = rng.next_u64() as u8;
            }
            let cut = (rng.next_u64() as usize) % (b.len() + 1);
            let _ = parse(&b[..cut]);
        }
    }
}
