//! A cheap look at a record's header fields (provider, event id, channel, computer) without
//! rendering it, so that ingest can skip the records no rule can match.
//!
//! A Windows record is one template instance: a template definition (cached per chunk) plus a
//! list of typed substitution values. [`peek`] learns once per template where each header field
//! comes from (literal text, or substitution N; see `binxml_walk`) and then reads only those
//! values out of the record's bytes. It answers only for shapes it models exactly as the `evtx`
//! crate renders them and [`crate::event::from_json`] normalizes them; for anything else
//! (plain element trees, several instances, fragments or arrays where the header is read,
//! unusual value types or sizes, malformed bytes) it returns `None` and the caller renders.
//!
//! ```no_run
//! # fn demo(path: &std::path::Path) -> evtx::err::Result<()> {
//! use dropcause::ingest::{PeekCache, peek};
//! let mut parser = evtx::EvtxParser::from_path(path)?;
//! let mut cache = PeekCache::default(); // cloned per chunk by the parser
//! for kept in parser.serialized_records(move |record| {
//!     let record = record?;
//!     if let Some(p) = peek(&record, &mut cache)
//!         && !p.channel.eq_ignore_ascii_case("System")
//!     {
//!         return Ok(None); // skipped without rendering
//!     }
//!     record.into_json_value().map(Some)
//! }) {
//!     let _ = kept?;
//! }
//! # Ok(()) }
//! ```

use super::binxml_walk::{
    Content, Cursor, Field, Plan, TEMPLATE_HEADER_SIZE, decode_utf16, known_value_type,
    plan_template, until_nul,
};
use chrono::{DateTime, Utc};
use evtx::{EvtxChunk, EvtxRecord};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A record's header fields, as [`crate::event::from_json`] would normalize them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peek<'a> {
    /// `System/Provider/@Name` (empty when absent).
    pub provider: PeekText<'a>,
    /// `System/Provider/@EventSourceName`, when present and not empty.
    pub event_source: Option<PeekText<'a>>,
    /// The low 16 bits of `System/EventID`.
    pub event_id: u16,
    /// `System/EventID/@Qualifiers`, else the high 16 bits of a whole classic message id.
    pub qualifiers: Option<u16>,
    /// `System/Channel` (empty when absent).
    pub channel: PeekText<'a>,
    /// `System/Computer` (empty when absent).
    pub computer: PeekText<'a>,
    /// The record header's timestamp (not `TimeCreated`, which the event's time prefers).
    pub header_time: DateTime<Utc>,
}

impl Peek<'_> {
    /// True when the provider's name or its classic `EventSourceName` is `name`, ignoring ASCII
    /// case (as [`crate::event::Event::is_from`]).
    pub fn is_from(&self, name: &str) -> bool {
        self.provider.eq_ignore_ascii_case(name)
            || self
                .event_source
                .as_ref()
                .is_some_and(|s| s.eq_ignore_ascii_case(name))
    }
}

/// Text of a peeked field: borrowed UTF-16 from the chunk, or literal text of the template.
/// Compare it without allocating; [`fmt::Display`] (and so `to_string`) gives the text.
#[derive(Clone, PartialEq, Eq)]
pub struct PeekText<'a>(Text<'a>);

#[derive(Clone, PartialEq, Eq)]
enum Text<'a> {
    /// Valid UTF-16LE without NUL units.
    Utf16(&'a [u8]),
    Shared(Arc<str>),
    Empty,
}

impl PeekText<'_> {
    /// The characters of the text.
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        let (units, text) = match &self.0 {
            Text::Utf16(bytes) => (*bytes, ""),
            Text::Shared(text) => (&[][..], &**text),
            Text::Empty => (&[][..], ""),
        };
        let units = units
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]));
        // Validated when built: decoding cannot fail.
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .chain(text.chars())
    }

    /// True when the text is empty.
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Text::Empty)
    }

    /// True when the text equals `other`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        match &self.0 {
            Text::Shared(text) => text.eq_ignore_ascii_case(other),
            _ => {
                let mut mine = self.chars();
                let mut theirs = other.chars();
                loop {
                    match (mine.next(), theirs.next()) {
                        (None, None) => return true,
                        (Some(a), Some(b)) if a.eq_ignore_ascii_case(&b) => {}
                        _ => return false,
                    }
                }
            }
        }
    }
}

