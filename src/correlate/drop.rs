//! Decides how each session ended and which endings are drops: a disconnect the
//! user did not ask for, or a connection that ended before logon with an error.

use super::catalog::Kind;
use super::connection::{self, ConnEnd};
use super::input::Input;
use super::model::{DecodedCode, DropKind, Ending, SessionKind};
use super::session::{Built, REPLACED_SLACK, Seg};
use super::window::CauseIndex;
use crate::event::codes::{self, Family};
use crate::event::last_alive;
use crate::rules::{Category, Level, Role, RuleInfo, Step};
use chrono::{DateTime, TimeDelta, Utc};

/// How an LSM 40 reason (inclusive range) ends a session; other values are drops.
const SERVER_ENDINGS: &[(i64, i64, Ending)] = &[
    (0, 0, Ending::Dropped),
    (1, 1, Ending::UserDisconnect),
    (2, 2, Ending::UserLogoff),
    (3, 4, Ending::TimeLimit),
    (5, 5, Ending::Replaced),
    (6, 6, Ending::Dropped),
    (7, 10, Ending::Refused),
    (11, 11, Ending::UserDisconnect),
    (12, 12, Ending::UserLogoff),
    // The server told the client it was shutting down or restarting: an orderly
    // end, as a logoff at a restart someone asked for.
    (25, 26, Ending::Shutdown),
    // Licensing failed while the connection was being set up (a drop when it
    // comes after a logon).
    (256, 267, Ending::Refused),
];

/// Client 1026 reasons that are not errors; every other value is a drop.
const CLIENT_ENDINGS: &[(i64, i64, Ending)] = &[(0, 3, Ending::UserDisconnect)];

/// How long after a reason-0 disconnect a connection that carries on means it
/// moved to another session rather than dropped.
const MOVED_WITHIN: TimeDelta = TimeDelta::seconds(60);

/// How close to a shutdown or restart a logoff without a user's signal must be
/// to have been forced by it.
pub(crate) const SHUTDOWN_NEAR: TimeDelta = TimeDelta::minutes(5);

/// How long after LSM's disconnect record the RdpCoreTS records of the same
/// connection's end may still come.
const END_RECORDS_AFTER: TimeDelta = TimeDelta::seconds(5);

/// How soon a reconnect to the same session makes a disconnect an interruption.
const RECONNECT_WITHIN: TimeDelta = TimeDelta::minutes(2);

/// Security 4647: the user asked to log off.
const USER_LOGOFF_ID: u16 = 4647;

/// How one session ended.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub ending: Ending,
    pub reason: Option<DecodedCode>,
    /// The failure family the reason points to.
    pub category: Option<Category>,
    /// The item that decided it.
    pub decider: Option<usize>,
}

/// A drop found, before its causes are looked for.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub host: usize,
    pub seg: Option<usize>,
    pub kind: DropKind,
    pub decider: usize,
    /// When it happened: the decider's time, except for a session whose host went
    /// down under it, dated when the host was last known to be running.
    pub time: DateTime<Utc>,
    pub reason: Option<DecodedCode>,
    pub category: Option<Category>,
    pub evidence: Vec<usize>,
}

/// Decides every session's ending and lists the drops, in time order.
pub(crate) fn classify(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    user_window: TimeDelta,
) -> (Vec<Outcome>, Vec<Found>) {
    let outcomes: Vec<Outcome> = b
        .segs
        .iter()
        .map(|seg| match seg.kind {
            SessionKind::Client => client_outcome(input, seg),
            SessionKind::Attempt => match &seg.refusal {
                Some(r) => Outcome {
                    ending: Ending::Refused,
                    reason: r.reason.clone(),
                    category: r.category,
                    decider: Some(r.decider),
                },
                None => Outcome {
                    ending: Ending::Refused,
                    reason: None,
                    category: None,
                    decider: first_error(input, seg).or_else(|| seg.items.last().copied()),
                },
            },
            _ if seg.conn_backed => connection_outcome(input, seg),
            _ => server_outcome(input, b, index, seg, user_window),
        })
        .collect();
    let mut found: Vec<Found> = b
        .segs
        .iter()
        .zip(&outcomes)
        .enumerate()
        // A client-side connection joined to the server's is counted there.
        .filter(|(_, (seg, _))| !(seg.kind == SessionKind::Client && seg.peer.is_some()))
        .filter_map(|(s, (seg, out))| {
            let mut f = session_drop(input, s, seg, out)?;
            let peer = seg.peer.and_then(|p| outcomes[p].decider);
            f.evidence.extend(peer);
            Some(f)
        })
        .collect();
    found.extend(standalone(input, b));
    found.sort_by_key(|f| (f.time, f.decider));
    (outcomes, found)
}

