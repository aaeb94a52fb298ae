//! Ranks the causes found near a drop and draws the verdict.
//!
//! Score (0..=1) = 0.85 × (0.30 category weight + 0.25 rule level + 0.30
//! closeness in time + 0.15 recurrence, the share of the host's drops the rule
//! coincides with) + 0.15 when the cause names the drop's own client address or
//! session rather than only the same host.

use super::input::Input;
use super::model::{Cause, Confidence, DecodedCode, DropKind, Verdict};
use super::window::{CauseIndex, Hit};
use crate::event::Event;
use crate::rules::{Category, Level};
use std::sync::Arc;

/// How strongly a category explains a drop when it coincides with one.
const CATEGORY_WEIGHT: &[(Category, f64)] = &[
    (Category::Certificate, 1.0),
    (Category::Tls, 0.95),
    (Category::Licensing, 0.95),
    (Category::Service, 0.9),
    (Category::Power, 0.9),
    (Category::Configuration, 0.85),
    (Category::Authentication, 0.8),
    (Category::SecurityProduct, 0.7),
    (Category::Resource, 0.7),
    (Category::Network, 0.6),
];

/// How much a rule's level counts.
const LEVEL_WEIGHT: &[(Level, f64)] = &[
    (Level::Critical, 1.0),
    (Level::High, 0.85),
    (Level::Medium, 0.65),
    (Level::Low, 0.45),
    (Level::Informational, 0.3),
];

/// Seconds at which closeness has fallen to one half.
const CLOSENESS_HALF: f64 = 60.0;

fn weight<K: PartialEq>(table: &[(K, f64)], key: K) -> f64 {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(0.5, |(_, w)| *w)
}

