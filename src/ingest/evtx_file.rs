//! Reads one EVTX file with the `evtx` crate: one result per record, every
//! failure turned into a located [`Problem`] and counted.

use super::{IngestOptions, Source};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::{self, Event};
use chrono::{DateTime, Utc};
use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
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
    let records = parser.serialized_records(|record| {
        record.and_then(|r| {
            let recovered = r.recovered;
            r.into_json_value().map(|mut s| {
                s.recovered = recovered;
                s
            })
        })
    });
    for record in records {
        match record {
            Ok(rec) => {
                let time = DateTime::<Utc>::from_timestamp(
                    rec.timestamp.as_second(),
                    rec.timestamp.subsec_nanosecond().max(0) as u32,
                )
                .unwrap_or_default();
                match event::from_json(&rec.data, rec.event_record_id, time, &path, rec.recovered) {
                    Ok(ev) => {
                        stats.records_read += 1;
                        stats.records_recovered += u64::from(rec.recovered);
                        ChannelSpan::add(&mut stats.spans, &ev);
                        sink(ev);
                    }
                    Err(err) => {
                        stats.records_unreadable += 1;
                        let mut p = Problem::file(ProblemKind::BadEvent, &*path, err.to_string());
                        p.record = Some(rec.event_record_id);
                        diags.push(p);
                    }
                }
            }
            Err(err) => diags.push(located(&path, &err, &mut stats)),
        }
    }
    (stats, diags)
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
