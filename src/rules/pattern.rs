//! Sigma string values: wildcards and escapes, and the transforming modifiers
//! (windash, UTF-16, Base64, contains/startswith/endswith) that turn one value
//! into one or more patterns.

use super::error::RuleError;
use super::modifier::{Base64, Mods, Place, Utf16};

/// One element of a Sigma string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A plain character.
    Ch(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character.
    One,
}

/// The dash-like characters `windash` makes interchangeable.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
/// At most this many dashes per value may be permuted (5^n variants).
const MAX_WINDASH: usize = 4;

/// Reads a Sigma string: `*` and `?` are wildcards; a backslash escapes `*`, `?`
/// and itself, and is kept as a plain character before anything else.
pub(crate) fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    chars.next();
                    out.push(Tok::Ch(n));
                }
                _ => out.push(Tok::Ch('\\')),
            },
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            c => out.push(Tok::Ch(c)),
        }
    }
    out
}

/// The plain text of tokens without wildcards.
pub(crate) fn plain(toks: &[Tok]) -> Option<String> {
    toks.iter()
        .map(|t| match t {
            Tok::Ch(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// Applies the string modifiers to one value: every pattern it stands for.
pub(crate) fn expand(value: &str, m: &Mods) -> Result<Vec<Vec<Tok>>, RuleError> {
    let toks = tokens(value);
    let mut variants = if m.windash {
        windash(&toks)?
    } else {
        vec![toks]
    };
    if let Some(b64) = m.base64 {
        let mut encoded = Vec::new();
        for v in &variants {
            let text = plain(v).ok_or_else(|| {
                RuleError::BadModifiers("wildcards cannot be Base64-encoded".into())
            })?;
            let bytes = encode_utf16(&text, m.utf16);
            for e in base64_variants(&bytes, b64) {
                encoded.push(e.chars().map(Tok::Ch).collect());
            }
        }
        variants = encoded;
    }
    for v in &mut variants {
        match m.place {
            Place::Exact => {}
            Place::Contains => {
                v.insert(0, Tok::Star);
                v.push(Tok::Star);
            }
            Place::StartsWith => v.push(Tok::Star),
            Place::EndsWith => v.insert(0, Tok::Star),
        }
    }
    Ok(variants)
}

/// Every permutation of the dash characters that start a word (`-x`, `/x`).
fn windash(toks: &[Tok]) -> Result<Vec<Vec<Tok>>, RuleError> {
    let word = |t: Option<&Tok>| matches!(t, Some(Tok::Ch(c)) if c.is_alphanumeric() || *c == '_');
    let spots: Vec<usize> = (0..toks.len())
        .filter(|&i| {
            matches!(toks[i], Tok::Ch(c) if DASHES.contains(&c))
                && !(i > 0 && word(toks.get(i - 1)))
                && word(toks.get(i + 1))
        })
        .collect();
    if spots.len() > MAX_WINDASH {
        return Err(RuleError::BadModifiers(format!(
            "`windash` on a value with {} dashes would make too many variants (limit {MAX_WINDASH})",
            spots.len()
        )));
    }
    let mut out = vec![toks.to_vec()];
    for &i in &spots {
        out = out
            .into_iter()
            .flat_map(|v| {
                DASHES.iter().map(move |&d| {
                    let mut w = v.clone();
                    w[i] = Tok::Ch(d);
                    w
                })
            })
            .collect();
    }
    Ok(out)
}

/// The value's bytes: UTF-8, or UTF-16 when asked.
fn encode_utf16(text: &str, utf16: Option<Utf16>) -> Vec<u8> {
    match utf16 {
        None => text.as_bytes().to_vec(),
        Some(Utf16::Le) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some(Utf16::Be) => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(Utf16::Bom) => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// Standard Base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The Base64 forms to look for: the value itself, or (offset) the parts of its
/// three shifted encodings that do not depend on the surrounding bytes.
fn base64_variants(bytes: &[u8], kind: Base64) -> Vec<String> {
    match kind {
        Base64::Plain => vec![base64(bytes)],
        Base64::Offset => (0..3usize)
            .filter_map(|shift| {
                let mut padded = vec![b' '; shift];
                padded.extend_from_slice(bytes);
                let enc = base64(&padded);
                let start = [0, 2, 3][shift];
                let cut = [0, 3, 2][(bytes.len() + shift) % 3];
                let end = enc.len().checked_sub(cut)?;
                (start < end).then(|| enc[start..end].to_string())
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &[Tok]) -> String {
        v.iter()
            .map(|t| match t {
                Tok::Ch(c) => *c,
                Tok::Star => '*',
                Tok::One => '?',
            })
            .collect()
    }

    #[test]
    fn escapes_follow_the_spec() {
        assert_eq!(
            tokens(r"a\*b"),
            vec![Tok::Ch('a'), Tok::Ch('*'), Tok::Ch('b')]
        );
        assert_eq!(
            tokens(r"C:\Windows\"),
            "C:\\Windows\\".chars().map(Tok::Ch).collect::<Vec<_>>()
        );
        assert_eq!(tokens(r"\\*"), vec![Tok::Ch('\\'), Tok::Star]);
        assert_eq!(tokens(r"\\\*"), vec![Tok::Ch('\\'), Tok::Ch('*')]);
        assert_eq!(plain(&tokens(r"\\\\")).as_deref(), Some(r"\\"));
    }

    #[test]
    fn base64_matches_known_encodings() {
        assert_eq!(base64(b"http"), "aHR0cA==");
        assert_eq!(base64(b"https://"), "aHR0cHM6Ly8=");
        assert_eq!(
            base64_variants(b"http", Base64::Offset),
            ["aHR0c", "h0dH", "odHRw"]
        );
    }

    #[test]
    fn windash_permutes_word_leading_dashes_only() {
        let m = Mods {
            windash: true,
            ..Mods::default()
        };
        let v = expand("a-b -c", &m).expect("expands");
        assert_eq!(v.len(), 5);
        assert!(v.iter().any(|t| text(t) == "a-b /c"));
        assert!(v.iter().all(|t| text(t).starts_with("a-b")));
    }
}
