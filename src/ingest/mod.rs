//! Stage 1: files and folders in, normalized events out.
//!
//! [`discover()`] walks the paths given and keeps the logs, told by their
//! content, not their name: EVTX files, XML and JSON exports, and the logs in
//! zip archives ([`windows`] finds the logs of a Windows installation).
//! [`read_all`] parses them, chunks (or batches of exported records) in
//! parallel across all files, and hands each [`Event`] to a mapping function
//! on the worker threads, so that only what the caller keeps (for example,
//! events a rule matched) travels on. Records loaded twice are dropped
//! (`dedup.rs` explains how without holding every record). Problems never stop
//! a run: they become [`Problem`](crate::diag::Problem)s, and every file gets a
//! [`FileStats`] account.

#[cfg(feature = "zip")]
mod archive;
pub(crate) mod binxml;
mod chunk;
mod compact;
mod dedup;
mod discover;
mod evtx_file;
mod export;
mod json_array;
mod open;
mod stats;
mod string_table;
pub mod windows;

pub use binxml::{Peek, PeekCache, PeekText, peek};
pub use compact::event_from_peek;
pub use discover::{ArchiveEntry, Discovery, LOG_EXTENSIONS, Source, discover};
pub use evtx_file::EVTX_MAGIC;
pub use open::{Format, open_shared};
pub use stats::{ChannelSpan, FileStats};

use crate::diag::Diagnostics;
use crate::event::Event;

/// How large an archive entry may be when it is read into memory, unless the
/// options say otherwise: 1 GiB.
pub const DEFAULT_ENTRY_CAP: u64 = 1 << 30;

/// How many bytes the logs inside the archives of one run may inflate to, all
/// together (by the sizes their directories give, which loading holds them
/// to): 16 GiB. The entries past it are refused with a message.
pub const INFLATE_BUDGET: u64 = 16 << 30;
use chunk::{ChunkOutput, Reading, read_chunk};
use dedup::{Key, Seen};
use evtx::ParserSettings;
use evtx_file::Work;
use open::Data;
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
    /// Records this says no to (judged from what [`peek()`] reads of them: header
    /// fields, time and data fields, without rendering them) are counted but not
    /// rendered, normalized or mapped; a chunk it wants nothing of is only skimmed.
    pub prefilter: Option<Prefilter>,
    /// Only events of these computers travel on (empty: all).
    pub hosts: HostFilter,
    /// Read every file and keep every record even when an earlier file held
    /// the same (byte copies, the same record twice): for counting exactly
    /// what each file holds.
    pub keep_duplicates: bool,
    /// The largest archive entry read into memory, in bytes (0: [`DEFAULT_ENTRY_CAP`]).
    pub max_entry_size: u64,
    /// Render every record through the `evtx` crate, even those whose event
    /// [`event_from_peek`] builds straight from the template's values (slower; the two
    /// give the same events, which this lets a test or a doubting user check).
    pub render_all: bool,
}

impl IngestOptions {
    /// The largest archive entry read into memory.
    pub fn entry_cap(&self) -> u64 {
        match self.max_entry_size {
            0 => DEFAULT_ENTRY_CAP,
            n => n,
        }
    }
}

/// Selects computers by name (`System/Computer`), ignoring ASCII case; a name
/// without a dot also matches the fully qualified name that starts with it
/// (`RDS01` matches `RDS01.corp.example`). Empty: every computer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostFilter(pub Vec<String>);

impl HostFilter {
    /// True when `computer` is selected.
    pub fn matches(&self, computer: &str) -> bool {
        self.0.is_empty()
            || self.0.iter().any(|name| {
                computer.eq_ignore_ascii_case(name)
                    || (!name.contains('.')
                        && computer
                            .split_once('.')
                            .is_some_and(|(host, _)| host.eq_ignore_ascii_case(name)))
            })
    }

    /// True when no host is named.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Decides from what [`peek()`] reads of a record whether it is worth rendering.
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
    kept: Vec<(Key, T)>,
    stats: FileStats,
    diagnostics: Diagnostics,
}

/// Consecutive pieces of work of one file waiting for a worker. Chunks travel
/// in batches so that the threads meet once per [`BATCH`] chunks rather than
/// once per chunk: on a 1 GB log, handing chunks over one by one spent about a
/// fifth of the run waking threads.
struct Job {
    seq: u64,
    file: usize,
    works: Vec<Work>,
}

