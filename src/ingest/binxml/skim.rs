//! Skimming a chunk: the records the prefilter does not want are accounted for from their
//! headers alone, the ones it wants are handed to the caller's peek-built path, and the
//! `evtx` crate never builds any.
//!
//! The `evtx` crate builds every record its iterator hands out (it reads all substitution
//! values), which is most of the cost of reading a record that is then skipped, and most
//! records of Security and System logs are noise to the rules. [`skim`] walks the chunk's
//! live records the way the crate does and peeks at each; it gives up, and the chunk is read
//! the usual way, as soon as anything is not plain: a record header the walk would have to
//! resynchronise after, a timestamp out of range, a record the peek cannot read, or a wanted
//! one the caller cannot take from its peek.

use super::peek::{Peek, PeekCache, Unrendered, peek_chunk};
use super::vocab::{CHUNK_HEADER_SIZE, RECORD_HEADER_SIZE, record_time};
use evtx::{EvtxChunk, EvtxRecordHeader};

/// What a skim counts of the records it walks past (a file's account,
/// [`crate::ingest::FileStats`], is one): the skim sits below the accounting,
/// which it knows only through this.
pub(crate) trait Tally: Default {
    /// Counts one record that was not rendered.
    fn count_unrendered(&mut self, record: Unrendered<'_>);
}

/// What the caller of [`skim`] made of one record.
pub(crate) enum Visit {
    /// Not wanted: the skim counts it.
    Unwanted,
    /// Wanted, and taken from its peek.
    Taken,
    /// Wanted, but its peek is not enough: the chunk must be read by the crate.
    Stuck,
}

/// The account of the records of `chunk` that `visit` does not want (given each record's peek
/// and record id), when every live record reads plainly and `visit` takes each wanted one from
/// its peek; `None` otherwise: nothing is counted then, and what `visit` took must be dropped.
pub(crate) fn skim<T: Tally>(
    chunk: &EvtxChunk<'_>,
    cache: &mut PeekCache,
    visit: &mut dyn FnMut(&Peek<'_>, u64) -> Visit,
) -> Option<T> {
    let data = chunk.data;
    let header = chunk.header;
    let live_end = usize::try_from(header.free_space_offset)
        .ok()?
        .min(data.len());
    // Counted as the walk goes; dropped, uncounted, if the chunk cannot be skimmed.
    let mut stats = T::default();
    let mut at = CHUNK_HEADER_SIZE;
    while at < live_end {
        // The crate's own reading of a record header: its magic, and a timestamp in the
        // years it accepts (it fails a record past them).
        let head = EvtxRecordHeader::from_bytes_at(data, at).ok()?;
        let binxml_len = head.record_data_size().ok()?;
        let binxml_at = at + RECORD_HEADER_SIZE;
        if binxml_at.checked_add(usize::try_from(binxml_len).ok()?)? > data.len() {
            return None;
        }
        let mut p = peek_chunk(chunk, binxml_at as u64, binxml_len, cache)?;
        let record_id = head.event_record_id;
        p.header_time = record_time(head.timestamp);
        match visit(&p, record_id) {
            Visit::Unwanted => stats.count_unrendered(p.unrendered(record_id)),
            Visit::Taken => {}
            Visit::Stuck => return None,
        }
        if record_id == header.last_event_record_id {
            break;
        }
        at = at.checked_add(usize::try_from(head.data_size).ok()?)?;
    }
    Some(stats)
}

#[cfg(test)]
mod tests {
    use super::super::vocab::{FILETIME_UNIX_EPOCH, RECORD_MAGIC};
    use super::*;

    fn header_time(filetime: u64) -> Option<chrono::DateTime<chrono::Utc>> {
        let mut bytes = RECORD_MAGIC.to_vec();
        bytes.extend(32u32.to_le_bytes());
        bytes.extend(7u64.to_le_bytes());
        bytes.extend(filetime.to_le_bytes());
        let head = EvtxRecordHeader::from_bytes_at(&bytes, 0).ok()?;
        Some(record_time(head.timestamp))
    }

    #[test]
    fn header_times_match_the_record_timestamps() {
        // 2024-03-11T06:00:00.2469100Z
        let ft = 133_546_104_002_469_100u64;
        let t = header_time(ft).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-11T06:00:00.246910+00:00");
        // Before 1970: truncated toward zero, no negative fraction.
        let t = header_time((FILETIME_UNIX_EPOCH - 15_000_000) as u64).unwrap();
        assert_eq!(t.timestamp(), -1);
        assert_eq!(t.timestamp_subsec_nanos(), 0);
        assert_eq!(header_time(u64::MAX), None);
    }
}
