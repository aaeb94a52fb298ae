//! Checked little-endian reading of a chunk's bytes, and the name entries that BinXML
//! elements and attributes refer to by chunk offset.

use super::vocab::{NAME_ENTRY_UNITS_AT, decode_utf16, until_nul};

/// A little-endian reader over a chunk's bytes whose every read is checked.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at `pos` of `data`.
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Cursor { data, pos }
    }

    /// How many bytes the data holds in all.
    pub(crate) fn data_len(&self) -> usize {
        self.data.len()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    /// The next `N` bytes, as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Option<&'a [u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// The next little-endian u16.
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array().map(|b| u16::from_le_bytes(*b))
    }

    /// The next little-endian u32.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(|b| u32::from_le_bytes(*b))
    }

    /// A UTF-16 string prefixed with its length in code units.
    pub(crate) fn len_prefixed_utf16(&mut self) -> Option<&'a [u8]> {
        let units = usize::from(self.u16()?);
        self.take(units * 2)
    }
}

/// A cursor at the length of the name entry at chunk offset `offset`.
fn name_entry(data: &[u8], offset: u32) -> Option<Cursor<'_>> {
    let at = usize::try_from(offset)
        .ok()?
        .checked_add(NAME_ENTRY_UNITS_AT)?;
    Some(Cursor::new(data, at))
}

/// The text of the name entry at chunk offset `offset`; `None` when it does not lie inside the
/// chunk or is not valid UTF-16.
pub(crate) fn name_text(data: &[u8], offset: u32) -> Option<String> {
    decode_utf16(until_nul(name_entry(data, offset)?.len_prefixed_utf16()?))
}

/// Whether the name entry at chunk offset `offset` reads as `expected` (ASCII). `None` when the
/// entry does not lie inside the chunk.
pub(crate) fn name_is(data: &[u8], offset: u32, expected: &str) -> Option<bool> {
    let mut cur = name_entry(data, offset)?;
    let units = until_nul(cur.len_prefixed_utf16()?);
    cur.u16()?; // the NUL unit
    Some(
        units.len() == expected.len() * 2
            && units
                .chunks_exact(2)
                .zip(expected.bytes())
                .all(|(u, b)| u[0] == b && u[1] == 0),
    )
}