/// How many 64 KiB chunks a [`Job`] carries at most (other work travels alone, or ends a
/// batch).
const BATCH: usize = 8;

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
    let producer_paths = paths.clone();
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
            let mut copies = dedup::ByteCopies::default();
            for (file, source) in sources.iter().enumerate() {
                let original = |size, print| {
                    if options.keep_duplicates {
                        return None;
                    }
                    copies
                        .original(size, print, file)
                        .map(|j| sources[j].path.clone())
                };
                let mut works = Vec::with_capacity(BATCH);
                let mut send = |works: &mut Vec<Work>| {
                    let works = std::mem::replace(works, Vec::with_capacity(BATCH));
                    let _ = job_tx.send(Job { seq, file, works });
                    seq += 1;
                };
                split(
                    source,
                    &producer_paths[file],
                    options,
                    original,
                    &mut |work| {
                        // Only chunks are batched: a batch of exported records is up to
                        // 4 MiB already.
                        let chunk = matches!(work, Work::Chunk { .. });
                        works.push(work);
                        if works.len() == BATCH || !chunk {
                            send(&mut works);
                        }
                    },
                );
                if !works.is_empty() {
                    send(&mut works);
                }
            }
        });
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (job_rx, map, paths, settings) = (&job_rx, &map, &paths, &settings);
            let reading = Reading {
                settings,
                prefilter: options.prefilter.as_ref(),
                recover: options.recover_records,
                build: !options.render_all,
            };
            let hosts = &options.hosts;
            scope.spawn(move || {
                let keyed = |event: Event| {
                    if !hosts.matches(&event.computer) {
                        return None;
                    }
                    let key = Key::of(&event);
                    map(event).map(|kept| (key, kept))
                };
                while let Ok(job) = next_job(job_rx) {
                    let done = run_job(job, paths, &reading, &keyed);
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Results arrive out of order; hand them on in order.
        let mut waiting: BTreeMap<u64, Done<T>> = BTreeMap::new();
        let mut seen = Seen::default();
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
                let stats = &mut report.files[done.file];
                stats.absorb(FileStats {
                    problems: done.diagnostics.problems.len() as u64,
                    ..done.stats
                });
                report.diagnostics.extend(done.diagnostics);
                let before = done.kept.len();
                let kept: Vec<T> = done
                    .kept
                    .into_iter()
                    .filter_map(|(key, kept)| {
                        (options.keep_duplicates || seen.first(key)).then_some(kept)
                    })
                    .collect();
                stats.duplicate_records += (before - kept.len()) as u64;
                if !kept.is_empty() {
                    consume(kept);
                }
                next += 1;
            }
        }
        for _ in file..sources.len() {
            observer.file_done();
        }
    });
    dedup::mark_whole_file_copies(&mut report.files);
    report
}

/// Opens one source and splits it into work for the workers. An EVTX file
/// that `original` (given its size and byte fingerprint) names as a copy of
/// an earlier file is not read.
fn split(
    source: &Source,
    path: &Arc<Path>,
    options: &IngestOptions,
    mut original: impl FnMut(u64, u64) -> Option<std::path::PathBuf>,
    emit: &mut dyn FnMut(Work),
) {
    let mut data = match Data::open(source, options) {
        Ok(data) => data,
        Err(message) => {
            let stats = FileStats {
                failed: Some(message.clone()),
                ..FileStats::default()
            };
            let problem =
                crate::diag::Problem::file(crate::diag::ProblemKind::Unreadable, &**path, message);
            emit(evtx_file::note(stats, problem));
            return;
        }
    };
    if source.format == Format::Evtx
        && let Ok(Some(print)) = dedup::evtx_fingerprint(&mut data, source.size)
        && let Some(copied) = original(source.size, print)
    {
        emit(Work::Note {
            stats: Box::new(FileStats {
                duplicate_of: Some(copied),
                ..FileStats::default()
            }),
            diagnostics: Diagnostics::default(),
        });
        return;
    }
    match source.format {
        Format::Evtx => evtx_file::split(source, data, options, emit),
        Format::Xml | Format::Json => match open::text_reader(data) {
            Ok(text) if source.format == Format::Xml => export::split_xml(text, path, emit),
            Ok(text) => export::split_json(text, path, emit),
            Err(err) => {
                let message = format!("cannot read: {err}");
                let stats = FileStats {
                    failed: Some(message.clone()),
                    ..FileStats::default()
                };
                let problem = crate::diag::Problem::file(
                    crate::diag::ProblemKind::Unreadable,
                    &**path,
                    message,
                );
                emit(evtx_file::note(stats, problem));
            }
        },
    }
}

fn next_job(jobs: &Mutex<mpsc::Receiver<Job>>) -> Result<Job, mpsc::RecvError> {
    // A poisoned lock only means another worker panicked; the queue is intact.
    let rx = jobs.lock().unwrap_or_else(|e| e.into_inner());
    rx.recv()
}

fn run_job<T>(
    job: Job,
    paths: &[Arc<Path>],
    reading: &Reading<'_>,
    map: &(dyn Fn(Event) -> Option<(Key, T)> + Sync),
) -> Done<T> {
    let path = &paths[job.file];
    let mut done = Done {
        seq: job.seq,
        file: job.file,
        kept: Vec::new(),
        stats: FileStats::default(),
        diagnostics: Diagnostics::default(),
    };
    for work in job.works {
        let out = match work {
            Work::Chunk { data, cut } => read_chunk(*data, cut, path, reading, map),
            Work::Events(events) => {
                let mut out = ChunkOutput::new();
                for event in events {
                    out.accept(event, map);
                }
                out
            }
            Work::Json(items) => export::read_json(items, path, map),
            Work::Note { stats, diagnostics } => ChunkOutput {
                kept: Vec::new(),
                stats: *stats,
                diagnostics,
            },
        };
        done.kept.extend(out.kept);
        done.stats.absorb(out.stats);
        done.diagnostics.extend(out.diagnostics);
    }
    done
}
