//! What can go wrong while writing EVTX files or loading scenarios.

use std::path::PathBuf;

/// An error of the [`crate::writer`] module.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Writing to the output stream failed.
    #[error("writing EVTX: {0}")]
    Output(#[from] std::io::Error),
    /// One record is larger than a chunk can hold.
    #[error("a record of {0} bytes does not fit in a 64 KiB chunk")]
    RecordTooLarge(usize),
    /// One value is larger than its 16-bit size field allows.
    #[error("a value of {0} bytes exceeds the 65535-byte limit")]
    ValueTooLarge(usize),
    /// A template instance gives fewer values than its template uses.
    #[error("template needs {needed} values, {given} given")]
    MissingValues {
        /// Values the template refers to.
        needed: usize,
        /// Values the instance carries.
        given: usize,
    },
    /// The file would have more chunks than the header's 16-bit count allows.
    #[error("{0} chunks exceed the 65535 an EVTX header can count")]
    TooManyChunks(u64),
    /// More distinct events outside the catalog than the writer keeps schemas for.
    #[error("more than {0} distinct events outside the writer's catalog")]
    TooManySchemas(usize),
    /// An argument or scenario value is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// A scenario file is not valid YAML or does not match the scenario format.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Scenario {
        /// The scenario file.
        path: PathBuf,
        /// 1-based line (0 when unknown).
        line: u64,
        /// 1-based column (0 when unknown).
        column: u64,
        /// What is wrong.
        message: String,
    },
}