fn ending_for(table: &[(i64, i64, Ending)], reason: i64) -> Ending {
    table
        .iter()
        .find(|(lo, hi, _)| (*lo..=*hi).contains(&reason))
        .map_or(Ending::Dropped, |(_, _, e)| *e)
}

fn kind_of(input: &Input, i: usize) -> Option<Kind> {
    input.facts[i].kind
}

/// A server session's ending: from its last LSM 40 reason, else 39, logoff, or
/// a bare disconnect; a reason-0 or bare disconnect is a drop unless the user
/// acted (39 by itself, logoff, client close) or the connection moved on.
fn server_outcome(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    seg: &Seg,
    user_window: TimeDelta,
) -> Outcome {
    let last = |k: Kind| {
        seg.items
            .iter()
            .rev()
            .copied()
            .find(|i| kind_of(input, *i) == Some(k))
    };
    let logoff = seg
        .items
        .iter()
        .copied()
        .find(|i| matches!(kind_of(input, *i), Some(Kind::Logoff | Kind::SecLogoff)));
    let (mut ending, reason, decider) = if let Some(i) = reason_record(input, seg) {
        let r = input.facts[i].reason.unwrap_or(0);
        let mut e = ending_for(SERVER_ENDINGS, r);
        if e == Ending::Refused && seg.has_start {
            e = Ending::Dropped;
        }
        if r == 0 {
            e = bare_disconnect(input, b, index, seg, i, user_window);
        }
        (e, Some(codes::decode(reason_family(r), r)), Some(i))
    } else if let Some(i) = last(Kind::DisconnectedBy) {
        (Ending::UserDisconnect, None, Some(i))
    } else if let Some(i) = logoff {
        (forced_logoff(input, index, seg, i), None, Some(i))
    } else if let Some(i) = last(Kind::Disconnect).or_else(|| last(Kind::SecDisconnect)) {
        (
            bare_disconnect(input, b, index, seg, i, user_window),
            None,
            Some(i),
        )
    } else if let Some(i) = seg.items.iter().copied().find(|i| input.facts[*i].drop) {
        (Ending::Dropped, None, Some(i))
    } else if let Some((ending, i)) = ended_by_boot(input, seg) {
        (ending, None, Some(i))
    } else {
        (Ending::Open, None, None)
    };
    if ending == Ending::UserDisconnect && logoff.is_some() {
        ending = Ending::UserLogoff;
    }
    if ending == Ending::Replaced && transient(input, seg) {
        ending = Ending::Transient;
    }
    let by_power = decider.is_some_and(|i| boot_record(input, i));
    let category = reason
        .as_ref()
        .and_then(|r| codes::category(reason_family(r.code), r.code))
        .or_else(|| {
            (reason.is_none() && ending == Ending::Dropped && (logoff == decider || by_power))
                .then_some(Category::Power)
        });
    Outcome {
        ending,
        reason,
        category,
        decider,
    }
}

/// The LSM 40 record that ends `seg`: its last one, passing over a reason 5 that
/// Windows logged with the stay's own reconnect (LSM 25, 40 reason 5, 4778), which is
/// about the connection that reconnect replaced.
fn reason_record(input: &Input, seg: &Seg) -> Option<usize> {
    let with_reconnect = |i: usize| {
        let t = input.items[i].event.time;
        input.facts[i].reason == Some(5)
            && seg.items.iter().any(|j| {
                kind_of(input, *j) == Some(Kind::Reconnect)
                    && (input.items[*j].event.time - t).abs() <= REPLACED_SLACK
            })
    };
    seg.items
        .iter()
        .rev()
        .copied()
        .find(|i| kind_of(input, *i) == Some(Kind::DisconnectReason) && !with_reconnect(*i))
}

