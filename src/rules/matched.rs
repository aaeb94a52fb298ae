//! The output of the rules stage: events kept because rules matched them.

use super::extension::{Role, RuleInfo};
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
}
