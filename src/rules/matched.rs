//! The output of the rules stage: events kept because rules matched them.

use super::extension::{Level, Role, RuleInfo};
use crate::event::Event;
use std::sync::Arc;

/// An event that at least one rule matched, with every rule it matched.
#[derive(Debug, Clone)]
pub struct Matched {
    /// The event.
    pub event: Event,
    /// The rules that matched it, in rule-set order.
    pub rules: Vec<Arc<RuleInfo>>,
}

impl Matched {
    /// The matched rules that play `role`.
    pub fn with_role(&self, role: Role) -> impl Iterator<Item = &Arc<RuleInfo>> {
        self.rules.iter().filter(move |r| r.role() == role)
    }

    /// True when only plain Sigma rules (without a `dropcause:` block) matched it: the event
    /// is an alert and nothing more. Correlation reads none of its fields (the events it
    /// reads are those dropcause's own rules match), so they need not be kept.
    pub fn alert_only(&self) -> bool {
        self.rules.iter().all(|r| r.extension.is_none())
    }

    /// The context alert rules it matched, of `min_level` or above when one is given.
    pub fn alerts_at(&self, min_level: Option<Level>) -> impl Iterator<Item = &Arc<RuleInfo>> {
        alerts_at(&self.rules, min_level)
    }
}

/// The context alert rules of `rules`, of `min_level` or above when one is given.
pub fn alerts_at(
    rules: &[Arc<RuleInfo>],
    min_level: Option<Level>,
) -> impl Iterator<Item = &Arc<RuleInfo>> {
    rules
        .iter()
        .filter(move |r| r.role() == Role::Context)
        .filter(move |r| min_level.is_none_or(|min| r.level >= min))
}
