//! Borrowed, allocation-free access to an event's fields by the names rules use
//! (the same names and meaning as [`Event::field`]).

use crate::event::{Event, EventSketch, FieldValue, HeaderField, Needles};
use std::borrow::Cow;

/// A field name resolved once, when the rule is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldKey {
    EventId,
    Channel,
    /// `Provider_Name` / `Provider`: also matches the classic `EventSourceName`.
    Provider,
    EventSourceName,
    Computer,
    Level,
    Qualifiers,
    RecordId,
    ActivityId,
    UserId,
    /// An `EventData`/`UserData` field.
    Data(String),
}

impl FieldKey {
    /// Resolves a rule's field name.
    pub fn new(name: &str) -> FieldKey {
        match name {
            "EventID" => FieldKey::EventId,
            "Channel" => FieldKey::Channel,
            "Provider_Name" | "Provider" => FieldKey::Provider,
            "EventSourceName" => FieldKey::EventSourceName,
            "Computer" => FieldKey::Computer,
            "Level" => FieldKey::Level,
            "Qualifiers" => FieldKey::Qualifiers,
            "EventRecordID" => FieldKey::RecordId,
            "ActivityID" => FieldKey::ActivityId,
            "UserID" | "SecurityUserID" => FieldKey::UserId,
            other => FieldKey::Data(other.to_string()),
        }
    }
}

/// A field's value, borrowed from the event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val<'e> {
    Str(&'e str),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
}

impl<'e> Val<'e> {
    fn of(v: &'e FieldValue) -> Val<'e> {
        match v {
            FieldValue::Str(s) => Val::Str(s),
            FieldValue::Int(i) => Val::Int(*i),
            FieldValue::UInt(u) => Val::UInt(*u),
            FieldValue::Float(f) => Val::Float(*f),
            FieldValue::Bool(b) => Val::Bool(*b),
            FieldValue::Null => Val::Null,
        }
    }

    /// The value as text, as Sigma compares it.
    pub fn text(&self) -> Cow<'e, str> {
        match *self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::Int(i) => Cow::Owned(i.to_string()),
            Val::UInt(u) => Cow::Owned(u.to_string()),
            Val::Float(f) => Cow::Owned(f.to_string()),
            Val::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Val::Null => Cow::Borrowed(""),
        }
    }

    /// The value as an integer: numbers directly, text in decimal or `0x` hex.
    pub fn int(&self) -> Option<i64> {
        match *self {
            Val::Int(i) => Some(i),
            Val::UInt(u) => i64::try_from(u).ok(),
            Val::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
            Val::Float(_) => None,
            Val::Bool(b) => Some(i64::from(b)),
            Val::Str(s) => {
                let s = s.trim();
                match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(hex, 16).ok().map(|v| v as i64),
                    None => s.parse().ok(),
                }
            }
            Val::Null => None,
        }
    }

    /// The value as a float (integers, decimal text).
    pub fn float(&self) -> Option<f64> {
        match *self {
            Val::Float(f) => Some(f),
            Val::Str(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .or_else(|| self.int().map(|i| i as f64)),
            _ => self.int().map(|i| i as f64),
        }
    }
}

/// The values of `key` in `event` (at most two: a provider name and its classic
/// event source name). Empty when the field is absent.
pub(crate) fn lookup<'e>(event: &'e Event, key: &FieldKey) -> [Option<Val<'e>>; 2] {
    let one = |v: Option<Val<'e>>| [v, None];
    match key {
        FieldKey::EventId => one(Some(Val::UInt(event.event_id.into()))),
        FieldKey::Channel => one(Some(Val::Str(&event.channel))),
        FieldKey::Provider => [
            Some(Val::Str(&event.provider)),
            event.event_source.as_deref().map(Val::Str),
        ],
        FieldKey::EventSourceName => one(event.event_source.as_deref().map(Val::Str)),
        FieldKey::Computer => one(Some(Val::Str(&event.computer))),
        FieldKey::Level => one(event.level.map(|l| Val::UInt(l.into()))),
        FieldKey::Qualifiers => one(event.qualifiers.map(|q| Val::UInt(q.into()))),
        FieldKey::RecordId => one(Some(Val::UInt(event.record_id))),
        FieldKey::ActivityId => one(event.activity_id.as_deref().map(Val::Str)),
        FieldKey::UserId => one(event.user_sid.as_deref().map(Val::Str)),
        FieldKey::Data(name) => one(event.fields.get(name).map(Val::of)),
    }
}

