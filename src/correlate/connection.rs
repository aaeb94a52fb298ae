//! One transport connection of a server, as its own records tell it: the
//! events that share the connection's `ActivityID` (RCM 261/1149, RdpCoreTS
//! 131/65/66/102/103/107/139/140/142/143/228, and the LSM events of that
//! connection), the UDP side channel folded into the TCP connection it belongs
//! to, and how the connection's own records end it.
//!
//! How Windows ends a connection, as RdpCoreTS logs it (checked on the corpus):
//! - the client closes on purpose: 107 "Disconnect Provider Indication" first,
//!   then the server's teardown (226, 228, 102, 103 reason 13);
//! - the server decides: 228 "Disconnect trace" or 103 first, then socket
//!   errors as teardown (103 reason 5: another connection took the session);
//! - the transport fails: a socket read or write error (142/143) first, with
//!   121 (ERROR_SEM_TIMEOUT) or 10060 (WSAETIMEDOUT) when the client stopped
//!   answering, 64 (ERROR_NETNAME_DELETED) or 10054 (WSAECONNRESET) when the
//!   client's side closed or reset the TCP connection without the RDP goodbye.

use super::catalog::{Kind, Log, strip_port};
use super::input::Input;
use super::model::{Confidence, DecodedCode};
use crate::rules::Category;
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use std::ops::Range;

/// The events of one connection (one `ActivityID`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Conn {
    pub items: Vec<usize>,
    pub segs: Vec<usize>,
    pub name: Option<String>,
    pub client: bool,
}

/// RdpCoreTS events that end or tear down a connection.
const CLIENT_CLOSED: u16 = 107;
const SERVER_ENDED: u16 = 102;
const DISCONNECT_REASON: u16 = 103;
const DISCONNECT_TRACE: u16 = 228;
const SOCKET_READ_FAILED: u16 = 142;
const SOCKET_WRITE_FAILED: u16 = 143;
const ACCEPTED: u16 = 131;

/// Socket errors that mean the client stopped answering (a timed-out transport).
const TIMEOUT_ERRORS: &[i64] = &[121, 10060, 0x8007_0079, 0x8007_274C];

/// How long after a TCP connection's accept its UDP side channel may still come.
const SIDE_CHANNEL_WITHIN: TimeDelta = TimeDelta::minutes(2);

/// How a connection's own records end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnEnd {
    /// The client sent the RDP goodbye (107).
    ClientClosed(usize),
    /// The client's side closed or reset the TCP connection (socket error 64 or
    /// 10054 before any server decision).
    ClientReset(usize),
    /// The client stopped answering: the transport timed out (socket error 121).
    TimedOut(usize),
    /// The server disconnected it because another connection took its session
    /// (reason 5).
    Replaced(usize),
    /// The server ended it for a reason its records do not name.
    ByServer(usize),
    /// No end is in the logs.
    NotLogged,
}

impl ConnEnd {
    /// The record that decided the ending.
    pub fn item(self) -> Option<usize> {
        match self {
            ConnEnd::ClientClosed(i)
            | ConnEnd::ClientReset(i)
            | ConnEnd::TimedOut(i)
            | ConnEnd::Replaced(i)
            | ConnEnd::ByServer(i) => Some(i),
            ConnEnd::NotLogged => None,
        }
    }
}

fn core_id(input: &Input, i: usize) -> Option<u16> {
    (input.facts[i].log == Some(Log::CoreTs)).then_some(input.items[i].event.event_id)
}

fn int_field(input: &Input, i: usize, name: &str) -> Option<i64> {
    input.items[i].event.field_i64(name)
}

/// How the records `items` (one connection's, in time order) end it: the first
/// end record decides (see the module documentation).
pub(crate) fn end_of(input: &Input, items: &[usize]) -> ConnEnd {
    for (k, &i) in items.iter().enumerate() {
        match core_id(input, i) {
            Some(CLIENT_CLOSED) => return ConnEnd::ClientClosed(i),
            Some(SOCKET_READ_FAILED | SOCKET_WRITE_FAILED) => {
                let err = int_field(input, i, "error").unwrap_or(0);
                return if TIMEOUT_ERRORS.contains(&err) {
                    ConnEnd::TimedOut(i)
                } else {
                    ConnEnd::ClientReset(i)
                };
            }
            Some(DISCONNECT_TRACE | DISCONNECT_REASON | SERVER_ENDED) => {
                let reason = items[k..]
                    .iter()
                    .find(|j| core_id(input, **j) == Some(DISCONNECT_REASON))
                    .and_then(|j| int_field(input, *j, "ReasonCode"));
                return if reason == Some(5) {
                    ConnEnd::Replaced(i)
                } else {
                    ConnEnd::ByServer(i)
                };
            }
            _ => {}
        }
    }
    ConnEnd::NotLogged
}

