//! Every format pinned for the fixture report (`UPDATE_GOLDEN=1` rewrites), and
//! the JSON report validated against `docs/report.schema.json`.

use crate::render_fixture::{at, report};
use crate::util::golden;
use dropcause::report::{Format, RenderOptions, TimeZone, Zoom, render};
use std::time::Duration;

fn opts() -> RenderOptions {
    RenderOptions {
        width: Some(110),
        ..RenderOptions::default()
    }
}

pub fn rendered(format: Format, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    render(&report(opts), format, opts, &mut out).expect("render into memory");
    String::from_utf8(out).expect("UTF-8 output")
}

#[test]
fn table_plain() {
    golden("render/report.table.txt", &rendered(Format::Table, &opts()));
}

#[test]
fn table_colored() {
    let opts = RenderOptions {
        color: true,
        ..opts()
    };
    let out = rendered(Format::Table, &opts);
    assert!(
        out.contains("\u{1b}[1;97;41m"),
        "drop lines are highlighted"
    );
    golden("render/report.table-color.txt", &out);
}

#[test]
fn json_document() {
    golden("render/report.json", &rendered(Format::Json, &opts()));
}

#[test]
fn jsonl_lines() {
    let out = rendered(Format::Jsonl, &opts());
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        assert!(v["type"].is_string(), "line without type: {line}");
    }
    golden("render/report.jsonl", &out);
}

#[test]
fn timesketch_lines() {
    let out = rendered(Format::Timesketch, &opts());
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        for field in ["message", "datetime", "timestamp_desc"] {
            assert!(v[field].is_string(), "{field} missing: {line}");
        }
        assert!(v["timestamp"].is_i64());
    }
    golden("render/report.timesketch.jsonl", &out);
}

#[test]
fn csv_rows() {
    golden("render/report.csv", &rendered(Format::Csv, &opts()));
}

#[test]
fn markdown_report() {
    golden("render/report.md", &rendered(Format::Md, &opts()));
}

#[test]
fn html_report() {
    golden("render/report.html", &rendered(Format::Html, &opts()));
}

#[test]
fn zoom_and_time_zone() {
    let opts = RenderOptions {
        time_zone: "Europe/Berlin".parse::<TimeZone>().expect("IANA zone"),
        zoom: Some(Zoom {
            around: at("09:41:00.000"),
            window: Duration::from_secs(120),
        }),
        ..opts()
    };
    let out = rendered(Format::Csv, &opts);
    assert!(
        out.lines().skip(1).all(|l| l.starts_with("2024-05-14T11:")),
        "times in CEST"
    );
    golden("render/report.zoom-berlin.csv", &out);
}

fn schema() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read schema"))
        .expect("schema is JSON")
}

#[test]
fn json_report_validates_against_the_schema() {
    let validator = jsonschema::draft202012::new(&schema()).expect("schema compiles");
    let zoomed = RenderOptions {
        zoom: Some(Zoom {
            around: at("09:41:00.000"),
            window: Duration::from_secs(600),
        }),
        ..opts()
    };
    for opts in [opts(), zoomed] {
        let doc: serde_json::Value =
            serde_json::from_str(&rendered(Format::Json, &opts)).expect("JSON");
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    }
}

#[test]
fn schema_rejects_what_it_does_not_describe() {
    let validator = jsonschema::draft202012::new(&schema()).expect("schema compiles");
    let doc: serde_json::Value =
        serde_json::from_str(&rendered(Format::Json, &opts())).expect("JSON");
    let mut missing = doc.clone();
    missing["analysis"]["findings"][0]["verdict"]
        .as_object_mut()
        .expect("verdict")
        .remove("confidence");
    assert!(!validator.is_valid(&missing));
    let mut wrong = doc.clone();
    wrong["analysis"]["timeline"][0]["kind"] = "explosion".into();
    assert!(!validator.is_valid(&wrong));
    let mut extra = doc;
    extra["analysis"]["sessions"][0]["surprise"] = 1.into();
    assert!(!validator.is_valid(&extra));
}

#[test]
fn json_is_serde_jsons_pretty_text_of_the_report() {
    // The document is written in pieces, its long arrays on the worker threads: the
    // pieces must add up to what serde_json writes of the whole, for the fixture and
    // for a real analysis (the samples).
    let opts = RenderOptions::default();
    let (found, analyzed) = crate::util::analyze_logs(&[crate::util::samples_dir()]);
    let samples = dropcause::report::Report::new(
        analyzed.analysis,
        analyzed.ingest.files,
        found.diagnostics,
        crate::util::builtin_rules().len(),
        &opts,
    );
    assert!(samples.analysis.findings.len() > 10 && samples.analysis.timeline.len() > 100);
    for report in [report(&opts), samples] {
        let mut out = Vec::new();
        render(&report, Format::Json, &opts, &mut out).expect("render into memory");
        let whole = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
        assert!(
            String::from_utf8(out).expect("UTF-8") == whole,
            "the JSON differs"
        );
    }
}
