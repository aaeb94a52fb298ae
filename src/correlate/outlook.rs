//! The outlook: what will break next on each host, as of the last record of its
//! logs. Three topics, each read from the events that state it (`docs/outlook.md`):
//!
//! - the RDP listener certificate: which one is in use (RCM 1056 names each
//!   self-signed certificate it makes, with its SHA1 thumbprint; 1052 states
//!   the days left of a configured one), when it expires (stated, or inferred
//!   from the six months a self-signed one lasts), and renewals that failed
//!   since (1053, 1055, 1057, 1058);
//! - RD licensing: a grace period that ends (1129) or ended (1128, 1069), no
//!   licensing mode (1068), no license server (1130-1133);
//! - recurring failures: the cause events of each category per week over the
//!   host's logs, with their trend.
//!
//! Where the logs cannot tell (no System log, no certificate event in its span),
//! the item says so at level `unknown` instead of guessing.

use super::input::Input;
use super::model::{
    Confidence, EventRef, HostCoverage, HostOutlook, ListenerCertificate, OutlookItem,
    OutlookLevel, OutlookTopic, WeekCount,
};
use crate::rules::Role;
use crate::vocab::Category;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use foldhash::HashSet;

/// How long a self-signed RDP listener certificate lasts (observed: six months).
const SELF_SIGNED_LIFE: TimeDelta = TimeDelta::days(182);
/// A certificate or grace period with fewer days left than this needs action now.
const ACT_WITHIN: TimeDelta = TimeDelta::days(14);
/// ... and one with fewer than this is to watch.
const WATCH_WITHIN: TimeDelta = TimeDelta::days(45);
/// How many weeks of counts a recurring item lists (the latest).
const WEEKS_SHOWN: usize = 12;
/// RCM: a self-signed listener certificate was made.
const CERT_MADE: &[u16] = &[1056];
/// RCM: the configured listener certificate expires in `param2` days.
const CERT_EXPIRING: &[u16] = &[1052];
/// RCM: the listener certificate expired, or could not be loaded, made or replaced.
const CERT_FAILED: &[u16] = &[1053, 1055, 1057, 1058];
/// RCM: the licensing grace period has expired (also under the 5028x message ids).
const GRACE_EXPIRED: &[u16] = &[1128, 50280, 1069];
/// RCM: the licensing grace period ends on `param1`.
const GRACE_ENDING: &[u16] = &[1129, 50281];
/// RCM: no licensing mode, or no reachable or compatible license server.
const NO_LICENSE_SERVER: &[u16] = &[1068, 1130, 1131, 1132, 1133, 50282, 50283, 50284, 50285];
/// Every RCM event the certificate and licensing items read.
const STATE_EVENTS: [&[u16]; 6] = [
    CERT_MADE,
    CERT_EXPIRING,
    CERT_FAILED,
    GRACE_EXPIRED,
    GRACE_ENDING,
    NO_LICENSE_SERVER,
];
/// Cause records of one category this close to the one before are one occurrence: a
/// restart writes 1074, 6006, 13, 6005 and 12; a burst of refused handshakes thousands of
/// Schannel records.
const OCCURRENCE_GAP: TimeDelta = TimeDelta::minutes(10);
/// Services that stop this soon after a restart or shutdown record stop because of it.
const SHUTDOWN_STOPS: TimeDelta = TimeDelta::minutes(10);
/// How many evidence records an item carries.
const EVIDENCE_SAMPLE: usize = 5;

