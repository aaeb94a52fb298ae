//! Turns the JSON the `evtx` crate renders for a record into an [`Event`].

use super::raw::{self, Node, RawRoot};
use super::{Event, FieldValue, Fields};
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use std::path::Path;
use std::sync::Arc;

/// Why a rendered record could not become an [`Event`].
#[derive(Debug, thiserror::Error)]
pub enum NormalizeError {
    /// The rendering is not the JSON shape of an event.
    #[error("record is not a rendered event: {0}")]
    Shape(#[from] serde_json::Error),
    /// The record has no `Event/System` element.
    #[error("record has no Event/System element")]
    NoSystem,
    /// A required `System` element is missing or not of the expected type.
    #[error("record has no usable System/{0}")]
    Missing(&'static str),
}

impl PartialEq for NormalizeError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// Where a record came from and what its header says; the fallbacks for
/// parts its XML lacks.
#[derive(Debug, Clone)]
pub struct RecordOrigin<'a> {
    /// The record header's id.
    pub record_id: u64,
    /// The record header's timestamp.
    pub time: DateTime<Utc>,
    /// The file.
    pub source: &'a Arc<Path>,
    /// Carved from slack.
    pub recovered: bool,
}

/// Builds an [`Event`] from the JSON bytes the `evtx` crate renders for a record
/// (attributes inline under `#attributes`). This is the fast path: no
/// intermediate JSON tree.
pub fn from_json_bytes(bytes: &[u8], origin: &RecordOrigin) -> Result<Event, NormalizeError> {
    match raw::parse(bytes) {
        Ok(root) => build(root, origin),
        // The `evtx` crate writes a control character in an element or
        // attribute name (damaged or crafted BinXML) raw, which is not JSON.
        Err(err) if err.is_syntax() => match escape_raw_controls(bytes) {
            Some(fixed) => build(raw::parse(&fixed)?, origin),
            None => Err(err.into()),
        },
        Err(err) => Err(err.into()),
    }
}

/// `bytes` with every raw control character inside a JSON string written as
/// a `\u00XX` escape, and every backslash that starts no JSON escape doubled (the
/// `evtx` crate writes names as they are); `None` when there is none.
fn escape_raw_controls(bytes: &[u8]) -> Option<Vec<u8>> {
    let (mut in_string, mut escaped) = (false, false);
    let mut out: Option<Vec<u8>> = None;
    for (i, &b) in bytes.iter().enumerate() {
        let stray_backslash = in_string
            && !escaped
            && b == b'\\'
            && !matches!(
                bytes.get(i + 1),
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u')
            );
        if (in_string && b < 0x20) || stray_backslash {
            let out = out.get_or_insert_with(|| bytes[..i].to_vec());
            if stray_backslash {
                out.extend_from_slice(b"\\\\");
            } else {
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            }
            continue;
        }
        if let Some(out) = &mut out {
            out.push(b);
        }
        match b {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            _ => {}
        }
    }
    out
}

/// Builds an [`Event`] from a record already parsed as a `serde_json::Value`.
pub fn from_json(
    root: &serde_json::Value,
    record_id: u64,
    time: DateTime<Utc>,
    source: &Arc<Path>,
    recovered: bool,
) -> Result<Event, NormalizeError> {
    let origin = RecordOrigin {
        record_id,
        time,
        source,
        recovered,
    };
    build(RawRoot::deserialize(root)?, &origin)
}

/// A FILETIME counts from 1601: an earlier `TimeCreated` is a value past year
/// 9999 that the renderer wrapped to its last four digits, as Windows does
/// (FILETIME `0x7fff_ffff_ffff_ffff` shows as year 0828). Such a time is
/// garbage; the record header's time stands in for it.
const FILETIME_EPOCH_YEAR: i32 = 1601;

fn build(root: RawRoot, origin: &RecordOrigin) -> Result<Event, NormalizeError> {
    let event = root.event;
    let system = event.system.ok_or(NormalizeError::NoSystem)?;
    let (event_id, qualifiers) = event_id(system.event_id.as_ref())?;
    let provider = system.provider.and_then(|p| p.attrs);
    let time = system
        .time_created
        .and_then(|t| t.attrs?.system_time)
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.year() >= FILETIME_EPOCH_YEAR)
        .unwrap_or(origin.time);
    let mut fields = event.event_data.map(|d| d.0).unwrap_or_default();
    if let Some(user) = event.user_data {
        append(&mut fields, user.0);
    }
    Ok(Event {
        time,
        record_id: number(system.record_id.as_ref()).map_or(origin.record_id, |r| r as u64),
        channel: text(system.channel).unwrap_or_default().into(),
        event_source: provider
            .as_ref()
            .and_then(|p| p.event_source.clone())
            .filter(|s| !s.is_empty()),
        provider: provider.and_then(|p| p.name).unwrap_or_default().into(),
        event_id,
        qualifiers,
        level: number(system.level.as_ref()).map(|l| l as u8),
        computer: text(system.computer).unwrap_or_default().into(),
        activity_id: system
            .correlation
            .and_then(|c| c.attrs?.activity_id)
            .filter(|s| !s.is_empty()),
        user_sid: system
            .security
            .and_then(|s| s.attrs?.user_id)
            .filter(|s| !s.is_empty()),
        source: Arc::clone(origin.source),
        recovered: origin.recovered,
        fields,
    })
}

fn append(fields: &mut Fields, more: Fields) {
    for (name, value) in more.into_pairs() {
        fields.push(name, value);
    }
}

