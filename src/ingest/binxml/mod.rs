//! The BinXML peek: judging a record from its template and substitution values without
//! rendering it, and skimming a chunk without building its records (see `docs/architecture.md`,
//! "The BinXML peek").
//!
//! - `vocab`: the words of the format, spelt once (layout, token and value-type bytes,
//!   FILETIME, UTF-16LE), which the EVTX writer uses too;
//! - `cursor`: checked reading of a chunk's bytes and of its name entries;
//! - `content`: where a field's text comes from in a template;
//! - `peek`: a record's header and data fields read straight from its bytes ([`peek()`]);
//! - `walk`: where a template's `Event/System` fields come from;
//! - `plan`: where a template's data fields come from, and their values in one instance;
//! - `skim`: a chunk accounted for from its record headers when no record is wanted;
//! - [`event_from_peek`], here: the compact path, a whole event built from what the peek read.
//!
//! This module is the one way in for the rest of `ingest`.

mod content;
mod cursor;
mod peek;
mod plan;
mod skim;
pub(crate) mod vocab;
mod walk;

pub(crate) use peek::SystemField;
pub(crate) use peek::Unrendered;
pub use peek::{Peek, PeekCache, PeekText, peek};
pub(crate) use skim::{Tally, Visit, skim};

use crate::event::{Event, FieldValue, Fields};
use std::path::Path;
use std::sync::Arc;

/// The event normalization would make of the record `peek` looked at, whose record header
/// gives `header_id`; `None` when the peek cannot tell some part of it. The record was read
/// live (carved records are always rendered), from `source`.
///
/// This is the compact path: a whole [`Event`] built straight from the record's template plan
/// and substitution values, with no rendering to JSON and no parsing back. It answers only
/// when the plan accounts for every part normalization reads (`System` fields, every data
/// field and its value); otherwise the caller renders the record, so both paths give the same
/// event (`tests/peek_corpus.rs` holds them equal on the whole real corpus, and the `compact`
/// fuzz target on crafted chunks).
pub fn event_from_peek(peek: &Peek<'_>, header_id: u64, source: &Arc<Path>) -> Option<Event> {
    build(peek, header_id, source, true)
}

/// The event's header as [`event_from_peek`] would give it, with no data fields, activity id
/// or user SID (what [`Event::strip_data`] leaves), and `None` exactly when it gives `None`:
/// the data part is walked and its values checked, but none is decoded.
pub(crate) fn header_from_peek(
    peek: &Peek<'_>,
    header_id: u64,
    source: &Arc<Path>,
) -> Option<Event> {
    build(peek, header_id, source, false)
}

/// [`event_from_peek`], or with `whole` false [`header_from_peek`].
fn build(peek: &Peek<'_>, header_id: u64, source: &Arc<Path>, whole: bool) -> Option<Event> {
    let number =
        |field| -> Option<Option<i64>> { Some(peek.system_value(field)?.and_then(|v| v.as_i64())) };
    // A string, as the rendering gives a GUID or SID; another type does not normalize.
    let text = |field| -> Option<Option<String>> {
        match peek.system_value(field)? {
            None => Some(None),
            Some(FieldValue::Str(s)) => Some((!s.is_empty()).then_some(s)),
            Some(_) => None,
        }
    };
    let record_id = number(SystemField::RecordId)?.map_or(header_id, |r| r as u64);
    let level = number(SystemField::Level)?.map(|l| l as u8);
    let activity_id = text(SystemField::ActivityId)?;
    let user_sid = text(SystemField::UserId)?;
    let mut fields = Fields::new();
    if whole {
        for (name, value) in peek.all_data()? {
            fields.push(name, value);
        }
    } else if !peek.builds_data() {
        return None;
    }
    let (activity_id, user_sid) = if whole {
        (activity_id, user_sid)
    } else {
        (None, None)
    };
    Some(Event {
        time: peek.time(),
        record_id,
        channel: peek.channel.shared(),
        provider: peek.provider.shared(),
        event_source: peek.event_source.as_ref().map(|s| s.as_str().to_owned()),
        event_id: peek.event_id,
        qualifiers: peek.qualifiers,
        level,
        computer: peek.computer.shared(),
        activity_id,
        user_sid,
        source: Arc::clone(source),
        recovered: false,
        fields,
    })
}
