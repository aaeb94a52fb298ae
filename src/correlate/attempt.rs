//! Connection attempts that never became a session, each judged on its own
//! records.
//!
//! An attempt is one server connection (RCM 261, RdpCoreTS 131/65) that got no
//! further than the pre-authentication handshake. It was **refused** when a
//! failure belongs to it:
//! - a failure record of the connection itself (same `ActivityID`): RdpCoreTS
//!   140 (wrong user name or password), 139 (security-layer/TLS error), RCM 1012;
//! - a TLS failure that Schannel logged in System for it: Schannel writes no
//!   client and no `ActivityID`, but it writes one 36874 + 36888 pair (or one
//!   fatal alert) per failed handshake in the same clock tick as the listener's
//!   accept, so pairs and accepts are matched first come, first served;
//! - a failed logon that Security logged for it: 4625 (logon type 3 for NLA, 10
//!   without NLA) or 4825 (not allowed to use Remote Desktop), taken by the
//!   connection accepted last before it that was still open.
//!
//! A connection with none of these ended before authentication on its own
//! (mstsc's pre-authentication probe, a scanner, a client that gave up) or its
//! end is not in the logs: neither is a refusal, unless it is one of a burst
//! of connections only the listener logged that nothing answered
//! ([`super::unanswered`]). Evidence of another connection or another client
//! is never borrowed.
//!
//! Degraded evidence is still evidence. Where the RDP connection logs do not
//! cover a moment (they wrapped, or were not collected), a Schannel failure in
//! System and a failed Remote Desktop logon in Security are refused attempts of
//! their own, with the reduced certainty said in words.

use super::catalog::{Kind, Log, account};
use super::connection::{self, Refusal};
use super::coverage::Covered;
use super::drop::{client_outcome, driver_reason};
use super::input::Input;
use super::model::{Confidence, Ending, SessionKind};
use super::session::{Built, attach, new_seg};
use super::unanswered;
use crate::event::codes::{self, Family};
use crate::ingest::ChannelSpan;
use crate::rules::{Category, Role};
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::{HashMap, HashSet};

/// How far apart a client's connect (1024) and the server's accept may be.
const JOIN: TimeDelta = TimeDelta::seconds(5);
/// How long after an accept its TLS handshake can fail (Schannel record).
const HANDSHAKE_WITHIN: TimeDelta = TimeDelta::seconds(1);
/// One clock tick of the coarse timer older Windows stamps records with.
const TICK: TimeDelta = TimeDelta::milliseconds(20);
/// How long a connection may stay at the logon prompt, failing logons.
const LOGON_PROMPT: TimeDelta = TimeDelta::minutes(10);
/// How long after a connection's last record a failed logon may still be its.
const LOGON_AFTER_END: TimeDelta = TimeDelta::seconds(2);
/// How close a Remote Desktop logon of the same account must be for a network
/// logon failure, seen only in Security, to count as an RDP (NLA) attempt.
const SAME_ACCOUNT_RDP: TimeDelta = TimeDelta::hours(1);

const SECURITY_LOGON_FAILED: u16 = 4625;
const SECURITY_RDP_DENIED: u16 = 4825;
const SCHANNEL_NO_CIPHER: u16 = 36874;
const SCHANNEL_ALERT_SENT: u16 = 36888;
const SCHANNEL_ALERT_RECEIVED: u16 = 36887;
const SCHANNEL_KEY_ERRORS: &[u16] = &[36870, 36871, 36886];
/// TLS alerts about the certificate (bad, unsupported, revoked, expired,
/// unknown, untrusted CA); the others are negotiation failures.
const CERTIFICATE_ALERTS: &[i64] = &[42, 43, 44, 45, 46, 48];

const ONLY_SYSTEM: &str = "Seen only in System: the RDP connection logs do not cover this moment, and Schannel records carry no client address, so the client and that the handshake was RDP's are inferred.";
const ONLY_SECURITY: &str = "Seen only in Security: no RDP connection record covers this moment.";
const ONLY_SECURITY_NLA: &str = "Seen only in Security: a network logon failure, taken as a Remote Desktop (NLA) attempt because the same account logged on through Remote Desktop within the hour and no RDP connection log covers this moment.";
const TIED_BY_TIME: &str =
    "The failure record names no connection; it was matched to this attempt by time.";