impl PartialEq<str> for PeekText<'_> {
    fn eq(&self, other: &str) -> bool {
        match &self.0 {
            Text::Shared(text) => **text == *other,
            _ => self.chars().eq(other.chars()),
        }
    }
}

impl PartialEq<&str> for PeekText<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl fmt::Display for PeekText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Text::Shared(text) => f.write_str(text),
            _ => self.chars().try_for_each(|c| fmt::Write::write_char(f, c)),
        }
    }
}

impl fmt::Debug for PeekText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string(), f)
    }
}

/// Per-chunk memory of template plans for [`peek`]. Create one per reader (the `evtx` parser
/// clones the `serialized_records` closure, and with it the cache, for every chunk). It forgets
/// everything when a record of another chunk comes along, and checks a cached template's bytes
/// on every use, so a stale plan is never applied.
#[derive(Debug, Clone, Default)]
pub struct PeekCache {
    chunk: Option<ChunkKey>,
    /// Plans by template definition offset; `None` for templates the peek cannot read.
    templates: HashMap<u32, Entry>,
    /// Scratch: the current record's substitution values.
    values: Vec<Val>,
}

/// What tells one chunk from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkKey {
    data: usize,
    len: usize,
    numbers: [u64; 4],
    offsets: [u32; 4],
}

impl ChunkKey {
    fn of(chunk: &EvtxChunk<'_>) -> Self {
        let h = chunk.header;
        ChunkKey {
            data: chunk.data.as_ptr() as usize,
            len: chunk.data.len(),
            numbers: [
                h.first_event_record_number,
                h.last_event_record_number,
                h.first_event_record_id,
                h.last_event_record_id,
            ],
            offsets: [
                h.last_event_record_data_offset,
                h.free_space_offset,
                h.events_checksum,
                h.header_chunk_checksum,
            ],
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    /// The definition's header and body as they were when planned.
    bytes: Box<[u8]>,
    plan: Option<Plan>,
}

/// More templates than this in one chunk (crafted input) starts the cache afresh.
const MAX_TEMPLATES: usize = 1024;

/// More substitution values than this are not peeked.
const MAX_VALUES: u32 = 4096;

/// One substitution value: where its bytes are in the chunk, how many, of which type.
#[derive(Debug, Clone, Copy)]
struct Val {
    at: usize,
    size: u16,
    ty: u8,
}

impl Val {
    fn bytes<'a>(&self, data: &'a [u8]) -> &'a [u8] {
        data.get(self.at..self.at + usize::from(self.size))
            .unwrap_or_default()
    }

    /// Null as a DependencyId sees it (an empty fragment becomes Null in `evtx`).
    fn is_null(&self) -> bool {
        self.ty == 0x00 || (self.ty == 0x21 && self.size == 0)
    }
}

/// Peeks at `record`'s header fields without rendering it; `None` when unsure (the caller
/// then renders the record). Never panics, whatever the bytes.
pub fn peek<'a>(record: &EvtxRecord<'a>, cache: &mut PeekCache) -> Option<Peek<'a>> {
    let chunk: &'a EvtxChunk<'a> = record.chunk;
    let mut peek = peek_bytes(
        chunk.data,
        ChunkKey::of(chunk),
        record.binxml_offset,
        record.binxml_size,
        cache,
    )?;
    let ts = record.timestamp;
    peek.header_time =
        DateTime::<Utc>::from_timestamp(ts.as_second(), ts.subsec_nanosecond().max(0) as u32)
            .unwrap_or_default();
    Some(peek)
}

