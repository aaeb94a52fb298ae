//! The BinXML peek: judging a record from its template and substitution values without
//! rendering it, and skimming a chunk without building its records (see `docs/architecture.md`,
//! "The BinXML peek").
//!
//! - `peek`: a record's header and data fields read straight from its bytes ([`peek()`]);
//! - `walk`: where a template's `Event/System` fields come from;
//! - `plan`: where a template's data fields come from, and their values in one instance;
//! - `skim`: a chunk accounted for from its record headers when no record is wanted.
//!
//! This module is the one way in for the rest of `ingest`.

mod peek;
mod plan;
mod skim;
mod walk;

pub(crate) use peek::SystemField;
pub use peek::{Peek, PeekCache, PeekText, peek};
pub(crate) use skim::skim;