const TIED_BY_ADDRESS: &str = "The failure record names the client's address but no connection; it was matched to this attempt by address and time.";

/// A server connection that got no session.
#[derive(Debug, Clone)]
struct Bare {
    conn: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    address: Option<String>,
    /// A failure record of the connection itself, and its family.
    own: Option<(usize, Category)>,
    /// Failure records matched to it from System and Security.
    tied: Vec<usize>,
    /// The user authenticated (RCM 1149): TLS and logon failures are past.
    authed: bool,
}

/// A TLS failure as Schannel logs it: one record, or a 36874 + 36888 pair.
#[derive(Debug, Clone)]
struct TlsFailure {
    items: Vec<usize>,
    category: Category,
    time: DateTime<Utc>,
}

/// Judges every server connection without a session, makes the refused ones
/// (and the refusals seen only in System or Security) `Attempt` sessions, and
/// joins client-side connections to the server's.
pub(crate) fn refine(input: &Input, b: &mut Built, spans: &[ChannelSpan]) {
    let mut bare_all = Vec::new();
    for h in 0..input.hosts.len() {
        let mut bare = bare_connections(input, b, h);
        let mut claimed: HashSet<usize> = HashSet::default();
        let tls = tls_failures(input, b, h);
        let tls_of = tie_tls(&bare, &tls, &mut claimed);
        tie_logons(input, b, h, &mut bare, &tls_of, &mut claimed);
        tie_addressed(input, b, h, &mut bare, &mut claimed);
        let coverage = Covered::new(&input.hosts[h].0, spans, |c| {
            CONNECTION_LOGS.iter().any(|l| c.ends_with(l))
        });
        let mut left = Vec::new();
        for (k, c) in bare.into_iter().enumerate() {
            match refusal(input, &c, tls_of[k].map(|t| &tls[t])) {
                Some(r) => {
                    let s = attempt(input, b, h, &c);
                    for i in c
                        .tied
                        .iter()
                        .chain(tls_of[k].iter().flat_map(|t| &tls[*t].items))
                    {
                        attach(input, b, s, *i);
                    }
                    settle(input, b, s, r);
                }
                // Authenticated, but no session and no failure: a session
                // whose end the logs do not tell.
                None if c.authed => authenticated_session(input, b, h, &c),
                None => left.push(c),
            }
        }
        if rdp_in_use(input, h, spans) {
            system_only(input, b, h, &tls, &claimed, &coverage);
        }
        security_only(input, b, h, &claimed, &coverage);
        bare_all.extend(left);
    }
    let joined = join_clients(input, b, &mut bare_all);
    bare_all.retain(|c| !joined.contains(&c.conn));
    unanswered_bursts(input, b, bare_all, spans);
}

/// The connections left without a session or a refusal that belong to a burst
/// of connections the listener accepted and nothing answered
/// ([`unanswered`]): each is a refused attempt whose reason is not logged.
fn unanswered_bursts(input: &Input, b: &mut Built, bare: Vec<Bare>, spans: &[ChannelSpan]) {
    let mut per_host: std::collections::BTreeMap<usize, Vec<Bare>> = Default::default();
    for c in bare {
        let items = &b.conns[c.conn].items;
        let failed = c.own.is_some() || !c.tied.is_empty();
        if !failed && unanswered::listener_only(input, items) {
            per_host.entry(input.host_of(items[0])).or_default().push(c);
        }
    }
    for (h, mut list) in per_host {
        let logs = unanswered::FailureLogs::new(input, h, spans);
        list.retain(|c| !logs.cover(c.start));
        list.sort_unstable_by_key(|c| (c.start, c.conn));
        let starts: Vec<DateTime<Utc>> = list.iter().map(|c| c.start).collect();
        let burst = unanswered::bursts(&starts, &unanswered::authentications(input, h));
        for (c, _) in list.iter().zip(burst).filter(|(_, x)| *x) {
            let decider = b.conns[c.conn].items[0];
            let s = attempt(input, b, h, c);
            let r = Refusal {
                category: None,
                decider,
                evidence: vec![decider],
                reason: None,
                confidence: Confidence::Low,
                note: Some(unanswered::NOTE),
                inferred: true,
            };
            settle(input, b, s, r);
        }
    }
}

