//! The library's error type: what stops a whole operation (as opposed to the
//! per-file and per-record problems collected in [`crate::diag::Diagnostics`]).

use std::path::PathBuf;

/// An error that ends an operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Writing output failed.
    #[error("writing output: {0}")]
    Output(#[from] std::io::Error),
    /// A code that `explain` was given is not a number.
    #[error(transparent)]
    Code(#[from] crate::vocab::NotACode),
    /// An option's value was not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
