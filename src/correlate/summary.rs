//! Summaries per host, user, client address and cause ("7 of 9 drops on RDS01
//! came within 2 min of ..."), and the timeline.

use super::coverage::join;
use super::input::{AlertAt, Input};
use super::intern::Interner;
use super::model::{
    Ending, EventRef, Finding, Session, SessionKind, Summaries, SummaryRow, TimelineEntry,
    TimelineKind,
};
use super::rank::{fill, human};
use crate::rules::{Category, Level, Role, RuleInfo};
use foldhash::HashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Builds the four summaries.
pub(crate) fn summaries(sessions: &[Session], findings: &[Finding]) -> Summaries {
    let counted = |s: &&Session| {
        !matches!(s.kind, SessionKind::Console | SessionKind::Attempt)
            && s.ending != Ending::Transient
    };
    let group = |key: &dyn Fn(&Session) -> Option<String>,
                 dkey: &dyn Fn(&Finding) -> Option<String>,
                 what: &str| {
        let mut rows: BTreeMap<String, (usize, Vec<usize>)> = BTreeMap::new();
        for s in sessions.iter().filter(counted) {
            if let Some(k) = key(s) {
                rows.entry(k).or_default().0 += 1;
            }
        }
        for (i, f) in findings.iter().enumerate() {
            if let Some(k) = dkey(f) {
                rows.entry(k).or_default().1.push(i);
            }
        }
        rows.into_iter()
            .map(|(k, (n, drops))| row(&k, n, &drops, findings, what))
            .collect()
    };
    Summaries {
        hosts: group(
            &|s| Some(s.host.to_string()),
            &|f| Some(f.dropped.host.to_string()),
            "on",
        ),
        users: group(&|s| s.user.clone(), &|f| f.dropped.user.clone(), "of"),
        clients: group(
            &|s| s.client_address.clone(),
            &|f| f.dropped.client_address.clone(),
            "from",
        ),
        causes: causes(findings),
    }
}

/// One row: `n` sessions and the findings `drops` of `key`.
fn row(
    key: &str,
    sessions: usize,
    drops: &[usize],
    findings: &[Finding],
    what: &str,
) -> SummaryRow {
    let mut by_rule: BTreeMap<&str, (usize, f64, &str, Category)> = BTreeMap::new();
    let mut by_cat: BTreeMap<Category, usize> = BTreeMap::new();
    for f in drops.iter().map(|i| &findings[*i]) {
        if let Some(c) = f.verdict.category {
            *by_cat.entry(c).or_default() += 1;
        }
        if let Some(top) = f.causes.first() {
            let e = by_rule
                .entry(&*top.rule_id)
                .or_insert((0, 0.0, &*top.title, top.category));
            e.0 += 1;
            e.1 = e.1.max(top.offset_seconds.abs());
        }
    }
    let top_cat = by_cat
        .iter()
        .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)));
    let top_rule = by_rule.values().max_by_key(|(n, ..)| *n);
    let n = drops.len();
    let text = match (n, top_rule) {
        (0, _) => format!("{key}: {sessions} sessions, no drops."),
        (_, Some((k, within, title, cat))) => format!(
            "{k} of {n} drops {what} {key} came within {} of {title} ({cat}).",
            human(within.max(1.0))
        ),
        (_, None) => {
            format!("{n} drops {what} {key}; nothing in the given logs coincides with them.")
        }
    };
    SummaryRow {
        key: key.to_string(),
        sessions,
        drops: n,
        top_category: top_cat.map(|(c, _)| *c),
        top_count: top_cat.map_or(0, |(_, n)| *n),
        text,
    }
}

/// One row per cause rule: how many drops it coincided with, and led.
fn causes(findings: &[Finding]) -> Vec<SummaryRow> {
    let mut rows: BTreeMap<&str, (usize, usize, &str, Category, Vec<&str>)> = BTreeMap::new();
    for f in findings {
        for (rank, c) in f.causes.iter().enumerate() {
            let e = rows
                .entry(&*c.rule_id)
                .or_insert((0, 0, &*c.title, c.category, Vec::new()));
            e.0 += 1;
            e.1 += usize::from(rank == 0);
            if !e.4.contains(&&*f.dropped.host) {
                e.4.push(&*f.dropped.host);
            }
        }
    }
    let total = findings.len();
    rows.into_iter()
        .map(|(id, (drops, led, title, cat, hosts))| SummaryRow {
            key: id.to_string(),
            sessions: 0,
            drops,
            top_category: Some(cat),
            top_count: led,
            text: format!(
                "{title} coincided with {drops} of {total} drops (the most likely cause of {led}), on {}.",
                join(&hosts, "and")
            ),
        })
        .collect()
}

