//! Stage 2: one normalized event model for every record, whatever log it came from.
//!
//! Input: a rendered record from [`crate::ingest`]. Output: [`Event`]. Errors:
//! [`NormalizeError`] when a record lacks the parts every event has (time, id, channel).

mod binary;
mod bound;
pub mod codes;
mod driver_status;
mod filter;
mod last_alive;
mod needles;
mod normalize;
mod raw;
mod sketch;
mod value;
mod wire;

pub use bound::{Clipped, EVENT_TEXT_MAX, FIELDS_MAX, NAME_MAX, VALUE_MAX};
pub use driver_status::driver_status;
pub use filter::EventFilter;
pub use last_alive::last_alive;
pub use needles::{Needles, fold_text, fold_utf16le};
pub use normalize::{NormalizeError, RecordOrigin, from_json, from_json_bytes};
pub use sketch::{EventSketch, HeaderField};
pub use value::FieldValue;
pub use wire::{from_event_line, looks_like_event_line};

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// One Windows event, normalized: the `System` header as typed fields and the
/// event's data (`EventData` or `UserData`) flattened into named fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When the event was written (`System/TimeCreated/@SystemTime`), UTC.
    pub time: DateTime<Utc>,
    /// `System/EventRecordID`.
    pub record_id: u64,
    /// `System/Channel`, e.g. `System` or
    /// `Microsoft-Windows-TerminalServices-LocalSessionManager/Operational`.
    pub channel: Arc<str>,
    /// `System/Provider/@Name`.
    pub provider: Arc<str>,
    /// `System/Provider/@EventSourceName` of classic events, when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_source: Option<String>,
    /// The low 16 bits of the event identifier, as Event Viewer shows it.
    pub event_id: u16,
    /// `System/EventID/@Qualifiers` (the high 16 bits of a classic message id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifiers: Option<u16>,
    /// `System/Level` (1 critical, 2 error, 3 warning, 4 information, 5 verbose).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// `System/Computer`.
    pub computer: Arc<str>,
    /// `System/Correlation/@ActivityID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_id: Option<String>,
    /// `System/Security/@UserID`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_sid: Option<String>,
    /// The file the record was read from.
    #[serde(serialize_with = "crate::diag::serialize_path")]
    pub source: Arc<Path>,
    /// True when the record was carved from chunk slack rather than read from
    /// the chunk's live records.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
    /// The event's data as named fields, in document order: `EventData/Data[@Name]`
    /// (unnamed `Data` become `param1..n`), `Binary`, and `UserData/*/*`.
    pub fields: Fields,
}

/// The named data fields of an event, in the order the log holds them. Names are shared:
/// the events built from one template's values hold one copy of each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields(Vec<(Arc<str>, FieldValue)>);

impl Fields {
    /// An empty field list.
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    /// Gives back the room that appending left unused, for an event kept until
    /// the end of a run (a list grown to five fields holds room for eight).
    pub fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }

    /// Appends a field (names are kept as the log spells them).
    pub fn push(&mut self, name: impl Into<Arc<str>>, value: FieldValue) {
        self.0.push((name.into(), value));
    }

    /// The value of field `name`, matched exactly first, then ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0
            .iter()
            .find(|(n, _)| **n == *name)
            .or_else(|| self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)))
            .map(|(_, v)| v)
    }

    /// Takes the `(name, value)` pairs out, in document order.
    pub fn into_pairs(self) -> impl Iterator<Item = (Arc<str>, FieldValue)> {
        self.0.into_iter()
    }

    /// Iterates over `(name, value)` pairs in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.0.iter().map(|(n, v)| (&**n, v))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the event carries no data fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(&**name, value)?;
        }
        map.end()
    }
}

impl Event {
    /// The value of a data field, or of a `System` attribute addressed by the
    /// names Sigma rules use (`EventID`, `Channel`, `Provider_Name`, `Computer`, ...).
    pub fn field(&self, name: &str) -> Option<FieldValue> {
        self.with_field(name, |v| v.cloned())
    }

    /// [`Event::field`] as an integer, when it is one (read in place).
    pub fn field_i64(&self, name: &str) -> Option<i64> {
        self.with_field(name, |v| v.and_then(FieldValue::as_i64))
    }

    /// Calls `f` with the value [`Event::field`] gives, a data field's read in place rather
    /// than copied.
    pub fn with_field<R>(&self, name: &str, f: impl FnOnce(Option<&FieldValue>) -> R) -> R {
        let header = match name {
            "EventID" => Some(FieldValue::UInt(self.event_id.into())),
            "Channel" => Some(FieldValue::Str(self.channel.to_string())),
            "Provider_Name" | "Provider" => Some(FieldValue::Str(self.provider.to_string())),
            "EventSourceName" => self.event_source.clone().map(FieldValue::Str),
            "Computer" => Some(FieldValue::Str(self.computer.to_string())),
            "Level" => self.level.map(|l| FieldValue::UInt(l.into())),
            "Qualifiers" => self.qualifiers.map(|q| FieldValue::UInt(q.into())),
            "EventRecordID" => Some(FieldValue::UInt(self.record_id)),
            "ActivityID" => self.activity_id.clone().map(FieldValue::Str),
            "UserID" | "SecurityUserID" => self.user_sid.clone().map(FieldValue::Str),
            _ => return f(self.fields.get(name)),
        };
        f(header.as_ref())
    }

    /// Drops the data fields and the `System` values no header view shows (activity id, user
    /// SID), keeping where and when the event is: what an alert that nothing else reads needs.
    pub fn strip_data(&mut self) {
        self.fields = Fields::new();
        self.activity_id = None;
        self.user_sid = None;
    }

    /// True when the provider's name or its classic `EventSourceName` is `name`
    /// (ignoring ASCII case).
    pub fn is_from(&self, name: &str) -> bool {
        self.provider.eq_ignore_ascii_case(name)
            || self
                .event_source
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
    }
}
