//! What a load message carries: its send time on the run's clock ([`crate::clock`]), who sent
//! it and a sequence number, padded to the configured size. The receiver reads the send time
//! back to measure send-to-delivery latency.

/// The text of a load message: `"<send_ns> <sender> <seq> "` then `x` up to `bytes` (never
/// cut: a text longer than `bytes` is sent whole).
pub fn stamp_text(send_ns: u64, sender: usize, seq: u64, bytes: usize) -> String {
    let mut text = format!("{send_ns} {sender} {seq} ");
    if text.len() < bytes {
        text.extend(std::iter::repeat_n('x', bytes - text.len()));
    }
    text
}

/// The send time in a load message's text; `None` for text that is not one.
pub fn read_stamp(text: &str) -> Option<u64> {
    text.split(' ').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_size() {
        let text = stamp_text(123_456_789, 7, 42, 64);
        assert_eq!(text.len(), 64);
        assert_eq!(read_stamp(&text), Some(123_456_789));
        assert_eq!(stamp_text(1, 2, 3, 0), "1 2 3 ");
        assert_eq!(read_stamp("hello"), None);
        assert_eq!(read_stamp(""), None);
    }
}
