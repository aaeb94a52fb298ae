//! `--format csv`: one row per timeline entry, with the columns Timeline
//! Explorer and spreadsheets take. Every cell passes the formula guard
//! ([`super::escape::csv_cell`]); quoting is the `csv` crate's. Times are RFC 3339 in
//! the chosen zone; sessions, findings and incidents are numbered `S8`, `F1`,
//! `I2`, as in every report (`session` is ours, not Windows' session id).

use super::escape;
use super::ordered::write_runs;
use super::rows::{Row, id, kind_name, rows};
use super::{RenderOptions, Report};
use std::io::{self, Write};

/// The header row.
const COLUMNS: [&str; 20] = [
    "time",
    "host",
    "kind",
    "category",
    "level",
    "rule",
    "title",
    "message",
    "user",
    "client",
    "session",
    "finding",
    "incident",
    "confidence",
    "fix",
    "channel",
    "provider",
    "event_id",
    "record_id",
    "source_file",
];

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut header = writer(&mut out);
    header.write_record(COLUMNS)?;
    header.flush()?;
    drop(header);
    // The rows are written on the worker threads, each by a writer of its own: a
    // record's quoting depends on nothing but its cells.
    write_runs(&mut out, &rows(report), |_, run, text| {
        let mut writer = writer(text);
        for row in run {
            let cells = cells(row, opts);
            writer.write_record(cells.iter().map(|c| escape::csv_cell(c).into_owned()))?;
        }
        writer.flush()
    })?;
    out.flush()
}

/// A writer that quotes where needed.
fn writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out)
}

fn cells(row: &Row<'_>, opts: &RenderOptions) -> [String; COLUMNS.len()] {
    [
        opts.time_zone.format(row.time),
        row.host.to_string(),
        kind_name(row.kind).to_string(),
        row.category
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        row.level
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        row.rule.to_string(),
        row.title.to_string(),
        row.message.to_string(),
        row.user.unwrap_or_default().to_string(),
        row.client.unwrap_or_default().to_string(),
        id('S', row.session).unwrap_or_default(),
        id('F', row.finding).unwrap_or_default(),
        id('I', row.incident).unwrap_or_default(),
        row.confidence.unwrap_or_default().to_string(),
        row.fix.unwrap_or_default().to_string(),
        row.channel.to_string(),
        row.provider.to_string(),
        row.event_id.to_string(),
        row.record_id.to_string(),
        row.source.clone(),
    ]
}
