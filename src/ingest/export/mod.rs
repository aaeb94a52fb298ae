//! Event exports as input: XML (`wevtutil qe /f:xml`, Event Viewer's "Save as
//! XML") and JSON (`evtx_dump -o jsonl` / `-o json`, Chainsaw `--json`
//! documents).
//!
//! Both become the same [`Event`] as an EVTX record, through the same
//! normalizer ([`event::from_json_bytes`](crate::event::from_json_bytes)):
//!
//! - An XML `<Event>` is turned into the JSON shape the `evtx` crate renders
//!   (attributes under `#attributes`, text under `#text`, named `Data` as
//!   fields, unnamed `Data` as a list) and normalized from there. XML holds
//!   only text, so the typed `System` parts (event id, qualifiers, level,
//!   record id, time) come out as numbers exactly as from EVTX, while data
//!   fields stay text (`"3"` where EVTX gives the number `3`). Rules still
//!   match: they compare text case-insensitively and numbers through
//!   [`FieldValue::as_i64`](crate::event::FieldValue::as_i64), which reads
//!   decimal and `0x` text.
//! - A JSON record is the `evtx` crate's rendering already; records rendered
//!   with separate attributes (`Name_attributes`, as Chainsaw and
//!   `evtx_dump --separate-json-attributes` write them) are folded back first.
//!
//! The producer thread splits a file into batches (XML parsed there, as XML
//! cannot be split without parsing; JSON records only cut into lines), the
//! worker threads normalize and map them. Memory stays bounded: a batch holds
//! at most [`BATCH_RECORDS`] records and one record at most [`MAX_RECORD`] bytes.
//!
//! [`split`] is the one way in: `xml.rs` and `json.rs` read their format,
//! what they share is here.

mod json;
mod xml;

#[cfg(test)]
mod tests;

pub(crate) use json::read_json;

use super::open::{Data, Format, text_reader};
use super::stats::FileStats;
use super::work::{self, Place, Work};
use crate::diag::{Problem, ProblemKind};
use crate::event::{Event, NormalizeError, RecordOrigin};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;

/// Records per batch handed to the workers.
pub const BATCH_RECORDS: usize = 256;
/// The largest record (one JSON line, or one XML `<Event>`) read: 16 MiB.
pub const MAX_RECORD: usize = 16 << 20;

/// Splits an export into work for the workers, reading `data` as UTF-8 text
/// (decoded first when it is UTF-16LE): as XML when `format` says so, else as
/// JSON.
pub(crate) fn split(format: Format, data: Data, path: &Arc<Path>, emit: &mut dyn FnMut(Work)) {
    match text_reader(data) {
        Ok(text) if format == Format::Xml => xml::split(text, path, emit),
        Ok(text) => json::split(text, path, emit),
        Err(err) => emit(work::failed(path, format!("cannot read: {err}"))),
    }
}

fn problem(path: &Path, place: Place, kind: ProblemKind, message: impl Into<String>) -> Problem {
    let mut p = Problem::file(kind, path, message.into());
    match place {
        Place::Line(line) => p.line_col = Some((line as usize, 1)),
        Place::Element(n) => p.message = format!("array element {n}: {}", p.message),
    }
    p
}

/// The note of one record that could not be read, and why.
fn unreadable(problem: Problem) -> Work {
    let stats = FileStats {
        records_unreadable: 1,
        ..FileStats::default()
    };
    work::note(stats, problem)
}

fn origin(path: &Arc<Path>) -> RecordOrigin<'_> {
    RecordOrigin {
        record_id: 0,
        time: DateTime::<Utc>::UNIX_EPOCH,
        source: path,
        recovered: false,
    }
}

/// Why a record of an export, once parsed, is not an event.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    /// The normalizer refused it.
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    /// It has no time (an export has no record header to fall back on).
    #[error("record has no usable System/TimeCreated/@SystemTime")]
    Untimed,
}

/// The event normalized from an export's record. An export has no record
/// header to fall back on: a record without its time is not an event.
fn timed(normalized: Result<Event, NormalizeError>) -> Result<Event, RecordError> {
    let event = normalized?;
    if event.time == DateTime::<Utc>::UNIX_EPOCH {
        Err(RecordError::Untimed)
    } else {
        Ok(event)
    }
}
