//! The account of what was read from each file, and what was lost.

use super::binxml::{Tally, Unrendered};
use super::fingerprint::Fingerprint;
use crate::event::Event;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::PathBuf;

/// The account of one file: what was read and what was lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileStats {
    /// The file.
    #[serde(serialize_with = "crate::diag::serialize_path")]
    pub path: PathBuf,
    /// Records read and normalized (including recovered ones).
    pub records_read: u64,
    /// Of those, records carved from chunk slack or cleared chunks.
    pub records_recovered: u64,
    /// Records that could not be read, rendered or normalized.
    pub records_unreadable: u64,
    /// Records that chunk or file headers name but that could not be found
    /// at all (a lowered free-space offset, a record size running over its
    /// successors, a file cut at a chunk boundary): not in `records_unreadable`,
    /// as there was nothing to read.
    pub records_lost: u64,
    /// Chunks that could not be read at all (their records are lost uncounted).
    pub chunks_skipped: u64,
    /// Chunks whose CRC32 does not match their content (damaged, or changed
    /// after they were written); their records are read anyway.
    pub chunks_bad_checksum: u64,
    /// Records read from a chunk cut short at the end of a truncated file
    /// (the `evtx` crate's own iteration ignores such a chunk).
    pub records_in_truncated_chunk: u64,
    /// Values, names and header texts of kept events cut short, and data
    /// fields dropped, for going past the bounds of [`crate::event::VALUE_MAX`]
    /// and its neighbours.
    pub values_cut: u64,
    /// Chunks cut short by the end of the file (0 or 1): the records in the
    /// part that is there are read, the rest are lost.
    pub chunks_truncated: u64,
    /// How many problems (in the report's diagnostics, under this path) were
    /// found in the file: the reasons behind the counts above.
    pub problems: u64,
    /// Records of this file already read from another file (a copy, a backup
    /// of a live log, the same folder given twice), not counted twice: all of
    /// its records when the whole file duplicates an earlier one
    /// ([`FileStats::duplicate_of`]), else the matched events dropped because
    /// an earlier file held the same record (same computer, channel, record
    /// id and time).
    pub duplicate_records: u64,
    /// Set when every record of this file is one of the file named here (given earlier).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::diag::serialize_opt_path"
    )]
    pub duplicate_of: Option<PathBuf>,
    /// Per computer and channel: how many records, first and last event time.
    /// Tells which logs were given for which host, and what time they cover.
    pub spans: Vec<ChannelSpan>,
    /// Set when the file could not be opened or read as a log at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// The lowest and highest record id per computer and channel: with the
    /// spans, what tells a file that holds the same records as another.
    #[serde(skip)]
    pub fingerprint: Fingerprint,
}

impl FileStats {
    /// Adds the counts of one chunk of the same file.
    pub(crate) fn absorb(&mut self, chunk: FileStats) {
        self.records_read += chunk.records_read;
        self.records_recovered += chunk.records_recovered;
        self.records_unreadable += chunk.records_unreadable;
        self.chunks_skipped += chunk.chunks_skipped;
        self.chunks_bad_checksum += chunk.chunks_bad_checksum;
        self.records_in_truncated_chunk += chunk.records_in_truncated_chunk;
        self.chunks_truncated += chunk.chunks_truncated;
        self.values_cut += chunk.values_cut;
        self.records_lost += chunk.records_lost;
        self.problems += chunk.problems;
        self.duplicate_records += chunk.duplicate_records;
        self.fingerprint.merge(chunk.fingerprint);
        for span in chunk.spans {
            ChannelSpan::merge(&mut self.spans, span);
        }
        if chunk.failed.is_some() {
            self.failed = chunk.failed;
        }
        if chunk.duplicate_of.is_some() {
            self.duplicate_of = chunk.duplicate_of;
        }
    }

    /// Counts one record read.
    pub(crate) fn count(&mut self, event: &Event) {
        self.records_read += 1;
        self.records_recovered += u64::from(event.recovered);
        self.fingerprint
            .add(&event.computer, &event.channel, event.record_id);
        ChannelSpan::add_record(
            &mut self.spans,
            event.time,
            |s| *s.channel == *event.channel && *s.computer == *event.computer,
            || (event.computer.to_string(), event.channel.to_string()),
        );
    }
}

/// The records of one channel of one computer in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelSpan {
    /// `System/Computer`.
    pub computer: String,
    /// `System/Channel`.
    pub channel: String,
    /// How many records.
    pub records: u64,
    /// The earliest event time.
    pub first: DateTime<Utc>,
    /// The latest event time.
    pub last: DateTime<Utc>,
}

impl ChannelSpan {
    /// Counts one record at `time` in the span `same` finds, or in a new span
    /// of the `(computer, channel)` that `name` gives.
    fn add_record(
        spans: &mut Vec<ChannelSpan>,
        time: DateTime<Utc>,
        same: impl Fn(&ChannelSpan) -> bool,
        name: impl FnOnce() -> (String, String),
    ) {
        let (computer, channel) = match spans.iter_mut().find(|s| same(s)) {
            Some(known) => {
                known.records += 1;
                known.first = known.first.min(time);
                known.last = known.last.max(time);
                return;
            }
            None => name(),
        };
        spans.push(ChannelSpan {
            computer,
            channel,
            records: 1,
            first: time,
            last: time,
        });
    }

    /// Adds `span` to the list, joining it with the span of the same channel
    /// and computer. Files hold one channel of one computer, or a few
    /// (forwarded events), so a linear search is the fast one.
    fn merge(spans: &mut Vec<ChannelSpan>, span: ChannelSpan) {
        match spans
            .iter_mut()
            .find(|s| s.channel == span.channel && s.computer == span.computer)
        {
            Some(known) => {
                known.records += span.records;
                known.first = known.first.min(span.first);
                known.last = known.last.max(span.last);
            }
            None => spans.push(span),
        }
    }
}

impl Tally for FileStats {
    fn count_unrendered(&mut self, record: Unrendered<'_>) {
        let Unrendered {
            computer,
            channel,
            time,
            record_id,
        } = record;
        self.records_read += 1;
        self.fingerprint.add_with(
            |c, ch| computer == c && channel == ch,
            || (computer.to_string(), channel.to_string()),
            record_id,
        );
        ChannelSpan::add_record(
            &mut self.spans,
            time,
            |s| *channel == *s.channel && *computer == *s.computer,
            || (computer.to_string(), channel.to_string()),
        );
    }
}
