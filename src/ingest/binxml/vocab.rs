//! The words of the EVTX format, spelt once: the file and chunk layout, the BinXML token and
//! value-type bytes, FILETIME, and UTF-16LE text.
//!
//! The reader ([`super`]) and the EVTX writer (`crate::writer`, behind the `writer` feature)
//! both use these. Where the `evtx` crate (0.15.1) already exports a piece it is used here
//! ([`evtx::Utf16LeSlice`] decodes non-ASCII text; [`evtx::Timestamp`] is what
//! [`record_time`] converts). Its own layout constants (`EVTX_CHUNK_SIZE`,
//! `EVTX_FILE_HEADER_SIZE`, `EVTX_CHUNK_HEADER_SIZE`, `EVTX_RECORD_MAGIC`), its token module
//! and its byte-to-type table (`BinXmlValueType::from_u8`) are crate-private, so the bytes
//! are named again here; its public [`evtx::binxml::value_variant::BinXmlValueType`] enum has
//! no way in from a byte, so the peek works with the bytes themselves.
//!
//! A few words are written only by the writer; without the `writer` feature they may go
//! unused.

use chrono::{DateTime, Utc};

/// The first eight bytes of every EVTX file.
pub const FILE_MAGIC: &[u8; 8] = b"ElfFile\0";
/// Bytes of the file header block: the first chunk starts here.
pub const FILE_HEADER_SIZE: usize = 4096;
/// The first eight bytes of every chunk.
pub const CHUNK_MAGIC: &[u8; 8] = b"ElfChnk\0";
/// Bytes in a chunk.
pub const CHUNK_SIZE: usize = 65536;
/// Bytes of a chunk's header, including its string and template tables: records start here.
pub const CHUNK_HEADER_SIZE: usize = 512;
/// Where a chunk's string table (its name-entry hash buckets) starts in the chunk header.
pub const STRING_TABLE_AT: usize = 128;
/// Slots (u32 chunk offsets) in a chunk's string table.
pub const STRING_TABLE_SLOTS: usize = 64;
/// Where a chunk's template table (its template definition hash buckets) starts: right
/// after the string table.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub const TEMPLATE_TABLE_AT: usize = STRING_TABLE_AT + 4 * STRING_TABLE_SLOTS;
/// Slots (u32 chunk offsets) in a chunk's template table.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub const TEMPLATE_TABLE_SLOTS: usize = 32;
/// The first four bytes of every record.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub const RECORD_MAGIC: [u8; 4] = [0x2a, 0x2a, 0x00, 0x00];
/// A record header: magic, size (u32), record id (u64) and FILETIME (u64); BinXML follows.
pub const RECORD_HEADER_SIZE: usize = 24;
/// A record ends with a copy of its size (u32).
pub const RECORD_TRAILER_SIZE: usize = 4;
/// A template definition header: next offset (u32), GUID (16 bytes), body size (u32).
pub const TEMPLATE_HEADER_SIZE: usize = 24;
/// A name entry's head: next offset (u32), hash (u16), length in UTF-16 units (u16); the
/// units and a NUL unit follow.
pub const NAME_ENTRY_HEAD: usize = 8;
/// Where the length in units lies in a name entry.
pub const NAME_ENTRY_UNITS_AT: usize = 6;

/// The DependencyId of an element that depends on no substitution.
pub const NO_DEPENDENCY: u16 = 0xFFFF;

/// The body size a template definition `header` ([`TEMPLATE_HEADER_SIZE`] bytes) gives.
pub fn template_body_size(header: &[u8; TEMPLATE_HEADER_SIZE]) -> u32 {
    u32::from_le_bytes([header[20], header[21], header[22], header[23]])
}

