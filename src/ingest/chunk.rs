//! Reading one chunk: its records rendered, normalized and handed to the
//! caller's mapping function; every failure located and counted.

use super::binxml::vocab::{
    CHUNK_HEADER_SIZE, CHUNK_SIZE, RECORD_HEADER_SIZE, RECORD_TRAILER_SIZE,
};
use super::binxml::{Peek, PeekCache, Visit, peek, skim};
use super::binxml::{Tally, event_from_peek, header_from_peek};
use super::stats::FileStats;
use super::string_table::clear_bad_slots;
use super::{Note, Prefilter, Want};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::{self, Event, RecordOrigin};
use chrono::{DateTime, Utc};
use evtx::err::EvtxError;
use evtx::{EvtxChunk, EvtxChunkData, EvtxRecord, ParserSettings};
use std::path::Path;
use std::sync::Arc;

/// What the workers make of an event (and the prefilter's note, when it wanted only the
/// header).
pub(crate) type MapFn<'a, T> = dyn Fn(Event, Option<Note>) -> Option<T> + Sync + 'a;

/// What reading one chunk gave.
pub(crate) struct ChunkOutput<T> {
    /// What the mapping function kept.
    pub kept: Vec<T>,
    /// The chunk's counts.
    pub stats: FileStats,
    /// Its problems.
    pub diagnostics: Diagnostics,
}

impl<T> ChunkOutput<T> {
    /// Nothing yet.
    pub fn new() -> Self {
        ChunkOutput {
            kept: Vec::new(),
            stats: FileStats::default(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// Adds what `other` kept, counted and found.
    fn absorb(&mut self, other: ChunkOutput<T>) {
        self.kept.extend(other.kept);
        self.stats.absorb(other.stats);
        self.diagnostics.extend(other.diagnostics);
    }

    /// Bounds one event ([`Event::bound`]), counts it and keeps what `map`
    /// makes of it (with `note`). The first cut of the chunk (or export) gets a message.
    pub fn accept(&mut self, mut event: Event, note: Option<Note>, map: &MapFn<'_, T>) {
        let clipped = event.bound();
        if let Some(first) = clipped.first {
            if self.stats.values_cut == 0 {
                let mut p = Problem::file(
                    ProblemKind::Note,
                    &*event.source,
                    format!(
                        "{first} (a value past dropcause's limits: the rest is \
                         marked \"…[cut: N more bytes]\" and counted)"
                    ),
                );
                p.record = Some(event.record_id);
                self.diagnostics.push(p);
            }
            self.stats.values_cut += clipped.count;
        }
        self.stats.count(&event);
        if let Some(kept) = map(event, note) {
            self.kept.push(kept);
        }
    }
}

/// How the chunks of a run are read.
pub(crate) struct Reading<'a> {
    /// The `evtx` parser's settings.
    pub settings: &'a Arc<ParserSettings>,
    /// Records it says no to are counted, not rendered.
    pub prefilter: Option<&'a Prefilter>,
    /// The parser carves records from slack too.
    pub recover: bool,
    /// Events the peek can read whole are built from the template's values
    /// ([`event_from_peek`]) instead of rendered.
    pub build: bool,
    /// The map takes headers with the prefilter's note ([`Want::Header`]); otherwise those
    /// records are read whole.
    pub headers: bool,
}

impl Reading<'_> {
    /// What becomes of the record `peek` shows (of record id `id`, in the file at `path`).
    fn take(&self, peek: &Peek<'_>, id: u64, path: &Arc<Path>) -> Take {
        let want = self.prefilter.map_or(Want::Event, |p| p.want(peek));
        let built = match want {
            Want::Nothing => return Take::Unwanted,
            Want::Header(note) if self.headers => {
                header_from_peek(peek, id, path).map(|event| (event, Some(note)))
            }
            _ if self.build => event_from_peek(peek, id, path).map(|event| (event, None)),
            _ => None,
        };
        match built {
            Some((event, note)) => Take::Built(event, note),
            None => Take::Render,
        }
    }
}

/// What becomes of a peeked record.
#[expect(
    clippy::large_enum_variant,
    reason = "one per record, on the stack, moved once: boxing the event would add an allocation"
)]
enum Take {
    /// Counted, not read.
    Unwanted,
    /// Built from the peek, with the prefilter's note when it is only the header.
    Built(Event, Option<Note>),
    /// To be rendered whole by the `evtx` crate.
    Render,
}

