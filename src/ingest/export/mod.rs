//! Event exports as input: XML (`wevtutil qe /f:xml`, Event Viewer's "Save as
//! XML") and JSON (`evtx_dump -o jsonl` / `-o json`, Chainsaw `--json`
//! documents).
//!
//! Both become the same [`Event`] as an EVTX record, through the same
//! normalizer ([`event::from_json_bytes`]):
//!
//! - An XML `<Event>` is turned into the JSON shape the `evtx` crate renders
//!   (attributes under `#attributes`, text under `#text`, named `Data` as
//!   fields, unnamed `Data` as a list) and normalized from there. XML holds
//!   only text, so the typed `System` parts (event id, qualifiers, level,
//!   record id, time) come out as numbers exactly as from EVTX, while data
//!   fields stay text (`"3"` where EVTX gives the number `3`). Rules still
//!   match: they compare text case-insensitively and numbers through
//!   [`FieldValue::as_i64`](crate::event::FieldValue::as_i64), which reads
//!   decimal and `0x` text.
//! - A JSON record is the `evtx` crate's rendering already; records rendered
//!   with separate attributes (`Name_attributes`, as Chainsaw and
//!   `evtx_dump --separate-json-attributes` write them) are folded back first.
//!
//! The producer thread splits a file into batches (XML parsed there, as XML
//! cannot be split without parsing; JSON records only cut into lines), the
//! worker threads normalize and map them. Memory stays bounded: a batch holds
//! at most [`BATCH_RECORDS`] records and one record at most [`MAX_RECORD`] bytes.

use super::chunk::ChunkOutput;
use super::evtx_file::Work;
use super::json_array::{Element as ArrayElement, Elements};
use super::open::strip_bom;
use super::stats::FileStats;
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::{self, Event, RecordOrigin};
use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event as Xml};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Records per batch handed to the workers.
pub const BATCH_RECORDS: usize = 256;
/// The largest record (one JSON line, or one XML `<Event>`) read: 16 MiB.
pub const MAX_RECORD: usize = 16 << 20;
/// Deeper XML than this inside one `<Event>` is not an event.
const MAX_DEPTH: usize = 64;
/// After this many XML syntax errors in a row the rest of a file is skipped.
const MAX_XML_ERRORS: usize = 100;

/// One JSON record to normalize, with where it starts.
pub(crate) struct JsonItem {
    /// The line it starts on (JSON Lines, `evtx_dump -o json`), or its
    /// position in the array (1-based).
    pub place: Place,
    /// The record's JSON text.
    pub body: Vec<u8>,
}

/// Where a record is in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// Starts on this line.
    Line(u64),
    /// The n-th element of a JSON array.
    Element(u64),
}

fn problem(path: &Path, place: Place, kind: ProblemKind, message: impl Into<String>) -> Problem {
    let mut p = Problem::file(kind, path, message.into());
    match place {
        Place::Line(line) => p.line_col = Some((line as usize, 1)),
        Place::Element(n) => p.message = format!("array element {n}: {}", p.message),
    }
    p
}

fn note(stats: FileStats, problem: Option<Problem>) -> Work {
    let mut diagnostics = Diagnostics::default();
    diagnostics.extend(Diagnostics {
        problems: problem.into_iter().collect(),
    });
    Work::Note {
        stats: Box::new(stats),
        diagnostics,
    }
}

/// The note of one record that could not be read, and why.
fn unreadable(problem: Problem) -> Work {
    let stats = FileStats {
        records_unreadable: 1,
        ..FileStats::default()
    };
    note(stats, Some(problem))
}

// ---------------------------------------------------------------- JSON

/// Splits a JSON export into batches of records: a JSON array element by
/// element, anything else line by line (JSON Lines; `evtx_dump -o json`
/// records, each after a `Record N` line, are joined first).
pub(crate) fn split_json(data: impl Read, path: &Path, emit: &mut dyn FnMut(Work)) {
    let mut reader = BufReader::with_capacity(1 << 16, data);
    let first = match first_significant_byte(&mut reader) {
        Ok(b) => b,
        Err(err) => {
            emit(failed(path, format!("cannot read: {err}")));
            return;
        }
    };
    if first == Some(b'[') {
        split_json_array(reader, path, emit);
    } else {
        split_json_lines(reader, path, emit);
    }
}

