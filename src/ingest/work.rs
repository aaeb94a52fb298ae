//! What the thread that splits files hands to the worker threads: chunks of
//! an EVTX file, batches of exported records, and notes of what splitting
//! found (counts and problems), in file order.

use super::stats::FileStats;
use crate::diag::{Diagnostics, Problem, ProblemKind};
use crate::event::Event;
use evtx::EvtxChunkData;
use std::path::Path;

/// A unit of work found in a file.
pub(crate) enum Work {
    /// A chunk to read; `cut` is how many of its bytes the file holds when it
    /// was cut short.
    Chunk {
        data: Box<EvtxChunkData>,
        cut: Option<u64>,
    },
    /// Events of an XML export, parsed and normalized (not yet counted).
    Events(Vec<Event>),
    /// Records of a JSON export, to normalize.
    Json(Vec<JsonItem>),
    /// Counts and problems found while splitting the file.
    Note {
        stats: Box<FileStats>,
        diagnostics: Diagnostics,
    },
}

/// One JSON record to normalize, with where it starts.
pub(crate) struct JsonItem {
    /// The line it starts on (JSON Lines, `evtx_dump -o json`), or its
    /// position in the array (1-based).
    pub place: Place,
    /// The record's JSON text.
    pub body: Vec<u8>,
}

/// Where a record is in its file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place {
    /// Starts on this line.
    Line(u64),
    /// The n-th element of a JSON array.
    Element(u64),
}

/// A note of `stats` and one problem.
pub(crate) fn note(stats: FileStats, problem: Problem) -> Work {
    let mut diagnostics = Diagnostics::default();
    diagnostics.push(problem);
    Work::Note {
        stats: Box::new(stats),
        diagnostics,
    }
}

/// The note of a file that could not be read at all: `message` is both the
/// reason its account gives and its problem.
pub(crate) fn failed(path: &Path, message: String) -> Work {
    let stats = FileStats {
        failed: Some(message.clone()),
        ..FileStats::default()
    };
    note(stats, Problem::file(ProblemKind::Unreadable, path, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_file_says_why_twice() {
        let Work::Note { stats, diagnostics } = failed(Path::new("a.evtx"), "gone".into()) else {
            panic!("a note");
        };
        assert_eq!(stats.failed.as_deref(), Some("gone"));
        assert_eq!(diagnostics.problems.len(), 1);
        assert_eq!(diagnostics.problems[0].kind, ProblemKind::Unreadable);
        assert_eq!(diagnostics.problems[0].message, "gone");
    }
}
