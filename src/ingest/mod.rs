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
mod dedup;
mod discover;
mod evtx_file;
mod export;
mod fingerprint;
mod json_array;
mod open;
mod prefilter;
mod stats;
mod string_table;
pub mod windows;
mod work;

pub use binxml::{Peek, PeekCache, PeekText, event_from_peek, peek};
pub use discover::{ArchiveEntry, Discovery, LOG_EXTENSIONS, Source, discover};
pub use open::{EVTX_MAGIC, Format, open_shared};
pub use prefilter::{Note, Prefilter, Want};
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
use chunk::{ChunkOutput, MapFn, Reading, read_chunk};
use dedup::{Key, Seen};
use evtx::ParserSettings;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use work::Work;

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

/// Reads every source. One thread splits the files into chunks; worker threads
/// read the chunks (of all files at once) and run `map` on each event to decide
/// what travels on; `consume` runs on the calling thread and gets what was kept,
/// in file and chunk order. Memory stays bounded by what `map` keeps: only a
/// few chunks per worker are in flight. `map` gets every event whole: a record the
/// prefilter wants by its header ([`Want::Header`]) is read whole here.
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
    let whole = |event: Event, _: Option<Note>| map(event);
    read(sources, options, (&whole, false), consume, &mut ())
}

/// [`read_all`], told how reading goes through `observer`, and where a record the prefilter
/// wants by its header alone ([`Want::Header`]) comes to `map` as that header (an event
/// without data fields, activity id or user SID) with the prefilter's note; other events
/// come whole, without a note.
pub fn read_all_noted<T, M, C>(
    sources: &[Source],
    options: &IngestOptions,
    map: M,
    consume: C,
    observer: &mut dyn Observer,
) -> IngestReport
where
    T: Send,
    M: Fn(Event, Option<Note>) -> Option<T> + Sync,
    C: FnMut(Vec<T>),
{
    read(sources, options, (&map, true), consume, observer)
}

/// What the workers make of each event: the map, and whether it takes headers with notes.
type Mapping<'a, T> = (&'a (dyn Fn(Event, Option<Note>) -> Option<T> + Sync), bool);

fn read<T, C>(
    sources: &[Source],
    options: &IngestOptions,
    (map, notes): Mapping<'_, T>,
    mut consume: C,
    observer: &mut dyn Observer,
) -> IngestReport
where
    T: Send,
    C: FnMut(Vec<T>),
{
    let run = Run::new(sources, options);
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(run.threads * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::sync_channel::<Done<T>>(run.threads * 2);
    let mut report = std::thread::scope(|scope| {
        let (run, job_rx) = (&run, &job_rx);
        scope.spawn(move || run.produce(&job_tx));
        for _ in 0..run.threads {
            let done_tx = done_tx.clone();
            scope.spawn(move || run.work(job_rx, &done_tx, (map, notes)));
        }
        drop(done_tx);
        let mut order = InOrder::new(run.empty_report(), options.keep_duplicates);
        for done in done_rx {
            order.take(done, &mut consume, observer);
        }
        order.finish(sources.len(), observer)
    });
    dedup::mark_whole_file_copies(&mut report.files);
    report
}

/// What the threads of one [`read_all`] run share; each method is
/// one thread's part.
struct Run<'a> {
    sources: &'a [Source],
    options: &'a IngestOptions,
    /// How many worker threads read.
    threads: usize,
    settings: Arc<ParserSettings>,
    /// The path of each source, shared with every event read from it.
    paths: Vec<Arc<Path>>,
}

impl<'a> Run<'a> {
    fn new(sources: &'a [Source], options: &'a IngestOptions) -> Self {
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
        let paths = sources
            .iter()
            .map(|s| Arc::from(s.path.as_path()))
            .collect();
        Run {
            sources,
            options,
            threads,
            settings,
            paths,
        }
    }

