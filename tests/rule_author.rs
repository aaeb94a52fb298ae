//! A rule author's path, end to end: the worked example of `rules/RULE-FORMAT.md`
//! (NETLOGON 5719, a domain controller out of reach) saved as a rule file, a test log
//! for it written by `dropcause sample` although the writer's catalog lacks the event,
//! the rule's self-tests run, and `analyze` naming it as a cause of the refusals.

use crate::util::{run, texts};
use std::fs;
use std::path::Path;

/// Three NLA logons refused for want of a logon server, five minutes after NETLOGON
/// said it could reach no domain controller.
const SCENARIO: &str = r#"
description: "no domain controller reachable; three connection attempts refused"
computer: RDS-DC01
start: 2024-03-11T06:00:00Z
seed: 5
expect: { drops: 3, cause: authentication }
events:
  - { at: +1h, provider: NETLOGON, id: 5719, channel: System, level: 2, qualifiers: 49152, fields: { param1: CORP, param2: "There are currently no logon servers available." } }
  - { at: +1h5m, provider: Microsoft-Windows-TerminalServices-RemoteConnectionManager, id: 261, activity: "attempt{n}", repeat: { count: 3, every: 30s }, fields: { listenerName: RDP-Tcp } }
  - { at: +1h5m, provider: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS, id: 131, activity: "attempt{n}", repeat: { count: 3, every: 30s }, fields: { ConnType: TCP, ClientIP: "10.20.30.77:4915{n}" } }
  - { at: +1h5m3s, provider: Microsoft-Windows-Security-Auditing, id: 4625, repeat: { count: 3, every: 30s }, fields: { SubjectUserSid: S-1-0-0, SubjectUserName: "-", SubjectDomainName: "-", TargetUserSid: S-1-0-0, TargetUserName: dave, TargetDomainName: CORP, Status: "0xc000005e", FailureReason: "%%2304", SubStatus: "0x0", LogonType: 3, LogonProcessName: "NtLmSsp ", AuthenticationPackageName: NTLM, WorkstationName: LAPTOP-DAVE, IpAddress: 10.20.30.77, IpPort: "0" } }
  - { at: +1h5m4s, provider: Microsoft-Windows-RemoteDesktopServices-RdpCoreTS, id: 102, activity: "attempt{n}", repeat: { count: 3, every: 30s } }
"#;

/// The first YAML block after "## A worked example" in `rules/RULE-FORMAT.md`.
fn worked_example() -> String {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/RULE-FORMAT.md");
    let text = fs::read_to_string(&doc).expect("rules/RULE-FORMAT.md");
    let from = text.find("## A worked example").expect("a worked example");
    let block = &text[from..];
    let start = block.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let end = block[start..].find("```").expect("the block ends") + start;
    block[start..end].to_string()
}

#[test]
fn a_rule_from_rule_format_md_with_a_sampled_log_names_its_cause() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("my-rules");
    fs::create_dir(&rules).expect("mkdir");
    let rule = worked_example();
    assert!(rule.contains("EventID: 5719"), "{rule}");
    fs::write(rules.join("netlogon-5719.yml"), rule).expect("write rule");
    let scenario = dir.path().join("netlogon.yaml");
    fs::write(&scenario, SCENARIO).expect("write scenario");
    let logs = dir.path().join("logs");
    let arg = |p: &Path| p.to_str().expect("UTF-8 temp path").to_string();

    let out = run(&["sample", &arg(&scenario), "-o", &arg(&logs)]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "sample: {stdout}{stderr}");
    assert!(logs.join("System.evtx").is_file(), "{stdout}{stderr}");

    let out = run(&["rules", "lint", "--rules", &arg(&rules)]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "lint: {stdout}{stderr}");

    let out = run(&[
        "rules",
        "test",
        "--no-builtin-rules",
        "--rules",
        &arg(&rules),
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "test: {stdout}{stderr}");
    assert!(stdout.contains("2 passed, 0 failed"), "{stdout}");

    let out = run(&["events", &arg(&logs), "--format", "jsonl"]);
    let (stdout, _) = texts(&out);
    let netlogon = stdout
        .lines()
        .find(|l| l.contains("\"event_id\":5719"))
        .unwrap_or_else(|| panic!("no 5719 in the sampled log:\n{stdout}"));
    assert!(netlogon.contains("\"provider\":\"NETLOGON\""), "{netlogon}");
    assert!(netlogon.contains("\"param1\":\"CORP\""), "{netlogon}");

    let out = run(&[
        "analyze",
        "-q",
        &arg(&logs),
        "--rules",
        &arg(&rules),
        "--format",
        "json",
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "analyze: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let findings = report["analysis"]["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 3, "{stdout}");
    for f in findings {
        assert_eq!(f["drop"]["kind"], "connection-refused", "{f}");
        assert_eq!(f["verdict"]["category"], "authentication", "{f}");
        let causes: Vec<&str> = f["causes"]
            .as_array()
            .expect("causes")
            .iter()
            .filter_map(|c| c["rule_id"].as_str())
            .collect();
        assert!(causes.contains(&"my-netlogon-5719-no-dc"), "{causes:?}");
    }
}
