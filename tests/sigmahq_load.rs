//! Loading the SigmaHQ Windows rules: every rule loads or is skipped with a
//! stated, specific reason; none fails.

use dropcause::rules::{RuleSet, RuleSource};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The SigmaHQ Windows tree: `$DROPCAUSE_SIGMA`, or `../shared/sigma/windows`.
pub fn sigma_dir() -> Option<PathBuf> {
    crate::util::shared("SigmaHQ rules", "DROPCAUSE_SIGMA", "sigma/windows", ".")
}

#[test]
fn every_sigmahq_windows_rule_loads_or_is_skipped_for_a_stated_reason() {
    let Some(dir) = sigma_dir() else {
        println!(
            "SKIP: SigmaHQ rules not found (set DROPCAUSE_SIGMA or put them in ../shared/sigma/windows)"
        );
        return;
    };
    let (set, report) = RuleSet::load_with_report(&[RuleSource::Path(dir)]);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for p in report.skipped() {
        *reasons.entry(p.error.to_string()).or_default() += 1;
    }
    let errors: Vec<String> = report.errors().map(|p| p.to_string()).collect();
    println!(
        "SigmaHQ windows: {} files, {} loaded, {} skipped, {} failed",
        report.files,
        report.loaded,
        report.skipped().count(),
        errors.len()
    );
    for (reason, n) in &reasons {
        println!("  skipped {n:4}: {reason}");
    }
    for e in &errors {
        println!("  FAILED: {e}");
    }
    assert!(errors.is_empty(), "{} rules failed to load", errors.len());
    assert_eq!(report.files, report.loaded + report.skipped().count());
    assert_eq!(set.len(), report.loaded);
    assert!(report.loaded >= 2300, "only {} rules loaded", report.loaded);
}
