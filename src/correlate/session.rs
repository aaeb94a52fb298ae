//! Rebuilds, per host, the connections (events sharing a connection's
//! `ActivityID`: RCM 261/1149, RdpCoreTS 131/65/66/..., and the LSM events of
//! that connection) and the sessions: one [`Seg`] per stay of a client on an
//! LSM session, from logon or reconnect to the disconnect or logoff that ended
//! it. Every event that names a session id belongs to exactly one `Seg`.

use super::catalog::{Facts, Kind, Log, account, strip_port};
use super::connection::{self, Conn, Refusal};
use super::input::Input;
use super::model::SessionKind;
use crate::rules::Step;
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use std::ops::Range;

/// How long after a disconnect or logoff further end events still belong to it.
const TRAILING_END: TimeDelta = TimeDelta::seconds(60);
/// How far a Security logon may be from the session start it belongs to.
const SECURITY_SLACK: TimeDelta = TimeDelta::seconds(15);
/// A reason-5 disconnect this soon after a reconnect ends the replaced connection.
pub(crate) const REPLACED_SLACK: TimeDelta = TimeDelta::seconds(10);

/// One rebuilt session (or connection attempt, or client-side connection).
#[derive(Debug, Clone)]
pub(crate) struct Seg {
    pub host: usize,
    pub kind: SessionKind,
    pub sid: Option<u32>,
    /// Item indices, in time order.
    pub items: Vec<usize>,
    pub start: DateTime<Utc>,
    pub has_start: bool,
    pub ended: bool,
    pub logged_off: bool,
    pub last_end: Option<DateTime<Utc>>,
    pub conns: Vec<usize>,
    pub user: Option<String>,
    pub address: Option<String>,
    pub server: Option<String>,
    /// The same connection seen from the other side: for a client-side
    /// connection, the server's session or attempt it was joined to; for a
    /// server's, the client-side connection.
    pub peer: Option<usize>,
    /// A session known only from its connection's records (no LSM log for the
    /// host): its ending is the connection's.
    pub conn_backed: bool,
    /// For refused attempts: why, from the attempt's own records.
    pub refusal: Option<Refusal>,
    /// A session known only from Security (no other session log for the host): its
    /// disconnects carry no reason ([`super::security_session`]).
    pub security_only: bool,
}

/// Sessions and connections of every host.
#[derive(Debug, Default)]
pub(crate) struct Built {
    pub segs: Vec<Seg>,
    pub conns: Vec<Conn>,
    /// The session each item belongs to.
    pub owner: Vec<Option<usize>>,
    /// The connection each item belongs to.
    pub conn_of: Vec<Option<usize>>,
}