/// [`peek`] over a chunk's bytes: the record's BinXML stream is `len` bytes at `offset`.
pub(crate) fn peek_bytes<'a>(
    data: &'a [u8],
    key: ChunkKey,
    offset: u64,
    len: u32,
    cache: &mut PeekCache,
) -> Option<Peek<'a>> {
    if cache.chunk != Some(key) || cache.templates.len() > MAX_TEMPLATES {
        cache.chunk = Some(key);
        cache.templates.clear();
    }
    let start = usize::try_from(offset).ok()?;
    let stream = data.get(start..start.checked_add(usize::try_from(len).ok()?)?)?;
    // One template instance, optionally after a fragment header (evtx's single-instance shape).
    let skip = match stream {
        [0x0f, _, _, _, 0x0c, _, ..] => 5,
        [0x0c, ..] => 1,
        _ => return None,
    };
    let mut cur = Cursor::new(data, start + skip);
    cur.u8()?;
    cur.u32()?; // template id
    let def = cur.u32()?;
    if usize::try_from(def).ok()? == cur.pos {
        // The definition is written here: skip it.
        let header = cur.take(TEMPLATE_HEADER_SIZE)?;
        let size = u32::from_le_bytes([header[20], header[21], header[22], header[23]]);
        cur.take(usize::try_from(size).ok()?)?;
    }
    read_values(&mut cur, &mut cache.values)?;
    // Only EOF (or nothing) may follow the instance inside the record.
    match stream.get(cur.pos - start..)? {
        [] | [0x00, ..] => {}
        _ => return None,
    }
    let plan = plan_for(data, def, &mut cache.templates)?;
    evaluate(plan, data, &cache.values)
}

/// The cached plan for the definition at `def`, checked against the chunk's bytes.
fn plan_for<'c>(data: &[u8], def: u32, templates: &'c mut HashMap<u32, Entry>) -> Option<&'c Plan> {
    let at = usize::try_from(def).ok()?;
    let header = data.get(at..at.checked_add(TEMPLATE_HEADER_SIZE)?)?;
    let size = u32::from_le_bytes([header[20], header[21], header[22], header[23]]);
    let end = at
        .checked_add(TEMPLATE_HEADER_SIZE)?
        .checked_add(usize::try_from(size).ok()?)?;
    let bytes = data.get(at..end)?;
    let fresh = templates.get(&def).is_none_or(|e| *e.bytes != *bytes);
    if fresh {
        let entry = Entry {
            bytes: bytes.into(),
            plan: plan_template(data, def),
        };
        templates.insert(def, entry);
    }
    templates.get(&def)?.plan.as_ref()
}

/// Reads the instance's value descriptors and locates each value, into `out`. `None` when a
/// size is not the one its type has: `evtx` then reads values elsewhere than the sizes say.
fn read_values(cur: &mut Cursor<'_>, out: &mut Vec<Val>) -> Option<()> {
    out.clear();
    let count = cur.u32()?;
    if count > MAX_VALUES {
        return None;
    }
    let descriptors = cur.take(usize::try_from(count).ok()? * 4)?;
    let mut at = cur.pos;
    for d in descriptors.chunks_exact(4) {
        let size = u16::from_le_bytes([d[0], d[1]]);
        let ty = d[2];
        let val = Val { at, size, ty };
        let bytes = cur.take(usize::from(size))?;
        if !known_value_type(ty) || !sized_as_its_type(ty, bytes) {
            return None;
        }
        out.push(val);
        at = cur.pos;
    }
    Some(())
}

/// Whether a value of type `ty` is exactly `bytes` long as `evtx` reads it.
fn sized_as_its_type(ty: u8, bytes: &[u8]) -> bool {
    let n = bytes.len();
    match ty {
        0x00 | 0x02 | 0x0e | 0x21 | 0x82 | 0x83 | 0x84 => true,
        0x01 | 0x85 | 0x86 => n.is_multiple_of(2),
        0x03 | 0x04 => n == 1,
        0x05 | 0x06 => n == 2,
        0x07 | 0x08 | 0x0b | 0x0d | 0x14 => n == 4,
        0x09 | 0x0a | 0x0c | 0x11 | 0x15 => n == 8,
        0x0f | 0x12 => n == 16,
        0x10 => n == 4 || n == 8,
        0x13 => bytes.get(1).is_some_and(|&k| n == 8 + 4 * usize::from(k)),
        0x81 => n == 0 || (n.is_multiple_of(2) && bytes.ends_with(&[0, 0])),
        0x87 | 0x88 | 0x8b | 0x8d | 0x94 => n.is_multiple_of(4),
        0x89 | 0x8a | 0x8c | 0x91 | 0x95 => n.is_multiple_of(8),
        0x8f | 0x92 => n.is_multiple_of(16),
        _ => false,
    }
}

/// A field's text source once the instance's values are known.
enum Source<'p> {
    Absent,
    Static(&'p Arc<str>),
    Value(Val),
}

