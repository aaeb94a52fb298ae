//! The BinXML peek: judging a record from its template and substitution values without
//! rendering it, and skimming a chunk without building its records (see `docs/architecture.md`,
//! "The BinXML peek").
//!
//! - `vocab`: the words of the format, spelt once (layout, token and value-type bytes,
//!   FILETIME, UTF-16LE), which the EVTX writer uses too;
//! - `cursor`: checked reading of a chunk's bytes and of its name entries;
//! - `content`: where a field's text comes from in a template;
//! - `peek`: a record's header and data fields read straight from its bytes ([`peek()`]);
//! - `walk`: where a template's `Event/System` fields come from;
//! - `plan`: where a template's data fields come from, and their values in one instance;
//! - `skim`: a chunk accounted for from its record headers when no record is wanted.
//!
//! This module is the one way in for the rest of `ingest`.

mod content;
mod cursor;
mod peek;
mod plan;
mod skim;
pub(crate) mod vocab;
mod walk;

pub(crate) use peek::SystemField;
pub use peek::{Peek, PeekCache, PeekText, peek};
pub(crate) use skim::skim;
