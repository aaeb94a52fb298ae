//! Every output format pinned for one bundled sample scenario, through the whole
//! pipeline (ingest, rules, correlation, rendering). `UPDATE_GOLDEN=1` rewrites.

use crate::util::golden;
use dropcause::analyze::analyze;
use dropcause::correlate::CorrelateOptions;
use dropcause::ingest::{IngestOptions, discover};
use dropcause::report::{Format, RenderOptions, Report, TimeZone, render};
use std::path::PathBuf;

#[test]
fn termservice_crash_renders_the_same_in_every_format() {
    // Tests run in the crate root: relative paths keep the evidence file
    // names the same on every machine.
    let found = discover(&[PathBuf::from("samples/termservice-crash")], false);
    let rules = crate::util::builtin_rules();
    let analyzed = analyze(
        &found.sources,
        rules,
        &IngestOptions::default(),
        &CorrelateOptions::default(),
        &mut (),
    );
    let opts = RenderOptions {
        time_zone: TimeZone::Utc,
        color: false,
        zoom: None,
        width: Some(120),
        findings: true,
        timeline: true,
        alerts: false,
    };
    let report = Report::new(
        analyzed.analysis,
        analyzed.ingest.files,
        analyzed.ingest.diagnostics,
        rules.len(),
        &opts,
    );
    assert_eq!(
        report.analysis.findings.len(),
        3,
        "the scenario's three drops"
    );
    for format in Format::ALL {
        let mut out = Vec::new();
        render(&report, format, &opts, &mut out).unwrap();
        let text = String::from_utf8(out).expect("UTF-8 output");
        let ext = match format {
            Format::Table => "txt",
            other => other.as_str(),
        };
        golden(&format!("scenario/termservice-crash.{ext}"), &text);
    }
}