/// BinXML token bytes (MS-EVEN6 2.2.3.1): the low six bits name the token; tokens that may be
/// followed by more of their kind (an element with attributes, a value or an attribute that
/// is not the last) carry [`MORE_FLAG`](token::MORE_FLAG) too (see [`with_more_flag`]).
pub mod token {
    /// End of a fragment or of a template definition.
    pub const EOF: u8 = 0x00;
    /// An element's start tag opens (with the flag: it has attributes).
    pub const OPEN_START: u8 = 0x01;
    /// An element's start tag closes; content follows.
    pub const CLOSE_START: u8 = 0x02;
    /// An element's start tag closes the element: it is empty.
    pub const CLOSE_EMPTY: u8 = 0x03;
    /// An element's end tag.
    pub const END: u8 = 0x04;
    /// Literal text: a value type byte and the value.
    pub const VALUE: u8 = 0x05;
    /// An attribute (with the flag: not the last one).
    pub const ATTRIBUTE: u8 = 0x06;
    /// A CDATA section.
    pub const CDATA: u8 = 0x07;
    /// A character reference.
    pub const CHAR_REF: u8 = 0x08;
    /// An entity reference.
    pub const ENTITY_REF: u8 = 0x09;
    /// A processing instruction's target.
    pub const PI_TARGET: u8 = 0x0a;
    /// A processing instruction's data.
    pub const PI_DATA: u8 = 0x0b;
    /// A template instance: a definition and its substitution values.
    pub const TEMPLATE_INSTANCE: u8 = 0x0c;
    /// A substitution: the element or attribute renders the value, even a Null one.
    pub const NORMAL_SUBST: u8 = 0x0d;
    /// An optional substitution: a Null value makes the element or attribute vanish.
    pub const OPTIONAL_SUBST: u8 = 0x0e;
    /// A fragment header: the token, major and minor version, flags.
    pub const FRAGMENT_HEADER: u8 = 0x0f;
    /// The "more follow" flag of [`OPEN_START`], [`VALUE`], [`ATTRIBUTE`] and the references.
    pub const MORE_FLAG: u8 = 0x40;
    /// A whole fragment header as Windows writes it (version 1.1, no flags).
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
    pub const FRAGMENT_HEADER_BYTES: [u8; 4] = [FRAGMENT_HEADER, 0x01, 0x01, 0x00];
    /// The byte after [`TEMPLATE_INSTANCE`] (unknown meaning; always 1).
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
    pub const TEMPLATE_INSTANCE_VERSION: u8 = 0x01;
}

/// `token` with its "more follow" flag set.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub const fn with_more_flag(token: u8) -> u8 {
    token | token::MORE_FLAG
}

/// Splits a token byte into the token and whether its "more follow" flag is set.
pub const fn split_more_flag(byte: u8) -> (u8, bool) {
    (byte & !token::MORE_FLAG, byte & token::MORE_FLAG != 0)
}

/// BinXML value type bytes (MS-EVEN6 2.2.4.1); an array of a type is the type with
/// [`ARRAY_FLAG`](value_type::ARRAY_FLAG) set (see [`array_of`]).
pub mod value_type {
    /// No value.
    pub const NULL: u8 = 0x00;
    /// UTF-16LE text.
    pub const STRING: u8 = 0x01;
    /// Text in the log's ANSI code page.
    pub const ANSI_STRING: u8 = 0x02;
    /// Signed 8-bit integer.
    pub const INT8: u8 = 0x03;
    /// Unsigned 8-bit integer.
    pub const UINT8: u8 = 0x04;
    /// Signed 16-bit integer.
    pub const INT16: u8 = 0x05;
    /// Unsigned 16-bit integer.
    pub const UINT16: u8 = 0x06;
    /// Signed 32-bit integer.
    pub const INT32: u8 = 0x07;
    /// Unsigned 32-bit integer.
    pub const UINT32: u8 = 0x08;
    /// Signed 64-bit integer.
    pub const INT64: u8 = 0x09;
    /// Unsigned 64-bit integer.
    pub const UINT64: u8 = 0x0a;
    /// 32-bit float.
    pub const REAL32: u8 = 0x0b;
    /// 64-bit float.
    pub const REAL64: u8 = 0x0c;
    /// Boolean stored as a 32-bit integer.
    pub const BOOL: u8 = 0x0d;
    /// Raw bytes.
    pub const BINARY: u8 = 0x0e;
    /// GUID (mixed-endian).
    pub const GUID: u8 = 0x0f;
    /// A pointer-sized integer (4 or 8 bytes).
    pub const SIZE_T: u8 = 0x10;
    /// FILETIME: 100 ns ticks since 1601.
    pub const FILETIME: u8 = 0x11;
    /// SYSTEMTIME (16 bytes).
    pub const SYSTIME: u8 = 0x12;
    /// Security identifier.
    pub const SID: u8 = 0x13;
    /// 32-bit integer rendered in hex.
    pub const HEX_INT32: u8 = 0x14;
    /// 64-bit integer rendered in hex.
    pub const HEX_INT64: u8 = 0x15;
    /// An event handle (does not render).
    pub const EVT_HANDLE: u8 = 0x20;
    /// An embedded BinXML fragment.
    pub const BINXML: u8 = 0x21;
    /// Event XML (does not render).
    pub const EVT_XML: u8 = 0x23;
    /// The flag that makes a type an array of it.
    pub const ARRAY_FLAG: u8 = 0x80;
    /// NUL-terminated UTF-16LE strings back to back.
    #[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
    pub const STRING_ARRAY: u8 = super::array_of(STRING);
}

