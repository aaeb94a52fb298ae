//! What can be wrong with a rule file, where, and how to fix it.

use crate::diag::{Problem, ProblemKind};
use std::path::PathBuf;

/// Why a rule could not be loaded (or, for [`RuleError::Unsupported`], why it was
/// deliberately skipped).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// The file is larger than rule files may be.
    #[error("file is {size} bytes, more than the {limit}-byte limit for a rule")]
    TooLarge {
        /// The file's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The file is not valid YAML.
    #[error("YAML syntax error: {0}")]
    Yaml(String),
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
    #[error("bad regular expression: {0}")]
    BadRegex(String),
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
    /// A valid Sigma construct this engine does not evaluate; the rule is skipped.
    #[error("skipped: {0}")]
    Unsupported(String),
}

impl RuleError {
    /// True for rules skipped on purpose (valid Sigma this engine cannot run).
    pub fn is_skip(&self) -> bool {
        matches!(self, RuleError::Unsupported(_))
    }

    /// A short suggestion on how to fix the problem.
    pub fn hint(&self) -> &'static str {
        match self {
            RuleError::Unreadable(_) => "check the file's permissions and encoding (UTF-8)",
            RuleError::TooLarge { .. } => "a rule is one small YAML file; split or trim it",
            RuleError::Yaml(_) => "check indentation, quoting and brackets near this position",
            RuleError::TooDeep(_) => "flatten the structure; Sigma detections need little nesting",
            RuleError::WrongType { .. } => "see RULE-FORMAT.md for the type each key takes",
            RuleError::Missing(_) => {
                "every rule needs title, logsource and detection (with a condition)"
            }
            RuleError::UnknownKey(_) => {
                "check the spelling; custom data belongs in the dropcause block"
            }
            RuleError::UnknownModifier(_) => {
                "modifiers: contains startswith endswith all exists cased neq re i m s cidr gt gte lt lte windash base64 base64offset wide utf16le utf16be utf16 fieldref"
            }
            RuleError::BadModifiers(_) => "see the Sigma modifiers appendix for valid combinations",
            RuleError::BadRegex(_) => {
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
}

impl Located {
    /// An error at `loc`.
    pub fn at(loc: Option<(usize, usize)>, error: RuleError) -> Self {
        Located { loc, error }
    }
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
}

impl RuleProblem {
    /// A problem in `path`.
    pub fn new(path: impl Into<PathBuf>, located: Located) -> Self {
        RuleProblem {
            path: path.into(),
            line_col: located.loc,
            error: located.error,
        }
    }

    /// As a diagnostic: [`ProblemKind::BadRule`] for errors, [`ProblemKind::Note`] for skips.
    pub fn to_problem(&self) -> Problem {
        let kind = if self.error.is_skip() {
            ProblemKind::Note
        } else {
            ProblemKind::BadRule
        };
        let mut p = Problem::file(kind, self.path.clone(), self.error.to_string());
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
        write!(f, ": {}", self.error)
    }
}
