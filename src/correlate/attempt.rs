//! Server connections that never reached a session (RCM 261, RdpCoreTS 131/65,
//! RCM 1149, but no logon), and client-side connections joined to the server's.
//!
//! A connection without a session is a refused connection when
//! - an error in it ends it (a drop or cause event of the same `ActivityID`,
//!   already made an attempt by `session`);
//! - a failure is logged on the same host right at it: a cause or drop event
//!   that belongs to no connection, between [`TIGHT_BEFORE`] before its first
//!   and [`TIGHT_AFTER`] after its last event, naming the same client address
//!   when both name one (Schannel 36870 in the same second, RCM 1028, TermDD 56);
//! - the client's own log shows it failing (RDPClient 1024 naming this host
//!   within [`JOIN`] of it, then a 1026 with an error);
//! - its client retried: another connection from the same address was refused
//!   within [`RETRY`], and no session from that address started within
//!   [`GOT_IN`] after it (which would make it part of a connect that worked).
//!
//! A bare accept with none of these (a port scan, a health probe) stays a bare
//! connection and is not reported.

use super::catalog::Kind;
use super::drop::client_outcome;
use super::input::Input;
use super::model::{Ending, SessionKind};
use super::session::{Built, attach, new_seg};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{HashMap, HashSet};

/// How long before a connection's first event a failure still belongs to it.
const TIGHT_BEFORE: TimeDelta = TimeDelta::seconds(2);
/// How long after a connection's last event a failure still belongs to it.
const TIGHT_AFTER: TimeDelta = TimeDelta::seconds(5);
/// How far apart a client's connect (1024) and the server's accept may be.
const JOIN: TimeDelta = TimeDelta::seconds(5);
/// How far apart a client's retries are taken to be one series.
const RETRY: TimeDelta = TimeDelta::minutes(10);
/// How soon after an accept a session logon means that connect worked.
const GOT_IN: TimeDelta = TimeDelta::seconds(60);

/// A server connection that reached no session.
#[derive(Debug, Clone)]
struct Bare {
    conn: usize,
    host: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    address: Option<String>,
}

/// Turns the refused ones among the server connections without a session into
/// `Attempt` sessions, and joins client-side connections to the server's.
pub(crate) fn refine(input: &Input, b: &mut Built) {
    let mut bare = bare_connections(input, b);
    // Per item: a drop, or a cause of a known category (what a refusal can be blamed on);
    // then, whether a connection has claimed it already.
    let failures: Vec<bool> = (0..input.items.len())
        .map(|j| {
            let f = &input.facts[j];
            f.drop || (f.cause && input.items[j].rules.iter().any(|r| r.category().is_some()))
        })
        .collect();
    let mut claimed = vec![false; input.items.len()];
    bare.retain(|c| match failure_at(input, b, c, &failures, &claimed) {
        Some(i) => {
            claimed[i] = true;
            let s = attempt(input, b, c);
            if b.owner[i].is_none() {
                attach(input, b, s, i);
                settle(input, b, s);
            }
            false
        }
        None => true,
    });
    join_clients(input, b, &mut bare);
    retries(input, b, &bare);
}

/// Server connections with a connect or auth event and no session, in order.
fn bare_connections(input: &Input, b: &Built) -> Vec<Bare> {
    b.conns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.client && c.segs.is_empty() && !c.items.is_empty())
        .filter(|(_, c)| {
            c.items.iter().any(|i| {
                matches!(
                    input.facts[*i].kind,
                    Some(Kind::Accepted | Kind::Authenticated)
                )
            })
        })
        .map(|(k, c)| {
            let first = c.items[0];
            let last = c.items[c.items.len() - 1];
            Bare {
                conn: k,
                host: input.host_of(first),
                start: input.items[first].event.time,
                end: input.items[last].event.time,
                address: c.items.iter().find_map(|i| input.facts[*i].address.clone()),
            }
        })
        .collect()
}