/// Server connections of host `h` with an accept (or a failure) and no
/// session, by start.
fn bare_connections(input: &Input, b: &Built, h: usize) -> Vec<Bare> {
    let range = input.hosts[h].1.clone();
    let mut ids: Vec<usize> = range
        .filter_map(|i| b.conn_of[i])
        .collect::<HashSet<_>>()
        .into_iter()
        .filter(|c| {
            let conn = &b.conns[*c];
            // A connection whose accept fell into a gap of the log still
            // counts when a failure or an authentication of its own is there.
            !conn.client
                && conn.segs.is_empty()
                && conn.items.iter().any(|i| {
                    matches!(
                        input.facts[*i].kind,
                        Some(Kind::Accepted | Kind::Authenticated)
                    ) || own_failure(input, *i).is_some()
                })
        })
        .collect();
    ids.sort_unstable_by_key(|c| b.conns[*c].items[0]);
    ids.into_iter()
        .map(|c| {
            let items = &b.conns[c].items;
            Bare {
                conn: c,
                start: input.items[items[0]].event.time,
                end: input.items[items[items.len() - 1]].event.time,
                address: items.iter().find_map(|i| input.facts[*i].address.clone()),
                own: items.iter().find_map(|i| own_failure(input, *i)),
                tied: Vec::new(),
                authed: connection::has(input, items, Kind::Authenticated),
            }
        })
        .collect()
}

/// A failure record of a connection: a drop or cause of a family other than
/// the network (socket errors of a connection the client abandoned are its
/// teardown, not a refusal).
fn own_failure(input: &Input, i: usize) -> Option<(usize, Category)> {
    let f = &input.facts[i];
    if !(f.drop || f.cause) {
        return None;
    }
    input.items[i]
        .rules
        .iter()
        .filter(|r| matches!(r.role(), Role::Drop | Role::Cause))
        .find_map(|r| r.category().filter(|c| *c != Category::Network))
        .map(|c| (i, c))
}

/// The Schannel TLS failures of host `h` that belong to no connection, in time order.
fn tls_failures(input: &Input, b: &Built, h: usize) -> Vec<TlsFailure> {
    let mut out: Vec<TlsFailure> = Vec::new();
    for i in input.hosts[h].1.clone() {
        let ev = &input.items[i].event;
        if &*ev.provider != "Schannel" || b.conn_of[i].is_some() {
            continue;
        }
        let id = ev.event_id;
        let alert = ev.field_i64("AlertDesc");
        let category = match id {
            SCHANNEL_NO_CIPHER => Category::Tls,
            SCHANNEL_ALERT_SENT | SCHANNEL_ALERT_RECEIVED => match alert {
                Some(a) if CERTIFICATE_ALERTS.contains(&a) => Category::Certificate,
                Some(80) => Category::Certificate,
                Some(_) => Category::Tls,
                None => continue,
            },
            _ if SCHANNEL_KEY_ERRORS.contains(&id) => Category::Certificate,
            _ => continue,
        };
        // The alert Schannel sends right after a 36874 is the same failure.
        if let Some(last) = out.last_mut() {
            let prev = &input.items[*last.items.last().unwrap_or(&i)].event;
            if last.items.len() == 1
                && prev.event_id == SCHANNEL_NO_CIPHER
                && id == SCHANNEL_ALERT_SENT
                && (ev.time - prev.time).abs() <= TICK
            {
                last.items.push(i);
                continue;
            }
        }
        out.push(TlsFailure {
            items: vec![i],
            category,
            time: ev.time,
        });
    }
    out
}

/// Matches TLS failures to connections, first come first served: each failure
/// goes to the earliest connection accepted within [`HANDSHAKE_WITHIN`] before
/// it that has no TLS failure yet and no authentication failure of its own.
fn tie_tls(bare: &[Bare], tls: &[TlsFailure], claimed: &mut HashSet<usize>) -> Vec<Option<usize>> {
    let mut of: Vec<Option<usize>> = vec![None; bare.len()];
    let mut lo = 0;
    for (t, failure) in tls.iter().enumerate() {
        while lo < bare.len()
            && (bare[lo].start < failure.time - HANDSHAKE_WITHIN || of[lo].is_some())
        {
            lo += 1;
        }
        let pick = (lo..bare.len())
            .take_while(|k| bare[*k].start <= failure.time + TICK)
            .find(|k| {
                of[*k].is_none()
                    && !bare[*k].authed
                    && !matches!(bare[*k].own, Some((_, Category::Authentication)))
            });
        if let Some(k) = pick {
            of[k] = Some(t);
            claimed.extend(failure.items.iter().copied());
        }
    }
    of
}

