//! [`Needles`]: the ASCII texts a Sigma keyword search needs, found in a record's raw values
//! without decoding them.
//!
//! A keyword search reads every data field of an event. Before a record is rendered, its
//! string values are still UTF-16LE bytes; decoding them all (and writing out its numbers,
//! SIDs and GUIDs) only to find that none holds "mimikatz" was most of the cost of the SigmaHQ
//! rules on a large log. A value can pass a literal test only if it holds the literal, so a
//! record none of whose values holds a needle is ruled out from its bytes.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Characters a number, hexadecimal dump, GUID or SID is written with (ASCII case aside):
/// a needle made only of these could be in a value that is not a string, so it cannot rule a
/// record out from its string values alone.
const WRITTEN_NUMBERS: &str = "0123456789abcdefx-{}s";

/// Literal texts of which a value must hold one to pass a test, compared ignoring ASCII
/// case, searched in UTF-16LE bytes and in text.
#[derive(Debug, Clone)]
pub struct Needles {
    utf16: AhoCorasick,
    text: AhoCorasick,
}

impl Needles {
    /// Needles for `texts`; `None` when one of them cannot rule a record out: empty, not
    /// ASCII, or made only of characters a number, GUID or SID is written with.
    pub fn new<S: AsRef<str>>(texts: &[S]) -> Option<Needles> {
        let usable = |t: &str| {
            !t.is_empty()
                && t.is_ascii()
                && t.chars()
                    .any(|c| !WRITTEN_NUMBERS.contains(c.to_ascii_lowercase()))
        };
        if texts.is_empty() || !texts.iter().all(|t| usable(t.as_ref())) {
            return None;
        }
        let wide: Vec<Vec<u8>> = texts
            .iter()
            .map(|t| t.as_ref().bytes().flat_map(|b| [b, 0]).collect())
            .collect();
        let build = |patterns: &[&[u8]]| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(AhoCorasickKind::DFA))
                .build(patterns)
                .ok()
        };
        let wide_refs: Vec<&[u8]> = wide.iter().map(Vec::as_slice).collect();
        let text_refs: Vec<&[u8]> = texts.iter().map(|t| t.as_ref().as_bytes()).collect();
        Some(Needles {
            utf16: build(&wide_refs)?,
            text: build(&text_refs)?,
        })
    }

    /// True when the UTF-16LE `bytes` hold a needle (ignoring ASCII case).
    pub fn in_utf16le(&self, bytes: &[u8]) -> bool {
        self.utf16.is_match(bytes)
    }

    /// True when `text` holds a needle (ignoring ASCII case).
    pub fn in_text(&self, text: &str) -> bool {
        self.text.is_match(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn found_in_wide_bytes_and_text_ignoring_ascii_case() {
        let n = Needles::new(&["mimikatz", "sekurlsa::"]).expect("usable");
        assert!(n.in_utf16le(&wide("C:\\tools\\MimiKatz.exe")));
        assert!(n.in_utf16le(&wide("x SEKURLSA::logonpasswords")));
        assert!(!n.in_utf16le(&wide("C:\\Windows\\System32\\svchost.exe")));
        assert!(n.in_text("run MIMIKATZ now"));
        assert!(!n.in_text("mimi katz"));
    }

    #[test]
    fn needles_that_a_number_or_sid_could_hold_are_refused() {
        assert!(Needles::new(&["4624"]).is_none());
        assert!(Needles::new(&["S-1-5-18"]).is_none());
        assert!(Needles::new(&["0xC000006D"]).is_none());
        assert!(Needles::new(&["{deadbeef}"]).is_none());
        assert!(Needles::new(&["", "abc:"]).is_none());
        assert!(Needles::new(&["père"]).is_none());
        assert!(Needles::new::<&str>(&[]).is_none());
        assert!(Needles::new(&["rpc::"]).is_some());
    }
}
