//! `dropcause events`: the normalized events of .evtx files, filtered.

use super::input_args::{InputArgs, report_reading};
use super::{EXIT_BAD_INPUT, EXIT_OK};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use dropcause::event::{Event, EventFilter};
use dropcause::ingest;
use dropcause::report::escape::{clip, terminal};
use std::collections::BinaryHeap;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

pub const EXAMPLES: &str = "Examples:
  dropcause events ./logs
  dropcause events System.evtx --event-id 7031,7034,7036 --format jsonl
  dropcause events ./logs --channel Security --event-id 4624 --from 2024-03-01 --to 2024-03-02T12:00:00Z
  dropcause events ./logs --provider Schannel --computer RDS01";

/// How `events` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventsFormat {
    /// A table, sorted by time.
    Table,
    /// One JSON object per line, streamed as files are read.
    Jsonl,
}

/// Arguments of `dropcause events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Only events of this channel (repeat or comma-separate for several).
    #[arg(long, value_delimiter = ',')]
    channel: Vec<String>,
    /// Only events of this provider (name or classic event source).
    #[arg(long, value_delimiter = ',')]
    provider: Vec<String>,
    /// Only these event ids, e.g. 21,24,40.
    #[arg(long, value_delimiter = ',')]
    event_id: Vec<u16>,
    /// Only events of this computer.
    #[arg(long, value_delimiter = ',')]
    computer: Vec<String>,
    /// Only events at or after this time (RFC 3339, or a date meaning its midnight UTC).
    #[arg(long, value_parser = parse_time)]
    from: Option<DateTime<Utc>>,
    /// Only events at or before this time (RFC 3339, or a date meaning the end of that day UTC).
    #[arg(long, value_parser = parse_time_end)]
    to: Option<DateTime<Utc>>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EventsFormat::Table)]
    format: EventsFormat,
    /// The table shows the earliest N events (0: as many as a table holds,
    /// 20000); JSON Lines streams every event.
    #[arg(long, value_name = "N", default_value_t = 5000,
          value_parser = clap::value_parser!(u32).range(0..=MAX_TABLE_ROWS as i64))]
    limit: u32,
}

/// The most events a table holds: a table is sorted and laid out at the end, so
/// its rows stay in memory; past this many, `--format jsonl` streams them.
const MAX_TABLE_ROWS: u32 = 20_000;

/// An event in the table's heap, ordered by when it happened.
struct Row(Event);

impl Row {
    fn key(&self) -> (chrono::DateTime<Utc>, &std::path::Path, u64) {
        (self.0.time, &self.0.source, self.0.record_id)
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Row {}

impl PartialOrd for Row {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Row {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

pub fn run(args: EventsArgs) -> anyhow::Result<ExitCode> {
    let filter = EventFilter {
        channels: args.channel,
        providers: args.provider,
        event_ids: args.event_id,
        computers: args.computer,
        from: args.from,
        to: args.to,
    };
    args.input.limit_threads();
    let found = args.input.discover()?;
    let options = args.input.options();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // The earliest `limit` events: a max-heap that gives up its latest one when full.
    let mut rows: BinaryHeap<Row> = BinaryHeap::new();
    let mut matched = 0usize;
    let limit = if args.limit == 0 {
        MAX_TABLE_ROWS
    } else {
        args.limit
    } as usize;
    let mut failure: Option<std::io::Error> = None;
    let keep = |e: Event| filter.accepts(&e).then_some(e);
    let report = ingest::read_all(&found.sources, &options, keep, |batch| match args.format {
        EventsFormat::Table => {
            for event in batch {
                matched += 1;
                rows.push(Row(event));
                if rows.len() > limit {
                    rows.pop();
                }
            }
        }
        EventsFormat::Jsonl if failure.is_none() => {
            for event in batch {
                if let Err(e) = serde_json::to_writer(&mut out, &event)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                {
                    failure = Some(e);
                    break;
                }
            }
        }
        EventsFormat::Jsonl => {}
    });
    if let Some(err) = failure {
        return Err(err).context("writing events");
    }
    if args.format == EventsFormat::Table {
        let rows: Vec<Event> = rows.into_sorted_vec().into_iter().map(|r| r.0).collect();
        writeln!(out, "{}", table(&rows))?;
        if matched > rows.len() {
            writeln!(
                out,
                "the earliest {} of {matched} events; narrow with --from/--to/--event-id, \
                 raise --limit (at most {MAX_TABLE_ROWS}, or 0), or stream them all with \
                 --format jsonl",
                rows.len()
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(if report_reading(&report, &found) {
        EXIT_BAD_INPUT
    } else {
        EXIT_OK
    }))
}

fn table(events: &[Event]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "time (UTC)",
            "computer",
            "channel",
            "provider",
            "id",
            "record",
            "data",
        ]);
    if table.width().is_none() {
        // Without a terminal to measure, wrap as a wide terminal would.
        table.set_width(160);
    }
    for e in events {
        let data: Vec<String> = e
            .fields
            .iter()
            .map(|(k, v)| format!("{k}={}", clip(v.as_text(), 60)))
            .collect();
        table.add_row([
            e.time.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
            terminal(&e.computer).into_owned(),
            terminal(&e.channel).into_owned(),
            terminal(&e.provider).into_owned(),
            e.event_id.to_string(),
            e.record_id.to_string(),
            terminal(&data.join(" ")).into_owned(),
        ]);
    }
    table
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time_bound(text, false)
}

fn parse_time_end(text: &str) -> Result<DateTime<Utc>, String> {
    parse_time_bound(text, true)
}

/// RFC 3339, or a bare date meaning the start (or, for an upper bound, the end) of that day in UTC.
fn parse_time_bound(text: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("`{text}` is neither an RFC 3339 time nor a YYYY-MM-DD date"))?;
    let time = if end_of_day {
        date.and_hms_nano_opt(23, 59, 59, 999_999_999)
    } else {
        date.and_hms_opt(0, 0, 0)
    };
    time.map(|t| t.and_utc())
        .ok_or_else(|| format!("`{text}`: invalid date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_bound_whole_days_and_rfc3339_is_exact() {
        assert_eq!(
            parse_time("2024-03-01").unwrap().to_rfc3339(),
            "2024-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time_end("2024-03-01").unwrap().to_rfc3339(),
            "2024-03-01T23:59:59.999999999+00:00"
        );
        assert_eq!(
            parse_time("2024-03-01T10:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2024-03-01T08:00:00+00:00"
        );
        assert!(parse_time("yesterday").is_err());
    }
}
