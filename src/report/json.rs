//! `--format json` (the [`Report`] as one document), `jsonl` (a header line,
//! then one line per timeline event, per finding, per host's outlook and per alert
//! rule, each with a `type`) and
//! `timesketch` (JSONL for Timesketch's importer). Times are UTC in all three;
//! `options.time_zone` records the display zone. Shape: `docs/report.schema.json`.

use super::Report;
use super::ordered::write_each;
use super::rows::rows;
use super::wire::{AlertLine, EventLine, FindingLine, HeaderLine, OutlookLine, TimesketchLine};
use serde::Serialize;
use std::io::{self, Write};

/// Buffer size in front of `dyn Write`: serde_json writes a token at a time,
/// and through a trait object each of those is a call that cannot be inlined
/// (12% of a 200 MB report's time went to them).
const BUFFER: usize = 1 << 16;

/// The whole report, pretty-printed (its long arrays serialized on the worker threads).
pub(crate) fn render_document(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(BUFFER, out);
    super::pretty::write_report(report, &mut out)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// A header line, the timeline's events, the findings, the outlook, the alerts.
pub(crate) fn render_lines(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let out = &mut io::BufWriter::with_capacity(BUFFER, out);
    line(out, &HeaderLine::new(report))?;
    write_each(out, &rows(report), |_, row, text| {
        line(text, &EventLine::new(row))
    })?;
    write_each(out, &report.analysis.findings, |_, finding, text| {
        line(text, &FindingLine::new(finding))
    })?;
    render_outlook_lines(report, out)?;
    for alert in &report.analysis.alerts {
        line(out, &AlertLine::new(alert))?;
    }
    out.flush()
}

/// One line per host's outlook.
pub(crate) fn render_outlook_lines(
    report: &Report,
    out: &mut (impl Write + ?Sized),
) -> io::Result<()> {
    for host in &report.analysis.outlook {
        line(out, &OutlookLine::new(host))?;
    }
    Ok(())
}

/// One Timesketch event per timeline row.
pub(crate) fn render_timesketch(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(BUFFER, out);
    write_each(&mut out, &rows(report), |_, row, text| {
        line(text, &TimesketchLine::new(row))
    })?;
    out.flush()
}

fn line(out: &mut (impl Write + ?Sized), value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}
