//! The matched events, sorted once by (host, time, record), with the facts
//! correlation reads from each, and the range of each host.

use super::catalog::{self, Facts};
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
    /// Sorts `matched` once and reads its facts.
    pub fn new(mut matched: Vec<Matched>) -> Self {
        matched.sort_by(|a, b| {
            (a.event.computer.as_str(), a.event.time, a.event.record_id).cmp(&(
                b.event.computer.as_str(),
                b.event.time,
                b.event.record_id,
            ))
        });
        let facts = matched.iter().map(catalog::facts).collect();
        let mut hosts: Vec<(String, Range<usize>)> = Vec::new();
        for (i, m) in matched.iter().enumerate() {
            match hosts.last_mut() {
                Some((h, r)) if *h == m.event.computer => r.end = i + 1,
                _ => hosts.push((m.event.computer.clone(), i..i + 1)),
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
            source: e.source.to_path_buf(),
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
