//! Writes EVTX files the way Windows does, for the bundled samples and for
//! benchmark-sized logs.
//!
//! The layers, bottom up: [`value`] (typed substitution values), [`template`]
//! (template trees), [`binxml`] (their encoding), [`chunk`] and [`file`]
//! (the EVTX container). Above them, [`catalog`] knows the schema of each
//! event the samples use, and [`scenario`] turns a YAML scenario into files.

pub mod binxml;
pub mod chunk;
mod error;
pub mod file;
pub mod hash;
pub mod template;
pub mod value;

pub use error::WriterError;
pub use file::EvtxWriter;
pub use template::Instance;
pub use value::{Value, ValueType};
