//! Skimming a chunk: when the prefilter wants none of a chunk's records, they are accounted
//! for from their headers alone, and the `evtx` crate never builds them.
//!
//! The `evtx` crate builds every record its iterator hands out (it reads all substitution
//! values), which is most of the cost of reading a record that is then skipped. A chunk whose
//! records are all unwanted is common: most records of Security and System logs are noise to
//! the rules. [`skim`] walks the chunk's live records the way the crate does and peeks at each;
//! it gives up, and the chunk is read the usual way, as soon as anything is not plain: a record
//! header the walk would have to resynchronise after, a timestamp out of range, a record the
//! peek cannot read, or one the prefilter wants.

use super::peek::{PeekCache, peek_chunk};
use crate::ingest::FileStats;
use crate::ingest::Prefilter;
use chrono::{DateTime, Utc};
use evtx::EvtxChunk;

/// Records start after the chunk header.
const CHUNK_HEADER_SIZE: usize = 512;
/// Magic, size, record id and FILETIME.
const RECORD_HEADER_SIZE: usize = 24;
const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];
/// FILETIME of 1970-01-01, in 100 ns units since 1601.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// The account of `chunk` when `prefilter` wants none of its live records and every one of
/// them reads plainly; `None` otherwise (nothing is counted then).
pub(crate) fn skim(
    chunk: &EvtxChunk<'_>,
    prefilter: &Prefilter,
    cache: &mut PeekCache,
) -> Option<FileStats> {
    let data = chunk.data;
    let header = chunk.header;
    let live_end = usize::try_from(header.free_space_offset)
        .ok()?
        .min(data.len());
    // Counted as the walk goes; dropped, uncounted, if the chunk cannot be skimmed.
    let mut stats = FileStats::default();
    let mut at = CHUNK_HEADER_SIZE;
    while at < live_end {
        let head = data.get(at..at.checked_add(RECORD_HEADER_SIZE)?)?;
        if head[..4] != RECORD_MAGIC {
            return None;
        }
        let size = u32::from_le_bytes(head[4..8].try_into().ok()?);
        let record_id = u64::from_le_bytes(head[8..16].try_into().ok()?);
        let filetime = u64::from_le_bytes(head[16..24].try_into().ok()?);
        let binxml_len = size.checked_sub(RECORD_HEADER_SIZE as u32 + 4)?;
        let binxml_at = at + RECORD_HEADER_SIZE;
        if binxml_at.checked_add(usize::try_from(binxml_len).ok()?)? > data.len() {
            return None;
        }
        let time = header_time(filetime)?;
        let p = peek_chunk(chunk, binxml_at as u64, binxml_len, cache)?;
        if (prefilter.0)(&p) {
            return None;
        }
        stats.count_unrendered(
            &p.computer,
            &p.channel,
            p.time_created.unwrap_or(time),
            record_id,
        );
        if record_id == header.last_event_record_id {
            break;
        }
        at = at.checked_add(usize::try_from(size).ok()?)?;
    }
    Some(stats)
}

/// A record header's FILETIME as the `evtx` crate's timestamp gives it to [`super::peek()`]:
/// whole seconds truncated toward zero, and no negative fraction. `None` outside the years
/// the crate accepts (it fails such a record).
fn header_time(filetime: u64) -> Option<DateTime<Utc>> {
    let nanos = (i128::from(filetime) - FILETIME_UNIX_EPOCH) * 100;
    let secs = i64::try_from(nanos / 1_000_000_000).ok()?;
    let sub = u32::try_from((nanos % 1_000_000_000).max(0)).ok()?;
    let time = DateTime::<Utc>::from_timestamp(secs, sub)?;
    // jiff's range, which the crate's timestamps have.
    (time.timestamp() <= 253_402_300_799).then_some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

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