/// Where `field`'s text comes from in this instance; `None` when the peek cannot tell.
fn source<'p>(field: &'p Field, values: &[Val]) -> Option<Source<'p>> {
    if left_out(field.dep, values) {
        return Some(Source::Absent);
    }
    match &field.content {
        Content::Absent => Some(Source::Absent),
        Content::Unsupported => None,
        Content::Static(text) => Some(Source::Static(text)),
        &Content::Subst { index, optional } => {
            let val = *values.get(usize::from(index))?;
            if val.is_null() {
                // An optional substitution vanishes; a normal one renders as evtx sees fit.
                return optional.then_some(Source::Absent);
            }
            Some(Source::Value(val))
        }
    }
}

/// Whether an element with DependencyId `dep` is left out of this instance.
fn left_out(dep: Option<u16>, values: &[Val]) -> bool {
    dep.and_then(|d| values.get(usize::from(d)))
        .is_some_and(Val::is_null)
}

/// A string field's text; `None` when the value is not a string.
fn text<'a>(source: Source<'_>, data: &'a [u8]) -> Option<PeekText<'a>> {
    Some(PeekText(match source {
        Source::Absent => Text::Empty,
        Source::Static(text) => Text::Shared(Arc::clone(text)),
        Source::Value(val) if val.ty == 0x01 => {
            let units = until_nul(val.bytes(data));
            // An empty string renders as "" or not at all: both normalize to empty.
            if units.is_empty() {
                Text::Empty
            } else {
                // Unpaired surrogates: leave those to the renderer.
                char::decode_utf16(
                    units
                        .chunks_exact(2)
                        .map(|u| u16::from_le_bytes([u[0], u[1]])),
                )
                .all(|c| c.is_ok())
                .then_some(Text::Utf16(units))?
            }
        }
        Source::Value(_) => return None,
    }))
}

/// A number field as `from_json` reads it (a JSON number, or a string that parses). The outer
/// `None` is "cannot tell"; the inner one is "no number".
fn number(source: Source<'_>, data: &[u8]) -> Option<Option<u64>> {
    let parse = |s: &str| s.trim().parse::<u64>().ok();
    match source {
        Source::Absent => Some(None),
        Source::Static(text) => Some(parse(text)),
        Source::Value(val) => {
            let b = val.bytes(data);
            match (val.ty, b) {
                (0x04, &[x]) => Some(Some(u64::from(x))),
                (0x06, &[a, b]) => Some(Some(u64::from(u16::from_le_bytes([a, b])))),
                (0x08, &[a, b, c, d]) => Some(Some(u64::from(u32::from_le_bytes([a, b, c, d])))),
                (0x0a, b) => Some(Some(u64::from_le_bytes(b.try_into().ok()?))),
                (0x01, b) => Some(parse(&decode_utf16(until_nul(b))?)),
                _ => None,
            }
        }
    }
}

/// Applies `plan` to the instance `values`.
fn evaluate<'a>(plan: &Plan, data: &'a [u8], values: &[Val]) -> Option<Peek<'a>> {
    if left_out(plan.system_dep, values) {
        return None; // no System: the record does not normalize
    }
    for guard in &plan.guards {
        if let Some(val) = values.get(usize::from(guard.index)) {
            let fragment = val.ty == 0x21 && val.size > 0;
            // Arrays repeat elements, fragments add them, 0x20/0x23 do not render.
            if val.ty & 0x80 != 0
                || matches!(val.ty, 0x20 | 0x23)
                || (fragment && !guard.allow_fragment)
            {
                return None;
            }
        }
    }
    let id = number(source(&plan.event_id, values)?, data)??;
    let qualifiers = number(source(&plan.qualifiers, values)?, data)?.map(|q| q as u16);
    let event_source = text(source(&plan.event_source, values)?, data)?;
    Some(Peek {
        provider: text(source(&plan.provider, values)?, data)?,
        event_source: (!event_source.is_empty()).then_some(event_source),
        event_id: (id & 0xFFFF) as u16,
        qualifiers: qualifiers.or_else(|| (id > 0xFFFF).then_some((id >> 16) as u16)),
        channel: text(source(&plan.channel, values)?, data)?,
        computer: text(source(&plan.computer, values)?, data)?,
        header_time: DateTime::<Utc>::default(),
    })
}

#[cfg(test)]
#[path = "peek_tests.rs"]
mod tests;