/// How to read an LSM 40 reason: a protocol disconnect reason, or, when the value has
/// an HRESULT's severity bit (some hosts write 0x80070040 there), a status code.
fn reason_family(reason: i64) -> Family {
    if reason & 0x8000_0000 != 0 {
        Family::Status
    } else {
        Family::ServerReason
    }
}

/// A session known only from its connection's records ends as the connection
/// does: a client goodbye or reset is the client's doing, reason 5 a
/// replacement, a timed-out transport a network drop; a server-side end with
/// no named reason, or no end at all, is unknown.
fn connection_outcome(input: &Input, seg: &Seg) -> Outcome {
    let end = connection::end_of(input, &seg.items);
    let (ending, category) = match end {
        ConnEnd::ClientClosed(_) => (Ending::UserDisconnect, None),
        ConnEnd::ClientReset(_) => (Ending::ClientClosed, None),
        ConnEnd::TimedOut(_) => (Ending::Dropped, Some(Category::Network)),
        ConnEnd::Replaced(_) => (Ending::Replaced, None),
        ConnEnd::ByServer(_) | ConnEnd::NotLogged => (Ending::Unknown, None),
    };
    let reason = end.item().and_then(|i| {
        let ev = &input.items[i].event;
        let err = ev.field_i64("error")?;
        Some(codes::decode(Family::Status, err))
    });
    Outcome {
        ending,
        reason,
        category,
        decider: end.item(),
    }
}

/// A disconnect without a reason: a move when its connection carried on into
/// a session, the user's doing when they acted within `user_window` of it,
/// else a drop.
// Long: one disconnect judged against the shared input, state and cause index, within its segment, under the run's user window.
fn bare_disconnect(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    seg: &Seg,
    i: usize,
    user_window: TimeDelta,
) -> Ending {
    let t = input.items[i].event.time;
    // A logoff logged first: the disconnect record is its teardown, however
    // many seconds later it comes.
    let logged_off = seg.items.iter().copied().find(|j| {
        *j < i
            && (kind_of(input, *j) == Some(Kind::Logoff)
                || input.items[*j].event.event_id == USER_LOGOFF_ID
                    && kind_of(input, *j) == Some(Kind::SecLogoff))
    });
    if let Some(j) = logged_off {
        // The user's logoff, or one a restart forced.
        return forced_logoff(input, index, seg, j);
    }
    let moved = b.conn_of[i].is_some_and(|c| {
        b.conns[c].items.iter().any(|j| {
            let dt = input.items[*j].event.time - t;
            *j > i
                && dt <= MOVED_WITHIN
                && matches!(
                    kind_of(input, *j),
                    Some(Kind::Logon | Kind::Reconnect | Kind::Arbitration | Kind::Assigned)
                )
        })
    });
    if moved {
        return Ending::Replaced;
    }
    let near = |j: &usize| (input.items[*j].event.time - t).abs() <= user_window;
    let user = seg
        .items
        .iter()
        .filter(|j| near(j))
        .find_map(|j| match kind_of(input, *j) {
            // The user's logoff, or one a restart forced (`shutdown`).
            Some(Kind::Logoff | Kind::SecLogoff) => Some(forced_logoff(input, index, seg, *j)),
            Some(Kind::ClientClosed) => Some(Ending::UserDisconnect),
            Some(Kind::DisconnectedBy) => {
                self_disconnect(input, *j).then_some(Ending::UserDisconnect)
            }
            _ => None,
        });
    // A client that closed (RdpCoreTS 107) or vanished, and the user back in
    // the same session soon after: an interruption, not an ending.
    let client_side = matches!(user, None | Some(Ending::UserDisconnect))
        && !seg.items.iter().any(|j| {
            near(j)
                && kind_of(input, *j) == Some(Kind::DisconnectedBy)
                && self_disconnect(input, *j)
        });
    match user {
        Some(Ending::UserLogoff) => Ending::UserLogoff,
        _ if client_side && reconnected_soon(input, b, index, seg, t) => Ending::Interrupted,
        Some(e) => e,
        // Security alone gives no reason for a disconnect (4779): the user's, or a drop.
        // It is a drop when the host logged a failure of its own around it.
        None if seg.security_only => match host_failure_near(index, seg, t) {
            true => Ending::Dropped,
            false => Ending::Unknown,
        },
        // The connection under it was reset from the client's end before the
        // server ended anything: the client was closed or killed, as
        // `connection_outcome` reads the same records when LSM is not given.
        None => match connection_end_at(input, b, seg, t) {
            Some((_, ConnEnd::ClientClosed(_))) => Ending::UserDisconnect,
            Some((c, ConnEnd::ClientReset(_)))
                if client_side_reset(input, b, index, seg, (c, t)) =>
            {
                Ending::ClientClosed
            }
            _ => Ending::Dropped,
        },
    }
}

