//! Incidents and per-host counts prepared as plain text, for the summaries
//! that open every human format (terminal, Markdown, HTML). Strings are raw:
//! renderers escape them.

use super::RenderOptions;
use super::rows::ending_name;
use crate::correlate::model::{
    Analysis, Confidence, DropKind, Ending, Incident, IncidentKind, Session,
};
use crate::correlate::thousands;
use crate::vocab::Category;
use chrono::{DateTime, Utc};

/// One incident, ready to print.
pub(crate) struct IncidentView {
    /// `I1`: the incident's number in every format.
    pub id: String,
    pub host: String,
    pub category: Option<Category>,
    /// `authentication` or `no cause found`.
    pub verdict: String,
    pub confidence: &'static str,
    /// `2020-09-19 03:21:25 – 03:21:46 (21 s)`.
    pub when: String,
    pub title: String,
    /// Clients and users in a few words, with counts.
    pub who: String,
    /// True when `who` says more than the title (several clients or users,
    /// or findings without a client address).
    pub mixed: bool,
    /// Said when a logon from the burst's client followed it.
    pub compromise: Option<String>,
    pub summary: String,
    pub fix: Option<String>,
    /// `F12`, ... (all of them; renderers show as many as fit).
    pub findings: Vec<String>,
    pub count: usize,
    pub evidence: Vec<String>,
}

/// One host's sessions and findings, counted.
pub(crate) struct HostView {
    pub name: String,
    pub aliases: Vec<String>,
    /// `6 sessions · 0 interrupted · 0 dropped · 29,293 refused · 1 open`.
    pub counts: String,
    /// Drops and refusals: hosts with the most come first.
    pub trouble: usize,
}

/// A session's number in every human format: `S12`.
pub(crate) fn session_id(index: usize) -> String {
    format!("S{}", index + 1)
}

/// A finding's number in every human format: `F12`.
pub(crate) fn finding_id(index: usize) -> String {
    format!("F{}", index + 1)
}

/// An incident's number in every human format: `I2`.
pub(crate) fn incident_id(index: usize) -> String {
    format!("I{}", index + 1)
}

/// `21 s`, `4 min`, `2 h 5 min`, `3 d 4 h`, `2,617 days`: never more than two units, and none
/// that a reader must convert (a span of years is not counted in hours).
pub(crate) fn duration(seconds: i64) -> String {
    const HOUR: i64 = 3600;
    const DAY: i64 = 24 * HOUR;
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * HOUR => format!("{} min", (s + 30) / 60),
        s if s < 2 * DAY => format!("{} h {} min", s / HOUR, s / 60 % 60),
        s if s < 60 * DAY => format!("{} d {} h", s / DAY, s / HOUR % 24),
        s => format!("{} days", thousands(((s + DAY / 2) / DAY) as usize)),
    }
}

/// A clock time to the second: `07:05:03.250` -> `07:05:03`.
fn to_second(clock: &str) -> &str {
    clock.split('.').next().unwrap_or(clock)
}

/// `2024-03-11 07:05:03 – 07:06:03 (60 s)`, in the options' zone.
pub(crate) fn span(first: DateTime<Utc>, last: DateTime<Utc>, opts: &RenderOptions) -> String {
    let tz = &opts.time_zone;
    let (d1, c1) = tz.date_and_clock(first);
    let (d2, c2) = tz.date_and_clock(last);
    let clock = |c: &str| to_second(c).to_string();
    if first == last {
        return format!("{d1} {}", clock(&c1));
    }
    let end = if d1 == d2 {
        clock(&c2)
    } else {
        format!("{d2} {}", clock(&c2))
    };
    let secs = (last - first).num_seconds();
    format!("{d1} {} – {end} ({})", clock(&c1), duration(secs))
}

