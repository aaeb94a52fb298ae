//! The property of the `compact` target, shared with `tests/fuzz_regressions.rs`: every
//! rendered event is built alike, in order; an event built beyond them is a record whose
//! rendering is not JSON (the `evtx` crate leaves a backslash or a control character of a name
//! unescaped), which only the builder reads.

use dropcause::ingest::{IngestOptions, Source, read_all};

/// Reads `sources` with and without the compact builder and checks the property; `label`
/// names the input in a failure.
pub fn check(sources: &[Source], label: &str) {
    let events = |render_all: bool| {
        let options = IngestOptions {
            threads: 1,
            render_all,
            ..IngestOptions::default()
        };
        let mut kept = Vec::new();
        let report = read_all(sources, &options, Some, |batch| kept.extend(batch));
        let unreadable: u64 = report.files.iter().map(|f| f.records_unreadable).sum();
        (kept, unreadable)
    };
    let (built, built_unreadable) = events(false);
    let (rendered, rendered_unreadable) = events(true);
    let mut next = 0;
    let mut extra = 0u64;
    for b in &built {
        if rendered.get(next) == Some(b) {
            next += 1;
        } else {
            extra += 1;
        }
    }
    assert_eq!(
        next,
        rendered.len(),
        "{label}: a rendered event is not built alike"
    );
    assert_eq!(
        built_unreadable + extra,
        rendered_unreadable,
        "{label}: an event built beyond the rendered ones is not a record rendering could not read"
    );
}
