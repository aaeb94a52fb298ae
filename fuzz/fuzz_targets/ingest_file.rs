//! Whole-file ingest: the bytes become a file, read by the same code as the CLI
//! (discovery by magic, chunk split, parallel chunk reading, normalization), and
//! once more with the records judged before rendering (peek, data fields, chunk
//! skimming, alerts read by their header) as `analyze` does: both must keep the same
//! matched events.
#![no_main]

use dropcause::ingest::{IngestOptions, discover, read_all};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

mod judged_property;
mod scratch;

fn scratch() -> PathBuf {
    scratch::dir("ingest").join("input.evtx")
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
    // Judged before rendering, as `analyze` reads, the same events match the same rules.
    judged_property::check(&found.sources, "fuzz input");
});
