//! dropcause explains why Remote Desktop sessions dropped, from Windows event
//! logs (.evtx).
//!
//! The data flows through one module per stage: [`ingest`] reads files into
//! [`event::Event`]s, [`rules`] matches them, [`correlate`] rebuilds sessions and
//! finds the drops and their causes, [`report`] renders the result. `writer`
//! writes EVTX files for the bundled samples.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analyze;
pub mod correlate;
pub mod diag;
pub mod error;
pub mod event;
pub mod ingest;
pub mod report;
pub mod rules;
pub mod writer;

pub use diag::{Diagnostics, Problem, ProblemKind};
pub use error::{Error, Result};
pub use event::{Event, FieldValue};
pub use report::{Format, RenderOptions, Report, render};