/// Security failures of Remote Desktop logons: 4625 with logon type 10 (or 3,
/// NLA) and 4825. Their client address, when logged.
fn logon_failure(input: &Input, i: usize) -> Option<(u16, i64)> {
    let ev = &input.items[i].event;
    if input.facts[i].log != Some(Log::Security) {
        return None;
    }
    match ev.event_id {
        SECURITY_RDP_DENIED => Some((SECURITY_RDP_DENIED, 10)),
        SECURITY_LOGON_FAILED => {
            let lt = ev.field_i64("LogonType")?;
            matches!(lt, 3 | 10).then_some((SECURITY_LOGON_FAILED, lt))
        }
        _ => None,
    }
}

/// Matches failed logons to connections: each goes to the connection accepted
/// last before it that was still open (or had just closed), from the same
/// address when both name one, and had no TLS failure.
// Long: a pass over one host (`h`) of the attempts being built: the shared input and state, and the lists this pass reads and claims from.
fn tie_logons(
    input: &Input,
    b: &Built,
    h: usize,
    bare: &mut [Bare],
    tls_of: &[Option<usize>],
    claimed: &mut HashSet<usize>,
) {
    for i in input.hosts[h].1.clone() {
        if b.conn_of[i].is_some() {
            continue;
        }
        let Some((_, logon_type)) = logon_failure(input, i) else {
            continue;
        };
        // After NLA (RCM 1149) only the session logon itself can still fail:
        // 4625 type 10 (no logon right, account restriction) or 4825.
        let after_nla_ok = logon_type == 10;
        let t = input.items[i].event.time;
        let addr = input.facts[i].address.as_deref();
        let n = bare.partition_point(|c| c.start <= t);
        let pick = (0..n)
            .rev()
            .take_while(|k| bare[*k].start >= t - LOGON_PROMPT)
            .find(|k| {
                let c = &bare[*k];
                let same = match (addr, c.address.as_deref()) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                };
                same && (!c.authed || after_nla_ok)
                    && tls_of[*k].is_none()
                    && c.end + LOGON_AFTER_END >= t
            });
        if let Some(k) = pick {
            bare[k].tied.push(i);
            claimed.insert(i);
        }
    }
}

/// How long before a connection's first record, and after its last, a refusal
/// that names its client address (TermDD 56) may be logged.
const ADDRESSED_BEFORE: TimeDelta = TimeDelta::seconds(2);
const ADDRESSED_AFTER: TimeDelta = TimeDelta::seconds(5);

/// Matches refusals logged elsewhere that name the client's address (a drop
/// rule with step `refused` and an address key, such as TermDD 56 in System)
/// to the connection from that address open at that moment.
fn tie_addressed(
    input: &Input,
    b: &Built,
    h: usize,
    bare: &mut [Bare],
    claimed: &mut HashSet<usize>,
) {
    for i in input.hosts[h].1.clone() {
        let f = &input.facts[i];
        if !(f.drop || f.cause) || b.conn_of[i].is_some() || claimed.contains(&i) {
            continue;
        }
        let refused = input.items[i].with_role(Role::Drop).any(|r| {
            r.extension.as_ref().and_then(|x| x.step) == Some(crate::rules::Step::Refused)
        });
        // Licensing and configuration refusals (RCM 1028, 1011, 1070, 1071)
        // name the client by name or not at all: the open connection takes them.
        let per_connection = input.items[i].rules.iter().any(|r| {
            r.role() == Role::Cause
                && matches!(
                    r.category(),
                    Some(Category::Licensing | Category::Configuration)
                )
        });
        let addr = f.address.as_deref();
        if !(refused && addr.is_some() || per_connection && b.owner[i].is_none()) {
            continue;
        }
        let t = input.items[i].event.time;
        let pick = bare
            .iter()
            .enumerate()
            .filter(|(_, c)| addr.is_none() || c.address.as_deref() == addr)
            .filter(|(_, c)| c.start - ADDRESSED_BEFORE <= t && t <= c.end + ADDRESSED_AFTER)
            .min_by_key(|(_, c)| (c.end - t).abs())
            .map(|(k, _)| k);
        if let Some(k) = pick {
            bare[k].tied.push(i);
            claimed.insert(i);
        }
    }
}

