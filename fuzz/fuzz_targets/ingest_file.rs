//! Whole-file ingest: the bytes become a file, read by the same code as the CLI
//! (discovery by magic, chunk split, parallel chunk reading, normalization), and
//! once more with the records judged before rendering (peek, data fields, chunk
//! skimming) as `analyze` does: both must keep the same matched events.
#![no_main]

use dropcause::ingest::{IngestOptions, Peek, Prefilter, discover, read_all};
use dropcause::rules::RuleSet;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

mod scratch;

fn scratch() -> PathBuf {
    scratch::dir("ingest").join("input.evtx")
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::built_in().0)
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let found = discover(std::slice::from_ref(&path), false);
    for recover in [false, true] {
        let options = IngestOptions {
            threads: 1,
            recover_records: recover,
            ..IngestOptions::default()
        };
        let mut events = 0u64;
        let report = read_all(&found.sources, &options, Some, |kept| {
            events += kept.len() as u64;
        });
        // What was kept is exactly what was counted as read, less the records read twice
        // (a carved copy of a live record, the same record in two chunks).
        let read: u64 = report.files.iter().map(|f| f.records_read).sum();
        let twice: u64 = report.files.iter().map(|f| f.duplicate_records).sum();
        assert_eq!(read, events + twice);
    }
    // Judged before rendering, the same events match.
    let rules = rules();
    let matched = |prefilter: Option<Prefilter>| {
        let options = IngestOptions {
            threads: 1,
            prefilter,
            ..IngestOptions::default()
        };
        let mut kept = Vec::new();
        read_all(
            &found.sources,
            &options,
            |e| {
                let id = e.record_id;
                rules.match_event(e).map(|m| {
                    let ids: Vec<String> = m.rules.iter().map(|r| r.id.to_string()).collect();
                    (id, ids)
                })
            },
            |batch| kept.extend(batch),
        );
        kept
    };
    let interest = rules.interest();
    let judged = matched(Some(Prefilter(Arc::new(move |p: &Peek| {
        interest.may_match(p)
    }))));
    assert_eq!(matched(None), judged, "judging before rendering lost or added a match");
});
