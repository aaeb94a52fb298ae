//! Bounds on what one event may hold, so that memory depends on how many
//! events are kept, not on what one crafted record can inflate to (a template
//! that repeats one value thousands of times renders to megabytes).
//!
//! The limits sit above anything Windows writes: a command line holds at most
//! 32,767 characters, and PowerShell splits a script block into 32 KiB parts.

use super::{Event, FieldValue};
use std::sync::Arc;

/// The most bytes of one data field's text kept.
pub const VALUE_MAX: usize = 32 * 1024;
/// The most bytes of data-field text kept for one event, all fields together.
pub const EVENT_TEXT_MAX: usize = 64 * 1024;
/// The most data fields kept for one event.
pub const FIELDS_MAX: usize = 1024;
/// The most bytes kept of a header text (computer, channel, provider) or a
/// field's name.
pub const NAME_MAX: usize = 1024;

/// What [`Event::bound`] cut.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clipped {
    /// How many values, names and header texts were cut short, or fields dropped.
    pub count: u64,
    /// The first thing cut, in words (for a message).
    pub first: Option<String>,
}

impl Clipped {
    fn note(&mut self, what: impl FnOnce() -> String) {
        self.count += 1;
        if self.first.is_none() {
            self.first = Some(what());
        }
    }
}

impl Event {
    /// Cuts what goes past the limits above: a value or name is cut at a
    /// character boundary and ends with a marker giving how many bytes were left
    /// out; fields past [`FIELDS_MAX`] are dropped. Says what was cut.
    pub fn bound(&mut self) -> Clipped {
        let mut clipped = Clipped::default();
        for (what, text) in [
            ("Computer", &mut self.computer),
            ("Channel", &mut self.channel),
            ("Provider", &mut self.provider),
        ] {
            if cut_shared(text, NAME_MAX) {
                clipped.note(|| format!("System/{what} cut to {NAME_MAX} bytes"));
            }
        }
        if self.fields.len() > FIELDS_MAX {
            let dropped = self.fields.len() - FIELDS_MAX;
            self.fields.0.truncate(FIELDS_MAX);
            clipped.note(|| format!("{dropped} data fields past the first {FIELDS_MAX} dropped"));
        }
        let mut left = EVENT_TEXT_MAX;
        for (name, value) in &mut self.fields.0 {
            if cut_shared(name, NAME_MAX) {
                clipped.note(|| format!("a field name cut to {NAME_MAX} bytes"));
            }
            let FieldValue::Str(text) = value else {
                continue;
            };
            let max = VALUE_MAX.min(left).max(KEEP_MIN);
            let len = text.len();
            if cut(text, max) {
                clipped.note(|| format!("field {name} of {len} bytes cut to {max}"));
            }
            left -= text.len().min(left);
        }
        clipped
    }
}

/// The fewest bytes a field keeps however little of the event's budget is
/// left: room for the marker, so that a cut value stays within its limit.
const KEEP_MIN: usize = 64;

/// [`cut`] for a shared text: a text that must be cut is copied first.
fn cut_shared(text: &mut Arc<str>, max: usize) -> bool {
    if text.len() <= max.max(KEEP_MIN) {
        return false;
    }
    let mut owned = text.to_string();
    cut(&mut owned, max);
    *text = owned.into();
    true
}

/// Cuts `text` to at most `max` bytes (at least [`KEEP_MIN`]), the marker
/// included; true when it did. Bounding a bounded text changes nothing.
fn cut(text: &mut String, max: usize) -> bool {
    let max = max.max(KEEP_MIN);
    if text.len() <= max {
        return false;
    }
    // The marker with the largest count it can show is the most room it takes.
    let room = marker(text.len()).len();
    let mut at = max - room;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let left_out = text.len() - at;
    text.truncate(at);
    text.push_str(&marker(left_out));
    // Give the rest back: a cut string keeps its capacity otherwise.
    text.shrink_to_fit();
    true
}

fn marker(left_out: usize) -> String {
    format!("…[cut: {left_out} more bytes]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Fields;
    use chrono::DateTime;
    use std::path::Path;
    use std::sync::Arc;

    fn event(fields: Fields) -> Event {
        Event {
            time: DateTime::UNIX_EPOCH,
            record_id: 1,
            channel: "System".into(),
            provider: "p".into(),
            event_source: None,
            event_id: 1,
            qualifiers: None,
            level: None,
            computer: "c".repeat(NAME_MAX + 5).into(),
            activity_id: None,
            user_sid: None,
            source: Arc::from(Path::new("t.evtx")),
            recovered: false,
            fields,
        }
    }

    #[test]
    fn long_values_are_cut_with_a_marker_and_counted() {
        let mut fields = Fields::new();
        fields.push("User", FieldValue::Str("é".repeat(VALUE_MAX)));
        fields.push("Other", FieldValue::Str("x".repeat(VALUE_MAX)));
        fields.push("Third", FieldValue::Str("y".repeat(100)));
        fields.push("SessionID", FieldValue::UInt(3));
        let mut e = event(fields);
        let clipped = e.bound();
        assert_eq!(clipped.count, 3, "{clipped:?}");
        assert_eq!(
            clipped.first.as_deref(),
            Some("System/Computer cut to 1024 bytes")
        );
        let text = |name: &str| e.fields.get(name).unwrap().as_text().into_owned();
        let user = text("User");
        assert!(
            user.len() <= VALUE_MAX && user.starts_with("éé") && user.ends_with(" more bytes]")
        );
        // The second fits in what the event's budget has left; the third gets the least.
        assert_eq!(text("Other").len(), VALUE_MAX);
        assert!(text("Third").len() <= KEEP_MIN && text("Third").starts_with("yyy"));
        assert_eq!(e.fields.get("SessionID"), Some(&FieldValue::UInt(3)));
        assert!(e.computer.len() <= NAME_MAX);
        // Bounding again changes nothing.
        let once = e.clone();
        assert_eq!(e.bound(), Clipped::default());
        assert_eq!(e, once);
    }

    #[test]
    fn an_ordinary_event_is_left_alone() {
        let mut fields = Fields::new();
        fields.push("User", FieldValue::Str("CORP\\alice".into()));
        let mut e = event(fields);
        e.computer = "RDS01".into();
        let before = e.clone();
        assert_eq!(e.bound(), Clipped::default());
        assert_eq!(e, before);
    }

    #[test]
    fn fields_past_the_limit_are_dropped() {
        let mut fields = Fields::new();
        for i in 0..FIELDS_MAX + 10 {
            fields.push(format!("f{i}"), FieldValue::Null);
        }
        let mut e = event(fields);
        e.computer = "RDS01".into();
        assert_eq!(e.bound().count, 1);
        assert_eq!(e.fields.len(), FIELDS_MAX);
    }
}
