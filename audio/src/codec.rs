//! The voice codec: Opus (pure Rust `opus-pure`) at 16 kHz mono, 40 ms packets, ~8 kb/s VBR,
//! producing and consuming the [`crate::wire`] format.
//!
//! [`StreamEncoder`] is fed i16 samples as they are recorded and encodes each full packet at
//! once, so finishing a clip only encodes the last partial packet. [`decode_to_pcm`] turns an
//! encoded message back into 16 kHz mono i16 (for download -> WAV and playback). Why this codec
//! and these settings: see `audio/README.md`.

use opus_pure::{Application, OpusDecoder, OpusEncoder};

use crate::error::{RecordError, WireError};
use crate::limits::{MAX_CLIP_SAMPLES, TARGET_RATE};
use crate::wire::{self, Codec, Header, MAX_PACKET_LEN};

/// Packet duration.
pub const FRAME_MS: u8 = 40;
/// Samples per packet at 16 kHz.
pub const FRAME_SAMPLES: usize = TARGET_RATE as usize * FRAME_MS as usize / 1000;
/// Target bit rate (VBR): 60 s of dense speech measured ~57 KB with framing.
pub const BITRATE_BPS: i32 = 8_000;
/// Encoder complexity (0..=10): 5 measured ~340x realtime here with sizes within 1% of 10.
pub const COMPLEXITY: i32 = 5;

fn processing(e: impl std::fmt::Display) -> RecordError {
    RecordError::Processing(format!("opus: {e}"))
}

/// Incremental Opus encoder writing wire-format packets.
pub struct StreamEncoder {
    encoder: OpusEncoder,
    pre_skip: u16,
    frame: Vec<i16>,
    packet: [u8; MAX_PACKET_LEN],
    body: Vec<u8>,
    packets: u16,
    samples: u32,
}

impl std::fmt::Debug for StreamEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamEncoder")
            .field("packets", &self.packets)
            .field("samples", &self.samples)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl StreamEncoder {
    /// An encoder with the crate's settings and a bit rate (6000..=32000 b/s).
    pub fn new(bitrate_bps: i32) -> Result<Self, RecordError> {
        if !(6_000..=32_000).contains(&bitrate_bps) {
            return Err(RecordError::Config("bit rate outside 6000..=32000"));
        }
        let mut encoder =
            OpusEncoder::new(TARGET_RATE as i32, 1, Application::Voip).map_err(processing)?;
        encoder.bitrate_bps = bitrate_bps;
        encoder.complexity = COMPLEXITY;
        let pre_skip = u16::try_from(encoder.lookahead())
            .map_err(|_| RecordError::Processing("opus lookahead too large".into()))?;
        // Worst case at this bit rate is far below 255 bytes per packet; reserve for a minute.
        let per_packet = (bitrate_bps as usize / 8) * usize::from(FRAME_MS) / 1000 + 2;
        let max_packets = Header::max_packets(FRAME_MS);
        Ok(StreamEncoder {
            encoder,
            pre_skip,
            frame: Vec::with_capacity(FRAME_SAMPLES),
            packet: [0; MAX_PACKET_LEN],
            body: Vec::with_capacity(per_packet * max_packets),
            packets: 0,
            samples: 0,
        })
    }

    /// Adds samples; encodes every packet that fills. Samples past 60 s are ignored.
    pub fn push(&mut self, pcm: &[i16]) -> Result<(), RecordError> {
        let room = MAX_CLIP_SAMPLES - self.samples as usize;
        let pcm = &pcm[..pcm.len().min(room)];
        self.samples += pcm.len() as u32;
        let mut rest = pcm;
        while !rest.is_empty() {
            let take = (FRAME_SAMPLES - self.frame.len()).min(rest.len());
            self.frame.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.frame.len() == FRAME_SAMPLES {
                self.encode_frame()?;
            }
        }
        Ok(())
    }

    fn encode_frame(&mut self) -> Result<(), RecordError> {
        let n = self
            .encoder
            .encode_s16(&self.frame, FRAME_SAMPLES, &mut self.packet)
            .map_err(processing)?;
        self.frame.clear();
        if !wire::push_packet(&mut self.body, &self.packet[..n]) {
            return Err(RecordError::Processing(format!("opus packet of {n} bytes")));
        }
        self.packets += 1;
        Ok(())
    }

    /// Bytes encoded so far (body only).
    pub fn encoded_len(&self) -> usize {
        self.body.len()
    }

    /// Pads with silence past the codec delay, encodes the tail and returns the whole message.
    pub fn finish(mut self) -> Result<Vec<u8>, RecordError> {
        let needed = self.samples as usize + usize::from(self.pre_skip);
        let packets_needed = needed.div_ceil(FRAME_SAMPLES);
        while usize::from(self.packets) < packets_needed {
            self.frame.resize(FRAME_SAMPLES, 0);
            self.encode_frame()?;
        }
        let header = Header {
            codec: Codec::Opus,
            frame_ms: FRAME_MS,
            sample_rate: TARGET_RATE,
            samples: self.samples,
            pre_skip: self.pre_skip,
            packet_count: self.packets,
        };
        let mut out = Vec::with_capacity(wire::HEADER_LEN + self.body.len());
        out.extend_from_slice(&header.to_bytes());
        out.extend_from_slice(&self.body);
        Ok(out)
    }
}

