//! Turns a [`PlannedEvent`] into the template instance written to disk, and
//! into the normalized [`Event`] a reader should get back from it.

use super::catalog::EventSchema;
use super::plan::PlannedEvent;
use super::template::{DataShape, Template, data_template, sys, system_template};
use super::value::Instance;
use super::value::{Value, from_filetime, guid_text, parse_guid, sid_text};
use crate::event::{Event, FieldValue, Fields};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Builds instances, sharing one template per shape.
#[derive(Debug, Default)]
pub struct Renderer {
    systems: HashMap<(Arc<str>, bool, bool), Arc<Template>>,
    data: HashMap<usize, (Arc<Template>, Option<[u8; 16]>)>,
}

impl Renderer {
    /// The instance of `event` with record id `record_id`.
    pub fn instance(&mut self, event: &PlannedEvent, record_id: u64) -> Instance {
        let schema = event.schema;
        let classic = schema.provider.event_source.is_some();
        let user_data = matches!(schema.shape, DataShape::UserData { .. });
        let system = self
            .systems
            .entry((event.computer.clone(), classic, user_data))
            .or_insert_with(|| Arc::new(system_template(&event.computer, classic, user_data)))
            .clone();
        let key = schema as *const EventSchema as usize;
        let (data, provider_guid) = self
            .data
            .entry(key)
            .or_insert_with(|| {
                let template = data_template(schema.shape, schema.fields);
                (
                    Arc::new(template),
                    schema.provider.guid.and_then(parse_guid),
                )
            })
            .clone();
        let mut values = vec![Value::Null; if classic { 19 } else { 18 }];
        values[sys::LEVEL] = Value::UInt8(event.level);
        values[sys::OPCODE] = schema.opcode.map_or(Value::Null, Value::UInt8);
        values[sys::TASK] = Value::UInt16(schema.task);
        values[sys::EVENT_ID] = Value::UInt16(schema.event_id);
        values[sys::QUALIFIERS] = event.qualifiers.map_or(Value::Null, Value::UInt16);
        values[sys::KEYWORDS] =
            Value::HexInt64(schema.keywords.unwrap_or(schema.provider.keywords));
        values[sys::TIME] = Value::FileTime(event.time);
        values[sys::ACTIVITY] = event.activity.map_or(Value::Null, Value::Guid);
        values[sys::PROCESS] = Value::UInt32(schema.provider.process_id);
        values[sys::THREAD] = Value::UInt32(event.thread_id);
        values[sys::RECORD_ID] = Value::UInt64(record_id);
        values[sys::VERSION] = schema.version.map_or(Value::Null, Value::UInt8);
        values[sys::USER] = event.user.clone().map_or(Value::Null, Value::Sid);
        values[sys::PROVIDER] = Value::String(schema.provider.name.to_string());
        values[sys::PROVIDER_GUID] = provider_guid.map_or(Value::Null, Value::Guid);
        values[sys::CHANNEL] = Value::String(event.channel.to_string());
        values[sys::DATA] = Value::BinXml(Box::new(Instance {
            template: data,
            values: data_values(schema, &event.fields),
        }));
        if let (true, Some(source)) = (classic, schema.provider.event_source) {
            values[sys::EVENT_SOURCE] = Value::String(source.to_string());
        }
        Instance {
            template: system,
            values,
        }
    }
}

/// The data template's values: unnamed parameters travel as one string array.
fn data_values(schema: &EventSchema, fields: &[Value]) -> Vec<Value> {
    if schema.shape != DataShape::Unnamed {
        return fields.to_vec();
    }
    let mut params = Vec::new();
    let mut rest = Vec::new();
    for ((name, _), value) in schema.fields.iter().zip(fields) {
        match (name, value) {
            (&"Binary", v) => rest.push(v.clone()),
            (_, Value::String(s)) => params.push(s.clone()),
            (_, other) => params.push(other.rendered().to_string()),
        }
    }
    let mut values = Vec::with_capacity(1 + rest.len());
    if schema.fields.iter().any(|(n, _)| *n != "Binary") {
        values.push(Value::StringArray(params));
    }
    values.extend(rest);
    values
}

impl PlannedEvent {
    /// The event [`crate::event::from_json`] should make of this record.
    pub fn expected(&self, record_id: u64, source: &Arc<Path>) -> Event {
        let schema = self.schema;
        let mut fields = Fields::new();
        let mut param = 0;
        for ((name, _), value) in schema.fields.iter().zip(&self.fields) {
            if schema.shape == DataShape::Unnamed && *name != "Binary" {
                param += 1;
                fields.push(format!("param{param}"), value.rendered());
            } else if matches!(schema.shape, DataShape::UserData { .. })
                && matches!(value, Value::String(t) if t.is_empty())
            {
                // An empty UserData element reads as null, as RD Gateway's `AuthType`
                // does in real logs.
                fields.push(*name, FieldValue::Null);
            } else {
                fields.push(*name, value.rendered());
            }
        }
        Event {
            time: from_filetime(self.time).unwrap_or_default(),
            record_id,
            channel: Arc::clone(&self.channel),
            provider: schema.provider.name.into(),
            event_source: schema.provider.event_source.map(str::to_string),
            event_id: schema.event_id,
            qualifiers: self.qualifiers,
            level: Some(self.level),
            computer: Arc::clone(&self.computer),
            activity_id: self.activity.as_ref().map(guid_text),
            user_sid: self.user.as_deref().map(sid_text),
            source: Arc::clone(source),
            recovered: false,
            fields,
        }
    }
}
