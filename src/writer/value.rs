//! Typed substitution values: their BinXML type codes, their bytes, and the
//! text the `evtx` crate renders for them.

use super::template::Template;
pub use super::value_type::ValueType;
use crate::event::FieldValue;
pub use crate::ingest::binxml::vocab::{
    filetime_to_utc as from_filetime, guid_text, push_utf16, utc_to_filetime as to_filetime,
};
use std::fmt::Write as _;
use std::sync::Arc;

/// One substitution value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Absent (an optional substitution disappears from the rendering).
    Null,
    /// Text.
    String(String),
    /// Unsigned 8-bit integer.
    UInt8(u8),
    /// Unsigned 16-bit integer.
    UInt16(u16),
    /// Signed 32-bit integer.
    Int32(i32),
    /// Unsigned 32-bit integer.
    UInt32(u32),
    /// Signed 64-bit integer.
    Int64(i64),
    /// Unsigned 64-bit integer.
    UInt64(u64),
    /// Boolean.
    Bool(bool),
    /// Raw bytes.
    Binary(Vec<u8>),
    /// GUID, in the on-disk (mixed-endian) byte order.
    Guid([u8; 16]),
    /// FILETIME: 100 ns ticks since 1601-01-01 UTC.
    FileTime(u64),
    /// Security identifier in its binary form.
    Sid(Vec<u8>),
    /// 32-bit integer shown in hex.
    HexInt32(u32),
    /// 64-bit integer shown in hex.
    HexInt64(u64),
    /// Several strings (classic unnamed `Data` elements).
    StringArray(Vec<String>),
    /// A nested template instance (the event's data part).
    BinXml(Box<Instance>),
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::Null => ValueType::Null,
            Value::String(_) => ValueType::String,
            Value::UInt8(_) => ValueType::UInt8,
            Value::UInt16(_) => ValueType::UInt16,
            Value::Int32(_) => ValueType::Int32,
            Value::UInt32(_) => ValueType::UInt32,
            Value::Int64(_) => ValueType::Int64,
            Value::UInt64(_) => ValueType::UInt64,
            Value::Bool(_) => ValueType::Bool,
            Value::Binary(_) => ValueType::Binary,
            Value::Guid(_) => ValueType::Guid,
            Value::FileTime(_) => ValueType::FileTime,
            Value::Sid(_) => ValueType::Sid,
            Value::HexInt32(_) => ValueType::HexInt32,
            Value::HexInt64(_) => ValueType::HexInt64,
            Value::StringArray(_) => ValueType::StringArray,
            Value::BinXml(_) => ValueType::BinXml,
        }
    }

    /// Appends the value's bytes (nested instances are written by the chunk
    /// encoder, not here, and append nothing).
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null | Value::BinXml(_) => {}
            Value::String(s) => push_utf16(out, s),
            Value::UInt8(v) => out.push(*v),
            Value::UInt16(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Int32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::UInt32(v) | Value::HexInt32(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::Int64(v) => out.extend_from_slice(&v.to_le_bytes()),
            Value::UInt64(v) | Value::HexInt64(v) | Value::FileTime(v) => {
                out.extend_from_slice(&v.to_le_bytes())
            }
            Value::Bool(b) => out.extend_from_slice(&u32::from(*b).to_le_bytes()),
            Value::Binary(b) | Value::Sid(b) => out.extend_from_slice(b),
            Value::Guid(g) => out.extend_from_slice(g),
            Value::StringArray(items) => {
                for s in items {
                    push_utf16(out, s);
                    out.extend_from_slice(&[0, 0]);
                }
            }
        }
    }

    /// How the `evtx` crate renders the value in JSON, as [`crate::event::from_json`]
    /// then reads it (arrays are spread into `param` fields by the caller).
    pub fn rendered(&self) -> FieldValue {
        match self {
            Value::Null | Value::BinXml(_) => FieldValue::Null,
            Value::String(s) => FieldValue::Str(s.clone()),
            Value::UInt8(v) => FieldValue::UInt(u64::from(*v)),
            Value::UInt16(v) => FieldValue::UInt(u64::from(*v)),
            Value::UInt32(v) => FieldValue::UInt(u64::from(*v)),
            Value::UInt64(v) => FieldValue::UInt(*v),
            Value::Int32(v) => signed(i64::from(*v)),
            Value::Int64(v) => signed(*v),
            Value::Bool(b) => FieldValue::Bool(*b),
            Value::Binary(b) => FieldValue::Str(b.iter().fold(String::new(), |mut s, x| {
                let _ = write!(s, "{x:02X}");
                s
            })),
            Value::Guid(g) => FieldValue::Str(guid_text(g)),
            Value::FileTime(t) => FieldValue::Str(filetime_text(*t)),
            Value::Sid(b) => FieldValue::Str(sid_text(b)),
            Value::HexInt32(v) => FieldValue::Str(format!("0x{v:x}")),
            Value::HexInt64(v) => FieldValue::Str(format!("0x{v:x}")),
            Value::StringArray(items) => FieldValue::Str(items.join(", ")),
        }
    }
}

