//! The alert summary: per context alert rule (plain Sigma rules and our own context
//! rules), how many events it matched, when, on which hosts, with its level, status,
//! tags and ATT&CK ids. A burst of thousands of alerts becomes one line per rule.

use super::input::Input;
use super::model::AlertSummary;
use crate::rules::{Level, RuleInfo};
use chrono::{DateTime, Utc};
use foldhash::HashMap;
use std::collections::BTreeSet;
use std::sync::Arc;

struct Tally<'a> {
    rule: &'a Arc<RuleInfo>,
    count: usize,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
    /// The hosts, by (place in the order of hosts, name).
    hosts: BTreeSet<(usize, Arc<str>)>,
}

/// One row per context rule that matched (at `min_level` or above, when given),
/// most severe first, then the most frequent, then by title.
pub(crate) fn alerts(input: &Input, min_level: Option<Level>) -> Vec<AlertSummary> {
    let mut tallies: HashMap<&str, Tally<'_>> = HashMap::default();
    for (rule, at) in input.alerted(min_level) {
        let (time, rank, host) = input.alert_place(at);
        tally(&mut tallies, rule, time, (rank, host));
    }
    let mut rows: Vec<AlertSummary> = tallies
        .into_values()
        .map(|t| AlertSummary {
            rule_id: t.rule.id.to_string(),
            title: t.rule.title.to_string(),
            level: t.rule.level,
            status: t.rule.status.clone(),
            tags: t.rule.tags.clone(),
            attack: t.rule.attack_ids(),
            count: t.count,
            first: t.first,
            last: t.last,
            hosts: t.hosts.iter().map(|(_, name)| name.to_string()).collect(),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then(b.count.cmp(&a.count))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    rows
}

/// Counts one match of `rule` at `t` on `host`.
fn tally<'a>(
    tallies: &mut HashMap<&'a str, Tally<'a>>,
    rule: &'a Arc<RuleInfo>,
    t: DateTime<Utc>,
    (rank, name): (usize, &Arc<str>),
) {
    let tally = tallies.entry(&*rule.id).or_insert_with(|| Tally {
        rule,
        count: 0,
        first: t,
        last: t,
        hosts: BTreeSet::new(),
    });
    tally.count += 1;
    tally.first = tally.first.min(t);
    tally.last = tally.last.max(t);
    tally.hosts.insert((rank, Arc::clone(name)));
}
