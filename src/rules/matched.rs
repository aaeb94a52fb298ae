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

    /// The context alert rules it matched, of `min_level` or above when one is given.
    pub fn alerts_at(&self, min_level: Option<Level>) -> impl Iterator<Item = &Arc<RuleInfo>> {
        self.with_role(Role::Context)
            .filter(move |r| min_level.is_none_or(|min| r.level >= min))
    }
}
