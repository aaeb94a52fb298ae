//! A whole EVTX file: the 4 KiB file header (version 3.1) followed by chunks,
//! streamed to any seekable output.

use super::WriterError;
use super::chunk::{CHUNK_SIZE, Chunk};
use super::value::Instance;
pub use crate::ingest::binxml::vocab::FILE_HEADER_SIZE;
use crate::ingest::binxml::vocab::FILE_MAGIC;
use std::io::{Seek, SeekFrom, Write};

/// Writes records into chunks and chunks into `out`; [`EvtxWriter::finish`]
/// writes the file header last.
#[derive(Debug)]
pub struct EvtxWriter<W: Write + Seek> {
    out: W,
    chunk: Chunk,
    chunks: u64,
    next_id: u64,
}

impl<W: Write + Seek> EvtxWriter<W> {
    /// Starts a file in `out` (at its current start) whose first record id is 1.
    pub fn new(mut out: W) -> Result<Self, WriterError> {
        out.write_all(&[0u8; FILE_HEADER_SIZE])?;
        Ok(EvtxWriter {
            out,
            chunk: Chunk::new(),
            chunks: 0,
            next_id: 1,
        })
    }

    /// The id the next record must carry (in `EventRecordID` too).
    pub fn next_record_id(&self) -> u64 {
        self.next_id
    }

    /// Appends a record written at `filetime` whose id is [`Self::next_record_id`].
    pub fn append(&mut self, filetime: u64, instance: &Instance) -> Result<u64, WriterError> {
        let id = self.next_id;
        if !self.chunk.push(id, filetime, instance)? {
            self.flush_chunk()?;
            if !self.chunk.push(id, filetime, instance)? {
                return Err(WriterError::RecordTooLarge(CHUNK_SIZE));
            }
        }
        self.next_id += 1;
        Ok(id)
    }

    fn flush_chunk(&mut self) -> Result<(), WriterError> {
        let full = std::mem::take(&mut self.chunk);
        self.out.write_all(&full.finish())?;
        self.chunks += 1;
        Ok(())
    }

    /// Writes the last chunk and the file header; returns the output.
    pub fn finish(mut self) -> Result<W, WriterError> {
        if !self.chunk.is_empty() {
            self.flush_chunk()?;
        }
        let header = file_header(self.chunks, self.next_id)?;
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&header)?;
        self.out.seek(SeekFrom::End(0))?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The 128 meaningful bytes of the file header (the rest of the block is zero).
fn file_header(chunks: u64, next_id: u64) -> Result<[u8; 128], WriterError> {
    let count = u16::try_from(chunks).map_err(|_| WriterError::TooManyChunks(chunks))?;
    let mut h = [0u8; 128];
    h[0..8].copy_from_slice(FILE_MAGIC);
    h[16..24].copy_from_slice(&chunks.saturating_sub(1).to_le_bytes());
    h[24..32].copy_from_slice(&next_id.to_le_bytes());
    h[32..36].copy_from_slice(&128u32.to_le_bytes());
    h[36..38].copy_from_slice(&1u16.to_le_bytes());
    h[38..40].copy_from_slice(&3u16.to_le_bytes());
    h[40..42].copy_from_slice(&(FILE_HEADER_SIZE as u16).to_le_bytes());
    h[42..44].copy_from_slice(&count.to_le_bytes());
    let crc = crc32fast::hash(&h[..120]);
    h[124..128].copy_from_slice(&crc.to_le_bytes());
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::template::{DataShape, data_template};
    use crate::writer::value::{Value, ValueType};
    use std::io::Cursor;
    use std::sync::Arc;

    #[test]
    fn records_spill_into_new_chunks_and_the_header_counts_them() {
        let template = Arc::new(data_template(
            DataShape::Named,
            &[("Text", ValueType::String)],
        ));
        let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
        for i in 0..300 {
            let inst = Instance {
                template: template.clone(),
                values: vec![Value::String(format!("{i}{}", "x".repeat(400)))],
            };
            assert_eq!(w.append(0, &inst).unwrap(), i + 1);
        }
        let bytes = w.finish().unwrap().into_inner();
        let chunks = (bytes.len() - FILE_HEADER_SIZE) / CHUNK_SIZE;
        assert_eq!((bytes.len() - FILE_HEADER_SIZE) % CHUNK_SIZE, 0);
        assert!(chunks >= 3);
        assert_eq!(u16::from_le_bytes([bytes[42], bytes[43]]) as usize, chunks);
        assert_eq!(&bytes[24..32], &301u64.to_le_bytes());
        let crc = u32::from_le_bytes(bytes[124..128].try_into().unwrap());
        assert_eq!(crc, crc32fast::hash(&bytes[..120]));
    }

    #[test]
    fn the_evtx_crate_reads_a_user_data_event_with_checksums_validated() {
        use crate::writer::template::{sys, system_template};
        use crate::writer::value::{parse_guid, parse_sid};
        use evtx::{EvtxParser, ParserSettings};
        let data = Instance {
            template: Arc::new(data_template(
                DataShape::UserData {
                    element: "EventXML",
                    xmlns: "Event_NS",
                },
                &[
                    ("User", ValueType::String),
                    ("SessionID", ValueType::UInt32),
                ],
            )),
            values: vec![Value::String("CORP\\alice".into()), Value::UInt32(3)],
        };
        let mut values = vec![Value::Null; 18];
        values[sys::LEVEL] = Value::UInt8(4);
        values[sys::EVENT_ID] = Value::UInt16(24);
        values[sys::KEYWORDS] = Value::HexInt64(0x1000_0000_0000_0000);
        values[sys::TIME] = Value::FileTime(132_448_347_756_192_260);
        values[sys::RECORD_ID] = Value::UInt64(1);
        values[sys::USER] = Value::Sid(parse_sid("S-1-5-18").unwrap());
        values[sys::PROVIDER] =
            Value::String("Microsoft-Windows-TerminalServices-LocalSessionManager".into());
        values[sys::PROVIDER_GUID] =
            Value::Guid(parse_guid("{5d896912-022d-40aa-a3a8-4fa5515c76d7}").unwrap());
        values[sys::CHANNEL] = Value::String(
            "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational".into(),
        );
        values[sys::DATA] = Value::BinXml(Box::new(data));
        let event = Instance {
            template: Arc::new(system_template("RDS01", false, true)),
            values,
        };
        let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
        w.append(132_448_347_756_192_260, &event).unwrap();
        w.append(132_448_347_756_192_260, &event).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let mut parser = EvtxParser::from_buffer(bytes)
            .unwrap()
            .with_configuration(ParserSettings::new().validate_checksums(true));
        let records: Vec<_> = parser.records_json_value().collect();
        assert_eq!(records.len(), 2);
        let json = &records[0].as_ref().unwrap().data["Event"];
        assert_eq!(json["System"]["EventID"], 24);
        assert_eq!(json["System"]["Computer"], "RDS01");
        assert_eq!(json["System"]["Keywords"], "0x1000000000000000");
        assert_eq!(json["UserData"]["EventXML"]["SessionID"], 3);
        assert_eq!(json["UserData"]["EventXML"]["User"], "CORP\\alice");
    }
}
