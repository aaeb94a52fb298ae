//! The types of the [`catalog`](super::catalog) of events: who writes an event
//! and the schema of each (kept apart from the catalog's functions, so that
//! the table of data, `catalog_table.rs`, and the functions over it both build
//! on them).

use super::template::DataShape;
use super::value::ValueType;

/// Who writes an event, and the `System` values common to its events.
#[derive(Debug, PartialEq, Eq)]
pub struct Provider {
    /// `Provider/@Name`.
    pub name: &'static str,
    /// `Provider/@Guid`, when the provider has one.
    pub guid: Option<&'static str>,
    /// `Provider/@EventSourceName` of classic event sources.
    pub event_source: Option<&'static str>,
    /// `Keywords` unless the event says otherwise.
    pub keywords: u64,
    /// `Security/@UserID` unless the scenario says otherwise.
    pub user: Option<&'static str>,
    /// `Execution/@ProcessID`.
    pub process_id: u32,
    /// Whether the provider writes `Correlation/@ActivityID`.
    pub correlated: bool,
}

/// The schema of one event.
#[derive(Debug, PartialEq, Eq)]
pub struct EventSchema {
    /// The provider.
    pub provider: &'static Provider,
    /// The event id (low 16 bits).
    pub event_id: u16,
    /// The channel the event is written to.
    pub channel: &'static str,
    /// How the data part is laid out.
    pub shape: DataShape,
    /// Field names and types, in document order.
    pub fields: &'static [(&'static str, ValueType)],
    /// `Level` unless the scenario says otherwise.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `Opcode` (absent in some classic events).
    pub opcode: Option<u8>,
    /// `Version` (absent in some classic events).
    pub version: Option<u8>,
    /// `EventID/@Qualifiers` of classic events.
    pub qualifiers: Option<u16>,
    /// `Keywords`, when it differs from the provider's.
    pub keywords: Option<u64>,
}