/// The timeline: life-cycle steps, drops, their causes and context alerts (of
/// `min_level` or above, when given), in time order.
pub(crate) fn timeline(
    input: &Input,
    sessions: &[Session],
    findings: &[Finding],
    min_level: Option<Level>,
) -> Vec<TimelineEntry> {
    // Sized once: a timeline of a burst holds a hundred thousand entries, and
    // growing it by doubling copied each of them several times.
    let steps: usize = sessions.iter().map(|s| s.steps.len()).sum();
    let causes: usize = findings.iter().map(|f| f.causes.len()).sum();
    let alerts = input.alerted(min_level).count();
    let mut out = Vec::with_capacity(steps + findings.len() + causes + alerts);
    let titles: HashMap<&str, &str> = input.rules.iter().map(|r| (&*r.id, &*r.title)).collect();
    // A burst repeats the same steps with the same words thousands of times: each
    // text is made once.
    let mut texts = Interner::default();
    let mut message = String::new();
    for s in sessions {
        for step in &s.steps {
            message.clear();
            let title = titles.get(&*step.rule_id).copied();
            step_message(&mut message, s, title, step.event.event_id);
            out.push(TimelineEntry {
                time: step.time,
                host: s.host.clone(),
                kind: TimelineKind::Lifecycle,
                category: None,
                level: None,
                rule_id: step.rule_id.clone(),
                title: texts.get(step.step.as_str()),
                message: texts.get(&message),
                session: Some(s.index),
                finding: None,
                event: step.event.clone(),
            });
        }
    }
    finding_entries(findings, &mut out);
    shutdown_entries(input, sessions, &mut out);
    out.extend(context(input, min_level));
    // In time order, then by host name, keeping the order above among equals. The
    // keys are sorted and each entry is then moved once into its place: sorting the
    // entries themselves moved each of them (over 100 bytes) many times, through a scratch
    // buffer half the size of the timeline.
    let ranks = host_ranks(&out);
    out.sort_by_cached_key(|e| (e.time, ranks[&e.host]));
    out
}

/// Each host of `entries` by its place in the order of host names.
fn host_ranks(entries: &[TimelineEntry]) -> HashMap<Arc<str>, u32> {
    let mut names: Vec<&Arc<str>> = Vec::new();
    for e in entries {
        // Entries come in runs of one host: only a change of host is noted.
        if names.last().is_none_or(|l| !Arc::ptr_eq(l, &e.host)) {
            names.push(&e.host);
        }
    }
    names.sort_unstable();
    names.dedup();
    (0u32..)
        .zip(names)
        .map(|(rank, name)| (Arc::clone(name), rank))
        .collect()
}

/// Each finding's drop and the causes it names (each cause record once, with its
/// session only when it explains the drops of no other session: a crash that
/// dropped forty sessions is no one session's).
fn finding_entries(findings: &[Finding], out: &mut Vec<TimelineEntry>) {
    let (dropped, refused): (Arc<str>, Arc<str>) = (
        Arc::from("Session dropped"),
        Arc::from("Connection refused"),
    );
    // Files by their path's bytes: hashing a `Path` walks its components.
    let mut seen: HashMap<_, usize> = HashMap::default();
    for (i, f) in findings.iter().enumerate() {
        let d = &f.dropped;
        if let Some(ev) = d.evidence.first() {
            out.push(TimelineEntry {
                time: d.time,
                host: d.host.clone(),
                kind: TimelineKind::Drop,
                category: f.verdict.category,
                level: None,
                rule_id: d.rule_id.clone(),
                title: Arc::clone(match d.kind {
                    crate::correlate::model::DropKind::SessionDropped => &dropped,
                    crate::correlate::model::DropKind::ConnectionRefused => &refused,
                }),
                message: f.verdict.summary.clone(),
                session: d.session,
                finding: Some(i),
                event: ev.clone(),
            });
        }
        for c in &f.causes {
            let key = (c.evidence.source().as_os_str(), c.evidence.record_id);
            if let Some(&at) = seen.get(&key) {
                if out[at].session != d.session {
                    out[at].session = None;
                }
            } else {
                seen.insert(key, out.len());
                out.push(TimelineEntry {
                    time: c.time,
                    host: d.host.clone(),
                    kind: TimelineKind::Cause,
                    category: Some(c.category),
                    level: None,
                    rule_id: c.rule_id.clone(),
                    title: c.title.clone(),
                    message: c.explanation.clone(),
                    session: d.session,
                    finding: Some(i),
                    event: c.evidence.clone(),
                });
            }
        }
    }
}

