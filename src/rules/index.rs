//! The rule index: for an event's (channel, event id), the only rules that can
//! match it; and [`Interest`], the same knowledge as a cheap predicate for ingest.

use super::pins::Pins;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Rules by event id, plus the rules that take any event id.
#[derive(Debug, Default)]
struct Buckets {
    by_id: HashMap<u16, Vec<u32>>,
    any_id: Vec<u32>,
}

impl Buckets {
    fn add(&mut self, ids: &Option<BTreeSet<u16>>, rule: u32) {
        match ids {
            Some(ids) => ids
                .iter()
                .for_each(|id| self.by_id.entry(*id).or_default().push(rule)),
            None => self.any_id.push(rule),
        }
    }

    fn extend_into(&self, id: u16, out: &mut Vec<u32>) {
        if let Some(v) = self.by_id.get(&id) {
            out.extend_from_slice(v);
        }
        out.extend_from_slice(&self.any_id);
    }

    fn is_empty_for(&self, id: u16) -> bool {
        self.any_id.is_empty() && !self.by_id.contains_key(&id)
    }
}

/// Rules bucketed by (channel, event id); rules that pin neither go to `anywhere`.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Keyed by lowercased channel.
    channels: HashMap<String, Buckets>,
    anywhere: Buckets,
    /// Per rule: the providers it requires (lowercased), if any.
    providers: Vec<Option<BTreeSet<String>>>,
}

impl Index {
    /// Indexes rules given their pins, in rule-set order.
    pub fn build(pins: &[Pins]) -> Index {
        let mut index = Index::default();
        for (i, p) in pins.iter().enumerate() {
            let rule = i as u32;
            match &p.channels {
                Some(chs) => chs.iter().for_each(|c| {
                    index
                        .channels
                        .entry(c.clone())
                        .or_default()
                        .add(&p.event_ids, rule)
                }),
                None => index.anywhere.add(&p.event_ids, rule),
            }
            index.providers.push(p.providers.clone());
        }
        index
    }

    fn channel(&self, channel: &str) -> Option<&Buckets> {
        self.channels.get(channel).or_else(|| {
            if channel.bytes().any(|b| b.is_ascii_uppercase()) {
                self.channels.get(&channel.to_ascii_lowercase())
            } else {
                None
            }
        })
    }

    /// The rules that may match an event of `channel` and `event_id`, ascending.
    pub fn candidates(&self, channel: &str, event_id: u16, out: &mut Vec<u32>) {
        out.clear();
        if let Some(b) = self.channel(channel) {
            b.extend_into(event_id, out);
        }
        self.anywhere.extend_into(event_id, out);
        out.sort_unstable();
    }

    /// True when some rule may match an event of this channel, provider and id.
    fn wants(&self, channel: &str, providers: &[&str], event_id: u16) -> bool {
        let ok = |r: &u32| {
            self.providers
                .get(*r as usize)
                .and_then(Option::as_ref)
                .is_none_or(|set| {
                    set.iter()
                        .any(|s| providers.iter().any(|p| p.eq_ignore_ascii_case(s)))
                })
        };
        let check = |b: &Buckets| {
            b.by_id.get(&event_id).is_some_and(|v| v.iter().any(ok)) || b.any_id.iter().any(ok)
        };
        self.channel(channel).is_some_and(check) || check(&self.anywhere)
    }

    fn wants_channel_id(&self, channel: &str, event_id: u16) -> bool {
        !self.anywhere.is_empty_for(event_id)
            || self
                .channel(channel)
                .is_some_and(|b| !b.is_empty_for(event_id))
    }
}

/// Which events any rule can match at all, so ingest can skip rendering the rest.
/// Cheap to clone and to share between threads.
#[derive(Debug, Clone)]
pub struct Interest {
    index: Arc<Index>,
}

impl Interest {
    pub(crate) fn new(index: Arc<Index>) -> Self {
        Interest { index }
    }

    /// True when some rule may match an event of `channel` (any case), from
    /// `provider` (its `Provider/@Name`), with `event_id`. For classic events
    /// whose `EventSourceName` differs from the provider name, use
    /// [`Interest::wants_either`]: rules may name either.
    pub fn wants(&self, channel: &str, provider: &str, event_id: u16) -> bool {
        self.index.wants_channel_id(channel, event_id)
            && self.index.wants(channel, &[provider], event_id)
    }

    /// Like [`Interest::wants`], for an event with a classic `EventSourceName` too.
    pub fn wants_either(
        &self,
        channel: &str,
        provider: &str,
        event_source: &str,
        event_id: u16,
    ) -> bool {
        self.index.wants_channel_id(channel, event_id)
            && self
                .index
                .wants(channel, &[provider, event_source], event_id)
    }

    /// True when some rule may match an event of `channel` and `event_id`,
    /// whatever its provider (the cheapest test: two hash lookups).
    pub fn wants_channel_event(&self, channel: &str, event_id: u16) -> bool {
        self.index.wants_channel_id(channel, event_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(ch: Option<&[&str]>, ids: Option<&[u16]>, prov: Option<&[&str]>) -> Pins {
        Pins {
            event_ids: ids.map(|i| i.iter().copied().collect()),
            channels: ch.map(|c| c.iter().map(|s| s.to_ascii_lowercase()).collect()),
            providers: prov.map(|p| p.iter().map(|s| s.to_ascii_lowercase()).collect()),
        }
    }

    #[test]
    fn candidates_come_from_channel_and_anywhere_buckets_in_order() {
        let index = Index::build(&[
            pins(Some(&["System"]), Some(&[7036]), None),
            pins(None, Some(&[7036]), None),
            pins(Some(&["Security"]), None, None),
            pins(None, None, None),
            pins(Some(&["System"]), None, Some(&["Schannel"])),
        ]);
        let mut out = Vec::new();
        index.candidates("System", 7036, &mut out);
        assert_eq!(out, [0, 1, 3, 4]);
        index.candidates("security", 1, &mut out);
        assert_eq!(out, [2, 3]);
        let only_pinned = Index::build(&[
            pins(Some(&["System"]), Some(&[7036]), None),
            pins(Some(&["System"]), Some(&[36870]), Some(&["Schannel"])),
        ]);
        let interest = Interest::new(Arc::new(only_pinned));
        assert!(interest.wants("SYSTEM", "Service Control Manager", 7036));
        assert!(!interest.wants("System", "Service Control Manager", 7040));
        assert!(!interest.wants("Application", "x", 7036));
        assert!(interest.wants("System", "schannel", 36870));
        assert!(!interest.wants("System", "Other", 36870));
        assert!(interest.wants_either("System", "Other", "Schannel", 36870));
        assert!(interest.wants_channel_event("System", 36870));
    }
}
