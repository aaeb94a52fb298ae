//! The status code a kernel driver wrote into a classic event's binary data.
//!
//! Drivers log through `IoWriteErrorLogEntry`, and the event's `Binary` is then
//! the `IO_ERROR_LOG_PACKET` they filled: a 40-byte header (its `ErrorCode` is
//! the event's message id) followed by `DumpDataSize` bytes of driver data.
//! TermDD's event 56 ("the security layer detected an error in the protocol
//! stream") puts one DWORD there: the status that ended the connection, in
//! `HRESULT_FROM_NT` form (`0xD00000B5` for `STATUS_IO_TIMEOUT`). That status
//! says why the connection ended, which the message itself never does.

use super::binary::unhex;

/// Bytes before the driver's dump data in an `IO_ERROR_LOG_PACKET`.
const HEADER: usize = 40;
/// Offset of the packet's `ErrorCode` (the event's full message id).
const ERROR_CODE_AT: usize = 12;
/// The bit `HRESULT_FROM_NT` sets on an NTSTATUS value.
const FACILITY_NT_BIT: i64 = 0x1000_0000;

/// The status in `binary` (the event's `Binary`, as hex text) when it is an
/// `IO_ERROR_LOG_PACKET` of event `event_id` whose dump data is exactly one
/// status value. NTSTATUS values logged in `HRESULT_FROM_NT` form come back as
/// plain NTSTATUS (`0xC00000B5`); HRESULTs (`0x80090304`) come back as they are.
/// Anything else (another layout, data that is not a status) gives `None`.
pub fn driver_status(binary: &str, event_id: u16) -> Option<i64> {
    let bytes = unhex(binary.trim(), HEADER + 64)?;
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| {
        i64::from(u32::from_le_bytes([
            bytes[at],
            bytes[at + 1],
            bytes[at + 2],
            bytes[at + 3],
        ]))
    };
    if bytes.len() != HEADER + 4 || u16_at(2) != 4 {
        return None;
    }
    if u32_at(ERROR_CODE_AT) & 0xFFFF != i64::from(event_id) {
        return None;
    }
    let status = u32_at(HEADER);
    match status >> 28 {
        0x8 | 0xC => Some(status),
        0x9 | 0xD => Some(status & !FACILITY_NT_BIT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TermDD 56 records of a Windows 7 System log (python-evtx's test data).
    const TIMEOUT: &str =
        "0000040002002C000000000038000AC00000000038000AC000000000000000000000000000000000B50000D0";
    const PROTOCOL: &str =
        "0000040002002C000000000038000AC00000000038000AC00000000000000000000000000000000032000AD0";

    #[test]
    fn the_dump_status_of_termdd_56_is_read_as_ntstatus() {
        assert_eq!(driver_status(TIMEOUT, 56), Some(0xC000_00B5));
        assert_eq!(driver_status(PROTOCOL, 56), Some(0xC00A_0032));
        assert_eq!(
            driver_status(&TIMEOUT.to_lowercase(), 56),
            Some(0xC000_00B5)
        );
    }

    #[test]
    fn an_hresult_in_the_dump_stays_as_it_is() {
        let sspi = TIMEOUT.replace("B50000D0", "04030980");
        assert_eq!(driver_status(&sspi, 56), Some(0x8009_0304));
    }

    #[test]
    fn other_layouts_and_other_data_are_not_read() {
        // TermDD 50 dumps the offending X.224 bytes, not a status.
        let x224 = "0000240002004C000000000032000AC00000000032000AC000000000000000000000000000000000270000000300002002F08064000703EB701212001700F003EA0301000001040024000000";
        assert_eq!(driver_status(x224, 50), None);
        // The packet's message id must be the event's.
        assert_eq!(driver_status(TIMEOUT, 50), None);
        assert_eq!(
            driver_status(&TIMEOUT.replace("B50000D0", "01000000"), 56),
            None
        );
        for junk in ["", "5400", "zz", &TIMEOUT[1..], &TIMEOUT[..80]] {
            assert_eq!(driver_status(junk, 56), None, "{junk}");
        }
    }
}
