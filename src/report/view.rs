//! The report's content prepared once as plain text (times in the chosen zone,
//! labels, evidence references), so that the terminal table, Markdown and HTML
//! differ only in layout. Strings are raw: renderers escape them.

use super::rows::{ending_name, evidence, offset};
use super::{RenderOptions, Report, TimeZone};
use crate::correlate::model::Session;
use crate::correlate::model::{Confidence, DecodedCode, DropKind, Ending, EventRef, Finding};
use crate::diag::{Problem, ProblemKind};
use crate::ingest::FileStats;
use crate::vocab::{Category, Level};
use std::borrow::Cow;

/// A document format's escape for text from the logs ([`super::escape`]).
pub(crate) type Escape = fn(&str) -> Cow<'_, str>;

/// Counts for the headline and the closing summary line.
pub(crate) struct Totals {
    pub drops: usize,
    pub explained: usize,
    pub files: usize,
    pub files_failed: usize,
    pub records: u64,
    pub recovered: u64,
    pub unreadable: u64,
    pub chunks_skipped: u64,
    pub problems: usize,
    pub rules: usize,
}

/// One drop with its verdict and causes.
pub(crate) struct FindingView {
    pub number: usize,
    /// The incident's number (1-based).
    pub incident: usize,
    pub host: String,
    pub time: String,
    /// The time's date and clock apart, for narrow columns.
    pub date: String,
    pub clock: String,
    pub kind: &'static str,
    pub session: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub reason: Option<String>,
    pub rule: String,
    /// The verdict's category, or `None` when nothing coincided.
    pub category: Option<Category>,
    pub verdict: String,
    pub confidence: &'static str,
    pub summary: String,
    pub fix: Option<String>,
    pub missing_logs: Vec<String>,
    pub causes: Vec<CauseView>,
    /// With no cause, the rule title of the drop's own record when that record says
    /// why.
    pub said_by: Option<String>,
    pub evidence: Vec<EvidenceView>,
}

/// One ranked cause of a drop.
pub(crate) struct CauseView {
    pub rank: usize,
    pub score: String,
    pub category: Category,
    pub level: &'static str,
    pub offset: String,
    pub occurrences: usize,
    pub title: String,
    pub rule: String,
    pub explanation: String,
    pub fix: Option<String>,
    pub evidence: EvidenceView,
}

/// Where to find an event again.
pub(crate) struct EvidenceView {
    pub time: String,
    /// `channel event_id #record`.
    pub event: String,
    pub file: String,
}

/// One input file.
pub(crate) struct InputView {
    pub path: String,
    pub records: u64,
    pub recovered: u64,
    pub unreadable: u64,
    pub chunks_skipped: u64,
    pub failed: Option<String>,
    pub spans: Vec<SpanView>,
}

impl InputView {
    /// The "logs" cell of the inputs table: each span as `computer · channel:
    /// records, first – last`, then why the file was not read, split by
    /// `<br>` (which Markdown tables keep); `esc` escapes log text for the
    /// format, `strong` marks a label.
    fn logs_cell(&self, esc: Escape, strong: fn(&str) -> String) -> String {
        let mut logs: Vec<String> = self
            .spans
            .iter()
            .map(|s| {
                format!(
                    "{} · {}: {}, {} – {}",
                    esc(&s.computer),
                    esc(&s.channel),
                    s.records.unwrap_or(0),
                    esc(&s.first),
                    esc(&s.last)
                )
            })
            .collect();
        if let Some(failed) = &self.failed {
            logs.push(format!("{} {}", strong("not read:"), esc(failed)));
        }
        logs.join("<br>")
    }

    /// The inputs table's cells, escaped with `esc`: path, records, recovered,
    /// unreadable, chunks skipped, then the logs the file held and why it was
    /// not read (`strong` marks that label).
    pub fn cells(&self, esc: Escape, strong: fn(&str) -> String) -> [String; 6] {
        [
            esc(&self.path).into_owned(),
            self.records.to_string(),
            self.recovered.to_string(),
            self.unreadable.to_string(),
            self.chunks_skipped.to_string(),
            self.logs_cell(esc, strong),
        ]
    }
}

/// A computer and channel's records in a file or for a host.
pub(crate) struct SpanView {
    pub computer: String,
    pub channel: String,
    pub records: Option<u64>,
    pub first: String,
    pub last: String,
}

impl SpanView {
    /// The scope table's cells, escaped with `esc`: computer, channel, first,
    /// last.
    pub fn cells(&self, esc: Escape) -> [String; 4] {
        [&self.computer, &self.channel, &self.first, &self.last].map(|t| esc(t).into_owned())
    }
}

/// A problem met while reading.
pub(crate) struct ProblemView {
    pub kind: &'static str,
    pub place: String,
    pub message: String,
}

impl ProblemView {
    /// The problems table's cells, escaped with `esc`: kind, place, message.
    pub fn cells(&self, esc: Escape) -> [String; 3] {
        [
            self.kind.to_string(),
            esc(&self.place).into_owned(),
            esc(&self.message).into_owned(),
        ]
    }
}

