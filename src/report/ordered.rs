//! Output written in order whose pieces are serialized on the worker threads.
//!
//! A burst of refusals makes reports of a hundred thousand lines, and serializing
//! them one after the other took longer than correlating them. Each piece (a line,
//! an array element) depends only on its item, so the items are taken in batches,
//! a batch's items are shared out over the threads, and the texts are written in
//! the items' order: the output is the same as one thread's, and memory holds one
//! batch's text, not the whole output.
//!
//! A batch is sized from the text the items before it made, so that it holds about
//! [`BATCH_BYTES`] whatever one item's text is (a finding with long field values in
//! its explanations can make hundreds of kilobytes): the first batch has
//! [`FIRST_BATCH`] items, none more than [`BATCH`].

use rayon::prelude::*;
use std::io::{self, Write};

/// The most items serialized between two writes.
pub(crate) const BATCH: usize = 2048;

/// The items of the first batch, before any text tells how large an item's is.
pub(crate) const FIRST_BATCH: usize = 64;

/// The text a batch is sized to hold.
pub(crate) const BATCH_BYTES: usize = 8 << 20;

/// The most runs a batch is cut into (runs are shared out over the threads).
const RUNS: usize = 16;

/// Writes what `render` makes of each item (given its index in `items`), in order.
pub(crate) fn write_each<T: Sync>(
    out: &mut (impl Write + ?Sized),
    items: &[T],
    render: impl Fn(usize, &T, &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    write_runs(out, items, |first, run, text| {
        for (k, item) in run.iter().enumerate() {
            render(first + k, item, text)?;
        }
        Ok(())
    })
}

/// Writes what `render` makes of each run of consecutive items (given the index of
/// its first item in `items`), in order: for a writer that is worth setting up once
/// per run rather than once per item.
pub(crate) fn write_runs<T: Sync>(
    out: &mut (impl Write + ?Sized),
    items: &[T],
    render: impl Fn(usize, &[T], &mut Vec<u8>) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let (mut start, mut size, mut written) = (0, FIRST_BATCH, 0);
    while start < items.len() {
        let batch = &items[start..items.len().min(start + size)];
        let run = batch.len().div_ceil(RUNS);
        let texts: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(run)
            .enumerate()
            .map(|(r, items)| {
                let mut text = Vec::new();
                render(start + r * run, items, &mut text)?;
                Ok(text)
            })
            .collect();
        for text in texts {
            let text = text?;
            written += text.len();
            out.write_all(&text)?;
        }
        start += batch.len();
        size = (BATCH_BYTES / (written / start).max(1)).clamp(1, BATCH);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn pieces_come_out_in_order_with_their_index() {
        let items: Vec<usize> = (0..BATCH * 2 + FIRST_BATCH + 7).collect();
        let mut out = Vec::new();
        write_each(&mut out, &items, |i, item, text| {
            writeln!(text, "{i} {item}")
        })
        .expect("writes");
        let expected: String = items.iter().map(|i| format!("{i} {i}\n")).collect();
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }

    #[test]
    fn nothing_after_a_failure_is_written() {
        let items: Vec<usize> = (0..BATCH + 1).collect();
        let mut out = Vec::new();
        let failed = write_each(&mut out, &items, |i, _, text| {
            if i == BATCH {
                return Err(io::Error::other("item failed"));
            }
            writeln!(text, "{i}")
        });
        assert!(failed.is_err());
        let text = String::from_utf8(out).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() < BATCH, "{} lines", lines.len());
        assert!(lines.iter().enumerate().all(|(k, l)| *l == k.to_string()));
    }

    /// Counts what is written, and checks at each write how many items have been
    /// serialized but not written yet.
    struct Held<'a> {
        rendered: &'a AtomicUsize,
        item: usize,
        written: usize,
        most: usize,
    }

    impl Write for Held<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.written += buf.len();
            let pending = self.rendered.load(Ordering::SeqCst) - self.written / self.item;
            self.most = self.most.max(pending);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_batch_of_large_items_is_small() {
        const ITEM: usize = 256 << 10;
        let items: Vec<u8> = vec![b'x'; 300];
        let rendered = AtomicUsize::new(0);
        let mut out = Held {
            rendered: &rendered,
            item: ITEM,
            written: 0,
            most: 0,
        };
        write_each(&mut out, &items, |_, item, text| {
            rendered.fetch_add(1, Ordering::SeqCst);
            text.resize(text.len() + ITEM, *item);
            Ok(())
        })
        .expect("writes");
        assert_eq!(out.written, items.len() * ITEM);
        // The first batch, then batches of the target's worth of text.
        assert!(
            out.most <= FIRST_BATCH.max(BATCH_BYTES / ITEM),
            "{}",
            out.most
        );
    }
}
