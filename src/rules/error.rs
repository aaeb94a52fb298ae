//! What can be wrong with a rule file, where, and how to fix it.

use crate::diag::{Problem, ProblemKind};
use std::path::PathBuf;
use std::sync::Arc;

/// Why a rule could not be loaded (or, for [`RuleError::Unsupported`], why it was
/// deliberately skipped). Errors from below (I/O, YAML, regex) stay reachable
/// through [`std::error::Error::source`]; two errors are equal when they are of
/// the same kind and say the same.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read (for a file that is not UTF-8 text, the I/O
    /// error's [`get_ref`](std::io::Error::get_ref) is a [`NotUtf8`]).
    #[error("cannot read the file: {source}")]
    Unreadable {
        /// Why.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// The file is larger than rule files may be.
    #[error("file is {size} bytes, more than the {limit}-byte limit for a rule")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is not valid YAML.
    #[error("YAML syntax error: {message}")]
    Yaml {
        /// The parser's message, without its snippet and location.
        message: String,
        /// The parser's error.
        #[source]
        source: Arc<serde_saphyr::Error>,
    },
    /// Mappings or lists nest too deeply.
    #[error("nested more than {0} levels deep")]
    TooDeep(usize),
    /// A key holds a value of the wrong type.
    #[error("`{key}` must be {expected}, not {found}")]
    WrongType {
        /// The key or section concerned.
        key: String,
        /// What it should hold.
        expected: &'static str,
        /// What it holds.
        found: &'static str,
    },
    /// A required key is missing.
    #[error("missing required key `{0}`")]
    Missing(String),
    /// A top-level key that neither Sigma nor dropcause defines.
    #[error("unknown top-level key `{0}`")]
    UnknownKey(String),
    /// A value modifier that Sigma does not define.
    #[error("unknown value modifier `{0}`")]
    UnknownModifier(String),
    /// Modifiers that cannot be combined, or a value they cannot apply to.
    #[error("{0}")]
    BadModifiers(String),
    /// A regular expression that does not compile or is too large.
    #[error("bad regular expression: {message}")]
    BadRegex {
        /// The last line of the regex compiler's message.
        message: String,
        /// The compiler's error.
        #[source]
        source: Arc<regex::Error>,
    },
    /// A value that cannot be used (bad CIDR, bad number, ...).
    #[error("bad value: {0}")]
    BadValue(String),
    /// The condition does not parse.
    #[error("condition: {0}")]
    BadCondition(String),
    /// The condition names a search identifier the detection lacks.
    #[error("condition refers to `{0}`, which the detection does not define")]
    UnknownIdentifier(String),
    /// `1 of x*` where no search identifier matches `x*`.
    #[error("condition pattern `{0}` matches no search identifier")]
    EmptyPattern(String),
    /// The `dropcause:` block is invalid.
    #[error("dropcause block: {0}")]
    BadExtension(String),
    /// The `tests:` block is invalid.
    #[error("tests block: {0}")]
    BadTests(String),
    /// Two rules share an id.
    #[error("duplicate rule id `{id}`: already used by {first}")]
    DuplicateId {
        /// The id.
        id: String,
        /// The file that used it first.
        first: String,
    },
    /// A key whose value must be one of a few names, holding another.
    #[error("`{key}` is `{value}`, which is not one of: {allowed}")]
    NotOneOf {
        /// The key concerned.
        key: String,
        /// The value as written.
        value: String,
        /// The names it may hold, comma-separated.
        allowed: String,
    },
    /// A rule with a `dropcause:` block lacks a `match` or a `no_match` self-test.
    /// Only `rules lint` reports it: the rule still loads.
    #[error(
        "a rule with a dropcause block needs at least one `match` and one `no_match` self-test"
    )]
    Untested,
    /// A valid Sigma construct this engine does not evaluate; the rule is skipped.
    #[error("skipped: {0}")]
    Unsupported(String),
}

