//! The rule index: for an event's (channel, event id), the only rules that can
//! match it; and [`Interest`], the same knowledge with the rules' conditions, as a
//! predicate for ingest.

use super::field::Sketched;
use super::gate::{Asked, Gates};
use super::pins::Pins;
use super::rule::CompiledRule;
use crate::event::{EventSketch, HeaderField};
use foldhash::HashMap;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

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
    fn takes_provider(&self, rule: u32, provider: &str, source: &str) -> bool {
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

    fn channel(&self, channel: &str) -> Option<&Buckets> {
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
    fn each_candidate<'a>(
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

/// Which events any rule can match at all, so that ingest can skip rendering the rest.
/// Cheap to clone and to share between threads.
#[derive(Debug, Clone)]
pub struct Interest {
    index: Arc<Index>,
    rules: Arc<[CompiledRule]>,
    /// Per rule: no sketch can decide it ([`CompiledRule::blind_to_sketches`]).
    blind: Arc<[bool]>,
    /// Some rule is blind: only then are the candidates looked over for one first.
    any_blind: bool,
    /// Fields that rule out many rules at once.
    gates: Arc<Gates>,
    /// How judging has gone, per event id.
    record: Arc<Record>,
}

/// Per event id: how many records were judged, and how many of them may match.
struct Record {
    judged: Box<[AtomicU32]>,
    taken: Box<[AtomicU32]>,
}

/// Judging an event id stops paying once this many of its records were judged...
pub(super) const JUDGED_ENOUGH: u32 = 256;
/// ...and at least this many tenths of them may match: they are rendered anyway, and the
/// rules would be evaluated twice.
const MOSTLY_TAKEN_TENTHS: u32 = 9;
/// After this many records of an event id the counts stand still, and so does the choice:
/// every worker thread adding to the same two counters for every record cost a tenth of
/// a large run's time, the cache line going back and forth between the cores.
const JUDGED_MOST: u32 = 4096;

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Record { .. }")
    }
}

impl Record {
    fn new() -> Self {
        let counters = || (0..=u16::MAX).map(|_| AtomicU32::new(0)).collect();
        Record {
            judged: counters(),
            taken: counters(),
        }
    }

    /// True when records of `id` are mostly taken: judging them is not worth it.
    fn not_worth_it(&self, id: u16) -> bool {
        let judged = self.judged[usize::from(id)].load(Ordering::Relaxed);
        let taken = self.taken[usize::from(id)].load(Ordering::Relaxed);
        judged >= JUDGED_ENOUGH && taken * 10 >= judged * MOSTLY_TAKEN_TENTHS
    }

    fn note(&self, id: u16, taken: bool) {
        let judged = &self.judged[usize::from(id)];
        if judged.load(Ordering::Relaxed) < JUDGED_MOST {
            judged.fetch_add(1, Ordering::Relaxed);
            self.taken[usize::from(id)].fetch_add(u32::from(taken), Ordering::Relaxed);
        }
    }
}

impl Interest {
    pub(crate) fn new(index: Arc<Index>, rules: Arc<[CompiledRule]>) -> Self {
        let blind: Arc<[bool]> = rules.iter().map(CompiledRule::blind_to_sketches).collect();
        let gates = Arc::new(Gates::build(&rules));
        Interest {
            index,
            rules,
            any_blind: blind.contains(&true),
            blind,
            gates,
            record: Arc::new(Record::new()),
        }
    }

    /// False only when no rule can match the event, judged from what `sketch` can tell: its
    /// channel and event id choose the candidate rules (as matching does), those whose
    /// condition requires another provider drop out, and each remaining candidate's
    /// logsource and condition are evaluated on the fields the sketch knows, in three-valued
    /// logic. A rule that needs a field the sketch cannot tell may match; a record with a
    /// candidate no sketch can decide (keywords, say) is taken at once. Once most records of
    /// an event id turn out to be taken (9 in 10, after 256), the rest of that id are taken
    /// without judging: they would be rendered anyway, and judging them first only evaluates
    /// the rules twice. Whatever is taken is matched on the rendered event, so the matches
    /// are the same either way; only the work differs.
    pub fn may_match(&self, sketch: &dyn EventSketch) -> bool {
        let Some(channel) = sketch.header(HeaderField::Channel) else {
            return true;
        };
        let (Some(provider), Some(source)) = (
            sketch.header(HeaderField::Provider),
            sketch.header(HeaderField::EventSource),
        ) else {
            return true;
        };
        let event_id = sketch.event_id();
        let buckets = self.index.channel(&channel);
        let candidates = || {
            self.index
                .each_candidate(buckets, event_id)
                .filter(|r| self.index.takes_provider(*r, &provider, &source))
        };
        // A candidate no sketch can decide: render at once, without judging the others.
        if self.any_blind && candidates().any(|r| self.blind[r as usize]) {
            return true;
        }
        let mut any = candidates().peekable();
        if any.peek().is_none() {
            return false;
        }
        if self.record.not_worth_it(event_id) {
            return true;
        }
        let src = Sketched(sketch);
        let mut asked = Asked::default();
        let taken = any.any(|r| {
            !self
                .gates
                .rules_out(&self.rules, r, event_id, &src, &mut asked)
                && self.rules[r as usize].truth(&src) != Some(false)
        });
        self.record.note(event_id, taken);
        taken
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
