//! A cheap look at a record's header fields (provider, event id, channel, computer) without
//! rendering it, so that ingest can skip the records no rule can match.
//!
//! A Windows record is one template instance: a template definition (cached per chunk) plus a
//! list of typed substitution values. [`peek`] learns once per template where each header field
//! comes from (literal text, or substitution N; see `walk`) and then reads only those
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

use super::content::Content;
use super::cursor::Cursor;
use super::plan::{DataPlan, Survey, Value};
use super::vocab::{
    TEMPLATE_HEADER_SIZE, decode_utf16, filetime_to_utc, fixed_size, known_value_type, record_time,
    split_array_flag, template_body_size, token, until_nul, value_type,
};
use super::walk::{Field, Plan, plan_data_template, plan_template, plan_user_root_template};
use crate::event::{EventSketch, FieldValue, HeaderField, NAME_MAX, Needles};
use chrono::{DateTime, Utc};
use evtx::{EvtxChunk, EvtxRecord};
use foldhash::HashMap;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::hash_map::Entry as MapEntry;
use std::fmt;
use std::sync::Arc;

/// A record's header fields, as [`crate::event::from_json`] would normalize them, and its data
/// fields on demand (through [`EventSketch`]).
#[derive(Debug)]
pub struct Peek<'a> {
    /// `System/Provider/@Name` (empty when absent).
    pub provider: PeekText,
    /// `System/Provider/@EventSourceName`, when present and not empty.
    pub event_source: Option<PeekText>,
    /// The low 16 bits of `System/EventID`.
    pub event_id: u16,
    /// `System/EventID/@Qualifiers`, else the high 16 bits of a whole classic message id.
    pub qualifiers: Option<u16>,
    /// `System/Channel` (empty when absent).
    pub channel: PeekText,
    /// `System/Computer` (empty when absent).
    pub computer: PeekText,
    /// The record header's timestamp (not `TimeCreated`, which the event's time prefers).
    pub header_time: DateTime<Utc>,
    /// `System/TimeCreated/@SystemTime`, when the record has one.
    pub time_created: Option<DateTime<Utc>>,
    /// Where the data fields are.
    data: DataView<'a>,
    /// Where the other header fields are ([`Peek::system_value`]).
    system: &'a Plan,
}

/// A `System` field that only a whole event needs (see [`Peek::system_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SystemField {
    /// `EventRecordID`.
    RecordId,
    /// `Level`.
    Level,
    /// `Correlation/@ActivityID`.
    ActivityId,
    /// `Security/@UserID`.
    UserId,
}

/// A template's data plan with one instance's values.
#[derive(Debug)]
struct DataView<'a> {
    plan: &'a DataPlan,
    values: &'a [Val],
    chunk: &'a [u8],
    nested: RefCell<&'a mut Nested>,
    /// The cache serves one chunk: its plans need no check against the bytes.
    trusted: bool,
    /// Where the record's BinXML starts in the chunk: what tells records apart.
    record: usize,
}

impl EventSketch for Peek<'_> {
    fn event_id(&self) -> u16 {
        self.event_id
    }

    fn qualifiers(&self) -> Option<u16> {
        self.qualifiers
    }

    fn header(&self, field: HeaderField) -> Option<Cow<'_, str>> {
        let text = match field {
            HeaderField::Channel => &self.channel,
            HeaderField::Provider => &self.provider,
            HeaderField::Computer => &self.computer,
            HeaderField::EventSource => match &self.event_source {
                Some(source) => source,
                None => return Some(Cow::Borrowed("")),
            },
        };
        Some(Cow::Borrowed(text.as_str()))
    }

    fn with_data(&self, name: &str, f: &mut dyn FnMut(Option<&FieldValue>)) -> Option<()> {
        let record = self.data.record;
        self.data.with_plan(|plan, value, memo| {
            let Some((field, v)) = plan.locate(name, value)? else {
                f(None);
                return Some(());
            };
            // Rules of a record ask for the same fields: decode each once.
            memo.start(record);
            let at = match memo.values.iter().position(|(i, _)| *i == field) {
                Some(at) => at,
                None => {
                    memo.values.push((field, plan.value_at(field, &v)));
                    memo.values.len() - 1
                }
            };
            f(Some(memo.values[at].1.as_ref()?));
            Some(())
        })?
    }

    /// Every data field, as the compact path reads them (`Peek::all_data`): the values a
    /// rendered and normalized event would hold (before [`crate::event::Event::bound`] cuts a
    /// long one, which can only take a keyword match away, never add one: the rendered event
    /// is matched again whenever this says yes).
    fn any_data(&self, test: &mut dyn FnMut(&FieldValue) -> bool) -> Option<bool> {
        self.with_all_data(|all| all.iter().any(|(_, v)| test(v)))
    }

    fn rules_out(&self, needles: &Needles) -> bool {
        self.data
            .with_plan(|plan, value, memo| plan.rules_out(value, needles, &mut memo.folded))
            .unwrap_or(false)
    }

    fn within_bounds(&self) -> bool {
        let header = [&self.provider, &self.channel, &self.computer];
        header.iter().all(|t| t.as_str().len() <= NAME_MAX) && self.survey().within_bounds
    }
}

