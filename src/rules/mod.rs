//! Stage 3: Sigma rules (with our `dropcause:` extension) matched against events.
//!
//! Input: [`crate::event::Event`]s. Output: [`Matched`] events, each with the
//! [`RuleInfo`] of every rule that matched it.
//!
//! Load with [`RuleSet::load`] from [`RuleSource`]s (the built-in rules, rule
//! directories, or text); match with [`RuleSet::matches`] or
//! [`RuleSet::match_event`]; ask [`RuleSet::interest`] which events can match
//! at all. The engine is our own (see `rules/README.md` for why): rules are
//! compiled once (lowercased literals, regexes built once, Aho-Corasick for
//! substring lists) and indexed by (channel, event id).

mod condition;
mod detection;
pub mod error;
pub mod extension;
mod extension_block;
mod field;
mod found;
mod gate;
mod index;
mod interest;
mod logsource;
mod matched;
mod matcher;
mod modifier;
mod pattern;
mod pins;
mod rule;
mod ruleset;
mod selftest;
mod source;
mod yaml;

pub use error::{NotUtf8, RuleError, RuleProblem};
pub use extension::{AlertFilter, Category, Extension, Level, Role, RuleInfo, Step, Window};
pub use interest::{Interest, Judgement};
pub use matched::{Matched, alerts_at};
pub use ruleset::{LoadReport, RulePins, RuleSet, RuleSummary, SelfTestFailure};
pub use selftest::{BadSystemField, event_from_fields};
pub use source::{EMBEDDED_PREFIX, RuleSource, rule_text};

/// Parses a Sigma `condition` against a rule's search identifiers `names` and
/// evaluates it once with every search false: the parser alone, for fuzzing
/// and tools. Returns the error and the character offset it concerns when the
/// condition is refused.
#[doc(hidden)]
pub fn check_condition(text: &str, names: &[String]) -> Result<bool, (usize, RuleError)> {
    condition::parse(text, names)
        .map(|c| c.eval(&|_| false))
        .map_err(|e| (e.offset, e.error))
}
