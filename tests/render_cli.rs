//! The shared output flags parse and convert into render options.

use clap::Parser;
use dropcause::cli::output_args::OutputArgs;
use dropcause::report::{Format, TimeZone};
use std::time::Duration;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    output: OutputArgs,
}

fn parse(args: &[&str]) -> Result<OutputArgs, clap::Error> {
    Cli::try_parse_from(std::iter::once("dropcause").chain(args.iter().copied())).map(|c| c.output)
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