impl<'a> DataView<'a> {
    /// Calls `f` with the plan of the data part, the values it refers to and the record's
    /// memory of decoded values; `None` when the data part is an embedded instance that cannot
    /// be read, or when called from inside `f`.
    fn with_plan<R>(
        &self,
        f: impl FnOnce(&DataPlan, &dyn Fn(u16) -> Option<Value<'a>>, &mut Memo) -> R,
    ) -> Option<R> {
        let chunk = self.chunk;
        let value = |values: &[Val], i: u16| values.get(usize::from(i)).map(|v| v.value(chunk));
        let mut nested = self.nested.try_borrow_mut().ok()?;
        let Nested {
            templates,
            user_roots,
            values,
            read,
            memo,
        } = &mut *nested;
        let Some(index) = self.plan.fragment else {
            return Some(f(self.plan, &|i| value(self.values, i), memo));
        };
        // `EventData`/`UserData` come as an embedded instance: read it now.
        let fragment = self.values.get(usize::from(index))?;
        if fragment.ty != value_type::BINXML || fragment.size == 0 {
            return None;
        }
        // The element inside `UserData`, or the data part itself: planned apart, as one
        // definition could be read either way.
        let in_user_data = self.plan.fragment_in_user_data;
        let (plans, make): (_, MakeDataPlan) = if in_user_data {
            (user_roots, plan_user_root_template)
        } else {
            (templates, plan_data_template)
        };
        let inner = match *read {
            Some((at, def, user)) if at == fragment.at && user == in_user_data => {
                plans.get(&def)?.plan.as_ref()?
            }
            _ => {
                *read = None;
                let def = read_instance(chunk, fragment.at, usize::from(fragment.size), values)?;
                let plan = plan_for(chunk, def, plans, make, self.trusted)?;
                *read = Some((fragment.at, def, in_user_data));
                plan
            }
        };
        Some(f(inner, &|i| value(values, i), memo))
    }
}

impl Peek<'_> {
    /// The names of the data fields the record's template is known to hold (for tests).
    #[doc(hidden)]
    pub fn data_names(&self) -> Vec<String> {
        self.data
            .with_plan(|plan, _, _| plan.fields.iter().map(|f| f.name.to_string()).collect())
            .unwrap_or_default()
    }

    /// The value of a `System` field as rendering gives it: `Some(None)` when the record has
    /// none, `None` when the peek cannot tell.
    pub(crate) fn system_value(&self, field: SystemField) -> Option<Option<FieldValue>> {
        let plan = self.system;
        let field = match field {
            SystemField::RecordId => &plan.record_id,
            SystemField::Level => &plan.level,
            SystemField::ActivityId => &plan.activity_id,
            SystemField::UserId => &plan.user_id,
        };
        let chunk = self.data.chunk;
        match source(field, self.data.values)? {
            Source::Absent => Some(None),
            Source::Static(text) => Some(Some(FieldValue::Str(text.to_string()))),
            Source::Value(val) => val.value(chunk).field_value().map(Some),
        }
    }

    /// Every data field of the record in document order, as normalization names them; `None`
    /// when the peek cannot tell them all (see [`DataPlan::all`]). A list the keyword searches
    /// decoded for this record is handed over rather than decoded again.
    pub(crate) fn all_data(&self) -> Option<DataFields> {
        let record = self.data.record;
        self.data
            .with_plan(|plan, value, memo| {
                memo.start(record);
                memo.all.take().unwrap_or_else(|| plan.all(value))
            })
            .flatten()
    }

