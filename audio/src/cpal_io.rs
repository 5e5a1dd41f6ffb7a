//! Real devices through cpal (feature `cpal`): [`CpalInput`] for capture, [`CpalOutput`] for
//! playback.
//!
//! The real-time callbacks only move samples between cpal's buffer and a pre-allocated rtrb
//! ring (converting the sample type in place): no allocation, no lock, no I/O, no blocking.
//! Samples that do not fit are dropped and counted in an atomic. Everything else (downmix,
//! resampling, files, encoding) happens on the reader's side. cpal errors map to YIM codes:
//! no device -> `PTT_NoAudioDevice`, stream failures -> `PTT_StartRecordFailed` /
//! `PTT_StartPlayFailed`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{ErrorKind, FromSample, SampleFormat, SizedSample, StreamConfig};
use rtrb::{Consumer, Producer, RingBuffer};

use crate::error::{InputError, OutputError};
use crate::traits::{AudioFormat, AudioInput, AudioOutput, ReadResult};

/// Where a callback is, for [`CaptureOptions::callback_probe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackPhase {
    /// The callback just started.
    Enter,
    /// The callback is about to return.
    Exit,
}

/// Capture settings.
#[derive(Debug, Clone, Copy)]
pub struct CaptureOptions {
    /// Ring capacity in seconds of device audio (0.05..=10).
    pub ring_seconds: f32,
    /// Ask the device for this many frames per callback (`None`: the device's default).
    pub buffer_frames: Option<u32>,
    /// Called at the start and end of every data callback (diagnostics and the allocation
    /// test). Must not allocate, lock or block.
    pub callback_probe: Option<fn(CallbackPhase)>,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            ring_seconds: 1.0,
            buffer_frames: None,
            callback_probe: None,
        }
    }
}

fn input_error(e: &cpal::Error) -> InputError {
    match e.kind() {
        ErrorKind::DeviceNotAvailable | ErrorKind::HostUnavailable => {
            InputError::NoDevice(e.to_string())
        }
        ErrorKind::PermissionDenied => InputError::PermissionDenied(e.to_string()),
        ErrorKind::UnsupportedConfig => InputError::UnsupportedFormat(e.to_string()),
        _ => InputError::StreamFailed(e.to_string()),
    }
}

fn output_error(e: &cpal::Error) -> OutputError {
    match e.kind() {
        ErrorKind::DeviceNotAvailable | ErrorKind::HostUnavailable => {
            OutputError::NoDevice(e.to_string())
        }
        _ => OutputError::PlayFailed(e.to_string()),
    }
}

/// Whether an error reported while running ends the stream (xruns and a refused real-time
/// priority do not).
fn is_fatal(e: &cpal::Error) -> bool {
    !matches!(e.kind(), ErrorKind::Xrun | ErrorKind::RealtimeDenied)
}

/// Capture from the default input device.
pub struct CpalInput {
    device: cpal::Device,
    config: StreamConfig,
    sample_format: SampleFormat,
    format: AudioFormat,
    producer: Option<Producer<f32>>,
    consumer: Consumer<f32>,
    stream: Option<cpal::Stream>,
    dropped: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
    probe: Option<fn(CallbackPhase)>,
}

impl std::fmt::Debug for CpalInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalInput")
            .field("format", &self.format)
            .field("sample_format", &self.sample_format)
            .field("running", &self.stream.is_some())
            .finish()
    }
}

impl CpalInput {
    /// Opens the default input device with its default configuration.
    pub fn open_default() -> Result<Self, InputError> {
        Self::open_default_with(CaptureOptions::default())
    }

    /// Opens the default input device with `options`. "No device" shows up here as
    /// `NoDevice` (cpal may return a default device that then fails to report a config).
    pub fn open_default_with(options: CaptureOptions) -> Result<Self, InputError> {
        if !(0.05..=10.0).contains(&options.ring_seconds) {
            return Err(InputError::UnsupportedFormat(
                "ring_seconds outside 0.05..=10".into(),
            ));
        }
        let host = cpal::default_host();
        let device = host
            .default_input_device()
            .ok_or_else(|| InputError::NoDevice("no default input device".into()))?;
        let supported = device.default_input_config().map_err(|e| input_error(&e))?;
        let mut config = supported.config();
        if let Some(frames) = options.buffer_frames {
            config.buffer_size = cpal::BufferSize::Fixed(frames);
        }
        let format = AudioFormat {
            sample_rate: config.sample_rate,
            channels: config.channels,
        };
        if !format.is_supported() {
            return Err(InputError::UnsupportedFormat(format!("{format:?}")));
        }
        let capacity = (format.sample_rate as f32 * options.ring_seconds) as usize
            * usize::from(format.channels);
        let (producer, consumer) = RingBuffer::new(capacity);
        Ok(CpalInput {
            device,
            config,
            sample_format: supported.sample_format(),
            format,
            producer: Some(producer),
            consumer,
            stream: None,
            dropped: Arc::new(AtomicU64::new(0)),
            failed: Arc::new(AtomicBool::new(false)),
            probe: options.callback_probe,
        })
    }

