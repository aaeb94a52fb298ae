//! Turns the rebuilt sessions and found drops into the output model.

use super::catalog::Log;
use super::connection::Refusal;
use super::coverage;
use super::drop::{Found, Outcome};
use super::input::Input;
use super::intern::Interner;
use super::model::{Confidence, Drop, Finding, HostCoverage, Session, SessionKind, SessionStep};
use super::rank::{self, Implied, Said};
use super::session::Built;
use super::window::{CauseIndex, Hit};
use crate::rules::{Role, RuleInfo};
use foldhash::HashMap;
use rayon::prelude::*;

/// The sessions in output order (per host, by start), and each rebuilt
/// session's index among them.
pub(crate) fn sessions(
    input: &Input,
    b: &Built,
    outcomes: &[Outcome],
) -> (Vec<Session>, Vec<usize>) {
    let mut order: Vec<usize> = (0..b.segs.len())
        .filter(|s| !b.segs[*s].items.is_empty())
        .collect();
    order.sort_by_key(|s| (b.segs[*s].host, b.segs[*s].start, b.segs[*s].items[0]));
    let mut index = vec![usize::MAX; b.segs.len()];
    let sessions = order
        .iter()
        .enumerate()
        .map(|(k, s)| {
            index[*s] = k;
            session(input, b, *s, k, &outcomes[*s])
        })
        .collect();
    (sessions, index)
}

fn session(input: &Input, b: &Built, s: usize, index: usize, out: &Outcome) -> Session {
    let seg = &b.segs[s];
    let mut connections: Vec<String> = Vec::new();
    for name in seg.conns.iter().filter_map(|c| b.conns[*c].name.clone()) {
        if !connections.contains(&name) {
            connections.push(name);
        }
    }
    let steps = seg
        .items
        .iter()
        .filter_map(|i| {
            let step = input.facts[*i].step?;
            let rule = input.rule(*i, |r| r.role() == Role::Lifecycle)?;
            Some(SessionStep {
                time: input.items[*i].event.time,
                step,
                rule_id: rule.id.clone(),
                event: input.event_ref(*i),
            })
        })
        .collect();
    // A session ends with its last record of the RDP logs: Security closes a logon
    // (4634) when its last token goes, which may be minutes after the session ended.
    let rdp = |i: &&usize| input.facts[**i].log.is_some_and(|l| l != Log::Security);
    let last = (seg.items.iter().rev().find(rdp))
        .or(seg.items.last())
        .copied()
        .unwrap_or_default();
    Session {
        index,
        id: format!("S{}", index + 1),
        host: input.hosts[seg.host].0.clone(),
        kind: seg.kind,
        server: seg.server.clone(),
        session_id: seg.sid,
        connections,
        user: seg.user.clone(),
        client_address: seg.address.clone(),
        start: seg.start,
        end: input.items[last].event.time,
        ending: out.ending,
        reason: out.reason.clone(),
        steps,
    }
}

