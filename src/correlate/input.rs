//! The matched events, sorted once by (host, time, record), with the facts
//! correlation reads from each, and the range of each host.

use super::catalog::{self, Facts};
use super::hosts::Hosts;
use super::intern::Interner;
use super::model::{EventRef, Origin};
use crate::event::Event;
use crate::rules::{Level, Matched, RuleInfo, alerts_at};
use chrono::{DateTime, Utc};
use foldhash::{HashMap, HashSet};
use rayon::prelude::*;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// An event only plain alert rules matched (see [`Matched::alert_only`]): counted and put on
/// the timeline, never read by correlation, so that loading more alert rules changes no
/// session, drop or verdict.
pub(crate) struct Alert {
    /// Its host's name.
    pub host: Arc<str>,
    /// Its host's place in the order of hosts (to list hosts in the same order everywhere).
    pub host_rank: usize,
    /// Where it is.
    pub event: EventRef,
    /// The rules that matched it.
    pub rules: Vec<Arc<RuleInfo>>,
}

/// Where a context alert comes from: an item (its index in [`Input::items`]) or an
/// alert-only event (its index in [`Input::alerts`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum AlertAt {
    Item(usize),
    Alert(usize),
}

/// The sorted input.
pub(crate) struct Input {
    /// The matched events correlation reads, sorted by (computer, time, record id).
    pub items: Vec<Matched>,
    /// The events only plain alert rules matched, in the same order.
    pub alerts: Vec<Alert>,
    /// Each host's place in the order of hosts, by index in [`Input::hosts`].
    pub host_rank: Vec<usize>,
    /// Every rule that matched an item, once, in the order first met.
    pub rules: Vec<Arc<RuleInfo>>,
    /// What correlation reads from each item.
    pub facts: Vec<Facts>,
    /// Each host's name and its range in `items`.
    pub hosts: Vec<(Arc<str>, Range<usize>)>,
    /// Where each item comes from (shared by the items of one computer, log, provider
    /// and file), for its [`EventRef`].
    origins: Vec<Arc<Origin>>,
}

impl Input {
    /// Sorts `matched` once by host (each `Computer` named by the host it is
    /// one name of), time and record, and reads its facts.
    pub fn new(mut matched: Vec<Matched>, names: &Hosts) -> Self {
        let files = FileRanks::new(&matched);
        let mut host_of = names.remembering();
        matched.sort_by_cached_key(|m| {
            let e = &m.event;
            let host = host_of.index_of(&e.computer);
            let when = (e.time.timestamp(), e.time.timestamp_subsec_nanos());
            (host, when, e.record_id, files.rank(&e.source))
        });
        // Taken out in place, so the events correlation reads stay where the sort put
        // them; the room the alerts leave (most of it with SigmaHQ loaded) is given back.
        let alerted: Vec<Matched> = matched.extract_if(.., |m| m.alert_only()).collect();
        matched.shrink_to_fit();
        let facts = matched.par_iter().map(catalog::facts).collect();
        let mut hosts: Vec<(Arc<str>, Range<usize>)> = Vec::new();
        let mut host_rank = Vec::new();
        let mut computer: Option<&str> = None;
        for (i, m) in matched.iter().enumerate() {
            // A run of one computer is one host: only a change of name is looked up.
            if computer == Some(&*m.event.computer)
                && let Some((_, r)) = hosts.last_mut()
            {
                r.end = i + 1;
                continue;
            }
            computer = Some(&m.event.computer);
            let name = names.name_of(&m.event.computer);
            match hosts.last_mut() {
                Some((h, r)) if **h == *name => r.end = i + 1,
                _ => {
                    hosts.push((Arc::from(name), i..i + 1));
                    host_rank.push(names.index_of(&m.event.computer));
                }
            }
        }
        let mut interned = Origins::default();
        let origins = matched.iter().map(|m| interned.of(&m.event)).collect();
        let rules = distinct_rules(&matched);
        let alerts = alerted
            .into_iter()
            .map(|m| Alert {
                host: interned.names.get(names.name_of(&m.event.computer)),
                host_rank: names.index_of(&m.event.computer),
                event: interned.event_ref(&m.event),
                rules: m.rules,
            })
            .collect();
        Input {
            items: matched,
            alerts,
            host_rank,
            rules,
            facts,
            hosts,
            origins,
        }
    }

    /// Where item `i` is in the evidence.
    pub fn event_ref(&self, i: usize) -> EventRef {
        let e = &self.items[i].event;
        EventRef {
            time: e.time,
            origin: Arc::clone(&self.origins[i]),
            event_id: e.event_id,
            record_id: e.record_id,
        }
    }

    /// The rule of item `i` that plays the part asked for, else its first rule.
    pub fn rule(&self, i: usize, pick: impl Fn(&RuleInfo) -> bool) -> Option<&Arc<RuleInfo>> {
        let rules = &self.items[i].rules;
        rules.iter().find(|r| pick(r)).or_else(|| rules.first())
    }

