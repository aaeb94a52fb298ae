//! The value of one event data field.

use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

/// A field value as the log typed it: text, a number or a flag. Hex and binary
/// values are kept as the text the parser renders (`0x...`, hex digits).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// Text (also GUIDs, SIDs, hex numbers and binary blobs as rendered).
    Str(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A floating point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An empty or null value.
    Null,
}

impl FieldValue {
    /// The value as text, as a Sigma rule compares it.
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            FieldValue::Str(s) => Cow::Borrowed(s),
            FieldValue::Null => Cow::Borrowed(""),
            other => Cow::Owned(other.to_string()),
        }
    }

    /// The value as an integer: numbers directly, text in decimal or `0x` hex.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            FieldValue::Int(i) => Some(*i),
            FieldValue::UInt(u) => i64::try_from(*u).ok(),
            FieldValue::Float(f) if f.fract() == 0.0 => Some(*f as i64),
            FieldValue::Bool(b) => Some(i64::from(*b)),
            FieldValue::Str(s) => parse_int(s),
            _ => None,
        }
    }
}

/// Parses decimal or `0x`-prefixed hexadecimal text, as Windows logs write numbers.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok().map(|v| v as i64)
    } else {
        s.parse().ok()
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Str(s) => f.write_str(s),
            FieldValue::Int(i) => write!(f, "{i}"),
            FieldValue::UInt(u) => write!(f, "{u}"),
            FieldValue::Float(x) => write!(f, "{x}"),
            FieldValue::Bool(b) => write!(f, "{b}"),
            FieldValue::Null => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_from_text_in_decimal_and_hex() {
        assert_eq!(FieldValue::Str("0x904".into()).as_i64(), Some(2308));
        assert_eq!(FieldValue::Str(" 10 ".into()).as_i64(), Some(10));
        assert_eq!(FieldValue::Str("ten".into()).as_i64(), None);
        assert_eq!(FieldValue::UInt(7).as_text(), "7");
        assert_eq!(FieldValue::Null.as_text(), "");
    }
}