/// The failure logged right at connection `c`: the closest unclaimed cause or
/// drop event (`failures`) of no connection inside the tight window, those naming
/// the client's address first.
fn failure_at(
    input: &Input,
    b: &Built,
    c: &Bare,
    failures: &[bool],
    claimed: &[bool],
) -> Option<usize> {
    let range = input.hosts[c.host].1.clone();
    let times = &input.items[range.clone()];
    let lo = range.start + times.partition_point(|m| m.event.time < c.start - TIGHT_BEFORE);
    let hi = range.start + times.partition_point(|m| m.event.time <= c.end + TIGHT_AFTER);
    (lo..hi)
        .filter(|&j| failures[j] && !claimed[j] && b.conn_of[j].is_none())
        .filter_map(|j| {
            let named = input.facts[j].address.as_deref();
            let same = match (named, c.address.as_deref()) {
                (Some(x), Some(y)) if x != y => return None,
                (Some(_), Some(_)) => 0,
                _ => 1,
            };
            let dt = (input.items[j].event.time - c.end).abs();
            Some(((same, dt, j), j))
        })
        .min()
        .map(|(_, j)| j)
}

/// Makes connection `c` an `Attempt` session holding its events.
fn attempt(input: &Input, b: &mut Built, c: &Bare) -> usize {
    let s = new_seg(b, c.host, None, SessionKind::Attempt, c.start);
    for i in b.conns[c.conn].items.clone() {
        attach(input, b, s, i);
    }
    s
}

/// Sorts session `s`'s items and starts it at the first.
fn settle(input: &Input, b: &mut Built, s: usize) {
    let seg = &mut b.segs[s];
    seg.items.sort_unstable();
    if let Some(first) = seg.items.first() {
        seg.start = input.items[*first].event.time;
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
/// client connection joined to a bare server connection makes it an attempt.
fn join_clients(input: &Input, b: &mut Built, bare: &mut Vec<Bare>) {
    let hosts: HashMap<String, usize> = (0..input.hosts.len())
        .map(|h| (short(&input.hosts[h].0), h))
        .collect();
    let mut starts: HashMap<usize, Vec<(DateTime<Utc>, usize)>> = HashMap::new();
    for (k, c) in b.conns.iter().enumerate().filter(|(_, c)| !c.client) {
        if let Some(first) = c.items.first() {
            let start = (input.items[*first].event.time, k);
            starts.entry(input.host_of(*first)).or_default().push(start);
        }
    }
    starts.values_mut().for_each(|v| v.sort_unstable());
    let mut joined: HashSet<usize> = HashSet::new();
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
            None => failed_client(input, b, cs, conn, bare),
        };
        if let Some(s) = server {
            b.segs[s].peer = Some(cs);
            b.segs[cs].peer = Some(s);
        }
    }
}

/// When client connection `cs` failed, makes the bare server connection
/// `conn` an attempt and returns it.
fn failed_client(
    input: &Input,
    b: &mut Built,
    cs: usize,
    conn: usize,
    bare: &mut Vec<Bare>,
) -> Option<usize> {
    let out = client_outcome(input, &b.segs[cs]);
    if !matches!(out.ending, Ending::Dropped | Ending::Refused) {
        return None;
    }
    let k = bare.iter().position(|c| c.conn == conn)?;
    let c = bare.remove(k);
    Some(attempt(input, b, &c))
}

/// Bare connections of a client whose other connections were refused within
/// [`RETRY`], with no session from that client starting within [`GOT_IN`].
fn retries(input: &Input, b: &mut Built, bare: &[Bare]) {
    type Times = HashMap<(usize, String), Vec<DateTime<Utc>>>;
    let mut refused: Times = HashMap::new();
    let mut sessions: Times = HashMap::new();
    for seg in &b.segs {
        let Some(a) = seg.address.clone() else {
            continue;
        };
        match seg.kind {
            SessionKind::Attempt => refused.entry((seg.host, a)).or_default().push(seg.start),
            SessionKind::Remote if seg.has_start => {
                sessions.entry((seg.host, a)).or_default().push(seg.start);
            }
            _ => {}
        }
    }
    refused.values_mut().for_each(|v| v.sort_unstable());
    sessions.values_mut().for_each(|v| v.sort_unstable());
    let any_in = |map: &Times, key: &(usize, String), from, to| {
        map.get(key).is_some_and(|v| {
            let lo = v.partition_point(|x| *x < from);
            v.get(lo).is_some_and(|x| *x <= to)
        })
    };
    for c in bare {
        let Some(a) = c.address.clone() else {
            continue;
        };
        let key = (c.host, a);
        let retried = any_in(&refused, &key, c.start - RETRY, c.start + RETRY);
        let got_in = any_in(&sessions, &key, c.start, c.start + GOT_IN);
        if retried && !got_in {
            attempt(input, b, c);
        }
    }
}
