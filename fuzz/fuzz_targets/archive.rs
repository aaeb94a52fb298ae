//! Zip archives and JSON exports: the bytes become a `.zip` (or, when they do not
//! start like one, a JSON array export), read by the same code as the CLI. The
//! archive's directory, overlapping entries, inflation past the directory's
//! sizes, and the array splitter must end with every source either read or
//! reported, and nothing counted twice.
#![no_main]

use dropcause::ingest::{IngestOptions, discover, read_all};
use libfuzzer_sys::fuzz_target;

mod scratch;

fuzz_target!(|data: &[u8]| {
    let name = if data.starts_with(b"PK") { "input.zip" } else { "input.json" };
    let path = scratch::dir("archive").join(name);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let found = discover(std::slice::from_ref(&path), false);
    let options = IngestOptions {
        threads: 1,
        // Small enough that an inflating entry cannot hold the fuzzer's memory.
        max_entry_size: 16 << 20,
        ..IngestOptions::default()
    };
    let mut events = 0u64;
    // Events arrive bounded.
    let keep = |mut e: dropcause::event::Event| Some(e.bound().count == 0);
    let report = read_all(&found.sources, &options, keep, |b| {
        assert!(b.iter().all(|bounded| *bounded));
        events += b.len() as u64;
    });
    let read: u64 = report.files.iter().map(|f| f.records_read).sum();
    let twice: u64 = report.files.iter().map(|f| f.duplicate_records).sum();
    assert_eq!(read, events + twice, "every record read is delivered once");
    assert_eq!(report.files.len(), found.sources.len(), "an account per source");
    let _ = std::fs::remove_file(&path);
});
