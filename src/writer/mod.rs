//! Writes EVTX files the way Windows does, for the bundled samples and for
//! benchmark-sized logs.
//!
//! The layers, bottom up: [`value`] (typed substitution values), [`template`]
//! (template trees), [`binxml`] (their encoding), [`chunk`] and [`file`](mod@file)
//! (the EVTX container). Above them, [`catalog`] knows the schema of each
//! event the samples use, [`generic`] makes schemas for any other event a
//! scenario names, and [`scenario`] turns a YAML scenario into files.

pub mod binxml;
pub mod catalog;
mod catalog_table;
pub mod chunk;
mod error;
mod field_input;
pub mod file;
mod generate;
pub mod generic;
pub mod hash;
pub mod plan;
pub mod render;
mod rng;
pub mod scenario;
mod schema;
pub mod template;
pub mod value;
mod value_type;

pub use error::WriterError;
pub use file::EvtxWriter;
pub use generate::{generate, write_channel};
pub use plan::{ChannelPlan, PlannedEvent, plan};
pub use scenario::{Expect, Scenario};
pub use value::{Instance, Value, ValueType};
