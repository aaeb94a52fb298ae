//! What correlation produces: sessions, drops, their ranked causes and verdicts,
//! summaries and the timeline. These types are also the wire format of the JSON
//! report (see `report`), so field names are part of the documented schema.

pub use crate::vocab::DecodedCode;
use crate::vocab::{Category, Level, Step};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Where an event is: enough to find the record again in the evidence.
///
/// Serialized flat, as `time`, `computer`, `channel`, `provider`, `event_id`,
/// `record_id` and `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    /// When it happened (UTC).
    pub time: DateTime<Utc>,
    /// Who wrote it, in which log, read from which file: shared by every reference to
    /// an event of the same origin, so that a reference is 32 bytes and one counter
    /// increment to copy, however many findings and timeline lines hold it.
    pub origin: Arc<Origin>,
    /// Event id (low 16 bits).
    pub event_id: u16,
    /// `System/EventRecordID`.
    pub record_id: u64,
}

impl EventRef {
    /// `System/Computer`.
    pub fn computer(&self) -> &str {
        &self.origin.computer
    }

    /// `System/Channel`.
    pub fn channel(&self) -> &str {
        &self.origin.channel
    }

    /// `System/Provider/@Name`.
    pub fn provider(&self) -> &str {
        &self.origin.provider
    }

    /// The file it was read from.
    pub fn source(&self) -> &Path {
        &self.origin.source
    }
}

impl Serialize for EventRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename = "EventRef")]
        struct Flat<'a> {
            #[serde(serialize_with = "crate::diag::serialize_time")]
            time: DateTime<Utc>,
            computer: &'a str,
            channel: &'a str,
            provider: &'a str,
            event_id: u16,
            record_id: u64,
            #[serde(serialize_with = "crate::diag::serialize_path")]
            source: &'a Path,
        }
        Flat {
            time: self.time,
            computer: self.computer(),
            channel: self.channel(),
            provider: self.provider(),
            event_id: self.event_id,
            record_id: self.record_id,
            source: self.source(),
        }
        .serialize(s)
    }
}

/// Where events come from: the computer and log that wrote them, the provider, and
/// the file they were read from.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `System/Computer`.
    pub computer: Arc<str>,
    /// `System/Channel`.
    pub channel: Arc<str>,
    /// `System/Provider/@Name`.
    pub provider: Arc<str>,
    /// The file.
    pub source: Arc<Path>,
}

/// How a session (or a connection that never became one) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    /// Still open at the end of the logs.
    Open,
    /// The user logged off.
    UserLogoff,
    /// The user (or an admin on their behalf) disconnected.
    UserDisconnect,
    /// The client's side ended the connection without the RDP goodbye (the
    /// TCP connection was closed or reset from the client's end): a client
    /// that was closed or killed, not a server-side failure.
    ClientClosed,
    /// Replaced by a new connection to the same session (reconnect).
    Replaced,
    /// A transient session: Windows arbitrated the connection in it (LSM 41/42) and moved
    /// the connection on to the user's own session within the minute; nobody logged on in
    /// it. Not a session of its own, so not counted.
    Transient,
    /// Idle or session time limit.
    TimeLimit,
    /// Logged off by a restart or shutdown of the host that someone or something asked
    /// for (User32 1074, a clean shutdown): the session's end has a reason that is not a
    /// failure, so it is no drop. An unexpected one (EventLog 6008, Kernel-Power 41) is.
    Shutdown,
    /// Disconnected with no server-side failure, and the same user was back in
    /// the session soon after (a client close or a brief network loss that the
    /// user recovered from): reported apart from drops.
    Interrupted,
    /// Dropped: not the user's choice.
    Dropped,
    /// Refused before logon.
    Refused,
    /// Ended, but the logs do not say how (the end is outside them, or the
    /// server's records of it name no reason).
    Unknown,
}

/// What a [`Session`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SessionKind {
    /// A Remote Desktop session on a server.
    Remote,
    /// A console (local) session: not RDP, shown for completeness.
    Console,
    /// A session whose events do not say whether it was remote or local.
    Unknown,
    /// A connection that ended before any session logon.
    Attempt,
    /// A connection seen from the client's side (RDPClient log).
    Client,
}

/// One step in a session's life, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionStep {
    /// When.
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub time: DateTime<Utc>,
    /// Which step.
    pub step: Step,
    /// The rule that recognised it.
    pub rule_id: Arc<str>,
    /// The event.
    pub event: EventRef,
}

