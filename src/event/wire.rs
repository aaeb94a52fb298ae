//! Reading back the events `dropcause events --format jsonl` writes: one [`Event`]
//! per line, in the shape its `Serialize` gives (`time`, `record_id`, `channel`,
//! `provider`, `event_id`, `computer`, `source`, `fields`, ...), so that a filtered
//! extract of a log analyzes like the log itself.

use super::{Event, FieldValue, Fields};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// One line as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    time: DateTime<Utc>,
    record_id: u64,
    channel: String,
    provider: String,
    #[serde(default)]
    event_source: Option<String>,
    event_id: u16,
    #[serde(default)]
    qualifiers: Option<u16>,
    #[serde(default)]
    level: Option<u8>,
    computer: String,
    #[serde(default)]
    activity_id: Option<String>,
    #[serde(default)]
    user_sid: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    recovered: bool,
    fields: Fields,
}

/// True when the JSON object `value` has the keys only an event line has.
pub fn looks_like_event_line(value: &serde_json::Value) -> bool {
    ["time", "event_id", "channel", "fields"]
        .iter()
        .all(|k| value.get(k).is_some())
}

/// The event of one line, already parsed as JSON (`serde_json` keeps object order here:
/// the `evtx` crate turns on its `preserve_order`, and the test below checks it). Its `source` names the log the event
/// was first read from, and stays its source (record ids are per log); without one,
/// `export` is.
pub fn from_event_line(
    value: serde_json::Value,
    export: &Arc<Path>,
) -> Result<Event, serde_json::Error> {
    let line = Line::deserialize(value)?;
    let source = match line.source {
        Some(s) if Path::new(&s) != &**export => Arc::from(Path::new(&s)),
        _ => export.clone(),
    };
    Ok(Event {
        time: line.time,
        record_id: line.record_id,
        channel: line.channel.into(),
        provider: line.provider.into(),
        event_source: line.event_source,
        event_id: line.event_id,
        qualifiers: line.qualifiers,
        level: line.level,
        computer: line.computer.into(),
        activity_id: line.activity_id,
        user_sid: line.user_sid,
        source,
        recovered: line.recovered,
        fields: line.fields,
    })
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of field names and values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Fields::new();
                while let Some((name, value)) = map.next_entry::<String, FieldValue>()? {
                    fields.0.push((name.into(), value));
                }
                Ok(fields)
            }
        }
        d.deserialize_map(InOrder)
    }
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl<'de> Visitor<'de> for Scalar {
            type Value = FieldValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FieldValue, E> {
                Ok(FieldValue::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<FieldValue, E> {
                Ok(FieldValue::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FieldValue, E> {
                Ok(FieldValue::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FieldValue, E> {
                Ok(match i64::try_from(v) {
                    Ok(i) => FieldValue::Int(i),
                    Err(_) => FieldValue::UInt(v),
                })
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FieldValue, E> {
                Ok(FieldValue::Float(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<FieldValue, E> {
                Ok(FieldValue::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FieldValue, E> {
                Ok(FieldValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<FieldValue, E> {
                Ok(FieldValue::Null)
            }
        }
        d.deserialize_any(Scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_event_reads_back_the_same() {
        let export: Arc<Path> = Arc::from(Path::new("extract.jsonl"));
        let mut fields = Fields::new();
        fields.0.push(("Zeta".into(), FieldValue::Str("x".into())));
        fields.0.push(("Alpha".into(), FieldValue::Int(-3)));
        fields.0.push(("Big".into(), FieldValue::UInt(u64::MAX)));
        fields.0.push(("Flag".into(), FieldValue::Bool(true)));
        fields.0.push(("Empty".into(), FieldValue::Null));
        let event = Event {
            time: "2024-03-11T09:12:01.123456Z".parse().unwrap(),
            record_id: 7,
            channel: "System".into(),
            provider: "NETLOGON".into(),
            event_source: Some("NETLOGON".into()),
            event_id: 5719,
            qualifiers: Some(49152),
            level: Some(2),
            computer: "RDS01".into(),
            activity_id: None,
            user_sid: None,
            source: Arc::from(Path::new("logs/System.evtx")),
            recovered: true,
            fields,
        };
        let parse = |text: &[u8]| serde_json::from_slice::<serde_json::Value>(text).unwrap();
        let value = parse(&serde_json::to_vec(&event).unwrap());
        assert!(looks_like_event_line(&value));
        let back = from_event_line(value, &export).unwrap();
        assert_eq!(back, event, "field order and types survive");
        let anonymous = br#"{"time":"2024-03-11T09:12:01Z","record_id":1,"channel":"System","provider":"P","event_id":1,"computer":"C","fields":{}}"#;
        assert_eq!(
            from_event_line(parse(anonymous), &export).unwrap().source,
            export
        );
        let unknown = br#"{"time":"2024-03-11T09:12:01Z","record_id":1,"channel":"S","provider":"P","event_id":1,"computer":"C","fields":{},"extra":1}"#;
        assert!(from_event_line(parse(unknown), &export).is_err());
    }
}
