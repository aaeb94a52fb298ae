//! Serde types for the line-oriented wire formats (JSONL, Timesketch). The JSON
//! document is the [`super::Report`] itself; these flatten a timeline row.

use super::rows::{Row, id, kind_name};
use super::{GenerationOptions, Report, Tool};
use crate::correlate::model::{AlertSummary, Finding, HostOutlook};
use crate::diag::Diagnostics;
use crate::ingest::FileStats;
use crate::vocab::{Category, Level};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// The fields of a timeline row, shared by JSONL and Timesketch lines.
#[derive(Serialize)]
pub(crate) struct RowFields<'a> {
    host: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<Category>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<Level>,
    rule_id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_address: Option<&'a str>,
    /// `S8`: the report's session number (not Windows' session id).
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    /// `F1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    finding: Option<String>,
    /// `I2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    incident: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<&'a str>,
    channel: &'a str,
    provider: &'a str,
    event_id: u16,
    record_id: u64,
    source_file: &'a str,
}

impl<'a> RowFields<'a> {
    pub(crate) fn new(row: &'a Row<'a>) -> Self {
        RowFields {
            host: row.host,
            kind: kind_name(row.kind),
            category: row.category,
            level: row.level,
            rule_id: row.rule,
            title: row.title,
            user: row.user,
            client_address: row.client,
            session: id('S', row.session),
            finding: id('F', row.finding),
            incident: id('I', row.incident),
            confidence: row.confidence,
            fix: row.fix,
            channel: row.channel,
            provider: row.provider,
            event_id: row.event_id,
            record_id: row.record_id,
            source_file: &row.source,
        }
    }
}

/// The first JSONL line: what the report is and what was read.
#[derive(Serialize)]
pub(crate) struct HeaderLine<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    schema_version: u32,
    tool: &'a Tool,
    options: &'a GenerationOptions,
    rules_loaded: usize,
    inputs: &'a [FileStats],
    diagnostics: &'a Diagnostics,
}

impl<'a> HeaderLine<'a> {
    pub(crate) fn new(report: &'a Report) -> Self {
        HeaderLine {
            tag: "report",
            schema_version: report.schema_version,
            tool: &report.tool,
            options: &report.options,
            rules_loaded: report.rules_loaded,
            inputs: &report.inputs,
            diagnostics: &report.diagnostics,
        }
    }
}

/// A JSONL timeline line.
#[derive(Serialize)]
pub(crate) struct EventLine<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    time: DateTime<Utc>,
    message: &'a str,
    #[serde(flatten)]
    fields: RowFields<'a>,
}

impl<'a> EventLine<'a> {
    pub(crate) fn new(row: &'a Row<'a>) -> Self {
        EventLine {
            tag: "event",
            time: row.time,
            message: row.message,
            fields: RowFields::new(row),
        }
    }
}

/// A JSONL finding line: the finding as in the JSON document, tagged.
#[derive(Serialize)]
pub(crate) struct FindingLine<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    #[serde(flatten)]
    finding: &'a Finding,
}

impl<'a> FindingLine<'a> {
    pub(crate) fn new(finding: &'a Finding) -> Self {
        FindingLine {
            tag: "finding",
            finding,
        }
    }
}

/// A JSONL outlook line: one host's outlook as in the JSON document, tagged.
#[derive(Serialize)]
pub(crate) struct OutlookLine<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    #[serde(flatten)]
    outlook: &'a HostOutlook,
}

impl<'a> OutlookLine<'a> {
    pub(crate) fn new(outlook: &'a HostOutlook) -> Self {
        OutlookLine {
            tag: "outlook",
            outlook,
        }
    }
}

/// A JSONL alert line: one context alert rule's summary as in the JSON document,
/// tagged.
#[derive(Serialize)]
pub(crate) struct AlertLine<'a> {
    #[serde(rename = "type")]
    tag: &'static str,
    #[serde(flatten)]
    alert: &'a AlertSummary,
}

impl<'a> AlertLine<'a> {
    pub(crate) fn new(alert: &'a AlertSummary) -> Self {
        AlertLine {
            tag: "alert",
            alert,
        }
    }
}

/// A Timesketch line: `message`, `datetime` and `timestamp_desc` are required
/// by its JSONL importer; `timestamp` (microseconds) spares it parsing.
#[derive(Serialize)]
pub(crate) struct TimesketchLine<'a> {
    message: String,
    datetime: String,
    timestamp: i64,
    timestamp_desc: &'static str,
    #[serde(flatten)]
    fields: RowFields<'a>,
}

impl<'a> TimesketchLine<'a> {
    pub(crate) fn new(row: &'a Row<'a>) -> Self {
        let prefix = super::rows::label(row);
        TimesketchLine {
            message: format!("[{prefix}] {}: {}", row.title, row.message),
            datetime: row.time.to_rfc3339_opts(SecondsFormat::Micros, true),
            timestamp: row.time.timestamp_micros(),
            timestamp_desc: "Event Logged",
            fields: RowFields::new(row),
        }
    }
}