/// Decodes an encoded message to mono i16 at its own sample rate (16 kHz for messages this
/// crate writes); returns the samples and the rate.
pub fn decode_to_pcm(bytes: &[u8]) -> Result<(Vec<i16>, u32), WireError> {
    let parsed = wire::parse(bytes)?;
    let h = parsed.header;
    let frame = h.frame_samples();
    let codec_err = |index: usize| {
        move |e: opus_pure::Error| WireError::Codec {
            index,
            reason: e.to_string(),
        }
    };
    let mut decoder = OpusDecoder::new(h.sample_rate as i32, 1).map_err(codec_err(0))?;
    // Bounded by validate(): packets * frame <= (60 s + 2 frames) at most.
    let mut pcm = Vec::with_capacity(parsed.packets.len() * frame);
    let mut buf = vec![0i16; frame];
    for (index, packet) in parsed.packets.iter().enumerate() {
        let n = decoder
            .decode_s16(packet, frame, &mut buf)
            .map_err(codec_err(index))?;
        pcm.extend_from_slice(&buf[..n.min(frame)]);
    }
    let start = usize::from(h.pre_skip);
    let end = start + h.samples as usize;
    if pcm.len() < end {
        return Err(WireError::BadHeader(
            "packets decode shorter than the audio",
        ));
    }
    pcm.truncate(end);
    pcm.drain(..start);
    Ok((pcm, h.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Signal, SynthInput};
    use crate::traits::AudioFormat;

    fn render(signal: &Signal, ms: u64) -> Vec<i16> {
        let mut s = SynthInput::new(signal, AudioFormat::SPEECH, ms).unwrap();
        let mut buf = vec![0.0f32; s.remaining_frames() as usize];
        let n = s.fill(&mut buf);
        buf[..n]
            .iter()
            .map(|&x| crate::resample::to_i16(x))
            .collect()
    }

    fn encode(pcm: &[i16], piece: usize) -> Vec<u8> {
        let mut e = StreamEncoder::new(BITRATE_BPS).unwrap();
        for p in pcm.chunks(piece) {
            e.push(p).unwrap();
        }
        e.finish().unwrap()
    }

    #[test]
    fn round_trip_keeps_length_and_the_tone_code_text() {
        let pcm = render(&Signal::speech("go left 3"), 2_500);
        let bytes = encode(&pcm, 333);
        let (decoded, rate) = decode_to_pcm(&bytes).unwrap();
        assert_eq!(rate, 16_000);
        assert_eq!(decoded.len(), pcm.len());
        use crate::traits::Recognizer;
        let text = crate::tone_recognizer::ToneRecognizer::new()
            .recognize(&decoded)
            .unwrap();
        assert_eq!(
            text, "go left 3",
            "the codec should keep tones recognisable"
        );
        // Same input, same bytes.
        assert_eq!(encode(&pcm, 1000), bytes);
    }

    #[test]
    fn sixty_seconds_of_noise_stays_under_60_kb_and_input_past_60_s_is_ignored() {
        let pcm = render(
            &Signal::Noise {
                seed: 5,
                amplitude: 0.5,
            },
            61_000,
        );
        let bytes = encode(&pcm, 4096);
        assert!(bytes.len() <= 60_000, "{} bytes", bytes.len());
        let parsed = wire::parse(&bytes).unwrap();
        assert_eq!(parsed.header.samples as usize, MAX_CLIP_SAMPLES);
        assert_eq!(parsed.header.duration_ms(), 60_000);
    }

    #[test]
    fn corrupt_packets_give_errors_not_panics() {
        let pcm = render(&Signal::speech("ab"), 800);
        let bytes = encode(&pcm, 640);
        let mut rng = yim_proto::rng::SplitMix64::new(7);
        for _ in 0..300 {
            let mut b = bytes.clone();
            let i = wire::HEADER_LEN + (rng.next_u64() as usize) % (b.len() - wire::HEADER_LEN);
            b[i] = rng.next_u64() as u8;
            let _ = decode_to_pcm(&b);
        }
        assert!(StreamEncoder::new(1_000).is_err());
    }
}
