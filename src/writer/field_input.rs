//! Turns the field values written in a scenario into typed [`Value`]s.

use super::rng::Rng;
use super::scenario::{FieldInput, parse_offset};
use super::value::{Value, ValueType, parse_guid, parse_sid, push_utf16, to_filetime};
use chrono::{DateTime, Utc};

/// What a value is parsed against: the occurrence number for `{n}`, the
/// scenario start for `+offset` times, and the event's own time.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Occurrence number (1-based) substituted for `{n}`.
    pub n: u64,
    /// FILETIME of the scenario start.
    pub start: u64,
    /// FILETIME of the event.
    pub time: u64,
}

/// The value of a field of type `ty`: `input` when given (a list picks one
/// item with `rng`), else the type's empty value.
pub(crate) fn field_value(
    ty: ValueType,
    input: Option<&FieldInput>,
    ctx: Context,
    rng: &mut Rng,
) -> Result<Value, String> {
    let mut input = input;
    while let Some(FieldInput::Choice(items)) = input {
        if items.is_empty() {
            return Err("an empty list has nothing to pick".into());
        }
        let pick = usize::try_from(rng.below(items.len() as u64)).unwrap_or(0);
        input = items.get(pick);
    }
    match input {
        None => Ok(empty(ty, ctx)),
        Some(i) => parse(ty, i, ctx),
    }
}

/// Checks every alternative of `input` against `ty`.
pub(crate) fn validate(ty: ValueType, input: &FieldInput, ctx: Context) -> Result<(), String> {
    match input {
        FieldInput::Choice(items) if items.is_empty() => {
            Err("an empty list has nothing to pick".into())
        }
        FieldInput::Choice(items) => items.iter().try_for_each(|i| validate(ty, i, ctx)),
        other => parse(ty, other, ctx).map(drop),
    }
}

fn empty(ty: ValueType, ctx: Context) -> Value {
    match ty {
        ValueType::UInt8 => Value::UInt8(0),
        ValueType::UInt16 => Value::UInt16(0),
        ValueType::Int32 => Value::Int32(0),
        ValueType::UInt32 => Value::UInt32(0),
        ValueType::Int64 => Value::Int64(0),
        ValueType::UInt64 => Value::UInt64(0),
        ValueType::HexInt32 => Value::HexInt32(0),
        ValueType::HexInt64 => Value::HexInt64(0),
        ValueType::Bool => Value::Bool(false),
        ValueType::Guid => Value::Guid([0; 16]),
        ValueType::Sid => Value::Sid(vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ValueType::FileTime => Value::FileTime(ctx.time),
        ValueType::Binary => Value::Binary(Vec::new()),
        ValueType::StringArray => Value::StringArray(Vec::new()),
        ValueType::String | ValueType::Null | ValueType::BinXml => Value::String(String::new()),
    }
}

fn parse(ty: ValueType, input: &FieldInput, ctx: Context) -> Result<Value, String> {
    let text = match input {
        FieldInput::Text(t) => t.replace("{n}", &ctx.n.to_string()),
        FieldInput::Int(i) => i.to_string(),
        FieldInput::UInt(u) => u.to_string(),
        FieldInput::Bool(b) => b.to_string(),
        FieldInput::Choice(_) => return Err("nested lists are not values".into()),
    };
    let bad = || format!("`{text}` is not a valid {ty:?}");
    let value = match ty {
        ValueType::String | ValueType::Null | ValueType::BinXml => Value::String(text),
        ValueType::StringArray => Value::StringArray(vec![text]),
        ValueType::UInt8 => {
            Value::UInt8(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::UInt16 => {
            Value::UInt16(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::UInt32 => {
            Value::UInt32(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::HexInt32 => {
            Value::HexInt32(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::Int32 => {
            Value::Int32(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::Int64 => {
            Value::Int64(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::UInt64 => {
            Value::UInt64(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::HexInt64 => {
            Value::HexInt64(int(&text).and_then(|v| v.try_into().ok()).ok_or_else(bad)?)
        }
        ValueType::Bool => match text.as_str() {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad()),
        },
        ValueType::Guid => Value::Guid(parse_guid(&text).ok_or_else(bad)?),
        ValueType::Sid => Value::Sid(parse_sid(&text).ok_or_else(bad)?),
        ValueType::FileTime => Value::FileTime(time(&text, ctx).ok_or_else(bad)?),
        ValueType::Binary => Value::Binary(binary(&text).ok_or_else(bad)?),
    };
    Ok(value)
}

/// Decimal, negative decimal or `0x` hex.
fn int(text: &str) -> Option<i128> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok().map(i128::from),
        None => t.parse().ok(),
    }
}

/// An RFC 3339 time, or `+offset` from the scenario start.
fn time(text: &str, ctx: Context) -> Option<u64> {
    if text.starts_with('+') {
        return parse_offset(text).ok()?.checked_add(ctx.start);
    }
    let t = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    to_filetime(t.with_timezone(&Utc))
}

/// `utf16:Text` is the UTF-16LE bytes of `Text` and a NUL (as services write
/// their key names); anything else is hex digits.
fn binary(text: &str) -> Option<Vec<u8>> {
    if let Some(s) = text.strip_prefix("utf16:") {
        let mut out = Vec::new();
        push_utf16(&mut out, s);
        out.extend_from_slice(&[0, 0]);
        return Some(out);
    }
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Context = Context {
        n: 3,
        start: 1_000,
        time: 5_000,
    };

    fn text(s: &str) -> FieldInput {
        FieldInput::Text(s.into())
    }

    #[test]
    fn values_parse_by_declared_type() {
        let mut rng = Rng::for_item(0, 0, 0);
        let mut v = |ty, input: FieldInput| field_value(ty, Some(&input), CTX, &mut rng);
        assert_eq!(
            v(ValueType::UInt32, FieldInput::Int(7)),
            Ok(Value::UInt32(7))
        );
        assert_eq!(
            v(ValueType::HexInt32, text("0x8009030D")),
            Ok(Value::HexInt32(0x8009_030D))
        );
        assert_eq!(
            v(ValueType::String, text("RDP-Tcp#{n}")),
            Ok(Value::String("RDP-Tcp#3".into()))
        );
        assert_eq!(
            v(ValueType::HexInt64, text("0x1f{n}")),
            Ok(Value::HexInt64(0x1f3))
        );
        assert_eq!(
            v(ValueType::Binary, text("utf16:Ab")),
            Ok(Value::Binary(vec![b'A', 0, b'b', 0, 0, 0]))
        );
        assert_eq!(
            v(ValueType::Binary, text("0a0B")),
            Ok(Value::Binary(vec![10, 11]))
        );
        assert_eq!(
            v(ValueType::FileTime, text("+1ms")),
            Ok(Value::FileTime(11_000))
        );
        assert!(v(ValueType::UInt8, FieldInput::Int(300)).is_err());
        assert!(v(ValueType::Sid, text("nope")).is_err());
    }

    #[test]
    fn lists_pick_one_item_and_every_item_is_validated() {
        let list = FieldInput::Choice(vec![text("a"), text("b")]);
        let mut rng = Rng::for_item(1, 2, 3);
        let picked = field_value(ValueType::String, Some(&list), CTX, &mut rng).unwrap();
        assert!(picked == Value::String("a".into()) || picked == Value::String("b".into()));
        let mixed = FieldInput::Choice(vec![FieldInput::Int(1), text("x")]);
        assert!(validate(ValueType::UInt32, &mixed, CTX).is_err());
        assert_eq!(
            field_value(ValueType::UInt16, None, CTX, &mut rng),
            Ok(Value::UInt16(0))
        );
    }
}
