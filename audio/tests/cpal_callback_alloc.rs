//! The cpal capture callback allocates nothing: a counting global allocator counts only while
//! a thread is inside the callback (marked by `CaptureOptions::callback_probe`), over a real
//! cpal stream fed by the ALSA `file` plugin. Its own binary, because of the global allocator.
#![allow(clippy::unwrap_used)]
// A GlobalAlloc impl is unsafe by definition; it only forwards to the system allocator.
#![allow(unsafe_code)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use yim_audio::cpal_io::{CallbackPhase, CaptureOptions, CpalInput};
use yim_audio::{AudioInput, Signal};

struct Counting;

static ALLOCS_IN_CALLBACK: AtomicU64 = AtomicU64::new(0);
static CALLBACKS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

fn note_alloc() {
    if IN_CALLBACK.with(Cell::get) {
        ALLOCS_IN_CALLBACK.fetch_add(1, Ordering::Relaxed);
    }
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc();
        unsafe { System.alloc_zeroed(layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn probe(phase: CallbackPhase) {
    IN_CALLBACK.with(|f| f.set(phase == CallbackPhase::Enter));
    if phase == CallbackPhase::Enter {
        CALLBACKS.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn capture_callback_makes_no_allocation() {
    // The counter itself works: an allocation while marked is counted.
    IN_CALLBACK.with(|f| f.set(true));
    let v = std::hint::black_box(vec![1u8; 64]);
    IN_CALLBACK.with(|f| f.set(false));
    drop(v);
    assert!(ALLOCS_IN_CALLBACK.swap(0, Ordering::Relaxed) >= 1);

    let dir = tempfile::tempdir().unwrap();
    let content = common::render(
        &Signal::Noise {
            seed: 1,
            amplitude: 0.3,
        },
        common::ALSA_FILE_FORMAT,
        3_000,
    );
    common::install_alsa_file_device(dir.path(), &content);
    // A small ring so that it also overflows: the drop path must not allocate either.
    let mut input = CpalInput::open_default_with(CaptureOptions {
        ring_seconds: 0.1,
        buffer_frames: Some(480),
        callback_probe: Some(probe),
    })
    .unwrap();
    input.start().unwrap();
    let mut buf = vec![0.0f32; 4_800];
    let mut read = 0usize;
    for _ in 0..2_000 {
        read += input.read(&mut buf).unwrap().samples;
        if CALLBACKS.load(Ordering::Relaxed) >= 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    input.stop();
    let callbacks = CALLBACKS.load(Ordering::Relaxed);
    assert!(callbacks >= 20, "only {callbacks} callbacks ran");
    assert!(read > 0);
    assert_eq!(
        ALLOCS_IN_CALLBACK.load(Ordering::Relaxed),
        0,
        "allocations inside the callback"
    );
}