    /// An account for every source, with nothing counted yet.
    fn empty_report(&self) -> IngestReport {
        IngestReport {
            files: self
                .sources
                .iter()
                .map(|s| FileStats {
                    path: s.path.clone(),
                    ..FileStats::default()
                })
                .collect(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// The producer: splits the sources, in order, into numbered jobs. A byte
    /// copy of an earlier EVTX file is not read (unless duplicates are kept).
    fn produce(&self, jobs: &mpsc::SyncSender<Job>) {
        let mut copies = dedup::ByteCopies::default();
        let mut batching = Batching {
            jobs,
            seq: 0,
            file: 0,
            works: Vec::with_capacity(BATCH),
        };
        for (file, source) in self.sources.iter().enumerate() {
            batching.file = file;
            let original = |size, print| {
                if self.options.keep_duplicates {
                    return None;
                }
                copies
                    .original(size, print, file)
                    .map(|j| self.sources[j].path.clone())
            };
            split(
                source,
                &self.paths[file],
                self.options,
                original,
                &mut |work| batching.push(work),
            );
            if !batching.works.is_empty() {
                batching.send();
            }
        }
    }

    /// A worker: reads jobs until there are none left (or no one listens),
    /// keeping what `map` keeps of the events of the hosts asked for.
    fn work<T>(
        &self,
        jobs: &Mutex<mpsc::Receiver<Job>>,
        done: &mpsc::SyncSender<Done<T>>,
        (map, notes): Mapping<'_, T>,
    ) {
        let build = !self.options.render_all;
        let reading = Reading {
            settings: &self.settings,
            prefilter: self.options.prefilter.as_ref(),
            recover: self.options.recover_records,
            build,
            // A header is built from the peek: rendering everything reads it whole.
            headers: notes && build,
        };
        let hosts = &self.options.hosts;
        let keyed = |event: Event, note: Option<Note>| {
            if !hosts.matches(&event.computer) {
                return None;
            }
            let key = Key::of(&event);
            map(event, note).map(|kept| (key, kept))
        };
        while let Ok(job) = next_job(jobs) {
            if done
                .send(run_job(job, &self.paths, &reading, &keyed))
                .is_err()
            {
                break;
            }
        }
    }
}

/// Gathers the work of one file into [`Job`]s, numbered across files.
struct Batching<'a> {
    jobs: &'a mpsc::SyncSender<Job>,
    /// The number of the next job.
    seq: u64,
    /// The file being split.
    file: usize,
    works: Vec<Work>,
}

impl Batching<'_> {
    fn push(&mut self, work: Work) {
        // Only chunks are batched: a batch of exported records is up to
        // 4 MiB already.
        let chunk = matches!(work, Work::Chunk { .. });
        self.works.push(work);
        if self.works.len() == BATCH || !chunk {
            self.send();
        }
    }

    fn send(&mut self) {
        let works = std::mem::replace(&mut self.works, Vec::with_capacity(BATCH));
        let _ = self.jobs.send(Job {
            seq: self.seq,
            file: self.file,
            works,
        });
        self.seq += 1;
    }
}

/// The calling thread's part: results arrive out of order; they are handed
/// on in order, kept events already seen dropped (unless duplicates are kept).
struct InOrder<T> {
    report: IngestReport,
    keep_duplicates: bool,
    waiting: BTreeMap<u64, Done<T>>,
    seen: Seen,
    /// The number of the next job to hand on.
    next: u64,
    /// The file of the last job handed on.
    file: usize,
}

impl<T> InOrder<T> {
    fn new(report: IngestReport, keep_duplicates: bool) -> Self {
        InOrder {
            report,
            keep_duplicates,
            waiting: BTreeMap::new(),
            seen: Seen::default(),
            next: 0,
            file: 0,
        }
    }

    /// Takes one result, and hands on every result now next in order.
    fn take(
        &mut self,
        done: Done<T>,
        consume: &mut impl FnMut(Vec<T>),
        observer: &mut dyn Observer,
    ) {
        self.waiting.insert(done.seq, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.hand_on(done, consume, observer);
            self.next += 1;
        }
    }

    /// Counts one result into its file's account and the problems, and
    /// hands its kept events to `consume`.
    fn hand_on(
        &mut self,
        done: Done<T>,
        consume: &mut impl FnMut(Vec<T>),
        observer: &mut dyn Observer,
    ) {
        for _ in self.file..done.file {
            observer.file_done();
        }
        self.file = done.file;
        observer.records(done.stats.records_read);
        let stats = &mut self.report.files[done.file];
        stats.absorb(FileStats {
            problems: done.diagnostics.problems.len() as u64,
            ..done.stats
        });
        self.report.diagnostics.extend(done.diagnostics);
        let before = done.kept.len();
        let (keep_all, seen) = (self.keep_duplicates, &mut self.seen);
        let kept: Vec<T> = done
            .kept
            .into_iter()
            .filter_map(|(key, kept)| (keep_all || seen.first(key)).then_some(kept))
            .collect();
        stats.duplicate_records += (before - kept.len()) as u64;
        if !kept.is_empty() {
            consume(kept);
        }
    }

    /// The report, once every result is in; the files after the last one
    /// with work are done too.
    fn finish(self, files: usize, observer: &mut dyn Observer) -> IngestReport {
        for _ in self.file..files {
            observer.file_done();
        }
        self.report
    }
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
    let mut data = match source.open(options) {
        Ok(data) => data,
        Err(message) => {
            emit(work::failed(path, message));
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
        Format::Xml | Format::Json => export::split(source.format, data, path, emit),
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
    map: &MapFn<'_, (Key, T)>,
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
                    out.accept(event, None, map);
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
