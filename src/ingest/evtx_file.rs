//! Reads one EVTX file with the `evtx` crate: one result per record, every
//! failure turned into a located [`Problem`] and counted.

use super::{IngestOptions, Source};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::{self, Event, RecordOrigin};
use chrono::{DateTime, Utc};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings, SerializedEvtxRecord};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The first eight bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

/// The account of one file: what was read and what was lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileStats {
    /// The file.
    pub path: PathBuf,
    /// Records read and normalized (including recovered ones).
    pub records_read: u64,
    /// Of those, records carved from chunk slack or cleared chunks.
    pub records_recovered: u64,
    /// Records that could not be read, rendered or normalized.
    pub records_unreadable: u64,
    /// Chunks that could not be read at all (their records are lost uncounted).
    pub chunks_skipped: u64,
    /// Records read from a chunk cut short at the end of a truncated file
    /// (the `evtx` crate's own iteration ignores such a chunk).
    pub records_in_truncated_chunk: u64,
    /// Per computer and channel: how many records, first and last event time.
    /// Tells which logs were given for which host, and what time they cover.
    pub spans: Vec<ChannelSpan>,
    /// Set when the file could not be opened as EVTX at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

/// The records of one channel of one computer in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelSpan {
    /// `System/Computer`.
    pub computer: String,
    /// `System/Channel`.
    pub channel: String,
    /// How many records.
    pub records: u64,
    /// The earliest event time.
    pub first: DateTime<Utc>,
    /// The latest event time.
    pub last: DateTime<Utc>,
}

impl ChannelSpan {
    fn add(spans: &mut Vec<ChannelSpan>, event: &Event) {
        // Files hold one channel of one computer, or a few (forwarded events).
        match spans
            .iter_mut()
            .find(|s| s.channel == event.channel && s.computer == event.computer)
        {
            Some(span) => {
                span.records += 1;
                span.first = span.first.min(event.time);
                span.last = span.last.max(event.time);
            }
            None => spans.push(ChannelSpan {
                computer: event.computer.clone(),
                channel: event.channel.clone(),
                records: 1,
                first: event.time,
                last: event.time,
            }),
        }
    }
}

/// Reads every record of `source`, normalizes it and hands it to `sink`.
/// `chunk_threads` is the parser's own chunk-level parallelism.
pub fn read_file(
    source: &Source,
    options: &IngestOptions,
    chunk_threads: usize,
    sink: &mut dyn FnMut(Event),
) -> (FileStats, Diagnostics) {
    let path: Arc<Path> = Arc::from(source.path.as_path());
    let mut stats = FileStats {
        path: source.path.clone(),
        ..FileStats::default()
    };
    let mut diags = Diagnostics::default();
    let settings = ParserSettings::new()
        .num_threads(chunk_threads)
        .recover_records(options.recover_records)
        .separate_json_attributes(false)
        .indent(false);
    let mut parser = match EvtxParser::from_path(&source.path) {
        Ok(p) => p.with_configuration(settings),
        Err(err) => {
            let message = format!("cannot read as EVTX: {}", chain(&err));
            stats.failed = Some(message.clone());
            diags.push(Problem::file(ProblemKind::Unreadable, &*path, message));
            return (stats, diags);
        }
    };
    let records = parser.serialized_records(|record| record.and_then(|r| r.into_json_bytes()));
    for record in records {
        accept(record, &path, &mut stats, &mut diags, sink);
    }
    drop(parser);
    if let Some(tail) = truncated_tail(source).filter(|_| !options.skip_truncated_chunk) {
        read_truncated_chunk(source, tail, &path, &mut stats, &mut diags, sink);
    }
    (stats, diags)
}

