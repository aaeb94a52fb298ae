//! `dropcause analyze` and `timeline` from the command line: formats, report
//! files, exit codes.

use crate::util::{run, texts};
use std::path::PathBuf;

fn sample(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn json_output_names_the_drop_and_its_cause() {
    let out = run(&["analyze", "-q", "--format", "json", &sample("network-drop")]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(report["schema_version"], 6);
    let findings = report["analysis"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["verdict"]["category"], "network");
    assert_eq!(findings[0]["drop"]["host"], "RDS-NET01");
    assert!(stderr.contains("5 files read"), "{stderr}");
}

#[test]
fn exit_code_flag_reports_found_drops() {
    let dropped = run(&["analyze", "-q", "--exit-code", &sample("network-drop")]);
    assert_eq!(dropped.status.code(), Some(1));
    let clean = run(&["analyze", "-q", "--exit-code", &sample("normal-logoff")]);
    assert_eq!(clean.status.code(), Some(0), "{}", texts(&clean).1);
    assert!(
        texts(&clean).0.contains("No drops or refused connections"),
        "{}",
        texts(&clean).0
    );
}

#[test]
fn report_files_take_their_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    for (name, needle) in [("r.html", "<svg"), ("r.md", "# "), ("r.csv", "time,")] {
        let path = dir.path().join(name);
        let out = run(&[
            "analyze",
            "-q",
            "--report",
            path.to_str().unwrap(),
            &sample("termservice-crash"),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(needle), "{name} lacks {needle:?}");
    }
    let bad = run(&[
        "analyze",
        "-q",
        "--report",
        "r.pdf",
        &sample("termservice-crash"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        texts(&bad).1.contains("cannot tell the format"),
        "{}",
        texts(&bad).1
    );
}

#[test]
fn timeline_zooms_around_a_time() {
    let out = run(&[
        "timeline",
        "-q",
        "--around",
        "2024-03-11T09:12:00Z",
        "--window",
        "2m",
        &sample("network-drop"),
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("09:12:01"), "{stdout}");
    assert!(
        !stdout.contains("08:00:00"),
        "outside the window:\n{stdout}"
    );
}

#[test]
fn one_thread_gives_the_same_report_in_every_long_format() {
    // `-j 1` holds every stage to one thread (reading, rules, correlation, the report's
    // batches): what it writes must be what the default writes.
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let samples = samples.to_string_lossy();
    for format in ["json", "jsonl", "csv"] {
        let one = run(&["analyze", "-q", "-j", "1", "--format", format, &samples]);
        let all = run(&["analyze", "-q", "--format", format, &samples]);
        assert!(
            one.status.code().is_some_and(|c| c <= 1),
            "{}",
            texts(&one).1
        );
        assert!(
            !one.stdout.is_empty() && one.stdout == all.stdout,
            "{format} differs"
        );
    }
}
