//! Stage 1: files and folders in, normalized events out.
//!
//! [`discover`] walks the paths given and keeps the EVTX logs (by magic, not by
//! name); [`read_all`] parses them in parallel and hands each [`Event`] to a
//! mapping function on the worker threads, so that only what the caller keeps
//! (for example, events a rule matched) travels on. Problems never stop a run:
//! they become [`Problem`](crate::diag::Problem)s, and every file gets a [`FileStats`] account.

mod binxml_walk;
mod discover;
mod evtx_file;
mod peek;

pub use discover::{Discovery, Source, discover};
pub use evtx_file::{ChannelSpan, EVTX_MAGIC, FileStats, read_file};
pub use peek::{Peek, PeekCache, PeekText, peek};

use crate::diag::Diagnostics;
use crate::event::Event;
use rayon::prelude::*;
use std::sync::mpsc;

/// How to read the input.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Worker threads; 0 lets the machine decide.
    pub threads: usize,
    /// Consider every file found in folders, not only `*.evtx`.
    pub all_files: bool,
    /// Also carve records from chunk slack and cleared chunks.
    pub recover_records: bool,
    /// Skip the records of a chunk cut short at the end of a truncated file
    /// (read by default; the `evtx` crate's own iteration ignores such a chunk).
    pub skip_truncated_chunk: bool,
}

/// What reading a set of files produced besides the events.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// One account per file read, in the order the sources were given.
    pub files: Vec<FileStats>,
    /// Every problem, with its place.
    pub diagnostics: Diagnostics,
}

/// Reads every source in parallel. `map` runs on the worker threads for each
/// event and decides what travels on; `consume` runs on the calling thread, in
/// batches, so memory is bounded by what `map` keeps.
pub fn read_all<T, M, C>(
    sources: &[Source],
    options: &IngestOptions,
    map: M,
    mut consume: C,
) -> IngestReport
where
    T: Send,
    M: Fn(Event) -> Option<T> + Sync,
    C: FnMut(Vec<T>),
{
    const BATCH: usize = 512;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .expect("a thread pool with default settings builds");
    // One file alone gets the parser's own chunk-level parallelism.
    let chunk_threads = if sources.len() == 1 {
        options.threads
    } else {
        1
    };
    let (tx, rx) = mpsc::sync_channel::<Vec<T>>(64);
    let mut results: Vec<(FileStats, Diagnostics)> = Vec::new();
    std::thread::scope(|scope| {
        let map = &map;
        let worker = scope.spawn(move || {
            pool.install(|| {
                sources
                    .par_iter()
                    .map_with(tx, |tx, source| {
                        let mut batch = Vec::with_capacity(BATCH);
                        let result =
                            read_file(source, options, chunk_threads, &mut |event: Event| {
                                if let Some(kept) = map(event) {
                                    batch.push(kept);
                                    if batch.len() == BATCH {
                                        let full = std::mem::replace(
                                            &mut batch,
                                            Vec::with_capacity(BATCH),
                                        );
                                        let _ = tx.send(full);
                                    }
                                }
                            });
                        if !batch.is_empty() {
                            let _ = tx.send(batch);
                        }
                        result
                    })
                    .collect::<Vec<_>>()
            })
        });
        for batch in rx {
            consume(batch);
        }
        results = worker.join().expect("ingest workers do not panic");
    });
    let mut report = IngestReport::default();
    for (stats, diags) in results {
        report.files.push(stats);
        report.diagnostics.extend(diags);
    }
    report
}