/// An RDP session (or a connection attempt) rebuilt from the logs of one host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Index in [`Analysis::sessions`].
    pub index: usize,
    /// Its number in every report: `S` and the 1-based index (`S8`). Not
    /// Windows' session id, which is `session_id`.
    pub id: String,
    /// The server (`Computer`); for client-side connections, the client.
    pub host: Arc<str>,
    /// What kind of session it is.
    pub kind: SessionKind,
    /// For client-side connections: the server it connected to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// LocalSessionManager's session id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<u32>,
    /// Connection name(s) such as `RDP-Tcp#12`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub connections: Vec<String>,
    /// `DOMAIN\user`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The client's address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    /// First event.
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub start: DateTime<Utc>,
    /// Last event.
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub end: DateTime<Utc>,
    /// How it ended.
    pub ending: Ending,
    /// The decoded reason of its last disconnect (LSM 40), when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DecodedCode>,
    /// Its life-cycle steps, in time order.
    pub steps: Vec<SessionStep>,
}

impl Session {
    /// True for a Remote Desktop session as the reports count them: remote, or of
    /// unknown kind, and not a transient arbitration session.
    pub fn is_rdp_session(&self) -> bool {
        matches!(self.kind, SessionKind::Remote | SessionKind::Unknown)
            && self.ending != Ending::Transient
    }
}

/// Whether a drop is a session that fell or a connection that never got in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropKind {
    /// An established session disconnected without the user asking.
    SessionDropped,
    /// A connection ended before logon, with an error.
    ConnectionRefused,
}

/// One drop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drop {
    /// Index in [`Analysis::findings`].
    pub index: usize,
    /// The server (`Computer`); for client-side logs, the client's computer.
    pub host: Arc<str>,
    /// When it happened: the time of the record that decided it, except for a
    /// session its host went down under, dated at the host's last sign of life
    /// before the boot that reported the crash (EventLog 6008's binary data, or the
    /// host's last record).
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub time: DateTime<Utc>,
    /// What kind of drop.
    pub kind: DropKind,
    /// The session it ended, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<usize>,
    /// `DOMAIN\user`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The client's address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    /// The logged reason code, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<DecodedCode>,
    /// The rule that recognised the drop.
    pub rule_id: Arc<str>,
    /// The events that show the drop.
    pub evidence: Vec<EventRef>,
}

/// A failure found near a drop, ranked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cause {
    /// The rule that found it.
    pub rule_id: Arc<str>,
    /// The rule's title.
    pub title: Arc<str>,
    /// Its failure family.
    pub category: Category,
    /// The rule's level.
    pub level: Level,
    /// When the (closest) matching event happened.
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub time: DateTime<Utc>,
    /// Seconds from the drop to the cause (negative: before the drop).
    pub offset_seconds: f64,
    /// How many matching events fell inside the window.
    pub occurrences: usize,
    /// Ranking score, higher first (0..=1).
    pub score: f64,
    /// The rule's explanation with the event's fields filled in.
    pub explanation: Arc<str>,
    /// What to try.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
    /// The closest matching event.
    pub evidence: EventRef,
}

/// How sure a verdict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Weak evidence.
    Low,
    /// Some evidence.
    Medium,
    /// Strong evidence.
    High,
}

/// The conclusion for one drop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The most likely cause's category; `None` when nothing coincided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// How sure.
    pub confidence: Confidence,
    /// One or two sentences for people.
    pub summary: Arc<str>,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
    /// Logs that were not given but could have told (e.g. "System").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_logs: Vec<String>,
    /// When no cause record explains the drop but its own record says why (an RD
    /// Gateway policy denial, an RdpCoreTS 139): that record's rule title, for the
    /// views that name a cause. The JSON report has the rule as `drop.rule_id`.
    #[serde(skip)]
    pub said_by: Option<Arc<str>>,
}

/// A drop, the causes that coincide with it, and the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Its number in every report: `F` and the 1-based index (`F1`).
    pub id: String,
    /// The drop.
    #[serde(rename = "drop")]
    pub dropped: Drop,
    /// Causes, best first.
    pub causes: Vec<Cause>,
    /// The verdict.
    pub verdict: Verdict,
    /// Index in [`Analysis::incidents`] of the incident it is part of.
    pub incident: usize,
}