impl Built {
    /// Whether item `i` is a drop record that belongs to no session and no connection
    /// (a TermDD 56 in System, an RD Gateway denial).
    pub(crate) fn lone_drop(&self, input: &Input, i: usize) -> bool {
        input.facts[i].drop && self.owner[i].is_none() && self.conn_of[i].is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Start,
    Begin,
    End,
    Attach,
}

fn class(kind: Option<Kind>, step: Option<Step>) -> Option<Class> {
    Some(match kind {
        Some(Kind::Logon | Kind::Reconnect) => Class::Start,
        Some(Kind::Arbitration | Kind::Assigned) => Class::Begin,
        Some(Kind::Disconnect | Kind::DisconnectedBy | Kind::DisconnectReason | Kind::Logoff) => {
            Class::End
        }
        Some(Kind::Shell | Kind::ArbitrationEnd) => Class::Attach,
        Some(_) => return None,
        None => match step? {
            Step::Logon | Step::Reconnect => Class::Start,
            Step::Disconnect | Step::Logoff | Step::Refused => Class::End,
            Step::Connect | Step::Auth => Class::Attach,
        },
    })
}

/// Rebuilds the sessions of every host.
pub(crate) fn build(input: &Input) -> Built {
    let n = input.items.len();
    let mut b = Built {
        owner: vec![None; n],
        conn_of: vec![None; n],
        ..Built::default()
    };
    for (h, (_, range)) in input.hosts.iter().enumerate() {
        let mut by_sid: HashMap<u32, Vec<usize>> = HashMap::default();
        link_connections(input, range.clone(), &mut b);
        connection::fold_side_channels(input, range.clone(), &mut b.conns, &mut b.conn_of);
        let has_lsm = range.clone().any(|i| input.facts[i].log == Some(Log::Lsm));
        if !has_lsm {
            lone_authentications(input, range.clone(), &mut b);
        }
        lsm_sessions(input, h, range.clone(), has_lsm, &mut b, &mut by_sid);
        security(input, range.clone(), &mut b, &by_sid);
        connection_sessions(input, h, range.clone(), &mut b);
    }
    fold_transient(input, &mut b);
    finish(input, &mut b);
    teardown_records(input, &mut b);
    b
}

/// How far from a session's disconnect a drop record of no connection that names the
/// session's client (TermDD 56 in System) may be to belong to that disconnect.
const TEARDOWN_SLACK: TimeDelta = TimeDelta::seconds(5);

/// The provider of the RDP transport driver's records in System (TermDD 50, 56).
const TRANSPORT_DRIVER: &str = "TermDD";

/// When a session was disconnected, and which session.
type SessionEnd = (DateTime<Utc>, usize);

/// A transport driver's drop record of no connection (TermDD 56, with the client's
/// address) that comes with a session's unexplained disconnect (LSM 40 reason 0, 24 or
/// 4779 with no logoff and no other reason near it) from that client is that session's
/// teardown, not a refusal of its own: it joins the session (and so its drop's
/// evidence). One such record per session; any others stay refusals of their own.
fn teardown_records(input: &Input, b: &mut Built) {
    let orphans: Vec<usize> = (0..input.items.len())
        .filter(|i| b.lone_drop(input, *i))
        .filter(|i| {
            input.items[*i]
                .event
                .provider
                .eq_ignore_ascii_case(TRANSPORT_DRIVER)
        })
        .filter(|i| input.facts[*i].address.is_some())
        .collect();
    if orphans.is_empty() {
        return;
    }
    let ends = bare_disconnects(input, b);
    let mut joined: foldhash::HashSet<usize> = foldhash::HashSet::default();
    for i in orphans {
        let Some(address) = input.facts[i].address.as_deref() else {
            continue;
        };
        let t = input.items[i].event.time;
        let Some(list) = ends.get(&(input.host_of(i), strip_port(address))) else {
            continue;
        };
        let first = list.partition_point(|(end, _)| *end < t - TEARDOWN_SLACK);
        let found = list[first..]
            .iter()
            .take_while(|(end, _)| *end <= t + TEARDOWN_SLACK)
            .find(|(_, s)| !joined.contains(s));
        if let Some(&(_, s)) = found {
            joined.insert(s);
            attach(input, b, s, i);
        }
    }
    for s in joined {
        b.segs[s].items.sort_unstable();
    }
}

/// The disconnects of remote sessions that no logoff or stated reason explains, per
/// (host, client address), in time order.
fn bare_disconnects(input: &Input, b: &Built) -> HashMap<(usize, String), Vec<SessionEnd>> {
    let mut ends: HashMap<(usize, String), Vec<SessionEnd>> = HashMap::default();
    for (s, seg) in b.segs.iter().enumerate() {
        let (SessionKind::Remote, Some(a)) = (seg.kind, &seg.address) else {
            continue;
        };
        let at = |j: &usize| input.items[*j].event.time;
        // When a logoff or a stated reason was logged (items are in time order).
        let said: Vec<DateTime<Utc>> = seg
            .items
            .iter()
            .filter(|j| {
                let f = &input.facts[**j];
                matches!(f.kind, Some(Kind::Logoff | Kind::SecLogoff))
                    || f.kind == Some(Kind::DisconnectReason) && f.reason.unwrap_or(0) != 0
            })
            .map(at)
            .collect();
        let explained = |t: DateTime<Utc>| {
            let k = said.partition_point(|x| *x < t - TEARDOWN_SLACK);
            said.get(k).is_some_and(|x| *x <= t + TEARDOWN_SLACK)
        };
        let list = ends.entry((seg.host, strip_port(a))).or_default();
        for j in &seg.items {
            let kind = input.facts[*j].kind;
            let end = matches!(
                kind,
                Some(Kind::Disconnect | Kind::DisconnectReason | Kind::SecDisconnect)
            );
            if end && !explained(at(j)) {
                list.push((at(j), s));
            }
        }
    }
    for list in ends.values_mut() {
        list.sort_unstable();
        list.dedup_by_key(|(_, s)| *s);
    }
    ends
}

/// How soon after a transient session's first record its connection must
/// reach the session it moves to.
const TRANSIENT_MOVE: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// A connection that reconnects to an existing session is first arbitrated in
/// a new, transient session id (LSM 41/42 and nothing else), then moves to the
/// existing session (LSM 25 or RdpCoreTS 66 with the other id). The transient
/// session is no episode of its own: its records join the session the
/// connection moved to.
fn fold_transient(input: &Input, b: &mut Built) {
    let only_arbitration = |seg: &Seg| {
        seg.items.iter().all(|i| {
            matches!(
                input.facts[*i].kind,
                Some(
                    Kind::Arbitration
                        | Kind::ArbitrationEnd
                        | Kind::Accepted
                        | Kind::Authenticated
                        | Kind::SecLogon
                )
            )
        }) && seg
            .items
            .iter()
            .any(|i| input.facts[*i].kind == Some(Kind::Arbitration))
    };
    for t in 0..b.segs.len() {
        if b.segs[t].items.is_empty() || !only_arbitration(&b.segs[t]) {
            continue;
        }
        let (start, sid, host) = (b.segs[t].start, b.segs[t].sid, b.segs[t].host);
        let conns: Vec<usize> = b.segs[t]
            .items
            .iter()
            .filter_map(|i| b.conn_of[*i])
            .collect();
        let moved_to = (0..b.segs.len()).find(|s| {
            let seg = &b.segs[*s];
            *s != t
                && seg.host == host
                && seg.sid.is_some()
                && seg.sid != sid
                && seg.items.iter().any(|i| {
                    let dt = input.items[*i].event.time - start;
                    dt >= chrono::TimeDelta::zero()
                        && dt <= TRANSIENT_MOVE
                        && matches!(input.facts[*i].kind, Some(Kind::Reconnect | Kind::Assigned))
                        && b.conn_of[*i].is_some_and(|c| conns.contains(&c))
                })
        });
        let Some(s) = moved_to else {
            continue;
        };
        for i in std::mem::take(&mut b.segs[t].items) {
            b.owner[i] = Some(s);
            b.segs[s].items.push(i);
        }
        for c in std::mem::take(&mut b.segs[t].conns) {
            if !b.segs[s].conns.contains(&c) {
                b.segs[s].conns.push(c);
            }
            b.conns[c].segs.retain(|x| *x != t);
        }
    }
}

/// Groups items by the `ActivityID` of connections: ids that RCM or RdpCoreTS
/// (or the client) logged, then the LSM events that carry the same id.
fn link_connections(input: &Input, range: Range<usize>, b: &mut Built) {
    let mut by_activity: HashMap<&str, usize> = HashMap::default();
    for pass_lsm in [false, true] {
        for i in range.clone() {
            let ev = &input.items[i].event;
            let Some(act) = ev.activity_id.as_deref() else {
                continue;
            };
            let log = input.facts[i].log;
            let client = log == Some(Log::Client);
            let creates = matches!(log, Some(Log::Rcm | Log::CoreTs)) || client;
            let c = match (pass_lsm, creates, log) {
                (false, true, _) => *by_activity.entry(act).or_insert_with(|| {
                    b.conns.push(Conn {
                        client,
                        ..Conn::default()
                    });
                    b.conns.len() - 1
                }),
                (true, false, Some(Log::Lsm)) => match by_activity.get(act) {
                    Some(c) => *c,
                    None => continue,
                },
                _ => continue,
            };
            b.conn_of[i] = Some(c);
            b.conns[c].items.push(i);
            if let Some(name) = &input.facts[i].connection {
                b.conns[c].name.get_or_insert_with(|| name.clone());
            }
        }
    }
    for c in by_activity.into_values() {
        b.conns[c].items.sort_unstable();
    }
}

/// Windows 7 and Server 2008 R2 write RCM events without an `ActivityID`: each user
/// authentication (1149) there is a connection of its own. Only on hosts without an LSM
/// log, whose sessions would otherwise hold these logons.
fn lone_authentications(input: &Input, range: Range<usize>, b: &mut Built) {
    for i in range {
        let f = &input.facts[i];
        if f.log == Some(Log::Rcm) && f.kind == Some(Kind::Authenticated) && b.conn_of[i].is_none()
        {
            b.conns.push(Conn {
                items: vec![i],
                ..Conn::default()
            });
            b.conn_of[i] = Some(b.conns.len() - 1);
        }
    }
}

/// Walks the events that name an LSM session id, in time order, and cuts them
/// into sessions. Without an LSM log (`has_lsm` false) the session ids that
/// RdpCoreTS 66 names are not followed: Windows reuses them for every new
/// connection, so those sessions are cut at connection boundaries instead
/// ([`connection_sessions`]).
// Long: a pass over one host's records (`host`, `range`) of the sessions being built: the shared input and state, and the session ids it follows.
fn lsm_sessions(
    input: &Input,
    host: usize,
    range: Range<usize>,
    has_lsm: bool,
    b: &mut Built,
    by_sid: &mut HashMap<u32, Vec<usize>>,
) {
    for i in range {
        let f = &input.facts[i];
        if matches!(f.kind, Some(k) if is_security(k)) {
            continue;
        }
        if !has_lsm && f.kind == Some(Kind::Assigned) {
            continue;
        }
        let (Some(sid), Some(cls)) = (f.session, class(f.kind, f.step)) else {
            continue;
        };
        let t = input.items[i].event.time;
        let list = by_sid.entry(sid).or_default();
        let found = via_connection(b, (i, t), sid, cls, f).or_else(|| pick(b, list, cls, t, f));
        let s = found.unwrap_or_else(|| {
            list.push(new_seg(b, host, Some(sid), SessionKind::Unknown, t));
            b.segs.len() - 1
        });
        attach(input, b, s, i);
        let seg = &mut b.segs[s];
        match cls {
            Class::Start => seg.has_start = true,
            Class::End => {
                seg.ended = true;
                seg.last_end = Some(t);
                seg.logged_off |= f.kind == Some(Kind::Logoff);
            }
            _ => {}
        }
    }
}

fn is_security(k: Kind) -> bool {
    matches!(
        k,
        Kind::SecLogon | Kind::SecLogoff | Kind::SecReconnect | Kind::SecDisconnect
    )
}

/// The session this item's connection already belongs to, for the same session id.
fn via_connection(
    b: &Built,
    (i, t): (usize, DateTime<Utc>),
    sid: u32,
    cls: Class,
    f: &Facts,
) -> Option<usize> {
    let c = b.conn_of[i]?;
    let s = *b.conns[c]
        .segs
        .iter()
        .rev()
        .find(|s| b.segs[**s].sid == Some(sid))?;
    let seg = &b.segs[s];
    // A reason 5 logged with the reconnect that caused it (LSM 25, 40 reason 5, 4778)
    // is about the connection that reconnect replaced: `pick` finds that one.
    let replacing = cls == Class::End && replaced_by_reconnect(seg, t, f);
    let restarting = cls == Class::Start && seg.has_start;
    (!replacing && !restarting).then_some(s)
}

/// Whether end record `f` at `t` is a reason 5 that came with the reconnect that
/// started `seg` (within [`REPLACED_SLACK`]).
fn replaced_by_reconnect(seg: &Seg, t: DateTime<Utc>, f: &Facts) -> bool {
    f.reason == Some(5) && seg.has_start && t - seg.start <= REPLACED_SLACK
}

/// The current session of a session id that `cls` continues, if any. End
/// events attach to a session still open or just ended; a logoff also to a
/// disconnected session not yet logged off (the disconnected-session limit).
fn pick(b: &Built, list: &[usize], cls: Class, t: DateTime<Utc>, f: &Facts) -> Option<usize> {
    let cur = *list.last()?;
    let seg = &b.segs[cur];
    match cls {
        Class::Start => (!seg.ended && !seg.has_start).then_some(cur),
        Class::Begin => (!seg.ended).then_some(cur),
        Class::Attach => Some(cur),
        Class::End => {
            if replaced_by_reconnect(seg, t, f) && list.len() > 1 {
                // The stay it replaced, unless that one had already ended (a drop or a
                // client close the user came back from): then the record is nobody's
                // ending, and stays with the reconnect (`drop` passes over it).
                let prev = list[list.len() - 2];
                let ended_before = b.segs[prev]
                    .last_end
                    .is_some_and(|e| t - e > REPLACED_SLACK);
                if !ended_before {
                    return Some(prev);
                }
            }
            let recent = seg.last_end.is_some_and(|e| t - e <= TRAILING_END);
            let logoff = f.kind == Some(Kind::Logoff) && !seg.logged_off;
            (!seg.ended || recent || logoff).then_some(cur)
        }
    }
}

pub(crate) fn new_seg(
    b: &mut Built,
    host: usize,
    sid: Option<u32>,
    kind: SessionKind,
    t: DateTime<Utc>,
) -> usize {
    b.segs.push(Seg {
        host,
        kind,
        sid,
        items: Vec::new(),
        start: t,
        has_start: false,
        ended: false,
        logged_off: false,
        last_end: None,
        conns: Vec::new(),
        user: None,
        address: None,
        server: None,
        peer: None,
        conn_backed: false,
        refusal: None,
        security_only: false,
    });
    b.segs.len() - 1
}

pub(crate) fn attach(input: &Input, b: &mut Built, s: usize, i: usize) {
    b.owner[i] = Some(s);
    let f = &input.facts[i];
    let seg = &mut b.segs[s];
    seg.items.push(i);
    if seg.user.is_none() {
        seg.user.clone_from(&f.user);
    }
    if seg.address.is_none() {
        seg.address.clone_from(&f.address);
    }
    if let Some(c) = b.conn_of[i] {
        if !seg.conns.contains(&c) {
            seg.conns.push(c);
        }
        if !b.conns[c].segs.contains(&s) {
            b.conns[c].segs.push(s);
        }
    }
}

/// Joins Security events: 4624 (types 10/7) to the session that started with
/// it (same account, within seconds), then 4634/4647/4778/4779 by logon id or
/// by connection name (`SessionName`).
fn security(input: &Input, range: Range<usize>, b: &mut Built, by_sid: &HashMap<u32, Vec<usize>>) {
    // A logon id names one logon, so one session: not merely a session id, which
    // Windows gives again to the next connection.
    let mut logon_seg: HashMap<String, usize> = HashMap::default();
    // Windows numbers connections again after TermService restarts, so one
    // name may stand for several connections: each name's, in time order.
    let mut names: HashMap<&str, Vec<usize>> = HashMap::default();
    let mut listed: foldhash::HashSet<(&str, usize)> = foldhash::HashSet::default();
    for i in range.clone() {
        let (Some(name), Some(c)) = (input.facts[i].connection.as_deref(), b.conn_of[i]) else {
            continue;
        };
        if !b.conns[c].client && listed.insert((name, c)) {
            names.entry(name).or_default().push(c);
        }
    }
    let mut starts: Vec<usize> = by_sid.values().flatten().copied().collect();
    starts.sort_by_key(|s| b.segs[*s].start);
    for i in range {
        let f = &input.facts[i];
        let Some(kind) = f.kind.filter(|k| is_security(*k)) else {
            continue;
        };
        let t = input.items[i].event.time;
        let seg = if kind == Kind::SecLogon {
            let user = f.user.as_deref().map(account);
            let from = starts.partition_point(|s| b.segs[*s].start < t - SECURITY_SLACK);
            let s = starts[from..]
                .iter()
                .take_while(|s| b.segs[**s].start <= t + SECURITY_SLACK)
                .copied()
                .find(|s| b.segs[*s].user.as_deref().map(account) == user);
            if let (Some(s), Some(id)) = (s, &f.logon_id) {
                logon_seg.insert(id.clone(), s);
            }
            s
        } else {
            let named = f.connection.as_deref().and_then(|n| names.get(n));
            let conn = named.and_then(|list| named_at(input, b, list, t));
            conn.and_then(|c| seg_of_conn(b, c, t))
                .or_else(|| {
                    let sid = b.segs[*b.conns[conn?].segs.last()?].sid?;
                    latest_before(b, by_sid.get(&sid)?, t + SECURITY_SLACK)
                })
                .or_else(|| logon_seg.get(f.logon_id.as_deref()?).copied())
        };
        if let Some(s) = seg {
            attach(input, b, s, i);
        }
    }
}

/// Of the connections that bore one name (in time order), the one a Security
/// record at `t` names: the last that began by then.
fn named_at(input: &Input, b: &Built, list: &[usize], t: DateTime<Utc>) -> Option<usize> {
    let began = |c: usize| input.items[b.conns[c].items[0]].event.time;
    let n = list.partition_point(|c| began(*c) <= t + SECURITY_SLACK);
    n.checked_sub(1).map(|k| list[k])
}

/// The session a connection was in at `t`: a 4779 names the connection that
/// left the session, not the one that took it over a moment later.
fn seg_of_conn(b: &Built, c: usize, t: DateTime<Utc>) -> Option<usize> {
    b.conns[c]
        .segs
        .iter()
        .copied()
        .filter(|s| b.segs[*s].start <= t + SECURITY_SLACK)
        .max_by_key(|s| b.segs[*s].start)
}

/// The last session in `list` (in start order) that started by `t`.
fn latest_before(b: &Built, list: &[usize], t: DateTime<Utc>) -> Option<usize> {
    let n = list.partition_point(|s| b.segs[*s].start <= t);
    n.checked_sub(1).map(|k| list[k])
}

/// Client-side connections become `Client` sessions; server connections that
/// were given a session (RdpCoreTS 66) but joined no LSM session become
/// sessions of their own, ended as the connection ends. The others are
/// connection attempts, for `attempt` to judge.
fn connection_sessions(input: &Input, host: usize, range: Range<usize>, b: &mut Built) {
    let conns: Vec<usize> = range
        .filter_map(|i| b.conn_of[i])
        .filter(|c| b.conns[*c].segs.is_empty())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for c in conns {
        let conn = &b.conns[c];
        let Some(&first) = conn.items.first() else {
            continue;
        };
        let kind = if conn.client {
            SessionKind::Client
        } else if connection::has(input, &conn.items, Kind::Assigned) {
            SessionKind::Remote
        } else {
            continue;
        };
        let server = conn
            .items
            .iter()
            .find(|i| conn.client && input.items[**i].event.event_id == 1024)
            .and_then(|i| input.items[*i].event.field("Value"))
            .map(|v| v.as_text().into_owned());
        let s = new_seg(b, host, None, kind, input.items[first].event.time);
        b.segs[s].server = server;
        b.segs[s].conn_backed = kind == SessionKind::Remote;
        for i in b.conns[c].items.clone() {
            attach(input, b, s, i);
            let f = &input.facts[i];
            if f.kind == Some(Kind::Assigned) {
                b.segs[s].has_start = true;
                b.segs[s].sid = f.session.or(b.segs[s].sid);
            }
        }
    }
}

/// Gives every connection's remaining events to the session it ended in, sorts
/// each session's items, and decides whether sessions were remote or console.
fn finish(input: &Input, b: &mut Built) {
    for c in 0..b.conns.len() {
        let Some(&s) = b.conns[c].segs.last() else {
            continue;
        };
        for i in b.conns[c].items.clone() {
            if b.owner[i].is_none() {
                attach(input, b, s, i);
            }
        }
    }
    for seg in &mut b.segs {
        seg.items.sort_unstable();
        if let Some(first) = seg.items.first() {
            seg.start = input.items[*first].event.time;
        }
        if seg.kind == SessionKind::Unknown {
            let local = seg.items.iter().any(|i| input.facts[*i].local);
            seg.kind = if seg.address.is_some() || !seg.conns.is_empty() {
                SessionKind::Remote
            } else if local {
                SessionKind::Console
            } else {
                SessionKind::Unknown
            };
        }
    }
}
