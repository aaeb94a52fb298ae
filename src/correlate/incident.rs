//! Findings grouped into incidents, so that a burst reads as one answer:
//!
//! - **Refusals** on one host with the same verdict category and cause rule,
//!   each within [`REFUSAL_GAP`] of the previous one, are one incident, whatever
//!   their clients (one certificate refuses every client; a password spray comes
//!   from many addresses; the incident counts each); refusals without a client
//!   address are grouped by user instead. Refusals
//!   that name no client at all (Schannel records in System carry none) join
//!   the incident of the same host and category whose time span they fall
//!   into, when there is exactly one; otherwise they are an incident of their
//!   own.
//! - **Drops** on one host with the same category and cause rule, each within
//!   [`DROP_GAP`] of the previous one, are one incident across users: a
//!   service crash or a reboot that ends forty sessions at once is one wave.
//! - A burst of refusals followed, within [`LOGON_AFTER`] of its last refusal,
//!   by a successful logon from a client it refused at least [`BURST`] times is flagged: someone
//!   who was refused many times got in.
//! - A burst of at least [`TOOL_COUNT`] refusals at least one per [`TOOL_PACE`] on
//!   average is a tool's (a scanner, password guessing): its fix says to block the
//!   source first, before the cause rule's cure for a legitimate client.
//!
//! Incidents are ordered by importance: flagged bursts first, then drops, then
//! refusals, larger first; each finding records the index of its incident.

use super::model::{
    Confidence, DropKind, EventRef, Finding, Incident, IncidentKind, LogonAfter, Session,
    SessionKind, Tally,
};
use crate::vocab::{Category, Step};
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use std::sync::Arc;

/// The longest pause inside one burst of refusals.
pub const REFUSAL_GAP: TimeDelta = TimeDelta::minutes(10);
/// The longest pause inside one wave of drops.
pub const DROP_GAP: TimeDelta = TimeDelta::minutes(2);
/// How soon after a burst's last refusal a logon from its client is flagged.
pub const LOGON_AFTER: TimeDelta = TimeDelta::minutes(10);
/// How long after a burst the later sessions of its client are listed with the logon.
const LATER_SESSIONS: TimeDelta = TimeDelta::hours(24);
/// A burst is at least this many refusals.
const BURST: usize = 3;
/// A burst of at least this many refusals ...
const TOOL_COUNT: usize = 10;
/// ... this close together on average comes from a tool, not a person retrying.
const TOOL_PACE: TimeDelta = TimeDelta::seconds(15);

/// What findings must share to be one incident.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    host: Arc<str>,
    kind: IncidentKind,
    category: Option<Category>,
    rule: Arc<str>,
    who: Who,
}

/// Whom the refusals of an incident share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    /// Refusals that name their client: one incident whatever the client (one
    /// certificate refuses every client; a spray comes from many addresses); the
    /// incident counts each client.
    Clients,
    /// Refusals without a client address but with a user: per user.
    User(String),
    /// Refusals that name neither (Schannel in System), and drops.
    Nobody,
}

fn key(f: &Finding) -> Key {
    let d = &f.dropped;
    let kind = match d.kind {
        DropKind::ConnectionRefused => IncidentKind::Refusals,
        DropKind::SessionDropped => IncidentKind::Drops,
    };
    let who = match (kind, &d.client_address, &d.user) {
        (IncidentKind::Refusals, Some(_), _) => Who::Clients,
        (IncidentKind::Refusals, None, Some(user)) => Who::User(user.clone()),
        _ => Who::Nobody,
    };
    Key {
        host: d.host.clone(),
        kind,
        category: f.verdict.category,
        rule: Arc::clone(rule_of(f)),
        who,
    }
}

/// The cause rule a finding is filed under: its top cause's, else its own.
fn rule_of(f: &Finding) -> &Arc<str> {
    f.causes.first().map_or(&f.dropped.rule_id, |c| &c.rule_id)
}

