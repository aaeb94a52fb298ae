//! Inputs that `cargo fuzz` found (`fuzz/`), kept with the properties the `ingest_file`,
//! `compact` and `analyze` targets check: what is kept is what is counted as read, less the
//! records read twice; judging records before rendering them keeps the same matched events;
//! events built from template values are the rendered ones; correlating them and writing
//! every format panics nowhere and gives valid, escaped output.

use dropcause::ingest::{IngestOptions, discover, read_all};
use std::path::PathBuf;

fn inputs() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fuzz")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn fuzz_findings_keep_their_accounting_and_matches() {
    let files = inputs();
    assert!(!files.is_empty());
    for path in files {
        let found = discover(std::slice::from_ref(&path), false);
        for recover in [false, true] {
            let options = IngestOptions {
                recover_records: recover,
                ..IngestOptions::default()
            };
            let mut kept = 0u64;
            let report = read_all(&found.sources, &options, Some, |batch| {
                kept += batch.len() as u64
            });
            let read: u64 = report.files.iter().map(|f| f.records_read).sum();
            let twice: u64 = report.files.iter().map(|f| f.duplicate_records).sum();
            assert_eq!(read, kept + twice, "{} (recover {recover})", path.display());
        }
        judged_property::check(&found.sources, &path.display().to_string());
    }
}

#[path = "../fuzz/fuzz_targets/judged_property.rs"]
mod judged_property;

#[path = "../fuzz/fuzz_targets/compact_property.rs"]
mod compact_property;

#[test]
fn fuzz_findings_build_the_events_rendering_gives() {
    for path in inputs() {
        let found = discover(std::slice::from_ref(&path), false);
        compact_property::check(&found.sources, &path.display().to_string());
    }
}

#[path = "../fuzz/fuzz_targets/analyze_property.rs"]
mod analyze_property;

#[test]
fn fuzz_findings_analyze_and_render_in_every_format() {
    let scratch = tempfile::tempdir().expect("temp dir");
    for path in inputs() {
        let data = std::fs::read(&path).expect("fuzz input");
        let dir = scratch.path().join("host");
        analyze_property::check_bytes(&data, &dir, &path.display().to_string());
    }
}