fn failed(path: &Path, message: String) -> Work {
    let stats = FileStats {
        failed: Some(message.clone()),
        ..FileStats::default()
    };
    note(
        stats,
        Some(Problem::file(ProblemKind::Unreadable, path, message)),
    )
}

/// The first byte after a byte order mark and white space, without consuming it.
fn first_significant_byte(reader: &mut impl BufRead) -> std::io::Result<Option<u8>> {
    let mut at_start = true;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if at_start && buf.len() >= 3 && buf.starts_with(b"\xEF\xBB\xBF") {
            reader.consume(3);
            at_start = false;
            continue;
        }
        at_start = false;
        let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if ws < buf.len() {
            let b = buf[ws];
            reader.consume(ws);
            return Ok(Some(b));
        }
        let n = buf.len();
        reader.consume(n);
    }
}

/// One line, at most `cap` bytes kept: `Ok(None)` at the end, `Ok(Some(None))`
/// for a line that was too long (its rest is skipped).
fn read_line_capped(
    reader: &mut impl BufRead,
    cap: usize,
) -> std::io::Result<Option<Option<Vec<u8>>>> {
    let mut line = Vec::new();
    let mut too_long = false;
    let mut any = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, true),
            None => (buf.len(), false),
        };
        if !too_long {
            if line.len() + take > cap + 1 {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&buf[..take]);
            }
        }
        reader.consume(take);
        if done {
            break;
        }
    }
    Ok(match (any, too_long) {
        (false, _) => None,
        (true, true) => Some(None),
        (true, false) => Some(Some(line)),
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let end = bytes.len()
        - bytes[start..]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    &bytes[start..end]
}

/// `Record 12` as `evtx_dump -o json` writes it before each record.
fn is_record_header(line: &[u8]) -> bool {
    line.strip_prefix(b"Record ")
        .is_some_and(|n| !n.is_empty() && n.iter().all(u8::is_ascii_digit))
}

/// Collects items and hands them on in batches.
struct Batcher<'a> {
    items: Vec<JsonItem>,
    bytes: usize,
    emit: &'a mut dyn FnMut(Work),
}

impl Batcher<'_> {
    fn push(&mut self, item: JsonItem) {
        self.bytes += item.body.len();
        self.items.push(item);
        if self.items.len() >= BATCH_RECORDS || self.bytes >= 4 << 20 {
            self.flush();
        }
    }
    fn flush(&mut self) {
        if !self.items.is_empty() {
            self.bytes = 0;
            (self.emit)(Work::Json(std::mem::take(&mut self.items)));
        }
    }
}

fn split_json_lines(mut reader: impl BufRead, path: &Path, emit: &mut dyn FnMut(Work)) {
    let mut notes: Vec<Work> = Vec::new();
    let mut batch = Batcher {
        items: Vec::new(),
        bytes: 0,
        emit,
    };
    let mut line_no = 0u64;
    // `evtx_dump -o json`: the record being joined, from the line after its header.
    let mut pending: Option<(u64, Vec<u8>)> = None;
    loop {
        let line = match read_line_capped(&mut reader, MAX_RECORD) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(err) => {
                let p = problem(
                    path,
                    Place::Line(line_no + 1),
                    ProblemKind::Unreadable,
                    format!("reading stopped: {err}"),
                );
                notes.push(note(FileStats::default(), Some(p)));
                break;
            }
        };
        line_no += 1;
        let Some(line) = line else {
            let p = problem(
                path,
                Place::Line(line_no),
                ProblemKind::BadRecord,
                format!("line longer than {} MiB, skipped", MAX_RECORD >> 20),
            );
            notes.push(unreadable(p));
            continue;
        };
        let text = trim(if line_no == 1 {
            strip_bom(&line)
        } else {
            &line
        });
        if is_record_header(text) {
            if let Some((at, body)) = pending.take() {
                batch.push(JsonItem {
                    place: Place::Line(at),
                    body,
                });
            }
            pending = Some((line_no + 1, Vec::new()));
        } else if let Some((at, body)) = &mut pending {
            if body.len() + text.len() > MAX_RECORD {
                let p = problem(
                    path,
                    Place::Line(*at),
                    ProblemKind::BadRecord,
                    format!("record longer than {} MiB, skipped", MAX_RECORD >> 20),
                );
                notes.push(unreadable(p));
                pending = None;
            } else {
                body.extend_from_slice(text);
                body.push(b'\n');
            }
        } else if !text.is_empty() {
            batch.push(JsonItem {
                place: Place::Line(line_no),
                body: text.to_vec(),
            });
        }
        // Notes go out in order with the records around them.
        if !notes.is_empty() {
            batch.flush();
            for n in notes.drain(..) {
                (batch.emit)(n);
            }
        }
    }
    if let Some((at, body)) = pending.take() {
        batch.push(JsonItem {
            place: Place::Line(at),
            body,
        });
    }
    batch.flush();
    for n in notes {
        (batch.emit)(n);
    }
}