/// Groups `findings` into incidents, sets each finding's `incident`, and
/// returns the incidents, most important first.
pub fn group(sessions: &[Session], findings: &mut [Finding]) -> Vec<Incident> {
    let incidents = incidents_of(sessions, findings);
    number(&incidents, findings);
    incidents
}

/// Sets each finding's `incident` to the index of the incident that holds it.
pub(crate) fn number(incidents: &[Incident], findings: &mut [Finding]) {
    for x in incidents {
        for f in &x.findings {
            findings[*f].incident = x.index;
        }
    }
}

/// The incidents of `findings`, most important first, without touching the
/// findings (so that the other views can be built from them meanwhile).
pub(crate) fn incidents_of(sessions: &[Session], findings: &[Finding]) -> Vec<Incident> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|i| findings[*i].dropped.time);
    // Open groups per key: (members, last time).
    let mut open: HashMap<Key, usize> = HashMap::default();
    let mut groups: Vec<(Key, Vec<usize>)> = Vec::new();
    for i in order {
        let k = key(&findings[i]);
        let t = findings[i].dropped.time;
        let gap = match k.kind {
            IncidentKind::Refusals => REFUSAL_GAP,
            IncidentKind::Drops => DROP_GAP,
        };
        match open.get(&k) {
            Some(&g) if t - findings[*groups[g].1.last().unwrap_or(&i)].dropped.time <= gap => {
                groups[g].1.push(i);
            }
            _ => {
                open.insert(k.clone(), groups.len());
                groups.push((k, vec![i]));
            }
        }
    }
    let groups = fold_unaddressed(findings, groups);
    let mut incidents: Vec<Incident> = groups
        .into_iter()
        .map(|(k, members)| incident(sessions, findings, k, members))
        .collect();
    flag_logons(sessions, &mut incidents);
    incidents.sort_by_key(|x| {
        (
            x.logon_after.is_none(),
            x.kind == IncidentKind::Refusals,
            std::cmp::Reverse(x.count),
            x.first,
        )
    });
    for (n, x) in incidents.iter_mut().enumerate() {
        x.index = n;
        x.id = format!("I{}", n + 1);
    }
    incidents
}

/// Moves refusal groups that name no client into the one group of the same
/// host and category whose span (widened by the gap) holds them all.
fn fold_unaddressed(
    findings: &[Finding],
    groups: Vec<(Key, Vec<usize>)>,
) -> Vec<(Key, Vec<usize>)> {
    let span = |m: &[usize]| {
        let t = |i: &usize| findings[*i].dropped.time;
        (
            m.iter().map(t).min().unwrap_or_default(),
            m.iter().map(t).max().unwrap_or_default(),
        )
    };
    let unaddressed = |k: &Key| k.kind == IncidentKind::Refusals && k.who == Who::Nobody;
    let (loose, mut kept): (Vec<_>, Vec<_>) = groups.into_iter().partition(|(k, _)| unaddressed(k));
    let mut left = Vec::new();
    for (k, members) in loose {
        let (a, z) = span(&members);
        let homes: Vec<usize> = (0..kept.len())
            .filter(|g| {
                let (gk, gm) = &kept[*g];
                let (ga, gz) = span(gm);
                gk.kind == IncidentKind::Refusals
                    && gk.host == k.host
                    && gk.category == k.category
                    && a >= ga - REFUSAL_GAP
                    && z <= gz + REFUSAL_GAP
            })
            .collect();
        match homes[..] {
            [g] => {
                kept[g].1.extend(members);
                kept[g].1.sort_by_key(|i| findings[*i].dropped.time);
            }
            _ => left.push((k, members)),
        }
    }
    kept.extend(left);
    kept
}