/// Why a file is [`RuleError::Unreadable`] when its bytes are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not UTF-8 text")]
pub struct NotUtf8(#[source] pub std::str::Utf8Error);

impl From<NotUtf8> for RuleError {
    fn from(e: NotUtf8) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e).into()
    }
}

impl From<std::io::Error> for RuleError {
    fn from(e: std::io::Error) -> Self {
        RuleError::Unreadable {
            source: Arc::new(e),
        }
    }
}

impl PartialEq for RuleError {
    /// The same kind of error, saying the same (sources compare by their text).
    fn eq(&self, other: &Self) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
            && self.to_string() == other.to_string()
    }
}

impl RuleError {
    /// True for rules skipped on purpose (valid Sigma this engine cannot run).
    pub fn is_skip(&self) -> bool {
        matches!(self, RuleError::Unsupported(_))
    }

    /// True for problems that only `rules lint` reports ([`RuleError::Untested`]): the
    /// rule loads and runs anyway.
    pub fn is_lint_only(&self) -> bool {
        matches!(self, RuleError::Untested)
    }

    /// A short suggestion on how to fix the problem.
    pub fn hint(&self) -> &'static str {
        match self {
            RuleError::Unreadable { .. } => "check the file's permissions and encoding (UTF-8)",
            RuleError::TooLarge { .. } => "a rule is one small YAML file; split or trim it",
            RuleError::Yaml { .. } => "check indentation, quoting and brackets near this position",
            RuleError::TooDeep(_) => "flatten the structure; Sigma detections need little nesting",
            RuleError::WrongType { .. } => "see RULE-FORMAT.md for the type each key takes",
            RuleError::Missing(_) => {
                "every rule needs title, logsource and detection (with a condition)"
            }
            RuleError::UnknownKey(_) => {
                "check the spelling; custom data belongs in the dropcause block"
            }
            RuleError::UnknownModifier(_) => {
                "modifiers: contains startswith endswith all exists cased neq re i m s cidr gt gte lt lte windash base64 base64offset wide utf16le utf16be utf16 fieldref minute hour day week month year"
            }
            RuleError::BadModifiers(_) => "see the Sigma modifiers appendix for valid combinations",
            RuleError::BadRegex { .. } => {
                "Rust regex syntax: no look-around or back-references; keep patterns small"
            }
            RuleError::BadValue(_) => "check the value's format",
            RuleError::BadCondition(_) => {
                "conditions use identifiers, and/or/not, parentheses, `1 of x*`, `all of x*`, `1 of them`"
            }
            RuleError::UnknownIdentifier(_) | RuleError::EmptyPattern(_) => {
                "name a search identifier defined under detection"
            }
            RuleError::BadExtension(_) => {
                "role: cause|drop|lifecycle|context; category/step/window/keys/explain/fix as in RULE-FORMAT.md"
            }
            RuleError::BadTests(_) => {
                "tests: { match: [ {Field: value, ...} ], no_match: [ ... ] }, and the rule must agree"
            }
            RuleError::NotOneOf { .. } => "write one of the listed names, in lower case",
            RuleError::Untested => {
                "add a tests: block with a `match` and a `no_match` event (RULE-FORMAT.md, \"The `tests:` block\")"
            }
            RuleError::DuplicateId { .. } => "give each rule its own id",
            RuleError::Unsupported(_) => {
                "the rule is valid Sigma but cannot run on Windows event logs here"
            }
        }
    }
}

/// A [`RuleError`] with the line and column it concerns, when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// 1-based line and column.
    pub loc: Option<(usize, usize)>,
    /// What is wrong.
    pub error: RuleError,
    /// A known name close to the one written, when there is one.
    pub suggestion: Option<String>,
}

impl Located {
    /// An error at `loc`.
    pub fn at(loc: Option<(usize, usize)>, error: RuleError) -> Self {
        Located {
            loc,
            error,
            suggestion: None,
        }
    }

