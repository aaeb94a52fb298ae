//! Stage 5: an [`Analysis`] and the run's accounting in; text out.
//!
//! A [`Report`] bundles what correlation found with what was read (per-file
//! [`FileStats`]), what could not be read ([`Diagnostics`]) and how the report
//! was made. [`render`] writes it in one [`Format`] to any [`io::Write`]; each
//! format has its own module, and they share the row building (`rows`) and the
//! prepared text (`view`). Strings from the logs are made safe only in
//! [`escape`]. Errors are plain [`io::Error`]s from the writer.
//!
//! ```
//! use dropcause::report::{render, Format, RenderOptions, Report};
//! use dropcause::{correlate::Analysis, Diagnostics};
//!
//! let opts = RenderOptions::default();
//! let report = Report::new(Analysis::default(), Vec::new(), Diagnostics::default(), 0, &opts);
//! let mut out = Vec::new();
//! render(&report, Format::Json, &opts, &mut out).unwrap();
//! assert!(String::from_utf8(out).unwrap().contains("\"schema_version\": 6"));
//! ```

mod alert_view;
mod brief;
mod csv;
pub mod escape;
mod html;
mod incident_view;
mod json;
mod markdown;
mod ordered;
mod outlook_view;
mod pretty;
mod rows;
mod svg;
mod table;
mod time;
mod timeline;
mod view;
mod wire;

pub use time::{BadTime, TimeZone, UnknownTimeZone, Zoom};

use crate::correlate::Analysis;
use crate::diag::Diagnostics;
use crate::ingest::FileStats;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::str::FromStr;

/// The version of the JSON report's layout (`docs/report.schema.json`). Bumped
/// on any change that can break a reader.
pub const SCHEMA_VERSION: u32 = 6;

/// Everything a report shows. Its JSON form is the `--format json` output.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program that wrote the report.
    pub tool: Tool,
    /// How the report was made.
    pub options: GenerationOptions,
    /// Every file read, with what was read and lost.
    pub inputs: Vec<FileStats>,
    /// Problems met while reading files and rules.
    pub diagnostics: Diagnostics,
    /// How many rules were loaded.
    pub rules_loaded: usize,
    /// What correlation found (the timeline cut to the zoom, if any).
    pub analysis: Analysis,
}

/// The program that wrote a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// `dropcause`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// How a report was made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenerationOptions {
    /// The zone times are shown in (JSON keeps UTC).
    pub time_zone: TimeZone,
    /// The zoom applied to the timeline, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoom: Option<Zoom>,
    /// When the report was made (left out for reproducible output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<DateTime<Utc>>,
}

impl Report {
    /// Bundles an analysis with the run's accounting. The timeline is cut to
    /// `opts.zoom`, and the options are recorded in the report.
    pub fn new(
        mut analysis: Analysis,
        inputs: Vec<FileStats>,
        diagnostics: Diagnostics,
        rules_loaded: usize,
        opts: &RenderOptions,
    ) -> Report {
        if let Some(zoom) = opts.zoom {
            analysis.timeline.retain(|e| zoom.contains(e.time));
        }
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME").to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
            },
            options: GenerationOptions {
                time_zone: opts.time_zone,
                zoom: opts.zoom,
                generated_at: None,
            },
            inputs,
            diagnostics,
            rules_loaded,
            analysis,
        }
    }

    /// Records when the report was made.
    pub fn generated_at(mut self, when: DateTime<Utc>) -> Report {
        self.options.generated_at = Some(when);
        self
    }
}

/// The output formats, one renderer each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Terminal: the one-screen summary (hosts, incidents, fixes); the
    /// findings table and the timeline with `--findings`/`--timeline`, and
    /// always for small inputs.
    Table,
    /// One JSON document (the [`Report`]).
    Json,
    /// One JSON object a line: a header, then events and findings (`type` field).
    Jsonl,
    /// CSV for Timeline Explorer and spreadsheets.
    Csv,
    /// JSONL that Timesketch imports.
    Timesketch,
    /// A Markdown post-incident report.
    Md,
    /// A self-contained HTML report with an SVG timeline.
    Html,
}

impl Format {
    /// Every format, in the order help lists them.
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::Jsonl,
        Format::Csv,
        Format::Timesketch,
        Format::Md,
        Format::Html,
    ];

    /// The name `--format` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Timesketch => "timesketch",
            Format::Md => "md",
            Format::Html => "html",
        }
    }

    /// The format a report file name asks for, by extension (`.md`, `.html`,
    /// `.json`, `.jsonl`, `.csv`, `.timesketch`, `.txt`).
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Md),
            "html" | "htm" => Some(Format::Html),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            "timesketch" => Some(Format::Timesketch),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("unknown format `{s}`"))
    }
}

