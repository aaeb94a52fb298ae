//! Splits one EVTX file into chunks to read: the `evtx` crate's chunks in
//! record order, plus a chunk cut short by the end of a truncated file. File-level
//! failures become a note with the file's account.

use super::binxml::vocab::{CHUNK_HEADER_SIZE, FILE_HEADER_SIZE};
use super::chunk::{MOST_RECORDS_IN_A_CHUNK, chain, located};
use super::open::Data;
use super::stats::FileStats;
use super::work::{Work, note};
use super::{IngestOptions, Source};
use crate::diag::{Problem, ProblemKind};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const HEADER_SIZE: u64 = FILE_HEADER_SIZE as u64;
const CHUNK_SIZE: u64 = super::binxml::vocab::CHUNK_SIZE as u64;

/// Hands every chunk of `source` (whose bytes are `data`) and every
/// file-level problem to `emit`, in record order.
pub(crate) fn split(
    source: &Source,
    data: Data,
    options: &IngestOptions,
    emit: &mut dyn FnMut(Work),
) {
    let again = data.try_clone();
    // The parser gets the concrete reader: std's `File` and `Cursor` read a chunk straight
    // into the parser's fresh buffer, where a reader of our own would have std zero each
    // 64 KiB buffer first (5% of the work of a run that renders little).
    match data {
        Data::File(file) => split_from(source, file, again, options, emit),
        Data::Mem(bytes) => split_from(source, bytes, again, options, emit),
    }
}

/// [`split`] on the concrete reader; `again` is a second handle on the same
/// bytes, to read a chunk cut short by the end of the file.
fn split_from<R: Read + Seek>(
    source: &Source,
    data: R,
    again: std::io::Result<Data>,
    options: &IngestOptions,
    emit: &mut dyn FnMut(Work),
) {
    let path = source.path.as_path();
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
    // The whole chunks the file holds; the `evtx` crate passes over those that
    // are all zeros without a word.
    let whole = source.size.saturating_sub(HEADER_SIZE) / CHUNK_SIZE;
    let seen = split_chunks(&mut parser, path, whole, emit);
    let tail = truncated_tail(source);
    let mut tail_ids = None;
    if let Some(tail) = tail
        && !options.skip_truncated_chunk
    {
        tail_ids = truncated_chunk(path, again, tail, emit);
    }
    if whole == 0 && tail.is_none() {
        emit(note(
            FileStats::default(),
            Problem::file(
                ProblemKind::BadChunk,
                path,
                format!(
                    "the file holds no chunk: it ends at byte {} (its header takes {HEADER_SIZE}), \
                     so it has no records",
                    source.size
                ),
            ),
        ));
    }
    cut_in_chunk_header(source, emit);
    let met = seen.iter().flatten().chain(&tail_ids);
    let last_met = met.map(|ids| ids.1).max().unwrap_or(0);
    chunks_past_the_end(
        source,
        parser.header(),
        (whole, tail.is_some()),
        last_met,
        emit,
    );
    zeroed_chunks(path, parser.header(), &seen, emit);
}

/// Hands on every chunk the parser finds (and a problem for each it cannot
/// read); returns the first and last record id of the chunks met, per chunk
/// number of the `whole` chunks the file holds.
fn split_chunks<R: Read + Seek>(
    parser: &mut EvtxParser<R>,
    path: &Path,
    whole: u64,
    emit: &mut dyn FnMut(Work),
) -> Vec<Option<(u64, u64)>> {
    let mut seen: Vec<Option<(u64, u64)>> = vec![None; usize::try_from(whole).unwrap_or(0)];
    for chunk in parser.chunks() {
        match chunk {
            Ok(data) => {
                let ids = (
                    data.header.first_event_record_id,
                    data.header.last_event_record_id,
                );
                mark(&mut seen, data.number, ids);
                emit(Work::Chunk {
                    data: Box::new(data),
                    cut: None,
                })
            }
            Err(err) => {
                if let EvtxError::FailedToParseChunk { chunk_id, .. } = &err {
                    mark(&mut seen, Some(*chunk_id), (0, 0));
                }
                let mut stats = FileStats::default();
                let problem = located(path, None, &err, &mut stats);
                emit(note(stats, problem));
            }
        }
    }
    seen
}

/// Notes the chunks not met (`seen` is `None`: all zeros) that held records
/// once: those the header counts, or where the record ids of the chunks
/// around leave a gap (not a wrap-around).
fn zeroed_chunks(
    path: &Path,
    header: &evtx::EvtxFileHeader,
    seen: &[Option<(u64, u64)>],
    emit: &mut dyn FnMut(Work),
) {
    let whole = seen.len() as u64;
    let (counted, oldest) = (u64::from(header.chunk_count), header.first_chunk_number);
    // The header counts `counted` chunks from the oldest one on, wrapping.
    let is_counted = |n: u64| (n + whole - oldest % whole.max(1)) % whole.max(1) < counted;
    for number in (0..seen.len()).filter(|&n| seen[n].is_none()) {
        let before = seen[..number].iter().rev().flatten().next();
        let after = seen[number + 1..].iter().flatten().next();
        let gap = matches!((before, after), (Some(b), Some(a)) if b.1 > 0 && b.1 + 1 < a.0);
        if !is_counted(number as u64) && !gap {
            continue;
        }
        let mut problem = Problem::file(
            ProblemKind::BadChunk,
            path,
            "the chunk is all zeros (wiped, or never written although the file header counts \
             it or records are missing around it): any records it held are lost",
        );
        problem.chunk = Some(number as u64);
        emit(note(
            FileStats {
                chunks_skipped: 1,
                ..FileStats::default()
            },
            problem,
        ));
    }
}