fn who(x: &Incident) -> String {
    let list = |names: &[crate::correlate::model::Tally]| {
        let mut parts: Vec<String> = names
            .iter()
            .take(3)
            .map(|t| format!("{} ({})", t.name, thousands(t.count)))
            .collect();
        if names.len() > 3 {
            parts.push(format!("{} more", names.len() - 3));
        }
        parts.join(", ")
    };
    let mut parts = Vec::new();
    if !x.clients.is_empty() {
        parts.push(format!("clients: {}", list(&x.clients)));
    }
    if x.without_client > 0 && x.without_client < x.count {
        parts.push(format!(
            "{} without a client address (none of their records names one)",
            thousands(x.without_client)
        ));
    }
    if !x.users.is_empty() {
        parts.push(format!("users: {}", list(&x.users)));
    }
    parts.join("; ")
}

/// How many of a compromise's later sessions are named (the rest are counted).
const LATER_NAMED: usize = 3;

fn compromise(x: &Incident, sessions: &[Session], opts: &RenderOptions) -> Option<String> {
    let l = x.logon_after.as_ref()?;
    let user = l.user.as_deref().unwrap_or("someone");
    let from = sessions
        .get(l.session)
        .and_then(|s| s.client_address.as_deref())
        .map_or(String::new(), |a| format!(" from {a}"));
    let after = if l.seconds_after_last >= 0.0 {
        format!("{:.1} s after the last refusal", l.seconds_after_last)
    } else {
        "during the burst".to_string()
    };
    let (_, clock) = opts.time_zone.date_and_clock(l.time);
    let mut text = if x.clients.is_empty() {
        // The burst's records name no client: the logon may be the tool's or a user's.
        format!(
            "A logon followed: {user} logged on{from} at {clock}, {after} ({}); the burst's \
             records name no client, so check whether it was the tool's.",
            session_id(l.session)
        )
    } else {
        format!(
            "Possible compromise: {user} logged on{from} at {clock}, {after} ({}).",
            session_id(l.session)
        )
    };
    let later: Vec<&Session> = l
        .later_sessions
        .iter()
        .filter_map(|i| sessions.get(*i))
        .collect();
    if !later.is_empty() {
        // Clock times, with the date only where it is not the logon's.
        let (day, _) = opts.time_zone.date_and_clock(l.time);
        let at = |t| {
            let (d, c) = opts.time_zone.date_and_clock(t);
            let c = to_second(&c);
            if d == day {
                c.to_string()
            } else {
                format!("{d} {c}")
            }
        };
        let named: Vec<String> = later
            .iter()
            .take(LATER_NAMED)
            .map(|s| {
                format!(
                    "{} {}–{} ({})",
                    session_id(s.index),
                    at(s.start),
                    at(s.end),
                    ending_name(s.ending)
                )
            })
            .collect();
        let more = later.len().saturating_sub(LATER_NAMED);
        text.push_str(&format!(
            " Then {} more session(s) from that client: {}{}.",
            later.len(),
            named.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ));
    }
    Some(text)
}

/// The incidents of `a`, in their order.
pub(crate) fn incidents(a: &Analysis, opts: &RenderOptions) -> Vec<IncidentView> {
    a.incidents
        .iter()
        .map(|x| IncidentView {
            id: incident_id(x.index),
            host: x.host.to_string(),
            category: x.category,
            verdict: x
                .category
                .map_or("no cause found", Category::as_str)
                .to_string(),
            confidence: match x.confidence {
                Confidence::Low => "low",
                Confidence::Medium => "medium",
                Confidence::High => "high",
            },
            when: span(x.first, x.last, opts),
            title: x.title.to_string(),
            who: who(x),
            mixed: x.kind == IncidentKind::Refusals && x.clients.len() > 1
                || x.users.len() > 1
                || (x.without_client > 0 && x.without_client < x.count),
            compromise: compromise(x, &a.sessions, opts),
            summary: x.summary.clone(),
            fix: x.fix.as_deref().map(str::to_string),
            findings: x.findings.iter().map(|f| finding_id(*f)).collect(),
            count: x.count,
            evidence: x
                .evidence
                .iter()
                .map(|e| super::rows::evidence(e.channel(), e.event_id, e.record_id))
                .collect(),
        })
        .collect()
}

