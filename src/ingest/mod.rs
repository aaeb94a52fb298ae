//! Stage 1: files and folders in, normalized events out.
//!
//! [`discover`] walks the paths given and keeps the EVTX logs (by magic, not by
//! name); [`read_all`] parses them, chunks in parallel across all files, and
//! hands each [`Event`] to a mapping function on the worker threads, so that
//! only what the caller keeps (for example, events a rule matched) travels on.
//! Problems never stop a run: they become
//! [`Problem`](crate::diag::Problem)s, and every file gets a [`FileStats`] account.

mod binxml_walk;
mod chunk;
mod discover;
mod evtx_file;
mod peek;
mod stats;

pub use discover::{Discovery, Source, discover};
pub use evtx_file::EVTX_MAGIC;
pub use peek::{Peek, PeekCache, PeekText, peek};
pub use stats::{ChannelSpan, FileStats};

use crate::diag::Diagnostics;
use crate::event::Event;
use chunk::read_chunk;
use evtx::ParserSettings;
use evtx_file::{Work, split};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

/// How to read the input.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Worker threads; 0 uses one per core.
    pub threads: usize,
    /// Consider every file found in folders, not only `*.evtx`.
    pub all_files: bool,
    /// Also carve records from chunk slack and cleared chunks.
    pub recover_records: bool,
    /// Skip the records of a chunk cut short at the end of a truncated file
    /// (read by default; the `evtx` crate's own iteration ignores such a chunk).
    pub skip_truncated_chunk: bool,
    /// Records this says no to (judged from their header fields, without
    /// rendering them) are counted but not rendered, normalized or mapped.
    pub prefilter: Option<Prefilter>,
}

/// Decides from a record's header fields whether it is worth rendering.
#[derive(Clone)]
pub struct Prefilter(pub Arc<dyn Fn(&Peek) -> bool + Send + Sync>);

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prefilter")
    }
}

/// What reading a set of files produced besides the events.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// One account per file read, in the order the sources were given.
    pub files: Vec<FileStats>,
    /// Every problem, with its place, in file and chunk order.
    pub diagnostics: Diagnostics,
}

/// One finished piece of work, numbered in file and chunk order.
struct Done<T> {
    seq: u64,
    file: usize,
    kept: Vec<T>,
    stats: FileStats,
    diagnostics: Diagnostics,
}

/// A chunk waiting for a worker.
struct Job {
    seq: u64,
    file: usize,
    work: Work,
}

/// Told how reading goes, on the calling thread (for a progress display).
pub trait Observer {
    /// `records` more records were read.
    fn records(&mut self, records: u64);
    /// One more file was read to its end.
    fn file_done(&mut self);
}

/// The observer that ignores everything.
impl Observer for () {
    fn records(&mut self, _: u64) {}
    fn file_done(&mut self) {}
}

/// [`read_all_observed`] without an observer.
pub fn read_all<T, M, C>(
    sources: &[Source],
    options: &IngestOptions,
    map: M,
    consume: C,
) -> IngestReport
where
    T: Send,
    M: Fn(Event) -> Option<T> + Sync,
    C: FnMut(Vec<T>),
{
    read_all_observed(sources, options, map, consume, &mut ())
}

/// Reads every source. One thread splits the files into chunks; worker threads
/// read the chunks (of all files at once) and run `map` on each event to decide
/// what travels on; `consume` runs on the calling thread and gets what was kept,
/// in file and chunk order. Memory stays bounded by what `map` keeps: only a
/// few chunks per worker are in flight.
pub fn read_all_observed<T, M, C>(
    sources: &[Source],
    options: &IngestOptions,
    map: M,
    mut consume: C,
    observer: &mut dyn Observer,
) -> IngestReport
where
    T: Send,
    M: Fn(Event) -> Option<T> + Sync,
    C: FnMut(Vec<T>),
{
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let settings = Arc::new(
        ParserSettings::new()
            .num_threads(1)
            .recover_records(options.recover_records)
            .separate_json_attributes(false)
            .indent(false),
    );
    let paths: Vec<Arc<Path>> = sources
        .iter()
        .map(|s| Arc::from(s.path.as_path()))
        .collect();
    let mut report = IngestReport {
        files: sources
            .iter()
            .map(|s| FileStats {
                path: s.path.clone(),
                ..FileStats::default()
            })
            .collect(),
        diagnostics: Diagnostics::default(),
    };
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done<T>>(threads * 2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut seq = 0;
            for (file, source) in sources.iter().enumerate() {
                split(source, options, &mut |work| {
                    let _ = job_tx.send(Job { seq, file, work });
                    seq += 1;
                });
            }
        });
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (job_rx, map, paths, settings) = (&job_rx, &map, &paths, &settings);
            let prefilter = options.prefilter.as_ref();
            scope.spawn(move || {
                while let Ok(job) = next_job(job_rx) {
                    let done = run_job(job, paths, settings, prefilter, map);
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Results arrive out of order; hand them on in order.
        let mut waiting: BTreeMap<u64, Done<T>> = BTreeMap::new();
        let mut next = 0;
        let mut file = 0;
        for done in done_rx {
            waiting.insert(done.seq, done);
            while let Some(done) = waiting.remove(&next) {
                for _ in file..done.file {
                    observer.file_done();
                }
                file = done.file;
                observer.records(done.stats.records_read);
                report.files[done.file].absorb(FileStats {
                    problems: done.diagnostics.problems.len() as u64,
                    ..done.stats
                });
                report.diagnostics.extend(done.diagnostics);
                if !done.kept.is_empty() {
                    consume(done.kept);
                }
                next += 1;
            }
        }
        for _ in file..sources.len() {
            observer.file_done();
        }
    });
    report
}

fn next_job(jobs: &Mutex<mpsc::Receiver<Job>>) -> Result<Job, mpsc::RecvError> {
    // A poisoned lock only means another worker panicked; the queue is intact.
    let rx = jobs.lock().unwrap_or_else(|e| e.into_inner());
    rx.recv()
}

fn run_job<T>(
    job: Job,
    paths: &[Arc<Path>],
    settings: &Arc<ParserSettings>,
    prefilter: Option<&Prefilter>,
    map: &(dyn Fn(Event) -> Option<T> + Sync),
) -> Done<T> {
    let (kept, stats, diagnostics) = match job.work {
        Work::Chunk { data, cut } => {
            let out = read_chunk(*data, cut, &paths[job.file], settings, prefilter, map);
            (out.kept, out.stats, out.diagnostics)
        }
        Work::Note { stats, diagnostics } => (Vec::new(), stats, diagnostics),
    };
    Done {
        seq: job.seq,
        file: job.file,
        kept,
        stats,
        diagnostics,
    }
}