    /// Whether the default input device can be opened (false on a machine with no sound
    /// card).
    pub fn default_device_available() -> bool {
        cpal::default_host()
            .default_input_device()
            .is_some_and(|d| d.default_input_config().is_ok())
    }

    fn build<T>(&mut self, mut producer: Producer<f32>) -> Result<cpal::Stream, InputError>
    where
        T: SizedSample,
        f32: FromSample<T>,
    {
        let channels = usize::from(self.format.channels);
        let dropped = Arc::clone(&self.dropped);
        let failed = Arc::clone(&self.failed);
        let probe = self.probe;
        let data = move |data: &[T], _: &cpal::InputCallbackInfo| {
            if let Some(p) = probe {
                p(CallbackPhase::Enter);
            }
            // Whole frames only, so channels never shift when the ring is full.
            let n = producer.slots().min(data.len()) / channels * channels;
            if let Ok(chunk) = producer.write_chunk_uninit(n) {
                chunk.fill_from_iter(data[..n].iter().map(|s| s.to_sample::<f32>()));
            }
            if n < data.len() {
                dropped.fetch_add((data.len() - n) as u64, Ordering::Relaxed);
            }
            if let Some(p) = probe {
                p(CallbackPhase::Exit);
            }
        };
        let error = move |e: cpal::Error| {
            if is_fatal(&e) {
                failed.store(true, Ordering::Release);
            }
        };
        self.device
            .build_input_stream::<T, _, _>(self.config, data, error, None)
            .map_err(|e| input_error(&e))
    }
}

impl AudioInput for CpalInput {
    fn format(&self) -> AudioFormat {
        self.format
    }

    fn start(&mut self) -> Result<(), InputError> {
        let Some(producer) = self.producer.take() else {
            return Err(InputError::StreamFailed(
                "a CpalInput can be started once".into(),
            ));
        };
        let stream = match self.sample_format {
            SampleFormat::F32 => self.build::<f32>(producer)?,
            SampleFormat::I16 => self.build::<i16>(producer)?,
            SampleFormat::I32 => self.build::<i32>(producer)?,
            SampleFormat::U16 => self.build::<u16>(producer)?,
            SampleFormat::U8 => self.build::<u8>(producer)?,
            SampleFormat::I8 => self.build::<i8>(producer)?,
            SampleFormat::F64 => self.build::<f64>(producer)?,
            other => {
                return Err(InputError::UnsupportedFormat(format!("{other:?} samples")));
            }
        };
        stream.play().map_err(|e| input_error(&e))?;
        self.stream = Some(stream);
        Ok(())
    }

    fn read(&mut self, buf: &mut [f32]) -> Result<ReadResult, InputError> {
        let channels = usize::from(self.format.channels);
        let n = self.consumer.slots().min(buf.len()) / channels * channels;
        if n == 0 && self.failed.load(Ordering::Acquire) {
            return Err(InputError::StreamFailed(
                "the capture stream stopped".into(),
            ));
        }
        let (done, _) = self.consumer.pop_partial_slice(&mut buf[..n]);
        Ok(ReadResult {
            samples: done.len(),
            ended: false,
        })
    }

    fn stop(&mut self) {
        if let Some(stream) = self.stream.take() {
            // Pausing may fail on a vanished device; dropping the stream closes it anyway.
            let _ = stream.pause();
        }
    }

    fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Playback on the default output device at the format of what is played.
#[derive(Default)]
pub struct CpalOutput {
    stream: Option<cpal::Stream>,
    producer: Option<Producer<f32>>,
    channels: usize,
    sample_rate: u32,
    failed: Arc<AtomicBool>,
}

impl std::fmt::Debug for CpalOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpalOutput")
            .field("open", &self.stream.is_some())
            .field("channels", &self.channels)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// Seconds of audio the output ring holds.
const OUTPUT_RING_SECONDS: u32 = 1;
/// Poll interval while `finish` waits for the ring to play out.
const DRAIN_POLL: Duration = Duration::from_millis(5);

impl CpalOutput {
    /// An output that opens the default device on `open`.
    pub fn new() -> Self {
        CpalOutput::default()
    }

