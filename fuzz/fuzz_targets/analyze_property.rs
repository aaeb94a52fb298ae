//! The property of the `analyze` target, shared with `tests/fuzz_regressions.rs`: bytes cut
//! into up to [`MAX_FILES`] logs (a new file at each `ElfFile\0` after the first byte, so a
//! seed is a host's logs laid end to end), read, matched and correlated as `analyze` does
//! (the built-in rules and the plain alert rules of `judged_property`), then written in every
//! format, never panic; the JSON document is serde_json's pretty text of the report and every
//! JSONL and Timesketch line parses; the terminal, CSV, Markdown and HTML outputs hold no
//! escape character (report data is attacker-controlled).

use super::judged_property;
use dropcause::analyze::analyze;
use dropcause::correlate::CorrelateOptions;
use dropcause::ingest::{IngestOptions, discover};
use dropcause::{Diagnostics, Format, RenderOptions, Report, render};
use std::path::Path;

const MAGIC: &[u8] = b"ElfFile\0";
/// The most files one input is cut into.
pub const MAX_FILES: usize = 8;

/// `data` cut before each magic that does not start it, at most [`MAX_FILES`] parts.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    let mut at = 1;
    while starts.len() < MAX_FILES {
        let Some(found) = data
            .get(at..)
            .and_then(|rest| rest.windows(MAGIC.len()).position(|w| w == MAGIC))
        else {
            break;
        };
        starts.push(at + found);
        at += found + 1;
    }
    starts.push(data.len());
    starts.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

/// Writes the logs `data` holds into `dir` (emptied first), analyzes them and checks every
/// format's output; `label` names the input in a failure. An input that cannot be written
/// (the scratch folder is gone) is not checked.
pub fn check_bytes(data: &[u8], dir: &Path, label: &str) {
    let _ = std::fs::remove_dir_all(dir);
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    for (i, part) in split(data).into_iter().enumerate() {
        if std::fs::write(dir.join(format!("log-{i}.evtx")), part).is_err() {
            return;
        }
    }
    let found = discover(&[dir.to_path_buf()], false);
    let rules = judged_property::rules();
    let ingest = IngestOptions {
        threads: 1,
        ..IngestOptions::default()
    };
    let correlate = CorrelateOptions::default();
    let analyzed = analyze(&found.sources, rules, &ingest, &correlate, &mut ());
    let opts = RenderOptions {
        findings: true,
        timeline: true,
        alerts: true,
        ..RenderOptions::default()
    };
    let mut diagnostics = Diagnostics::default();
    diagnostics.extend(found.diagnostics);
    diagnostics.extend(analyzed.ingest.diagnostics);
    let report = Report::new(
        analyzed.analysis,
        analyzed.ingest.files,
        diagnostics,
        rules.len(),
        &opts,
    );
    for format in Format::ALL {
        let name = format.as_str();
        let mut out = Vec::new();
        render(&report, format, &opts, &mut out).expect("writing to memory");
        match format {
            Format::Json => {
                let whole = serde_json::to_string_pretty(&report).expect("serializes") + "\n";
                assert!(
                    out == whole.as_bytes(),
                    "{label}: the JSON document is not serde_json's text of the report"
                );
            }
            Format::Jsonl | Format::Timesketch => {
                for line in out.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
                        panic!("{label}: a {name} line does not parse: {e}");
                    }
                }
            }
            Format::Table | Format::Csv | Format::Md | Format::Html => {
                assert!(
                    !out.contains(&0x1b),
                    "{label}: the {name} output holds an escape"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn split_cuts_before_each_later_magic() {
        assert_eq!(split(b""), vec![b"" as &[u8]]);
        assert_eq!(split(b"ElfFile\0ab"), vec![b"ElfFile\0ab" as &[u8]]);
        let two: &[u8] = b"xElfFile\0aElfFile\0";
        assert_eq!(split(two), vec![b"x" as &[u8], b"ElfFile\0a", b"ElfFile\0"]);
        let many = b"ElfFile\0".repeat(12);
        let parts = split(&many);
        assert_eq!(parts.len(), super::MAX_FILES);
        assert_eq!(parts.concat(), many);
    }
}
