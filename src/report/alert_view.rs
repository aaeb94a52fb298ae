//! The alert summary as the human formats show it (terminal, Markdown, HTML): one
//! row per context alert rule, most severe first, informational rules folded into
//! a count unless every rule is asked for (`--alerts`).

use crate::correlate::model::{AlertSummary, Analysis};
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

/// `T1021.001, T1078` or empty.
pub(crate) fn attack(r: &AlertSummary) -> String {
    r.attack.join(", ")
}

/// `RDS01` or `RDS01, RDS02 and 3 more`.
pub(crate) fn hosts(r: &AlertSummary) -> String {
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
            crate::correlate::thousands(rows.folded_alerts),
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
        assert_eq!(hosts(&a.alerts[0]), "A, B and 1 more");
        assert_eq!(attack(&a.alerts[0]), "T1021.001");
    }
}