fn split_json_array(reader: impl BufRead, path: &Path, emit: &mut dyn FnMut(Work)) {
    let mut batch = Batcher {
        items: Vec::new(),
        bytes: 0,
        emit,
    };
    let mut elements = Elements::new(reader, MAX_RECORD);
    let mut n = 0;
    let mut notes = Vec::new();
    loop {
        match elements.next_element() {
            Ok(Some(ArrayElement::Bytes(bytes))) => {
                n += 1;
                batch.push(JsonItem {
                    place: Place::Element(n),
                    body: bytes,
                });
            }
            Ok(Some(ArrayElement::TooLarge(size))) => {
                n += 1;
                let message = format!(
                    "the element takes {size} bytes, more than the {} MiB a record may: skipped",
                    MAX_RECORD >> 20
                );
                let p = problem(path, Place::Element(n), ProblemKind::BadRecord, message);
                notes.push(unreadable(p));
            }
            Ok(None) => break,
            Err(err) => {
                let message = format!("JSON array unreadable after element {n}: {err}");
                let mut p = Problem::file(ProblemKind::BadRecord, path, message);
                p.line_col = Some(elements.position());
                notes.push(unreadable(p));
                break;
            }
        }
    }
    batch.flush();
    for n in notes {
        (batch.emit)(n);
    }
}

/// Normalizes and maps a batch of JSON records (on a worker thread).
pub(crate) fn read_json<T>(
    items: Vec<JsonItem>,
    path: &Arc<Path>,
    map: &(dyn Fn(Event) -> Option<T> + Sync),
) -> ChunkOutput<T> {
    let mut out = ChunkOutput::new();
    for item in items {
        match json_event(item.body, path) {
            Ok(event) => out.accept(event, map),
            Err(message) => {
                out.stats.records_unreadable += 1;
                out.diagnostics
                    .push(problem(path, item.place, ProblemKind::BadEvent, message));
            }
        }
    }
    out
}

fn origin(path: &Arc<Path>) -> RecordOrigin<'_> {
    RecordOrigin {
        record_id: 0,
        time: DateTime::<Utc>::UNIX_EPOCH,
        source: path,
        recovered: false,
    }
}

/// An export has no record header to fall back on: a record without its time
/// is not an event.
fn timed(event: Event) -> Result<Event, String> {
    if event.time == DateTime::<Utc>::UNIX_EPOCH {
        Err("record has no usable System/TimeCreated/@SystemTime".into())
    } else {
        Ok(event)
    }
}

fn json_event(text: Vec<u8>, path: &Arc<Path>) -> Result<Event, String> {
    // The fast path: the evtx crate's own rendering. A record without a time
    // there may have its attributes rendered apart: fold them back.
    let value = match event::from_json_bytes(&text, &origin(path)) {
        Ok(event) if event.time != DateTime::<Utc>::UNIX_EPOCH => return Ok(event),
        _ => serde_json::from_slice::<Value>(&text).map_err(|e| format!("not JSON: {e}"))?,
    };
    if value.get("Event").is_none() && event::looks_like_event_line(&value) {
        return event::from_event_line(value, path)
            .map_err(|e| format!("not a `dropcause events` line: {e}"));
    }
    let mut root = locate_event(value)?;
    fold_attributes(&mut root);
    let event = event::from_json(&root, 0, DateTime::<Utc>::UNIX_EPOCH, path, false)
        .map_err(|e| e.to_string())?;
    timed(event)
}

