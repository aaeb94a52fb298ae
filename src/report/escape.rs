//! The only place where strings from the logs (attacker-controlled: user names,
//! computer names, file names, event data) are made safe for an output. Every
//! renderer passes such strings through one of these, never formats them raw.

use std::borrow::Cow;

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) && !has_control(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() || is_invisible(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Makes text safe for a CSV cell: terminal escape sequences, control
/// characters other than line breaks and tabs, and bidirectional and
/// zero-width characters are removed (a spreadsheet or `cat` of the file must
/// not run them or reorder text); then a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (OWASP CSV injection advice),
/// so Excel, LibreOffice and Timeline Explorer show it as text. Quoting is left
/// to the `csv` writer.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let clean = strip(text, Breaks::Keep);
    if clean.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{clean}"))
    } else {
        clean
    }
}

/// The most characters of one logged value a terminal shows; the machine formats
/// (JSON, CSV) keep the whole value.
pub const TERMINAL_TEXT_MAX: usize = 300;

/// Makes text safe for a one-line terminal cell: escape sequences (CSI, OSC,
/// and two-byte ones) are removed, line breaks and tabs become spaces, and any
/// other control character, and bidirectional and zero-width characters, are
/// dropped. Text longer than [`TERMINAL_TEXT_MAX`] characters is cut there with
/// a note of how much was left out, so that a crafted 1 MB field costs a table
/// no more than a normal one (table layout is not linear in a cell's length).
pub fn terminal(text: &str) -> Cow<'_, str> {
    clip(strip(text, Breaks::Space), TERMINAL_TEXT_MAX)
}

/// The most characters of one problem message on standard error: messages are
/// ours, but quote names and bytes from the input.
pub const TERMINAL_MESSAGE_MAX: usize = 4000;

/// [`terminal`] for a whole message line: the same stripping, a higher limit.
pub fn terminal_message(text: &str) -> Cow<'_, str> {
    clip(strip(text, Breaks::Space), TERMINAL_MESSAGE_MAX)
}

/// `text` cut to `max` characters, with `…` and, when a long run is left out,
/// how many characters it held.
pub fn clip(text: Cow<'_, str>, max: usize) -> Cow<'_, str> {
    // A byte count under the limit cannot hold more characters than that.
    if text.len() <= max {
        return text;
    }
    let Some((at, _)) = text.char_indices().nth(max) else {
        return text;
    };
    let rest = text[at..].chars().count();
    let mut out = String::with_capacity(at + 32);
    out.push_str(&text[..at]);
    if rest > 20 {
        out.push_str(&format!("… [+{rest} characters]"));
    } else {
        out.push('…');
    }
    Cow::Owned(out)
}

/// What [`strip`] does with line breaks and tabs.
#[derive(Clone, Copy, PartialEq)]
enum Breaks {
    /// Each becomes a space (one-line cells).
    Space,
    /// They stay (CSV cells, which the writer quotes).
    Keep,
}

fn strip(text: &str, breaks: Breaks) -> Cow<'_, str> {
    if !has_control(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI and OSC introducers.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' => skip_osc(&mut chars),
            '\n' | '\r' | '\t' if breaks == Breaks::Space => out.push(' '),
            '\n' | '\r' | '\t' => out.push(c),
            c if c.is_control() || is_invisible(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes text for Markdown (CommonMark/GFM) inline content and table cells:
/// markup characters are backslash-escaped, `<`, `>` and `&` become entities
/// (Markdown passes raw HTML through), line breaks become spaces.
pub fn markdown(text: &str) -> Cow<'_, str> {
    const SPECIAL: [char; 11] = ['\\', '`', '*', '_', '[', ']', '|', '~', '<', '>', '&'];
    if !text.contains(SPECIAL) && !has_control(text) {
        return Cow::Borrowed(text);
    }
    let flat = terminal(text);
    let mut out = String::with_capacity(flat.len() + 16);
    for c in flat.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn has_control(text: &str) -> bool {
    // Printable ASCII, most of what logs hold, is passed over a byte at a time; the
    // first other byte starts a character.
    let at = text.bytes().position(|b| !(b' '..=b'~').contains(&b));
    at.is_some_and(|at| {
        text[at..]
            .chars()
            .any(|c| c.is_control() || is_invisible(c))
    })
}

/// Bidirectional overrides, embeddings, isolates and marks, and zero-width
/// characters: they reorder or hide text (Trojan Source, CVE-2021-42574).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After ESC: CSI (`ESC [`), OSC (`ESC ]`), or a two-character sequence.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_osc(chars),
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) || !(' '..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/APC strings: up to BEL, ST (`ESC \`) or C1 ST.
fn skip_osc(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_is_cut_with_a_count_of_what_was_left_out() {
        let long = "é".repeat(TERMINAL_TEXT_MAX + 1000);
        let shown = terminal(&long);
        assert_eq!(
            shown.chars().filter(|&c| c == 'é').count(),
            TERMINAL_TEXT_MAX
        );
        assert!(shown.ends_with("… [+1000 characters]"), "{shown}");
        assert_eq!(clip(Cow::Borrowed("abcdef"), 4), "abcd…");
        assert!(matches!(terminal("short"), Cow::Borrowed("short")));
    }

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert!(matches!(html("plain"), Cow::Borrowed(_)));
        assert_eq!(html("a\u{0}b"), "a\u{FFFD}b");
    }

    #[test]
    fn csv_guard_prefixes_formula_starters_only() {
        for bad in ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_cell(bad), format!("'{bad}"));
        }
        assert_eq!(csv_cell("RDS01"), "RDS01");
        assert_eq!(csv_cell("a=b"), "a=b");
        // Escape sequences, C1 controls and bidi characters are gone; line breaks stay.
        assert_eq!(
            csv_cell("a\u{1b}]52;c;Zm9v\u{7}b\u{9b}2Jc\u{202E}d\u{200B}e\nf"),
            "abcde\nf"
        );
        assert_eq!(csv_cell("\u{1b}[31m=cmd"), "'=cmd");
    }

    #[test]
    fn bidi_and_zero_width_characters_never_reach_an_output() {
        let evil = "admin\u{202E}fdp.exe\u{2066}x\u{200D}";
        assert_eq!(terminal(evil), "adminfdp.exex");
        assert!(!html(evil).contains('\u{202E}'));
        assert!(!markdown(evil).contains('\u{202E}'));
        assert!(matches!(terminal("café ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_strips_escape_sequences_and_controls() {
        let evil =
            "ok\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}\u{1b}]8;;http://x\u{1b}\\link\nnext\u{8}";
        assert_eq!(terminal(evil), "okredlink next");
        assert_eq!(terminal("\u{9b}2Jcleared"), "cleared");
        assert_eq!(terminal("tail\u{1b}"), "tail");
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_escapes_markup_and_html() {
        assert_eq!(
            markdown("a|b *c* [d](e) <img>\nf & g"),
            r"a\|b \*c\* \[d\](e) &lt;img&gt; f &amp; g"
        );
        assert_eq!(markdown(r"CONTOSO\alice"), r"CONTOSO\\alice");
    }
}