/// Connection `c`, authenticated but given no session, as a session of its
/// own whose end the logs do not tell.
fn authenticated_session(input: &Input, b: &mut Built, h: usize, c: &Bare) {
    let s = new_seg(b, h, None, SessionKind::Remote, c.start);
    b.segs[s].conn_backed = true;
    for i in b.conns[c.conn].items.clone() {
        attach(input, b, s, i);
    }
}

/// Why connection `c` was refused, if anything of its own says so.
fn refusal(input: &Input, c: &Bare, tls: Option<&TlsFailure>) -> Option<Refusal> {
    let logon = c.tied.first().copied();
    let (decider, category, confidence, note) = match (c.own, tls, logon) {
        (Some((i, Category::Tls)), Some(t), _) => (i, t.category, Confidence::High, None),
        (Some((i, cat)), _, _) => (i, cat, Confidence::High, None),
        (None, Some(t), _) => (
            t.items[0],
            t.category,
            Confidence::Medium,
            Some(TIED_BY_TIME),
        ),
        (None, None, Some(i)) => {
            let category = if logon_failure(input, i).is_some() {
                Category::Authentication
            } else {
                let status = driver_reason(input, i).and_then(|s| s.1);
                status.or_else(|| input.items[i].rules.iter().find_map(|r| r.category()))?
            };
            let note = if input.facts[i].address.is_some() {
                TIED_BY_ADDRESS
            } else {
                TIED_BY_TIME
            };
            (i, category, Confidence::Medium, Some(note))
        }
        (None, None, None) => return None,
    };
    let mut evidence = vec![decider];
    evidence.extend(c.own.map(|o| o.0));
    evidence.extend(tls.iter().flat_map(|t| t.items.iter().copied()));
    evidence.extend(c.tied.iter().copied());
    dedup_keep_order(&mut evidence);
    let reason = c
        .tied
        .iter()
        .find_map(|i| logon_status(input, *i).or_else(|| driver_reason(input, *i).map(|s| s.0)));
    let confidence = if c.address.is_some() && note.is_some() {
        Confidence::Medium
    } else {
        confidence
    };
    Some(Refusal {
        category: Some(category),
        decider,
        evidence,
        reason,
        confidence,
        note,
        inferred: false,
    })
}

fn dedup_keep_order(v: &mut Vec<usize>) {
    let mut seen = HashSet::default();
    v.retain(|x| seen.insert(*x));
}

/// A failed logon's status, decoded: the SubStatus when it says more than the
/// Status.
fn logon_status(input: &Input, i: usize) -> Option<super::model::DecodedCode> {
    let ev = &input.items[i].event;
    let get = |n: &str| {
        ev.field(n)
            .and_then(|v| codes::parse_code(&v.as_text()).ok())
            .filter(|c| *c != 0)
    };
    let code = get("SubStatus").or_else(|| get("Status"))?;
    Some(codes::decode(Family::LogonStatus, code))
}

/// Makes connection `c` of host `h` an `Attempt` session holding its events.
fn attempt(input: &Input, b: &mut Built, h: usize, c: &Bare) -> usize {
    let s = new_seg(b, h, None, SessionKind::Attempt, c.start);
    for i in b.conns[c.conn].items.clone() {
        attach(input, b, s, i);
    }
    s
}

/// Sorts attempt `s`'s items, starts it at the first and records its refusal
/// (and the user of a failed logon, when the connection named none).
fn settle(input: &Input, b: &mut Built, s: usize, r: Refusal) {
    let user = r.evidence.iter().find_map(|i| logon_user(input, *i));
    let seg = &mut b.segs[s];
    seg.items.sort_unstable();
    if let Some(first) = seg.items.first() {
        seg.start = input.items[*first].event.time;
    }
    if seg.user.is_none() {
        seg.user = user;
    }
    seg.refusal = Some(r);
}