/// When to color terminal output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always (even when `NO_COLOR` is set: an explicit flag wins).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to color output written to stdout (never for `TERM=dumb`
    /// unless asked for).
    pub fn for_stdout(self) -> bool {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t == "dumb");
        self.decide(io::stdout().is_terminal(), no_color)
    }

    /// The decision, given whether the output is a terminal and whether
    /// `NO_COLOR` is set.
    pub fn decide(self, is_terminal: bool, no_color: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RenderOptions {
    /// The zone times are shown in.
    pub time_zone: TimeZone,
    /// Whether to use ANSI colors (terminal format only); see
    /// [`ColorChoice::for_stdout`].
    pub color: bool,
    /// Keep only timeline entries near a time.
    pub zoom: Option<Zoom>,
    /// Terminal width for the table; `None` uses the terminal's, or 100.
    pub width: Option<u16>,
    /// Terminal: list every finding after the summary. Markdown: add the
    /// per-finding appendix. (Small inputs always show them on the terminal.)
    pub findings: bool,
    /// Terminal: show the timeline after the summary (always for small inputs).
    pub timeline: bool,
    /// Terminal, Markdown, HTML: list every alert rule of the alert summary,
    /// informational ones too (folded into a count otherwise).
    pub alerts: bool,
}

/// Which part of a report to write: the whole of it, or one view of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    /// The whole report (`dropcause analyze`).
    #[default]
    Whole,
    /// The terminal timeline alone (`dropcause timeline`); other formats write
    /// the whole report.
    Timeline,
    /// The outlook alone (`dropcause outlook`): every item of every host on the
    /// terminal, with how it was read, its fix and evidence; in JSON the
    /// `analysis.outlook` array, in JSONL one tagged line per host. Other
    /// formats hold the outlook as a section of the whole report.
    Outlook,
}

/// Writes `part` of `report` in `format` to `out` ([`render`] for the whole).
pub fn render_part(
    report: &Report,
    part: Part,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match (part, format) {
        (Part::Timeline, Format::Table) => {
            timeline::render(report, opts, out)?;
            timeline::inputs_line(report, opts, out)
        }
        (Part::Outlook, Format::Table) => {
            brief::render_outlook(report, opts, out)?;
            timeline::inputs_line(report, opts, out)
        }
        (Part::Outlook, Format::Json) => {
            serde_json::to_writer_pretty(&mut *out, &report.analysis.outlook)?;
            out.write_all(b"\n")
        }
        (Part::Outlook, Format::Jsonl) => json::render_outlook_lines(report, out),
        _ => render(report, format, opts, out),
    }
}

/// Writes `report` in `format` to `out`.
pub fn render(
    report: &Report,
    format: Format,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => {
            brief::render(report, opts, out)?;
            let small = brief::is_small(report);
            if opts.findings || small {
                table::render(report, opts, out)?;
            }
            if opts.timeline || small {
                timeline::render(report, opts, out)?;
            }
            timeline::inputs_line(report, opts, out)
        }
        Format::Json => json::render_document(report, out),
        Format::Jsonl => json::render_lines(report, out),
        Format::Csv => csv::render(report, opts, out),
        Format::Timesketch => json::render_timesketch(report, out),
        Format::Md => markdown::render(report, opts, out),
        Format::Html => html::render(report, opts, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn formats_round_trip_and_follow_extensions() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!(
            Format::from_extension(Path::new("out/r.HTML")),
            Some(Format::Html)
        );
        assert_eq!(Format::from_extension(Path::new("r.md")), Some(Format::Md));
        assert_eq!(
            Format::from_extension(Path::new("r.json")),
            Some(Format::Json)
        );
        assert_eq!(Format::from_extension(Path::new("r.pdf")), None);
        assert_eq!(Format::from_extension(Path::new("report")), None);
    }

    #[test]
    fn a_part_is_its_own_view_only_where_the_format_has_one() {
        let opts = RenderOptions::default();
        let report = Report::new(
            Analysis::default(),
            Vec::new(),
            crate::Diagnostics::default(),
            0,
            &opts,
        );
        let write = |part, format| {
            let mut out = Vec::new();
            render_part(&report, part, format, &opts, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let whole = |format| {
            let mut out = Vec::new();
            render(&report, format, &opts, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(write(Part::Outlook, Format::Json), "[]\n");
        assert_eq!(write(Part::Outlook, Format::Md), whole(Format::Md));
        assert_eq!(write(Part::Timeline, Format::Json), whole(Format::Json));
        assert_eq!(write(Part::Whole, Format::Table), whole(Format::Table));
        assert_ne!(write(Part::Timeline, Format::Table), whole(Format::Table));
    }

    #[test]
    fn color_auto_needs_a_terminal_and_no_no_color() {
        assert!(ColorChoice::Auto.decide(true, false));
        assert!(!ColorChoice::Auto.decide(true, true));
        assert!(!ColorChoice::Auto.decide(false, false));
        assert!(ColorChoice::Always.decide(false, true));
        assert!(!ColorChoice::Never.decide(true, false));
    }
}
