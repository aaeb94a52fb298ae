//! Schemas for events outside the [catalog](super::catalog): a scenario that names
//! an event's provider, id and channel gets it written with a generic `EventData`
//! template of named `Data` fields, so that a rule author can make a test log for
//! any event.
//!
//! A schema is interned for the life of the process, as the catalog's are static:
//! the renderer keys its template cache by schema address, and the same
//! (provider, id, channel, fields) always gets the same schema. The table holds at
//! most [`MAX_SCHEMAS`] of them.

use super::WriterError;
use super::catalog::{EventSchema, Provider};
use super::template::DataShape;
use super::value::ValueType;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The most distinct generic events one process may write.
pub const MAX_SCHEMAS: usize = 4096;

/// What identifies a generic event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GenericEvent {
    /// `Provider/@Name`.
    pub provider: String,
    /// The event id.
    pub event_id: u16,
    /// The channel it is written to.
    pub channel: String,
    /// A classic event (an `EventID/@Qualifiers`): the provider is also its event source.
    pub classic: bool,
    /// Field names and types, in the order they are written.
    pub fields: Vec<(String, ValueType)>,
}

static INTERNED: Mutex<Option<HashMap<GenericEvent, &'static EventSchema>>> = Mutex::new(None);

/// The schema of `event`: Level 4 (information), task and opcode 0, no provider GUID,
/// classic keywords for classic events.
pub fn schema(event: &GenericEvent) -> Result<&'static EventSchema, WriterError> {
    let mut table = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    let table = table.get_or_insert_with(HashMap::new);
    if let Some(s) = table.get(event) {
        return Ok(s);
    }
    if table.len() >= MAX_SCHEMAS {
        return Err(WriterError::TooManySchemas(MAX_SCHEMAS));
    }
    let text = |s: &str| -> &'static str { Box::leak(s.into()) };
    let name = text(&event.provider);
    let provider: &'static Provider = Box::leak(Box::new(Provider {
        name,
        guid: None,
        event_source: event.classic.then_some(name),
        keywords: if event.classic {
            0x0080_0000_0000_0000
        } else {
            0x8000_0000_0000_0000
        },
        user: None,
        process_id: 4,
        correlated: false,
    }));
    let fields: Vec<(&'static str, ValueType)> =
        event.fields.iter().map(|(n, t)| (text(n), *t)).collect();
    let schema: &'static EventSchema = Box::leak(Box::new(EventSchema {
        provider,
        event_id: event.event_id,
        channel: text(&event.channel),
        shape: DataShape::Named,
        fields: Box::leak(fields.into_boxed_slice()),
        level: 4,
        task: 0,
        opcode: (!event.classic).then_some(0),
        version: (!event.classic).then_some(0),
        qualifiers: None,
        keywords: None,
    }));
    table.insert(event.clone(), schema);
    Ok(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn netlogon() -> GenericEvent {
        GenericEvent {
            provider: "NETLOGON".into(),
            event_id: 5719,
            channel: "System".into(),
            classic: true,
            fields: vec![("param1".into(), ValueType::String)],
        }
    }

    #[test]
    fn the_same_event_gets_the_same_schema() {
        let a = schema(&netlogon()).unwrap();
        let b = schema(&netlogon()).unwrap();
        assert!(std::ptr::eq(a, b));
        assert_eq!(a.provider.event_source, Some("NETLOGON"));
        assert_eq!(a.fields, &[("param1", ValueType::String)]);
        let other = GenericEvent {
            event_id: 5722,
            ..netlogon()
        };
        assert!(!std::ptr::eq(a, schema(&other).unwrap()));
    }
}
