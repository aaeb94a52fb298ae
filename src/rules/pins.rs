//! What a rule's condition forces an event to be: the event ids, channels and
//! providers without which it cannot match (used to index rules).

use super::condition::Cond;
use super::detection::{Item, Search};
use super::field::FieldKey;
use super::rule::CompiledRule;
use std::collections::BTreeSet;

/// Values a field must take for the rule to match; `None` means unconstrained.
type Req = Option<BTreeSet<String>>;

/// The constraints of one rule, lowercased where text.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Pins {
    pub event_ids: Option<BTreeSet<u16>>,
    pub channels: Option<BTreeSet<String>>,
    pub providers: Option<BTreeSet<String>>,
}

/// Derives a rule's pins from its logsource and condition.
pub(crate) fn of(rule: &CompiledRule) -> Pins {
    let from_cond = |key: &FieldKey, int: bool| required(&rule.cond, &rule.searches, key, int);
    let mut event_ids: Option<BTreeSet<u16>> = from_cond(&FieldKey::EventId, true)
        .map(|set| set.iter().filter_map(|s| s.parse().ok()).collect());
    if let Some(scope_ids) = &rule.scope.event_ids {
        let scope: BTreeSet<u16> = scope_ids.iter().copied().collect();
        event_ids = Some(match event_ids {
            Some(ids) => ids.intersection(&scope).copied().collect(),
            None => scope,
        });
    }
    let mut channels = from_cond(&FieldKey::Channel, false);
    if !rule.scope.channels.is_empty() {
        let scope: BTreeSet<String> = rule
            .scope
            .channels
            .iter()
            .map(|c| c.to_ascii_lowercase())
            .collect();
        channels = Some(match channels {
            Some(c) => c.intersection(&scope).cloned().collect(),
            None => scope,
        });
    }
    Pins {
        event_ids,
        channels,
        providers: from_cond(&FieldKey::Provider, false),
    }
}

fn and(reqs: impl Iterator<Item = Req>) -> Req {
    reqs.flatten()
        .reduce(|a, b| a.intersection(&b).cloned().collect())
}

fn or(mut reqs: impl Iterator<Item = Req>) -> Req {
    reqs.try_fold(BTreeSet::new(), |mut acc, r| {
        acc.extend(r?);
        Some(acc)
    })
}

fn required(cond: &Cond, searches: &[Search], key: &FieldKey, int: bool) -> Req {
    let search = |i: usize| searches.get(i).and_then(|s| of_search(s, key, int));
    match cond {
        Cond::Search(i) => search(*i),
        Cond::Not(_) => None,
        Cond::And(cs) => and(cs.iter().map(|c| required(c, searches, key, int))),
        Cond::Or(cs) => or(cs.iter().map(|c| required(c, searches, key, int))),
        Cond::AtLeast(_, ids) => or(ids.iter().map(|i| search(*i))),
    }
}

fn of_search(s: &Search, key: &FieldKey, int: bool) -> Req {
    match s {
        Search::Map(items) => and(items.iter().map(|i| of_item(i, key, int))),
        Search::Any(parts) => or(parts.iter().map(|p| of_search(p, key, int))),
        Search::Keywords(_) => None,
    }
}

fn of_item(item: &Item, key: &FieldKey, int: bool) -> Req {
    if item.field.as_ref() != Some(key) || (item.all && item.matchers.len() > 1) {
        return None;
    }
    item.matchers
        .iter()
        .map(|m| {
            if int {
                m.pinned_int().map(|n| n.to_string())
            } else {
                m.pinned_text().map(str::to_ascii_lowercase)
            }
        })
        .collect()
}
