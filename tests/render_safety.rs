//! Hostile strings from the logs (markup, quotes, newlines, spreadsheet formulas,
//! terminal escape sequences) render inertly in every format.

use crate::render_fixture::{ESCAPES, FORMULA, SCRIPT, hostile_report};
use dropcause::report::{Format, RenderOptions, render};

fn hostile(format: Format, opts: &RenderOptions) -> String {
    let mut out = Vec::new();
    render(&hostile_report(opts), format, opts, &mut out).expect("render into memory");
    String::from_utf8(out).expect("UTF-8 output")
}

#[test]
fn csv_neutralizes_formulas_and_quotes_cells() {
    let out = hostile(Format::Csv, &RenderOptions::default());
    let mut reader = csv::ReaderBuilder::new().from_reader(out.as_bytes());
    let headers = reader.headers().expect("header").clone();
    let width = headers.len();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (title, message) = (column("title"), column("message"));
    let mut records = 0;
    for record in reader.records() {
        let record = record.expect("well-formed CSV");
        assert_eq!(record.len(), width, "quoting kept the columns: {record:?}");
        for cell in &record {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "live formula: {cell:?}"
            );
        }
        assert_eq!(
            &record[title],
            format!("'{FORMULA}"),
            "title keeps its text behind a quote"
        );
        assert!(
            record[message].contains("\"quoted\"\nsecond line"),
            "quotes and newline survive: {:?}",
            &record[message]
        );
        records += 1;
    }
    assert!(records > 10);
}

#[test]
fn html_escapes_everything_from_the_logs() {
    let out = hostile(Format::Html, &RenderOptions::default());
    assert!(
        !out.to_ascii_lowercase().contains("<script"),
        "raw script tag"
    );
    assert!(out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(out.contains("&quot;quoted&quot;"));
    assert!(!out.contains('\u{1b}'), "escape character in HTML");
    assert!(out.contains("Content-Security-Policy"));
    for external in ["src=", "href=", "@import", "url("] {
        assert!(!out.contains(external), "self-contained: found {external}");
    }
    // The SVG's hover text is escaped too.
    let svg = &out[out.find("<svg").expect("svg")..out.find("</svg>").expect("svg end")];
    assert!(svg.contains("<title>") && svg.contains("&lt;script&gt;"));
}

#[test]
fn markdown_passes_no_raw_html_or_table_breaks() {
    let out = hostile(Format::Md, &RenderOptions::default());
    assert!(!out.contains("<script"));
    assert!(!out.contains('\u{1b}'));
    assert!(out.contains(r"&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The newline inside a value must not end a table row early.
    assert!(!out.lines().any(|l| l.starts_with("second line")));
}

#[test]
fn terminal_output_carries_no_escape_sequences_from_the_logs() {
    let plain = hostile(Format::Table, &RenderOptions::default());
    assert!(!plain.contains('\u{1b}'), "escape in uncolored output");
    assert!(!plain.contains('\u{7}'));
    assert!(plain.contains(SCRIPT), "text is kept, only controls go");
    let colored = hostile(
        Format::Table,
        &RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(
        !colored.contains(ESCAPES)
            && !colored.contains("\u{1b}]")
            && !colored.contains("\u{1b}[2J")
    );
    // Every escape left is one of our SGR color sequences.
    for (i, _) in colored.match_indices('\u{1b}') {
        let rest = &colored[i + 1..];
        let end = rest.find('m').expect("SGR ends with m");
        assert!(
            rest.starts_with('[') && rest[1..end].chars().all(|c| c.is_ascii_digit() || c == ';'),
            "foreign sequence at {i}"
        );
    }
}

#[test]
fn json_formats_keep_values_exactly_and_escape_controls() {
    for format in [Format::Json, Format::Jsonl, Format::Timesketch] {
        let out = hostile(format, &RenderOptions::default());
        assert!(!out.contains('\u{1b}'), "{format}: raw escape");
        let values: Vec<serde_json::Value> = match format {
            Format::Json => vec![serde_json::from_str(&out).expect("JSON")],
            _ => out
                .lines()
                .map(|l| serde_json::from_str(l).expect("JSON line"))
                .collect(),
        };
        let text = serde_json::to_string(&values).expect("re-serialize");
        assert!(
            text.contains(r#"\"quoted\"\nsecond line \u001b[2J"#),
            "{format}: value not kept exactly"
        );
    }
}
