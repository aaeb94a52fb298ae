//! The type of a substitution value and its BinXML type byte.

use crate::ingest::binxml::vocab::value_type;

/// The type of a substitution value, as the BinXML value-type byte names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// No value (0x00).
    Null,
    /// UTF-16LE text (0x01).
    String,
    /// Unsigned 8-bit integer (0x04).
    UInt8,
    /// Unsigned 16-bit integer (0x06).
    UInt16,
    /// Signed 32-bit integer (0x07).
    Int32,
    /// Unsigned 32-bit integer (0x08).
    UInt32,
    /// Signed 64-bit integer (0x09).
    Int64,
    /// Unsigned 64-bit integer (0x0A).
    UInt64,
    /// Boolean stored as a 32-bit integer (0x0D).
    Bool,
    /// Raw bytes (0x0E).
    Binary,
    /// GUID (0x0F).
    Guid,
    /// FILETIME (0x11).
    FileTime,
    /// Security identifier (0x13).
    Sid,
    /// 32-bit integer rendered in hex (0x14).
    HexInt32,
    /// 64-bit integer rendered in hex (0x15).
    HexInt64,
    /// A nested BinXML fragment (0x21).
    BinXml,
    /// NUL-separated UTF-16LE strings (0x81).
    StringArray,
}

impl ValueType {
    /// The type byte written in substitution tokens and value descriptors.
    pub fn code(self) -> u8 {
        match self {
            ValueType::Null => value_type::NULL,
            ValueType::String => value_type::STRING,
            ValueType::UInt8 => value_type::UINT8,
            ValueType::UInt16 => value_type::UINT16,
            ValueType::Int32 => value_type::INT32,
            ValueType::UInt32 => value_type::UINT32,
            ValueType::Int64 => value_type::INT64,
            ValueType::UInt64 => value_type::UINT64,
            ValueType::Bool => value_type::BOOL,
            ValueType::Binary => value_type::BINARY,
            ValueType::Guid => value_type::GUID,
            ValueType::FileTime => value_type::FILETIME,
            ValueType::Sid => value_type::SID,
            ValueType::HexInt32 => value_type::HEX_INT32,
            ValueType::HexInt64 => value_type::HEX_INT64,
            ValueType::BinXml => value_type::BINXML,
            ValueType::StringArray => value_type::STRING_ARRAY,
        }
    }
}