    /// True when [`Peek::all_data`] would tell every data field, judged without decoding them.
    pub(crate) fn builds_data(&self) -> bool {
        self.survey().builds
    }

    /// What a walk over the record's data fields tells ([`DataPlan::survey`]), walked once per
    /// record: judging asks whether the event fits its bounds, and building its header then
    /// whether it would build.
    fn survey(&self) -> Survey {
        let record = self.data.record;
        self.data
            .with_plan(|plan, value, memo| {
                memo.start(record);
                *memo.survey.get_or_insert_with(|| plan.survey(value))
            })
            .unwrap_or_default()
    }

    /// Calls `f` with every data field of the record (see [`Peek::all_data`]), decoded once
    /// per record: the keyword searches of several rules, then the event's building, read the
    /// same list.
    fn with_all_data<R>(&self, f: impl FnOnce(&[(Arc<str>, FieldValue)]) -> R) -> Option<R> {
        let record = self.data.record;
        self.data
            .with_plan(|plan, value, memo| {
                memo.start(record);
                if memo.all.is_none() {
                    memo.all = Some(plan.all(value));
                }
                memo.all.as_ref()?.as_deref().map(f)
            })
            .flatten()
    }

    /// The event's time as normalization gives it: `TimeCreated`, else the header's.
    pub fn time(&self) -> DateTime<Utc> {
        self.time_created.unwrap_or(self.header_time)
    }

    /// What a file's account counts of this record, read no further than this peek.
    pub(crate) fn unrendered(&self, record_id: u64) -> Unrendered<'_> {
        Unrendered {
            computer: &self.computer,
            channel: &self.channel,
            time: self.time(),
            record_id,
        }
    }

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

/// A record read only as far as its header and peek (not rendered).
pub(crate) struct Unrendered<'a> {
    /// Its `Computer`.
    pub computer: &'a PeekText,
    /// Its channel.
    pub channel: &'a PeekText,
    /// Its time (`TimeCreated`, else the header's).
    pub time: DateTime<Utc>,
    /// Its record id.
    pub record_id: u64,
}

/// Text of a peeked field: literal text of the template, or a substitution value decoded once
/// per chunk (records of a chunk mostly repeat their channel, provider and computer).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PeekText(Option<Arc<str>>);

impl PeekText {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_deref().unwrap_or_default()
    }

    /// The text, shared (an empty text is a fresh, empty `Arc`).
    pub fn shared(&self) -> Arc<str> {
        self.0.clone().unwrap_or_else(|| Arc::from(""))
    }

    /// The characters of the text.
    pub fn chars(&self) -> impl Iterator<Item = char> + '_ {
        self.as_str().chars()
    }

    /// True when the text is empty.
    pub fn is_empty(&self) -> bool {
        self.as_str().is_empty()
    }

    /// True when the text equals `other`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, other: &str) -> bool {
        self.as_str().eq_ignore_ascii_case(other)
    }
}

impl PartialEq<str> for PeekText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for PeekText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for PeekText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PeekText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Texts decoded from UTF-16 substitution values in this chunk, by their bytes.
#[derive(Debug, Default)]
struct Texts(Vec<(Box<[u8]>, Arc<str>)>);

/// At most this many decoded texts are remembered per chunk.
const MAX_TEXTS: usize = 16;

impl Texts {
    /// The text of UTF-16LE `units` (no NUL); `None` when they are not valid UTF-16 (the
    /// renderer's business).
    fn get(&mut self, units: &[u8]) -> Option<Arc<str>> {
        if let Some((_, text)) = self.0.iter().find(|(b, _)| **b == *units) {
            return Some(Arc::clone(text));
        }
        let text: Arc<str> = decode_utf16(units)?.into();
        if self.0.len() >= MAX_TEXTS {
            self.0.remove(0);
        }
        self.0.push((units.into(), Arc::clone(&text)));
        Some(text)
    }
}

