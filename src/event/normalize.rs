//! Turns the JSON the `evtx` crate renders for a record into an [`Event`].

use super::{Event, FieldValue, Fields};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;

/// Why a rendered record could not become an [`Event`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NormalizeError {
    /// The record has no `Event/System` element.
    #[error("record has no Event/System element")]
    NoSystem,
    /// A required `System` element is missing or not of the expected type.
    #[error("record has no usable System/{0}")]
    Missing(&'static str),
}

/// Builds an [`Event`] from a record rendered as JSON by the `evtx` crate
/// (attributes inline under `#attributes`). `time` is the record header's
/// timestamp, used when `TimeCreated` is absent or unreadable.
pub fn from_json(
    root: &Value,
    record_id: u64,
    time: DateTime<Utc>,
    source: &Arc<Path>,
    recovered: bool,
) -> Result<Event, NormalizeError> {
    let event = root.get("Event").unwrap_or(root);
    let system = event.get("System").ok_or(NormalizeError::NoSystem)?;
    let provider = system.get("Provider");
    let (event_id, qualifiers) = event_id(system.get("EventID"))?;
    let time = attr(system.get("TimeCreated"), "SystemTime")
        .and_then(|t| t.as_str())
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(time);
    let record_id = system
        .get("EventRecordID")
        .and_then(Value::as_u64)
        .unwrap_or(record_id);
    let mut fields = Fields::new();
    for part in ["EventData", "UserData"] {
        if let Some(Value::Object(data)) = event.get(part) {
            flatten_data(part, data, &mut fields);
        }
    }
    Ok(Event {
        time,
        record_id,
        channel: text(system.get("Channel")).unwrap_or_default(),
        provider: attr_text(provider, "Name").unwrap_or_default(),
        event_source: attr_text(provider, "EventSourceName"),
        event_id,
        qualifiers,
        level: system.get("Level").and_then(Value::as_u64).map(|l| l as u8),
        computer: text(system.get("Computer")).unwrap_or_default(),
        activity_id: attr_text(system.get("Correlation"), "ActivityID"),
        user_sid: attr_text(system.get("Security"), "UserID"),
        source: Arc::clone(source),
        recovered,
        fields,
    })
}

/// `EventID` is either a bare number or `{"#attributes": {"Qualifiers": q}, "#text": id}`.
fn event_id(v: Option<&Value>) -> Result<(u16, Option<u16>), NormalizeError> {
    let v = v.ok_or(NormalizeError::Missing("EventID"))?;
    let id = match v {
        Value::Object(o) => o.get("#text").and_then(as_u64),
        other => as_u64(other),
    }
    .ok_or(NormalizeError::Missing("EventID"))?;
    let qualifiers = attr(Some(v), "Qualifiers")
        .and_then(as_u64)
        .map(|q| q as u16);
    // Classic message ids can arrive whole (0xC00A0038): keep the low 16 bits.
    let qualifiers = qualifiers.or_else(|| (id > 0xFFFF).then_some((id >> 16) as u16));
    Ok(((id & 0xFFFF) as u16, qualifiers))
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn attr<'a>(v: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    v?.get("#attributes")?.get(name)
}

fn attr_text(v: Option<&Value>, name: &str) -> Option<String> {
    text(attr(v, name)).filter(|s| !s.is_empty())
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Object(o) => text(o.get("#text")),
        other => Some(other.to_string()),
    }
}

/// Flattens `EventData` (`Data[@Name]` become their names, unnamed `Data` become
/// `param1..n`, `Binary` stays `Binary`) and `UserData/<Element>/*`.
fn flatten_data(part: &str, data: &Map<String, Value>, out: &mut Fields) {
    if part == "UserData" {
        for (_, inner) in data.iter().filter(|(k, _)| *k != "#attributes") {
            match inner {
                Value::Object(inner) => flatten_object("", inner, out),
                other => out.push("param1", scalar(other)),
            }
        }
        return;
    }
    for (name, value) in data.iter().filter(|(k, _)| *k != "#attributes") {
        if name == "Data" {
            push_unnamed(value, out);
        } else {
            push_value(name, value, out);
        }
    }
}