/// How long after a disconnect the failure that caused it may still be logged (a
/// service's crash record follows its sessions' ends by a moment).
const FAILURE_LOGGED_AFTER: TimeDelta = TimeDelta::seconds(5);

/// Whether the host logged, inside the cause's window before `t` (or just after), a
/// failure of its own that ends sessions: its Remote Desktop service, an unexpected
/// loss of power, its network or its resources. A restart someone asked for, or the
/// boot after it, is not one.
fn host_failure_near(index: &CauseIndex, seg: &Seg, t: DateTime<Utc>) -> bool {
    index
        .near(seg.host, t, seg.address.as_deref(), None)
        .iter()
        .filter(|h| h.offset <= FAILURE_LOGGED_AFTER)
        .any(|h| match index.category(h.rule) {
            Some(Category::Service | Category::Network | Category::Resource) => true,
            Some(Category::Power) => unclean_shutdown(&index.rules[h.rule]),
            _ => false,
        })
}

/// The RDP connection that carried `seg` up to a disconnect at `t` (the
/// connection of the segment's last record logged by then), and how its
/// RdpCoreTS records end it.
fn connection_end_at(
    input: &Input,
    b: &Built,
    seg: &Seg,
    t: chrono::DateTime<chrono::Utc>,
) -> Option<(usize, ConnEnd)> {
    let conn = (seg.items.iter().rev())
        .filter(|j| input.items[**j].event.time <= t + END_RECORDS_AFTER)
        .find_map(|j| b.conn_of[*j])?;
    Some((conn, connection::end_of(input, &b.conns[conn].items)))
}

/// Whether connection `conn`, reset from the client's end before a disconnect
/// at `t`, was ended by the client: no other failure (service, power, network,
/// another connection's socket errors) was logged on the host around it, and
/// no client log joined to it says the client lost the connection. Its own
/// socket errors are its teardown, not a cause.
fn client_side_reset(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    seg: &Seg,
    (conn, t): (usize, chrono::DateTime<chrono::Utc>),
) -> bool {
    let own = &b.conns[conn].items;
    let other_failure = index
        .near(seg.host, t, seg.address.as_deref(), seg.sid)
        .iter()
        .filter(|h| index.category(h.rule) != Some(Category::Authentication))
        .any(|h| {
            let rule = &index.rules[h.rule].id;
            let own_hits = own
                .iter()
                .filter(|i| input.items[**i].rules.iter().any(|r| r.id == *rule))
                .count();
            b.conn_of[h.item] != Some(conn) || h.count > own_hits
        });
    let client_lost = seg
        .peer
        .is_some_and(|p| client_outcome(input, &b.segs[p]).ending == Ending::Dropped);
    !other_failure && !client_lost
}