/// One session or connection attempt.
pub(crate) struct SessionView {
    pub number: usize,
    pub host: String,
    pub id: Option<u32>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub start: String,
    pub end: String,
    pub ending: &'static str,
    pub dropped: bool,
}

impl SessionView {
    /// The sessions table's cells, escaped with `esc`: `S1`, host, Windows
    /// id, user, client, start, end, how it ended.
    pub fn cells(&self, esc: Escape) -> [String; 8] {
        [
            format!("S{}", self.number),
            esc(&self.host).into_owned(),
            self.id.map(|i| i.to_string()).unwrap_or_default(),
            esc(self.user.as_deref().unwrap_or("")).into_owned(),
            esc(self.client.as_deref().unwrap_or("")).into_owned(),
            esc(&self.start).into_owned(),
            esc(&self.end).into_owned(),
            self.ending.to_string(),
        ]
    }
}

/// Everything the document-like formats show besides the timeline. The views of
/// findings and sessions are made when asked for ([`View::finding`],
/// [`View::findings`], [`View::session`]): a burst has tens of thousands of them, and
/// most formats show a few.
pub(crate) struct View<'a> {
    analysis: &'a crate::correlate::Analysis,
    opts: &'a RenderOptions,
    pub title: String,
    pub generated: String,
    pub totals: Totals,
    pub scope: Vec<SpanView>,
    pub inputs: Vec<InputView>,
    pub summaries: Vec<(&'static str, Vec<String>)>,
    pub problems: Vec<ProblemView>,
}

impl<'a> View<'a> {
    pub(crate) fn new(report: &'a Report, opts: &'a RenderOptions) -> View<'a> {
        let tz = &opts.time_zone;
        let a = &report.analysis;
        let generated = generated_line(report, tz);
        let scope = a
            .coverage
            .iter()
            .flat_map(|h| {
                h.channels.iter().map(|(channel, first, last)| SpanView {
                    computer: h.host.clone(),
                    channel: channel.clone(),
                    records: None,
                    first: tz.format(*first),
                    last: tz.format(*last),
                })
            })
            .collect();
        let inputs = report.inputs.iter().map(|f| input_view(f, tz)).collect();
        let s = &a.summaries;
        let summaries = [
            ("Hosts", &s.hosts),
            ("Users", &s.users),
            ("Clients", &s.clients),
            ("Causes", &s.causes),
        ]
        .into_iter()
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(name, rows)| (name, rows.iter().map(|r| r.text.clone()).collect()))
        .collect();
        let problems = report.diagnostics.problems.iter().map(problem).collect();
        View {
            analysis: a,
            opts,
            title: "Remote Desktop drop report".to_string(),
            generated,
            totals: totals(report),
            scope,
            inputs,
            summaries,
            problems,
        }
    }
}

impl View<'_> {
    /// The view of finding `i` (its index in the analysis).
    pub(crate) fn finding(&self, i: usize) -> Option<FindingView> {
        Some(finding(self.analysis.findings.get(i)?, self.opts))
    }

    /// The views of every finding, in order.
    pub(crate) fn findings(&self) -> impl Iterator<Item = FindingView> + '_ {
        let opts = self.opts;
        self.analysis.findings.iter().map(move |f| finding(f, opts))
    }

    /// The view of session `s`.
    pub(crate) fn session(&self, s: &Session) -> SessionView {
        session_view(s, &self.opts.time_zone)
    }
}

/// The line under the title: tool, schema, time zone, zoom, when generated.
fn generated_line(report: &Report, tz: &TimeZone) -> String {
    let mut generated = format!(
        "{} {} · report schema {} · times in {}",
        report.tool.name, report.tool.version, report.schema_version, tz
    );
    if let Some(zoom) = report.options.zoom {
        generated.push_str(&format!(
            " · timeline within {} of {}",
            crate::vocab::duration_text::format(zoom.window),
            tz.format(zoom.around)
        ));
    }
    if let Some(at) = report.options.generated_at {
        generated.push_str(&format!(" · generated {}", tz.format(at)));
    }
    generated
}

/// One input file's account, its times in `tz`.
fn input_view(f: &FileStats, tz: &TimeZone) -> InputView {
    InputView {
        path: f.path.display().to_string(),
        records: f.records_read,
        recovered: f.records_recovered,
        unreadable: f.records_unreadable,
        chunks_skipped: f.chunks_skipped,
        failed: f.failed.clone(),
        spans: f
            .spans
            .iter()
            .map(|s| SpanView {
                computer: s.computer.clone(),
                channel: s.channel.clone(),
                records: Some(s.records),
                first: tz.format(s.first),
                last: tz.format(s.last),
            })
            .collect(),
    }
}