fn incident(sessions: &[Session], findings: &[Finding], k: Key, members: Vec<usize>) -> Incident {
    let first = &findings[members[0]];
    let last = &findings[members[members.len() - 1]];
    let tally = |pick: &dyn Fn(&Finding) -> Option<&str>| {
        let mut counts: HashMap<&str, usize> = HashMap::default();
        for f in members.iter().map(|i| &findings[*i]) {
            if let Some(name) = pick(f) {
                *counts.entry(name).or_default() += 1;
            }
        }
        let mut list: Vec<Tally> = counts
            .into_iter()
            .map(|(name, count)| Tally {
                name: name.to_string(),
                count,
            })
            .collect();
        list.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        list
    };
    let clients = tally(&|f| f.dropped.client_address.as_deref());
    let users = tally(&|f| f.dropped.user.as_deref());
    let without_client = members
        .iter()
        .filter(|i| findings[**i].dropped.client_address.is_none())
        .count();
    let mut confidences = [0usize; 3];
    for f in members.iter().map(|i| &findings[*i]) {
        confidences[f.verdict.confidence as usize] += 1;
    }
    let confidence = [Confidence::Low, Confidence::Medium, Confidence::High]
        .into_iter()
        .max_by_key(|c| confidences[*c as usize])
        .unwrap_or(Confidence::Low); // ties: the higher
    let mut evidence: Vec<EventRef> = first.dropped.evidence.iter().take(1).cloned().collect();
    if let Some(c) = first.causes.first()
        && !evidence.contains(&c.evidence)
    {
        evidence.push(c.evidence.clone());
    }
    let title = title(
        &k,
        members.len(),
        &clients,
        &users,
        cause_title(&k, first).as_deref(),
        sessions,
        first,
    );
    let span = last.dropped.time - first.dropped.time;
    let fix = burst_fix(&k, members.len(), span, clients.len())
        .map(|advice| match &first.verdict.fix {
            Some(own) => format!("{advice} If the client is a legitimate one: {own}").into(),
            None => advice.into(),
        })
        .or_else(|| first.verdict.fix.clone());
    Incident {
        index: 0,
        id: String::new(),
        host: k.host,
        kind: k.kind,
        category: k.category,
        rule_id: k.rule,
        title: title.into(),
        count: members.len(),
        first: first.dropped.time,
        last: last.dropped.time,
        clients,
        without_client,
        users,
        findings: members,
        confidence,
        summary: first.verdict.summary.to_string(),
        fix,
        evidence,
        logon_after: None,
    }
}

/// What to do about `count` refusals from `sources` client addresses within `span`, when
/// they came too many and too fast for a person retrying: a scanner or a password-guessing
/// tool, whose cure is not the cause rule's (re-enabling an old cipher suite, checking a
/// user's saved password).
fn burst_fix(k: &Key, count: usize, span: TimeDelta, sources: usize) -> Option<String> {
    let paced = count >= TOOL_COUNT && span <= TOOL_PACE * (count as i32 - 1);
    if k.kind != IncidentKind::Refusals || !paced {
        return None;
    }
    let block = match sources {
        // The records name no client (RCM 261, Schannel): the network's logs do.
        0 => {
            "find the source in the firewall's or VPN's logs (these records name none) and block it"
                .to_string()
        }
        1 => "block the source".to_string(),
        n => format!("block the {} sources", thousands(n)),
    };
    let first = match k.category {
        Some(Category::Tls | Category::Certificate) => {
            format!("{block} and do not weaken the server's TLS settings for them")
        }
        Some(Category::Authentication) => {
            format!("{block} and reset the password of any account that logged on from them")
        }
        _ => block,
    };
    // With no client named, every logon to the host after the burst is suspect.
    let whose = if sources == 0 {
        "to this host (RCM 1149, LSM 21)"
    } else {
        "from that client"
    };
    let advice = format!(
        "{} refusals in {}: a tool (a scanner or password guessing), not a user. First \
         {first}; then keep RDP off the Internet (RD Gateway or VPN), enforce account lockout \
         and check every logon {whose} after the burst.",
        thousands(count),
        super::rank::human(span.num_milliseconds() as f64 / 1000.0)
    );
    Some(advice)
}

