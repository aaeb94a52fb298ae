//! The rule index: for an event's (channel, event id), the only rules that can
//! match it.

use super::pins::Pins;
use foldhash::HashMap;
use std::collections::BTreeSet;

/// Rules by event id, plus the rules that take any event id.
#[derive(Debug, Default)]
pub(super) struct Buckets {
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

    /// The rules for event id `id`: those that pin it, then those that take any.
    fn rules_for(&self, id: u16) -> impl Iterator<Item = u32> + '_ {
        let by_id = self.by_id.get(&id).map(Vec::as_slice).unwrap_or_default();
        by_id.iter().chain(&self.any_id).copied()
    }
}

/// Rules bucketed by (channel, event id); rules that pin neither go to `anywhere`.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Keyed by lowercased channel (bytes: the lookup lowercases on the stack).
    channels: HashMap<Box<[u8]>, Buckets>,
    anywhere: Buckets,
    /// Per rule: the providers its condition requires (lowercased), if any.
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
                        .entry(c.as_bytes().into())
                        .or_default()
                        .add(&p.event_ids, rule)
                }),
                None => index.anywhere.add(&p.event_ids, rule),
            }
            index.providers.push(p.providers.clone());
        }
        index
    }

    /// True when rule `rule` takes events of `provider` or `source` (its `EventSourceName`):
    /// a cheap test before the rule's condition is evaluated.
    pub(super) fn takes_provider(&self, rule: u32, provider: &str, source: &str) -> bool {
        self.providers
            .get(rule as usize)
            .and_then(Option::as_ref)
            .is_none_or(|set| {
                set.iter().any(|p| {
                    p.eq_ignore_ascii_case(provider)
                        || (!source.is_empty() && p.eq_ignore_ascii_case(source))
                })
            })
    }

    pub(super) fn channel(&self, channel: &str) -> Option<&Buckets> {
        let channel = channel.as_bytes();
        if !channel.iter().any(u8::is_ascii_uppercase) {
            return self.channels.get(channel);
        }
        // Lowercased on the stack: this runs for every record.
        let mut buf = [0u8; 128];
        match buf.get_mut(..channel.len()) {
            Some(lower) => {
                lower.copy_from_slice(channel);
                lower.make_ascii_lowercase();
                self.channels.get(&*lower)
            }
            None => self.channels.get(&*channel.to_ascii_lowercase()),
        }
    }

    /// The rules that may match an event of event id `event_id` whose channel has the
    /// buckets `channel` (from [`Index::channel`]), in no order (a rule may come twice).
    pub(super) fn each_candidate<'a>(
        &'a self,
        channel: Option<&'a Buckets>,
        event_id: u16,
    ) -> impl Iterator<Item = u32> + 'a {
        channel
            .into_iter()
            .flat_map(move |b| b.rules_for(event_id))
            .chain(self.anywhere.rules_for(event_id))
    }

    /// The rules that may match an event of `channel` and `event_id`, ascending.
    pub fn candidates(&self, channel: &str, event_id: u16, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.each_candidate(self.channel(channel), event_id));
        out.sort_unstable();
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
        index.candidates("Application", 36870, &mut out);
        assert_eq!(out, [3]);
    }
}