/// Per-chunk memory of template plans for [`peek`]. Create one per reader (the `evtx` parser
/// clones the `serialized_records` closure, and with it the cache, for every chunk). It forgets
/// everything when a record of another chunk comes along, and checks a cached template's bytes
/// on every use, so a stale plan is never applied; a cache made for one chunk only
/// (`for_one_chunk`) skips that check, as the chunk's bytes cannot change under it.
#[derive(Debug, Default)]
pub struct PeekCache {
    chunk: Option<ChunkKey>,
    /// Plans by template definition offset; `None` for templates the peek cannot read.
    templates: HashMap<u32, Entry<Plan>>,
    /// Scratch: the current record's substitution values.
    values: Vec<Val>,
    /// The data part when it comes as an embedded instance, read only when asked for, and the
    /// record's memo (a [`Peek`] holds it in a cell: rules ask it for fields through a shared
    /// borrow, one after another).
    nested: Nested,
    texts: Texts,
    /// Serves one chunk only (see [`PeekCache::for_one_chunk`]).
    one_chunk: bool,
}

/// A clone starts empty: the cache is only memory, and each chunk fills its own.
impl Clone for PeekCache {
    fn clone(&self) -> Self {
        PeekCache {
            one_chunk: self.one_chunk,
            ..PeekCache::default()
        }
    }
}

impl PeekCache {
    /// A cache for the records of one chunk only: a cached template is then not checked
    /// against the chunk's bytes on every use (they cannot have changed).
    pub(crate) fn for_one_chunk() -> Self {
        PeekCache {
            one_chunk: true,
            ..PeekCache::default()
        }
    }
}

/// Plans a data template: [`plan_data_template`] or [`plan_user_root_template`].
type MakeDataPlan = fn(&[u8], u32) -> Option<DataPlan>;

/// Plans of the templates of embedded `EventData`/`UserData` instances, and the values of the
/// one read last.
#[derive(Debug, Clone, Default)]
struct Nested {
    templates: HashMap<u32, Entry<DataPlan>>,
    /// Plans of the templates of elements inside `UserData`.
    user_roots: HashMap<u32, Entry<DataPlan>>,
    values: Vec<Val>,
    /// Where the instance read last is, its definition, and whether it was read as the
    /// element inside `UserData` (a record's fields are asked for one after another).
    read: Option<(usize, u32, bool)>,
    memo: Memo,
}

/// Every data field of a record, named as normalization names them.
type DataFields = Vec<(Arc<str>, FieldValue)>;

/// The data values of one record decoded so far, by field index.
#[derive(Debug, Clone, Default)]
struct Memo {
    /// The record (the offset of its BinXML in the chunk).
    record: Option<usize>,
    values: Vec<(usize, Option<FieldValue>)>,
    /// Every data field, once asked for: `Some(None)` when the peek cannot tell them.
    all: Option<Option<DataFields>>,
    /// What a walk over the fields told, once asked for.
    survey: Option<Survey>,
    /// Scratch room for the folded texts a keyword search looks through
    /// ([`DataPlan::rules_out`]); not the record's, kept only to be reused.
    folded: Vec<u8>,
}

impl Memo {
    /// Forgets what it holds when `record` is another record than the one it holds.
    fn start(&mut self, record: usize) {
        if self.record != Some(record) {
            self.record = Some(record);
            self.values.clear();
            self.all = None;
            self.survey = None;
        }
    }
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
struct Entry<P> {
    /// The definition's header and body as they were when planned.
    bytes: Box<[u8]>,
    plan: Option<P>,
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

    /// The value, with its bytes in the chunk `data`.
    fn value<'a>(&self, data: &'a [u8]) -> Value<'a> {
        Value {
            ty: self.ty,
            bytes: self.bytes(data),
        }
    }

    /// Null as a DependencyId sees it (an empty fragment becomes Null in `evtx`).
    fn is_null(&self) -> bool {
        self.ty == value_type::NULL || (self.ty == value_type::BINXML && self.size == 0)
    }
}

/// Peeks at `record`'s header fields without rendering it; `None` when unsure (the caller
/// then renders the record). Never panics, whatever the bytes.
pub fn peek<'a: 'c, 'c>(record: &EvtxRecord<'a>, cache: &'c mut PeekCache) -> Option<Peek<'c>> {
    let mut peek = peek_chunk(
        record.chunk,
        record.binxml_offset,
        record.binxml_size,
        cache,
    )?;
    peek.header_time = record_time(record.timestamp);
    Some(peek)
}

/// [`peek`] at the record whose BinXML stream is `len` bytes at `offset` of `chunk`; its
/// header time is left at the epoch.
pub(crate) fn peek_chunk<'a: 'c, 'c>(
    chunk: &EvtxChunk<'a>,
    offset: u64,
    len: u32,
    cache: &'c mut PeekCache,
) -> Option<Peek<'c>> {
    peek_bytes(chunk.data, ChunkKey::of(chunk), offset, len, cache)
}

