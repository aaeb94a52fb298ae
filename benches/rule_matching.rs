//! Rule matching speed: loads the SigmaHQ Windows rules plus the built-in rules
//! (and `$DROPCAUSE_RULES` folders, `:`-separated), reads real logs, and times
//! matching every event with and without the (channel, event id) index.
//!
//! `cargo bench --bench rule_matching [-- FILE.evtx ...]`; defaults to the
//! StolenSzechuan System and Security logs of the shared corpus.

use dropcause::Event;
use dropcause::ingest::{self, IngestOptions, discover};
use dropcause::rules::{RuleSet, RuleSource};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn main() {
    let sigma = std::env::var_os("DROPCAUSE_SIGMA")
        .map_or_else(|| shared().join("sigma/windows"), PathBuf::from);
    let corpus =
        std::env::var_os("DROPCAUSE_CORPUS").map_or_else(|| shared().join("corpus"), PathBuf::from);
    let mut sources = vec![RuleSource::BuiltIn, RuleSource::Path(sigma)];
    if let Some(extra) = std::env::var_os("DROPCAUSE_RULES") {
        sources.extend(std::env::split_paths(&extra).map(RuleSource::Path));
    }
    let t = Instant::now();
    let (set, report) = RuleSet::load_with_report(&sources);
    println!(
        "loaded {} rules ({} skipped, {} errors) in {:.2?}",
        set.len(),
        report.skipped().count(),
        report.errors().count(),
        t.elapsed()
    );
    let args: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    let files = if args.is_empty() {
        let dir = corpus.join("dfir-artifact-museum/StolenSzechuanEventLogs");
        vec![dir.join("System.evtx"), dir.join("Security.evtx")]
    } else {
        args
    };
    let interest = set.interest();
    for file in files {
        let found = discover(std::slice::from_ref(&file), false);
        if found.sources.is_empty() {
            println!("SKIP: {} not found", file.display());
            continue;
        }
        let mut events: Vec<Event> = Vec::new();
        ingest::read_all(&found.sources, &IngestOptions::default(), Some, |batch| {
            events.extend(batch)
        });
        let wanted = events.iter().filter(|e| interest.may_match(*e)).count();
        println!(
            "\n{}: {} events, {} of interest to some rule",
            file.display(),
            events.len(),
            wanted
        );
        let indexed = time(&events, |e| set.matches(e).count());
        let unindexed = time(&events, |e| set.matches_unindexed(e).count());
        assert_eq!(indexed.1, unindexed.1, "index and full scan disagree");
        let interest_only = time(&events, |e| usize::from(interest.may_match(e)));
        report_line("indexed", &events, indexed);
        report_line("unindexed", &events, unindexed);
        report_line("may_match()", &events, interest_only);
    }
}

/// Matches every event repeatedly for at least a second; returns (time per pass, matches per pass).
fn time(events: &[Event], f: impl Fn(&Event) -> usize) -> (Duration, usize) {
    let start = Instant::now();
    let mut passes = 0u32;
    let mut matches = 0;
    while passes == 0 || start.elapsed() < Duration::from_secs(1) {
        matches = events.iter().map(&f).sum();
        passes += 1;
    }
    (start.elapsed() / passes, matches)
}

fn report_line(what: &str, events: &[Event], (per_pass, matches): (Duration, usize)) {
    let rate = events.len() as f64 / per_pass.as_secs_f64();
    println!(
        "  {what:11} {rate:>12.0} events/s ({per_pass:.2?} per pass, {matches} rule matches, one thread)"
    );
}
