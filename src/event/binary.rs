//! The `Binary` data of classic events, which the logs render as hex text.

/// The bytes of `text` (hex digits, two per byte, either case) when it holds at
/// most `max_bytes` of them; `None` for anything else.
pub(crate) fn unhex(text: &str, max_bytes: usize) -> Option<Vec<u8>> {
    let digits = text.bytes().all(|b| b.is_ascii_hexdigit());
    if !digits || !text.len().is_multiple_of(2) || text.len() > 2 * max_bytes {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn hex_text_becomes_bytes_within_the_bound() {
        assert_eq!(unhex("00ff1A", 8), Some(vec![0, 255, 26]));
        assert_eq!(unhex("", 8), Some(vec![]));
        assert_eq!(unhex("0011", 1), None);
        for junk in ["0", "zz", "+1", "é0"] {
            assert_eq!(unhex(junk, 8), None, "{junk}");
        }
    }
}
