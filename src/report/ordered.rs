//! Output written in order whose pieces are serialized on the worker threads.
//!
//! A burst of refusals makes reports of a hundred thousand lines, and serializing
//! them one after the other took longer than correlating them. Each piece (a line,
//! an array element) depends only on its item, so the items are taken in batches,
//! a batch's items are shared out over the threads, and the texts are written in
//! the items' order: the output is the same as one thread's, and memory holds one
//! batch's text, not the whole output.

use rayon::prelude::*;
use std::io::{self, Write};

/// How many items are serialized between two writes (a few megabytes of text).
pub(crate) const BATCH: usize = 2048;

/// How many items one thread serializes at a time within a batch.
pub(crate) const SLICE: usize = 128;

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
    for (b, batch) in items.chunks(BATCH).enumerate() {
        let texts: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(SLICE)
            .enumerate()
            .map(|(s, run)| {
                let mut text = Vec::new();
                render(b * BATCH + s * SLICE, run, &mut text)?;
                Ok(text)
            })
            .collect();
        for text in texts {
            out.write_all(&text?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_come_out_in_order_with_their_index() {
        let items: Vec<usize> = (0..BATCH * 2 + SLICE + 7).collect();
        let mut out = Vec::new();
        write_each(&mut out, &items, |i, item, text| {
            writeln!(text, "{i} {item}")
        })
        .expect("writes");
        let expected: String = items.iter().map(|i| format!("{i} {i}\n")).collect();
        assert_eq!(String::from_utf8(out).expect("UTF-8"), expected);
    }

    #[test]
    fn the_first_failure_is_returned() {
        let items: Vec<usize> = (0..BATCH + 1).collect();
        let mut out = Vec::new();
        let failed = write_each(&mut out, &items, |i, _, text| {
            if i == BATCH {
                return Err(io::Error::other("item failed"));
            }
            writeln!(text, "{i}")
        });
        assert!(failed.is_err());
        assert_eq!(out.iter().filter(|b| **b == b'\n').count(), BATCH);
    }
}