/// Notes a file that holds fewer chunks than its header counts (cut short;
/// at a chunk boundary nothing else shows it): the records after the last one
/// met (`last_met`), up to the header's next record id, are lost.
fn chunks_past_the_end(
    source: &Source,
    header: &evtx::EvtxFileHeader,
    (whole, partial): (u64, bool),
    last_met: u64,
    emit: &mut dyn FnMut(Work),
) {
    let counted = u64::from(header.chunk_count);
    let present = whole + u64::from(partial);
    if counted <= present {
        return;
    }
    // Only a count that a record id gap backs up (no wrap, a sane distance; a damaged chunk
    // header may name the last id u64::MAX).
    let first_lost = last_met.saturating_add(1);
    let lost = header
        .next_record_id
        .checked_sub(first_lost)
        .filter(|&n| {
            last_met > 0
                && last_met < u64::MAX
                && n <= (counted - present).saturating_mul(MOST_RECORDS_IN_A_CHUNK)
        })
        .unwrap_or(0);
    let ids = if lost > 0 {
        format!(
            "records {first_lost} to {} (by the header's next record id) are lost",
            header.next_record_id - 1
        )
    } else {
        "their records are lost".to_string()
    };
    let mut problem = Problem::file(
        ProblemKind::BadChunk,
        &source.path,
        format!(
            "the file header counts {counted} chunks but the file holds {present}{}: it was cut \
             short (truncated) and {ids}",
            if partial { " (the last in part)" } else { "" }
        ),
    );
    problem.chunk = Some(present);
    emit(note(
        FileStats {
            records_lost: lost,
            ..FileStats::default()
        },
        problem,
    ));
}

/// Notes that the chunk `number` was met, with its first and last record id
/// (zeros for a chunk that could not be parsed).
fn mark(seen: &mut [Option<(u64, u64)>], number: Option<u64>, ids: (u64, u64)) {
    if let Some(slot) = number
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| seen.get_mut(n))
    {
        *slot = Some(ids);
    }
}

/// Notes a file that ends inside a chunk's header (too little of the chunk
/// to hold a record): the chunk is lost.
fn cut_in_chunk_header(source: &Source, emit: &mut dyn FnMut(Work)) {
    let Some(body) = source.size.checked_sub(HEADER_SIZE) else {
        return;
    };
    let partial = body % CHUNK_SIZE;
    if partial == 0 || partial >= CHUNK_HEADER_SIZE as u64 {
        return;
    }
    let mut problem = Problem::file(
        ProblemKind::BadChunk,
        &source.path,
        format!(
            "the file ends {partial} bytes into this chunk, inside its 512-byte header \
             (truncated): the chunk's records are lost"
        ),
    );
    problem.chunk = Some(body / CHUNK_SIZE);
    emit(note(
        FileStats {
            chunks_truncated: 1,
            ..FileStats::default()
        },
        problem,
    ));
}

/// Where a chunk cut short by the end of the file starts, and how many of its
/// bytes are there: `(chunk number, offset, length)`.
fn truncated_tail(source: &Source) -> Option<(u64, u64, u64)> {
    let body = source.size.checked_sub(HEADER_SIZE)?;
    let partial = body % CHUNK_SIZE;
    // Less than a chunk header cannot hold a record.
    (partial >= CHUNK_HEADER_SIZE as u64)
        .then(|| (body / CHUNK_SIZE, source.size - partial, partial))
}

/// Emits the part of a chunk that a truncated file still holds, padded with
/// zeros, and a note that says the file is truncated there.
fn truncated_chunk(
    path: &Path,
    input: std::io::Result<Data>,
    (number, offset, len): (u64, u64, u64),
    emit: &mut dyn FnMut(Work),
) -> Option<(u64, u64)> {
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
    let mut ids = None;
    match chunk {
        Ok(mut chunk) => {
            chunk.number = Some(number);
            ids = Some((
                chunk.header.first_event_record_id,
                chunk.header.last_event_record_id,
            ));
            emit(Work::Chunk {
                data: Box::new(chunk),
                cut: Some(len),
            });
        }
        Err(err) => problem.message.push_str(&format!(" ({err})")),
    }
    emit(note(
        FileStats {
            chunks_truncated: 1,
            ..FileStats::default()
        },
        problem,
    ));
    ids
}