/// Finds `{"Event": ...}` in a record: the record itself, or a Chainsaw
/// document's `document.data`.
fn locate_event(value: Value) -> Result<Value, String> {
    if value.get("Event").is_some() {
        return Ok(value);
    }
    if let Some(data) = value
        .pointer("/document/data")
        .filter(|d| d.get("Event").is_some())
    {
        return Ok(data.clone());
    }
    if value.get("RuleTitle").is_some() && value.get("Timestamp").is_some() {
        return Err(
            "a Hayabusa detection, not an event record: Hayabusa keeps a summary of each \
                    event, not the record (see docs/inputs.md)"
                .into(),
        );
    }
    Err("not an event record: no `Event` object (nor a Chainsaw `document.data.Event`)".into())
}

/// Folds attributes rendered apart (`"Provider_attributes": {...}`) back into
/// their element as `#attributes`, as the `evtx` crate renders them by default.
fn fold_attributes(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map
                .keys()
                .filter(|k| k.ends_with("_attributes"))
                .cloned()
                .collect();
            for key in keys {
                let Some(attrs) = map.remove(&key) else {
                    continue;
                };
                let base = key.trim_end_matches("_attributes").to_string();
                let element = match map.remove(&base) {
                    Some(Value::Object(inner)) => inner,
                    None | Some(Value::Null) => Map::new(),
                    Some(text) => Map::from_iter([("#text".to_string(), text)]),
                };
                let mut element = element;
                element.insert("#attributes".into(), attrs);
                map.insert(base, Value::Object(element));
            }
            for v in map.values_mut() {
                fold_attributes(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(fold_attributes),
        _ => {}
    }
}

// ---------------------------------------------------------------- XML

/// Counts the lines a reader has handed on, so that XML problems can name
/// their line (quick-xml consumes exactly up to the end of each event).
struct Lines<R> {
    inner: R,
    line: u64,
}

impl<R: Read> Read for Lines<R>
where
    R: BufRead,
{
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.line += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amt = amt.min(buf.len());
            self.line += memchr::memchr_iter(b'\n', &buf[..amt]).count() as u64;
        }
        self.inner.consume(amt);
    }
}

/// An XML element of an event: local name, attributes, text, children.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

/// Splits an XML export into batches of normalized events (parsed here, on the
/// producer thread): every `<Event>` element, at any depth (a bare sequence as
/// `wevtutil qe` prints it, or inside `<Events>`).
pub(crate) fn split_xml(data: impl Read, path: &Arc<Path>, emit: &mut dyn FnMut(Work)) {
    let lines = Lines {
        inner: BufReader::with_capacity(1 << 16, data),
        line: 1,
    };
    let mut reader = quick_xml::Reader::from_reader(lines);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut batch: Vec<Event> = Vec::new();
    let mut stats = FileStats::default();
    let mut diagnostics = Diagnostics::default();
    let mut seen = 0u64;
    let mut errors_in_a_row = 0;
    loop {
        buf.clear();
        let line = reader.get_ref().line;
        let before = reader.buffer_position();
        let read = reader.read_event_into(&mut buf);
        match read {
            Ok(Xml::Start(start)) if start.local_name().as_ref() == b"Event" => {
                seen += 1;
                errors_in_a_row = 0;
                let start = start.into_owned();
                match read_element(&mut reader, &start).and_then(|e| xml_event(&e, path)) {
                    Ok(event) => batch.push(event),
                    Err(message) => {
                        stats.records_unreadable += 1;
                        let mut p = Problem::file(
                            ProblemKind::BadEvent,
                            &**path,
                            format!("event {seen}: {message}"),
                        );
                        p.line_col = Some((line as usize, 1));
                        diagnostics.push(p);
                    }
                }
            }
            Ok(Xml::Empty(e)) if e.local_name().as_ref() == b"Event" => {
                seen += 1;
                stats.records_unreadable += 1;
                let mut p = Problem::file(
                    ProblemKind::BadEvent,
                    &**path,
                    format!("event {seen}: empty <Event/>"),
                );
                p.line_col = Some((line as usize, 1));
                diagnostics.push(p);
            }
            Ok(Xml::Eof) => break,
            Ok(_) => errors_in_a_row = 0,
            Err(err) => {
                errors_in_a_row += 1;
                let mut p = Problem::file(ProblemKind::BadRecord, &**path, format!("XML: {err}"));
                p.line_col = Some((reader.get_ref().line as usize, 1));
                diagnostics.push(p);
                if errors_in_a_row >= MAX_XML_ERRORS || reader.buffer_position() == before {
                    let mut p = Problem::file(
                        ProblemKind::BadRecord,
                        &**path,
                        "too many XML errors: the rest of the file is not read",
                    );
                    p.line_col = Some((reader.get_ref().line as usize, 1));
                    diagnostics.push(p);
                    break;
                }
            }
        }
        if batch.len() >= BATCH_RECORDS || !diagnostics.is_empty() {
            flush_xml(&mut batch, &mut stats, &mut diagnostics, emit);
        }
    }
    if seen == 0 {
        let message = "no <Event> element found: not an event export".to_string();
        stats.failed = Some(message.clone());
        diagnostics.push(Problem::file(ProblemKind::NotEvtx, &**path, message));
    }
    flush_xml(&mut batch, &mut stats, &mut diagnostics, emit);
}

