//! The judging property of the `ingest_file` target, shared with `tests/fuzz_regressions.rs`:
//! reading as `analyze` does (records judged from their peek before rendering, chunks skimmed,
//! alerts decided from the peek read by their header alone) keeps the same records, matched
//! to the same rules, as rendering every record and matching it whole.

use dropcause::analyze;
use dropcause::ingest::{IngestOptions, Source, read_all_noted};
use dropcause::rules::{RuleSet, RuleSource};
use std::sync::OnceLock;

/// Plain alert rules (no `dropcause:` block) beside the built-in ones, so that judging can
/// decide alerts from the peek: one on the header alone, one on a data field, one with a
/// keyword search and one that a field it does not know leaves undecided.
const ALERTS: [&str; 4] = [
    "  sel:\n    EventID: [4624, 4625, 4634, 7036, 36888, 21, 24, 1149]\n  condition: sel",
    "  sel:\n    LogonType: [3, 5, 10]\n  filter:\n    IpAddress: '-'\n  condition: sel and not filter",
    "  keywords:\n    - 'rdp'\n    - 'svchost'\n  condition: keywords",
    "  sel:\n    EventID: 4624\n    TargetUserName|fieldref: SubjectUserName\n  condition: sel",
];

/// The built-in rules and [`ALERTS`], loaded once.
pub fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut sources = vec![RuleSource::BuiltIn];
        sources.extend(
            ALERTS
                .iter()
                .enumerate()
                .map(|(i, detection)| RuleSource::Text {
                    path: format!("alert-{i}.yml").into(),
                    text: format!(
                        "title: alert {i}\nid: alert-{i}\nlogsource:\n  product: windows\n\
                 detection:\n{detection}\nlevel: low\n"
                    ),
                }),
        );
        let (rules, diagnostics) = RuleSet::load(&sources);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        rules
    })
}

/// Reads `sources` both ways and checks the property; `label` names the input in a failure.
pub fn check(sources: &[Source], label: &str) {
    let rules = rules();
    let matched = |judged: bool| {
        let options = IngestOptions {
            threads: 1,
            prefilter: judged.then(|| analyze::prefilter(rules, Default::default())),
            ..IngestOptions::default()
        };
        let mut kept = Vec::new();
        read_all_noted(
            sources,
            &options,
            |e, decided| {
                let id = e.record_id;
                analyze::keep(rules, e, decided).map(|m| {
                    let ids: Vec<String> = m.rules.iter().map(|r| r.id.to_string()).collect();
                    (id, ids)
                })
            },
            |batch| kept.extend(batch),
            &mut (),
        );
        kept
    };
    assert_eq!(
        matched(false),
        matched(true),
        "{label}: judging before rendering lost or added a match"
    );
}
