//! The rule loader: YAML text (Sigma plus the dropcause extension) to a rule set.
#![no_main]

use dropcause::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let source = RuleSource::Text {
        path: PathBuf::from("fuzz.yml"),
        text: text.to_string(),
    };
    let (rules, diagnostics) = RuleSet::load(&[source]);
    // Every message renders, and a loaded rule can be matched and self-tested.
    for p in &diagnostics.problems {
        let _ = p.to_string();
    }
    if !rules.is_empty() {
        let _ = rules.run_self_tests();
        let _ = rules.interest();
    }
});
