//! Rule self-tests: the `tests:` block's `match:` / `no_match:` events, built as
//! [`Event`]s from maps of field → value (System names fill the typed fields).

use super::error::{Located, RuleError};
use super::yaml::{Loc, Node, Value};
use crate::event::{Event, FieldValue, Fields};
use chrono::DateTime;
use std::path::Path;
use std::sync::Arc;

/// One self-test: an event and whether the rule must match it.
#[derive(Debug, Clone)]
pub(crate) struct SelfTest {
    pub expect_match: bool,
    pub loc: Loc,
    pub event: Event,
}

/// An event with nothing in it (time 0, empty channel), from `source`.
pub(crate) fn blank_event() -> Event {
    Event {
        time: DateTime::UNIX_EPOCH,
        record_id: 0,
        channel: "".into(),
        provider: "".into(),
        event_source: None,
        event_id: 0,
        qualifiers: None,
        level: None,
        computer: "".into(),
        activity_id: None,
        user_sid: None,
        source: Arc::from(Path::new("<test>")),
        recovered: false,
        fields: Fields::new(),
    }
}

/// A numeric System field (`EventID`, `Level`, ...) given a value it cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` must be a number up to {max}, not `{value}`")]
pub struct BadSystemField {
    /// The field's name.
    pub name: String,
    /// The largest value it holds.
    pub max: u64,
    /// What was given.
    pub value: String,
}

/// Builds an event from `(name, value)` pairs written with the names rules use:
/// `EventID`, `Channel`, `Provider_Name`, `EventSourceName`, `Computer`, `Level`,
/// `Qualifiers`, `EventRecordID`, `ActivityID` and `UserID` fill the event's
/// typed System fields; every other name becomes a data field.
pub fn event_from_fields<I>(pairs: I) -> Result<Event, BadSystemField>
where
    I: IntoIterator<Item = (String, FieldValue)>,
{
    let mut ev = blank_event();
    for (name, value) in pairs {
        let text = value.as_text().into_owned();
        let number = |max: u64| -> Result<u64, BadSystemField> {
            value
                .as_i64()
                .and_then(|n| u64::try_from(n).ok())
                .filter(|n| *n <= max)
                .ok_or_else(|| BadSystemField {
                    name: name.clone(),
                    max,
                    value: text.clone(),
                })
        };
        match name.as_str() {
            "EventID" => ev.event_id = number(u16::MAX.into())? as u16,
            "Channel" => ev.channel = text.into(),
            "Provider_Name" | "Provider" => ev.provider = text.into(),
            "EventSourceName" => ev.event_source = Some(text),
            "Computer" => ev.computer = text.into(),
            "Level" => ev.level = Some(number(u8::MAX.into())? as u8),
            "Qualifiers" => ev.qualifiers = Some(number(u16::MAX.into())? as u16),
            "EventRecordID" => ev.record_id = number(u64::MAX)?,
            "ActivityID" => ev.activity_id = Some(text),
            "UserID" | "SecurityUserID" => ev.user_sid = Some(text),
            _ => ev.fields.push(name, value),
        }
    }
    Ok(ev)
}

/// Parses a rule's `tests:` block.
pub(crate) fn parse(node: &Node, path: &Path) -> Result<Vec<SelfTest>, Located> {
    let bad = |n: &Node, msg: String| Located::at(n.loc, RuleError::BadTests(msg));
    let mut out = Vec::new();
    for (k, v) in node.expect_map("tests")? {
        let expect_match = match k.expect_str("a tests key")? {
            "match" => true,
            "no_match" => false,
            other => return Err(bad(k, format!("unknown key `{other}` (match, no_match)"))),
        };
        let Value::Seq(events) = &v.value else {
            return Err(v.wrong("tests.match/no_match", "a list of events"));
        };
        for e in events {
            let pairs = e
                .expect_map("a test event")?
                .iter()
                .map(|(name, value)| {
                    let name = name
                        .scalar_text()
                        .ok_or_else(|| name.wrong("a test field name", "a string"))?;
                    Ok((name, field_value(value)?))
                })
                .collect::<Result<Vec<_>, Located>>()?;
            let mut event = event_from_fields(pairs).map_err(|m| bad(e, m.to_string()))?;
            event.source = Arc::from(path);
            out.push(SelfTest {
                expect_match,
                loc: e.loc,
                event,
            });
        }
    }
    Ok(out)
}

fn field_value(n: &Node) -> Result<FieldValue, Located> {
    Ok(match &n.value {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Int(i) if *i >= 0 => FieldValue::UInt(*i as u64),
        Value::Int(i) => FieldValue::Int(*i),
        Value::Float(f) => FieldValue::Float(*f),
        Value::Str(s) => FieldValue::Str(s.clone()),
        _ => return Err(n.wrong("a test field value", "a scalar")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_names_fill_typed_fields() {
        let ev = event_from_fields([
            ("EventID".to_string(), FieldValue::UInt(36870)),
            ("Channel".to_string(), FieldValue::Str("System".into())),
            (
                "Provider_Name".to_string(),
                FieldValue::Str("Schannel".into()),
            ),
            (
                "ErrorCode".to_string(),
                FieldValue::Str("0x8009030d".into()),
            ),
        ])
        .expect("valid");
        assert_eq!(ev.event_id, 36870);
        assert_eq!(&*ev.channel, "System");
        assert_eq!(&*ev.provider, "Schannel");
        assert_eq!(ev.fields.len(), 1);
        assert!(event_from_fields([("EventID".to_string(), FieldValue::UInt(70000))]).is_err());
    }
}
