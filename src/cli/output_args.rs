//! The output flags every reporting subcommand shares (`analyze`, `timeline`),
//! as a clap `Args` group to `#[command(flatten)]`, and their conversion into
//! the library's [`RenderOptions`] (the only place these flags are validated).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use dropcause::report::{ColorChoice, Format, RenderOptions, TimeZone, Zoom};
use dropcause::rules::extension::duration_text;
use std::path::PathBuf;

/// Output flags.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format on stdout.
    #[arg(long, short = 'f', value_name = "FORMAT", default_value = "table",
          value_parser = PossibleValuesParser::new(Format::ALL.map(Format::as_str)).try_map(|s| s.parse::<Format>()))]
    pub format: Format,

    /// Also write a report file; its format follows the extension (.md, .html, .json, .jsonl, .csv, .timesketch, .txt).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Time zone for displayed times: UTC, local, an offset like +02:00, or an IANA name like Europe/Berlin.
    #[arg(long, value_name = "ZONE", default_value = "UTC", value_parser = |s: &str| s.parse::<TimeZone>())]
    pub tz: TimeZone,

    /// When to color terminal output (auto: stdout is a terminal and NO_COLOR is unset).
    #[arg(long, value_name = "WHEN", default_value = "auto",
          value_parser = PossibleValuesParser::new(["auto", "always", "never"]).map(|s| color_choice(&s)))]
    pub color: ColorChoice,

    /// Show only the timeline around this time (RFC 3339, or `2024-05-14 09:41:07` in --tz).
    #[arg(long, value_name = "TIME")]
    pub around: Option<String>,

    /// How far before and after --around to show (90s, 10m, 2h).
    #[arg(long, value_name = "DURATION", default_value = "10m", requires = "around",
          value_parser = |s: &str| duration_text::parse(s))]
    pub window: std::time::Duration,

    /// Terminal: list every finding after the summary; Markdown: add the per-finding appendix.
    #[arg(long)]
    pub findings: bool,

    /// Terminal: show the timeline after the summary.
    #[arg(long)]
    pub timeline: bool,

    /// Terminal, Markdown, HTML: list every alert rule, informational ones included
    /// (they are folded into a count otherwise).
    #[arg(long)]
    pub alerts: bool,

    /// No progress display.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// The terminal's width: `COLUMNS` when set, else the terminal's own when
/// stdout is one, else `None` (the library's default).
fn terminal_width() -> Option<u16> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|w| *w >= 20);
    columns.or_else(|| terminal_size::terminal_size().map(|(w, _)| w.0))
}

/// Output flags that parse but do not make sense together.
#[derive(Debug, thiserror::Error)]
pub enum OutputArgsError {
    /// `--around` could not be read.
    #[error("--around: {0}")]
    Around(#[from] dropcause::report::BadTime),
    /// `--report` has an extension that names no format.
    #[error("--report {}: cannot tell the format from the extension (use .md, .html, .json, .jsonl, .csv, .timesketch or .txt)", .0.display())]
    ReportExtension(PathBuf),
}

fn color_choice(s: &str) -> ColorChoice {
    match s {
        "always" => ColorChoice::Always,
        "never" => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

impl OutputArgs {
    /// Options for what goes to stdout (colors decided against stdout).
    pub fn stdout_options(&self) -> Result<RenderOptions, OutputArgsError> {
        Ok(RenderOptions {
            time_zone: self.tz,
            color: self.format == Format::Table && self.color.for_stdout(),
            zoom: self.zoom()?,
            width: terminal_width(),
            findings: self.findings,
            timeline: self.timeline,
            alerts: self.alerts,
        })
    }

    /// The report file to write, its format and options (never colored), if
    /// `--report` was given.
    pub fn report_file(&self) -> Result<Option<(PathBuf, Format, RenderOptions)>, OutputArgsError> {
        let Some(path) = &self.report else {
            return Ok(None);
        };
        let format = Format::from_extension(path)
            .ok_or_else(|| OutputArgsError::ReportExtension(path.clone()))?;
        let opts = RenderOptions {
            time_zone: self.tz,
            color: false,
            zoom: self.zoom()?,
            width: Some(120),
            findings: self.findings,
            timeline: self.timeline,
            alerts: self.alerts,
        };
        Ok(Some((path.clone(), format, opts)))
    }

    fn zoom(&self) -> Result<Option<Zoom>, OutputArgsError> {
        let Some(around) = &self.around else {
            return Ok(None);
        };
        Ok(Some(Zoom {
            around: self.tz.parse_time(around)?,
            window: self.window,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::time::Duration;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        output: OutputArgs,
    }

    fn parse(args: &[&str]) -> Result<OutputArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("dropcause").chain(args.iter().copied()))
            .map(|c| c.output)
    }

    #[test]
    fn defaults_are_table_utc_no_zoom() {
        let args = parse(&[]).expect("no flags");
        assert_eq!(args.format, Format::Table);
        let opts = args.stdout_options().expect("valid");
        assert_eq!(opts.time_zone, TimeZone::Utc);
        assert_eq!(opts.zoom, None);
        assert!(args.report_file().expect("valid").is_none());
    }

    #[test]
    fn flags_convert_to_options() {
        let args = parse(&[
            "--format",
            "csv",
            "--tz",
            "+02:00",
            "--color",
            "always",
            "--around",
            "2024-05-14 11:41:00",
            "--window",
            "90s",
            "--report",
            "out/r.html",
        ])
        .expect("valid flags");
        let opts = args.stdout_options().expect("valid");
        assert!(!opts.color, "colors only for the table");
        let zoom = opts.zoom.expect("zoom");
        assert_eq!(zoom.around.to_rfc3339(), "2024-05-14T09:41:00+00:00");
        assert_eq!(zoom.window, Duration::from_secs(90));
        let (path, format, file_opts) = args.report_file().expect("valid").expect("report");
        assert_eq!(
            (path.to_str(), format, file_opts.color),
            (Some("out/r.html"), Format::Html, false)
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        assert!(parse(&["--format", "xml"]).is_err());
        assert!(parse(&["--tz", "Mars/Olympus"]).is_err());
        assert!(
            parse(&["--window", "5m"]).is_err(),
            "--window needs --around"
        );
        assert!(parse(&["--around", "x", "--window", "5 minutes"]).is_err());
        let late = parse(&["--around", "yesterday"]).expect("parses; read later");
        assert!(
            late.stdout_options()
                .unwrap_err()
                .to_string()
                .contains("--around")
        );
        let ext = parse(&["--report", "r.pdf"]).expect("parses");
        assert!(ext.report_file().unwrap_err().to_string().contains("r.pdf"));
    }
}
