//! The alert summary as the human formats show it (terminal, Markdown, HTML): one
//! row per context alert rule, most severe first, informational rules folded into
//! a count unless every rule is asked for (`--alerts`).

use super::RenderOptions;
use super::incident_view::span;
use crate::correlate::model::{AlertSummary, Analysis};
use crate::correlate::thousands;
use crate::vocab::Level;

/// The rows to show and what was folded.
#[derive(Debug)]
pub(crate) struct AlertRows<'a> {
    /// The rules shown, most severe first.
    pub shown: Vec<&'a AlertSummary>,
    /// Informational rules left out.
    pub folded_rules: usize,
    /// Their alerts.
    pub folded_alerts: usize,
}

/// The rows of `a`'s alert summary; with `all`, informational rules too.
pub(crate) fn rows(a: &Analysis, all: bool) -> AlertRows<'_> {
    let (shown, folded): (Vec<_>, Vec<_>) = a
        .alerts
        .iter()
        .partition(|r| all || r.level > Level::Informational);
    AlertRows {
        shown,
        folded_rules: folded.len(),
        folded_alerts: folded.iter().map(|r| r.count).sum(),
    }
}

/// How many alerts, from how many rules, in all.
pub(crate) fn totals(a: &Analysis) -> (usize, usize) {
    (a.alerts.iter().map(|r| r.count).sum(), a.alerts.len())
}

/// The sentence that opens the Markdown and HTML sections.
pub(crate) fn intro(a: &Analysis) -> String {
    let (count, rules) = totals(a);
    format!(
        "{} alert(s) from {rules} rule(s) that explain no drop (Sigma and context rules).",
        thousands(count)
    )
}

/// One alert rule as every format shows it, raw: renderers escape.
#[derive(Debug)]
pub(crate) struct AlertCells<'a> {
    pub level: &'static str,
    pub title: &'a str,
    pub count: String,
    /// First to last, in the options' zone.
    pub when: String,
    pub hosts: String,
    /// `T1021.001, T1078` or empty.
    pub attack: String,
    pub status: &'a str,
}

impl AlertCells<'_> {
    /// The alert table's cells, escaped with `esc`: level, rule title, count,
    /// when, hosts, ATT&CK, status.
    pub fn escaped(&self, esc: super::view::Escape) -> [String; 7] {
        [
            self.level.to_string(),
            esc(self.title).into_owned(),
            self.count.clone(),
            esc(&self.when).into_owned(),
            esc(&self.hosts).into_owned(),
            esc(&self.attack).into_owned(),
            esc(self.status).into_owned(),
        ]
    }
}

/// The cells of `r`.
pub(crate) fn cells<'a>(r: &'a AlertSummary, opts: &RenderOptions) -> AlertCells<'a> {
    AlertCells {
        level: r.level.as_str(),
        title: &r.title,
        count: thousands(r.count),
        when: span(r.first, r.last, opts),
        hosts: hosts(r),
        attack: r.attack.join(", "),
        status: r.status.as_deref().unwrap_or(""),
    }
}

/// `RDS01` or `RDS01, RDS02 and 3 more`.
fn hosts(r: &AlertSummary) -> String {
    const SHOWN: usize = 2;
    let mut text = r
        .hosts
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if r.hosts.len() > SHOWN {
        text.push_str(&format!(" and {} more", r.hosts.len() - SHOWN));
    }
    text
}

/// The line that says what was folded, if anything was.
pub(crate) fn folded_note(rows: &AlertRows<'_>) -> Option<String> {
    (rows.folded_rules > 0).then(|| {
        format!(
            "{} informational alert(s) from {} rule(s) folded (--alerts lists them)",
            thousands(rows.folded_alerts),
            rows.folded_rules
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn alert(id: &str, level: Level, count: usize) -> AlertSummary {
        let t = Utc.with_ymd_and_hms(2024, 3, 11, 9, 0, 0).unwrap();
        AlertSummary {
            rule_id: id.into(),
            title: id.into(),
            level,
            status: None,
            tags: vec![],
            attack: vec!["T1021.001".into()],
            count,
            first: t,
            last: t,
            hosts: vec!["A".into(), "B".into(), "C".into()],
        }
    }

    #[test]
    fn informational_rules_fold_unless_all_are_asked_for() {
        let a = Analysis {
            alerts: vec![
                alert("high", Level::High, 2),
                alert("info", Level::Informational, 2258),
            ],
            ..Analysis::default()
        };
        let folded = rows(&a, false);
        assert_eq!(folded.shown.len(), 1);
        assert_eq!((folded.folded_rules, folded.folded_alerts), (1, 2258));
        assert_eq!(
            folded_note(&folded).as_deref(),
            Some("2,258 informational alert(s) from 1 rule(s) folded (--alerts lists them)")
        );
        let all = rows(&a, true);
        assert_eq!(all.shown.len(), 2);
        assert_eq!(folded_note(&all), None);
        assert_eq!(totals(&a), (2260, 2));
        assert_eq!(
            intro(&a),
            "2,260 alert(s) from 2 rule(s) that explain no drop (Sigma and context rules)."
        );
        let c = cells(&a.alerts[1], &RenderOptions::default());
        assert_eq!((c.level, c.count.as_str()), ("informational", "2,258"));
        assert_eq!(c.hosts, "A, B and 1 more");
        assert_eq!(c.attack, "T1021.001");
        assert_eq!(c.when, "2024-03-11 09:00:00");
    }
}
