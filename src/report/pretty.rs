//! The report as one pretty-printed JSON document, byte for byte what
//! `serde_json::to_writer_pretty` writes, with the elements of its long arrays
//! (sessions, findings, timeline) serialized on the worker threads.
//!
//! A burst of 29,000 refusals makes a document of 200 MB, and serializing it on one
//! thread took longer than correlating it. Pretty JSON can be cut at any array element:
//! an element serialized alone, starting at the indentation of its place, is the
//! same text it is inside the whole document, so the elements of each long array
//! are serialized apart ([`super::ordered`]).

use super::Report;
use super::ordered::write_each;
use serde::Serialize;
use serde_json::ser::Formatter;
use std::io::{self, Write};

/// One level of indentation, as `serde_json::ser::PrettyFormatter::new` indents.
const INDENT: &[u8] = b"  ";

/// Writes `report` as `serde_json::to_writer_pretty` would (without the final newline).
pub(crate) fn write_report(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut root = Object::begin(out, 0)?;
    root.field("schema_version", &report.schema_version)?;
    root.field("tool", &report.tool)?;
    root.field("options", &report.options)?;
    root.field("inputs", &report.inputs)?;
    root.field("diagnostics", &report.diagnostics)?;
    root.field("rules_loaded", &report.rules_loaded)?;
    let a = &report.analysis;
    let mut analysis = root.object("analysis")?;
    analysis.array("sessions", &a.sessions)?;
    analysis.array("findings", &a.findings)?;
    analysis.field("summaries", &a.summaries)?;
    analysis.array("timeline", &a.timeline)?;
    analysis.field("coverage", &a.coverage)?;
    analysis.field("hosts", &a.hosts)?;
    analysis.field("incidents", &a.incidents)?;
    analysis.field("outlook", &a.outlook)?;
    analysis.field("alerts", &a.alerts)?;
    analysis.end()?;
    root.end()
}

/// An object being written at `depth` (the indentation of its closing brace).
struct Object<'w, W: Write> {
    out: &'w mut W,
    depth: usize,
    empty: bool,
}

impl<'w, W: Write> Object<'w, W> {
    fn begin(out: &'w mut W, depth: usize) -> io::Result<Self> {
        out.write_all(b"{")?;
        Ok(Object {
            out,
            depth,
            empty: true,
        })
    }

    /// Writes the key of the next field, up to where its value starts.
    fn key(&mut self, key: &str) -> io::Result<()> {
        next_line(self.out, self.empty, self.depth + 1)?;
        self.empty = false;
        // The keys are this module's own names: nothing in them needs escaping.
        write!(self.out, "\"{key}\": ")
    }

    /// A field whose value is serialized in one piece.
    fn field(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        serialize(self.out, value, self.depth + 1)
    }

    /// A field whose value is an object written field by field.
    fn object(&mut self, key: &str) -> io::Result<Object<'_, W>> {
        self.key(key)?;
        Object::begin(self.out, self.depth + 1)
    }

    /// A field whose value is an array serialized in parallel.
    fn array<T: Serialize + Sync>(&mut self, key: &str, items: &[T]) -> io::Result<()> {
        self.key(key)?;
        write_array(self.out, items, self.depth + 1)
    }

    fn end(self) -> io::Result<()> {
        close(self.out, !self.empty, self.depth, b"}")
    }
}

/// `items` as a pretty array whose closing bracket is at `depth`.
fn write_array<T: Serialize + Sync>(
    out: &mut impl Write,
    items: &[T],
    depth: usize,
) -> io::Result<()> {
    out.write_all(b"[")?;
    write_each(out, items, |k, item, text| {
        next_line(text, k == 0, depth + 1)?;
        serialize(text, item, depth + 1)
    })?;
    close(out, !items.is_empty(), depth, b"]")
}

/// `value` serialized where the enclosing object or array is indented `depth` levels.
fn serialize(out: &mut impl Write, value: &impl Serialize, depth: usize) -> io::Result<()> {
    let formatter = Pretty {
        depth,
        has_value: false,
    };
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

fn indent(out: &mut (impl Write + ?Sized), depth: usize) -> io::Result<()> {
    for _ in 0..depth {
        out.write_all(INDENT)?;
    }
    Ok(())
}

/// Starts the line of an array element or object key at `depth`, after a comma unless
/// it is the `first`.
fn next_line(out: &mut (impl Write + ?Sized), first: bool, depth: usize) -> io::Result<()> {
    out.write_all(if first { b"\n" } else { b",\n" })?;
    indent(out, depth)
}

/// Closes an array or object with `bracket`, on a line of its own at `depth` when
/// it holds anything.
fn close(
    out: &mut (impl Write + ?Sized),
    any: bool,
    depth: usize,
    bracket: &[u8],
) -> io::Result<()> {
    if any {
        out.write_all(b"\n")?;
        indent(out, depth)?;
    }
    out.write_all(bracket)
}

/// serde_json's pretty layout, started at a given depth: the same text as
/// `serde_json::ser::PrettyFormatter`, whose depth cannot be set.
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn open<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        close(out, self.has_value, self.depth, bracket)
    }
}

impl Formatter for Pretty {
    fn begin_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        next_line(out, first, self.depth)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        next_line(out, first, self.depth)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ours(value: &impl Serialize, depth: usize) -> String {
        let mut out = Vec::new();
        serialize(&mut out, value, depth).expect("serializes");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn pretty_at_depth_zero_is_serde_jsons_pretty() {
        let value = json!({
            "a": [], "b": {}, "c": [1, {"d": [true, null]}], "e": "x\"y\n\u{202e}",
            "f": {"g": {"h": []}}, "i": 1.5
        });
        let theirs = serde_json::to_string_pretty(&value).expect("serializes");
        assert_eq!(ours(&value, 0), theirs);
    }

    #[test]
    fn a_deeper_value_is_its_text_inside_the_document() {
        let inner = json!({"k": [1, 2, {"z": []}]});
        let whole =
            serde_json::to_string_pretty(&json!({"outer": {"inner": inner}})).expect("serializes");
        assert!(whole.contains(&format!("\"inner\": {}", ours(&inner, 2))));
    }

    #[test]
    fn a_long_array_is_written_as_serde_json_writes_it() {
        // Several batches, the last one short.
        use crate::report::ordered::{BATCH, FIRST_BATCH};
        let items: Vec<serde_json::Value> = (0..BATCH * 2 + FIRST_BATCH + 3)
            .map(|k| json!({"k": k, "list": [k, {"deep": []}]}))
            .collect();
        for slice in [&items[..0], &items[..1], &items[..]] {
            let mut out = Vec::new();
            write_array(&mut out, slice, 0).expect("writes");
            let theirs = serde_json::to_string_pretty(slice).expect("serializes");
            assert_eq!(String::from_utf8(out).expect("UTF-8"), theirs);
        }
    }
}
