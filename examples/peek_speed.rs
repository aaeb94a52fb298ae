//! Measures records/s of [`dropcause::ingest::peek`] against full rendering (JSON render +
//! `event::from_json`) on one file, single-threaded, best of a few runs.
//!
//! ```text
//! cargo run --release --example peek_speed -- [FILE.evtx] [RUNS] [peek|full|iterate]
//! ```
//!
//! A mode runs that pass alone (for a profiler).
//!
//! The default file is the corpus' `StolenSzechuanEventLogs/System.evtx` (60k records),
//! found through `DROPCAUSE_CORPUS` or `../shared/corpus`.

use dropcause::event;
use dropcause::ingest::{PeekCache, peek};
use evtx::{EvtxParser, ParserSettings};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default file under the corpus: `$DROPCAUSE_CORPUS`, else `../shared/corpus`
/// from the crate root.
fn default_file() -> PathBuf {
    std::env::var_os("DROPCAUSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx")
}

fn parser(path: &Path) -> EvtxParser<std::fs::File> {
    let settings = ParserSettings::new()
        .num_threads(1)
        .separate_json_attributes(false)
        .indent(false);
    EvtxParser::from_path(path)
        .expect("an EVTX file")
        .with_configuration(settings)
}

/// Runs `pass` `runs` times; returns (records, best time).
fn best(runs: usize, mut pass: impl FnMut() -> u64) -> (u64, Duration) {
    let mut best = Duration::MAX;
    let mut records = 0;
    for _ in 0..runs {
        let start = Instant::now();
        records = pass();
        best = best.min(start.elapsed());
    }
    (records, best)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().map_or_else(default_file, PathBuf::from);
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    let only = args.next();
    let source: Arc<Path> = Arc::from(path.as_path());
    let run = |mode: &str| only.as_deref().is_none_or(|m| m == mode);
    let runs_for = |mode: &str| if run(mode) { runs } else { 0 };

    // Iteration alone: what the `evtx` parser costs before any rendering (both paths pay it).
    let iterate = best(runs_for("iterate"), || {
        parser(&path)
            .serialized_records(|r| r.map(|r| r.event_record_id))
            .filter(Result::is_ok)
            .count() as u64
    });

    let full = best(runs_for("full"), || {
        let source = Arc::clone(&source);
        parser(&path)
            .serialized_records(move |r| {
                let r = r?.into_json_value()?;
                let ev = event::from_json(
                    &r.data,
                    r.event_record_id,
                    Default::default(),
                    &source,
                    false,
                );
                Ok(ev.map(|e| e.event_id).unwrap_or_default())
            })
            .filter(Result::is_ok)
            .count() as u64
    });

    let mut answered = 0;
    let peeked = best(runs_for("peek"), || {
        let mut cache = PeekCache::default();
        let mut n = 0;
        answered = 0;
        for id in parser(&path)
            .serialized_records(move |r| {
                let r = r?;
                Ok(peek(&r, &mut cache).map(|p| p.event_id))
            })
            .flatten()
        {
            n += 1;
            answered += u64::from(id.is_some());
        }
        n
    });

    let rate = |(n, t): (u64, Duration)| n as f64 / t.as_secs_f64();
    println!("{}", path.display());
    println!(
        "  iterate only   : {:>9.0} records/s ({} records, {:?})",
        rate(iterate),
        iterate.0,
        iterate.1
    );
    println!(
        "  full render    : {:>9.0} records/s ({} records, {:?})",
        rate(full),
        full.0,
        full.1
    );
    println!(
        "  peek           : {:>9.0} records/s ({} records, {:?}; answered {answered})",
        rate(peeked),
        peeked.0,
        peeked.1
    );
    // Per-record cost beyond iteration.
    let per = |(n, t): (u64, Duration)| {
        (t.as_secs_f64() - iterate.1.as_secs_f64()).max(0.0) / n.max(1) as f64 * 1e9
    };
    println!(
        "  beyond iteration: full {:.0} ns/record, peek {:.0} ns/record",
        per(full),
        per(peeked)
    );
}
