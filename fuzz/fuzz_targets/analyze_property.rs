//! The property of the `analyze` target, shared with `tests/fuzz_regressions.rs`: logs read,
//! matched by the built-in rules and correlated as `analyze` does, then written in every
//! format, never panic; the JSON document and every JSONL and Timesketch line parse; the
//! terminal, CSV and Markdown outputs hold no escape character (report data is
//! attacker-controlled).

use dropcause::analyze::analyze;
use dropcause::correlate::CorrelateOptions;
use dropcause::ingest::{IngestOptions, Source};
use dropcause::rules::RuleSet;
use dropcause::{Diagnostics, Format, RenderOptions, Report, render};
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::built_in().0)
}

/// Analyzes `sources` and checks every format's output; `label` names the input in messages.
pub fn check(sources: &[Source], label: &str) {
    let ingest = IngestOptions {
        threads: 1,
        ..IngestOptions::default()
    };
    let analyzed = analyze(
        sources,
        rules(),
        &ingest,
        &CorrelateOptions::default(),
        &mut (),
    );
    let opts = RenderOptions {
        findings: true,
        timeline: true,
        alerts: true,
        ..RenderOptions::default()
    };
    let mut diagnostics = Diagnostics::default();
    diagnostics.extend(analyzed.ingest.diagnostics);
    let report = Report::new(
        analyzed.analysis,
        analyzed.ingest.files,
        diagnostics,
        rules().len(),
        &opts,
    );
    for format in Format::ALL {
        let name = format.as_str();
        let mut out = Vec::new();
        render(&report, format, &opts, &mut out).expect("writing to memory");
        match format {
            Format::Json => {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                    panic!("{label}: the JSON document does not parse: {e}");
                }
            }
            Format::Jsonl | Format::Timesketch => {
                for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                        panic!("{label}: a {name} line does not parse: {e}");
                    }
                }
            }
            Format::Table | Format::Csv | Format::Md => {
                assert!(
                    !out.contains(&0x1b),
                    "{label}: the {name} output holds an escape"
                );
            }
            Format::Html => {}
        }
    }
}
