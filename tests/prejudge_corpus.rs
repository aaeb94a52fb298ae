//! Judging records before they are rendered (`Interest::judge` on what the peek can read,
//! whole chunks skimmed when nothing in them is wanted, and alerts decided from the peek read
//! no further than their header, as `analyze` reads) keeps exactly the events, and the rules
//! they match, that rendering every record and matching the rules keeps, with the same
//! per-file accounting: over the whole corpus, with the built-in rules and with the SigmaHQ
//! Windows rules too.

use crate::sigmahq_load::sigma_dir;
use crate::util::corpus;
use dropcause::analyze;
use dropcause::ingest::{IngestOptions, Note, discover, read_all_noted};
use dropcause::rules::{RuleSet, RuleSource};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A matched event: file, record id and the ids of the rules it matched.
type Kept = (PathBuf, u64, Vec<String>);
/// Per file: records read, records unreadable, spans (computer, channel, records, first, last).
type Counts = Vec<(u64, u64, Vec<(String, String, u64, String, String)>)>;

struct Run {
    kept: Vec<Kept>,
    counts: Counts,
    /// Events read whole.
    rendered: u64,
    /// Events read by their header, matched from the peek.
    headers: u64,
}

fn run(root: &Path, rules: &RuleSet, prejudge: bool) -> Run {
    let found = discover(std::slice::from_ref(&root.to_path_buf()), false);
    let options = IngestOptions {
        prefilter: prejudge.then(|| analyze::prefilter(rules, Default::default())),
        ..IngestOptions::default()
    };
    let (rendered, headers) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut kept = Vec::new();
    let report = read_all_noted(
        &found.sources,
        &options,
        |e, decided: Option<Note>| {
            let counter = if decided.is_some() {
                &headers
            } else {
                &rendered
            };
            counter.fetch_add(1, Ordering::Relaxed);
            let source = e.source.to_path_buf();
            let id = e.record_id;
            analyze::keep(rules, e, decided).map(|m| {
                let ids = m.rules.iter().map(|r| r.id.to_string()).collect();
                (source, id, ids)
            })
        },
        |batch| kept.extend(batch),
        &mut (),
    );
    let counts = report
        .files
        .iter()
        .map(|f| {
            let spans = f
                .spans
                .iter()
                .map(|s| {
                    let (first, last) = (s.first.to_rfc3339(), s.last.to_rfc3339());
                    (
                        s.computer.clone(),
                        s.channel.clone(),
                        s.records,
                        first,
                        last,
                    )
                })
                .collect();
            (f.records_read, f.records_unreadable, spans)
        })
        .collect();
    Run {
        kept,
        counts,
        rendered: rendered.into_inner(),
        headers: headers.into_inner(),
    }
}

/// Runs both ways and compares; returns the judged run.
fn check(label: &str, root: &Path, rules: &RuleSet) -> Run {
    let all = run(root, rules, false);
    let judged = run(root, rules, true);
    let read: u64 = all.counts.iter().map(|c| c.0).sum();
    eprintln!(
        "{label}: {} rules, {read} records, {} matched; when judged first, {} read whole \
         ({:.1}%) and {} by their header",
        rules.len(),
        all.kept.len(),
        judged.rendered,
        100.0 * judged.rendered as f64 / all.rendered.max(1) as f64,
        judged.headers
    );
    assert!(all.kept.len() > 1000, "the corpus has matching events");
    assert_eq!(all.kept.len(), judged.kept.len(), "as many matched events");
    assert!(all.kept == judged.kept, "the same matched events, in order");
    for (a, j) in all.counts.iter().zip(&judged.counts) {
        assert_eq!(a, j, "the same per-file accounting");
    }
    assert_eq!(all.counts.len(), judged.counts.len());
    assert!(judged.rendered < all.rendered, "judging spares rendering");
    assert_eq!(
        all.headers, 0,
        "without a prefilter every event is read whole"
    );
    judged
}

#[test]
fn judging_records_before_rendering_keeps_the_same_matches_with_the_builtin_rules() {
    let Some(root) = corpus("prejudge, built-in rules") else {
        return;
    };
    check("built-in rules", &root, crate::util::builtin_rules());
}

#[test]
fn judging_records_before_rendering_keeps_the_same_matches_with_sigmahq_rules() {
    let Some(root) = corpus("prejudge, SigmaHQ rules") else {
        return;
    };
    let Some(sigma) = sigma_dir() else {
        eprintln!("SKIP prejudge, SigmaHQ rules: SigmaHQ rules not found (set DROPCAUSE_SIGMA)");
        return;
    };
    let (rules, _) = RuleSet::load(&[RuleSource::BuiltIn, RuleSource::Path(sigma)]);
    let judged = check("built-in + SigmaHQ rules", &root, &rules);
    // Most SigmaHQ rules are plain alert rules: the records only they match, once the peek
    // decides them, need no data.
    assert!(
        judged.headers > 1000,
        "alerts read by their header: {}",
        judged.headers
    );
}