/// Where the rules read field values: a whole [`Event`], or a [`Sketched`] record that is not
/// rendered yet and may not know every field.
pub(crate) trait Lookup {
    /// Calls `f` with the values of `key` (as [`lookup`] gives them); `None` when this source
    /// cannot tell them.
    fn with_values<R>(
        &self,
        key: &FieldKey,
        f: impl FnOnce([Option<Val<'_>>; 2]) -> R,
    ) -> Option<R>;

    /// True when some data field's text passes `test`; `None` when this source cannot tell
    /// (keyword searches look at every field).
    fn any_data_text(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool>;

    /// True when it is sure that no data value holds any of `needles`
    /// ([`EventSketch::rules_out`]).
    fn rules_out(&self, needles: &Needles) -> bool;

    /// True when every field can be told.
    fn is_whole(&self) -> bool;
}

impl Lookup for Event {
    fn with_values<R>(
        &self,
        key: &FieldKey,
        f: impl FnOnce([Option<Val<'_>>; 2]) -> R,
    ) -> Option<R> {
        Some(f(lookup(self, key)))
    }

    fn any_data_text(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        EventSketch::any_data(self, &mut |v| test(&v.as_text()))
    }

    fn rules_out(&self, needles: &Needles) -> bool {
        EventSketch::rules_out(self, needles)
    }

    fn is_whole(&self) -> bool {
        true
    }
}

/// A record known only in part, through an [`EventSketch`].
pub(crate) struct Sketched<'a>(pub &'a dyn EventSketch);

impl Lookup for Sketched<'_> {
    fn with_values<R>(
        &self,
        key: &FieldKey,
        f: impl FnOnce([Option<Val<'_>>; 2]) -> R,
    ) -> Option<R> {
        let sketch = self.0;
        let text = |field| sketch.header(field);
        // Empty means absent for the classic source name, as the event model keeps it.
        let source = || text(HeaderField::EventSource).map(|s| (!s.is_empty()).then_some(s));
        match key {
            FieldKey::EventId => Some(f([Some(Val::UInt(sketch.event_id().into())), None])),
            FieldKey::Qualifiers => {
                Some(f([sketch.qualifiers().map(|q| Val::UInt(q.into())), None]))
            }
            FieldKey::Channel | FieldKey::Computer => {
                let field = if *key == FieldKey::Channel {
                    HeaderField::Channel
                } else {
                    HeaderField::Computer
                };
                let value = text(field)?;
                Some(f([Some(Val::Str(&value)), None]))
            }
            FieldKey::Provider => {
                let provider = text(HeaderField::Provider)?;
                let source = source()?;
                Some(f([
                    Some(Val::Str(&provider)),
                    source.as_deref().map(Val::Str),
                ]))
            }
            FieldKey::EventSourceName => {
                let source = source()?;
                Some(f([source.as_deref().map(Val::Str), None]))
            }
            FieldKey::Data(name) => {
                let (mut f, mut out) = (Some(f), None);
                sketch.with_data(name, &mut |v| {
                    out = f.take().map(|f| f([v.map(Val::of), None]));
                })?;
                out
            }
            FieldKey::Level | FieldKey::RecordId | FieldKey::ActivityId | FieldKey::UserId => None,
        }
    }

    fn any_data_text(&self, test: &mut dyn FnMut(&str) -> bool) -> Option<bool> {
        self.0.any_data(&mut |v| test(&v.as_text()))
    }

    fn rules_out(&self, needles: &Needles) -> bool {
        self.0.rules_out(needles)
    }

    fn is_whole(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Fields;
    use chrono::Utc;
    use std::path::Path;
    use std::sync::Arc;

    fn event() -> Event {
        let mut fields = Fields::new();
        fields.push("SessionID", FieldValue::UInt(3));
        fields.push("Address", FieldValue::Str("10.0.0.5".into()));
        Event {
            time: Utc::now(),
            record_id: 7,
            channel: "System".into(),
            provider: "Microsoft-Windows-Schannel".into(),
            event_source: Some("Schannel".into()),
            event_id: 36870,
            qualifiers: Some(49152),
            level: Some(2),
            computer: "host".into(),
            activity_id: None,
            user_sid: Some("S-1-5-18".into()),
            source: Arc::from(Path::new("x.evtx")),
            recovered: false,
            fields,
        }
    }

    #[test]
    fn lookups_agree_with_event_field() {
        let ev = event();
        for name in [
            "EventID",
            "Channel",
            "Provider_Name",
            "EventSourceName",
            "Computer",
            "Level",
            "Qualifiers",
            "EventRecordID",
            "ActivityID",
            "UserID",
            "SessionID",
            "address",
            "Missing",
        ] {
            let ours = lookup(&ev, &FieldKey::new(name))[0].map(|v| v.text().into_owned());
            let theirs = ev.field(name).map(|v| v.as_text().into_owned());
            assert_eq!(ours, theirs, "{name}");
        }
        let both = lookup(&ev, &FieldKey::Provider);
        assert_eq!(both[1], Some(Val::Str("Schannel")));
    }

    #[test]
    fn numbers_read_from_text() {
        assert_eq!(Val::Str("0x10").int(), Some(16));
        assert_eq!(Val::Str(" 42 ").int(), Some(42));
        assert_eq!(Val::Str("4.5").float(), Some(4.5));
        assert_eq!(Val::Null.int(), None);
    }
}
