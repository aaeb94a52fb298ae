//! A chunk's string table (64 slots of chained name entries at bytes 128..384
//! of its header) is only a cache: every name in a record is also addressed by
//! its offset, and the `evtx` crate reads a name the cache lacks from there.
//! Yet one slot that points outside the chunk makes the crate refuse the whole
//! chunk while building that cache. [`clear_bad_slots`] finds such slots before
//! the chunk is parsed and zeroes them, so the chunk's records are still read.

use super::binxml::vocab::{NAME_ENTRY_HEAD, STRING_TABLE_AT, STRING_TABLE_SLOTS, is_utf16};
use evtx::EvtxChunkData;

/// Zeroes the string-table slots whose chain of entries leaves the chunk or
/// holds a name that is not UTF-16; gives back the chunk (re-read from its
/// patched bytes when any slot was cleared) and how many slots were.
pub(crate) fn clear_bad_slots(data: EvtxChunkData) -> (EvtxChunkData, usize) {
    let bytes = &data.data;
    let bad: Vec<usize> = (0..STRING_TABLE_SLOTS)
        .filter(|&slot| {
            let at = STRING_TABLE_AT + slot * 4;
            bytes.get(at..at + 4).is_some_and(|b| {
                !chain_is_sound(bytes, u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            })
        })
        .collect();
    if bad.is_empty() {
        return (data, 0);
    }
    let number = data.number;
    let mut patched = data.data.clone();
    for slot in &bad {
        let at = STRING_TABLE_AT + slot * 4;
        patched[at..at + 4].fill(0);
    }
    match EvtxChunkData::new(patched, false) {
        Ok(mut fixed) => {
            fixed.number = number;
            (fixed, bad.len())
        }
        Err(_) => (data, 0),
    }
}

/// True when the chain of entries from `offset` (0: an empty slot) stays
/// inside the chunk and every name in it is UTF-16.
fn chain_is_sound(bytes: &[u8], mut offset: u32) -> bool {
    let mut seen = Vec::new();
    while offset != 0 {
        // The crate stops at an entry it has met, so a loop is no fault.
        if seen.contains(&offset) {
            return true;
        }
        seen.push(offset);
        let at = offset as usize;
        let Some(head) = at
            .checked_add(NAME_ENTRY_HEAD)
            .and_then(|end| bytes.get(at..end))
        else {
            return false;
        };
        let units = usize::from(u16::from_le_bytes([head[6], head[7]]));
        let name_at = at + NAME_ENTRY_HEAD;
        // The name and its NUL.
        let Some(name) = bytes.get(name_at..name_at + units * 2 + 2) else {
            return false;
        };
        if !is_utf16(&name[..units * 2]) {
            return false;
        }
        offset = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(bytes: &mut [u8], at: usize, next: u32, name: &str) {
        bytes[at..at + 4].copy_from_slice(&next.to_le_bytes());
        bytes[at + 6..at + 8].copy_from_slice(&(name.len() as u16).to_le_bytes());
        for (i, u) in name.encode_utf16().enumerate() {
            bytes[at + 8 + i * 2..at + 10 + i * 2].copy_from_slice(&u.to_le_bytes());
        }
    }

    #[test]
    fn chains_that_leave_the_chunk_are_unsound() {
        let mut bytes = vec![0u8; 1024];
        entry(&mut bytes, 600, 700, "Data");
        entry(&mut bytes, 700, 0, "Name");
        assert!(chain_is_sound(&bytes, 600));
        assert!(chain_is_sound(&bytes, 0));
        assert!(!chain_is_sound(&bytes, 0xFFFF_FFF0));
        entry(&mut bytes, 700, 1020, "Name");
        assert!(
            !chain_is_sound(&bytes, 600),
            "the second entry links outside"
        );
        entry(&mut bytes, 700, 600, "Name");
        assert!(chain_is_sound(&bytes, 600), "a loop ends the walk");
        // An unpaired surrogate.
        bytes[608..610].copy_from_slice(&0xD800u16.to_le_bytes());
        assert!(!chain_is_sound(&bytes, 600));
    }
}