/// The array type of values of type `ty`.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub const fn array_of(ty: u8) -> u8 {
    ty | value_type::ARRAY_FLAG
}

/// Splits a value type byte into the element type and whether it is an array.
pub const fn split_array_flag(ty: u8) -> (u8, bool) {
    (
        ty & !value_type::ARRAY_FLAG,
        ty & value_type::ARRAY_FLAG != 0,
    )
}

/// Whether `ty` is a value type `evtx` accepts in a substitution token or descriptor (the
/// crate's `BinXmlValueType::from_u8`, which is not public).
pub fn known_value_type(ty: u8) -> bool {
    use value_type::*;
    match split_array_flag(ty) {
        (element, true) => (STRING..=HEX_INT64).contains(&element),
        (ty, false) => matches!(ty, NULL..=HEX_INT64 | EVT_HANDLE | BINXML | EVT_XML),
    }
}

/// The size in bytes of every value of type `ty`, for the types of one fixed size.
pub fn fixed_size(ty: u8) -> Option<usize> {
    use value_type::*;
    match ty {
        INT8 | UINT8 => Some(1),
        INT16 | UINT16 => Some(2),
        INT32 | UINT32 | REAL32 | BOOL | HEX_INT32 => Some(4),
        INT64 | UINT64 | REAL64 | FILETIME | HEX_INT64 => Some(8),
        GUID | SYSTIME => Some(16),
        _ => None,
    }
}

/// FILETIME ticks (100 ns) in a second.
pub const FILETIME_TICKS_PER_SECOND: i64 = 10_000_000;
/// The FILETIME of 1970-01-01T00:00:00Z: 100 ns ticks since 1601-01-01.
pub const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// The UTC time FILETIME `ticks` count to, to the 100 ns; `None` past `i64::MAX` ticks.
pub fn filetime_to_utc(ticks: u64) -> Option<DateTime<Utc>> {
    let since_unix = i64::try_from(ticks).ok()? - FILETIME_UNIX_EPOCH;
    let secs = since_unix.div_euclid(FILETIME_TICKS_PER_SECOND);
    let nanos = u32::try_from(since_unix.rem_euclid(FILETIME_TICKS_PER_SECOND) * 100).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

/// The FILETIME ticks of a UTC time (`None` before 1601).
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub fn utc_to_filetime(t: DateTime<Utc>) -> Option<u64> {
    let ticks = t
        .timestamp()
        .checked_mul(FILETIME_TICKS_PER_SECOND)?
        .checked_add(i64::from(t.timestamp_subsec_nanos() / 100))?
        .checked_add(FILETIME_UNIX_EPOCH)?;
    u64::try_from(ticks).ok()
}

/// A record header's timestamp as the `evtx` crate gives it ([`evtx::EvtxRecord::timestamp`],
/// [`evtx::EvtxRecordHeader::timestamp`]), as a chrono time: its whole seconds, and no
/// negative fraction (a time before 1970 loses its fraction).
pub fn record_time(ts: evtx::Timestamp) -> DateTime<Utc> {
    let nanos = u32::try_from(ts.subsec_nanosecond().max(0)).unwrap_or_default();
    DateTime::<Utc>::from_timestamp(ts.as_second(), nanos).unwrap_or_default()
}

/// A GUID's on-disk bytes as the `evtx` crate renders them: `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`
/// in lowercase, the first three groups read little-endian.
pub fn guid_text(g: &[u8; 16]) -> String {
    // Written a digit at a time: an activity id per record made `format!` a tenth of
    // building the events of a burst.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // The bytes in the order they are written (the first three groups little-endian).
    const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
    let mut out = String::with_capacity(38);
    out.push('{');
    for (k, &i) in ORDER.iter().enumerate() {
        if matches!(k, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(g[i] >> 4)]));
        out.push(char::from(HEX[usize::from(g[i] & 0x0f)]));
    }
    out.push('}');
    out
}

/// The UTF-16LE code units of `bytes` before the first NUL unit (how `evtx` reads strings).
pub fn until_nul(bytes: &[u8]) -> &[u8] {
    let units = bytes.len() / 2;
    let end = (0..units)
        .find(|&i| bytes[2 * i] == 0 && bytes[2 * i + 1] == 0)
        .unwrap_or(units);
    &bytes[..end * 2]
}