/// [`peek`] over a chunk's bytes: the record's BinXML stream is `len` bytes at `offset`.
pub(crate) fn peek_bytes<'a>(
    data: &'a [u8],
    key: ChunkKey,
    offset: u64,
    len: u32,
    cache: &'a mut PeekCache,
) -> Option<Peek<'a>> {
    let PeekCache {
        chunk,
        templates,
        values,
        nested,
        texts,
        one_chunk,
    } = cache;
    let inner = &mut *nested;
    if *chunk != Some(key)
        || templates.len() > MAX_TEMPLATES
        || inner.templates.len() > MAX_TEMPLATES
        || inner.user_roots.len() > MAX_TEMPLATES
    {
        *chunk = Some(key);
        templates.clear();
        texts.0.clear();
        inner.templates.clear();
        inner.user_roots.clear();
        inner.read = None;
        inner.memo = Memo::default();
    }
    let start = usize::try_from(offset).ok()?;
    let def = read_instance(data, start, usize::try_from(len).ok()?, values)?;
    let plan = plan_for(data, def, templates, plan_template, *one_chunk)?;
    let instance = DataView {
        plan: &plan.data,
        values,
        chunk: data,
        nested: RefCell::new(nested),
        trusted: *one_chunk,
        record: start,
    };
    evaluate(plan, instance, texts)
}

/// Reads the one template instance that a BinXML stream of `len` bytes at `start` holds
/// (optionally after a fragment header, evtx's single-instance shape), its values into `out`;
/// returns the offset of the template definition. Only EOF (or nothing) may follow.
///
/// Not `evtx::EvtxRecord::template_instances`: that decodes every value into a `BinXmlValue`
/// in a new `Vec` per record, where the peek only locates them and decodes the few it reads.
fn read_instance(data: &[u8], start: usize, len: usize, out: &mut Vec<Val>) -> Option<u32> {
    let stream = data.get(start..start.checked_add(len)?)?;
    let skip = match stream {
        [
            token::FRAGMENT_HEADER,
            _,
            _,
            _,
            token::TEMPLATE_INSTANCE,
            _,
            ..,
        ] => 5,
        [token::TEMPLATE_INSTANCE, ..] => 1,
        _ => return None,
    };
    let mut cur = Cursor::new(data, start + skip);
    cur.u8()?; // the byte after the token (always 1)
    cur.u32()?; // template id
    let def = cur.u32()?;
    if usize::try_from(def).ok()? == cur.pos {
        // The definition is written here: skip it.
        let size = template_body_size(cur.array::<TEMPLATE_HEADER_SIZE>()?);
        cur.take(usize::try_from(size).ok()?)?;
    }
    read_values(&mut cur, out)?;
    match stream.get(cur.pos - start..)? {
        [] | [token::EOF, ..] => Some(def),
        _ => None,
    }
}