/// What the incident's title names as the cause: the first finding's top cause, else
/// the status its own record carries, else that record's rule when it says why.
fn cause_title(k: &Key, first: &Finding) -> Option<String> {
    let top = first.causes.first().map(|c| c.title.to_string());
    top.or_else(|| logged_reason(k, first))
        .or_else(|| first.verdict.said_by.as_deref().map(str::to_string))
}

/// What a drop or refusal with no cause record says of itself: the status or reason
/// its own record carries (TermDD 56's, LSM 40's), "the connection timed out: ...
/// (STATUS_IO_TIMEOUT in the record)". A drop's reason 0 says nothing, so it is left out.
fn logged_reason(k: &Key, first: &Finding) -> Option<String> {
    let r = first.dropped.reason.as_ref()?;
    if k.kind != IncidentKind::Refusals && r.code == 0 {
        return None;
    }
    let mut meaning = r.meaning.chars();
    // "The connection ..." reads "the connection ...", "NTSTATUS ..." and "X.509 ..."
    // stay as they are.
    let first_word = r.meaning.split(' ').next().unwrap_or_default();
    let acronym = first_word.chars().count() > 1 && !first_word.chars().any(char::is_lowercase);
    let initial = meaning.next().map(|c| match acronym {
        true => c.to_string(),
        false => c.to_lowercase().to_string(),
    });
    Some(format!(
        "{}{} ({} in the record)",
        initial.unwrap_or_default(),
        meaning.as_str(),
        r.name
    ))
}

/// "29,205 connections from 194.61.24.102 refused: TLS client offered no
/// cipher suite the server supports (Schannel 36874)".
// Long: each parameter is a part of the incident the title names, counted once by the caller for other uses too.
fn title(
    k: &Key,
    n: usize,
    clients: &[Tally],
    users: &[Tally],
    cause: Option<&str>,
    sessions: &[Session],
    first: &Finding,
) -> String {
    let why = cause.map_or_else(|| "no cause in these logs".to_string(), |c| c.to_string());
    let names = |list: &[Tally]| {
        let mut s = list
            .iter()
            .take(3)
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        if list.len() > 3 {
            s.push_str(&format!(" and {} more", list.len() - 3));
        }
        s
    };
    match k.kind {
        IncidentKind::Refusals => {
            let addressed: usize = clients.iter().map(|c| c.count).sum();
            let from = if !clients.is_empty() && addressed < n {
                format!(
                    " ({} from {}, {} without a client address)",
                    thousands(addressed),
                    names(clients),
                    thousands(n - addressed)
                )
            } else if !clients.is_empty() {
                format!(" from {}", names(clients))
            } else if !users.is_empty() {
                format!(" for {}", names(users))
            } else {
                String::new()
            };
            let what = if n == 1 {
                "1 connection".to_string()
            } else {
                format!("{} connections", thousands(n))
            };
            if from.starts_with(" (") {
                format!("{what} refused{from}: {why}")
            } else {
                format!("{what}{from} refused: {why}")
            }
        }
        IncidentKind::Drops => {
            let who = if users.is_empty() {
                String::new()
            } else {
                format!(" ({})", names(users))
            };
            if n == 1 {
                let sid = first
                    .dropped
                    .session
                    .and_then(|s| sessions.get(s))
                    .and_then(|s| s.user.as_deref())
                    .map_or_else(String::new, |u| format!(" of {u}"));
                format!("1 session{sid} dropped: {why}")
            } else {
                format!("{} sessions{who} dropped: {why}", thousands(n))
            }
        }
    }
}

/// `29205` -> `29,205`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// When a session's logon succeeded: its first authentication or logon step.
fn logon_time(s: &Session) -> Option<DateTime<Utc>> {
    s.steps
        .iter()
        .find(|st| matches!(st.step, Step::Auth | Step::Logon | Step::Reconnect))
        .map(|st| st.time)
}

