//! `dropcause rules list|lint|test` end to end.

use crate::util::{dropcause, golden, run, texts};
use std::fs;

const RULE: &str = "title: TermService stopped
id: dc-test-termservice-stopped
logsource:
  product: windows
  service: system
detection:
  selection:
    Provider_Name: Service Control Manager
    EventID: 7036
    param1: Remote Desktop Services
    param2: stopped
  condition: selection
level: medium
dropcause:
  role: cause
  category: service
tests:
  match:
    - { Channel: System, Provider_Name: Service Control Manager, EventID: 7036, param1: Remote Desktop Services, param2: stopped }
  no_match:
    - { Channel: System, Provider_Name: Service Control Manager, EventID: 7036, param1: Remote Desktop Services, param2: running }
";

#[test]
fn lint_prints_file_line_col_and_a_hint_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.yml"), RULE).unwrap();
    let broken = RULE
        .replace("dc-test-termservice-stopped", "dc-test-broken")
        .replace("param2: stopped", "param2|contians: stopped");
    fs::write(dir.path().join("broken.yml"), broken).unwrap();
    let out = run(&[
        "rules",
        "lint",
        "--no-builtin-rules",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let want = format!(
        "{}:11:12: error: unknown value modifier `contians`",
        dir.path().join("broken.yml").display()
    );
    assert!(stdout.contains(&want), "{stdout}");
    assert!(stdout.contains("did you mean `contains`?"), "{stdout}");
    assert!(stdout.contains(" = hint: modifiers:"), "{stdout}");
    assert!(
        stdout.contains("2 rule files: 1 loaded, 0 skipped, 1 with errors"),
        "{stdout}"
    );
}

#[test]
fn test_runs_self_tests_and_list_shows_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("ok.yml"), RULE).unwrap();
    let args = [
        "--no-builtin-rules",
        "--rules",
        dir.path().to_str().unwrap(),
    ];
    let out = run(&[&["rules", "test"][..], &args].concat());
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("1 rules, 2 self-tests: 2 passed, 0 failed"),
        "{stdout}"
    );

    let failing = RULE.replace("param2: running", "param2: stopped");
    fs::write(dir.path().join("ok.yml"), failing).unwrap();
    let out = run(&[&["rules", "test"][..], &args].concat());
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "ok.yml:21:7: rule `dc-test-termservice-stopped`: test event should not match but does"
        ),
        "{stdout}"
    );

    let out = run(&[&["rules", "list"][..], &args].concat());
    let (stdout, _) = texts(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("dc-test-termservice-stopped") && stdout.contains("1 rules loaded"),
        "{stdout}"
    );
}

#[test]
fn rules_list_filters_by_role_and_category_and_writes_json_lines() {
    let out = run(&[
        "rules",
        "list",
        "--format",
        "jsonl",
        "--role",
        "cause",
        "--category",
        "licensing",
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let rules: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(rules.len() >= 5, "{stdout}");
    for r in &rules {
        assert_eq!(r["extension"]["role"], "cause", "{r}");
        assert_eq!(r["extension"]["category"], "licensing", "{r}");
        assert!(r["id"].as_str().unwrap().starts_with("dc-"));
        assert!(r["channels"].is_array() && r["path"].is_string());
    }
    let table = run(&["rules", "list", "--role", "drop"]);
    let (stdout, _) = texts(&table);
    assert!(
        stdout.contains(" of ") && stdout.contains("rules loaded"),
        "{stdout}"
    );
    let bad = run(&["rules", "list", "--role", "bogus"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(texts(&bad).1.contains("not a role"));
}

#[test]
fn rules_show_gives_one_rule_as_loaded_with_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stopped.yml");
    fs::write(&file, RULE).unwrap();
    let rules = dir.path().to_str().unwrap();
    // Any case of the id.
    let out = run(&[
        "rules",
        "show",
        "DC-TEST-termservice-stopped",
        "--rules",
        rules,
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with("dc-test-termservice-stopped\n"),
        "{stdout}"
    );
    for fact in [
        "role       cause",
        "category   service",
        "event ids  7036",
        "self-tests 1 match, 1 no_match",
        "window     120 s before to 30 s after the drop",
    ] {
        assert!(stdout.contains(fact), "{fact} in {stdout}");
    }
    assert!(stdout.contains(&file.display().to_string()), "{stdout}");
    assert!(
        stdout.contains("    param2: stopped"),
        "the file's text: {stdout}"
    );

    let out = run(&[
        "rules",
        "show",
        "dc-test-termservice-stopped",
        "--rules",
        rules,
        "--format",
        "json",
    ]);
    let (stdout, _) = texts(&out);
    let shown: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(shown["id"], "dc-test-termservice-stopped");
    assert_eq!(shown["event_ids"], serde_json::json!([7036]));
    assert_eq!(
        (
            shown["match_tests"].as_u64(),
            shown["no_match_tests"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(shown["text"], RULE);

    // A built-in rule's text comes from the binary.
    let out = run(&["rules", "show", "dc-tls-schannel-36874"]);
    let (stdout, _) = texts(&out);
    assert!(stdout.contains("<embedded>/tls/"), "{stdout}");
    assert!(stdout.contains("  id: dc-tls-schannel-36874"), "{stdout}");
}

#[test]
fn rules_show_of_an_unknown_id_names_the_close_ones_and_fails() {
    let out = run(&["rules", "show", "schannel-368"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("no rule has the id `schannel-368`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean: "), "{stderr}");
    assert!(stderr.contains("dc-tls-schannel-36874"), "{stderr}");
    let out = run(&["rules", "show", "zzz-nothing"]);
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("see `dropcause rules list`"), "{stderr}");
}

#[test]
fn lint_reports_all_six_errors_of_one_file_in_one_run() {
    let out = dropcause()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "rules",
            "lint",
            "--no-builtin-rules",
            "--rules",
            "tests/golden/lint",
        ])
        .output()
        .expect("dropcause runs");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr, "");
    let errors = stdout.lines().filter(|l| l.contains(": error: ")).count();
    assert_eq!(errors, 6, "{stdout}");
    golden("lint/six-errors.out", &stdout);
}

#[test]
fn rules_list_filters_by_level_and_origin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("mine.yml"), RULE).unwrap();
    let ids = |extra: &[&str]| -> Vec<String> {
        let rules = dir.path().to_str().unwrap();
        let args = [
            &["rules", "list", "--rules", rules, "--format", "jsonl"][..],
            extra,
        ]
        .concat();
        let out = run(&args);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        stdout
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
            .collect()
    };
    let mine = ids(&["--origin", "files"]);
    assert_eq!(mine, ["\"dc-test-termservice-stopped\""]);
    let built_in = ids(&["--origin", "builtin"]);
    assert!(built_in.len() > 50 && !built_in.contains(&mine[0]));
    let high = ids(&["--min-level", "high"]);
    assert!(!high.is_empty() && high.len() < built_in.len() && !high.contains(&mine[0]));
    assert!(
        ids(&["--min-level", "medium"]).contains(&mine[0]),
        "medium counts at medium"
    );
}
