//! `--format csv`: one row per timeline entry, with the columns Timeline
//! Explorer and spreadsheets take. Every cell passes the formula guard
//! ([`super::escape::csv_cell`]); quoting is the `csv` crate's. Times are RFC 3339 in
//! the chosen zone; session and finding numbers are 1-based, as in the reports.

use super::escape;
use super::rows::{Row, kind_name, rows};
use super::{RenderOptions, Report};
use std::io::{self, Write};

/// The header row.
const COLUMNS: [&str; 16] = [
    "time",
    "host",
    "kind",
    "category",
    "rule",
    "title",
    "message",
    "user",
    "client",
    "session",
    "finding",
    "channel",
    "provider",
    "event_id",
    "record_id",
    "source_file",
];

pub(crate) fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    for row in &rows(report) {
        let cells = cells(row, opts);
        writer.write_record(cells.iter().map(|c| escape::csv_cell(c).into_owned()))?;
    }
    writer.flush()
}

fn cells(row: &Row<'_>, opts: &RenderOptions) -> [String; COLUMNS.len()] {
    let number = |n: Option<usize>| n.map(|n| (n + 1).to_string()).unwrap_or_default();
    [
        opts.time_zone.format(row.time),
        row.host.to_string(),
        kind_name(row.kind).to_string(),
        row.category
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        row.rule.to_string(),
        row.title.to_string(),
        row.message.to_string(),
        row.user.unwrap_or_default().to_string(),
        row.client.unwrap_or_default().to_string(),
        number(row.session),
        number(row.finding),
        row.channel.to_string(),
        row.provider.to_string(),
        row.event_id.to_string(),
        row.record_id.to_string(),
        row.source.clone(),
    ]
}