/// `EventID` is a bare number, or an element with `Qualifiers` and `#text`.
fn event_id(node: Option<&Node>) -> Result<(u16, Option<u16>), NormalizeError> {
    let node = node.ok_or(NormalizeError::Missing("EventID"))?;
    let id = node
        .value()
        .and_then(FieldValue::as_i64)
        .and_then(|id| u64::try_from(id).ok())
        .ok_or(NormalizeError::Missing("EventID"))?;
    let qualifiers = node
        .attribute("Qualifiers")
        .and_then(FieldValue::as_i64)
        .map(|q| q as u16)
        // Classic message ids can arrive whole (0xC00A0038): keep the low 16 bits.
        .or_else(|| (id > 0xFFFF).then_some((id >> 16) as u16));
    Ok(((id & 0xFFFF) as u16, qualifiers))
}

/// The number a node holds, if it holds one.
fn number(node: Option<&Node>) -> Option<i64> {
    node.and_then(Node::value).and_then(FieldValue::as_i64)
}

fn text(node: Option<Node>) -> Option<String> {
    match node?.value()? {
        FieldValue::Null => None,
        v => Some(v.as_text().into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_control_characters_in_names_are_escaped_not_fatal() {
        let bytes = b"{\"a\nb\": \"x\\\"\ty\"}";
        let fixed = escape_raw_controls(bytes).unwrap();
        assert_eq!(fixed, br#"{"a\u000ab": "x\"\u0009y"}"#.to_vec());
        let value: serde_json::Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(value["a\nb"], "x\"\ty");
        assert_eq!(
            escape_raw_controls(b"{\n\"a\": 1}"),
            None,
            "whitespace between tokens stays"
        );
        let fixed = escape_raw_controls(br#"{"a\q": "b\\c\u0041"}"#).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&fixed).unwrap();
        assert_eq!(value["a\\q"], "b\\cA", "a stray backslash is kept as one");
    }
    use serde_json::{Value, json};

    fn norm(v: Value) -> Event {
        let src: Arc<Path> = Arc::from(Path::new("t.evtx"));
        let from_value = from_json(&v, 1, DateTime::<Utc>::UNIX_EPOCH, &src, false).unwrap();
        let origin = RecordOrigin {
            record_id: 1,
            time: DateTime::<Utc>::UNIX_EPOCH,
            source: &src,
            recovered: false,
        };
        let from_bytes = from_json_bytes(v.to_string().as_bytes(), &origin).unwrap();
        assert_eq!(from_value, from_bytes, "both paths agree");
        from_value
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
        assert_eq!(e.record_id, 9);
        assert!(e.is_from("service control manager"));
    }

    #[test]
    fn a_time_created_before_1601_is_garbage_and_the_header_time_stands_in() {
        // FILETIME 0x7fff_ffff_ffff_ffff renders as year 0828 (30828 wrapped).
        let e = norm(json!({"Event": {"System": {"EventID": 1, "Channel": "c",
            "Provider": {"#attributes": {"Name": "p"}},
            "TimeCreated": {"#attributes": {"SystemTime": "0828-09-14T02:48:05.4775807Z"}}}}}));
        assert_eq!(e.time, DateTime::<Utc>::UNIX_EPOCH);
        let e = norm(json!({"Event": {"System": {"EventID": 1, "Channel": "c",
            "Provider": {"#attributes": {"Name": "p"}},
            "TimeCreated": {"#attributes": {"SystemTime": "1601-01-01T00:00:00Z"}}}}}));
        assert_eq!(e.time.to_rfc3339(), "1601-01-01T00:00:00+00:00");
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
    fn an_empty_element_in_user_data_holds_no_field() {
        let e = norm(json!({"Event": {"System": {"EventID": 34, "Channel": "c",
            "Provider": {"#attributes": {"Name": "p"}}},
            "UserData": {"EventData": null}}}));
        assert!(e.fields.is_empty(), "{:?}", e.fields);
        let e = norm(json!({"Event": {"System": {"EventID": 34, "Channel": "c",
            "Provider": {"#attributes": {"Name": "p"}}},
            "UserData": {"Note": "text"}}}));
        assert_eq!(
            e.fields.get("param1"),
            Some(&FieldValue::Str("text".into()))
        );
    }

    #[test]
    fn nested_elements_and_single_unnamed_data_flatten() {
        let e = norm(
            json!({"Event": {"System": {"EventID": 1, "Level": 2, "Security": null,
            "Correlation": {"#attributes": {"ActivityID": "{A}"}}},
            "EventData": {"Data": "only", "Info": {"Inner": 5, "#attributes": {"x": 1}}}}}),
        );
        assert_eq!(
            e.fields.get("param1"),
            Some(&FieldValue::Str("only".into()))
        );
        assert_eq!(e.fields.get("Info.Inner"), Some(&FieldValue::UInt(5)));
        assert_eq!(e.level, Some(2));
        assert_eq!(e.activity_id.as_deref(), Some("{A}"));
        assert_eq!(e.user_sid, None);
    }

    #[test]
    fn missing_system_or_event_id_is_an_error() {
        let src: Arc<Path> = Arc::from(Path::new("t.evtx"));
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let err = |v: Value| from_json(&v, 1, t, &src, false).unwrap_err().to_string();
        assert_eq!(
            err(json!({"Event": {}})),
            "record has no Event/System element"
        );
        assert_eq!(
            err(json!({"Event": {"System": {}}})),
            "record has no usable System/EventID"
        );
        assert!(err(json!([1])).starts_with("record is not a rendered event"));
    }
}
