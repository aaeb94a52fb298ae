//! dropcause explains why Remote Desktop sessions dropped, from Windows event
//! logs (.evtx).
//!
//! The data flows through one module per stage: [`ingest`] reads files into
//! [`event::Event`]s, [`rules`] matches them, [`correlate`] rebuilds sessions and
//! finds the drops and their causes, [`report`] renders the result. `writer`
//! writes EVTX files for the bundled samples. `vocab` holds the words every
//! stage shares; `explain` decodes client and server codes.
//!
//! Why did the sessions on the bundled network-drop sample drop?
//!
//! ```
//! use dropcause::analyze::analyze;
//! use dropcause::correlate::CorrelateOptions;
//! use dropcause::ingest::{IngestOptions, discover};
//! use dropcause::rules::RuleSet;
//! use dropcause::vocab::Category;
//!
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/network-drop");
//! let found = discover(&[dir], false);
//! let (rules, _problems) = RuleSet::built_in();
//! let analyzed = analyze(
//!     &found.sources,
//!     &rules,
//!     &IngestOptions::default(),
//!     &CorrelateOptions::default(),
//!     &mut (),
//! );
//! let a = &analyzed.analysis;
//! assert_eq!(a.findings.len(), 1);
//! assert_eq!(a.findings[0].verdict.category, Some(Category::Network));
//! assert_eq!(&*a.incidents[0].title, "1 session of CORP\\alice dropped: RDP connection ended on a network error code (RdpCoreTS 226)");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod analyze;
pub mod correlate;
pub mod diag;
pub mod error;
pub mod event;
pub mod explain;
pub mod ingest;
pub mod report;
pub mod rules;
pub mod vocab;
#[cfg(feature = "writer")]
pub mod writer;

pub use diag::{Diagnostics, Problem, ProblemKind};
pub use error::{Error, Result};
pub use event::{Event, FieldValue};
pub use report::{Format, RenderOptions, Report, render};
