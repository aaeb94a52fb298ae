//! JSON exports (`evtx_dump -o jsonl` / `-o json`, Chainsaw `--json`,
//! `dropcause events --format jsonl`): cut into records on the producer thread
//! (a JSON array element by element, anything else line by line), normalized
//! on the workers.

use super::super::chunk::{ChunkOutput, MapFn};
use super::super::json_array::{Element as ArrayElement, Elements};
use super::super::open::strip_bom;
use super::super::stats::FileStats;
use super::super::work::{self, JsonItem, Place, Work};
use super::{BATCH_RECORDS, MAX_RECORD, origin, problem, timed, unreadable};
use crate::diag::{Problem, ProblemKind};
use crate::event::{self, Event};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Splits a JSON export into batches of records: a JSON array element by
/// element, anything else line by line (JSON Lines; `evtx_dump -o json`
/// records, each after a `Record N` line, are joined first).
pub(crate) fn split(data: impl Read, path: &Path, emit: &mut dyn FnMut(Work)) {
    let mut reader = BufReader::with_capacity(1 << 16, data);
    let first = match first_significant_byte(&mut reader) {
        Ok(b) => b,
        Err(err) => {
            emit(work::failed(path, format!("cannot read: {err}")));
            return;
        }
    };
    if first == Some(b'[') {
        split_json_array(reader, path, emit);
    } else {
        split_json_lines(reader, path, emit);
    }
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

/// Reads JSON Lines, and `evtx_dump -o json` records (each joined from the
/// lines after its `Record N` header), into batches.
fn split_json_lines(reader: impl BufRead, path: &Path, emit: &mut dyn FnMut(Work)) {
    let mut lines = JsonLines {
        path,
        batch: Batcher {
            items: Vec::new(),
            bytes: 0,
            emit,
        },
        notes: Vec::new(),
        line_no: 0,
        pending: None,
    };
    lines.run(reader);
}

/// The state of [`split_json_lines`] between lines.
struct JsonLines<'a> {
    path: &'a Path,
    batch: Batcher<'a>,
    /// Notes about the lines since the last batch went out.
    notes: Vec<Work>,
    /// The line last read (1-based).
    line_no: u64,
    /// `evtx_dump -o json`: the record being joined, from the line after its header.
    pending: Option<(u64, Vec<u8>)>,
}

impl JsonLines<'_> {
    /// Reads every line, then hands on what is left.
    fn run(&mut self, mut reader: impl BufRead) {
        loop {
            let line = match read_line_capped(&mut reader, MAX_RECORD) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(err) => {
                    let p = problem(
                        self.path,
                        Place::Line(self.line_no + 1),
                        ProblemKind::Unreadable,
                        format!("reading stopped: {err}"),
                    );
                    self.notes.push(work::note(FileStats::default(), p));
                    break;
                }
            };
            self.line_no += 1;
            let Some(line) = line else {
                // Its note goes out with the next line's.
                self.too_long();
                continue;
            };
            self.take(&line);
            // Notes go out in order with the records around them.
            if !self.notes.is_empty() {
                self.send_notes();
            }
        }
        if let Some((at, body)) = self.pending.take() {
            self.batch.push(JsonItem {
                place: Place::Line(at),
                body,
            });
        }
        self.send_notes();
    }

    /// A line longer than a record may be: skipped, with a note.
    fn too_long(&mut self) {
        let p = problem(
            self.path,
            Place::Line(self.line_no),
            ProblemKind::BadRecord,
            format!("line longer than {} MiB, skipped", MAX_RECORD >> 20),
        );
        self.notes.push(unreadable(p));
    }

    /// One line: a record's header, a line of the record being joined, or a
    /// record of its own.
    fn take(&mut self, line: &[u8]) {
        let text = trim(if self.line_no == 1 {
            strip_bom(line)
        } else {
            line
        });
        if is_record_header(text) {
            if let Some((at, body)) = self.pending.take() {
                self.batch.push(JsonItem {
                    place: Place::Line(at),
                    body,
                });
            }
            self.pending = Some((self.line_no + 1, Vec::new()));
        } else if let Some((at, body)) = &mut self.pending {
            if body.len() + text.len() > MAX_RECORD {
                let p = problem(
                    self.path,
                    Place::Line(*at),
                    ProblemKind::BadRecord,
                    format!("record longer than {} MiB, skipped", MAX_RECORD >> 20),
                );
                self.notes.push(unreadable(p));
                self.pending = None;
            } else {
                body.extend_from_slice(text);
                body.push(b'\n');
            }
        } else if !text.is_empty() {
            self.batch.push(JsonItem {
                place: Place::Line(self.line_no),
                body: text.to_vec(),
            });
        }
    }

    /// Hands on the records batched so far, then the notes about them.
    fn send_notes(&mut self) {
        self.batch.flush();
        for n in self.notes.drain(..) {
            (self.batch.emit)(n);
        }
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
    map: &MapFn<'_, T>,
) -> ChunkOutput<T> {
    let mut out = ChunkOutput::new();
    for item in items {
        match json_event(item.body, path) {
            Ok(event) => out.accept(event, None, map),
            Err(message) => {
                out.stats.records_unreadable += 1;
                out.diagnostics
                    .push(problem(path, item.place, ProblemKind::BadEvent, message));
            }
        }
    }
    out
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
    let event = event::from_json(&root, 0, DateTime::<Utc>::UNIX_EPOCH, path, false);
    timed(event).map_err(|e| e.to_string())
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
