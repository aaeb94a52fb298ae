//! Non-fatal problems, each with its place (file, chunk, record), and the per-file
//! accounting of what was read and what was lost. Passed around as values, never global.

use serde::{Serialize, Serializer};
use std::fmt;
use std::path::{Path, PathBuf};

/// Serializes a path as text for `#[serde(serialize_with)]`. A name that is not
/// UTF-8 (a Latin-1 name on a Linux copy of Windows evidence) is written with
/// U+FFFD in place of each bad byte, which marks it, instead of failing the
/// whole output as serde's own `Path` serialization does.
pub fn serialize_path<P: AsRef<Path>, S: Serializer>(path: &P, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.as_ref().to_string_lossy())
}

/// Serializes a UTC time as chrono's own `Serialize` does (RFC 3339, `Z`, as many
/// fraction digits as needed: 0, 3, 6 or 9), for `#[serde(serialize_with)]` on the
/// report's hot fields: chrono hands serde_json a `Display`, which it escapes one
/// character at a time (a sixth of a 200 MB report's time).
pub fn serialize_time<S: Serializer>(
    time: &chrono::DateTime<chrono::Utc>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// [`serialize_path`] for an optional path.
pub fn serialize_opt_path<P: AsRef<Path>, S: Serializer>(
    path: &Option<P>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match path {
        Some(path) => serialize_path(path, s),
        None => s.serialize_none(),
    }
}

/// What kind of problem a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A file or folder could not be opened or listed.
    Unreadable,
    /// A file given or found is not an EVTX log.
    NotEvtx,
    /// A chunk could not be read; its records are lost.
    BadChunk,
    /// One record could not be read or rendered.
    BadRecord,
    /// A record was rendered but lacks the parts every event has.
    BadEvent,
    /// A rule file could not be loaded.
    BadRule,
    /// Anything else worth telling the user.
    Note,
}

/// One problem, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What kind of problem it is.
    pub kind: ProblemKind,
    /// The file or folder concerned.
    #[serde(serialize_with = "serialize_path")]
    pub path: PathBuf,
    /// The chunk number in the file, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk: Option<u64>,
    /// The record id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// The line and column in a text file (rules), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_col: Option<(usize, usize)>,
    /// What went wrong, in words.
    pub message: String,
}

impl Problem {
    /// A problem with a file as a whole.
    pub fn file(kind: ProblemKind, path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Problem {
            kind,
            path: path.into(),
            chunk: None,
            record: None,
            line_col: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(chunk) = self.chunk {
            write!(f, ": chunk {chunk}")?;
        }
        if let Some(record) = self.record {
            write!(f, ": record {record}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The problems of a run, in the order they were found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    /// Every problem found.
    pub problems: Vec<Problem>,
}

impl Diagnostics {
    /// Records a problem.
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// Appends another set of problems.
    pub fn extend(&mut self, other: Diagnostics) {
        self.problems.extend(other.problems);
    }

    /// How many problems of `kind` there are.
    pub fn count(&self, kind: ProblemKind) -> usize {
        self.problems.iter().filter(|p| p.kind == kind).count()
    }

    /// True when nothing went wrong.
    pub fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::serialize_time;
    use chrono::{DateTime, TimeZone, Timelike, Utc};

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "serialize_time")] DateTime<Utc>);

    #[test]
    fn time_is_written_as_chrono_writes_it() {
        let base = Utc.with_ymd_and_hms(2020, 9, 19, 3, 19, 26).unwrap();
        // No fraction, milliseconds, microseconds, nanoseconds, a leap second.
        for nanos in [0, 299_000_000, 299_563_000, 299_563_100, 1_000_000_001] {
            let t = base.with_nanosecond(nanos).unwrap_or(base);
            let ours = serde_json::to_string(&Ours(t)).unwrap();
            let chrono = serde_json::to_string(&t).unwrap();
            assert_eq!(ours, chrono, "{nanos}");
        }
    }
}
