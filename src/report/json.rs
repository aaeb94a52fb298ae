//! `--format json` (the [`Report`] as one document), `jsonl` (a header line,
//! then one line per timeline event, per finding, per host's outlook and per alert
//! rule, each with a `type`) and
//! `timesketch` (JSONL for Timesketch's importer). Times are UTC in all three;
//! `options.time_zone` records the display zone. Shape: `docs/report.schema.json`.

use super::Report;
use super::rows::rows;
use super::wire::{AlertLine, EventLine, FindingLine, HeaderLine, OutlookLine, TimesketchLine};
use serde::Serialize;
use std::io::{self, Write};

/// The whole report, pretty-printed.
pub(crate) fn render_document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}

/// A header line, the timeline's events, the findings, the outlook, the alerts.
pub(crate) fn render_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    line(out, &HeaderLine::new(report))?;
    for row in &rows(report) {
        line(out, &EventLine::new(row))?;
    }
    for finding in &report.analysis.findings {
        line(out, &FindingLine::new(finding))?;
    }
    render_outlook_lines(report, out)?;
    for alert in &report.analysis.alerts {
        line(out, &AlertLine::new(alert))?;
    }
    Ok(())
}

/// One line per host's outlook.
pub(crate) fn render_outlook_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for host in &report.analysis.outlook {
        line(out, &OutlookLine::new(host))?;
    }
    Ok(())
}

/// One Timesketch event per timeline row.
pub(crate) fn render_timesketch(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for row in &rows(report) {
        line(out, &TimesketchLine::new(row))?;
    }
    Ok(())
}

fn line(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}