/// One session, its times in `tz`.
fn session_view(s: &Session, tz: &TimeZone) -> SessionView {
    SessionView {
        number: s.index + 1,
        host: s.host.to_string(),
        id: s.session_id,
        user: s.user.clone(),
        client: s.client_address.clone(),
        start: tz.format(s.start),
        end: tz.format(s.end),
        ending: ending_name(s.ending),
        dropped: matches!(s.ending, Ending::Dropped | Ending::Refused),
    }
}

impl Totals {
    /// The closing line: what was read and what was not.
    pub(crate) fn inputs_line(&self) -> String {
        let t = self;
        let mut line = format!("inputs: {} file(s), {} record(s)", t.files, t.records);
        if t.recovered > 0 {
            line.push_str(&format!(" ({} recovered)", t.recovered));
        }
        line.push_str(&format!(
            "; unreadable: {} record(s), {} chunk(s), {} file(s); {} problem(s); {} rule(s) loaded",
            t.unreadable, t.chunks_skipped, t.files_failed, t.problems, t.rules
        ));
        line
    }
}

/// The run's counts (cheap: no per-finding text).
pub(crate) fn totals(report: &Report) -> Totals {
    let a = &report.analysis;
    let sum = |f: fn(&crate::ingest::FileStats) -> u64| report.inputs.iter().map(f).sum();
    Totals {
        drops: a.findings.len(),
        explained: a
            .findings
            .iter()
            .filter(|f| f.verdict.category.is_some())
            .count(),
        files: report.inputs.len(),
        files_failed: report.inputs.iter().filter(|f| f.failed.is_some()).count(),
        records: sum(|f| f.records_read),
        recovered: sum(|f| f.records_recovered),
        unreadable: sum(|f| f.records_unreadable),
        chunks_skipped: sum(|f| f.chunks_skipped),
        problems: report.diagnostics.problems.len(),
        rules: report.rules_loaded,
    }
}

fn finding(f: &Finding, opts: &RenderOptions) -> FindingView {
    let d = &f.dropped;
    let tz = &opts.time_zone;
    let (date, clock) = tz.date_and_clock(d.time);
    let causes = f
        .causes
        .iter()
        .enumerate()
        .map(|(i, c)| CauseView {
            rank: i + 1,
            score: format!("{:.2}", c.score),
            category: c.category,
            level: Level::as_str(c.level),
            offset: offset(c.offset_seconds),
            occurrences: c.occurrences,
            title: c.title.to_string(),
            rule: c.rule_id.to_string(),
            explanation: c.explanation.to_string(),
            fix: c.fix.as_deref().map(str::to_string),
            evidence: evidence_view(&c.evidence, opts),
        })
        .collect();
    FindingView {
        number: d.index + 1,
        incident: f.incident + 1,
        host: d.host.to_string(),
        time: tz.format(d.time),
        date,
        clock,
        kind: match d.kind {
            DropKind::SessionDropped => "session dropped",
            DropKind::ConnectionRefused => "connection refused",
        },
        session: d.session.map(|s| format!("S{}", s + 1)),
        user: d.user.clone(),
        client: d.client_address.clone(),
        reason: d.reason.as_ref().map(code),
        rule: d.rule_id.to_string(),
        said_by: f.verdict.said_by.as_deref().map(str::to_string),
        category: f.verdict.category,
        verdict: f
            .verdict
            .category
            .map_or("not in these logs", Category::as_str)
            .to_string(),
        confidence: match f.verdict.confidence {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        },
        summary: f.verdict.summary.to_string(),
        fix: f.verdict.fix.as_deref().map(str::to_string),
        missing_logs: f.verdict.missing_logs.clone(),
        causes,
        evidence: d.evidence.iter().map(|e| evidence_view(e, opts)).collect(),
    }
}

/// `0x904 (2308) SERVER_DENIED_CONNECTION: meaning`.
pub(crate) fn code(c: &DecodedCode) -> String {
    format!("{} {}: {}", c.shown(), c.name, c.meaning)
}

fn evidence_view(e: &EventRef, opts: &RenderOptions) -> EvidenceView {
    EvidenceView {
        time: opts.time_zone.format(e.time),
        event: evidence(e.channel(), e.event_id, e.record_id),
        file: e.source().display().to_string(),
    }
}

fn problem(p: &Problem) -> ProblemView {
    let mut place = p.path.display().to_string();
    if let Some((line, col)) = p.line_col {
        place.push_str(&format!(":{line}:{col}"));
    }
    if let Some(chunk) = p.chunk {
        place.push_str(&format!(" chunk {chunk}"));
    }
    if let Some(record) = p.record {
        place.push_str(&format!(" record {record}"));
    }
    ProblemView {
        kind: match p.kind {
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::NotEvtx => "not EVTX",
            ProblemKind::BadChunk => "bad chunk",
            ProblemKind::BadRecord => "bad record",
            ProblemKind::BadEvent => "bad event",
            ProblemKind::BadRule => "bad rule",
            ProblemKind::Note => "note",
        },
        place,
        message: p.message.clone(),
    }
}