/// Reads the records of a chunk. `cut` is the number of bytes actually present
/// when the chunk was cut short by the end of the file: records that do not lie
/// whole inside them are not read. A chunk the prefilter wants nothing of is only
/// skimmed ([`skim`]).
pub(crate) fn read_chunk<T>(
    data: EvtxChunkData,
    cut: Option<u64>,
    path: &Arc<Path>,
    reading: &Reading<'_>,
    map: &MapFn<'_, T>,
) -> ChunkOutput<T> {
    let Reading {
        settings,
        prefilter,
        recover,
        build,
        ..
    } = *reading;
    let named = (
        data.header.first_event_record_id,
        data.header.last_event_record_id,
    );
    let mut out = ChunkOutput::new();
    let number = data.number;
    if cut.is_none() {
        check_crc(&data, path, &mut out);
    }
    let (mut data, cleared) = clear_bad_slots(data);
    if cleared > 0 {
        out.diagnostics.push(cleared_slots(cleared, path, number));
    }
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(chunk) => chunk,
        Err(err) => {
            let mut p = Problem::file(ProblemKind::BadChunk, &**path, chain(&err));
            p.chunk = number;
            out.diagnostics.push(p);
            out.stats.chunks_skipped += 1;
            return out;
        }
    };
    let mut peeks = PeekCache::for_one_chunk();
    if cut.is_none()
        && !recover
        && let Some(skimmed) = skim_chunk(&chunk, &mut peeks, reading, path, map)
    {
        out.absorb(skimmed);
        account_named(&mut out, named, path, number);
        return out;
    }
    for record in chunk.iter() {
        // Past the cut the chunk holds zeros: the first record that does not
        // lie whole inside what is there ends it.
        if cut.is_some_and(|len| !lies_whole(&record, len)) {
            break;
        }
        let before = out.stats.records_read;
        let peeked = match &record {
            Ok(r) if !r.recovered && (prefilter.is_some() || build) => {
                peek(r, &mut peeks).map(|header| (header, r.event_record_id))
            }
            _ => None,
        };
        let take = match &peeked {
            Some((header, id)) => reading.take(header, *id, path),
            None => Take::Render,
        };
        match (take, peeked) {
            // Unwanted, and its header says all the accounting needs.
            (Take::Unwanted, Some((header, id))) => {
                out.stats.count_unrendered(header.unrendered(id))
            }
            (Take::Built(event, note), _) => out.accept(event, note, map),
            _ => accept(record, path, number, map, &mut out),
        }
        if cut.is_some() {
            out.stats.records_in_truncated_chunk += out.stats.records_read - before;
        }
    }
    account_named(&mut out, named, path, number);
    out
}

/// What [`skim`] makes of `chunk` under the reading's prefilter: the unwanted records counted,
/// the wanted ones built from their peek (whole, or their header when that is all the
/// prefilter wants) and kept; `None` when there is no prefilter or the chunk must be read by
/// the crate.
fn skim_chunk<T>(
    chunk: &EvtxChunk<'_>,
    peeks: &mut PeekCache,
    reading: &Reading<'_>,
    path: &Arc<Path>,
    map: &MapFn<'_, T>,
) -> Option<ChunkOutput<T>> {
    reading.prefilter?;
    let mut taken = ChunkOutput::new();
    let mut visit = |p: &Peek<'_>, id: u64| match reading.take(p, id, path) {
        Take::Unwanted => Visit::Unwanted,
        Take::Built(event, note) => {
            taken.accept(event, note, map);
            Visit::Taken
        }
        Take::Render => Visit::Stuck,
    };
    let stats = skim(chunk, peeks, &mut visit)?;
    // The unwanted records' account first, as the chunk's own reading keeps it.
    let mut out = ChunkOutput::new();
    out.stats = stats;
    out.absorb(taken);
    Some(out)
}

/// The note on a chunk whose string table had `cleared` slots pointing
/// outside it.
fn cleared_slots(cleared: usize, path: &Path, chunk: Option<u64>) -> Problem {
    let mut p = Problem::file(
        ProblemKind::Note,
        path,
        format!(
            "{cleared} of the chunk's string-table slots point outside it (damaged): \
             they are ignored, and the names are read where the records point"
        ),
    );
    p.chunk = chunk;
    p
}

/// Whether a record lies whole (its trailing size copy included) inside the
/// first `len` bytes of its chunk.
fn lies_whole(record: &evtx::err::Result<EvtxRecord<'_>>, len: u64) -> bool {
    record
        .as_ref()
        .is_ok_and(|r| r.binxml_offset + u64::from(r.binxml_size) + 4 <= len)
}

/// The most records a 64 KiB chunk can hold (each takes at least 28 bytes):
/// a header naming more is damaged, and says nothing of what was lost.
pub(crate) const MOST_RECORDS_IN_A_CHUNK: u64 =
    ((CHUNK_SIZE - CHUNK_HEADER_SIZE) / (RECORD_HEADER_SIZE + RECORD_TRAILER_SIZE)) as u64;