/// Unnamed `<Data>` elements: a single text, or a list under `#text`.
fn push_unnamed(value: &Value, out: &mut Fields) {
    let items: Vec<&Value> = match value {
        Value::Object(o) => match o.get("#text") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v) => vec![v],
            None => Vec::new(),
        },
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        v => vec![v],
    };
    let start = out.iter().filter(|(n, _)| n.starts_with("param")).count();
    for (i, item) in items.into_iter().enumerate() {
        out.push(format!("param{}", start + i + 1), scalar(item));
    }
}

fn flatten_object(prefix: &str, obj: &Map<String, Value>, out: &mut Fields) {
    for (name, value) in obj.iter().filter(|(k, _)| *k != "#attributes") {
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Object(inner) if !inner.contains_key("#text") => {
                flatten_object(&full, inner, out)
            }
            _ => push_value(&full, value, out),
        }
    }
}

fn push_value(name: &str, value: &Value, out: &mut Fields) {
    match value {
        Value::Object(o) => match o.get("#text") {
            Some(v) => out.push(name, scalar(v)),
            None => flatten_object(name, o, out),
        },
        v => out.push(name, scalar(v)),
    }
}

fn scalar(v: &Value) -> FieldValue {
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                FieldValue::UInt(u)
            } else if let Some(i) = n.as_i64() {
                FieldValue::Int(i)
            } else {
                FieldValue::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => FieldValue::Str(s.clone()),
        Value::Array(a) => FieldValue::Str(
            a.iter()
                .map(|x| scalar(x).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => FieldValue::Str(v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn norm(v: Value) -> Event {
        let src: Arc<Path> = Arc::from(Path::new("t.evtx"));
        from_json(&v, 1, DateTime::<Utc>::UNIX_EPOCH, &src, false).unwrap()
    }

    #[test]
    fn classic_event_keeps_qualifiers_and_unnamed_data() {
        let e = norm(json!({"Event": {"System": {
            "Provider": {"#attributes": {"Name": "Service Control Manager", "EventSourceName": "Service Control Manager"}},
            "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7036},
            "Channel": "System", "Computer": "RDS01", "EventRecordID": 9,
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-02T03:04:05.123456Z"}}},
            "EventData": {"Data": {"#text": ["Remote Desktop Services", "stopped"]}, "Binary": "5400"}}}));
        assert_eq!((e.event_id, e.qualifiers), (7036, Some(16384)));
        assert_eq!(
            e.fields.get("param1"),
            Some(&FieldValue::Str("Remote Desktop Services".into()))
        );
        assert_eq!(
            e.fields.get("param2"),
            Some(&FieldValue::Str("stopped".into()))
        );
        assert_eq!(
            e.fields.get("Binary"),
            Some(&FieldValue::Str("5400".into()))
        );
        assert_eq!(e.time.to_rfc3339(), "2024-01-02T03:04:05.123456+00:00");
        assert!(e.is_from("service control manager"));
    }

    #[test]
    fn user_data_is_flattened_one_level_below_its_element() {
        let e = norm(json!({"Event": {"System": {"EventID": 24, "Channel": "c",
            "Provider": {"#attributes": {"Name": "p"}}},
            "UserData": {"EventXML": {"#attributes": {"xmlns": "Event_NS"},
                "User": "DOM\\u", "SessionID": 3, "Address": "10.0.0.1"}}}}));
        let names: Vec<_> = e.fields.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["User", "SessionID", "Address"]);
        assert_eq!(e.fields.get("SessionID"), Some(&FieldValue::UInt(3)));
    }

    #[test]
    fn missing_system_or_event_id_is_an_error() {
        let src: Arc<Path> = Arc::from(Path::new("t.evtx"));
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(
            from_json(&json!({"Event": {}}), 1, t, &src, false),
            Err(NormalizeError::NoSystem)
        );
        assert_eq!(
            from_json(&json!({"Event": {"System": {}}}), 1, t, &src, false),
            Err(NormalizeError::Missing("EventID"))
        );
    }
}
