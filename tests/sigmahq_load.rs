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

/// Sigma alert triage on a real host (issue 16): StolenSzechuan with SigmaHQ at
/// `--min-level medium` shows no informational alert, in the terminal summary or the
/// JSON, and its alert summary names the RDP-from-public-IP and Getsystem rules with
/// their levels and ATT&CK ids.
#[test]
fn stolenszechuan_with_sigmahq_at_medium_shows_the_alerts_that_matter() {
    let (Some(sigma), Some(corpus)) = (sigma_dir(), crate::util::corpus("sigma triage")) else {
        return;
    };
    let logs = corpus.join("dfir-artifact-museum/StolenSzechuanEventLogs");
    let (logs, sigma) = (logs.to_str().unwrap(), sigma.to_str().unwrap());
    let base = [
        "analyze",
        "-q",
        logs,
        "--rules",
        sigma,
        "--min-level",
        "medium",
    ];
    let out = crate::util::run(&[&base[..], &["--format", "json"]].concat());
    let (stdout, stderr) = crate::util::texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let alerts = report["analysis"]["alerts"].as_array().expect("alerts");
    assert!(!alerts.is_empty());
    for a in alerts {
        assert_ne!(a["level"], "informational", "{a}");
    }
    let find = |title: &str| {
        alerts
            .iter()
            .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with(title)))
            .unwrap_or_else(|| panic!("no `{title}` alert in {alerts:?}"))
    };
    let rdp = find("External Remote RDP Logon from Public IP");
    assert_eq!(rdp["level"], "medium");
    assert!(
        rdp["attack"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "T1133"),
        "{rdp}"
    );
    let getsystem = find("Meterpreter or Cobalt Strike Getsystem Service Installation");
    assert_eq!(getsystem["level"], "high");
    let timeline = report["analysis"]["timeline"].as_array().expect("timeline");
    assert!(
        timeline
            .iter()
            .all(|e| e["kind"] != "context" || e["level"] != "informational"),
        "an informational alert on the timeline"
    );

    let out = crate::util::run(&base);
    let (stdout, _) = crate::util::texts(&out);
    let section: String = stdout
        .split("\nAlerts: ")
        .nth(1)
        .expect("an alert summary")
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        section.contains("high · 3 × Meterpreter or Cobalt Strike Getsystem"),
        "{section}"
    );
    assert!(
        section.contains("External Remote RDP Logon from Public IP"),
        "{section}"
    );
    assert!(!section.contains("informational"), "{section}");
}