/// The findings: each drop with its ranked causes and verdict.
// Long: the last step of correlation takes what the steps before it built (input, state, cause index, drops found, segment numbers, coverage) and the cap on causes.
pub(crate) fn findings(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    found: &[Found],
    seg_index: &[usize],
    cov: &[HostCoverage],
    max: usize,
) -> Vec<Finding> {
    // Each drop's hits and finding depend only on the read-only input: the
    // drops are shared out over the worker threads (thousands of refusals in a
    // burst made this the longest step of correlation).
    let hits: Vec<Vec<Hit>> = found
        .par_iter()
        .map(|f| hits_of(input, b, index, f))
        .collect();
    let mut per_host: HashMap<usize, usize> = HashMap::default();
    let mut per_rule: HashMap<(usize, usize), usize> = HashMap::default();
    for (f, h) in found.iter().zip(&hits) {
        *per_host.entry(f.host).or_default() += 1;
        for hit in h {
            *per_rule.entry((f.host, hit.rule)).or_default() += 1;
        }
    }
    found
        .par_iter()
        .zip(&hits)
        .enumerate()
        // The findings of a burst say the same words thousands of times: each thread
        // keeps one copy of each explanation and verdict.
        .map_init(Interner::default, |texts, (k, (f, h))| {
            let drops = per_host.get(&f.host).copied().unwrap_or(1).max(1) as f64;
            let recurrence =
                |r: usize| per_rule.get(&(f.host, r)).copied().unwrap_or(0) as f64 / drops;
            let mut causes = rank::causes(input, index, h, recurrence, max);
            for c in &mut causes {
                c.explanation = texts.get(&c.explanation);
            }
            let dropped = drop_of(input, b, f, k, seg_index);
            let (missing, text) = missing_logs(input, b, f, cov);
            let implied = Implied {
                category: f.category,
                kind: f.kind,
                reason: f.reason.clone(),
                // A status decoded from the record (TermDD 56's) says more than its rule.
                said: (f.seg.is_none() && f.reason.is_none())
                    .then(|| said_by_own_record(input, f.decider))
                    .flatten(),
            };
            let mut verdict = rank::verdict(&causes, &implied, &dropped.host, missing, text);
            if dated_by_crash(input, f, &causes) {
                // Its record says the host went down uncleanly; that it came at the next
                // boot, minutes or days later, makes it no less sure.
                verdict.confidence = Confidence::High;
            }
            if let Some(r) = f.seg.and_then(|s| b.segs[s].refusal.as_ref()) {
                verdict.confidence = verdict.confidence.min(r.confidence);
                if verdict.category.is_none() {
                    verdict.category = r.category;
                }
                if causes.is_empty() {
                    verdict.summary = own_record_summary(input, r, &verdict).into();
                    verdict.confidence = r.confidence;
                    if !r.inferred && verdict.category.is_some() {
                        verdict.said_by = own_words(input, r.decider).map(|(_, s)| s.title);
                    }
                }
                if let Some(note) = r.note {
                    verdict.summary = format!("{} {note}", verdict.summary).into();
                }
            }
            verdict.summary = texts.get(&verdict.summary);
            Finding {
                id: format!("F{}", k + 1),
                dropped,
                causes,
                verdict,
                // Set when findings are grouped into incidents.
                incident: 0,
            }
        })
        .collect()
}

/// The cause records that may explain drop `f`: for a refusal, its own
/// evidence and the host's unowned records of its category; else the records
/// near it that belong to no other session or attempt.
fn hits_of(input: &Input, b: &Built, index: &CauseIndex, f: &Found) -> Vec<Hit> {
    let seg = f.seg.map(|s| &b.segs[s]);
    let t = f.time;
    if let Some(r) = seg.and_then(|s| s.refusal.as_ref()) {
        let mut hits = index.own(input, &r.evidence, t);
        // What the host logged around it that explains its own failure (a
        // domain controller out of reach behind a failed logon): causes of the
        // refusal's category, inside their window, that belong to no
        // connection or session.
        if let Some(category) = r.category {
            let mut near = index.near_of(f.host, t, (None, None), |rule| {
                index.category(rule) == Some(category) && !hits.iter().any(|o| o.rule == rule)
            });
            near.retain(|h| b.owner[h.item].is_none());
            hits.extend(near);
        }
        return hits;
    }
    // Never borrow the records of another session or attempt.
    let mut near = index.near(
        f.host,
        t,
        seg.and_then(|s| s.address.as_deref()),
        seg.and_then(|s| s.sid),
    );
    near.retain(|h| b.owner[h.item].is_none_or(|o| Some(o) == f.seg));
    if let Some(seg) = seg {
        for own in index.own_near(input, &seg.items, t) {
            if !near.iter().any(|h| h.rule == own.rule) {
                near.push(own);
            }
        }
    }
    // The record that decided the drop explains it even when it came later than
    // its rule's window reaches: a host down for hours before the boot that said
    // it had crashed.
    for mut own in index.own(input, &[f.decider], t) {
        if !near.iter().any(|h| h.rule == own.rule) {
            // A crash explains every session of the host alike, not this client's.
            own.same_client = false;
            near.push(own);
        }
    }
    near
}

