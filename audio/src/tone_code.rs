//! The tone code that lets the synthetic "speech" source carry text the deterministic
//! recognizer can read back: one tone burst per character, frequency chosen by the character.
//!
//! Layout of a spoken text at any sample rate: [`LEAD_MS`] of silence, then per character a
//! [`BURST_MS`] tone burst with [`RAMP_MS`] raised-cosine edges followed by [`GAP_MS`] of silence,
//! then [`LEAD_MS`] of silence. It is a test signal, not speech: it only has to survive
//! downmixing and resampling to 16 kHz and look "voiced" to the energy detector.

use crate::error::SynthError;
use crate::limits::MAX_SYNTH_TEXT;

/// The characters that can be spoken, in symbol order.
pub const ALPHABET: &str = " abcdefghijklmnopqrstuvwxyz0123456789";
/// Frequency of symbol 0.
pub const BASE_HZ: f32 = 400.0;
/// Spacing between symbol frequencies.
pub const STEP_HZ: f32 = 40.0;
/// Silence before the first and after the last burst.
pub const LEAD_MS: u32 = 200;
/// Length of one character's burst.
pub const BURST_MS: u32 = 120;
/// Silence between bursts.
pub const GAP_MS: u32 = 60;
/// Fade in and out of each burst.
pub const RAMP_MS: u32 = 15;

/// Symbol index of a character, if it can be spoken.
pub fn symbol_of(c: char) -> Option<usize> {
    ALPHABET.chars().position(|a| a == c)
}

/// Character of a symbol index.
pub fn char_of(symbol: usize) -> Option<char> {
    ALPHABET.chars().nth(symbol)
}

/// Tone frequency of a symbol.
pub fn freq_of(symbol: usize) -> f32 {
    BASE_HZ + STEP_HZ * symbol as f32
}

/// Number of symbols.
pub fn symbol_count() -> usize {
    ALPHABET.chars().count()
}

/// The symbols of `text`, lower-cased; rejects characters outside [`ALPHABET`] and long texts.
pub fn symbols(text: &str) -> Result<Vec<usize>, SynthError> {
    let n = text.chars().count();
    if n > MAX_SYNTH_TEXT {
        return Err(SynthError::TextTooLong(MAX_SYNTH_TEXT));
    }
    text.chars()
        .map(|c| {
            let lc = c.to_ascii_lowercase();
            symbol_of(lc).ok_or(SynthError::UnsupportedChar(c))
        })
        .collect()
}

/// Duration of `chars` characters spoken with this code, in milliseconds.
pub fn spoken_ms(chars: usize) -> u64 {
    2 * u64::from(LEAD_MS) + chars as u64 * u64::from(BURST_MS + GAP_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_round_trip_and_frequencies_stay_below_16k_nyquist() {
        for (i, c) in ALPHABET.chars().enumerate() {
            assert_eq!(symbol_of(c), Some(i));
            assert_eq!(char_of(i), Some(c));
        }
        assert!(freq_of(symbol_count() - 1) < 4_000.0);
        assert_eq!(symbols("Hi 2").ok(), Some(vec![8, 9, 0, 29]));
    }

    #[test]
    fn rejects_unspeakable_and_long_text() {
        assert_eq!(symbols("a!"), Err(SynthError::UnsupportedChar('!')));
        let long = "a".repeat(MAX_SYNTH_TEXT + 1);
        assert_eq!(symbols(&long), Err(SynthError::TextTooLong(MAX_SYNTH_TEXT)));
    }
}
