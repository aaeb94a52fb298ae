//! The outlook as the human formats show it: its items across hosts, most
//! urgent first, and the choice the one-screen summary makes of them.

use super::rows::{confidence_name, evidence};
use crate::correlate::model::{Analysis, OutlookItem, OutlookLevel, OutlookTopic};

/// One outlook item with its host.
pub(crate) struct OutlookRow<'a> {
    /// The host.
    pub host: &'a str,
    /// The item.
    pub item: &'a OutlookItem,
}

impl OutlookRow<'_> {
    /// `act now`, `watch`, ...
    pub fn level(&self) -> &'static str {
        self.item.level.as_str()
    }

    /// The detail with the inference's confidence.
    pub fn detail(&self) -> String {
        format!(
            "{} (confidence: {})",
            self.item.detail,
            confidence_name(self.item.confidence)
        )
    }

    /// The evidence records, as every report names them.
    pub fn evidence(&self) -> String {
        self.item
            .evidence
            .iter()
            .map(|e| evidence(e.channel(), e.event_id, e.record_id))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The outlook table's cells, escaped with `esc`: level, host, what, how
    /// it was read, fix, evidence.
    pub fn cells(&self, esc: super::view::Escape) -> [String; 6] {
        [
            esc(self.level()).into_owned(),
            esc(self.host).into_owned(),
            esc(&self.item.title).into_owned(),
            esc(&self.detail()).into_owned(),
            esc(self.item.fix.as_deref().unwrap_or("")).into_owned(),
            esc(&self.evidence()).into_owned(),
        ]
    }
}

/// Every item at `min` or above, most urgent first (hosts in report order within a level).
pub(crate) fn rows(a: &Analysis, min: OutlookLevel) -> Vec<OutlookRow<'_>> {
    let mut rows: Vec<OutlookRow<'_>> = a
        .outlook
        .iter()
        .flat_map(|h| {
            h.items
                .iter()
                .filter(move |i| i.level >= min)
                .map(move |item| OutlookRow {
                    host: &h.host,
                    item,
                })
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.item.level));
    rows
}

/// What the one-screen summary shows: the items to act on now, each host's
/// listener certificate (the first thing the runbook says to check), then the
/// items to watch.
pub(crate) fn brief_rows(a: &Analysis) -> Vec<OutlookRow<'_>> {
    let group = |r: &OutlookRow<'_>| match (r.item.level, r.item.topic) {
        (OutlookLevel::ActNow, _) => 0,
        (_, OutlookTopic::Certificate) => 1,
        (OutlookLevel::Watch, _) => 2,
        _ => 3,
    };
    let mut rows = rows(a, OutlookLevel::Ok);
    rows.retain(|r| group(r) < 3);
    // Stable: most urgent first within each group, as `rows` has them.
    rows.sort_by_key(group);
    rows
}