/// The outlook of every host that has logs (`coverage`), from its matched events.
pub(crate) fn outlook(input: &Input, coverage: &[HostCoverage]) -> Vec<HostOutlook> {
    coverage
        .iter()
        .map(|cov| {
            let range = input
                .hosts
                .iter()
                .find(|(name, _)| **name == *cov.host)
                .map_or(0..0, |(_, r)| r.clone());
            let as_of = cov.channels.iter().map(|c| c.2).max();
            let system = cov
                .channels
                .iter()
                .find(|c| c.0.eq_ignore_ascii_case("System"))
                .map(|c| (c.1, c.2));
            let mut items = Vec::new();
            items.push(certificate(input, range.clone(), as_of, system));
            items.push(licensing(input, range.clone(), as_of, system));
            items.extend(recurring(input, range, as_of));
            items.sort_by_key(|i| std::cmp::Reverse(i.level));
            HostOutlook {
                host: cov.host.clone(),
                as_of,
                system_log: system.map(|(from, to)| [from, to]),
                items,
            }
        })
        .collect()
}

/// True when item `i` is a RemoteConnectionManager event with one of `ids`.
fn rcm(input: &Input, i: usize, ids: &[u16]) -> bool {
    let e = &input.items[i].event;
    e.provider
        .ends_with("TerminalServices-RemoteConnectionManager")
        && ids.contains(&e.event_id)
}

fn text(input: &Input, i: usize, field: &str) -> Option<String> {
    let value = input.items[i]
        .event
        .fields
        .get(field)?
        .as_text()
        .trim()
        .to_string();
    (!value.is_empty()).then_some(value)
}

/// A 40-digit SHA1 thumbprint from an event's binary data.
fn thumbprint(input: &Input, i: usize) -> Option<String> {
    let hex = text(input, i, "Binary")?;
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_uppercase())
}