    /// Every context rule (of `min_level` or above, when given) with each event it matched:
    /// the items' and the alert-only events'.
    pub fn alerted(
        &self,
        min_level: Option<Level>,
    ) -> impl Iterator<Item = (&Arc<RuleInfo>, AlertAt)> + '_ {
        let of_items = (0..self.items.len())
            .filter(|i| self.facts[*i].context)
            .flat_map(move |i| {
                self.items[i]
                    .alerts_at(min_level)
                    .map(move |r| (r, AlertAt::Item(i)))
            });
        let of_alerts = self.alerts.iter().enumerate().flat_map(move |(k, a)| {
            alerts_at(&a.rules, min_level).map(move |r| (r, AlertAt::Alert(k)))
        });
        of_items.chain(of_alerts)
    }

    /// When the alert at `at` happened, and its host's (place in the order of hosts, name).
    pub fn alert_place(&self, at: AlertAt) -> (DateTime<Utc>, usize, &Arc<str>) {
        match at {
            AlertAt::Item(i) => {
                let h = self.host_of(i);
                (
                    self.items[i].event.time,
                    self.host_rank[h],
                    &self.hosts[h].0,
                )
            }
            AlertAt::Alert(k) => {
                let a = &self.alerts[k];
                (a.event.time, a.host_rank, &a.host)
            }
        }
    }

    /// The host index of item `i`.
    pub fn host_of(&self, i: usize) -> usize {
        self.hosts
            .partition_point(|(_, r)| r.end <= i)
            .min(self.hosts.len().saturating_sub(1))
    }
}

/// Every rule of `matched`, once, in the order first met.
fn distinct_rules(matched: &[Matched]) -> Vec<Arc<RuleInfo>> {
    let mut seen: HashSet<*const RuleInfo> = HashSet::default();
    let mut last: *const RuleInfo = std::ptr::null();
    let mut rules = Vec::new();
    for rule in matched.iter().flat_map(|m| &m.rules) {
        // A rule matches runs of events: only a change of rule is looked up.
        if Arc::as_ptr(rule) != last {
            last = Arc::as_ptr(rule);
            if seen.insert(last) {
                rules.push(Arc::clone(rule));
            }
        }
    }
    rules
}

/// Each file's place in the order of their paths, so that sorting by file compares
/// numbers: the events of one file share its path, so it is looked up by address.
struct FileRanks(HashMap<*const Path, u32>);

impl FileRanks {
    fn new(matched: &[Matched]) -> Self {
        let mut seen: HashSet<*const Path> = HashSet::default();
        let mut files: Vec<&Arc<Path>> = matched
            .iter()
            .map(|m| &m.event.source)
            .filter(|f| seen.insert(Arc::as_ptr(f)))
            .collect();
        files.sort();
        let mut ranks = HashMap::default();
        let mut rank = 0;
        for (k, file) in files.iter().enumerate() {
            // Two copies of one path share a rank, as they compared equal.
            if k > 0 && files[k - 1] != *file {
                rank += 1;
            }
            ranks.insert(Arc::as_ptr(file), rank);
        }
        FileRanks(ranks)
    }

    fn rank(&self, file: &Arc<Path>) -> u32 {
        self.0.get(&Arc::as_ptr(file)).copied().unwrap_or(u32::MAX)
    }
}

/// One shared [`Origin`] per computer, log, provider and file (a handful per run,
/// however many events they wrote).
#[derive(Default)]
struct Origins {
    names: Interner,
    /// By the addresses of the shared names and of the file's path.
    known: HashMap<[usize; 4], Arc<Origin>>,
    /// The origins found last, the latest last: a burst interleaves the events of a
    /// few logs, and comparing names with these is cheaper than hashing them.
    recent: Vec<Arc<Origin>>,
}

/// How many origins [`Origins::recent`] holds.
const RECENT: usize = 8;

impl Origins {
    /// The origin of `e`.
    fn of(&mut self, e: &Event) -> Arc<Origin> {
        let same = |o: &Arc<Origin>| {
            Arc::ptr_eq(&o.source, &e.source)
                && *o.provider == *e.provider
                && *o.channel == *e.channel
                && *o.computer == *e.computer
        };
        if let Some(o) = self.recent.iter().rev().find(|o| same(o)) {
            return Arc::clone(o);
        }
        let (computer, channel, provider) = (
            self.names.get(&e.computer),
            self.names.get(&e.channel),
            self.names.get(&e.provider),
        );
        let address = |name: &Arc<str>| Arc::as_ptr(name).cast::<u8>() as usize;
        let key = [
            address(&computer),
            address(&channel),
            address(&provider),
            Arc::as_ptr(&e.source).cast::<u8>() as usize,
        ];
        let origin = Arc::clone(self.known.entry(key).or_insert_with(|| {
            Arc::new(Origin {
                computer,
                channel,
                provider,
                source: Arc::clone(&e.source),
            })
        }));
        if self.recent.len() == RECENT {
            self.recent.remove(0);
        }
        self.recent.push(Arc::clone(&origin));
        origin
    }

    /// Where `e` is.
    fn event_ref(&mut self, e: &Event) -> EventRef {
        EventRef {
            time: e.time,
            origin: self.of(e),
            event_id: e.event_id,
            record_id: e.record_id,
        }
    }
}
