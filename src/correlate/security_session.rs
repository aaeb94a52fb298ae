//! Sessions of a host whose only session log is Security (no LocalSessionManager,
//! RemoteConnectionManager or RdpCoreTS log was given, as when only Security and
//! System were collected). A Remote Desktop logon (4624 logon type 10) starts a
//! session; 4779 ends a stay in it and 4778 starts the next; 4634/4647 of the
//! same logon end it. Security gives no reason for a disconnect, so `drop` calls
//! a disconnect a drop only when a failure on the host coincides with it.

use super::catalog::{Kind, Log, strip_port};
use super::input::Input;
use super::model::SessionKind;
use super::session::{Built, Seg, attach, new_seg};
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use std::ops::Range;

/// Windows logs a Remote Desktop logon of an administrator twice (the full and the
/// filtered token, linked): logons of one account from one address this close are one.
const SPLIT_TOKEN: TimeDelta = TimeDelta::seconds(2);

/// How long after a disconnect the logoff of the same logon still ends that stay.
const TRAILING_LOGOFF: TimeDelta = TimeDelta::seconds(60);

/// The Remote Desktop logon type of 4624.
const REMOTE_INTERACTIVE: i64 = 10;

/// One logon's sessions being built: its current stay, when that stay ended, and the
/// logon ids that name it.
struct Logon {
    seg: usize,
    ended: Option<DateTime<Utc>>,
    ids: Vec<String>,
}

impl Logon {
    /// The open stay `seg` of the logon named `id`.
    fn new(seg: usize, id: &str) -> Logon {
        Logon {
            seg,
            ended: None,
            ids: vec![id.to_string()],
        }
    }
}

/// How long before a reconnect (4778) Windows logs the temporary logon it arbitrates
/// the connection in (4624 type 10, logged off seconds later).
const ARBITRATION_BEFORE: TimeDelta = TimeDelta::seconds(10);

/// Adds the sessions of every host that has Security records but no other session
/// log (LocalSessionManager, RemoteConnectionManager, RdpCoreTS).
pub(crate) fn add(input: &Input, b: &mut Built) {
    for (h, (_, range)) in input.hosts.iter().enumerate() {
        let server_logs = range
            .clone()
            .any(|i| matches!(input.facts[i].log, Some(Log::Lsm | Log::Rcm | Log::CoreTs)));
        if !server_logs {
            build(input, h, range.clone(), b);
        }
    }
}

/// Builds the sessions of `host` from its Security records alone.
fn build(input: &Input, host: usize, range: Range<usize>, b: &mut Built) {
    let mut logons = Logons {
        host,
        ids: HashMap::default(),
        list: Vec::new(),
    };
    for i in range {
        if b.owner[i].is_some() {
            continue;
        }
        let f = &input.facts[i];
        let (Some(kind), Some(id)) = (f.kind, f.logon_id.as_deref()) else {
            continue;
        };
        let id = id.to_ascii_lowercase();
        match kind {
            Kind::SecLogon => logons.logon(input, b, i, id),
            Kind::SecReconnect => logons.reconnect(input, b, i, id),
            Kind::SecDisconnect => logons.disconnect(input, b, i, id),
            Kind::SecLogoff => logons.logoff(input, b, i, &id),
            _ => {}
        }
    }
}

/// The logons of one host seen so far.
struct Logons {
    host: usize,
    /// Logon ids (lowercase) to an index into `list`; the two ids of a split token
    /// share one.
    ids: HashMap<String, usize>,
    list: Vec<Logon>,
}

impl Logons {
    /// The last few logons, newest first: where a logon's twin token or a reconnect's
    /// temporary logon is (both are seconds apart).
    fn recent(&self) -> impl Iterator<Item = usize> + use<> {
        (self.list.len().saturating_sub(8)..self.list.len()).rev()
    }

    /// A new stay, started by record `i` when `started`.
    fn stay(&mut self, input: &Input, b: &mut Built, i: usize, started: bool) -> usize {
        let seg = new_seg(
            b,
            self.host,
            None,
            SessionKind::Remote,
            input.items[i].event.time,
        );
        b.segs[seg].has_start = started;
        b.segs[seg].security_only = true;
        seg
    }

