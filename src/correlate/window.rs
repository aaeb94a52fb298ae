//! Finds, for a drop, the cause events on the same host inside each cause
//! rule's window. Cause events are indexed once per (host, rule) in time order
//! (and by client address or session id when the rule's `keys` name one), so a
//! drop's lookup is a binary search per rule: O(n log n) overall.

use super::catalog::{ADDRESS_FIELDS, SESSION_FIELDS, strip_port};
use super::input::Input;
use crate::rules::{Role, RuleInfo};
use chrono::{DateTime, TimeDelta, Utc};
use foldhash::HashMap;
use std::sync::Arc;

/// Which key a rule's events are matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// No key: every event on the host counts.
    None,
    /// A client address field.
    Address(String),
    /// A session id field.
    Session(String),
}

type Times = Vec<(DateTime<Utc>, usize)>;

#[derive(Debug, Default)]
struct Lists {
    all: Times,
    unkeyed: Times,
    keyed: HashMap<String, Times>,
}

/// What one rule found near one drop.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    /// Index of the rule in [`CauseIndex::rules`].
    pub rule: usize,
    /// The matching event closest to the drop.
    pub item: usize,
    /// From the drop to that event (negative: before).
    pub offset: TimeDelta,
    /// How many matching events fell inside the window.
    pub count: usize,
    /// The closest event names the drop's own client address or session
    /// (the rule is keyed and the value matched), not just the same host.
    pub same_client: bool,
}

/// The cause events of every host, indexed per rule.
#[derive(Debug, Default)]
pub(crate) struct CauseIndex {
    /// The cause rules, each once.
    pub rules: Vec<Arc<RuleInfo>>,
    keys: Vec<Key>,
    ids: HashMap<Arc<str>, usize>,
    lists: HashMap<(usize, usize), Lists>,
    per_host: HashMap<usize, Vec<usize>>,
}

impl CauseIndex {
    /// Indexes every event a cause rule matched.
    pub fn new(input: &Input) -> Self {
        let mut index = CauseIndex::default();
        let mut ids: HashMap<Arc<str>, usize> = HashMap::default();
        for (h, (_, range)) in input.hosts.iter().enumerate() {
            for i in range.clone().filter(|i| input.facts[*i].cause) {
                let ev = &input.items[i].event;
                for rule in input.items[i].with_role(Role::Cause) {
                    if rule.category().is_none() {
                        continue;
                    }
                    let r = *ids.entry(rule.id.clone()).or_insert_with(|| {
                        index.rules.push(Arc::clone(rule));
                        index.keys.push(key_of(rule));
                        index.rules.len() - 1
                    });
                    let value = match &index.keys[r] {
                        Key::None => None,
                        Key::Address(f) => ev.field(f).map(|v| strip_port(v.as_text().trim())),
                        Key::Session(f) => ev.field_i64(f).map(|v| v.to_string()),
                    };
                    let lists = index.lists.entry((h, r)).or_insert_with(|| {
                        index.per_host.entry(h).or_default().push(r);
                        Lists::default()
                    });
                    lists.all.push((ev.time, i));
                    match value.filter(|v| !v.is_empty() && v != "-") {
                        Some(v) => lists.keyed.entry(v).or_default().push((ev.time, i)),
                        None => lists.unkeyed.push((ev.time, i)),
                    }
                }
            }
        }
        index.ids = ids;
        index
    }