/// `DOMAIN\user` of a Security failure record.
fn logon_user(input: &Input, i: usize) -> Option<String> {
    let ev = &input.items[i].event;
    let text = |n: &str| {
        ev.field(n)
            .map(|v| v.as_text().trim().to_string())
            .filter(|s| !s.is_empty() && s != "-")
    };
    let (u, d) = match ev.event_id {
        SECURITY_LOGON_FAILED => (text("TargetUserName")?, text("TargetDomainName")),
        SECURITY_RDP_DENIED => (text("AccountName")?, text("AccountDomain")),
        _ => return None,
    };
    Some(match d {
        Some(d) => format!("{d}\\{u}"),
        None => u,
    })
}

/// A new attempt holding only `items` (no connection record of its own).
fn lone_attempt(input: &Input, b: &mut Built, h: usize, items: &[usize], r: Refusal) {
    let t = input.items[items[0]].event.time;
    let s = new_seg(b, h, None, SessionKind::Attempt, t);
    for i in items {
        attach(input, b, s, *i);
    }
    settle(input, b, s, r);
}

/// Channels that log every RDP connection (RCM 261, RdpCoreTS 131).
const CONNECTION_LOGS: &[&str] = &[
    "RemoteConnectionManager/Operational",
    "RdpCoreTS/Operational",
];

/// Whether host `h` shows Remote Desktop in use at all: an RDP log, an RCM
/// record in System, or a Remote Desktop logon.
fn rdp_in_use(input: &Input, h: usize, spans: &[ChannelSpan]) -> bool {
    let host = &input.hosts[h].0;
    let rdp_log = spans.iter().any(|s| {
        *s.computer == **host
            && [
                "LocalSessionManager",
                "RemoteConnectionManager",
                "RdpCoreTS",
            ]
            .iter()
            .any(|c| s.channel.contains(c))
    });
    rdp_log
        || input.hosts[h].1.clone().any(|i| {
            let ev = &input.items[i].event;
            ev.provider.contains("RemoteConnectionManager")
                || input.facts[i].kind == Some(Kind::SecLogon)
        })
}

/// TLS failures of no connection at moments the RDP connection logs do not
/// cover: each is a refused attempt seen only in System.
// Long: a pass over one host (`h`) of the attempts being built: the shared input and state, and the lists this pass reads and claims from.
fn system_only(
    input: &Input,
    b: &mut Built,
    h: usize,
    tls: &[TlsFailure],
    claimed: &HashSet<usize>,
    coverage: &Covered,
) {
    for t in tls {
        if t.items.iter().any(|i| claimed.contains(i)) || coverage.covers(t.time) {
            continue;
        }
        let r = Refusal {
            category: Some(t.category),
            decider: t.items[0],
            evidence: t.items.clone(),
            reason: None,
            confidence: Confidence::Medium,
            note: Some(ONLY_SYSTEM),
            inferred: false,
        };
        lone_attempt(input, b, h, &t.items, r);
    }
}

/// Failed Remote Desktop logons of no connection: logon type 10 and 4825
/// always (they are Remote Desktop by definition), logon type 3 (NLA) where
/// no RDP connection log covers the moment and the same account logged on
/// through Remote Desktop within [`SAME_ACCOUNT_RDP`].
fn security_only(
    input: &Input,
    b: &mut Built,
    h: usize,
    claimed: &HashSet<usize>,
    coverage: &Covered,
) {
    let range = input.hosts[h].1.clone();
    let mut rdp_logons: HashMap<String, Vec<DateTime<Utc>>> = HashMap::default();
    for i in range.clone() {
        if input.facts[i].kind == Some(Kind::SecLogon)
            && let Some(u) = input.facts[i].user.as_deref()
        {
            rdp_logons
                .entry(account(u))
                .or_default()
                .push(input.items[i].event.time);
        }
    }
    for i in range {
        if claimed.contains(&i) || b.owner[i].is_some() || b.conn_of[i].is_some() {
            continue;
        }
        let Some((id, lt)) = logon_failure(input, i) else {
            continue;
        };
        let t = input.items[i].event.time;
        let note = if id == SECURITY_RDP_DENIED || lt == 10 {
            ONLY_SECURITY
        } else {
            let user = logon_user(input, i).map(|u| account(&u));
            let near = user
                .and_then(|u| rdp_logons.get(&u))
                .is_some_and(|v| v.iter().any(|x| (*x - t).abs() <= SAME_ACCOUNT_RDP));
            if coverage.covers(t) || !near {
                continue;
            }
            ONLY_SECURITY_NLA
        };
        let r = Refusal {
            category: Some(Category::Authentication),
            decider: i,
            evidence: vec![i],
            reason: logon_status(input, i),
            confidence: if lt == 10 || id == SECURITY_RDP_DENIED {
                Confidence::High
            } else {
                Confidence::Medium
            },
            note: Some(note),
            inferred: false,
        };
        lone_attempt(input, b, h, &[i], r);
    }
}

