//! yim-audio: the audio half of YIM voice messages (push-to-talk).
//!
//! What is here:
//! - the seams: [`AudioInput`], [`AudioOutput`], [`Recognizer`] (object-safe);
//! - implementations: WAV files ([`wav`]), deterministic synthetic sources ([`synth`]) and a
//!   deterministic recognizer ([`ToneRecognizer`]) for the simulator, an in-memory output,
//!   PocketSphinx speech to text ([`PocketSphinx`]), and real devices through cpal
//!   (feature `cpal`, [`cpal_io`]);
//! - the record pipeline, run while recording: device format -> mono -> 16 kHz -> i16 -> WAV +
//!   Opus wire encoding, with a level meter and a voice detector ([`RecorderCore`], sans-IO;
//!   [`Recorder`], threaded);
//! - the wire format of encoded voice ([`wire`]) and its decoder to PCM ([`decode_to_pcm`]);
//! - playback with YIM's completion codes ([`Player`]).
//!
//! What is not: networking, upload/download, message state. Those are the SDK's. Every error
//! maps to a YIM code with `code()`; nothing here panics on bad input.

pub mod codec;
#[cfg(feature = "cpal")]
pub mod cpal_io;
pub mod error;
pub mod level;
pub mod limits;
pub mod memory_output;
pub mod pipeline;
pub mod player;
pub mod pocketsphinx;
pub mod recorder;
pub mod resample;
pub mod synth;
pub mod tone_code;
pub mod tone_recognizer;
pub mod traits;
pub mod vad;
pub mod wav;
pub mod wire;

pub use codec::{decode_to_pcm, StreamEncoder};
pub use error::{
    FileError, InputError, OutputError, PlayError, RecognizeError, RecordError, SynthError,
    WireError,
};
pub use memory_output::MemoryOutput;
pub use pipeline::{PushOutcome, RecordConfig, RecordEvent, RecordedClip, RecorderCore};
pub use player::{PlayCompletion, Player};
pub use pocketsphinx::PocketSphinx;
pub use recorder::{Recorder, Recording};
pub use synth::{Signal, SynthInput};
pub use tone_recognizer::ToneRecognizer;
pub use traits::{AudioFormat, AudioInput, AudioOutput, ReadResult, Recognizer};
pub use wav::{read_wav, write_wav_i16, WavClip, WavFileInput, WavFileOutput};