/// Whether an incident is made of refused connections or dropped sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    /// Connection attempts refused before logon.
    Refusals,
    /// Established sessions that dropped.
    Drops,
}

/// A name with how many findings of an incident carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// A client address or a user.
    pub name: String,
    /// How many findings.
    pub count: usize,
}

/// A successful logon from the client of a burst of refusals, soon after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogonAfter {
    /// Index of the session in [`Analysis::sessions`].
    pub session: usize,
    /// Who logged on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// When the logon succeeded (the session's first authentication or logon record).
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub time: DateTime<Utc>,
    /// Seconds after the incident's last refusal (negative: during the burst).
    pub seconds_after_last: f64,
    /// The later sessions from the same client on the host (indices in
    /// [`Analysis::sessions`], in time order), up to a day after the burst: what was
    /// done with the access the logon gave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub later_sessions: Vec<usize>,
}

/// Findings on one host that share a cause and (for refusals) a client or
/// user, close in time: one certificate that refuses every connection, one
/// attack tool's thousands of attempts, one reboot that drops forty sessions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// Index in [`Analysis::incidents`] (most important first).
    pub index: usize,
    /// Its number in every report: `I` and the 1-based index (`I1`).
    pub id: String,
    /// The host.
    pub host: Arc<str>,
    /// Refusals or drops.
    pub kind: IncidentKind,
    /// The shared verdict category; `None` when no cause was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The shared cause rule (the top cause's, or the record's own rule).
    pub rule_id: Arc<str>,
    /// The incident in one sentence.
    pub title: Arc<str>,
    /// How many findings.
    pub count: usize,
    /// The first finding's time.
    pub first: DateTime<Utc>,
    /// The last finding's time.
    pub last: DateTime<Utc>,
    /// Client addresses, most findings first.
    pub clients: Vec<Tally>,
    /// How many findings name no client address.
    pub without_client: usize,
    /// Users, most findings first.
    pub users: Vec<Tally>,
    /// The findings, by index in [`Analysis::findings`], in time order.
    pub findings: Vec<usize>,
    /// The most frequent confidence among the findings.
    pub confidence: Confidence,
    /// The first finding's verdict, as a sample.
    pub summary: String,
    /// What to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
    /// A sample of the evidence: the first finding's drop record and top cause.
    pub evidence: Vec<EventRef>,
    /// For a burst of refusals: a successful logon from the same client soon
    /// after (possible compromise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logon_after: Option<LogonAfter>,
}

/// One row of a summary ("7 of 9 drops on RDS01 came within 2 minutes of ...").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SummaryRow {
    /// What the row is about: a host, a user, a client address or a cause rule id.
    pub key: String,
    /// Sessions seen.
    pub sessions: usize,
    /// Drops.
    pub drops: usize,
    /// The most frequent cause category among those drops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_category: Option<Category>,
    /// How many drops it explains.
    pub top_count: usize,
    /// The row as a sentence.
    pub text: String,
}

/// Summaries per host, user, client address and cause.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summaries {
    /// Per host.
    pub hosts: Vec<SummaryRow>,
    /// Per user.
    pub users: Vec<SummaryRow>,
    /// Per client address.
    pub clients: Vec<SummaryRow>,
    /// Per cause rule.
    pub causes: Vec<SummaryRow>,
}

/// What a timeline line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimelineKind {
    /// A session life-cycle step.
    Lifecycle,
    /// A drop.
    Drop,
    /// A cause.
    Cause,
    /// A context alert (plain Sigma rule).
    Context,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// When.
    #[serde(serialize_with = "crate::diag::serialize_time")]
    pub time: DateTime<Utc>,
    /// Which host.
    pub host: Arc<str>,
    /// What kind of line.
    pub kind: TimelineKind,
    /// The category, for causes and drops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The rule's level, for context alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The rule.
    pub rule_id: Arc<str>,
    /// The rule's title.
    pub title: Arc<str>,
    /// A one-line description with the event's details (shared with the finding or rule
    /// it comes from).
    pub message: Arc<str>,
    /// The session it belongs to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<usize>,
    /// The finding (drop) it is or belongs to, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finding: Option<usize>,
    /// The event.
    pub event: EventRef,
}

/// Which logs were given for a host, and their time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostCoverage {
    /// The host.
    pub host: String,
    /// Channels seen for it, with first and last event time.
    pub channels: Vec<(String, DateTime<Utc>, DateTime<Utc>)>,
}

