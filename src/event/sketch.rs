//! What can be told of an event before its record is rendered: [`EventSketch`].
//!
//! Rendering and normalizing a record is the dearest step of an analysis. Ingest can read
//! some fields straight out of a record's bytes (see [`crate::ingest::peek`]); the rules judge
//! from those whether the event could match at all, and only the records that could are
//! rendered.

use super::{Event, FieldValue, Needles};
use std::borrow::Cow;

/// A text field of the `System` header that a sketch may know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderField {
    /// `System/Channel` ([`Event::channel`]).
    Channel,
    /// `System/Provider/@Name` ([`Event::provider`]).
    Provider,
    /// `System/Provider/@EventSourceName` ([`Event::event_source`]).
    EventSource,
    /// `System/Computer` ([`Event::computer`]).
    Computer,
}

/// Part of an event, known before its record is rendered. Every answer is exactly what the
/// normalized [`Event`] would hold; `None` means "cannot tell", never "absent".
pub trait EventSketch {
    /// [`Event::event_id`].
    fn event_id(&self) -> u16;

    /// [`Event::qualifiers`].
    fn qualifiers(&self) -> Option<u16>;

    /// A header text as the event holds it (empty when the record lacks it); `None` when the
    /// sketch cannot tell.
    fn header(&self, field: HeaderField) -> Option<Cow<'_, str>>;

    /// Calls `f` with the data field `name` as [`crate::event::Fields::get`] finds it (`None`
    /// when the event has no such field); `None`, without calling `f`, when the sketch cannot
    /// tell.
    fn with_data(&self, name: &str, f: &mut dyn FnMut(Option<&FieldValue>)) -> Option<()>;

    /// The data field `name`, owned: `Some(None)` when the event has no such field, `None`
    /// when the sketch cannot tell.
    fn data(&self, name: &str) -> Option<Option<FieldValue>> {
        let mut out = None;
        self.with_data(name, &mut |v| out = Some(v.cloned()))?;
        out
    }

    /// Whether `test` holds for some data field's value, the fields taken in document order
    /// (what a Sigma keyword search reads); `None` when the sketch cannot tell every field.
    fn any_data(&self, test: &mut dyn FnMut(&FieldValue) -> bool) -> Option<bool> {
        let _ = test;
        None
    }

    /// True when the sketch is sure that no data field's value holds any of `needles` (so
    /// no literal test of a keyword search can pass, and [`EventSketch::any_data`] need not
    /// read them); false when one may, or when it cannot tell.
    fn rules_out(&self, needles: &Needles) -> bool {
        let _ = needles;
        false
    }

    /// True when the sketch is sure that the event holds nothing [`Event::bound`] would cut,
    /// so that what the rules decide of the sketch they decide of the kept event too (a cut
    /// value can lose a match); false when it may, or when it cannot tell.
    fn within_bounds(&self) -> bool {
        false
    }
}

/// A whole event is a sketch that can tell everything (for tests and tools).
impl EventSketch for Event {
    fn event_id(&self) -> u16 {
        self.event_id
    }

    fn qualifiers(&self) -> Option<u16> {
        self.qualifiers
    }

    fn header(&self, field: HeaderField) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(match field {
            HeaderField::Channel => &self.channel,
            HeaderField::Provider => &self.provider,
            HeaderField::EventSource => self.event_source.as_deref().unwrap_or_default(),
            HeaderField::Computer => &self.computer,
        }))
    }

    fn with_data(&self, name: &str, f: &mut dyn FnMut(Option<&FieldValue>)) -> Option<()> {
        f(self.fields.get(name));
        Some(())
    }

    fn any_data(&self, test: &mut dyn FnMut(&FieldValue) -> bool) -> Option<bool> {
        Some(self.fields.iter().any(|(_, v)| test(v)))
    }

    fn within_bounds(&self) -> bool {
        self.clone().bound().count == 0
    }
}
