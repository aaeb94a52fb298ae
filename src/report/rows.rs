//! The flat timeline row every line-oriented format shares (terminal timeline,
//! CSV, JSONL, Timesketch, the Markdown/HTML tables and the SVG): one per
//! [`TimelineEntry`], with the session's user and client filled in. Values are
//! raw here; renderers escape them through [`super::escape`].

use super::Report;
use crate::correlate::model::{Confidence, Ending, TimelineEntry, TimelineKind};
use crate::vocab::{Category, Level};
use chrono::{DateTime, Utc};

/// One timeline line, flattened.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub time: DateTime<Utc>,
    pub host: &'a str,
    pub kind: TimelineKind,
    pub category: Option<Category>,
    /// The rule's level, on context alert rows.
    pub level: Option<Level>,
    pub rule: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub user: Option<&'a str>,
    pub client: Option<&'a str>,
    /// Index of the session in the analysis.
    pub session: Option<usize>,
    /// Index of the finding (drop) it is or belongs to.
    pub finding: Option<usize>,
    /// Index of that finding's incident.
    pub incident: Option<usize>,
    /// That finding's confidence (`high`, `medium`, `low`), on its drop row.
    pub confidence: Option<&'static str>,
    /// That finding's fix, on its drop row.
    pub fix: Option<&'a str>,
    pub channel: &'a str,
    pub provider: &'a str,
    pub event_id: u16,
    pub record_id: u64,
    pub source: String,
}

/// The timeline's rows, in the analysis's (time) order.
pub(crate) fn rows(report: &Report) -> Vec<Row<'_>> {
    report
        .analysis
        .timeline
        .iter()
        .map(|e| row(report, e))
        .collect()
}

fn row<'a>(report: &'a Report, e: &'a TimelineEntry) -> Row<'a> {
    let analysis = &report.analysis;
    let session = e.session.and_then(|i| analysis.sessions.get(i));
    let finding = e.finding.and_then(|i| analysis.findings.get(i));
    let drop = finding.map(|f| &f.dropped);
    let on_drop = finding.filter(|_| e.kind == TimelineKind::Drop);
    let user = session
        .and_then(|s| s.user.as_deref())
        .or_else(|| drop.and_then(|d| d.user.as_deref()));
    let client = session
        .and_then(|s| s.client_address.as_deref())
        .or_else(|| drop.and_then(|d| d.client_address.as_deref()));
    Row {
        time: e.time,
        host: &e.host,
        kind: e.kind,
        category: e.category,
        level: e.level,
        rule: &e.rule_id,
        title: &e.title,
        message: &e.message,
        user,
        client,
        session: e.session,
        finding: e.finding,
        incident: finding.map(|f| f.incident),
        confidence: on_drop.map(|f| confidence_name(f.verdict.confidence)),
        fix: on_drop.and_then(|f| f.verdict.fix.as_deref()),
        channel: e.event.channel(),
        provider: e.event.provider(),
        event_id: e.event.event_id,
        record_id: e.event.record_id,
        source: e.event.source().display().to_string(),
    }
}

/// Hosts in first-seen order, with the rows of each.
pub(crate) fn by_host<'r, 'a>(rows: &'r [Row<'a>]) -> Vec<(&'a str, Vec<&'r Row<'a>>)> {
    let mut hosts: Vec<(&'a str, Vec<&'r Row<'a>>)> = Vec::new();
    for row in rows {
        match hosts.iter_mut().find(|(h, _)| *h == row.host) {
            Some((_, list)) => list.push(row),
            None => hosts.push((row.host, vec![row])),
        }
    }
    hosts
}

/// A confidence's name, as in the JSON.
pub(crate) fn confidence_name(c: Confidence) -> &'static str {
    match c {
        Confidence::Low => "low",
        Confidence::Medium => "medium",
        Confidence::High => "high",
    }
}

/// `S8`, `F1`, `I2` (1-based, as every report prints them) from an index.
pub(crate) fn id(prefix: char, index: Option<usize>) -> Option<String> {
    index.map(|i| format!("{prefix}{}", i + 1))
}

/// The name of a timeline kind, as in the JSON.
pub(crate) fn kind_name(kind: TimelineKind) -> &'static str {
    match kind {
        TimelineKind::Lifecycle => "lifecycle",
        TimelineKind::Drop => "drop",
        TimelineKind::Cause => "cause",
        TimelineKind::Context => "context",
    }
}

/// How a session ended, in words.
pub(crate) fn ending_name(ending: Ending) -> &'static str {
    match ending {
        Ending::Open => "still open",
        Ending::UserLogoff => "user logoff",
        Ending::UserDisconnect => "user disconnect",
        Ending::ClientClosed => "closed by the client",
        Ending::Interrupted => "interrupted, reconnected",
        Ending::Unknown => "end not logged",
        Ending::Replaced => "replaced by reconnect",
        Ending::Transient => "transient, moved to the user's session",
        Ending::TimeLimit => "time limit",
        Ending::Shutdown => "ended by a restart or shutdown",
        Ending::Dropped => "dropped",
        Ending::Refused => "refused",
    }
}

/// The category (or kind, when it has none) a row is filed under.
pub(crate) fn label(row: &Row<'_>) -> &'static str {
    match (row.kind, row.category) {
        (TimelineKind::Drop, _) => "DROP",
        (_, Some(c)) => c.as_str(),
        (kind, None) => kind_name(kind),
    }
}

/// `RDS01 · Microsoft-Windows-…/Operational 40 #1234 (file.evtx)`-style evidence
/// reference: channel, event id and record id.
pub(crate) fn evidence(channel: &str, event_id: u16, record_id: u64) -> String {
    format!("{channel} {event_id} #{record_id}")
}

/// Seconds from a drop, as `-1m05s` / `+30s` / `0s`.
pub(crate) fn offset(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".to_string();
    }
    let sign = if seconds < 0.0 { "-" } else { "+" };
    let total = seconds.abs().round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match (h, m) {
        (0, 0) if total == 0 => "0s".to_string(),
        (0, 0) => format!("{sign}{s}s"),
        (0, _) => format!("{sign}{m}m{s:02}s"),
        _ => format!("{sign}{h}h{m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::offset;

    #[test]
    fn offsets_read_like_durations() {
        assert_eq!(offset(-65.2), "-1m05s");
        assert_eq!(offset(30.0), "+30s");
        assert_eq!(offset(0.2), "0s");
        assert_eq!(offset(-7260.0), "-2h01m");
        assert_eq!(offset(f64::NAN), "?");
    }
}
