//! Splits a JSON array (Chainsaw `--json`, `evtx_dump -o json` as one array)
//! into the bytes of its top-level elements, streaming, so that each element
//! is parsed on its own: one element too deep or malformed costs that element,
//! not the rest of the array. Brackets inside strings (and escaped quotes) do
//! not count.

use std::io::{self, BufRead};

/// One element of the array, or why it could not be taken.
#[derive(Debug, PartialEq)]
pub(crate) enum Element {
    /// Its bytes.
    Bytes(Vec<u8>),
    /// It is larger than the walk's limit: skipped, with its size.
    TooLarge(u64),
}

/// Walks the elements of the array whose `[` the reader is at (or before,
/// past whitespace).
pub(crate) struct Elements<R> {
    reader: R,
    /// The most bytes one element may take.
    max: usize,
    started: bool,
    done: bool,
    /// Line and column (1-based) of the next byte.
    line: usize,
    column: usize,
}

impl<R: BufRead> Elements<R> {
    /// A walk whose elements take at most `max` bytes each.
    pub(crate) fn new(reader: R, max: usize) -> Self {
        Elements {
            reader,
            max,
            started: false,
            done: false,
            line: 1,
            column: 1,
        }
    }

    /// Line and column (1-based) of the next byte: where reading stopped.
    pub(crate) fn position(&self) -> (usize, usize) {
        (self.line, self.column)
    }

    /// Consumes `n` bytes of the buffer, counting lines and columns.
    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.reader.fill_buf() {
            for &b in &buf[..n.min(buf.len())] {
                if b == b'\n' {
                    self.line += 1;
                    self.column = 1;
                } else {
                    self.column += 1;
                }
            }
        }
        self.reader.consume(n);
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.reader.fill_buf()?.first().copied())
    }

    fn skip_blank_and(&mut self, also: u8) -> io::Result<Option<u8>> {
        while let Some(b) = self.peek()? {
            if b.is_ascii_whitespace() || b == also {
                self.consume(1);
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }

    /// The next element; `None` after the closing `]`.
    pub(crate) fn next_element(&mut self) -> io::Result<Option<Element>> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.open()?;
        }
        match self.skip_blank_and(b',')? {
            None => {
                return Err(invalid(
                    "the array ends without its closing `]` (truncated)",
                ));
            }
            Some(b']') => {
                self.consume(1);
                self.done = true;
                return Ok(None);
            }
            Some(_) => {}
        }
        let (bytes, size) = self.take_element()?;
        if size == 0 {
            // A `}` where an element should start: nothing to take, and no way on.
            return Err(invalid("a `}` or `]` where an element should start"));
        }
        if size as usize > self.max {
            return Ok(Some(Element::TooLarge(size)));
        }
        Ok(Some(Element::Bytes(bytes)))
    }

    /// Reads past the `[` that opens the array.
    fn open(&mut self) -> io::Result<()> {
        match self.skip_blank_and(b' ')? {
            Some(b'[') => self.consume(1),
            _ => return Err(invalid("the input does not start with a JSON array")),
        }
        self.started = true;
        Ok(())
    }

    /// Reads one element, up to the `,` or `]` after it: its bytes (none kept
    /// past the walk's limit) and its size.
    fn take_element(&mut self) -> io::Result<(Vec<u8>, u64)> {
        let mut bytes = Vec::new();
        let mut size = 0u64;
        let mut scan = Scan::default();
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Err(invalid("the array ends inside an element (truncated)"));
            }
            let end = scan.end_in(buf);
            let take = end.unwrap_or(buf.len());
            size += take as u64;
            if size as usize <= self.max {
                bytes.extend_from_slice(&buf[..take]);
            }
            self.consume(take);
            if end.is_some() {
                return Ok((bytes, size));
            }
        }
    }
}

/// How far the scan of an element is: its bracket depth, and whether it is
/// inside a string (just after a backslash).
#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Scan {
    /// Where in `buf` the element ends (the index past its last byte), if it
    /// ends there.
    fn end_in(&mut self, buf: &[u8]) -> Option<usize> {
        for (i, &b) in buf.iter().enumerate() {
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                // The closing `]` after a bare value.
                b'}' | b']' if self.depth == 0 => return Some(i),
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                b',' if self.depth == 0 => return Some(i),
                _ => {}
            }
        }
        None
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> (Vec<String>, Option<String>) {
        let mut it = Elements::new(
            std::io::BufReader::with_capacity(3, text.as_bytes()),
            1 << 20,
        );
        let mut out = Vec::new();
        loop {
            match it.next_element() {
                Ok(Some(Element::Bytes(b))) => {
                    out.push(String::from_utf8(b).unwrap().trim().to_string())
                }
                Ok(Some(Element::TooLarge(n))) => out.push(format!("too large {n}")),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    #[test]
    fn elements_are_split_at_top_level_commas_only() {
        let (els, err) = all(r#" [ {"a": "x,]}\"["}, [1, [2]] , 3 ,"s]" ,{} ] "#);
        assert_eq!(
            els,
            [r#"{"a": "x,]}\"["}"#, "[1, [2]]", "3", r#""s]""#, "{}"]
        );
        assert_eq!(err, None);
        assert_eq!(all("[]"), (vec![], None));
    }

    #[test]
    fn a_cut_array_reads_what_came_before() {
        let (els, err) = all(r#"[{"a":1},{"b":"#);
        assert_eq!(els, [r#"{"a":1}"#]);
        assert!(err.unwrap().contains("truncated"));
    }

    #[test]
    fn a_stray_closing_brace_ends_the_walk() {
        // Found by fuzzing: an element of nothing, taken again and again.
        let (els, err) = all(r#"[{"a":1}, }, {"b":2}]"#);
        assert_eq!(els, [r#"{"a":1}"#]);
        assert!(err.unwrap().contains("where an element should start"));
    }

    #[test]
    fn a_deep_element_is_one_element() {
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let (els, err) = all(&format!("[{deep}, 2]"));
        assert_eq!(els, [deep.as_str(), "2"]);
        assert_eq!(err, None);
    }
}