/// Per host: RDP sessions, interruptions, drops, refusals and open sessions.
pub(crate) fn hosts(a: &Analysis) -> Vec<HostView> {
    let mut names: Vec<(String, Vec<String>)> = a
        .hosts
        .iter()
        .map(|h| (h.name.clone(), h.aliases.clone()))
        .collect();
    for s in &a.sessions {
        if !names.iter().any(|(n, _)| **n == *s.host) {
            names.push((s.host.to_string(), Vec::new()));
        }
    }
    names
        .into_iter()
        .filter_map(|(name, aliases)| {
            let sessions = a.sessions.iter().filter(|s| *s.host == *name);
            let remote: Vec<_> = sessions.filter(|s| s.is_rdp_session()).collect();
            let count = |k: DropKind| {
                a.findings
                    .iter()
                    .filter(|f| *f.dropped.host == *name && f.dropped.kind == k)
                    .count()
            };
            let (dropped, refused) = (
                count(DropKind::SessionDropped),
                count(DropKind::ConnectionRefused),
            );
            if remote.is_empty() && dropped + refused == 0 {
                return None;
            }
            let ending = |e: Ending| remote.iter().filter(|s| s.ending == e).count();
            let mut counts = format!(
                "{} session(s) · {} interrupted · {} dropped · {} refused · {} open",
                thousands(remote.len()),
                thousands(ending(Ending::Interrupted)),
                thousands(dropped),
                thousands(refused),
                thousands(ending(Ending::Open)),
            );
            let shut = ending(Ending::Shutdown);
            if shut > 0 {
                counts.push_str(&format!(" · {} ended by a restart", thousands(shut)));
            }
            Some(HostView {
                trouble: dropped + refused,
                counts,
                name,
                aliases,
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .fold(Vec::new(), |mut all: Vec<HostView>, h| {
            let at = all.partition_point(|o| o.trouble >= h.trouble);
            all.insert(at, h);
            all
        })
}

/// The one-line answer for the top of every human format.
pub(crate) fn headline(report: &super::Report, hosts: usize) -> String {
    let a = &report.analysis;
    if report.inputs.iter().map(|f| f.records_read).sum::<u64>() == 0 {
        return "Nothing could be read: no records, so no answer (see the problems below)."
            .to_string();
    }
    let count = |k: DropKind| a.findings.iter().filter(|f| f.dropped.kind == k).count();
    let (dropped, refused) = (
        count(DropKind::SessionDropped),
        count(DropKind::ConnectionRefused),
    );
    let remote = || (a.sessions.iter()).filter(|s| s.is_rdp_session());
    let sessions = remote().count();
    let shut = remote().filter(|s| s.ending == Ending::Shutdown).count();
    if dropped + refused == 0 {
        let restarted = match shut {
            0 => String::new(),
            n => format!(
                " {} ended when the host was restarted or shut down on request (no failure).",
                plural(n, "session", "sessions")
            ),
        };
        return format!(
            "No drops or refused connections in {} RDP session(s) on {} host(s).{restarted}",
            thousands(sessions),
            hosts
        );
    }
    let mut parts = Vec::new();
    if refused > 0 {
        parts.push(plural(refused, "refused connection", "refused connections"));
    }
    if dropped > 0 {
        parts.push(plural(dropped, "dropped session", "dropped sessions"));
    }
    format!(
        "{} on {}, in {}.",
        parts.join(" and "),
        plural(hosts, "host", "hosts"),
        plural(a.incidents.len(), "incident", "incidents"),
    )
}

/// `1 host`, `29,293 refused connections`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_short() {
        assert_eq!(duration(21), "21 s");
        assert_eq!(duration(150), "3 min");
        assert_eq!(duration(7500), "2 h 5 min");
        assert_eq!(duration(47 * 3600 + 59 * 60), "47 h 59 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3600 + 59), "2 d 4 h");
        assert_eq!(duration(226_074_360), "2,617 days");
    }
}