/// The cached plan (made by `make`) for the definition at `def`, checked against the chunk's
/// bytes unless `trusted` (a cache of one chunk).
fn plan_for<'c, P>(
    data: &[u8],
    def: u32,
    templates: &'c mut HashMap<u32, Entry<P>>,
    make: fn(&[u8], u32) -> Option<P>,
    trusted: bool,
) -> Option<&'c P> {
    let entry = match templates.entry(def) {
        MapEntry::Occupied(known) if trusted => return known.into_mut().plan.as_ref(),
        entry => entry,
    };
    let at = usize::try_from(def).ok()?;
    let header = data.get(at..at.checked_add(TEMPLATE_HEADER_SIZE)?)?;
    let size = template_body_size(header.try_into().ok()?);
    let end = at
        .checked_add(TEMPLATE_HEADER_SIZE)?
        .checked_add(usize::try_from(size).ok()?)?;
    let bytes = data.get(at..end)?;
    let fresh = || Entry {
        bytes: bytes.into(),
        plan: make(data, def),
    };
    let entry = match entry {
        MapEntry::Occupied(known) if *known.get().bytes == *bytes => known.into_mut(),
        MapEntry::Occupied(mut stale) => {
            stale.insert(fresh());
            stale.into_mut()
        }
        MapEntry::Vacant(place) => place.insert(fresh()),
    };
    entry.plan.as_ref()
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
    use value_type::*;
    let n = bytes.len();
    match split_array_flag(ty) {
        (STRING, true) => n == 0 || (n.is_multiple_of(2) && bytes.ends_with(&[0, 0])),
        (ANSI_STRING, true) => true,
        (element, true) => fixed_size(element).is_some_and(|size| n.is_multiple_of(size)),
        (NULL | ANSI_STRING | BINARY | BINXML, false) => true,
        (STRING, false) => n.is_multiple_of(2),
        (SIZE_T, false) => n == 4 || n == 8,
        (SID, false) => bytes.get(1).is_some_and(|&k| n == 8 + 4 * usize::from(k)),
        (ty, false) => fixed_size(ty) == Some(n),
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
fn text(source: Source<'_>, data: &[u8], texts: &mut Texts) -> Option<PeekText> {
    Some(PeekText(match source {
        Source::Absent => None,
        Source::Static(text) => Some(Arc::clone(text)),
        Source::Value(val) if val.ty == value_type::STRING => {
            let units = until_nul(val.bytes(data));
            // An empty string renders as "" or not at all: both normalize to empty.
            if units.is_empty() {
                None
            } else {
                // Unpaired surrogates: leave those to the renderer.
                Some(texts.get(units)?)
            }
        }
        Source::Value(_) => return None,
    }))
}

/// `TimeCreated/@SystemTime` as normalization reads it: a FILETIME value renders with 100 ns
/// digits and parses back exactly. The outer `None` is "cannot tell" (other types, literal text,
/// years past 9999 that the renderer wraps); the inner one is "absent".
fn time(source: Source<'_>, data: &[u8]) -> Option<Option<DateTime<Utc>>> {
    match source {
        Source::Absent => Some(None),
        Source::Static(_) => None,
        Source::Value(val) if val.ty == value_type::FILETIME => {
            let time = filetime_to_utc(u64::from_le_bytes(val.bytes(data).try_into().ok()?))?;
            (chrono::Datelike::year(&time) <= 9999).then_some(Some(time))
        }
        Source::Value(_) => None,
    }
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
            use value_type::*;
            match (val.ty, b) {
                (UINT8, &[x]) => Some(Some(u64::from(x))),
                (UINT16, &[a, b]) => Some(Some(u64::from(u16::from_le_bytes([a, b])))),
                (UINT32, &[a, b, c, d]) => Some(Some(u64::from(u32::from_le_bytes([a, b, c, d])))),
                (UINT64, b) => Some(Some(u64::from_le_bytes(b.try_into().ok()?))),
                (STRING, b) => Some(parse(&decode_utf16(until_nul(b))?)),
                _ => None,
            }
        }
    }
}

/// Applies `plan` to an `instance` of it (whose data view is the plan's data plan).
fn evaluate<'a>(plan: &'a Plan, instance: DataView<'a>, texts: &mut Texts) -> Option<Peek<'a>> {
    let (data, values) = (instance.chunk, instance.values);
    if left_out(plan.system_dep, values) {
        return None; // no System: the record does not normalize
    }
    for guard in &plan.guards {
        if let Some(val) = values.get(usize::from(guard.index)) {
            let fragment = val.ty == value_type::BINXML && val.size > 0;
            // Arrays repeat elements, fragments add them, handles and event XML do not render.
            if split_array_flag(val.ty).1
                || matches!(val.ty, value_type::EVT_HANDLE | value_type::EVT_XML)
                || (fragment && !guard.allow_fragment)
            {
                return None;
            }
        }
    }
    let id = number(source(&plan.event_id, values)?, data)??;
    let qualifiers = number(source(&plan.qualifiers, values)?, data)?.map(|q| q as u16);
    let event_source = text(source(&plan.event_source, values)?, data, texts)?;
    Some(Peek {
        provider: text(source(&plan.provider, values)?, data, texts)?,
        event_source: (!event_source.is_empty()).then_some(event_source),
        event_id: (id & 0xFFFF) as u16,
        qualifiers: qualifiers.or_else(|| (id > 0xFFFF).then_some((id >> 16) as u16)),
        channel: text(source(&plan.channel, values)?, data, texts)?,
        computer: text(source(&plan.computer, values)?, data, texts)?,
        header_time: DateTime::<Utc>::default(),
        time_created: time(source(&plan.time_created, values)?, data)?,
        data: instance,
        system: plan,
    })
}

#[cfg(test)]
#[path = "peek_tests.rs"]
mod tests;