/// One machine: the name it had last, and the other `Computer` names its
/// records carry (before a rename, without the DNS suffix, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Host {
    /// The name the host is reported under.
    pub name: String,
    /// Its other names, first seen first.
    pub aliases: Vec<String>,
}

/// How urgent an outlook item is, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutlookLevel {
    /// Nothing to do.
    Ok,
    /// The logs cannot tell.
    Unknown,
    /// Will need attention: check it.
    Watch,
    /// Is failing or about to: fix it now.
    ActNow,
}

impl OutlookLevel {
    /// The level as the reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            OutlookLevel::Ok => "ok",
            OutlookLevel::Unknown => "unknown",
            OutlookLevel::Watch => "watch",
            OutlookLevel::ActNow => "act now",
        }
    }
}

/// What an outlook item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutlookTopic {
    /// The RDP listener certificate.
    Certificate,
    /// RD licensing.
    Licensing,
    /// Failures of one category that come again and again.
    Recurring,
}

/// An RDP listener certificate the logs show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenerCertificate {
    /// Its SHA1 thumbprint (the event's binary data), when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
    /// Its subject (RCM 1056 `param1`, the computer name), when logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Made by Remote Desktop Services itself (RCM 1056), not configured.
    pub self_signed: bool,
    /// The first event that names it.
    pub first_seen: DateTime<Utc>,
    /// The last event that names it.
    pub last_seen: DateTime<Utc>,
    /// When it expires: stated (RCM 1052) or inferred (six months after a
    /// self-signed one was made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// True when an event stated the expiry.
    pub expiry_stated: bool,
}

/// How many times the failure of a recurring item began in one seven-day span (records
/// less than ten minutes apart are one time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeekCount {
    /// The end of the seven days (the first ends at the host's last record).
    pub ending: DateTime<Utc>,
    /// Occurrences that began in them.
    pub count: usize,
}

/// One thing the logs say about what will break next on a host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutlookItem {
    /// What it is about.
    pub topic: OutlookTopic,
    /// How urgent.
    pub level: OutlookLevel,
    /// How sure the inference is.
    pub confidence: Confidence,
    /// One line.
    pub title: String,
    /// How it was read from the logs.
    pub detail: String,
    /// What to do, when there is something to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// The records it comes from (a sample: the first ones and the last).
    pub evidence: Vec<EventRef>,
    /// For the certificate: every listener certificate seen, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<ListenerCertificate>,
    /// For a recurring failure: counts per seven days, the latest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weekly: Vec<WeekCount>,
}

/// The outlook of one host, as of the last record of its logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostOutlook {
    /// The host.
    pub host: String,
    /// The time of its last record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_of: Option<DateTime<Utc>>,
    /// The first and last time of its System log, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_log: Option<[DateTime<Utc>; 2]>,
    /// The items, most urgent first.
    pub items: Vec<OutlookItem>,
}

/// Everything correlation found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Analysis {
    /// Sessions and connection attempts, per host in time order.
    pub sessions: Vec<Session>,
    /// Drops with their causes and verdicts, in time order.
    pub findings: Vec<Finding>,
    /// Summaries.
    pub summaries: Summaries,
    /// The timeline: life-cycle steps, drops, causes, context alerts, in time order.
    pub timeline: Vec<TimelineEntry>,
    /// Which logs each host had.
    pub coverage: Vec<HostCoverage>,
    /// Every host with its aliases, by name.
    pub hosts: Vec<Host>,
    /// Findings grouped into incidents, most important first.
    pub incidents: Vec<Incident>,
    /// Per host: what will break next (certificate, licensing, recurring failures).
    pub outlook: Vec<HostOutlook>,
    /// Per context alert rule (plain Sigma rules, our own context rules): what it
    /// matched, most severe first.
    pub alerts: Vec<AlertSummary>,
}

/// One context alert rule and what it matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertSummary {
    /// The rule.
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// Its level.
    pub level: Level,
    /// Its status, when it states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Its tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The MITRE ATT&CK technique ids among its tags (`T1021.001`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attack: Vec<String>,
    /// How many events it matched.
    pub count: usize,
    /// The first of them.
    pub first: DateTime<Utc>,
    /// The last of them.
    pub last: DateTime<Utc>,
    /// The hosts they were on, by name.
    pub hosts: Vec<String>,
}