    /// 4624: a Remote Desktop logon starts a session (its second token joins the first).
    fn logon(&mut self, input: &Input, b: &mut Built, i: usize, id: String) {
        if input.items[i].event.field_i64("LogonType") != Some(REMOTE_INTERACTIVE) {
            return;
        }
        // The twin, if any, is among the last few logons.
        let twin = self
            .recent()
            .find(|l| same_logon(input, b, self.list[*l].seg, i));
        let l = match twin {
            Some(l) => {
                self.list[l].ids.push(id.clone());
                l
            }
            None => {
                let seg = self.stay(input, b, i, true);
                self.list.push(Logon::new(seg, &id));
                self.list.len() - 1
            }
        };
        self.ids.insert(id, l);
        attach(input, b, self.list[l].seg, i);
    }

    /// 4778: the logon's next stay begins. Windows first logs the connection on
    /// to a temporary session (4624 type 10 of the same account from the same
    /// address, seconds before, logged off seconds after): that logon is this
    /// stay's beginning, not a session of its own, and its logoff ends nothing.
    fn reconnect(&mut self, input: &Input, b: &mut Built, i: usize, id: String) {
        let seg = match self.arbitration(input, b, i) {
            Some(temp) => {
                for gone in std::mem::take(&mut self.list[temp].ids) {
                    self.ids.remove(&gone);
                }
                self.list[temp].ended = Some(input.items[i].event.time);
                self.list[temp].seg
            }
            None => self.stay(input, b, i, true),
        };
        let logon = Logon::new(seg, &id);
        match self.ids.get(&id) {
            Some(&l) => self.list[l] = logon,
            None => {
                self.list.push(logon);
                self.ids.insert(id, self.list.len() - 1);
            }
        }
        attach(input, b, seg, i);
    }

    /// The temporary logon a reconnect at record `i` was arbitrated in, if any:
    /// among the last few, open, of the same account and address, begun within
    /// [`ARBITRATION_BEFORE`], holding nothing but its logon records.
    fn arbitration(&self, input: &Input, b: &Built, i: usize) -> Option<usize> {
        let t = input.items[i].event.time;
        self.recent().find(|l| {
            let logon = &self.list[*l];
            let s = &b.segs[logon.seg];
            logon.ended.is_none()
                && !logon.ids.is_empty()
                && s.start <= t
                && t - s.start <= ARBITRATION_BEFORE
                && same_client(input, s, i)
                && s.items
                    .iter()
                    .all(|j| input.facts[*j].kind == Some(Kind::SecLogon))
        })
    }

    /// 4779: the stay ends. A disconnect of a logon from before the logs is a
    /// session of its own, with no start.
    fn disconnect(&mut self, input: &Input, b: &mut Built, i: usize, id: String) {
        let l = match self.ids.get(&id) {
            Some(&l) => l,
            None => {
                let seg = self.stay(input, b, i, false);
                let logon = Logon::new(seg, &id);
                self.list.push(logon);
                self.ids.insert(id, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        if self.list[l].ended.is_none() {
            let t = input.items[i].event.time;
            let seg = self.list[l].seg;
            attach(input, b, seg, i);
            b.segs[seg].ended = true;
            b.segs[seg].last_end = Some(t);
            self.list[l].ended = Some(t);
        }
    }

    /// 4634/4647 of a logon known here (4634 is written for every kind of logon)
    /// ends its stay, or comes right after the disconnect that ended it.
    fn logoff(&mut self, input: &Input, b: &mut Built, i: usize, id: &str) {
        let Some(&l) = self.ids.get(id) else {
            return;
        };
        let t = input.items[i].event.time;
        if self.list[l].ended.is_none_or(|e| t - e <= TRAILING_LOGOFF) {
            let seg = self.list[l].seg;
            attach(input, b, seg, i);
            b.segs[seg].ended = true;
            b.segs[seg].logged_off = true;
            b.segs[seg].last_end.get_or_insert(t);
            self.list[l].ended.get_or_insert(t);
        }
    }
}

/// Whether logon record `i` is the second token of the logon that started `seg`:
/// the same account from the same address within [`SPLIT_TOKEN`] of its start.
fn same_logon(input: &Input, b: &Built, seg: usize, i: usize) -> bool {
    let s = &b.segs[seg];
    let t = input.items[i].event.time;
    s.has_start && (t - s.start).abs() <= SPLIT_TOKEN && same_client(input, s, i)
}

/// Whether record `i` names the account and the client address (port aside) of
/// session `s`.
fn same_client(input: &Input, s: &Seg, i: usize) -> bool {
    let f = &input.facts[i];
    s.user.is_some()
        && s.user == f.user
        && s.address.as_deref().map(strip_port) == f.address.as_deref().map(strip_port)
}
