//! XML exports (`wevtutil qe /f:xml`, Event Viewer's "Save as XML",
//! `evtx_dump -o xml`): parsed on the producer thread, as XML cannot be split
//! without parsing, each `<Event>` turned into the JSON shape the `evtx` crate
//! renders and normalized from there.

use super::super::stats::FileStats;
use super::super::work::Work;
use super::{BATCH_RECORDS, MAX_RECORD, RecordError, origin, timed};
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::{self, Event};
use quick_xml::events::{BytesStart, Event as Xml};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

/// Deeper XML than this inside one `<Event>` is not an event.
const MAX_DEPTH: usize = 64;
/// After this many XML syntax errors in a row the rest of a file is skipped.
const MAX_XML_ERRORS: usize = 100;

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
pub(crate) fn split(data: impl Read, path: &Arc<Path>, emit: &mut dyn FnMut(Work)) {
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
                match read_element(&mut reader, &start)
                    .and_then(|e| xml_event(&e, path).map_err(|e| e.to_string()))
                {
                    Ok(event) => batch.push(event),
                    Err(message) => {
                        stats.records_unreadable += 1;
                        diagnostics.push(bad_event(path, seen, line, &message));
                    }
                }
            }
            Ok(Xml::Empty(e)) if e.local_name().as_ref() == b"Event" => {
                seen += 1;
                stats.records_unreadable += 1;
                diagnostics.push(bad_event(path, seen, line, "empty <Event/>"));
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

/// The problem of the `seen`-th `<Event>`, starting on `line`, that is no event.
fn bad_event(path: &Path, seen: u64, line: u64, why: &str) -> Problem {
    let mut p = Problem::file(ProblemKind::BadEvent, path, format!("event {seen}: {why}"));
    p.line_col = Some((line as usize, 1));
    p
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
fn xml_event(element: &Element, path: &Arc<Path>) -> Result<Event, RecordError> {
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
    timed(event::from_json_bytes(&json, &origin(path)))
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
