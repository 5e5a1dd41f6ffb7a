//! Crossing the C boundary: the panic guard every entry point runs in, and the readers of what
//! a game passes (C strings, byte payloads, out-parameters) that turn bad input into YIM codes.
//!
//! What it is: the only place that reads game memory, and the rules for it: NULL is
//! `ParamInvalid` (or "empty" where a parameter is documented as optional), a C string must be
//! UTF-8 and NUL-terminated within [`YIM_MAX_C_STRING_BYTES`], a payload longer than its limit is
//! refused before a byte of it is read, a misaligned pointer is refused. What it is not: YIM's
//! own limits on IDs and texts, which the SDK checks after this.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::codes::YimErrorCode;

/// The longest C string read from a game, not counting its NUL. A string with no NUL in this
/// many bytes is refused (`ParamInvalid`) without reading further, so a missing terminator
/// cannot send the SDK scanning through memory. YIM's own limits (2048-byte texts, 255-byte
/// IDs) are far below this and are checked by the SDK.
pub const YIM_MAX_C_STRING_BYTES: u32 = 65_536;

/// Runs an entry point's body: its result as a YIM code, and a panic (a bug in the SDK; none
/// is known) as `UnknowError` (21) instead of unwinding into the game, which would be
/// undefined behaviour.
pub fn guard(body: impl FnOnce() -> Result<(), YimErrorCode>) -> YimErrorCode {
    // AssertUnwindSafe: after a panic the body's state is dropped, and the shared state it may
    // have touched (the SDK's mutexes) is built to be used after a poisoning panic.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => YimErrorCode::Success,
        Ok(Err(code)) => code,
        Err(_) => YimErrorCode::UnknowError,
    }
}

/// Like [`guard`] for entry points that return a value instead of a code: `fallback` on a
/// panic.
pub fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A required C string: NULL is `ParamInvalid`.
///
/// # Safety
///
/// `ptr` is NULL or points to memory readable up to its NUL or `YIM_MAX_C_STRING_BYTES + 1`
/// bytes, whichever comes first, that stays unchanged during the call.
pub unsafe fn required_str<'a>(ptr: *const c_char) -> Result<&'a str, YimErrorCode> {
    if ptr.is_null() {
        return Err(YimErrorCode::ParamInvalid);
    }
    // SAFETY: not NULL, and readable as far as the scan goes by this function's contract.
    let bytes = unsafe { c_string_bytes(ptr) }?;
    std::str::from_utf8(bytes).map_err(|_| YimErrorCode::ParamInvalid)
}

/// An optional C string: NULL reads as "".
///
/// # Safety
///
/// As [`required_str`].
pub unsafe fn optional_str<'a>(ptr: *const c_char) -> Result<&'a str, YimErrorCode> {
    if ptr.is_null() {
        return Ok("");
    }
    // SAFETY: the caller's contract is the one `required_str` needs.
    unsafe { required_str(ptr) }
}

/// The bytes of a NUL-terminated string, read one at a time so nothing past the NUL is
/// touched.
///
/// # Safety
///
/// `ptr` is not NULL and readable up to its NUL or `YIM_MAX_C_STRING_BYTES + 1` bytes.
unsafe fn c_string_bytes<'a>(ptr: *const c_char) -> Result<&'a [u8], YimErrorCode> {
    let start = ptr.cast::<u8>();
    for len in 0..=YIM_MAX_C_STRING_BYTES as usize {
        // SAFETY: bytes 0..len were not NUL, so byte `len` is still inside the string (or its
        // NUL), which the caller promised is readable; u8 has no alignment.
        if unsafe { start.add(len).read() } == 0 {
            // SAFETY: the `len` bytes before the NUL were just read, so they are readable;
            // the caller keeps them unchanged during the call, longer than the borrow lives.
            return Ok(unsafe { std::slice::from_raw_parts(start, len) });
        }
    }
    Err(YimErrorCode::ParamInvalid)
}

/// A byte payload given as pointer and length. A length above `max_len` is `too_long`, found
/// before any byte is read; NULL with a length is `ParamInvalid`; NULL with length 0 is empty.
///
/// # Safety
///
/// If `ptr` is not NULL and `len <= max_len`, `ptr` points to `len` readable bytes that stay
/// unchanged during the call.
pub unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    max_len: usize,
    too_long: YimErrorCode,
) -> Result<&'a [u8], YimErrorCode> {
    if len > max_len {
        return Err(too_long);
    }
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(YimErrorCode::ParamInvalid)
        };
    }
    // SAFETY: `len` bytes at `ptr` are readable and unchanged by the caller's contract; u8 has
    // no alignment; `len <= max_len` is far below isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Checks an out-parameter before the call it reports on is made, so a call is never