    /// Hits for the given items of one attempt: each cause rule they matched,
    /// as if found at offset `item time - t`. For a refused attempt the causes
    /// are its own failure records, not whatever else happened near it.
    pub fn own(&self, input: &Input, items: &[usize], t: DateTime<Utc>) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        for &item in items {
            for rule in input.items[item].with_role(Role::Cause) {
                let Some(&r) = self.ids.get(&*rule.id) else {
                    continue;
                };
                if hits.iter().any(|h| h.rule == r) {
                    continue;
                }
                hits.push(Hit {
                    rule: r,
                    item,
                    offset: input.items[item].event.time - t,
                    count: 1,
                    same_client: true,
                });
            }
        }
        hits
    }

    /// The records among `items` (one session's) that a cause rule matched inside
    /// its window around `t`: per rule, the one nearest `t`. Another session's record
    /// of the same rule may lie nearer (two clients dropped in the same second), and
    /// [`CauseIndex::near`] finds only that one.
    pub fn own_near(&self, input: &Input, items: &[usize], t: DateTime<Utc>) -> Vec<Hit> {
        let mut hits: Vec<Hit> = Vec::new();
        for &item in items {
            let time = input.items[item].event.time;
            for rule in input.items[item].with_role(Role::Cause) {
                let Some(&r) = self.ids.get(&*rule.id) else {
                    continue;
                };
                let (from, to) = self.reach(r, t);
                if time < from || time > to {
                    continue;
                }
                // Scored as `near` scores an unkeyed record, so that a session's own
                // record ranks as the other session's does for its drop.
                let hit = Hit {
                    rule: r,
                    item,
                    offset: time - t,
                    count: 1,
                    same_client: false,
                };
                match hits.iter_mut().find(|h| h.rule == r) {
                    Some(h) if h.offset.abs() > hit.offset.abs() => *h = hit,
                    Some(_) => {}
                    None => hits.push(hit),
                }
            }
        }
        hits
    }

    /// The moments between which a record of cause rule `rule` may explain a drop
    /// at `t` (its window).
    fn reach(&self, rule: usize, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let window = self.rules[rule]
            .extension
            .as_ref()
            .map(|x| x.window)
            .unwrap_or_default();
        let from = t - TimeDelta::from_std(window.before).unwrap_or(TimeDelta::MAX);
        let to = t + TimeDelta::from_std(window.after).unwrap_or(TimeDelta::MAX);
        (from, to)
    }

    /// The category of cause rule `rule` (an index into [`CauseIndex::rules`]).
    pub fn category(&self, rule: usize) -> Option<crate::rules::Category> {
        self.rules[rule].extension.as_ref()?.category
    }

    /// The cause rules with events on `host` inside their window around `t`;
    /// when a rule is keyed and the drop's address or session is known, only
    /// events with that value (or without any) count.
    pub fn near(
        &self,
        host: usize,
        t: DateTime<Utc>,
        address: Option<&str>,
        sid: Option<u32>,
    ) -> Vec<Hit> {
        self.near_of(host, t, (address, sid), |_| true)
    }

    /// [`CauseIndex::near`] for the cause rules `wanted` keeps only (by their index in
    /// [`CauseIndex::rules`]): the others are not searched at all, which matters when
    /// thousands of refusals each ask for one category.
    pub fn near_of(
        &self,
        host: usize,
        t: DateTime<Utc>,
        (address, sid): (Option<&str>, Option<u32>),
        wanted: impl Fn(usize) -> bool,
    ) -> Vec<Hit> {
        let Some(rules) = self.per_host.get(&host) else {
            return Vec::new();
        };
        let sid = sid.map(|s| s.to_string());
        rules
            .iter()
            .filter(|r| wanted(**r))
            .filter_map(|r| {
                let lists = self.lists.get(&(host, *r))?;
                let (from, to) = self.reach(*r, t);
                let value = match &self.keys[*r] {
                    Key::None => None,
                    Key::Address(_) => address,
                    Key::Session(_) => sid.as_deref(),
                };
                let (found, same_client) = match value {
                    None => (search(&lists.all, from, to, t), false),
                    Some(v) => {
                        let own = lists.keyed.get(v).and_then(|l| search(l, from, to, t));
                        let merged = merge(search(&lists.unkeyed, from, to, t), own);
                        let same = own.zip(merged).is_some_and(|(o, m)| o.1 == m.1);
                        (merged, same)
                    }
                };
                found.map(|(count, item, offset)| Hit {
                    rule: *r,
                    item,
                    offset,
                    count,
                    same_client,
                })
            })
            .collect()
    }
}

fn key_of(rule: &RuleInfo) -> Key {
    let keys = rule
        .extension
        .as_ref()
        .map(|x| x.keys.as_slice())
        .unwrap_or_default();
    let find = |names: &[&str]| keys.iter().find(|k| names.contains(&k.as_str())).cloned();
    find(ADDRESS_FIELDS)
        .map(Key::Address)
        .or_else(|| find(SESSION_FIELDS).map(Key::Session))
        .unwrap_or(Key::None)
}

/// Events of `list` in `[from, to]`: how many, and the one closest to `t`.
fn search(
    list: &Times,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    t: DateTime<Utc>,
) -> Option<(usize, usize, TimeDelta)> {
    let lo = list.partition_point(|(x, _)| *x < from);
    let hi = list.partition_point(|(x, _)| *x <= to);
    if lo >= hi {
        return None;
    }
    let at = list.partition_point(|(x, _)| *x < t).clamp(lo, hi - 1);
    let best = [at.saturating_sub(1).max(lo), at]
        .into_iter()
        .min_by_key(|k| (list[*k].0 - t).abs())
        .unwrap_or(at);
    Some((hi - lo, list[best].1, list[best].0 - t))
}

fn merge(
    a: Option<(usize, usize, TimeDelta)>,
    b: Option<(usize, usize, TimeDelta)>,
) -> Option<(usize, usize, TimeDelta)> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let best = if x.2.abs() <= y.2.abs() { x } else { y };
            Some((x.0 + y.0, best.1, best.2))
        }
        (x, y) => x.or(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_600_000_000 + s, 0).expect("valid time")
    }

    #[test]
    fn search_counts_the_window_and_finds_the_closest() {
        let list: Times = [-300, -100, -5, 20, 400]
            .iter()
            .enumerate()
            .map(|(i, s)| (at(*s), i))
            .collect();
        let (count, item, offset) = search(&list, at(-120), at(30), at(0)).expect("found");
        assert_eq!((count, item, offset), (3, 2, TimeDelta::seconds(-5)));
        assert!(search(&list, at(30), at(60), at(45)).is_none());
        let (_, item, _) = search(&list, at(-400), at(500), at(390)).expect("found");
        assert_eq!(item, 4);
    }
}