/// Builds the ranked causes of one drop from its hits. `recurrence(rule)` is
/// the share of the host's drops that rule coincides with.
pub(crate) fn causes(
    input: &Input,
    index: &CauseIndex,
    hits: &[Hit],
    recurrence: impl Fn(usize) -> f64,
    max: usize,
) -> Vec<Cause> {
    let mut out: Vec<Cause> = hits
        .iter()
        .filter_map(|hit| {
            let rule = &index.rules[hit.rule];
            let category = rule.category()?;
            let ext = rule.extension.as_ref()?;
            let secs = hit.offset.num_milliseconds() as f64 / 1000.0;
            let closeness = 1.0 / (1.0 + secs.abs() / CLOSENESS_HALF);
            let general = 0.30 * weight(CATEGORY_WEIGHT, category)
                + 0.25 * weight(LEVEL_WEIGHT, rule.level)
                + 0.30 * closeness
                + 0.15 * recurrence(hit.rule).clamp(0.0, 1.0);
            let score = 0.85 * general + if hit.same_client { 0.15 } else { 0.0 };
            let event = &input.items[hit.item].event;
            Some(Cause {
                rule_id: rule.id.clone(),
                title: rule.title.clone(),
                category,
                level: rule.level,
                time: event.time,
                offset_seconds: secs,
                occurrences: hit.count,
                score: (score * 1000.0).round() / 1000.0,
                explanation: ext
                    .explain
                    .as_deref()
                    .map_or_else(|| rule.title.to_string(), |t| fill(t, event))
                    .into(),
                fix: ext.fix.clone(),
                evidence: input.event_ref(hit.item),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.offset_seconds.abs().total_cmp(&b.offset_seconds.abs()))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    out.truncate(max);
    out
}

/// U+200E LEFT-TO-RIGHT MARK and U+200F RIGHT-TO-LEFT MARK.
const DIRECTION_MARKS: [char; 2] = ['\u{200E}', '\u{200F}'];

/// Fills `{Field}` placeholders from the event; missing, empty and `-` fields become `?`.
/// The left-to-right and right-to-left marks Windows puts into the dates it formats
/// (EventLog 6008's `\u{200E}8/\u{200E}25/\u{200E}2015`) are left out: every report
/// format would show them as replacement characters or drop them anyway.
pub fn fill(template: &str, event: &Event) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                event.with_field(&after[..close], |value| {
                    let text = value.map(|v| v.as_text());
                    // Windows writes "-" for a value it does not have.
                    let text =
                        (text.as_deref().map(str::trim)).filter(|v| !v.is_empty() && *v != "-");
                    let text = text.unwrap_or("?");
                    if text.contains(DIRECTION_MARKS) {
                        out.extend(text.chars().filter(|c| !DIRECTION_MARKS.contains(c)));
                    } else {
                        out.push_str(text);
                    }
                });
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// What a drop implies by itself when nothing coincides with it.
pub(crate) struct Implied {
    pub category: Option<Category>,
    pub kind: DropKind,
    pub reason: Option<DecodedCode>,
    /// What the drop's own record says, when that record names why on its own (an
    /// RD Gateway policy denial): the verdict when nothing else coincides.
    pub said: Option<Said>,
}

/// What a drop's own record says of its cause, through its drop rule.
pub(crate) struct Said {
    /// The rule's title.
    pub title: Arc<str>,
    /// The rule's explanation, filled from the record.
    pub text: String,
    /// The rule's fix.
    pub fix: Option<Arc<str>>,
}

/// The verdict for one drop from its ranked causes.
pub(crate) fn verdict(
    causes: &[Cause],
    implied: &Implied,
    host: &str,
    missing: Vec<String>,
    missing_text: Option<String>,
) -> Verdict {
    let Some(top) = causes.first() else {
        return nothing_coincides(implied, host, missing, missing_text);
    };
    let close = top.offset_seconds.abs() <= 5.0 && top.level >= Level::High;
    let confidence = if top.score >= 0.7 || close {
        Confidence::High
    } else if top.score >= 0.5 {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    let what = match implied.kind {
        DropKind::SessionDropped => "the drop",
        DropKind::ConnectionRefused => "the refusal",
    };
    let when = describe_offset(top.offset_seconds, what);
    let mut summary = format!(
        "Most likely {}: {} ({when}).",
        top.category, top.explanation
    );
    if let Some(next) = causes.iter().skip(1).find(|c| c.category != top.category) {
        summary.push_str(&format!(" Also near it: {}.", next.title));
    }
    Verdict {
        category: Some(top.category),
        confidence,
        summary: summary.into(),
        fix: top.fix.clone(),
        missing_logs: missing,
        said_by: None,
    }
}

fn nothing_coincides(
    implied: &Implied,
    host: &str,
    missing: Vec<String>,
    missing_text: Option<String>,
) -> Verdict {
    let what = match implied.kind {
        DropKind::SessionDropped => "drop",
        DropKind::ConnectionRefused => "refused connection",
    };
    if let Some(said) = &implied.said {
        let done = match implied.kind {
            DropKind::SessionDropped => "Dropped",
            DropKind::ConnectionRefused => "Refused",
        };
        // The record states the cause: logs this host lacks would not change it (a
        // gateway has no session logs of the hosts behind it). They stay listed.
        let summary = format!("{done}: {}.", said.text);
        return Verdict {
            category: implied.category,
            confidence: Confidence::Medium,
            summary: summary.into(),
            fix: said.fix.clone(),
            missing_logs: missing,
            said_by: Some(said.title.clone()),
        };
    }
    let mut summary = format!("Nothing in the given logs of {host} coincides with this {what}.");
    if let Some(r) = &implied.reason {
        summary.push_str(&format!(
            " The logged reason {} ({}) says: {}.",
            r.shown(),
            r.name,
            r.meaning
        ));
    }
    let network_only = implied.category == Some(Category::Network) && missing.is_empty();
    if network_only {
        summary.push_str(" No service, certificate, licensing or power failure was logged around it, so the network path most likely dropped.");
    }
    if let Some(text) = missing_text {
        summary.push(' ');
        summary.push_str(&text);
    }
    Verdict {
        category: implied.category,
        confidence: if network_only {
            Confidence::Medium
        } else {
            Confidence::Low
        },
        summary: summary.into(),
        fix: None,
        missing_logs: missing,
        said_by: None,
    }
}

/// "12 s before the drop", "3 min after the refusal", "at the same time as
/// the drop" (`what` names the event).
pub(crate) fn describe_offset(secs: f64, what: &str) -> String {
    let a = secs.abs();
    if a < 1.0 {
        return format!("at the same time as {what}");
    }
    let side = if secs < 0.0 { "before" } else { "after" };
    format!("{} {side} {what}", human(a))
}

/// A duration in seconds, rounded for people: `12 s`, `3 min`, `2 h`.
pub(crate) fn human(secs: f64) -> String {
    if secs < 90.0 {
        format!("{} s", secs.round())
    } else if secs < 5400.0 {
        format!("{} min", (secs / 60.0).round())
    } else {
        format!("{} h", (secs / 3600.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{FieldValue, Fields};
    use chrono::DateTime;
    use std::path::Path;
    use std::sync::Arc;

    #[test]
    fn placeholders_are_filled_and_missing_fields_show_a_question_mark() {
        let mut fields = Fields::new();
        fields.push("ErrorCode", FieldValue::Str("0x8009030d".into()));
        fields.push("IpAddress", FieldValue::Str("-".into()));
        let mut event = Event {
            time: DateTime::from_timestamp(0, 0).expect("epoch"),
            record_id: 1,
            channel: "System".into(),
            provider: "Schannel".into(),
            event_source: None,
            event_id: 36870,
            qualifiers: None,
            level: Some(2),
            computer: "RDS01".into(),
            activity_id: None,
            user_sid: None,
            source: Arc::from(Path::new("System.evtx")),
            recovered: false,
            fields,
        };
        let text = fill(
            "key error {ErrorCode}, state {ErrorStatus} on {Computer} {not a field}",
            &event,
        );
        assert_eq!(text, "key error 0x8009030d, state ? on RDS01 {not a field}");
        // EventLog 6008's date, as Windows formats it.
        event.fields.push(
            "param2",
            FieldValue::Str("\u{200E}8/\u{200E}25/\u{200E}2015".into()),
        );
        assert_eq!(fill("on {param2}", &event), "on 8/25/2015");
        // Windows' "-" for a value it does not have reads as unknown too.
        assert_eq!(fill("from {IpAddress}", &event), "from ?");
        assert_eq!(describe_offset(-12.4, "the drop"), "12 s before the drop");
        assert_eq!(
            describe_offset(600.0, "the refusal"),
            "10 min after the refusal"
        );
        assert_eq!(human(7200.0), "2 h");
    }
}