fn fix_of(input: &Input, i: usize) -> Option<String> {
    input
        .rule(i, |r| r.extension.as_ref().is_some_and(|e| e.fix.is_some()))
        .and_then(|r| r.extension.as_ref()?.fix.as_deref().map(str::to_string))
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn span_words(system: (DateTime<Utc>, DateTime<Utc>)) -> String {
    format!("{} to {}", day(system.0), day(system.1))
}

fn sample(input: &Input, picks: &[usize]) -> Vec<EventRef> {
    let n = picks.len();
    let mut refs: Vec<EventRef> = picks
        .iter()
        .take(EVIDENCE_SAMPLE - 1)
        .map(|&i| input.event_ref(i))
        .collect();
    if n >= EVIDENCE_SAMPLE {
        refs.push(input.event_ref(picks[n - 1]));
    }
    refs
}

fn item(
    topic: OutlookTopic,
    level: OutlookLevel,
    confidence: Confidence,
    title: String,
    detail: String,
) -> OutlookItem {
    OutlookItem {
        topic,
        level,
        confidence,
        title,
        detail,
        fix: None,
        evidence: Vec::new(),
        certificates: Vec::new(),
        weekly: Vec::new(),
    }
}

/// The listener certificate item.
fn certificate(
    input: &Input,
    range: std::ops::Range<usize>,
    as_of: Option<DateTime<Utc>>,
    system: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> OutlookItem {
    let mut certs: Vec<ListenerCertificate> = Vec::new();
    let mut picks = Vec::new();
    let mut failure: Option<usize> = None;
    for i in range {
        if rcm(input, i, CERT_MADE) || rcm(input, i, CERT_EXPIRING) {
            picks.push(i);
            note_certificate(input, i, &mut certs);
            failure = None;
        } else if rcm(input, i, CERT_FAILED) {
            picks.push(i);
            failure = Some(i);
        }
    }
    let mut out = match (certs.last(), failure, system) {
        (_, Some(f), _) => renewal_failed(input, f),
        (Some(cert), None, _) => current(cert, as_of),
        (None, None, Some(span)) => item(
            OutlookTopic::Certificate,
            OutlookLevel::Unknown,
            Confidence::Low,
            "The RDP listener certificate in use cannot be told from these logs".to_string(),
            format!(
                "No listener-certificate event (RCM 1052, 1056) in the System log ({}): the \
                 certificate was made before it, or is a configured one that logs nothing until \
                 it nears its expiry",
                span_words(span)
            ),
        ),
        (None, None, None) => item(
            OutlookTopic::Certificate,
            OutlookLevel::Unknown,
            Confidence::Low,
            "The RDP listener certificate cannot be told: no System log was given".to_string(),
            "RemoteConnectionManager writes its certificate events (1052-1058) to the System log"
                .to_string(),
        ),
    };
    if out.fix.is_none()
        && out.level >= OutlookLevel::Watch
        && let Some(&last) = picks.last()
    {
        out.fix = fix_of(input, last);
    }
    out.evidence = sample(input, &picks);
    out.certificates = certs;
    out
}

/// Takes certificate event `i` (made, or expiring) into `certs`: a certificate
/// met before (the same thumbprint, or with none logged the same subject) is
/// seen again, else a new one is listed.
fn note_certificate(input: &Input, i: usize, certs: &mut Vec<ListenerCertificate>) {
    let e = &input.items[i].event;
    let thumb = thumbprint(input, i);
    let subject = text(input, i, "param1");
    // The same certificate: the same thumbprint, or with none logged the same subject.
    let known = certs.iter_mut().find(|c| match (&c.thumbprint, &thumb) {
        (Some(a), Some(b)) => a == b,
        (None, None) => c.subject == subject,
        _ => false,
    });
    let days = rcm(input, i, CERT_EXPIRING)
        .then(|| text(input, i, "param2")?.parse::<i64>().ok())
        .flatten();
    match known {
        Some(c) => {
            c.last_seen = e.time;
            if let Some(days) = days {
                c.expires = Some(e.time + TimeDelta::days(days));
                c.expiry_stated = true;
            }
        }
        None => certs.push(ListenerCertificate {
            thumbprint: thumb,
            subject,
            self_signed: rcm(input, i, CERT_MADE),
            first_seen: e.time,
            last_seen: e.time,
            expires: match days {
                Some(days) => Some(e.time + TimeDelta::days(days)),
                None => Some(e.time + SELF_SIGNED_LIFE),
            },
            expiry_stated: days.is_some(),
        }),
    }
}

/// The item when the last certificate event is a failure to renew or load one
/// (event `f`).
fn renewal_failed(input: &Input, f: usize) -> OutlookItem {
    let e = &input.items[f].event;
    let status = text(input, f, "param1")
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    let mut it = item(
        OutlookTopic::Certificate,
        OutlookLevel::ActNow,
        Confidence::High,
        format!(
            "The RDP listener certificate could not be renewed or loaded (RCM {} on {}{status})",
            e.event_id,
            day(e.time)
        ),
        "No certificate was made or loaded after this failure in the logs: connections fail \
         in the TLS handshake (0x904) until it is fixed"
            .to_string(),
    );
    it.fix = fix_of(input, f);
    it
}

/// The item for the certificate the logs last show.
fn current(cert: &ListenerCertificate, as_of: Option<DateTime<Utc>>) -> OutlookItem {
    let name = cert
        .thumbprint
        .as_deref()
        .unwrap_or("(no thumbprint logged)");
    let kind = if cert.self_signed {
        "self-signed"
    } else {
        "configured"
    };
    let left = cert.expires.zip(as_of).map(|(x, now)| x - now);
    let expires = cert.expires.map(day).unwrap_or_default();
    let (level, confidence, detail) = match (cert.self_signed, cert.expiry_stated, left) {
        (_, true, Some(left)) if left <= TimeDelta::zero() => (
            OutlookLevel::ActNow,
            Confidence::High,
            format!("It expired on {expires}, as RCM 1052 stated"),
        ),
        (_, true, Some(left)) => (
            if left <= ACT_WITHIN {
                OutlookLevel::ActNow
            } else if left <= WATCH_WITHIN {
                OutlookLevel::Watch
            } else {
                OutlookLevel::Ok
            },
            Confidence::High,
            format!(
                "It expires on {expires} ({} days after the last record), as RCM 1052 stated",
                left.num_days()
            ),
        ),
        (true, _, Some(left)) if left <= TimeDelta::zero() => (
            OutlookLevel::Watch,
            Confidence::Low,
            format!(
                "A self-signed listener certificate lasts about six months: this one should have been \
                 replaced around {expires}, and the logs show no newer one (RCM 1056). Check \
                 Cert:\\LocalMachine\\Remote Desktop"
            ),
        ),
        (true, _, _) => (
            OutlookLevel::Ok,
            Confidence::Medium,
            format!(
                "Made on {}; a self-signed certificate lasts about six months (to about {expires}, \
                 inferred) and is replaced automatically; clients that remembered it are asked to \
                 trust the new one",
                day(cert.first_seen)
            ),
        ),
        (false, _, _) => (
            OutlookLevel::Unknown,
            Confidence::Low,
            "A configured certificate whose expiry the logs do not state".to_string(),
        ),
    };
    item(
        OutlookTopic::Certificate,
        level,
        confidence,
        format!(
            "RDP listener certificate {name} ({kind}{}), seen {} to {}",
            cert.subject
                .as_deref()
                .map(|s| format!(", {s}"))
                .unwrap_or_default(),
            day(cert.first_seen),
            day(cert.last_seen)
        ),
        detail,
    )
}

/// The licensing item.
fn licensing(
    input: &Input,
    range: std::ops::Range<usize>,
    as_of: Option<DateTime<Utc>>,
    system: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> OutlookItem {
    let mut picks = Vec::new();
    let mut worst: Option<(OutlookLevel, usize)> = None;
    for i in range {
        let level = if rcm(input, i, GRACE_EXPIRED) {
            OutlookLevel::ActNow
        } else if rcm(input, i, GRACE_ENDING) {
            grace_level(text(input, i, "param1").as_deref(), as_of)
        } else if rcm(input, i, NO_LICENSE_SERVER) {
            OutlookLevel::Watch
        } else {
            continue;
        };
        picks.push(i);
        // The latest of the most urgent.
        if worst.is_none_or(|(w, _)| level >= w) {
            worst = Some((level, i));
        }
    }
    let mut out = match (worst, system) {
        (Some((level, i)), _) => {
            let e = &input.items[i].event;
            let what = if rcm(input, i, GRACE_EXPIRED) {
                "The RD Licensing grace period has expired".to_string()
            } else if rcm(input, i, GRACE_ENDING) {
                match text(input, i, "param1") {
                    Some(date) => format!("The RD Licensing grace period ends on {date}"),
                    None => "The RD Licensing grace period is about to end".to_string(),
                }
            } else {
                "RD Licensing has no licensing mode or no reachable license server".to_string()
            };
            let mut it = item(
                OutlookTopic::Licensing,
                level,
                Confidence::High,
                format!("{what} (RCM {}, last on {})", e.event_id, day(e.time)),
                format!(
                    "{} licensing event(s) in the logs; once the grace period is over, new \
                     connections are refused (licensing errors such as 0x904 are not logged per \
                     connection)",
                    picks.len()
                ),
            );
            it.fix = fix_of(input, i);
            it
        }
        (None, Some(span)) => item(
            OutlookTopic::Licensing,
            OutlookLevel::Ok,
            Confidence::Low,
            "No RD Licensing warning logged".to_string(),
            format!(
                "No grace-period or license-server event in the System log ({}); a host in the \
                 two-session administration mode needs no licensing",
                span_words(span)
            ),
        ),
        (None, None) => item(
            OutlookTopic::Licensing,
            OutlookLevel::Unknown,
            Confidence::Low,
            "RD Licensing cannot be told: no System log was given".to_string(),
            "RemoteConnectionManager writes its licensing warnings to the System log".to_string(),
        ),
    };
    out.evidence = sample(input, &picks);
    out
}

/// The level of a grace period that ends on `date` (as the event writes it).
fn grace_level(date: Option<&str>, as_of: Option<DateTime<Utc>>) -> OutlookLevel {
    let end = date.and_then(parse_day);
    match (end, as_of) {
        (Some(end), Some(now)) if end - now.date_naive() <= ACT_WITHIN => OutlookLevel::ActNow,
        _ => OutlookLevel::Watch,
    }
}

/// A day as RCM 1129 writes it: ISO, US or day-first numeric, with or without a time.
fn parse_day(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    for f in ["%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, f) {
            return Some(d);
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%d %H:%M:%S",
        "%m/%d/%Y %I:%M:%S %p",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, f) {
            return Some(t.date());
        }
    }
    None
}

/// One item per failure category whose cause events happened at least twice (two
/// occurrences, [`OCCURRENCE_GAP`] apart). Service stops during a restart or shutdown
/// are the restart's, not failures of their own.
fn recurring(
    input: &Input,
    range: std::ops::Range<usize>,
    as_of: Option<DateTime<Utc>>,
) -> Vec<OutlookItem> {
    let Some(now) = as_of else {
        return Vec::new();
    };
    let failed_otherwise = failed_otherwise(input, range.clone());
    let mut by_category: Vec<(Category, Vec<usize>)> = Vec::new();
    for i in range {
        // What the certificate and licensing items read is their state, not a recurrence.
        if STATE_EVENTS.iter().any(|ids| rcm(input, i, ids)) {
            continue;
        }
        let Some(category) = input.items[i]
            .with_role(Role::Cause)
            .find_map(|r| r.category())
        else {
            continue;
        };
        // The socket errors of a connection refused for a wrong password or a TLS
        // mismatch are its teardown, not a network failure.
        let activity = input.items[i].event.activity_id.as_deref();
        if category == Category::Network && activity.is_some_and(|a| failed_otherwise.contains(a)) {
            continue;
        }
        match by_category.iter_mut().find(|(c, _)| *c == category) {
            Some((_, list)) => list.push(i),
            None => by_category.push((category, vec![i])),
        }
    }
    let time = |i: usize| input.items[i].event.time;
    let power: Vec<DateTime<Utc>> = by_category
        .iter()
        .filter(|(c, _)| *c == Category::Power)
        .flat_map(|(_, list)| list.iter().map(|&i| time(i)))
        .collect();
    if let Some((_, stops)) = by_category
        .iter_mut()
        .find(|(c, _)| *c == Category::Service)
    {
        stops.retain(|&i| !during_shutdown(&power, time(i)));
    }
    by_category.sort_by_key(|(c, _)| *c);
    by_category
        .into_iter()
        .filter_map(|(category, list)| recurring_item(input, category, &list, now))
        .collect()
}

/// The connections (activity ids) of `range` with a record of their own that failed for a
/// reason other than the network.
fn failed_otherwise(input: &Input, range: std::ops::Range<usize>) -> HashSet<&str> {
    range
        .filter(|&i| {
            let item = &input.items[i];
            item.rules.iter().any(|r| {
                matches!(r.role(), Role::Cause | Role::Drop)
                    && r.category().is_some_and(|c| c != Category::Network)
            })
        })
        .filter_map(|i| input.items[i].event.activity_id.as_deref())
        .collect()
}

/// True when `t` is at most [`SHUTDOWN_STOPS`] after one of the (sorted) `power` records.
fn during_shutdown(power: &[DateTime<Utc>], t: DateTime<Utc>) -> bool {
    let before = power.partition_point(|p| *p <= t);
    before > 0 && t - power[before - 1] <= SHUTDOWN_STOPS
}

/// Where each occurrence starts in the sorted `times` (indexes): a record more than
/// [`OCCURRENCE_GAP`] after the one before starts a new one.
fn occurrences(times: &[DateTime<Utc>]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut previous: Option<DateTime<Utc>> = None;
    for (k, &t) in times.iter().enumerate() {
        if previous.is_none_or(|p| t - p > OCCURRENCE_GAP) {
            starts.push(k);
        }
        previous = Some(t);
    }
    starts
}

/// How many of the restarts in `list` (power records, one occurrence from each of
/// `starts` to the next) were unexpected: a record of a high-level power rule
/// (EventLog 6008, Kernel-Power 41) says the host went down without a clean shutdown.
fn unexpected(input: &Input, list: &[usize], starts: &[usize]) -> usize {
    let ends = starts.iter().skip(1).copied().chain([list.len()]);
    starts
        .iter()
        .zip(ends)
        .filter(|(a, z)| {
            list[**a..*z]
                .iter()
                .any(|&i| super::drop::says_unclean_shutdown(input, i))
        })
        .count()
}

/// The item of `category` from its records `list`, when they happened at least twice.
fn recurring_item(
    input: &Input,
    category: Category,
    list: &[usize],
    now: DateTime<Utc>,
) -> Option<OutlookItem> {
    let week = TimeDelta::days(7);
    let times: Vec<DateTime<Utc>> = list.iter().map(|&i| input.items[i].event.time).collect();
    let at = occurrences(&times);
    if at.len() < 2 {
        return None;
    }
    let starts: Vec<DateTime<Utc>> = at.iter().map(|&k| times[k]).collect();
    let crashes = (category == Category::Power).then(|| unexpected(input, list, &at));
    let first = times[0];
    // Seven-day buckets ending at the last record: bucket 0 is the last week. The trend
    // counts occurrences, not records: a restart is one, whatever it wrote.
    let bucket = |t: DateTime<Utc>| ((now - t).num_seconds().max(0) / week.num_seconds()) as usize;
    let weeks = bucket(first) + 1;
    let mut counts = vec![0usize; weeks];
    for &t in &starts {
        counts[bucket(t)] += 1;
    }
    let last = counts[0];
    let busy_weeks = counts.iter().filter(|&&c| c > 0).count();
    let (trend, rising) = trend(&counts, busy_weeks);
    let level = match crashes {
        // Restarts that were all asked for are maintenance, not a failure coming back.
        Some(0) => OutlookLevel::Ok,
        Some(n) if n >= 2 && !rising => OutlookLevel::Watch,
        _ if rising && last >= 3 => OutlookLevel::ActNow,
        _ if busy_weeks >= 2 || rising || last >= 3 => OutlookLevel::Watch,
        _ => OutlookLevel::Ok,
    };
    let mut it = item(
        OutlookTopic::Recurring,
        level,
        if weeks >= 3 {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        recurring_title(category, &times, starts.len(), busy_weeks, weeks)
            + &crashes.map(restart_kinds).unwrap_or_default(),
        trend,
    );
    it.fix = list.last().and_then(|&i| fix_of(input, i));
    it.evidence = sample(input, list);
    it.weekly = counts
        .iter()
        .enumerate()
        .take(WEEKS_SHOWN)
        .map(|(n, &count)| WeekCount {
            ending: now - week * n as i32,
            count,
        })
        .collect();
    Some(it)
}

/// The trend of weekly `counts` (the last week first) in words, and whether it rises:
/// the last week against the mean of the earlier ones from the first occurrence on,
/// given occurrences in at least two earlier weeks.
fn trend(counts: &[usize], busy_weeks: usize) -> (String, bool) {
    let last = counts[0];
    let earlier = &counts[1..];
    if earlier.iter().filter(|&&c| c > 0).count() < 2 {
        let text = format!(
            "{busy_weeks} week(s) with such events: too few for a trend ({} time(s) in the \
             last week of the logs)",
            super::thousands(last)
        );
        return (text, false);
    }
    let mean = earlier.iter().sum::<usize>() as f64 / earlier.len() as f64;
    if last as f64 > 1.5 * mean + 1.0 {
        let text =
            format!("rising: {last} time(s) in the last week against {mean:.1} a week before");
        (text, true)
    } else if (last as f64) < 0.5 * mean {
        let text =
            format!("falling: {last} time(s) in the last week against {mean:.1} a week before");
        (text, false)
    } else {
        let text = format!("steady: {last} time(s) in the last week, {mean:.1} a week before");
        (text, false)
    }
}

/// "Recurring ..." over several weeks, "Repeated ..." within one: how many times
/// (`occurrences`), in how many records (`times`).
fn recurring_title(
    category: Category,
    times: &[DateTime<Utc>],
    occurrences: usize,
    busy_weeks: usize,
    weeks: usize,
) -> String {
    let (first, last) = (day(times[0]), day(times[times.len() - 1]));
    let when = if first == last {
        format!("on {first}")
    } else {
        format!("from {first} to {last}")
    };
    let what = events_of(category);
    let n = super::thousands(times.len());
    let k = super::thousands(occurrences);
    if busy_weeks >= 2 {
        format!("Recurring {what}: {k} times ({n} events) {when}, in {busy_weeks} of {weeks} weeks")
    } else {
        format!("Repeated {what}: {k} times ({n} events) {when}")
    }
}

/// ", 2 of them unexpected (...)" or ", all of them clean": what the restarts were.
fn restart_kinds(unexpected: usize) -> String {
    match unexpected {
        0 => ", all of them clean or asked for (no unexpected shutdown logged)".to_string(),
        n => format!(
            ", {} of them unexpected (EventLog 6008 or Kernel-Power 41: no clean shutdown)",
            super::thousands(n)
        ),
    }
}

/// What the cause events of `category` are, in words.
fn events_of(category: Category) -> &'static str {
    match category {
        Category::Certificate => "certificate failures",
        Category::Tls => "TLS failures",
        Category::Licensing => "licensing failures",
        Category::Service => "service stops and crashes",
        Category::Network => "network failures",
        Category::Authentication => "failed logons",
        Category::Power => "restarts and shutdowns",
        Category::Resource => "resource exhaustion",
        Category::SecurityProduct => "security-product blocks",
        Category::Configuration => "configuration errors",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_period_dates_are_read_in_the_forms_windows_writes() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 20).unwrap();
        for text in [
            "2024-03-20",
            "3/20/2024",
            "20.03.2024",
            "3/20/2024 1:02:03 PM",
        ] {
            assert_eq!(parse_day(text), Some(d), "{text}");
        }
        assert_eq!(parse_day("soon"), None);
        let now = DateTime::parse_from_rfc3339("2024-03-11T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            grace_level(Some("2024-03-20"), Some(now)),
            OutlookLevel::ActNow
        );
        assert_eq!(
            grace_level(Some("2024-06-20"), Some(now)),
            OutlookLevel::Watch
        );
        assert_eq!(grace_level(None, Some(now)), OutlookLevel::Watch);
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_restart_is_one_occurrence_whatever_it_wrote() {
        // 1074, 6006, 13 within two minutes, then 6005 and 12 eight minutes later; a
        // second restart the next day.
        let times = [at(0), at(1), at(2), at(10), at(10), at(1440), at(1441)];
        assert_eq!(occurrences(&times), [0, 5]);
        assert_eq!(occurrences(&[]), Vec::<usize>::new());
    }

    #[test]
    fn service_stops_right_after_a_shutdown_record_are_the_shutdowns() {
        let power = [at(0), at(1440)];
        assert!(during_shutdown(&power, at(0)));
        assert!(during_shutdown(&power, at(10)));
        assert!(!during_shutdown(&power, at(11)));
        assert!(!during_shutdown(&power, at(-1)));
        assert!(during_shutdown(&power, at(1443)));
        assert!(!during_shutdown(&[], at(5)));
    }
}
