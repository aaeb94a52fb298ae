//! Whole-file ingest: the bytes become a file, read by the same code as the CLI
//! (discovery by magic, chunk split, parallel chunk reading, normalization).
#![no_main]

use dropcause::ingest::{IngestOptions, discover, read_all};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("dropcause-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("input.evtx")
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    if std::fs::write(path, data).is_err() {
        return;
    }
    let found = discover(std::slice::from_ref(path), false);
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
        // What was kept is exactly what was counted as read.
        let read: u64 = report.files.iter().map(|f| f.records_read).sum();
        assert_eq!(read, events);
    }
});
