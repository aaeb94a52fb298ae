//! Problems gathered across one rule file, so that `rules lint` reports them all in
//! one run, and the check shared by every key that takes one of a few names.

use super::error::{Located, RuleError};
use super::yaml::Node;

/// The problems of one file, gathered so that one lint run reports them all.
#[derive(Debug, Default)]
pub(crate) struct Found(pub Vec<Located>);

impl Found {
    /// The value, or `None` with its error kept.
    pub fn keep<T>(&mut self, result: Result<T, Located>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// Keeps a problem.
    pub fn push(&mut self, problem: Located) {
        self.0.push(problem);
    }

    /// True when a problem keeps the rule from loading (anything but a lint-only one).
    pub fn blocking(&self) -> bool {
        self.0.iter().any(|p| !p.error.is_lint_only())
    }
}

/// The value named `written` in `names`, or a [`RuleError::NotOneOf`] at `n` that lists
/// them and suggests the closest.
pub(crate) fn one_of<T: Copy>(
    n: &Node,
    key: &str,
    written: &str,
    names: &[(&str, T)],
) -> Result<T, Located> {
    if let Some((_, v)) = names.iter().find(|(name, _)| *name == written) {
        return Ok(*v);
    }
    let allowed = names.iter().map(|(name, _)| *name).collect::<Vec<_>>();
    let error = RuleError::NotOneOf {
        key: key.to_string(),
        value: written.to_string(),
        allowed: allowed.join(", "),
    };
    Err(Located::at(n.loc, error).suggest(written, allowed))
}