    fn build<T>(
        device: &cpal::Device,
        config: StreamConfig,
        mut consumer: Consumer<f32>,
        failed: Arc<AtomicBool>,
    ) -> Result<cpal::Stream, OutputError>
    where
        T: SizedSample + FromSample<f32>,
    {
        let data = move |out: &mut [T], _: &cpal::OutputCallbackInfo| {
            let n = consumer.slots().min(out.len());
            if let Ok(chunk) = consumer.read_chunk(n) {
                let (a, b) = chunk.as_slices();
                for (o, s) in out.iter_mut().zip(a.iter().chain(b.iter())) {
                    *o = T::from_sample(*s);
                }
                chunk.commit_all();
            }
            for o in &mut out[n..] {
                *o = T::EQUILIBRIUM;
            }
        };
        let error = move |e: cpal::Error| {
            if is_fatal(&e) {
                failed.store(true, Ordering::Release);
            }
        };
        device
            .build_output_stream::<T, _, _>(config, data, error, None)
            .map_err(|e| output_error(&e))
    }
}

impl AudioOutput for CpalOutput {
    fn open(&mut self, format: AudioFormat) -> Result<(), OutputError> {
        self.stop();
        let device = cpal::default_host()
            .default_output_device()
            .ok_or_else(|| OutputError::NoDevice("no default output device".into()))?;
        let ranges = device
            .supported_output_configs()
            .map_err(|e| output_error(&e))?;
        let mut best: Option<cpal::SupportedStreamConfig> = None;
        for range in ranges {
            if range.channels() != format.channels {
                continue;
            }
            let Some(c) = range.try_with_sample_rate(format.sample_rate) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some(b) => {
                    c.sample_format() == SampleFormat::F32 && b.sample_format() != SampleFormat::F32
                }
            };
            if better {
                best = Some(c);
            }
        }
        let supported = best.ok_or_else(|| {
            OutputError::PlayFailed(format!(
                "device cannot play {} Hz with {} channels",
                format.sample_rate, format.channels
            ))
        })?;
        let config = supported.config();
        let capacity =
            (format.sample_rate * OUTPUT_RING_SECONDS) as usize * usize::from(format.channels);
        let (producer, consumer) = RingBuffer::new(capacity);
        self.failed = Arc::new(AtomicBool::new(false));
        let failed = Arc::clone(&self.failed);
        let stream = match supported.sample_format() {
            SampleFormat::F32 => Self::build::<f32>(&device, config, consumer, failed)?,
            SampleFormat::I16 => Self::build::<i16>(&device, config, consumer, failed)?,
            SampleFormat::I32 => Self::build::<i32>(&device, config, consumer, failed)?,
            SampleFormat::U16 => Self::build::<u16>(&device, config, consumer, failed)?,
            other => {
                return Err(OutputError::PlayFailed(format!("{other:?} samples")));
            }
        };
        stream.play().map_err(|e| output_error(&e))?;
        self.stream = Some(stream);
        self.producer = Some(producer);
        self.channels = usize::from(format.channels);
        self.sample_rate = format.sample_rate;
        Ok(())
    }

    fn write(&mut self, samples: &[f32]) -> Result<usize, OutputError> {
        if self.failed.load(Ordering::Acquire) {
            return Err(OutputError::PlayFailed(
                "the playback stream stopped".into(),
            ));
        }
        let Some(producer) = self.producer.as_mut() else {
            return Err(OutputError::PlayFailed("write before open".into()));
        };
        let n = producer.slots().min(samples.len()) / self.channels * self.channels;
        let (done, _) = producer.push_partial_slice(&samples[..n]);
        Ok(done.len())
    }

    fn finish(&mut self) -> Result<(), OutputError> {
        if let Some(producer) = &self.producer {
            // Wait for the ring to play out: at most its length in time, plus a margin.
            let polls = (OUTPUT_RING_SECONDS * 1000 + 500) / DRAIN_POLL.as_millis() as u32;
            for _ in 0..polls {
                if producer.slots() == producer.buffer().capacity()
                    || self.failed.load(Ordering::Acquire)
                {
                    break;
                }
                std::thread::sleep(DRAIN_POLL);
            }
        }
        let failed = self.failed.load(Ordering::Acquire);
        self.stop();
        if failed {
            return Err(OutputError::PlayFailed(
                "the playback stream stopped".into(),
            ));
        }
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(stream) = self.stream.take() {
            let _ = stream.pause();
        }
        self.producer = None;
    }
}