/// A JSON number is read back unsigned whenever it is not negative.
fn signed(v: i64) -> FieldValue {
    u64::try_from(v).map_or(FieldValue::Int(v), FieldValue::UInt)
}

/// Parses `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` (braces optional) into the
/// on-disk byte order.
pub fn parse_guid(text: &str) -> Option<[u8; 16]> {
    let t = text.trim();
    let t = t.strip_prefix('{').unwrap_or(t);
    let t = t.strip_suffix('}').unwrap_or(t);
    let parts: Vec<&str> = t.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    if parts.len() != 5 || parts.iter().zip(lens).any(|(p, n)| p.len() != n) {
        return None;
    }
    let hex: String = parts.concat();
    let mut raw = [0u8; 16];
    for (i, byte) in raw.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    let mut g = raw;
    g[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
    g[4..6].copy_from_slice(&[raw[5], raw[4]]);
    g[6..8].copy_from_slice(&[raw[7], raw[6]]);
    Some(g)
}

/// Parses `S-1-<authority>-<sub>...` into the binary SID form.
pub fn parse_sid(text: &str) -> Option<Vec<u8>> {
    let mut parts = text.trim().split('-');
    if !parts.next()?.eq_ignore_ascii_case("S") {
        return None;
    }
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    if authority >= 1 << 48 {
        return None;
    }
    let subs: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let count = u8::try_from(subs.len()).ok().filter(|&n| n <= 15)?;
    let mut out = vec![revision, count];
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Some(out)
}

/// Renders a binary SID as `S-1-5-18`.
pub fn sid_text(b: &[u8]) -> String {
    if b.len() < 8 {
        return String::new();
    }
    let mut auth = [0u8; 8];
    auth[2..].copy_from_slice(&b[2..8]);
    let mut s = format!("S-{}-{}", b[0], u64::from_be_bytes(auth));
    for sub in b[8..].chunks_exact(4) {
        let _ = write!(
            s,
            "-{}",
            u32::from_le_bytes([sub[0], sub[1], sub[2], sub[3]])
        );
    }
    s
}

/// Renders a FILETIME as the `evtx` crate does: `2020-11-16T11:33:20.0000001Z`.
pub fn filetime_text(ticks: u64) -> String {
    from_filetime(ticks)
        .map(|t| {
            let ticks = t.timestamp_subsec_nanos() / 100;
            format!("{}.{ticks:07}Z", t.format("%Y-%m-%dT%H:%M:%S"))
        })
        .unwrap_or_default()
}

/// A template and the values that fill it.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// The template.
    pub template: Arc<Template>,
    /// The values, by substitution index.
    pub values: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    #[test]
    fn guid_round_trips_in_windows_byte_order() {
        let g = parse_guid("{54849625-5478-4994-a5ba-3e3b0328c30d}").unwrap();
        assert_eq!(
            g,
            [
                0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
                0xc3, 0x0d
            ]
        );
        assert_eq!(guid_text(&g), "{54849625-5478-4994-a5ba-3e3b0328c30d}");
        assert_eq!(parse_guid("not-a-guid"), None);
    }

    #[test]
    fn sid_encodes_authority_big_endian() {
        let b = parse_sid("S-1-5-18").unwrap();
        assert_eq!(b, [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]);
        assert_eq!(sid_text(&b), "S-1-5-18");
        let long = "S-1-5-21-3648566514-1342408385-4134854909-1000";
        assert_eq!(sid_text(&parse_sid(long).unwrap()), long);
        assert_eq!(parse_sid("S-1-x"), None);
    }

    #[test]
    fn filetime_keeps_100ns_precision() {
        let t = DateTime::parse_from_rfc3339("2020-11-16T11:33:20.0000001Z")
            .unwrap()
            .with_timezone(&Utc);
        let ft = to_filetime(t).unwrap();
        assert_eq!(filetime_text(ft), "2020-11-16T11:33:20.0000001Z");
        assert_eq!(from_filetime(ft), Some(t));
    }

    #[test]
    fn values_render_like_the_evtx_crate() {
        assert_eq!(
            Value::HexInt32(0x8009030D).rendered(),
            FieldValue::Str("0x8009030d".into())
        );
        assert_eq!(
            Value::Binary(vec![0x54, 0x00]).rendered(),
            FieldValue::Str("5400".into())
        );
        assert_eq!(Value::Int32(5).rendered(), FieldValue::UInt(5));
        assert_eq!(Value::Int32(-5).rendered(), FieldValue::Int(-5));
        let mut out = Vec::new();
        Value::StringArray(vec!["a".into(), "".into()]).write(&mut out);
        assert_eq!(out, [b'a', 0, 0, 0, 0, 0]);
    }
}