/// Strictly decodes the whole UTF-16LE units of `bytes` (an odd last byte is ignored; an
/// unpaired surrogate is `None`, as `evtx` fails on it). ASCII, the common case, is decoded a
/// byte a unit; anything else by [`evtx::Utf16LeSlice`].
pub fn decode_utf16(bytes: &[u8]) -> Option<String> {
    let units = bytes.len() / 2;
    let bytes = &bytes[..units * 2];
    if bytes.chunks_exact(2).all(|u| u[1] == 0 && u[0] < 0x80) {
        return String::from_utf8(bytes.iter().step_by(2).copied().collect()).ok();
    }
    evtx::Utf16LeSlice::new(bytes, units).to_string().ok()
}

/// Whether the whole UTF-16LE units of `bytes` are valid UTF-16 (no unpaired surrogate).
pub fn is_utf16(bytes: &[u8]) -> bool {
    let units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]));
    char::decode_utf16(units).all(|c| c.is_ok())
}

/// Appends `s` as UTF-16LE without a terminating NUL.
#[cfg_attr(not(feature = "writer"), allow(dead_code))] // only the writer writes it
pub fn push_utf16(out: &mut Vec<u8>, s: &str) {
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn flags_split_off() {
        assert_eq!(with_more_flag(token::OPEN_START), 0x41);
        assert_eq!(split_more_flag(0x46), (token::ATTRIBUTE, true));
        assert_eq!(split_more_flag(token::END), (token::END, false));
        assert_eq!(value_type::STRING_ARRAY, 0x81);
        assert_eq!(split_array_flag(0x95), (value_type::HEX_INT64, true));
    }

    #[test]
    fn a_guid_is_written_as_the_evtx_crate_writes_it() {
        // The text the writer's tests parse back to these bytes.
        let g = [
            0x25, 0x96, 0x84, 0x54, 0x78, 0x54, 0x94, 0x49, 0xa5, 0xba, 0x3e, 0x3b, 0x03, 0x28,
            0xc3, 0x0d,
        ];
        assert_eq!(guid_text(&g), "{54849625-5478-4994-a5ba-3e3b0328c30d}");
        // Every byte value, in every place.
        for b in 0..=u8::MAX {
            let g = [b; 16];
            let d1 = u32::from_le_bytes([b; 4]);
            let d2 = u16::from_le_bytes([b; 2]);
            let mut want = format!("{{{d1:08x}-{d2:04x}-{d2:04x}-{b:02x}{b:02x}-");
            for _ in 10..16 {
                let _ = write!(want, "{b:02x}");
            }
            want.push('}');
            assert_eq!(guid_text(&g), want);
        }
        let ordered: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(
            guid_text(&ordered),
            "{03020100-0504-0706-0809-0a0b0c0d0e0f}"
        );
    }

    #[test]
    fn known_types_are_the_crates() {
        let known: Vec<u8> = (0..=u8::MAX).filter(|&t| known_value_type(t)).collect();
        let mut expected: Vec<u8> = (0x00..=0x15).chain([0x20, 0x21, 0x23]).collect();
        expected.extend(0x81..=0x95);
        assert_eq!(known, expected);
    }

    #[test]
    fn filetimes_convert_both_ways_to_the_100ns() {
        let t = filetime_to_utc(133_546_104_002_469_100).unwrap();
        assert_eq!(t.to_rfc3339(), "2024-03-11T06:00:00.246910+00:00");
        assert_eq!(utc_to_filetime(t), Some(133_546_104_002_469_100));
        assert_eq!(
            filetime_to_utc(0).unwrap().to_rfc3339(),
            "1601-01-01T00:00:00+00:00"
        );
        // Before 1970: the fraction counts forward from the second before.
        let early = filetime_to_utc((FILETIME_UNIX_EPOCH - 15_000_000) as u64).unwrap();
        assert_eq!(
            (early.timestamp(), early.timestamp_subsec_nanos()),
            (-2, 500_000_000)
        );
        assert_eq!(filetime_to_utc(u64::MAX), None);
    }

    #[test]
    fn utf16_decodes_strictly_up_to_a_nul() {
        let text: Vec<u8> = "Ab\u{e9}\u{1F600}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decode_utf16(&text).as_deref(), Some("Ab\u{e9}\u{1F600}"));
        assert_eq!(until_nul(&[0x41, 0, 0, 0, 0x42, 0]), [0x41, 0]);
        assert_eq!(decode_utf16(&[0x41, 0, 0x42]).as_deref(), Some("A"));
        assert_eq!(decode_utf16(&[0x00, 0xd8]), None, "an unpaired surrogate");
        assert!(!is_utf16(&[0x00, 0xd8]));
        let mut out = Vec::new();
        push_utf16(&mut out, "Ab\u{e9}\u{1F600}");
        assert_eq!(out, text);
    }
}