/// Whether the same session was reconnected within [`RECONNECT_WITHIN`] of a
/// disconnect at `t`, with no server-side failure logged near it: the user
/// recovered from a client close or a brief network loss by themselves.
fn reconnected_soon(
    input: &Input,
    b: &Built,
    index: &CauseIndex,
    seg: &Seg,
    t: chrono::DateTime<chrono::Utc>,
) -> bool {
    let Some(sid) = seg.sid else {
        return false;
    };
    let back = b.segs.iter().any(|o| {
        o.host == seg.host
            && o.sid == Some(sid)
            && o.start >= t
            && o.start - t <= RECONNECT_WITHIN
            && o.items
                .iter()
                .any(|j| kind_of(input, *j) == Some(Kind::Reconnect))
    });
    if !back {
        return false;
    }
    let server_side = index
        .near(seg.host, t, seg.address.as_deref(), seg.sid)
        .iter()
        .any(|h| {
            h.offset.abs() <= RECONNECT_WITHIN
                && index.rules[h.rule]
                    .category()
                    .is_some_and(|c| !matches!(c, Category::Network | Category::Authentication))
        });
    !server_side
}

/// A logoff (LSM 23, 4634) the user gave no sign of asking for (no 4647, no
/// LSM 39 by the session itself) within [`SHUTDOWN_NEAR`] of a shutdown or
/// restart (a power cause in its window) was forced by it: a drop when the host
/// went down unexpectedly (a high-level power rule: EventLog 6008, Kernel-Power
/// 41), else the end of a restart or shutdown that was asked for (User32 1074, a
/// clean shutdown). Otherwise, and for sessions not known to be remote, it is
/// the user's logoff.
fn forced_logoff(input: &Input, index: &CauseIndex, seg: &Seg, i: usize) -> Ending {
    let asked = seg.items.iter().any(|j| {
        let ev = &input.items[*j].event;
        match kind_of(input, *j) {
            Some(Kind::SecLogoff) => ev.event_id == USER_LOGOFF_ID,
            Some(Kind::DisconnectedBy) => self_disconnect(input, *j),
            Some(Kind::ClientClosed) => true,
            _ => false,
        }
    });
    if asked || seg.kind != SessionKind::Remote {
        return Ending::UserLogoff;
    }
    let t = input.items[i].event.time;
    let hits = index.near(seg.host, t, seg.address.as_deref(), seg.sid);
    let power: Vec<&RuleInfo> = hits
        .iter()
        // Not a restart the session began after.
        .filter(|h| h.offset.abs() <= SHUTDOWN_NEAR && t + h.offset >= seg.start)
        .map(|h| &*index.rules[h.rule])
        .filter(|r| r.category() == Some(Category::Power))
        .collect();
    if power.iter().any(|r| unclean_shutdown(r)) {
        Ending::Dropped
    } else if !power.is_empty() {
        Ending::Shutdown
    } else {
        Ending::UserLogoff
    }
}

/// A session that only ever saw arbitration (LSM 41/42): no logon (21), shell (22) or
/// reconnect (25) of its own. When its connection moved on, it was the transient
/// session Windows arbitrates a connection in before handing it to the user's session.
fn transient(input: &Input, seg: &Seg) -> bool {
    let kinds = || seg.items.iter().filter_map(|i| kind_of(input, *i));
    kinds().any(|k| k == Kind::Arbitration)
        && !kinds().any(|k| matches!(k, Kind::Logon | Kind::Shell | Kind::Reconnect))
}

/// EventLog 6008, written at boot: the previous shutdown was unexpected.
const UNEXPECTED_SHUTDOWN: (&str, u16) = ("EventLog", 6008);

/// Records a host writes as it boots: (provider, event id).
const BOOT_RECORDS: &[(&str, u16)] = &[
    ("EventLog", 6005),
    ("Microsoft-Windows-Kernel-General", 12),
    UNEXPECTED_SHUTDOWN,
    ("Microsoft-Windows-Kernel-Power", 41),
];

/// How long after the first boot record the others of the same boot may come.
const BOOT_SPAN: TimeDelta = TimeDelta::minutes(10);

/// Whether item `i` is a boot record.
fn boot_record(input: &Input, i: usize) -> bool {
    BOOT_RECORDS.iter().any(|r| is_record(input, i, *r))
}

/// Whether item `i` is event `id` of `provider`.
fn is_record(input: &Input, i: usize, (provider, id): (&str, u16)) -> bool {
    let ev = &input.items[i].event;
    ev.event_id == id && ev.is_from(provider)
}