fn flush_xml(
    batch: &mut Vec<Event>,
    stats: &mut FileStats,
    diagnostics: &mut Diagnostics,
    emit: &mut dyn FnMut(Work),
) {
    if !batch.is_empty() {
        emit(Work::Events(std::mem::take(batch)));
    }
    if !diagnostics.is_empty() || *stats != FileStats::default() {
        emit(Work::Note {
            stats: Box::new(std::mem::take(stats)),
            diagnostics: std::mem::take(diagnostics),
        });
    }
}

fn start_element(start: &BytesStart) -> Result<Element, String> {
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attributes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("<{name}>: bad attribute: {e}"))?;
        let key = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| format!("<{name} {key}>: {e}"))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

/// Reads the element `start` opened, to its end, as a tree (at most
/// [`MAX_RECORD`] bytes of text and [`MAX_DEPTH`] levels). On an error the
/// reader is left where it stopped.
fn read_element<R: BufRead>(
    reader: &mut quick_xml::Reader<R>,
    start: &BytesStart,
) -> Result<Element, String> {
    let mut stack = vec![start_element(start)?];
    let mut size = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("XML: {e}"))?;
        match event {
            Xml::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH} elements"));
                }
                stack.push(start_element(&e)?);
            }
            Xml::Empty(e) => {
                let child = start_element(&e)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(child);
                }
            }
            Xml::End(_) => {
                let done = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Xml::Text(t) => {
                let text = t.unescape().map_err(|e| format!("XML text: {e}"))?;
                size += text.len();
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&text);
                }
            }
            Xml::CData(t) => {
                size += t.len();
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Xml::Eof => return Err("the file ends inside the event".into()),
            _ => {}
        }
        if size > MAX_RECORD {
            return Err(format!("event larger than {} MiB", MAX_RECORD >> 20));
        }
    }
}

/// Normalizes one `<Event>` tree through the JSON shape the `evtx` crate renders.
fn xml_event(element: &Element, path: &Arc<Path>) -> Result<Event, String> {
    let mut json = Vec::with_capacity(1024);
    json.extend_from_slice(b"{\"Event\":{");
    let mut first = true;
    for child in &element.children {
        if !matches!(child.name.as_str(), "System" | "EventData" | "UserData") {
            continue;
        }
        if !first {
            json.push(b',');
        }
        first = false;
        write_key(&mut json, &child.name);
        if child.name == "EventData" {
            write_event_data(&mut json, child);
        } else {
            write_element(&mut json, child);
        }
    }
    json.extend_from_slice(b"}}");
    let event = event::from_json_bytes(&json, &origin(path)).map_err(|e| e.to_string())?;
    timed(event)
}

fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

