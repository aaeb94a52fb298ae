//! The outlook as the human formats show it: the items worth a look (watch,
//! act now) across hosts, most urgent first, and the hosts with none.

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
            .map(|e| evidence(&e.channel, e.event_id, e.record_id))
            .collect::<Vec<_>>()
            .join(", ")
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
    let all = rows(a, OutlookLevel::Ok);
    let certificate = |r: &OutlookRow<'_>| r.item.topic == OutlookTopic::Certificate;
    let act = |r: &OutlookRow<'_>| r.item.level == OutlookLevel::ActNow;
    let mut out: Vec<OutlookRow<'_>> = Vec::new();
    let (first, rest): (Vec<_>, Vec<_>) = all.into_iter().partition(|r| act(r));
    out.extend(first);
    let (certs, rest): (Vec<_>, Vec<_>) = rest.into_iter().partition(|r| certificate(r));
    out.extend(certs);
    out.extend(
        rest.into_iter()
            .filter(|r| r.item.level == OutlookLevel::Watch),
    );
    out
}
