//! Opening inputs: a file on disk (shared for reading, so that logs the event
//! log service holds open can be read on Windows) or an archive entry loaded
//! into memory; and telling a log's format from its first bytes.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

/// The first eight bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = super::binxml::vocab::FILE_MAGIC;

/// What a log file holds, judged from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A binary EVTX log (`ElfFile\0`).
    Evtx,
    /// Events as XML: `wevtutil qe /f:xml` output or Event Viewer's "Save as XML".
    Xml,
    /// Events as JSON: JSON Lines (`evtx_dump -o jsonl`), `evtx_dump -o json`,
    /// or a JSON array (Chainsaw `--json`).
    Json,
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sniffed {
    /// A log in this format.
    Log(Format),
    /// A zip archive.
    Zip,
    /// Something else.
    Other,
}

/// How many bytes [`sniff`] wants to see.
pub(crate) const SNIFF_LEN: usize = 16 * 1024;

/// Judges a file from its first bytes (up to [`SNIFF_LEN`]).
pub(crate) fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(EVTX_MAGIC) {
        return Sniffed::Log(Format::Evtx);
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Sniffed::Zip;
    }
    if let Some(utf16) = head.strip_prefix(b"\xFF\xFE") {
        let units = utf16
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]));
        let text: String = char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        return match sniff(text.as_bytes()) {
            Sniffed::Log(format @ (Format::Xml | Format::Json)) => Sniffed::Log(format),
            _ => Sniffed::Other,
        };
    }
    let text = strip_bom(head);
    let text = &text[text.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    // Other XML and JSON files (settings, metadata, Hayabusa timelines) are
    // not event exports: an export names its `Event` elements early.
    match text.first() {
        Some(b'<') if contains(text, b"<Event") => Sniffed::Log(Format::Xml),
        Some(b'{' | b'[') if contains(text, b"\"Event\"") => Sniffed::Log(Format::Json),
        // `dropcause events --format jsonl`: our own normalized events.
        Some(b'{') if contains(text, b"\"event_id\":") && contains(text, b"\"fields\":") => {
            Sniffed::Log(Format::Json)
        }
        // `evtx_dump -o json` and `-o xml` put a `Record N` line before each record.
        _ if text.starts_with(b"Record ") => {
            let after = text
                .iter()
                .position(|b| *b == b'\n')
                .map_or(&[][..], |n| &text[n..]);
            match after.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'<') => Sniffed::Log(Format::Xml),
                _ => Sniffed::Log(Format::Json),
            }
        }
        _ => Sniffed::Other,
    }
}

/// Why a file whose first bytes are `head` is not a log.
pub(crate) fn not_a_log(head: &[u8], size: u64) -> String {
    if size == 0 {
        "not an EVTX log: the file is empty".to_string()
    } else if memchr::memmem::find(head, b"\"RuleTitle\"").is_some() {
        "not an EVTX log nor an event export: a Hayabusa timeline keeps a summary of each \
         event, not the record (see docs/inputs.md); give the .evtx files Hayabusa read"
            .to_string()
    } else if head.starts_with(b"\xFE\xFF") {
        "not an EVTX log, and the text is big-endian UTF-16; convert it to UTF-8 or UTF-16LE, \
         e.g. `Get-Content in.xml | Set-Content -Encoding utf8 out.xml`"
            .to_string()
    } else {
        "not an EVTX log (no \"ElfFile\\0\"), nor an XML or JSON event export or a zip archive"
            .to_string()
    }
}

/// `bytes` without a leading UTF-8 byte order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Opens a file for reading. On Windows the file is shared for reading,
/// writing and deletion, so that logs the event log service holds open (the
/// live `winevt\Logs`) can be read.
pub fn open_shared(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        // FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
        options.share_mode(0x1 | 0x2 | 0x4);
    }
    options.open(path)
}

/// The bytes of one input: a file, or an archive entry held in memory.
#[derive(Debug)]
pub(crate) enum Data {
    /// A file on disk.
    File(File),
    /// An archive entry, decompressed.
    #[cfg_attr(not(feature = "zip"), allow(dead_code))]
    Mem(Cursor<EntryBytes>),
}

/// Bytes read into memory (an archive entry's, inflated), shared without copying.
#[derive(Debug, Clone)]
pub(crate) struct EntryBytes(Arc<Vec<u8>>);

impl From<Vec<u8>> for EntryBytes {
    fn from(bytes: Vec<u8>) -> Self {
        EntryBytes(Arc::new(bytes))
    }
}

impl AsRef<[u8]> for EntryBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Data {
    /// A second handle on the same bytes. For a file the handles share their
    /// position: use one at a time.
    pub fn try_clone(&self) -> io::Result<Data> {
        Ok(match self {
            Data::File(f) => Data::File(f.try_clone()?),
            Data::Mem(c) => Data::Mem(Cursor::new(c.get_ref().clone())),
        })
    }
}

impl Read for Data {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Data::File(f) => f.read(buf),
            Data::Mem(c) => c.read(buf),
        }
    }
}