/// The short, lower-case form of a host name (`RDS01.corp.example` -> `rds01`).
fn short(host: &str) -> String {
    host.split('.')
        .next()
        .unwrap_or(host)
        .trim()
        .to_ascii_lowercase()
}

/// Joins each client-side connection to the server connection it made: the
/// server named in its 1024 is a host of the input, and that host accepted a
/// connection within [`JOIN`] of it (the closest one not yet joined). A failed
/// client connection joined to a bare server connection makes it an attempt,
/// refused for the reason the client logged. Returns the server connections
/// it joined.
fn join_clients(input: &Input, b: &mut Built, bare: &mut Vec<Bare>) -> HashSet<usize> {
    let hosts: HashMap<String, usize> = (0..input.hosts.len())
        .map(|h| (short(&input.hosts[h].0), h))
        .collect();
    let mut starts: HashMap<usize, Vec<(DateTime<Utc>, usize)>> = HashMap::default();
    for (k, c) in b.conns.iter().enumerate().filter(|(_, c)| !c.client) {
        if let Some(first) = c.items.first() {
            let start = (input.items[*first].event.time, k);
            starts.entry(input.host_of(*first)).or_default().push(start);
        }
    }
    starts.values_mut().for_each(|v| v.sort_unstable());
    let mut joined: HashSet<usize> = HashSet::default();
    let clients: Vec<usize> = (0..b.segs.len())
        .filter(|s| b.segs[*s].kind == SessionKind::Client)
        .collect();
    for cs in clients {
        let seg = &b.segs[cs];
        let Some(h) = seg.server.as_deref().and_then(|n| hosts.get(&short(n))) else {
            continue;
        };
        let Some(list) = starts.get(h) else {
            continue;
        };
        let t = seg.start;
        let lo = list.partition_point(|(x, _)| *x < t - JOIN);
        let hi = list.partition_point(|(x, _)| *x <= t + JOIN);
        let Some(conn) = list[lo..hi]
            .iter()
            .filter(|(_, k)| !joined.contains(k))
            .min_by_key(|(x, _)| (*x - t).abs())
            .map(|(_, k)| *k)
        else {
            continue;
        };
        joined.insert(conn);
        let server = match b.conns[conn].segs.last() {
            Some(s) => Some(*s),
            None => failed_client(input, b, cs, conn, *h, bare),
        };
        if let Some(s) = server {
            b.segs[s].peer = Some(cs);
            b.segs[cs].peer = Some(s);
        }
    }
    joined
}

/// When client connection `cs` failed, makes the bare server connection
/// `conn` an attempt refused for the client's reason and returns it.
// Long: one step of the attempts being built: the shared input and state, the two connections it ties, the host and what it claims.
fn failed_client(
    input: &Input,
    b: &mut Built,
    cs: usize,
    conn: usize,
    h: usize,
    bare: &mut Vec<Bare>,
) -> Option<usize> {
    let out = client_outcome(input, &b.segs[cs]);
    if !matches!(out.ending, Ending::Dropped | Ending::Refused) {
        return None;
    }
    let decider = out.decider?;
    let k = bare.iter().position(|c| c.conn == conn)?;
    let c = bare.remove(k);
    let s = attempt(input, b, h, &c);
    let r = Refusal {
        category: out.category,
        decider,
        evidence: vec![decider],
        reason: out.reason,
        confidence: Confidence::Medium,
        note: None,
        inferred: false,
    };
    settle(input, b, s, r);
    Some(s)
}