fn write_text(out: &mut Vec<u8>, text: &str) {
    if text.is_empty() {
        out.extend_from_slice(b"null");
    } else {
        write_str(out, text);
    }
}

/// An element as the `evtx` crate renders it: bare text when it has neither
/// attributes nor children, else an object with `#attributes`, the children
/// (repeated names repeated) and `#text`.
fn write_element(out: &mut Vec<u8>, el: &Element) {
    if el.attributes.is_empty() && el.children.is_empty() {
        write_text(out, &el.text);
        return;
    }
    out.push(b'{');
    let mut first = true;
    let mut sep = |out: &mut Vec<u8>| {
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
    };
    if !el.attributes.is_empty() {
        sep(out);
        write_key(out, "#attributes");
        out.push(b'{');
        for (i, (k, v)) in el.attributes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_key(out, k);
            write_str(out, v);
        }
        out.push(b'}');
    }
    for child in &el.children {
        sep(out);
        write_key(out, &child.name);
        write_element(out, child);
    }
    let text = if el.children.is_empty() {
        el.text.as_str()
    } else {
        el.text.trim()
    };
    if !text.is_empty() {
        sep(out);
        write_key(out, "#text");
        write_str(out, text);
    }
    out.push(b'}');
}

/// `EventData`: named `Data` become fields, unnamed ones a list under `Data`,
/// other children (`Binary`) elements as usual.
fn write_event_data(out: &mut Vec<u8>, el: &Element) {
    out.push(b'{');
    let mut first = true;
    let mut unnamed: Vec<&str> = Vec::new();
    for child in &el.children {
        let name = (child.name == "Data")
            .then(|| {
                child
                    .attributes
                    .iter()
                    .find(|(k, _)| k == "Name")
                    .map(|(_, v)| v.as_str())
            })
            .flatten();
        if child.name == "Data" && name.is_none() {
            unnamed.push(&child.text);
            continue;
        }
        if !std::mem::take(&mut first) {
            out.push(b',');
        }
        match name {
            Some(name) => {
                write_key(out, name);
                write_text(out, &child.text);
            }
            None => {
                write_key(out, &child.name);
                write_element(out, child);
            }
        }
    }
    if !unnamed.is_empty() {
        if !first {
            out.push(b',');
        }
        write_key(out, "Data");
        out.push(b'[');
        for (i, text) in unnamed.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_text(out, text);
        }
        out.push(b']');
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FieldValue;
    use std::io::Cursor;

    fn data(text: &str) -> Cursor<Vec<u8>> {
        Cursor::new(text.as_bytes().to_vec())
    }

    /// Splits `text` and reads every piece of work as the workers would.
    fn read(text: &str, xml: bool) -> (Vec<Event>, FileStats, Diagnostics) {
        let path: Arc<Path> = Arc::from(Path::new("export"));
        let mut work = Vec::new();
        if xml {
            split_xml(data(text), &path, &mut |w| work.push(w));
        } else {
            split_json(data(text), &path, &mut |w| work.push(w));
        }
        let (mut events, mut stats, mut diagnostics) =
            (Vec::new(), FileStats::default(), Diagnostics::default());
        let keep = |e: Event| Some(e);
        for w in work {
            let out = match w {
                Work::Events(batch) => {
                    let mut out = ChunkOutput::new();
                    batch.into_iter().for_each(|e| out.accept(e, &keep));
                    out
                }
                Work::Json(items) => read_json(items, &path, &keep),
                Work::Note { stats, diagnostics } => ChunkOutput {
                    kept: Vec::new(),
                    stats: *stats,
                    diagnostics,
                },
                Work::Chunk { .. } => unreachable!("exports have no chunks"),
            };
            events.extend(out.kept);
            stats.absorb(out.stats);
            diagnostics.extend(out.diagnostics);
        }
        (events, stats, diagnostics)
    }

    const CLASSIC: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>
  <System>
    <Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/>
    <EventID Qualifiers='49152'>7031</EventID>
    <Level>2</Level>
    <TimeCreated SystemTime='2024-03-11T09:12:00.1234567Z'/>
    <EventRecordID>4711</EventRecordID>
    <Channel>System</Channel>
    <Computer>RDS01.corp.example</Computer>
    <Security/>
  </System>
  <EventData><Data>Remote Desktop Services</Data><Data>1</Data><Data></Data><Binary>5400</Binary></EventData>
  <RenderingInfo Culture='en-US'><Message>ignored</Message></RenderingInfo>
</Event>"#;

    #[test]
    fn a_classic_xml_event_keeps_typed_system_parts_and_unnamed_data() {
        let (events, stats, diags) = read(&format!("<Events>{CLASSIC}</Events>"), true);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(stats.records_read, 1);
        let e = &events[0];
        assert_eq!(
            (e.event_id, e.qualifiers, e.level),
            (7031, Some(49152), Some(2))
        );
        assert_eq!(e.record_id, 4711);
        assert_eq!(e.time.to_rfc3339(), "2024-03-11T09:12:00.123456700+00:00");
        assert_eq!(e.event_source.as_deref(), Some("Service Control Manager"));
        let names: Vec<_> = e.fields.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Binary", "param1", "param2", "param3"]);
        assert_eq!(e.fields.get("param2").and_then(FieldValue::as_i64), Some(1));
        assert_eq!(e.fields.get("param3"), Some(&FieldValue::Null));
    }

    #[test]
    fn user_data_and_entities_in_a_bare_wevtutil_sequence() {
        let ev = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-TerminalServices-LocalSessionManager"/><EventID>24</EventID><TimeCreated SystemTime="2024-03-11T09:12:00Z"/><EventRecordID>9</EventRecordID><Channel>Microsoft-Windows-TerminalServices-LocalSessionManager/Operational</Channel><Computer>RDS01</Computer></System><UserData><EventXML xmlns="Event_NS"><User>CORP\a&amp;b</User><SessionID>3</SessionID><Address>10.0.0.1</Address></EventXML></UserData></Event>"#;
        let (events, _, diags) = read(
            &format!(
                "{ev}
{ev}
"
            ),
            true,
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(events.len(), 2);
        let e = &events[0];
        assert_eq!(
            e.fields.get("User"),
            Some(&FieldValue::Str("CORP\\a&b".into()))
        );
        assert_eq!(
            e.fields.get("SessionID").and_then(FieldValue::as_i64),
            Some(3)
        );
    }

    #[test]
    fn evtx_dump_json_records_and_separate_attributes_are_read() {
        let text = "Record 1\n{\n  \"Event\": {\n    \"System\": {\"EventID\": 21, \"Channel\": \"c\", \"Computer\": \"H\",\n      \"TimeCreated\": {\"#attributes\": {\"SystemTime\": \"2024-03-11T09:12:00Z\"}}}\n  }\n}\nRecord 2\n{\"Event\": {\"System\": {\"EventID\": 22, \"EventRecordID\": 2, \"TimeCreated_attributes\": {\"SystemTime\": \"2024-03-11T09:13:00Z\"}, \"Provider_attributes\": {\"Name\": \"P\"}, \"EventID_attributes\": {\"Qualifiers\": 16384}}}}\n";
        let (events, stats, diags) = read(text, false);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(stats.records_read, 2);
        assert_eq!(events[0].event_id, 21);
        assert_eq!(events[0].computer, "H");
        assert_eq!(
            (events[1].event_id, events[1].qualifiers),
            (22, Some(16384))
        );
        assert_eq!(events[1].provider, "P");
        assert_eq!(events[1].time.to_rfc3339(), "2024-03-11T09:13:00+00:00");
    }

    #[test]
    fn broken_exports_never_panic_and_say_where() {
        for text in [
            "",
            "<",
            "<Event>",
            "<Event><System>",
            "[",
            "[{",
            "{",
            "}\n{]",
            "<Events><Event/></Events>",
            "<Event><System><EventID>x</EventID></System></Event>",
            "\u{feff}[1,",
        ] {
            for xml in [true, false] {
                let _ = read(text, xml);
            }
        }
        let (_, stats, diags) = read("{\"Event\":{}}\n\n{\"a\":1}\n", false);
        assert_eq!(stats.records_unreadable, 2);
        assert_eq!(diags.problems[0].line_col, Some((1, 1)));
        assert_eq!(diags.problems[1].line_col, Some((3, 1)));
    }
}
