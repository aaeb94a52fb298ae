//! The shipped `rules/` tree: it lints clean and passes its self-tests, and the
//! copy embedded in the binary is the same as the folder.

use dropcause::rules::{RuleSet, RuleSource};
use std::path::PathBuf;

fn check_tree(sources: &[RuleSource]) -> (usize, usize) {
    let (set, report) = RuleSet::load_with_report(sources);
    let problems: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{p} ({})", p.error.hint()))
        .collect();
    assert!(
        problems.is_empty(),
        "rule problems:\n{}",
        problems.join("\n")
    );
    let untested: Vec<String> = report.untested().map(ToString::to_string).collect();
    assert!(
        untested.is_empty(),
        "rules without a match and a no_match self-test: {untested:?}"
    );
    let failures: Vec<String> = set
        .run_self_tests()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        failures.is_empty(),
        "self-tests failed:\n{}",
        failures.join("\n")
    );
    (set.len(), set.self_test_count())
}

#[test]
fn built_in_rules_lint_clean_and_pass_their_self_tests() {
    let (rules, tests) = check_tree(&[RuleSource::BuiltIn]);
    println!("built-in rules: {rules} rules, {tests} self-tests passed");
    if rules == 0 {
        println!("NOTE: this checkout's rules/ folder holds no rule files yet");
    }
    assert!(
        tests >= 2 * rules,
        "each rule has at least a match and a no_match test"
    );
}

#[test]
fn embedded_rules_are_the_rules_folder() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    let (embedded, _) = RuleSet::built_in();
    let (on_disk, _) = RuleSet::load(&[RuleSource::Path(dir)]);
    let ids = |s: &RuleSet| s.infos().map(|r| r.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&embedded), ids(&on_disk));
}

/// For rule authors, on demand: `DROPCAUSE_RULES_CHECK=DIR cargo test
/// extra_rule_folder -- --ignored`.
#[test]
#[ignore = "set DROPCAUSE_RULES_CHECK to a rule folder and run with --ignored"]
fn extra_rule_folder_lints_clean() {
    let dir = std::env::var_os("DROPCAUSE_RULES_CHECK")
        .expect("DROPCAUSE_RULES_CHECK names the rule folder to lint and self-test");
    let (rules, tests) = check_tree(&[RuleSource::Path(PathBuf::from(dir))]);
    println!("{rules} rules, {tests} self-tests passed");
}
