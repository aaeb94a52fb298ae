//! The rule index: for an event's (channel, event id), the only rules that can
//! match it; and [`Interest`], the same knowledge with the rules' conditions, as a
//! predicate for ingest.

use super::field::Sketched;
use super::pins::Pins;
use super::rule::CompiledRule;
use crate::event::{EventSketch, HeaderField};
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

    /// The rules for event id `id`: those that pin it, then those that take any.
    fn rules_for(&self, id: u16) -> impl Iterator<Item = u32> + '_ {
        let by_id = self.by_id.get(&id).map(Vec::as_slice).unwrap_or_default();
        by_id.iter().chain(&self.any_id).copied()
    }
}

/// Rules bucketed by (channel, event id); rules that pin neither go to `anywhere`.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Keyed by lowercased channel.
    channels: HashMap<String, Buckets>,
    anywhere: Buckets,
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
        }
        index
    }

    fn channel(&self, channel: &str) -> Option<&Buckets> {
        if !channel.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.channels.get(channel);
        }
        // Lowercased on the stack: this runs for every record.
        let mut buf = [0u8; 128];
        match buf.get_mut(..channel.len()) {
            Some(lower) => {
                lower.copy_from_slice(channel.as_bytes());
                lower.make_ascii_lowercase();
                // ASCII lowercasing keeps UTF-8 valid.
                std::str::from_utf8(lower)
                    .ok()
                    .and_then(|c| self.channels.get(c))
            }
            None => self.channels.get(&channel.to_ascii_lowercase()),
        }
    }

    /// The rules that may match an event of `channel` and `event_id`, in no order (a rule
    /// may come twice).
    fn each_candidate(&self, channel: &str, event_id: u16) -> impl Iterator<Item = u32> + '_ {
        self.channel(channel)
            .into_iter()
            .flat_map(move |b| b.rules_for(event_id))
            .chain(self.anywhere.rules_for(event_id))
    }

    /// The rules that may match an event of `channel` and `event_id`, ascending.
    pub fn candidates(&self, channel: &str, event_id: u16, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.each_candidate(channel, event_id));
        out.sort_unstable();
    }
}

/// Which events any rule can match at all, so that ingest can skip rendering the rest.
/// Cheap to clone and to share between threads.
#[derive(Debug, Clone)]
pub struct Interest {
    index: Arc<Index>,
    rules: Arc<[CompiledRule]>,
}

impl Interest {
    pub(crate) fn new(index: Arc<Index>, rules: Arc<[CompiledRule]>) -> Self {
        Interest { index, rules }
    }

