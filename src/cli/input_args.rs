//! Arguments shared by every command that reads logs.

use clap::Args;
use dropcause::ingest::{Discovery, IngestOptions, discover};
use std::path::PathBuf;

/// Where the logs are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// .evtx files and folders (searched recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// In folders, look at every file, not only *.evtx (EVTX is recognised by
    /// its content).
    #[arg(long)]
    pub all_files: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Also carve records from chunk slack and cleared chunks.
    #[arg(long)]
    pub recover: bool,
}

impl InputArgs {
    /// The ingest options these arguments ask for.
    pub fn options(&self) -> IngestOptions {
        IngestOptions {
            threads: self.threads,
            all_files: self.all_files,
            recover_records: self.recover,
            skip_truncated_chunk: false,
            prefilter: None,
        }
    }

    /// Finds the logs, printing one line per path that could not be used.
    pub fn discover(&self) -> Discovery {
        let found = discover(&self.paths, self.all_files);
        for problem in &found.diagnostics.problems {
            eprintln!(
                "dropcause: {}",
                dropcause::report::escape::terminal(&problem.to_string())
            );
        }
        found
    }
}
