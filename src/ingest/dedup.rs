//! Dropping records loaded twice: a live log given with its backup, a VSS
//! copy, the same folder named twice, or the same events as EVTX and as an
//! export.
//!
//! # Design
//!
//! A record is the same record when its computer, channel, record id and time
//! are the same ([`Key`]). Holding a key for every record read would cost
//! memory in proportion to the input, so deduplication works at two levels:
//!
//! 1. **Kept events, by key.** Only the events the caller's mapping function
//!    keeps (for `analyze`, the events a rule matched; a small share of a log)
//!    have their key remembered, on the consuming thread. A kept event whose
//!    key was seen before is dropped and counted in the file's
//!    [`FileStats::duplicate_records`]. Since results arrive in file order,
//!    the first file given keeps its events and later copies lose theirs. A
//!    key is 24 bytes: the record id, the time, and a 64-bit hash of computer
//!    and channel (two different logs would have to agree on record id and
//!    time to the 100 ns *and* collide in the hash to be confused).
//!
//! 2. **Whole files, by fingerprint.** Every file's account already holds,
//!    per computer and channel, the record count and the first and last event
//!    time ([`ChannelSpan`]); with the lowest and highest record id
//!    ([`Fingerprint`](super::fingerprint::Fingerprint), gathered while reading) this makes a fingerprint
//!    that costs a few numbers per file. A file whose fingerprint equals an
//!    earlier file's holds the same records (a copy, or a backup of a log not
//!    written to since): it is marked [`FileStats::duplicate_of`], all its
//!    records count as duplicates, and its spans are left out of the
//!    coverage, so nothing is counted twice.
//!
//! 3. **Byte copies, before reading.** An EVTX file's 4 KiB header and the
//!    512-byte header of each 64 KiB chunk (which carries the chunk's first
//!    and last record ids and the CRC32 of its records) are hashed before the
//!    file is split ([`evtx_fingerprint`]: under 1% of the file read). A file
//!    whose hash and size equal an earlier file's is a byte copy (the same
//!    folder given twice, a VSS copy) and is not read at all: it is marked
//!    [`FileStats::duplicate_of`] and its records, counted once in the
//!    original, are its `duplicate_records`.
//!
//! Records that are neither kept nor in a whole-file copy (a backup that
//! overlaps a live log only in part) are read and counted in both files; they
//! change no finding, since only kept events reach the analysis.

use super::stats::{ChannelSpan, FileStats};
use crate::event::Event;
use std::collections::HashMap;
use std::hash::{BuildHasher, DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};

/// What makes two records the same record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    record_id: u64,
    time: i64,
    origin: u64,
}

impl Key {
    /// The key of `event`.
    pub fn of(event: &Event) -> Key {
        // Computer and channel are compared without case; they are hashed a stack
        // buffer at a time, lowercased, rather than copied to lowercase strings: this
        // runs for every event built, and the copies were most of its cost.
        let mut h = origin_hasher();
        for text in [&event.computer, &event.channel] {
            h.write_usize(text.len());
            let mut buf = [0u8; 64];
            for part in text.as_bytes().chunks(buf.len()) {
                let lower = &mut buf[..part.len()];
                lower.copy_from_slice(part);
                lower.make_ascii_lowercase();
                h.write(lower);
            }
        }
        Key {
            record_id: event.record_id,
            time: event
                .time
                .timestamp_nanos_opt()
                .unwrap_or_else(|| event.time.timestamp()),
            origin: h.finish(),
        }
    }
}

/// The hasher of a key's origin: seeded once per run, so that the same origin hashes
/// alike on every thread, and names made to collide in one run do not in another.
fn origin_hasher() -> impl Hasher {
    static SEED: std::sync::OnceLock<foldhash::quality::RandomState> = std::sync::OnceLock::new();
    SEED.get_or_init(Default::default).build_hasher()
}

/// The keys of the events kept so far.
#[derive(Debug, Default)]
pub(crate) struct Seen(foldhash::HashSet<Key>);

impl Seen {
    /// True the first time `key` is offered.
    pub fn first(&mut self, key: Key) -> bool {
        self.0.insert(key)
    }
}

/// One channel of one computer in a file: computer, channel, records, first
/// and last time (ns), lowest and highest record id.
type SpanPrint<'a> = (&'a str, &'a str, u64, i64, i64, u64, u64);

/// What identifies a file's records as a whole: its spans and record id ranges,
/// in a stable order. `None` for a file without records.
fn whole(file: &FileStats) -> Option<Vec<SpanPrint<'_>>> {
    // Spans counted from record headers carry the header's time; some tools
    // write logs whose headers hold no time (1601), and then equal spans say
    // nothing about the records.
    let plausible = chrono::DateTime::from_timestamp(315_532_800, 0).unwrap_or_default(); // 1980
    if file.spans.is_empty()
        || file.failed.is_some()
        || file.spans.iter().any(|s| s.first < plausible)
    {
        return None;
    }
    let mut out: Vec<_> = file
        .spans
        .iter()
        .map(|s: &ChannelSpan| {
            let (lo, hi) = file
                .fingerprint
                .range(&s.computer, &s.channel)
                .unwrap_or((0, 0));
            (
                s.computer.as_str(),
                s.channel.as_str(),
                s.records,
                s.first.timestamp_nanos_opt().unwrap_or(0),
                s.last.timestamp_nanos_opt().unwrap_or(0),
                lo,
                hi,
            )
        })
        .collect();
    out.sort_unstable();
    Some(out)
}