/// Flags bursts of refusals that a logon from the same client followed: each
/// logon goes to the burst from its address that ended last before it. A burst
/// whose records name no client (RCM 261, Schannel) takes any logon to the host.
fn flag_logons(sessions: &[Session], incidents: &mut [Incident]) {
    for s in sessions.iter().filter(|s| s.kind == SessionKind::Remote) {
        let Some(t) = logon_time(s) else {
            continue;
        };
        let addr = s.client_address.as_deref();
        let burst = (0..incidents.len())
            .filter(|x| {
                let x = &incidents[*x];
                // The client itself was refused a burst's worth of times: one
                // mistyped password in the middle of a spray is not a compromise.
                let from_it = x
                    .clients
                    .iter()
                    .any(|c| Some(&*c.name) == addr && c.count >= BURST);
                let nameless = x.clients.is_empty() && x.without_client >= BURST;
                x.kind == IncidentKind::Refusals
                    && x.host == s.host
                    && x.count >= BURST
                    && (from_it || nameless)
                    && x.first <= t
                    && t <= x.last + LOGON_AFTER
            })
            .max_by_key(|x| incidents[*x].last);
        let Some(x) = burst else {
            continue;
        };
        let seconds = (t - incidents[x].last).num_milliseconds() as f64 / 1000.0;
        let better = incidents[x].logon_after.as_ref().is_none_or(|l| l.time > t);
        if better {
            incidents[x].logon_after = Some(LogonAfter {
                session: s.index,
                user: s.user.clone(),
                time: t,
                seconds_after_last: seconds,
                later_sessions: Vec::new(),
            });
        }
    }
    for x in incidents.iter_mut() {
        let Some(l) = x.logon_after.as_mut() else {
            continue;
        };
        let addr = sessions
            .get(l.session)
            .and_then(|s| s.client_address.as_deref());
        l.later_sessions = sessions
            .iter()
            .filter(|s| {
                s.kind == SessionKind::Remote
                    && s.host == x.host
                    && s.index != l.session
                    && s.client_address.as_deref() == addr
                    && logon_time(s).is_some_and(|t| t > l.time && t <= x.last + LATER_SESSIONS)
            })
            .map(|s| s.index)
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::model::{Drop, Verdict};

    fn finding(secs: i64, kind: DropKind, client: Option<&str>, category: Category) -> Finding {
        Finding {
            id: "F1".into(),
            dropped: Drop {
                index: 0,
                host: "RDS01".into(),
                time: DateTime::<Utc>::from_timestamp(1_700_000_000 + secs, 0).unwrap(),
                kind,
                session: None,
                user: None,
                client_address: client.map(str::to_string),
                reason: None,
                rule_id: format!("own-{category}").into(),
                evidence: Vec::new(),
            },
            causes: Vec::new(),
            verdict: Verdict {
                category: Some(category),
                confidence: Confidence::Medium,
                summary: Arc::from(""),
                fix: None,
                missing_logs: Vec::new(),
                said_by: None,
            },
            incident: usize::MAX,
        }
    }

    #[test]
    fn a_burst_from_one_client_is_one_incident_and_a_pause_splits_it() {
        use DropKind::ConnectionRefused as R;
        let mut f: Vec<Finding> = (0..50)
            .map(|s| finding(s, R, Some("194.61.24.102"), Category::Tls))
            .collect();
        f.push(finding(20, R, None, Category::Tls));
        f.push(finding(30, R, Some("10.0.0.9"), Category::Authentication));
        f.push(finding(
            50 + 11 * 60,
            R,
            Some("194.61.24.102"),
            Category::Tls,
        ));
        let incidents = group(&[], &mut f);
        assert_eq!(incidents.len(), 3, "{incidents:#?}");
        assert_eq!(incidents[0].count, 51);
        assert_eq!(incidents[0].without_client, 1);
        assert!(
            incidents[0].title.starts_with(
                "51 connections refused (50 from 194.61.24.102, 1 without a client address)"
            ),
            "{}",
            incidents[0].title
        );
        assert!(f.iter().all(|x| x.incident < 3));
        assert_eq!(f[0].incident, 0);
        // Fifty-one refusals in 49 seconds are a tool's: its advice comes first, the
        // rule's after it; two from another client are a person's.
        let fix = incidents[0].fix.as_deref().unwrap_or_default();
        assert!(
            fix.starts_with("51 refusals in 49 s: a tool") && fix.contains("do not weaken"),
            "{fix}"
        );
        assert!(incidents.iter().skip(1).all(|x| x.fix.is_none()));
    }

    #[test]
    fn refusals_of_one_cause_from_many_clients_are_one_incident_that_counts_each() {
        use DropKind::ConnectionRefused as R;
        // A spray: a few tries from each of many addresses, close together.
        let mut f: Vec<Finding> = (0..12)
            .map(|k| {
                let client = format!("203.0.113.{}", k % 4);
                finding(k * 10, R, Some(&client), Category::Authentication)
            })
            .collect();
        // The same cause an hour later is another incident.
        f.push(finding(
            3600,
            R,
            Some("203.0.113.9"),
            Category::Authentication,
        ));
        let incidents = group(&[], &mut f);
        assert_eq!(incidents.len(), 2, "{incidents:#?}");
        assert_eq!(incidents[0].count, 12);
        assert_eq!(incidents[0].clients.len(), 4);
        assert!(incidents[0].clients.iter().all(|c| c.count == 3));
        assert!(
            incidents[0].title.starts_with(
                "12 connections from 203.0.113.0, 203.0.113.1, 203.0.113.2 and 1 more refused"
            ),
            "{}",
            incidents[0].title
        );
        let fix = incidents[0].fix.as_deref().unwrap_or_default();
        assert!(fix.contains("block the 4 sources"), "{fix}");
    }

    #[test]
    fn only_many_refusals_close_together_are_a_tools() {
        use DropKind::{ConnectionRefused as R, SessionDropped as D};
        let paced = |n: i64, every: i64, kind| {
            let mut f: Vec<Finding> = (0..n)
                .map(|k| {
                    finding(
                        k * every,
                        kind,
                        Some("203.0.113.7"),
                        Category::Authentication,
                    )
                })
                .collect();
            for x in &mut f {
                x.verdict.fix = Some(Arc::from("check the password"));
            }
            let incidents = group(&[], &mut f);
            incidents[0].fix.as_deref().map(str::to_string)
        };
        let tool = paced(10, 15, R).unwrap_or_default();
        assert!(tool.starts_with("10 refusals in 2 min: a tool"), "{tool}");
        assert!(tool.ends_with("If the client is a legitimate one: check the password"));
        assert_eq!(paced(9, 1, R).as_deref(), Some("check the password"));
        assert_eq!(paced(10, 16, R).as_deref(), Some("check the password"));
        assert_eq!(paced(10, 1, D).as_deref(), Some("check the password"));
    }

    #[test]
    fn drops_close_together_are_one_wave_across_users() {
        use DropKind::SessionDropped as D;
        let mut f = vec![
            finding(0, D, Some("10.0.0.1"), Category::Service),
            finding(3, D, Some("10.0.0.2"), Category::Service),
            finding(4, D, Some("10.0.0.3"), Category::Service),
            finding(3600, D, Some("10.0.0.1"), Category::Network),
        ];
        let incidents = group(&[], &mut f);
        assert_eq!(incidents.len(), 2);
        assert_eq!(incidents[0].count, 3);
        assert_eq!(incidents[0].kind, IncidentKind::Drops);
        assert!(incidents[0].title.starts_with("3 sessions dropped"));
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(29205), "29,205");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