/// Normalizes one record (or accounts for its failure) and hands it on.
fn accept(
    record: evtx::err::Result<SerializedEvtxRecord<Vec<u8>>>,
    path: &Arc<Path>,
    stats: &mut FileStats,
    diags: &mut Diagnostics,
    sink: &mut dyn FnMut(Event),
) -> bool {
    let rec = match record {
        Ok(rec) => rec,
        Err(err) => {
            diags.push(located(path, &err, stats));
            return false;
        }
    };
    let time = DateTime::<Utc>::from_timestamp(
        rec.timestamp.as_second(),
        rec.timestamp.subsec_nanosecond().max(0) as u32,
    )
    .unwrap_or_default();
    let origin = RecordOrigin {
        record_id: rec.event_record_id,
        time,
        source: path,
        recovered: rec.recovered,
    };
    match event::from_json_bytes(&rec.data, &origin) {
        Ok(ev) => {
            stats.records_read += 1;
            stats.records_recovered += u64::from(rec.recovered);
            ChannelSpan::add(&mut stats.spans, &ev);
            sink(ev);
            true
        }
        Err(err) => {
            stats.records_unreadable += 1;
            let mut p = Problem::file(ProblemKind::BadEvent, &**path, err.to_string());
            p.record = Some(rec.event_record_id);
            diags.push(p);
            false
        }
    }
}

/// Where a chunk cut short by the end of the file starts, and how many of its
/// bytes are there: `(chunk number, offset, length)`.
fn truncated_tail(source: &Source) -> Option<(u64, u64, u64)> {
    let body = source.size.checked_sub(HEADER_SIZE)?;
    let partial = body % CHUNK_SIZE;
    // Less than a chunk header cannot hold a record.
    (partial >= 512).then(|| (body / CHUNK_SIZE, source.size - partial, partial))
}

const HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// Reads the records that lie whole inside a chunk cut short by the end of
/// the file, and says how much of the chunk was missing.
fn read_truncated_chunk(
    source: &Source,
    (chunk_no, offset, len): (u64, u64, u64),
    path: &Arc<Path>,
    stats: &mut FileStats,
    diags: &mut Diagnostics,
    sink: &mut dyn FnMut(Event),
) {
    let mut note = Problem::file(
        ProblemKind::BadChunk,
        &**path,
        format!("the file ends {len} bytes into this chunk (truncated)"),
    );
    note.chunk = Some(chunk_no);
    let before = stats.records_in_truncated_chunk;
    let mut data = vec![0u8; CHUNK_SIZE as usize];
    let read = std::fs::File::open(&source.path).and_then(|mut f| {
        use std::io::{Read, Seek, SeekFrom};
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut data[..len as usize])
    });
    if let Err(err) = read {
        note.message
            .push_str(&format!(" (reading it failed: {err})"));
        diags.push(note);
        return;
    }
    if &data[..8] != b"ElfChnk\0" {
        diags.push(note);
        return;
    }
    let settings = Arc::new(
        ParserSettings::new()
            .separate_json_attributes(false)
            .indent(false),
    );
    let parsed = EvtxChunkData::new(data, false).map_err(|e| e.to_string());
    let mut chunk_data = match parsed {
        Ok(c) => c,
        Err(err) => {
            note.message.push_str(&format!(" ({err})"));
            diags.push(note);
            return;
        }
    };
    match chunk_data.parse(settings) {
        Ok(mut chunk) => {
            for record in chunk.iter() {
                // Past the cut the chunk holds zeros: the first record that does not
                // lie whole inside what is there (its trailing size copy included)
                // ends it.
                let whole = record
                    .as_ref()
                    .is_ok_and(|r| r.binxml_offset + u64::from(r.binxml_size) + 4 <= len);
                if !whole {
                    break;
                }
                let record = record.and_then(|r| r.into_json_bytes());
                if accept(record, path, stats, diags, sink) {
                    stats.records_in_truncated_chunk += 1;
                }
            }
        }
        Err(err) => note.message.push_str(&format!(" ({})", chain(&err))),
    }
    let kept = stats.records_in_truncated_chunk - before;
    note.message.push_str(&format!(
        "; {kept} records read from the part that is there, the rest of the chunk is lost"
    ));
    diags.push(note);
}

/// Turns a parser error into a problem that names the chunk or record, and
/// counts it.
fn located(path: &Path, err: &EvtxError, stats: &mut FileStats) -> Problem {
    let mut p = Problem::file(ProblemKind::BadRecord, path, chain(err));
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
        EvtxError::FailedToReadRecordAt { chunk, .. } => {
            p.chunk = *chunk;
            stats.records_unreadable += 1;
        }
        _ => stats.records_unreadable += 1,
    }
    p
}

/// The error and its causes, joined with ": ".
fn chain(err: &dyn std::error::Error) -> String {
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