    /// The same error with the name of `known` closest to `written` as a suggestion,
    /// if one is close enough (see [`did_you_mean`]).
    pub fn suggest<'a>(mut self, written: &str, known: impl IntoIterator<Item = &'a str>) -> Self {
        self.suggestion = did_you_mean(written, known).map(str::to_string);
        self
    }
}

/// The name of `known` closest to `written`, when it is near enough to be a slip
/// of the keyboard: the same name in another case, or at most one edit in three
/// characters (Damerau-Levenshtein: a swap counts as one). Ties go to the first.
pub fn did_you_mean<'a>(
    written: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = written.to_lowercase();
    let budget = (written.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| *k != written)
        .map(|k| {
            let d = if k.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(&lower, &k.to_lowercase())
            };
            (d, k)
        })
        .filter(|(d, _)| *d <= budget)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A problem with one rule file, ready to report as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleProblem {
    /// The rule file (or `<embedded>/...`).
    pub path: PathBuf,
    /// 1-based line and column.
    pub line_col: Option<(usize, usize)>,
    /// What is wrong.
    pub error: RuleError,
    /// A known name close to the one written (`did you mean ...?`).
    pub suggestion: Option<String>,
}

impl RuleProblem {
    /// A problem in `path`.
    pub fn new(path: impl Into<PathBuf>, located: Located) -> Self {
        RuleProblem {
            path: path.into(),
            line_col: located.loc,
            error: located.error,
            suggestion: located.suggestion,
        }
    }

    /// The message with its suggestion: "unknown value modifier `contans` (did you
    /// mean `contains`?)".
    pub fn message(&self) -> String {
        match &self.suggestion {
            Some(s) => format!("{} (did you mean `{s}`?)", self.error),
            None => self.error.to_string(),
        }
    }

    /// As a diagnostic: [`ProblemKind::BadRule`] for errors, [`ProblemKind::Note`] for skips.
    pub fn to_problem(&self) -> Problem {
        let kind = if self.error.is_skip() {
            ProblemKind::Note
        } else {
            ProblemKind::BadRule
        };
        let mut p = Problem::file(kind, self.path.clone(), self.message());
        p.line_col = self.line_col;
        p
    }
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((l, c)) = self.line_col {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}", self.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn unreadable_files_keep_the_io_error_and_say_what_it_says() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied");
        let e = RuleError::from(io);
        assert_eq!(e.to_string(), "cannot read the file: Permission denied");
        let source = e.source().expect("a source");
        assert!(source.downcast_ref::<Arc<std::io::Error>>().is_some());
        let bad = String::from_utf8(vec![0xff]).unwrap_err().utf8_error();
        let e = RuleError::from(NotUtf8(bad));
        assert_eq!(e.to_string(), "cannot read the file: not UTF-8 text");
        let RuleError::Unreadable { source } = &e else {
            panic!("{e:?}")
        };
        let inner = source.get_ref().expect("the inner error");
        assert!(inner.downcast_ref::<NotUtf8>().is_some());
        assert_eq!(e.clone(), e);
        assert_ne!(e, RuleError::Untested);
    }

    #[test]
    fn suggests_slips_of_the_keyboard_only() {
        let levels = ["informational", "low", "medium", "high", "critical"];
        assert_eq!(did_you_mean("hihg", levels), Some("high"));
        assert_eq!(did_you_mean("Medium", levels), Some("medium"));
        assert_eq!(did_you_mean("informatonal", levels), Some("informational"));
        assert_eq!(did_you_mean("severe", levels), None);
        assert_eq!(
            did_you_mean("high", levels),
            None,
            "a known name is not a slip"
        );
        assert_eq!(
            did_you_mean("contans", ["contains", "cased"]),
            Some("contains")
        );
        assert_eq!(
            did_you_mean("x", ["re", "i"]),
            Some("i"),
            "one edit is always allowed"
        );
    }
}