/// accepted with nowhere to say so: NULL is allowed (the value is not reported), a misaligned
/// pointer is `ParamInvalid`.
pub fn check_out<T>(out: *mut T) -> Result<(), YimErrorCode> {
    if out.is_null() || out.is_aligned() {
        Ok(())
    } else {
        Err(YimErrorCode::ParamInvalid)
    }
}

/// A pointer the call cannot do without (an options struct, an event): not NULL, aligned.
pub fn check_required<T>(ptr: *const T) -> Result<(), YimErrorCode> {
    if ptr.is_null() || !ptr.is_aligned() {
        Err(YimErrorCode::ParamInvalid)
    } else {
        Ok(())
    }
}

/// Writes `value` through an out-parameter that passed [`check_out`]; nothing when NULL.
///
/// # Safety
///
/// `out` is NULL or points to writable memory for a `T`.
pub unsafe fn write_out<T>(out: *mut T, value: T) {
    if !out.is_null() {
        // SAFETY: not NULL, aligned (checked by `check_out`), writable by the contract; `T` is
        // a plain integer or struct of integers, so nothing old is dropped.
        unsafe { out.write(value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_unknow_error() {
        let code = guard(|| panic!("a planted panic"));
        assert_eq!(code, YimErrorCode::UnknowError);
        assert_eq!(guard_value(7, || panic!("another")), 7);
        assert_eq!(
            guard(|| Err(YimErrorCode::NotLogin)),
            YimErrorCode::NotLogin
        );
        assert_eq!(guard(|| Ok(())), YimErrorCode::Success);
    }

    #[test]
    fn c_strings_are_checked() {
        // SAFETY: (all calls below) every pointer is NULL or a NUL-terminated buffer.
        unsafe {
            assert_eq!(required_str(c"world".as_ptr()), Ok("world"));
            assert_eq!(
                required_str(std::ptr::null()),
                Err(YimErrorCode::ParamInvalid)
            );
            assert_eq!(optional_str(std::ptr::null()), Ok(""));
            let bad_utf8 = [0xffu8, 0xfe, 0];
            assert_eq!(
                required_str(bad_utf8.as_ptr().cast()),
                Err(YimErrorCode::ParamInvalid)
            );
            // A NUL inside ends the string there: that is what a C string is.
            let inner_nul = *b"ab\0cd\0";
            assert_eq!(required_str(inner_nul.as_ptr().cast()), Ok("ab"));
        }
    }

    #[test]
    fn a_string_without_nul_in_the_limit_is_refused_without_reading_past_it() {
        // Exactly MAX + 1 bytes and no NUL: the scan must stop inside the buffer.
        let unterminated = vec![b'a'; YIM_MAX_C_STRING_BYTES as usize + 1];
        // SAFETY: the buffer holds MAX + 1 readable bytes, all the scan may read.
        let result = unsafe { required_str(unterminated.as_ptr().cast()) };
        assert_eq!(result, Err(YimErrorCode::ParamInvalid));
        let mut longest = vec![b'a'; YIM_MAX_C_STRING_BYTES as usize];
        longest.push(0);
        // SAFETY: NUL-terminated.
        let result = unsafe { required_str(longest.as_ptr().cast()) };
        assert_eq!(result.map(str::len), Ok(YIM_MAX_C_STRING_BYTES as usize));
    }

    #[test]
    fn payload_lengths_are_checked_before_reading() {
        let too_long = YimErrorCode::MessageTooLong;
        // SAFETY: (all calls below) the pointers are NULL, dangling with an over-long length
        // that must be refused before any read, or a real buffer with its length.
        unsafe {
            let dangling = std::ptr::dangling::<u8>();
            assert_eq!(bytes(dangling, usize::MAX, 2048, too_long), Err(too_long));
            assert_eq!(
                bytes(std::ptr::null(), 3, 2048, too_long),
                Err(YimErrorCode::ParamInvalid)
            );
            assert_eq!(bytes(std::ptr::null(), 0, 2048, too_long), Ok(&[][..]));
            let data = [1u8, 0, 2];
            assert_eq!(bytes(data.as_ptr(), 3, 2048, too_long), Ok(&data[..]));
        }
    }

    #[test]
    fn out_pointers_must_be_aligned() {
        let mut value = 0u64;
        assert_eq!(check_out(&mut value as *mut u64), Ok(()));
        assert_eq!(check_out(std::ptr::null_mut::<u64>()), Ok(()));
        let misaligned = (&mut value as *mut u64 as usize + 1) as *mut u64;
        assert_eq!(check_out(misaligned), Err(YimErrorCode::ParamInvalid));
        assert_eq!(
            check_required(std::ptr::null::<u64>()),
            Err(YimErrorCode::ParamInvalid)
        );
    }
}