impl Seek for Data {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Data::File(f) => f.seek(pos),
            Data::Mem(c) => c.seek(pos),
        }
    }
}

/// Reads up to `buf.len()` bytes, fewer only at the end of the input.
pub(crate) fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(sniff(b"ElfFile\0rest"), Sniffed::Log(Format::Evtx));
        assert_eq!(sniff(b"PK\x03\x04...."), Sniffed::Zip);
        assert_eq!(
            sniff(b"\xEF\xBB\xBF<?xml version='1.0'?><Events>"),
            Sniffed::Log(Format::Xml)
        );
        assert_eq!(sniff(b"<?xml version='1.0'?><settings/>"), Sniffed::Other);
        assert_eq!(sniff(b"{\"files\": []}"), Sniffed::Other);
        assert_eq!(
            sniff(b"{\"Timestamp\":\"x\",\"RuleTitle\":\"r\",\"EventID\":1}"),
            Sniffed::Other
        );
        assert_eq!(
            sniff(b"  <Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"),
            Sniffed::Log(Format::Xml)
        );
        assert_eq!(sniff(b"{\"Event\":{}}\n"), Sniffed::Log(Format::Json));
        assert_eq!(
            sniff(b"[\n {\"document\": {\"data\": {\"Event\": {}}}}"),
            Sniffed::Log(Format::Json)
        );
        assert_eq!(sniff(b"Record 1\n{"), Sniffed::Log(Format::Json));
        assert_eq!(
            sniff(b"Record 1\r\n<?xml version=\"1.0\"?>\n<Event>"),
            Sniffed::Log(Format::Xml)
        );
        assert_eq!(
            sniff(b"{\"time\":\"2024-03-11T08:00:00Z\",\"event_id\":131,\"fields\":{}}"),
            Sniffed::Log(Format::Json)
        );
        assert_eq!(sniff(b"<html><body>"), Sniffed::Other);
        assert_eq!(sniff(b"hello"), Sniffed::Other);
        assert_eq!(sniff(b""), Sniffed::Other);
    }
}

/// Turns UTF-16LE text (as PowerShell 5's `>` and `Out-File` write it) into
/// UTF-8, as a stream; unpaired surrogates become U+FFFD.
pub(crate) struct Utf16Le<R> {
    inner: R,
    /// Raw bytes not yet decoded: an odd byte, or a high surrogate waiting
    /// for its pair.
    carry: Vec<u8>,
    /// Decoded UTF-8 not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Utf16Le<R> {
    /// Decodes `inner` (its byte order mark, if any, already skipped or kept
    /// as U+FEFF).
    pub fn new(inner: R) -> Self {
        Utf16Le {
            inner,
            carry: Vec::new(),
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut raw = std::mem::take(&mut self.carry);
        let start = raw.len();
        raw.resize(start + 16 * 1024, 0);
        let n = loop {
            match self.inner.read(&mut raw[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        raw.truncate(start + n);
        if n == 0 {
            self.done = true;
        }
        let mut units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]))
            .collect();
        if raw.len() % 2 == 1 && !self.done {
            self.carry.push(raw[raw.len() - 1]);
        }
        if !self.done && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            let high = units.pop().unwrap_or_default();
            let mut keep = high.to_le_bytes().to_vec();
            keep.append(&mut self.carry);
            self.carry = keep;
        }
        self.out.clear();
        self.pos = 0;
        let mut utf8 = [0u8; 4];
        for c in char::decode_utf16(units) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            self.out
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf16Le<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The text of `data` as UTF-8: decoded from UTF-16LE when it starts with
/// that byte order mark (which is dropped), else as it is.
pub(crate) fn text_reader(mut data: Data) -> io::Result<Box<dyn Read + Send>> {
    let mut bom = [0u8; 2];
    let n = read_up_to(&mut data, &mut bom)?;
    if n == 2 && bom == [0xFF, 0xFE] {
        Ok(Box::new(Utf16Le::new(data)))
    } else {
        data.seek(SeekFrom::Start(0))?;
        Ok(Box::new(data))
    }
}

#[cfg(test)]
mod utf16_tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for u in text.encode_utf16() {
            out.extend_from_slice(&u.to_le_bytes());
        }
        out
    }

    /// Reads one byte at a time, to split code units and surrogate pairs.
    struct Trickle(Cursor<Vec<u8>>);
    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn utf16_text_is_decoded_across_any_split() {
        let text = "<Event>Zürich 🎉 \u{FFFD}</Event>\r\n";
        let bytes = utf16le(text);
        let mut out = String::new();
        Utf16Le::new(Trickle(Cursor::new(bytes[2..].to_vec())))
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, text);
        let data = Data::Mem(Cursor::new(EntryBytes::from(bytes)));
        let mut out = String::new();
        text_reader(data).unwrap().read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
        assert_eq!(
            sniff(&utf16le("<Events><Event>")),
            Sniffed::Log(Format::Xml)
        );
        assert_eq!(sniff(&utf16le("{\"Event\":1}")), Sniffed::Log(Format::Json));
        assert_eq!(sniff(&utf16le("hello")), Sniffed::Other);
    }
}