    /// False only when no rule can match the event, judged from what `sketch` can tell: its
    /// channel and event id choose the candidate rules (as matching does), and each
    /// candidate's logsource and condition are evaluated on the fields the sketch knows, in
    /// three-valued logic. A rule that needs a field the sketch cannot tell may match.
    pub fn may_match(&self, sketch: &dyn EventSketch) -> bool {
        let Some(channel) = sketch.header(HeaderField::Channel) else {
            return true;
        };
        let src = Sketched(sketch);
        self.index
            .each_candidate(&channel, sketch.event_id())
            .any(|r| self.rules[r as usize].truth(&src) != Some(false))
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

    use crate::event::FieldValue;
    use crate::rules::{RuleSet, RuleSource};
    use std::borrow::Cow;
    use std::collections::HashMap;

    /// A record known in part: its header, and some data fields (`None`: cannot tell).
    struct Sketch {
        event_id: u16,
        channel: &'static str,
        provider: &'static str,
        data: HashMap<&'static str, Option<FieldValue>>,
        /// Whether names not in `data` are known to be absent.
        complete: bool,
    }

    impl EventSketch for Sketch {
        fn event_id(&self) -> u16 {
            self.event_id
        }
        fn qualifiers(&self) -> Option<u16> {
            None
        }
        fn header(&self, field: HeaderField) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(match field {
                HeaderField::Channel => self.channel,
                HeaderField::Provider => self.provider,
                _ => "",
            }))
        }
        fn data(&self, name: &str) -> Option<Option<FieldValue>> {
            match self.data.get(name) {
                Some(known) => known.clone().map(Some),
                None => self.complete.then_some(None),
            }
        }
    }

    fn rules(detections: &[&str]) -> RuleSet {
        let sources: Vec<RuleSource> = detections
            .iter()
            .enumerate()
            .map(|(i, d)| RuleSource::Text {
                path: format!("r{i}.yml").into(),
                text: format!(
                    "title: t{i}\nid: r{i}\nlogsource:\n  product: windows\n  service: security\n\
                     detection:\n{d}\nlevel: low\n"
                ),
            })
            .collect();
        let (set, diagnostics) = RuleSet::load(&sources);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        set
    }

    fn logon(data: &[(&'static str, Option<FieldValue>)], complete: bool) -> Sketch {
        Sketch {
            event_id: 4624,
            channel: "Security",
            provider: "Microsoft-Windows-Security-Auditing",
            data: data.iter().cloned().collect(),
            complete,
        }
    }

    #[test]
    fn a_record_is_rendered_only_when_some_rule_may_match_it() {
        let set = rules(&[
            "  sel:\n    EventID: 4624\n    LogonType: 10\n  filter:\n    IpAddress: '-'\n  \
             condition: sel and not filter",
            "  sel:\n    EventID: 4625\n  condition: sel",
        ]);
        let interest = set.interest();
        let known = |v: u64| Some(FieldValue::UInt(v));
        // LogonType 5: false whatever the filter says.
        assert!(!interest.may_match(&logon(&[("LogonType", known(5))], false)));
        // LogonType 10 and an unknown address: it may match.
        assert!(interest.may_match(&logon(&[("LogonType", known(10))], false)));
        // LogonType 10 and the filtered address: it cannot.
        let dash = Some(FieldValue::Str("-".into()));
        assert!(!interest.may_match(&logon(
            &[("LogonType", known(10)), ("IpAddress", dash)],
            false
        )));
        // LogonType 10 and no address at all (known absent): `not filter` holds.
        assert!(interest.may_match(&logon(&[("LogonType", known(10))], true)));
        // LogonType unknown: it may match.
        assert!(interest.may_match(&logon(&[], false)));
        // No candidate rule for the channel and event id at all.
        let mut other = logon(&[], false);
        other.event_id = 4634;
        assert!(!interest.may_match(&other));
        other.event_id = 4625;
        assert!(interest.may_match(&other));
    }

    #[test]
    fn keywords_field_references_and_unknown_header_fields_may_match() {
        let everything = logon(
            &[
                ("TargetUserName", Some(FieldValue::Str("a".into()))),
                ("SubjectUserName", Some(FieldValue::Str("b".into()))),
            ],
            true,
        );
        for detection in [
            "  keywords:\n    - 'mimikatz'\n  condition: keywords",
            "  sel:\n    EventID: 4624\n    TargetUserName|fieldref: SubjectUserName\n  condition: sel",
            "  sel:\n    EventID: 4624\n    Level: 2\n  condition: sel",
        ] {
            let set = rules(&[detection]);
            assert!(set.interest().may_match(&everything), "{detection}");
        }
    }

    #[test]
    fn one_of_counts_unknown_searches_as_maybe() {
        let set = rules(&[
            "  sel_a:\n    LogonType: 10\n  sel_b:\n    LogonType: 7\n  \
                           sel_c:\n    ElevatedToken: '%%1842'\n  condition: 2 of sel_*",
        ]);
        let interest = set.interest();
        let lt = |v: u64| ("LogonType", Some(FieldValue::UInt(v)));
        // One known true (10), one false (7), one unknown: 2 may still hold.
        assert!(interest.may_match(&logon(&[lt(10)], false)));
        // None true, one unknown: 2 cannot hold.
        assert!(!interest.may_match(&logon(&[lt(5)], false)));
    }
}
