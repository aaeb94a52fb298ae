//! [`Needles`]: the ASCII texts a Sigma keyword search needs, found in a record's raw values
//! without decoding them.
//!
//! A keyword search reads every data field of an event. Before a record is rendered, its
//! string values are still UTF-16LE bytes; decoding them all (and writing out its numbers,
//! SIDs and GUIDs) only to find that none holds "mimikatz" was most of the cost of the SigmaHQ
//! rules on a large log. A value can pass a literal test only if it holds the literal, so a
//! record none of whose values holds a needle is ruled out from its bytes.

use aho_corasick::{AhoCorasick, MatchKind};

/// Characters a number, hexadecimal dump, GUID or SID is written with (ASCII case aside):
/// a needle made only of these could be in a value that is not a string, so it cannot rule a
/// record out from its string values alone.
const WRITTEN_NUMBERS: &str = "0123456789abcdefx-{}s";

/// Literal texts of which a value must hold one to pass a test, compared ignoring ASCII
/// case. Values are searched folded: see [`fold_utf16le`].
#[derive(Debug, Clone)]
pub struct Needles {
    /// The needles in ASCII lowercase, matched as they are (so the search can use its fast
    /// prefilters, which ignoring case would turn off).
    folded: AhoCorasick,
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
        let lower: Vec<String> = texts
            .iter()
            .map(|t| t.as_ref().to_ascii_lowercase())
            .collect();
        // Leftmost-first, though any match will do: only the leftmost kinds get the packed
        // (SIMD) prefilter; with the standard kind every record's folded text ran through
        // the automaton.
        let folded = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&lower)
            .ok()?;
        Some(Needles { folded })
    }

    /// True when `folded` (texts folded by [`fold_utf16le`] or [`fold_text`]) holds a needle.
    pub fn in_folded(&self, folded: &[u8]) -> bool {
        self.folded.is_match(folded)
    }
}

/// What separates two folded values: not ASCII, so no needle spans it.
const SEPARATOR: u8 = 0xff;

/// Appends the UTF-16LE `bytes` up to their first NUL unit (as `evtx` reads a string), ASCII
/// letters lowercased, each unit that is not ASCII as one byte no needle holds, then a
/// separator; false, with what was appended left in place, when they are not valid UTF-16 (an
/// unpaired surrogate: the value does not decode).
pub fn fold_utf16le(bytes: &[u8], out: &mut Vec<u8>) -> bool {
    let mut high_surrogate = false;
    for unit in bytes.chunks_exact(2) {
        let u = u16::from_le_bytes([unit[0], unit[1]]);
        if u == 0 {
            break;
        }
        let low = (0xdc00..=0xdfff).contains(&u);
        if high_surrogate != low {
            return false;
        }
        high_surrogate = (0xd800..=0xdbff).contains(&u);
        out.push(match u8::try_from(u) {
            Ok(b) if b.is_ascii() => b.to_ascii_lowercase(),
            _ => SEPARATOR,
        });
    }
    out.push(SEPARATOR);
    !high_surrogate
}

/// Appends `text` with ASCII letters lowercased, then a separator.
pub fn fold_text(text: &str, out: &mut Vec<u8>) {
    out.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
    out.push(SEPARATOR);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    fn in_wide(n: &Needles, values: &[&str]) -> bool {
        let mut folded = Vec::new();
        for v in values {
            assert!(fold_utf16le(&wide(v), &mut folded));
        }
        n.in_folded(&folded)
    }

    #[test]
    fn found_in_folded_wide_values_and_text_ignoring_ascii_case() {
        let n = Needles::new(&["mimikatz", "sekurlsa::"]).expect("usable");
        assert!(in_wide(&n, &["alice", "C:\\tools\\MimiKatz.exe"]));
        assert!(in_wide(&n, &["x SEKURLSA::logonpasswords"]));
        assert!(!in_wide(&n, &["C:\\Windows\\System32\\svchost.exe"]));
        assert!(
            !in_wide(&n, &["mimi", "katz"]),
            "no needle spans two values"
        );
        assert!(
            !in_wide(&n, &["mimi\u{e9}katz"]),
            "a unit that is not ASCII matches nothing"
        );
        let in_text = |t: &str| {
            let mut folded = Vec::new();
            fold_text(t, &mut folded);
            n.in_folded(&folded)
        };
        assert!(in_text("run MIMIKATZ now"));
        assert!(!in_text("mimi katz"));
    }

    #[test]
    fn folding_stops_at_nul_and_refuses_unpaired_surrogates() {
        let n = Needles::new(&["mimikatz"]).expect("usable");
        let mut bytes = wide("ok");
        bytes.extend(wide("\0mimikatz"));
        let mut folded = Vec::new();
        assert!(fold_utf16le(&bytes, &mut folded));
        assert!(
            !n.in_folded(&folded),
            "what follows the NUL is not the value"
        );
        assert!(
            fold_utf16le(&wide("a\u{1F600}b"), &mut Vec::new()),
            "a surrogate pair"
        );
        assert!(!fold_utf16le(&[0x00, 0xd8, 0x41, 0x00], &mut Vec::new()));
        assert!(!fold_utf16le(&[0x00, 0xdc], &mut Vec::new()));
        assert!(
            !fold_utf16le(&[0x00, 0xd8], &mut Vec::new()),
            "a high surrogate at the end"
        );
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