fn drop_of(input: &Input, b: &Built, f: &Found, index: usize, seg_index: &[usize]) -> Drop {
    let seg = f.seg.map(|s| &b.segs[s]);
    let rule = input.rule(f.decider, |r| r.role() == Role::Drop);
    // A drop of no session (a TermDD 56 in System) still names the client and the user
    // its own record gives.
    let (user, client_address) = match seg {
        Some(s) => (s.user.clone(), s.address.clone()),
        None => {
            let own = &input.facts[f.decider];
            (own.user.clone(), own.address.clone())
        }
    };
    Drop {
        index,
        host: input.hosts[f.host].0.clone(),
        time: f.time,
        kind: f.kind,
        session: f.seg.map(|s| seg_index[s]).filter(|s| *s != usize::MAX),
        user,
        client_address,
        reason: f.reason.clone(),
        rule_id: rule.map(|r| r.id.clone()).unwrap_or_default(),
        evidence: f.evidence.iter().map(|i| input.event_ref(*i)).collect(),
    }
}

/// The logs a drop lacked: on the server for server drops; for client-side
/// drops, the server's logs when none were given for it.
fn missing_logs(
    input: &Input,
    b: &Built,
    f: &Found,
    cov: &[HostCoverage],
) -> (Vec<String>, Option<String>) {
    let t = f.time;
    let seg = f.seg.map(|s| &b.segs[s]);
    match seg.filter(|s| s.kind == SessionKind::Client) {
        Some(client) => {
            let server = client.server.as_deref().unwrap_or("the server");
            let short = |h: &str| h.split('.').next().unwrap_or(h).to_ascii_lowercase();
            let given = cov.iter().any(|h| short(&h.host) == short(server));
            if given || cov.is_empty() {
                (Vec::new(), None)
            } else {
                (
                    vec![format!("logs of {server}")],
                    Some(format!(
                        "No logs of {server} were given, so the server side of this drop could not be checked."
                    )),
                )
            }
        }
        None => coverage::missing(cov, &input.hosts[f.host].0, t),
    }
}

/// The verdict of a refusal whose own failure record is no cause rule's (an
/// RdpCoreTS 139, a TermDD 56): what that record says, then what was missing.
fn own_record_summary(input: &Input, r: &Refusal, verdict: &super::model::Verdict) -> String {
    // A refusal judged from the connection's pattern (a burst the listener accepted and
    // nothing answered) rests on no failure record: its note says why it is one.
    if r.inferred {
        return "Never became a session, and no record says why.".to_string()
            + &missing_part(verdict);
    }
    let decider = r.decider;
    let event = &input.items[decider].event;
    let said = input
        .rule(decider, |r| r.role() == Role::Drop)
        .map(|rule| {
            rule.extension
                .as_ref()
                .and_then(|x| x.explain.as_deref())
                .map_or_else(|| rule.title.to_string(), |t| rank::fill(t, event))
        })
        .unwrap_or_else(|| format!("event {}", event.event_id));
    format!("Refused: {said}.{}", missing_part(verdict))
}

/// A drop dated at its host's last sign of life before a crash (not at its deciding
/// record), whose top cause is that deciding record: the boot's own word that the
/// host went down uncleanly.
fn dated_by_crash(input: &Input, f: &Found, causes: &[super::model::Cause]) -> bool {
    let decider = &input.items[f.decider].event;
    f.time < decider.time
        && causes.first().is_some_and(|c| {
            c.evidence.record_id == decider.record_id && *c.evidence.source() == *decider.source
        })
}

/// The drop rule of item `i` that names a category, with what it says of the
/// record: its title, its explanation filled from the record and its fix.
fn own_words(input: &Input, i: usize) -> Option<(&RuleInfo, Said)> {
    let rule = input.items[i]
        .rules
        .iter()
        .find(|r| r.role() == Role::Drop && r.category().is_some())?;
    let x = rule.extension.as_ref()?;
    let said = Said {
        title: rule.title.clone(),
        text: rank::fill(x.explain.as_deref()?, &input.items[i].event),
        fix: x.fix.clone(),
    };
    Some((rule, said))
}

/// What a drop record of no session says of its own cause, when its rule says the
/// record states why (`says_why`: an RD Gateway policy denial, not TermDD 56, whose
/// category is a guess).
fn said_by_own_record(input: &Input, i: usize) -> Option<Said> {
    own_words(input, i)
        .filter(|(rule, _)| rule.extension.as_ref().is_some_and(|x| x.says_why))
        .map(|(_, said)| said)
}

/// The verdict's sentence on missing logs (" No Security log was given ..."), or nothing.
fn missing_part(verdict: &super::model::Verdict) -> String {
    verdict
        .summary
        .split_once(". No ")
        .map_or_else(String::new, |(_, m)| format!(" No {m}"))
}