/// Hashes an EVTX file's header and every chunk header (see the module
/// documentation), then rewinds. Two files with the same size and hash hold
/// the same records.
pub(crate) fn evtx_fingerprint(
    data: &mut (impl Read + Seek),
    size: u64,
) -> std::io::Result<Option<u64>> {
    use super::binxml::vocab::{CHUNK_HEADER_SIZE as CHUNK_HEADER, CHUNK_MAGIC};
    const HEADER: u64 = super::binxml::vocab::FILE_HEADER_SIZE as u64;
    const CHUNK: u64 = super::binxml::vocab::CHUNK_SIZE as u64;
    let mut h = DefaultHasher::new();
    size.hash(&mut h);
    let mut buf = vec![0u8; HEADER as usize];
    data.seek(SeekFrom::Start(0))?;
    let n = super::open::read_up_to(data, &mut buf)?;
    h.write(&buf[..n]);
    let mut at = HEADER;
    let mut chunks = false;
    while at < size {
        data.seek(SeekFrom::Start(at))?;
        let n = super::open::read_up_to(data, &mut buf[..CHUNK_HEADER])?;
        // A chunk that holds records: its magic, and a free-space offset past
        // its 512-byte header (offset 48).
        let free = buf
            .get(48..52)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        chunks |= n == CHUNK_HEADER && buf.starts_with(CHUNK_MAGIC) && free > CHUNK_HEADER as u32;
        h.write(&buf[..n]);
        at += CHUNK;
    }
    data.seek(SeekFrom::Start(0))?;
    // Logs without records hold nothing to count twice; equal headers of
    // empty logs say nothing about a copy.
    Ok(chunks.then(|| h.finish()))
}

/// The byte fingerprints of the EVTX files met so far, with the file each
/// belongs to.
#[derive(Debug, Default)]
pub(crate) struct ByteCopies(HashMap<(u64, u64), usize>);

impl ByteCopies {
    /// The earlier file with this size and fingerprint, else remembers `file`.
    pub fn original(&mut self, size: u64, fingerprint: u64, file: usize) -> Option<usize> {
        match self.0.entry((size, fingerprint)) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(file);
                None
            }
        }
    }
}

/// Marks every file whose records are all those of an earlier file, and gives
/// the byte copies that were not read their original's record count.
pub(crate) fn mark_whole_file_copies(files: &mut [FileStats]) {
    let mut originals: HashMap<Vec<SpanPrint<'_>>, usize> = HashMap::new();
    let mut copies: Vec<(usize, usize)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        if file.duplicate_of.is_some() {
            continue;
        }
        if let Some(mine) = whole(file) {
            match originals.get(&mine) {
                Some(&j) => copies.push((i, j)),
                None => {
                    originals.insert(mine, i);
                }
            }
        }
    }
    for (i, j) in copies {
        files[i].duplicate_of = Some(files[j].path.clone());
        files[i].duplicate_records = files[i].records_read;
    }
    // Byte copies skipped unread: as many duplicates as their original has records.
    for i in 0..files.len() {
        if files[i].records_read == 0
            && let Some(original) = &files[i].duplicate_of
            && let Some(j) = files.iter().position(|f| &f.path == original)
        {
            files[i].duplicate_records = files[j].records_read;
            // A copy of a file that could not be read could not be read either.
            files[i].failed = files[j].failed.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Fields;
    use chrono::DateTime;
    use std::path::Path;
    use std::sync::Arc;

    fn event(computer: &str, channel: &str, record_id: u64) -> Event {
        Event {
            time: DateTime::UNIX_EPOCH,
            record_id,
            channel: channel.into(),
            provider: "p".into(),
            event_source: None,
            event_id: 1,
            qualifiers: None,
            level: None,
            computer: computer.into(),
            activity_id: None,
            user_sid: None,
            source: Arc::from(Path::new("t.evtx")),
            recovered: false,
            fields: Fields::new(),
        }
    }

    #[test]
    fn a_key_ignores_the_case_of_computer_and_channel() {
        let long = "Host-".repeat(40);
        for (computer, channel) in [("DC01.corp", "Security"), (long.as_str(), "System")] {
            let upper = (computer.to_uppercase(), channel.to_uppercase());
            assert_eq!(
                Key::of(&event(computer, channel, 7)),
                Key::of(&event(&upper.0, &upper.1, 7))
            );
        }
    }

    #[test]
    fn a_key_tells_records_of_other_logs_apart() {
        let key = Key::of(&event("dc01", "Security", 7));
        assert_ne!(key, Key::of(&event("dc01", "System", 7)));
        assert_ne!(key, Key::of(&event("dc02", "Security", 7)));
        assert_ne!(key, Key::of(&event("dc01", "Security", 8)));
        // The boundary between the two names counts.
        assert_ne!(Key::of(&event("ab", "c", 7)), Key::of(&event("a", "bc", 7)));
        let long = "x".repeat(200);
        assert_ne!(
            Key::of(&event(&long, "Security", 7)),
            Key::of(&event(&format!("{long}y"), "Security", 7))
        );
    }

    #[test]
    fn seen_is_true_once_per_key() {
        let mut seen = Seen::default();
        let key = Key::of(&event("dc01", "Security", 7));
        assert!(seen.first(key));
        assert!(!seen.first(key));
        assert!(seen.first(Key::of(&event("dc01", "Security", 8))));
    }
}