/// True when `items` hold the given step: RCM 1149 for
/// [`Kind::Authenticated`], RdpCoreTS 66 for [`Kind::Assigned`].
pub(crate) fn has(input: &Input, items: &[usize], kind: Kind) -> bool {
    items.iter().any(|i| input.facts[*i].kind == Some(kind))
}

/// The UDP side channel of a connection: a connection whose only accept is a
/// RdpCoreTS 131 with `ConnType` UDP. Its address, when it is one.
fn udp_side_channel(input: &Input, items: &[usize]) -> Option<(DateTime<Utc>, String)> {
    let mut found = None;
    for &i in items {
        let ev = &input.items[i].event;
        match core_id(input, i) {
            Some(ACCEPTED) => {
                let udp = ev
                    .field("ConnType")
                    .is_some_and(|v| v.as_text().eq_ignore_ascii_case("UDP"));
                if !udp {
                    return None;
                }
                let addr = ev
                    .field("ClientIP")
                    .map(|v| strip_port(v.as_text().trim()))?;
                found = Some((ev.time, addr));
            }
            _ if input.facts[i].kind.is_some() => return None,
            _ => {}
        }
    }
    found
}

/// Folds each UDP side channel of `range` (one host) into the TCP connection
/// of the same client accepted last before it (within [`SIDE_CHANNEL_WITHIN`]);
/// a side channel with no such connection is emptied, since it is no attempt
/// of its own.
pub(crate) fn fold_side_channels(
    input: &Input,
    range: Range<usize>,
    conns: &mut [Conn],
    conn_of: &mut [Option<usize>],
) {
    let mut tcp: HashMap<String, Vec<(DateTime<Utc>, usize)>> = HashMap::default();
    let mut udp: Vec<(DateTime<Utc>, String, usize)> = Vec::new();
    let mut ids: Vec<usize> = range.filter_map(|i| conn_of[i]).collect();
    ids.sort_unstable();
    ids.dedup();
    for c in ids {
        if conns[c].client {
            continue;
        }
        if let Some((t, addr)) = udp_side_channel(input, &conns[c].items) {
            udp.push((t, addr, c));
            continue;
        }
        let accept = conns[c].items.iter().find_map(|i| {
            (core_id(input, *i) == Some(ACCEPTED)).then(|| {
                let ev = &input.items[*i].event;
                let addr = ev.field("ClientIP").map(|v| strip_port(v.as_text().trim()));
                (ev.time, addr)
            })
        });
        if let Some((t, Some(addr))) = accept {
            tcp.entry(addr).or_default().push((t, c));
        }
    }
    tcp.values_mut().for_each(|v| v.sort_unstable());
    for (t, addr, c) in udp {
        let target = tcp.get(&addr).and_then(|list| {
            let n = list.partition_point(|(x, _)| *x <= t);
            let (start, tc) = *list.get(n.checked_sub(1)?)?;
            (t - start <= SIDE_CHANNEL_WITHIN).then_some(tc)
        });
        let items = std::mem::take(&mut conns[c].items);
        match target {
            Some(tc) => {
                for &i in &items {
                    conn_of[i] = Some(tc);
                }
                conns[tc].items.extend(items);
                conns[tc].items.sort_unstable();
            }
            None => items.iter().for_each(|i| conn_of[*i] = None),
        }
    }
}

/// Why a connection attempt was refused, from its own records.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    /// The failure family, when the records tell it.
    pub category: Option<Category>,
    /// The record that shows the refusal best.
    pub decider: usize,
    /// The attempt's own failure records (the decider first).
    pub evidence: Vec<usize>,
    /// The logged status, decoded (a 4625's SubStatus or Status).
    pub reason: Option<DecodedCode>,
    /// How sure the attribution of these records to one RDP attempt is.
    pub confidence: Confidence,
    /// What limits that certainty, in words (records seen only in System, ...).
    pub note: Option<&'static str>,
    /// Judged from the connection's pattern, not from a failure record: the
    /// decider is the connection's own accept (a burst only the listener logged).
    pub inferred: bool,
}