/// A power rule of high level: its record says the host went down without a clean
/// shutdown (EventLog 6008, Kernel-Power 41), where the medium ones say a restart was
/// asked for or went cleanly (User32 1074, EventLog 6006).
pub(crate) fn unclean_shutdown(rule: &RuleInfo) -> bool {
    rule.category() == Some(Category::Power) && rule.level >= Level::High
}

/// Whether item `i` matched a rule that says the host went down uncleanly.
pub(crate) fn says_unclean_shutdown(input: &Input, i: usize) -> bool {
    input.items[i]
        .with_role(Role::Cause)
        .any(|r| unclean_shutdown(r))
}

/// The boot records of the host's first boot after session `seg`'s last record:
/// the first of them, then those written within [`BOOT_SPAN`] of it.
fn next_boot(input: &Input, seg: &Seg) -> Option<Vec<usize>> {
    let last = *seg.items.last()?;
    let after = input.items[last].event.time;
    let range = input.hosts[seg.host].1.clone();
    let from = range.start + input.items[range.clone()].partition_point(|m| m.event.time <= after);
    let mut boot = (from..range.end).filter(|&i| boot_record(input, i));
    let first = boot.next()?;
    let until = input.items[first].event.time + BOOT_SPAN;
    Some(
        std::iter::once(first)
            .chain(boot.take_while(|&i| input.items[i].event.time <= until))
            .collect(),
    )
}

/// A session with no end record, on a host that booted after its last record: it did
/// not outlive the boot. A drop when that boot says the host went down uncleanly
/// (EventLog 6008, Kernel-Power 41: a crash or power loss took the session with it),
/// else its end is not in the logs. The record that says so decides.
fn ended_by_boot(input: &Input, seg: &Seg) -> Option<(Ending, usize)> {
    let boot = next_boot(input, seg)?;
    let unclean = boot.iter().find(|&&i| says_unclean_shutdown(input, i));
    Some(match unclean {
        Some(&i) => (Ending::Dropped, i),
        None => (Ending::Unknown, boot[0]),
    })
}

/// When a session whose host went down under it dropped, as the last sign that the
/// host was running before the boot that reported the crash: the moment a 6008 of
/// that boot says the host was last alive, or a later record of the host from before
/// the boot's last ten minutes; with no such 6008 (Kernel-Power 41 alone), the host's
/// last record before the boot. Never before the session's last record, nor after the
/// boot's first. `None` when `decider` is not a record of that boot.
fn went_down(input: &Input, seg: &Seg, decider: usize) -> Option<DateTime<Utc>> {
    if !boot_record(input, decider) {
        return None;
    }
    let boot = next_boot(input, seg).filter(|b| b.contains(&decider))?;
    let booted = input.items[boot[0]].event.time;
    let session_last = input.items[*seg.items.last()?].event.time;
    let stamped = boot
        .iter()
        .filter_map(|&i| {
            let ev = &input.items[i].event;
            is_record(input, i, UNEXPECTED_SHUTDOWN)
                .then(|| ev.with_field("Binary", |v| last_alive(&v?.as_text())))
                .flatten()
        })
        .filter(|t| *t <= booted)
        .max();
    // The host's last record before `until` (within its own range).
    let host = input.hosts[seg.host].1.clone();
    let last_before = |until: DateTime<Utc>| {
        let n = input.items[host.start..boot[0]].partition_point(|m| m.event.time <= until);
        n.checked_sub(1)
            .map(|k| input.items[host.start + k].event.time)
    };
    // Records written as the host came up may precede the first boot record: with a
    // 6008 stamp, those of the boot's last minutes do not count.
    let latest = match stamped {
        Some(t) => [Some(t), last_before(booted - BOOT_SPAN)]
            .into_iter()
            .flatten()
            .max(),
        None => last_before(booted),
    };
    Some(latest.unwrap_or(session_last).max(session_last).min(booted))
}

/// LSM 39 where the session disconnected itself (`Source` == `TargetSession`).
fn self_disconnect(input: &Input, i: usize) -> bool {
    let ev = &input.items[i].event;
    let get = |n: &str| ev.field_i64(n);
    get("Source").is_some() && get("Source") == get("TargetSession")
}