/// Counts, and reports, the records the chunk's header names (its first to
/// last record id) that the reading never met: past a lowered free-space
/// offset, swallowed by a record whose size runs over them, past the end of a
/// cut file. Records met but unreadable are counted already.
fn account_named<T>(
    out: &mut ChunkOutput<T>,
    (first, last): (u64, u64),
    path: &Path,
    number: Option<u64>,
) {
    let Some(named) = last.checked_sub(first).map(|n| n + 1) else {
        return;
    };
    // A chunk made but not yet written to names record u64::MAX to u64::MAX.
    if first == 0 || last == u64::MAX || named > MOST_RECORDS_IN_A_CHUNK {
        return;
    }
    let stats = &out.stats;
    let met = (stats.records_read - stats.records_recovered) + stats.records_unreadable;
    let Some(lost) = named.checked_sub(met).filter(|&n| n > 0) else {
        return;
    };
    let mut p = Problem::file(
        ProblemKind::BadChunk,
        path,
        format!(
            "the chunk's header names records {first} to {last} ({named}), but only {met} \
             could be found: {lost} are lost (the chunk's free-space offset or a record's size \
             was damaged, or the file was cut); `--recover` carves what is left of them"
        ),
    );
    p.chunk = number;
    out.diagnostics.push(p);
    out.stats.records_lost += lost;
}

/// Notes a chunk whose stored CRC32s do not match its bytes.
fn check_crc<T>(data: &EvtxChunkData, path: &Path, out: &mut ChunkOutput<T>) {
    let which = match (
        data.validate_header_checksum(),
        data.validate_data_checksum(),
    ) {
        (true, true) => return,
        (false, true) => "header",
        (true, false) => "records",
        (false, false) => "header and records",
    };
    let mut p = Problem::file(
        ProblemKind::Note,
        path,
        format!(
            "CRC32 of the chunk's {which} does not match (damaged, or written to after the \
             checksum): its records are read anyway"
        ),
    );
    p.chunk = data.number;
    out.diagnostics.push(p);
    out.stats.chunks_bad_checksum += 1;
}

/// Renders, normalizes and maps one record, or accounts for its failure.
fn accept<T>(
    record: evtx::err::Result<EvtxRecord<'_>>,
    path: &Arc<Path>,
    chunk: Option<u64>,
    map: &MapFn<'_, T>,
    out: &mut ChunkOutput<T>,
) {
    let record = match record {
        Ok(record) => record,
        Err(err) => {
            out.diagnostics
                .push(located(path, chunk, &err, &mut out.stats));
            return;
        }
    };
    let recovered = record.recovered;
    let record_id = record.event_record_id;
    let time = DateTime::<Utc>::from_timestamp(
        record.timestamp.as_second(),
        record.timestamp.subsec_nanosecond().max(0) as u32,
    )
    .unwrap_or_default();
    let rendered = match record.into_json_bytes() {
        Ok(rendered) => rendered,
        // Carved hits that fail to render are noise, as the evtx crate treats them.
        Err(_) if recovered => return,
        Err(err) => {
            out.diagnostics
                .push(located(path, chunk, &err, &mut out.stats));
            return;
        }
    };
    let origin = RecordOrigin {
        record_id,
        time,
        source: path,
        recovered,
    };
    match event::from_json_bytes(&rendered.data, &origin) {
        Ok(event) => out.accept(event, None, map),
        Err(err) => {
            out.stats.records_unreadable += 1;
            let mut p = Problem::file(ProblemKind::BadEvent, &**path, err.to_string());
            p.chunk = chunk;
            p.record = Some(record_id);
            out.diagnostics.push(p);
        }
    }
}

/// Turns a parser error into a problem that names the chunk or record, and
/// counts it.
pub(crate) fn located(
    path: &Path,
    chunk: Option<u64>,
    err: &EvtxError,
    stats: &mut FileStats,
) -> Problem {
    let mut p = Problem::file(ProblemKind::BadRecord, path, chain(err));
    p.chunk = chunk;
    match err {
        EvtxError::FailedToParseChunk { chunk_id, .. } => {
            p.kind = ProblemKind::BadChunk;
            p.chunk = Some(*chunk_id);
            stats.chunks_skipped += 1;
        }
        EvtxError::FailedToParseRecord { record_id, .. } => {
            p.record = Some(*record_id);
            stats.records_unreadable += 1;
        }
        EvtxError::FailedToReadRecordAt { chunk: at, .. } => {
            p.chunk = at.or(chunk);
            stats.records_unreadable += 1;
        }
        _ => stats.records_unreadable += 1,
    }
    p
}

/// The error and its causes, joined with ": ".
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}
