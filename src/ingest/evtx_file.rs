//! Splits one EVTX file into chunks to read: the `evtx` crate's chunks in
//! record order, plus a chunk cut short by the end of a truncated file. File-level
//! failures become a note with the file's account.

use super::chunk::{chain, located};
use super::export::JsonItem;
use super::open::Data;
use super::stats::FileStats;
use super::{IngestOptions, Source};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::Event;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The first eight bytes of every EVTX file.
pub const EVTX_MAGIC: &[u8; 8] = b"ElfFile\0";

const HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// A unit of work found in a file.
pub(crate) enum Work {
    /// A chunk to read; `cut` is how many of its bytes the file holds when it
    /// was cut short.
    Chunk {
        data: Box<EvtxChunkData>,
        cut: Option<u64>,
    },
    /// Events of an XML export, parsed and normalized (not yet counted).
    Events(Vec<Event>),
    /// Records of a JSON export, to normalize.
    Json(Vec<JsonItem>),
    /// Counts and problems found while splitting the file.
    Note {
        stats: FileStats,
        diagnostics: Diagnostics,
    },
}

/// Hands every chunk of `source` (whose bytes are `data`) and every
/// file-level problem to `emit`, in record order.
pub(crate) fn split(
    source: &Source,
    data: Data,
    options: &IngestOptions,
    emit: &mut dyn FnMut(Work),
) {
    let path = source.path.as_path();
    let again = data.try_clone();
    let mut parser = match EvtxParser::from_read_seek(data) {
        Ok(parser) => parser.with_configuration(ParserSettings::new().num_threads(1)),
        Err(err) => {
            let message = format!("cannot read as EVTX: {}", chain(&err));
            let stats = FileStats {
                failed: Some(message.clone()),
                ..FileStats::default()
            };
            emit(note(
                stats,
                Problem::file(ProblemKind::Unreadable, path, message),
            ));
            return;
        }
    };
    if !parser.header().validate_checksum() {
        emit(note(
            FileStats::default(),
            Problem::file(
                ProblemKind::Note,
                path,
                "the file header's CRC32 does not match: the header was damaged or edited",
            ),
        ));
    }
    for chunk in parser.chunks() {
        match chunk {
            Ok(data) => emit(Work::Chunk {
                data: Box::new(data),
                cut: None,
            }),
            Err(err) => {
                let mut stats = FileStats::default();
                let problem = located(path, None, &err, &mut stats);
                emit(note(stats, problem));
            }
        }
    }
    if !options.skip_truncated_chunk
        && let Some(tail) = truncated_tail(source)
    {
        truncated_chunk(path, again, tail, emit);
    }
}

pub(crate) fn note(stats: FileStats, problem: Problem) -> Work {
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(problem);
    Work::Note { stats, diagnostics }
}

/// Where a chunk cut short by the end of the file starts, and how many of its
/// bytes are there: `(chunk number, offset, length)`.
fn truncated_tail(source: &Source) -> Option<(u64, u64, u64)> {
    let body = source.size.checked_sub(HEADER_SIZE)?;
    let partial = body % CHUNK_SIZE;
    // Less than a chunk header cannot hold a record.
    (partial >= 512).then(|| (body / CHUNK_SIZE, source.size - partial, partial))
}

/// Emits the part of a chunk that a truncated file still holds, padded with
/// zeros, and a note that says the file is truncated there.
fn truncated_chunk(
    path: &Path,
    input: std::io::Result<Data>,
    (number, offset, len): (u64, u64, u64),
    emit: &mut dyn FnMut(Work),
) {
    let mut problem = Problem::file(
        ProblemKind::BadChunk,
        path,
        format!(
            "the file ends {len} bytes into this chunk (truncated): the records in those bytes \
             are read, the rest of the chunk is lost"
        ),
    );
    problem.chunk = Some(number);
    let mut data = vec![0u8; CHUNK_SIZE as usize];
    let read = input.and_then(|mut f| {
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(&mut data[..len as usize])
    });
    let chunk = match read {
        Err(err) => Err(format!("reading it failed: {err}")),
        Ok(()) => EvtxChunkData::new(data, false).map_err(|e| chain(&e)),
    };
    match chunk {
        Ok(mut chunk) => {
            chunk.number = Some(number);
            emit(Work::Chunk {
                data: Box::new(chunk),
                cut: Some(len),
            });
        }
        Err(err) => problem.message.push_str(&format!(" ({err})")),
    }
    emit(note(FileStats::default(), problem));
}