/// A client-side connection's ending, from its last 1026 reason.
pub(crate) fn client_outcome(input: &Input, seg: &Seg) -> Outcome {
    let connected = seg.items.iter().any(|i| {
        let id = input.items[*i].event.event_id;
        id == 1025 || id == 1027
    });
    let last = seg
        .items
        .iter()
        .rev()
        .copied()
        .find(|i| kind_of(input, *i) == Some(Kind::ClientDisconnect));
    let Some(i) = last else {
        return Outcome {
            ending: Ending::Open,
            reason: None,
            category: None,
            decider: None,
        };
    };
    let r = input.facts[i].reason.unwrap_or(0);
    let ending = match ending_for(CLIENT_ENDINGS, r) {
        Ending::Dropped if !connected => Ending::Refused,
        e => e,
    };
    Outcome {
        ending,
        reason: Some(codes::decode(Family::ClientReason, r)),
        category: codes::category(Family::ClientReason, r),
        decider: Some(i),
    }
}

/// The first event of an attempt that a drop (else cause) rule matched.
fn first_error(input: &Input, seg: &Seg) -> Option<usize> {
    let f = |pred: fn(&super::catalog::Facts) -> bool| {
        seg.items.iter().copied().find(|i| pred(&input.facts[*i]))
    };
    f(|x| x.drop).or_else(|| f(|x| x.cause))
}

fn session_drop(input: &Input, s: usize, seg: &Seg, out: &Outcome) -> Option<Found> {
    if !matches!(out.ending, Ending::Dropped | Ending::Refused) || seg.kind == SessionKind::Console
    {
        return None;
    }
    let decider = out.decider?;
    let refused = out.ending == Ending::Refused && !seg.has_start;
    let evidence = match &seg.refusal {
        Some(r) => r.evidence.clone(),
        None => {
            let mut evidence = vec![decider];
            evidence.extend(
                seg.items
                    .iter()
                    .copied()
                    .filter(|i| *i != decider && input.facts[*i].drop),
            );
            evidence
        }
    };
    Some(Found {
        host: seg.host,
        seg: Some(s),
        kind: if refused {
            DropKind::ConnectionRefused
        } else {
            DropKind::SessionDropped
        },
        decider,
        time: went_down(input, seg, decider).unwrap_or(input.items[decider].event.time),
        reason: out.reason.clone(),
        category: out.category.or_else(|| rule_category(input, decider)),
        evidence,
    })
}

/// Events a drop rule matched that belong to no session and no connection:
/// each is a drop (a connection's records are judged with the connection).
fn standalone<'a>(input: &'a Input, b: &'a Built) -> impl Iterator<Item = Found> + 'a {
    (0..input.items.len())
        .filter(|i| b.lone_drop(input, *i))
        .map(|i| {
            let refused = input.items[i]
                .with_role(Role::Drop)
                .any(|r| r.extension.as_ref().and_then(|x| x.step) == Some(Step::Refused));
            let status = driver_reason(input, i);
            Found {
                host: input.host_of(i),
                seg: None,
                kind: if refused {
                    DropKind::ConnectionRefused
                } else {
                    DropKind::SessionDropped
                },
                decider: i,
                time: input.items[i].event.time,
                category: status
                    .as_ref()
                    .and_then(|s| s.1)
                    .or_else(|| rule_category(input, i)),
                reason: status.map(|s| s.0),
                evidence: vec![i],
            }
        })
}

/// The status a driver wrote into item `i`'s data (TermDD 56: why the
/// connection ended), decoded, with the failure family it points to.
pub(crate) fn driver_reason(input: &Input, i: usize) -> Option<(DecodedCode, Option<Category>)> {
    let event = &input.items[i].event;
    let code = event.with_field("Binary", |v| {
        crate::event::driver_status(&v?.as_text(), event.event_id)
    })?;
    Some((
        codes::decode(Family::DriverStatus, code),
        codes::category(Family::DriverStatus, code),
    ))
}

/// The category the rules of item `i` give it.
fn rule_category(input: &Input, i: usize) -> Option<Category> {
    input.items[i].rules.iter().find_map(|r| r.category())
}