/// The restart and shutdown records (User32 1074, EventLog 6006, ...) near the end of
/// each session that a requested restart or shutdown ended: what ended those sessions,
/// which no finding shows.
fn shutdown_entries(input: &Input, sessions: &[Session], out: &mut Vec<TimelineEntry>) {
    let ends: Vec<(&str, chrono::DateTime<chrono::Utc>)> = sessions
        .iter()
        .filter(|s| s.ending == Ending::Shutdown)
        .map(|s| (&*s.host, s.end))
        .collect();
    if ends.is_empty() {
        return;
    }
    for (host, range) in &input.hosts {
        let host_ends: Vec<_> = ends.iter().filter(|(h, _)| *h == &**host).collect();
        for i in range.clone().filter(|_| !host_ends.is_empty()) {
            let m = &input.items[i];
            let near = |t: chrono::DateTime<chrono::Utc>| {
                (m.event.time - t).abs() <= super::drop::SHUTDOWN_NEAR
            };
            let Some(rule) = m
                .with_role(Role::Cause)
                .find(|r| r.category() == Some(Category::Power))
            else {
                continue;
            };
            if !host_ends.iter().any(|(_, t)| near(*t)) {
                continue;
            }
            out.push(TimelineEntry {
                kind: TimelineKind::Cause,
                level: None,
                message: explained(rule, &m.event),
                ..alert_entry(rule, host, input.event_ref(i))
            });
        }
    }
}

/// Writes "what happened (its rule's title): whose session from where" to `out`
/// ("at the console" for a console session).
fn step_message(out: &mut String, s: &Session, title: Option<&str>, id: u16) {
    use std::fmt::Write;
    let who = s.user.as_deref().unwrap_or("?");
    // Writing to a String cannot fail.
    let _ = match title {
        Some(t) if names_number(t, id) => write!(out, "{t}"),
        Some(t) => write!(out, "{t} (event {id})"),
        None => write!(out, "event {id}"),
    };
    // An attempt known only from the listener's accept names nobody: say nothing
    // rather than "session ? of ? from ?".
    if s.session_id.is_none() && s.user.is_none() && s.kind != SessionKind::Console {
        if let Some(from) = s.client_address.as_deref() {
            let _ = write!(out, ": from {from}");
        }
        return;
    }
    let _ = match s.session_id {
        Some(sid) => write!(out, ": Windows session {sid} of {who}"),
        // The logs name no Windows session id (RdpCoreTS or Security alone).
        None => write!(out, ": a session of {who}"),
    };
    let _ = match (s.kind, s.client_address.as_deref()) {
        (SessionKind::Console, _) => write!(out, " at the console"),
        (_, from) => write!(out, " from {}", from.unwrap_or("?")),
    };
}

/// True when `text` holds the decimal digits of `id` anywhere (a title that names its
/// event id, as `id.to_string()` would find them).
fn names_number(text: &str, id: u16) -> bool {
    let mut digits = [0u8; 5];
    let (mut n, mut at) = (id, digits.len());
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    memchr::memmem::find(text.as_bytes(), &digits[at..]).is_some()
}

/// Every event a context rule matched (of `min_level` or above, when given).
fn context(input: &Input, min_level: Option<Level>) -> impl Iterator<Item = TimelineEntry> + '_ {
    input.alerted(min_level).map(|(r, at)| match at {
        AlertAt::Item(i) => {
            let m = &input.items[i];
            TimelineEntry {
                message: explained(r, &m.event),
                ..alert_entry(r, &input.hosts[input.host_of(i)].0, input.event_ref(i))
            }
        }
        AlertAt::Alert(k) => {
            let a = &input.alerts[k];
            alert_entry(r, &a.host, a.event.clone())
        }
    })
}

/// What `rule` says of `event`: its `explain` filled from the event, else its title.
fn explained(rule: &RuleInfo, event: &crate::event::Event) -> Arc<str> {
    let explain = rule.extension.as_ref().and_then(|x| x.explain.as_deref());
    explain.map_or_else(|| Arc::clone(&rule.title), |t| fill(t, event).into())
}

/// The timeline line of an alert of `rule`, its message the rule's title.
fn alert_entry(rule: &Arc<RuleInfo>, host: &Arc<str>, event: EventRef) -> TimelineEntry {
    TimelineEntry {
        time: event.time,
        host: Arc::clone(host),
        kind: TimelineKind::Context,
        category: rule.category(),
        level: Some(rule.level),
        rule_id: Arc::clone(&rule.id),
        title: Arc::clone(&rule.title),
        message: Arc::clone(&rule.title),
        session: None,
        finding: None,
        event,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_names_its_event_id_by_its_digits() {
        assert!(names_number("Connection received (RCM 261)", 261));
        assert!(names_number("Schannel 36874", 36874));
        assert!(names_number("event 0", 0));
        assert!(!names_number("Connection received (RCM 261)", 62));
        assert!(!names_number("Session logon (LSM 21)", 261));
    }
}
