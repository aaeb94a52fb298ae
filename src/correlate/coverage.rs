//! Which logs were given for which host, and which logs a drop lacked: "no
//! System log given for RDS01, so certificate and service failures could not
//! be checked".

use super::model::HostCoverage;
use crate::ingest::ChannelSpan;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// The logs that can tell about a drop or refusal: (channel, short name, what
/// a missing one hides).
const NEEDED: &[(&str, &str, &str)] = &[
    (
        "System",
        "System",
        "certificate, TLS, service, power, licensing and configuration failures",
    ),
    ("Security", "Security", "failed logons"),
    (
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "RemoteConnectionManager",
        "the connections the RDP listener received",
    ),
    (
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
        "RdpCoreTS",
        "client addresses and transport errors",
    ),
    (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "LocalSessionManager",
        "how sessions began and ended",
    ),
];

/// A log counts for a moment when it starts by then (with this slack) ...
const START_SLACK: TimeDelta = TimeDelta::minutes(1);
/// ... and its last event is no older than this before it.
const END_SLACK: TimeDelta = TimeDelta::hours(24);

/// A first and last event time.
type Range = (DateTime<Utc>, DateTime<Utc>);

/// Which moments some logs of one host cover: from each file's first record to its
/// last (a gap inside a file is not seen).
pub(crate) struct Covered {
    spans: Vec<Range>,
}

impl Covered {
    /// The spans of `host` whose channel `channel` accepts.
    pub(crate) fn new(host: &str, spans: &[ChannelSpan], channel: impl Fn(&str) -> bool) -> Self {
        Covered {
            spans: (spans.iter())
                .filter(|s| s.computer == host && channel(&s.channel))
                .map(|s| (s.first, s.last))
                .collect(),
        }
    }

    /// Whether one of the logs covers moment `t`.
    pub(crate) fn covers(&self, t: DateTime<Utc>) -> bool {
        self.spans.iter().any(|(a, z)| *a <= t && t <= *z)
    }
}

/// Merges the spans of every file into one coverage entry per host, channels
/// sorted by name.
pub(crate) fn hosts(spans: &[ChannelSpan]) -> Vec<HostCoverage> {
    let mut map: BTreeMap<&str, BTreeMap<&str, Range>> = BTreeMap::new();
    for s in spans {
        let entry = map
            .entry(s.computer.as_str())
            .or_default()
            .entry(s.channel.as_str())
            .or_insert((s.first, s.last));
        entry.0 = entry.0.min(s.first);
        entry.1 = entry.1.max(s.last);
    }
    map.into_iter()
        .map(|(host, channels)| HostCoverage {
            host: host.to_string(),
            channels: channels
                .into_iter()
                .map(|(c, (first, last))| (c.to_string(), first, last))
                .collect(),
        })
        .collect()
}

/// The logs missing on `host` at `t`, and a sentence saying what that hides.
/// Nothing is reported when no coverage was given at all.
pub(crate) fn missing(
    coverage: &[HostCoverage],
    host: &str,
    t: DateTime<Utc>,
) -> (Vec<String>, Option<String>) {
    if coverage.is_empty() {
        return (Vec::new(), None);
    }
    let channels = coverage
        .iter()
        .find(|h| h.host == host)
        .map(|h| h.channels.as_slice())
        .unwrap_or_default();
    let covered = |channel: &str| {
        channels.iter().any(|(c, first, last)| {
            c == channel && *first <= t + START_SLACK && *last >= t - END_SLACK
        })
    };
    let lacking: Vec<&(&str, &str, &str)> = NEEDED.iter().filter(|(c, _, _)| !covered(c)).collect();
    if lacking.is_empty() {
        return (Vec::new(), None);
    }
    let names: Vec<String> = lacking
        .iter()
        .map(|(_, short, _)| short.to_string())
        .collect();
    let hidden: Vec<&str> = lacking.iter().map(|(_, _, what)| *what).collect();
    let text = format!(
        "No {} log was given for {host} at that time, so {} could not be checked.",
        join(&names.iter().map(String::as_str).collect::<Vec<_>>(), "or"),
        join(&hidden, "and"),
    );
    (names, Some(text))
}

/// The logs that could tell about drops and refusals of which `host` has no
/// record at all, as a sentence ("No RemoteConnectionManager or RdpCoreTS log
/// was given for RDS01: the connections ... cannot be seen."); `None` when
/// every such log was given.
pub fn absent_logs(host: &HostCoverage) -> Option<String> {
    let lacking: Vec<&(&str, &str, &str)> = NEEDED
        .iter()
        .filter(|(c, _, _)| !host.channels.iter().any(|(have, _, _)| have == c))
        .collect();
    // A host known only from its RDPClient log is a client: no server logs
    // were expected of it.
    let client_only = lacking.len() == NEEDED.len()
        && host
            .channels
            .iter()
            .any(|(c, _, _)| c.contains("RDPClient"));
    if lacking.is_empty() || client_only {
        return None;
    }
    let names: Vec<&str> = lacking.iter().map(|(_, short, _)| *short).collect();
    let hidden: Vec<&str> = lacking.iter().map(|(_, _, what)| *what).collect();
    Some(format!(
        "No {} log was given for {}: {} cannot be seen.",
        join(&names, "or"),
        host.host,
        join(&hidden, "and"),
    ))
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join(items: &[&str], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod absent_tests {
    use super::*;

    fn host(channels: &[&str]) -> HostCoverage {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        HostCoverage {
            host: "RDS01".into(),
            channels: channels.iter().map(|c| (c.to_string(), t, t)).collect(),
        }
    }

    #[test]
    fn absent_logs_are_named_except_for_clients() {
        let all: Vec<&str> = NEEDED.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(absent_logs(&host(&all)), None);
        let text = absent_logs(&host(&["System", "Security"])).unwrap();
        assert!(
            text.starts_with("No RemoteConnectionManager, RdpCoreTS or LocalSessionManager log"),
            "{text}"
        );
        assert!(
            absent_logs(&host(&["Application"]))
                .unwrap()
                .starts_with("No System, Security")
        );
        let client = ["Microsoft-Windows-TerminalServices-RDPClient/Operational"];
        assert_eq!(absent_logs(&host(&client)), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(computer: &str, channel: &str, first: i64, last: i64) -> ChannelSpan {
        let at = |s| DateTime::from_timestamp(1_600_000_000 + s, 0).expect("valid time");
        ChannelSpan {
            computer: computer.into(),
            channel: channel.into(),
            records: 1,
            first: at(first),
            last: at(last),
        }
    }

    #[test]
    fn spans_merge_per_host_and_missing_logs_are_named() {
        let spans = [
            span("RDS01", "Security", 0, 100),
            span("RDS01", "Security", -50, 80),
            span(
                "RDS01",
                "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
                0,
                100,
            ),
        ];
        let cov = hosts(&spans);
        assert_eq!(cov.len(), 1);
        assert_eq!(cov[0].channels.len(), 2);
        let t = DateTime::from_timestamp(1_600_000_050, 0).expect("valid time");
        let (names, text) = missing(&cov, "RDS01", t);
        assert_eq!(
            names,
            ["System", "RemoteConnectionManager", "LocalSessionManager"]
        );
        let text = text.expect("a sentence");
        assert!(
            text.starts_with(
                "No System, RemoteConnectionManager or LocalSessionManager log was given for RDS01"
            ),
            "{text}"
        );
        assert!(
            text.contains("certificate, TLS, service, power, licensing and configuration failures")
        );
        assert_eq!(missing(&[], "RDS01", t), (Vec::new(), None));
    }
}
