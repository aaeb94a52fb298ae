//! The matched events, sorted once by (host, time, record), with the facts
//! correlation reads from each, and the range of each host.

use super::catalog::{self, Facts};
use super::hosts::Hosts;
use super::model::EventRef;
use crate::rules::{Matched, RuleInfo};
use std::ops::Range;
use std::sync::Arc;

/// The sorted input.
pub(crate) struct Input {
    /// The matched events, sorted by (computer, time, record id).
    pub items: Vec<Matched>,
    /// What correlation reads from each item.
    pub facts: Vec<Facts>,
    /// Each host's name and its range in `items`.
    pub hosts: Vec<(String, Range<usize>)>,
}

impl Input {
    /// Sorts `matched` once by host (each `Computer` named by the host it is
    /// one name of), time and record, and reads its facts.
    pub fn new(mut matched: Vec<Matched>, names: &Hosts) -> Self {
        matched.sort_by_cached_key(|m| {
            let e = &m.event;
            let host = names.index_of(&e.computer);
            (host, e.time, e.record_id, Arc::clone(&e.source))
        });
        let facts = matched.iter().map(catalog::facts).collect();
        let mut hosts: Vec<(String, Range<usize>)> = Vec::new();
        for (i, m) in matched.iter().enumerate() {
            let name = names.name_of(&m.event.computer);
            match hosts.last_mut() {
                Some((h, r)) if h == name => r.end = i + 1,
                _ => hosts.push((name.to_string(), i..i + 1)),
            }
        }
        Input {
            items: matched,
            facts,
            hosts,
        }
    }

    /// Where item `i` is in the evidence.
    pub fn event_ref(&self, i: usize) -> EventRef {
        let e = &self.items[i].event;
        EventRef {
            time: e.time,
            computer: e.computer.clone(),
            channel: e.channel.clone(),
            provider: e.provider.clone(),
            event_id: e.event_id,
            record_id: e.record_id,
            source: Arc::clone(&e.source),
        }
    }

    /// The rule of item `i` that plays the part asked for, else its first rule.
    pub fn rule(&self, i: usize, pick: impl Fn(&RuleInfo) -> bool) -> Option<&Arc<RuleInfo>> {
        let rules = &self.items[i].rules;
        rules.iter().find(|r| pick(r)).or_else(|| rules.first())
    }

    /// The host index of item `i`.
    pub fn host_of(&self, i: usize) -> usize {
        self.hosts
            .partition_point(|(_, r)| r.end <= i)
            .min(self.hosts.len().saturating_sub(1))
    }
}
