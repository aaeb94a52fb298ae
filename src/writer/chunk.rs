//! One 64 KiB chunk: header, string and template tables, records padded to 8
//! bytes, and the two CRC32s.

use super::WriterError;
use super::binxml::{Encoder, Resident};
use super::hash::{name_bucket, template_bucket};
use super::value::Instance;
pub use crate::ingest::binxml::vocab::CHUNK_SIZE;
use crate::ingest::binxml::vocab::{
    CHUNK_HEADER_SIZE, CHUNK_MAGIC, RECORD_MAGIC, RECORD_TRAILER_SIZE, STRING_TABLE_AT,
    STRING_TABLE_SLOTS, TEMPLATE_TABLE_AT, TEMPLATE_TABLE_SLOTS,
};

/// A chunk being filled.
#[derive(Debug)]
pub struct Chunk {
    buf: Vec<u8>,
    resident: Resident,
    strings: [u32; STRING_TABLE_SLOTS],
    templates: [u32; TEMPLATE_TABLE_SLOTS],
    first_id: Option<u64>,
    last_id: u64,
    last_offset: u32,
}

impl Default for Chunk {
    fn default() -> Self {
        Self::new()
    }
}

impl Chunk {
    /// An empty chunk.
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(CHUNK_SIZE);
        buf.resize(CHUNK_HEADER_SIZE, 0);
        Chunk {
            buf,
            resident: Resident::default(),
            strings: [0; STRING_TABLE_SLOTS],
            templates: [0; TEMPLATE_TABLE_SLOTS],
            first_id: None,
            last_id: 0,
            last_offset: 0,
        }
    }

    /// True when no record has been added.
    pub fn is_empty(&self) -> bool {
        self.first_id.is_none()
    }

    /// Appends a record. Returns `Ok(false)`, leaving the chunk unchanged, when
    /// the record does not fit; an error when it would not fit even alone.
    pub fn push(
        &mut self,
        id: u64,
        filetime: u64,
        instance: &Instance,
    ) -> Result<bool, WriterError> {
        let start = self.buf.len();
        let written = self.write_record(start, id, filetime, instance);
        let fits = matches!(written, Ok(())) && self.buf.len() <= CHUNK_SIZE;
        if !fits {
            let size = self.buf.len() - start;
            self.buf.truncate(start);
            self.resident.rollback();
            written?;
            if self.is_empty() {
                return Err(WriterError::RecordTooLarge(size));
            }
            return Ok(false);
        }
        self.commit();
        self.first_id.get_or_insert(id);
        self.last_id = id;
        self.last_offset = u32::try_from(start).unwrap_or(u32::MAX);
        Ok(true)
    }

    fn write_record(
        &mut self,
        start: usize,
        id: u64,
        filetime: u64,
        instance: &Instance,
    ) -> Result<(), WriterError> {
        self.buf.extend_from_slice(&RECORD_MAGIC);
        self.buf.extend_from_slice(&[0; 4]);
        self.buf.extend_from_slice(&id.to_le_bytes());
        self.buf.extend_from_slice(&filetime.to_le_bytes());
        Encoder {
            buf: &mut self.buf,
            resident: &mut self.resident,
        }
        .fragment(instance)?;
        // Windows pads with zeros so that the size (with its trailing copy) is a multiple of 8.
        let unpadded = self.buf.len() - start + RECORD_TRAILER_SIZE;
        self.buf.resize(self.buf.len() + (8 - unpadded % 8) % 8, 0);
        let size = self.buf.len() - start + RECORD_TRAILER_SIZE;
        let size32 = u32::try_from(size).map_err(|_| WriterError::RecordTooLarge(size))?;
        self.buf.extend_from_slice(&size32.to_le_bytes());
        self.buf[start + 4..start + 8].copy_from_slice(&size32.to_le_bytes());
        Ok(())
    }

    /// Links the record's new names and templates at the head of their buckets.
    fn commit(&mut self) {
        for (name, offset) in self.resident.new_names.drain(..) {
            let bucket = name_bucket(&name);
            let at = offset as usize;
            self.buf[at..at + 4].copy_from_slice(&self.strings[bucket].to_le_bytes());
            self.strings[bucket] = offset;
        }
        for (guid, offset) in self.resident.new_templates.drain(..) {
            let bucket = template_bucket(&guid);
            let at = offset as usize;
            self.buf[at..at + 4].copy_from_slice(&self.templates[bucket].to_le_bytes());
            self.templates[bucket] = offset;
        }
    }

    /// The finished 64 KiB chunk: header fields, tables and CRCs filled, the
    /// free space zeroed.
    pub fn finish(mut self) -> Vec<u8> {
        let free = self.buf.len();
        let first = self.first_id.unwrap_or(0);
        let b = &mut self.buf;
        b[0..8].copy_from_slice(CHUNK_MAGIC);
        for (at, v) in [
            (8, first),
            (16, self.last_id),
            (24, first),
            (32, self.last_id),
        ] {
            b[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        b[40..44].copy_from_slice(&128u32.to_le_bytes());
        b[44..48].copy_from_slice(&self.last_offset.to_le_bytes());
        b[48..52].copy_from_slice(&u32::try_from(free).unwrap_or(u32::MAX).to_le_bytes());
        let records_crc = crc32fast::hash(&b[CHUNK_HEADER_SIZE..free]);
        b[52..56].copy_from_slice(&records_crc.to_le_bytes());
        b[120..124].copy_from_slice(&1u32.to_le_bytes());
        for (i, v) in self.strings.iter().enumerate() {
            let at = STRING_TABLE_AT + 4 * i;
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        for (i, v) in self.templates.iter().enumerate() {
            let at = TEMPLATE_TABLE_AT + 4 * i;
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&b[0..120]);
        crc.update(&b[STRING_TABLE_AT..CHUNK_HEADER_SIZE]);
        b[124..128].copy_from_slice(&crc.finalize().to_le_bytes());
        b.resize(CHUNK_SIZE, 0);
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::template::{DataShape, data_template};
    use crate::writer::value::{Value, ValueType};
    use std::sync::Arc;

    fn instance(text: &str) -> Instance {
        Instance {
            template: Arc::new(data_template(
                DataShape::Named,
                &[("Message", ValueType::String)],
            )),
            values: vec![Value::String(text.to_string())],
        }
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn records_are_padded_and_the_header_is_consistent() {
        let mut chunk = Chunk::new();
        assert!(chunk.push(1, 0, &instance("a")).unwrap());
        assert!(chunk.push(2, 0, &instance("bcd")).unwrap());
        let b = chunk.finish();
        assert_eq!(b.len(), CHUNK_SIZE);
        let first = u32_at(&b, CHUNK_HEADER_SIZE + 4) as usize;
        assert_eq!(first % 8, 0);
        assert_eq!(u32_at(&b, CHUNK_HEADER_SIZE + first - 4) as usize, first);
        let second = CHUNK_HEADER_SIZE + first;
        assert_eq!(u32_at(&b, 44) as usize, second);
        let free = u32_at(&b, 48) as usize;
        assert_eq!(free, second + u32_at(&b, second + 4) as usize);
        assert_eq!(u32_at(&b, 52), crc32fast::hash(&b[CHUNK_HEADER_SIZE..free]));
        assert!(b[free..].iter().all(|&x| x == 0));
        // The name "Data" is reachable from its bucket.
        assert_ne!(u32_at(&b, STRING_TABLE_AT + 4 * name_bucket("Data")), 0);
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_the_chunk_unchanged() {
        let mut chunk = Chunk::new();
        let big = "x".repeat(20_000);
        assert!(chunk.push(1, 0, &instance(&big)).unwrap());
        assert!(!chunk.push(2, 0, &instance(&"y".repeat(32_000))).unwrap());
        assert!(chunk.push(2, 0, &instance("small")).unwrap());
        let mut empty = Chunk::new();
        assert!(matches!(
            empty.push(1, 0, &instance(&"z".repeat(40_000))),
            Err(WriterError::ValueTooLarge(_))
        ));
    }
}
