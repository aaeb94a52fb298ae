//! The command line: help, version, errors on bad input, exit codes.

use crate::util::{dropcause_bound_by_permissions, run, texts};
use std::fs;

#[test]
fn help_shows_examples_for_events() {
    let (out, _) = texts(&run(&["events", "--help"]));
    assert!(out.contains("Examples:"), "{out}");
    assert!(out.contains("--event-id"), "{out}");
}

#[test]
fn version_names_the_tool() {
    let (out, _) = texts(&run(&["--version"]));
    assert!(out.starts_with("dropcause "), "{out}");
}

#[test]
fn bad_inputs_get_one_clear_line_each_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_evtx = dir.path().join("notes.evtx");
    fs::write(&not_evtx, "this is not a log").unwrap();
    let empty = dir.path().join("empty.evtx");
    fs::write(&empty, "").unwrap();
    let missing = dir.path().join("missing.evtx");
    let out = run(&[
        "events",
        not_evtx.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("files read")).collect();
    assert_eq!(lines.len(), 3, "one line per bad input:\n{err}");
    assert!(err.contains("notes.evtx: not an EVTX log"), "{err}");
    assert!(
        err.contains("empty.evtx: not an EVTX log: the file is empty"),
        "{err}"
    );
    assert!(err.contains("missing.evtx"), "{err}");
    assert!(
        err.contains("0 files read, 0 records read, 0 records unreadable, 3 files skipped"),
        "{err}"
    );
}

#[test]
fn a_truncated_log_keeps_what_it_can_and_says_what_it_lost() {
    let Some(corpus) = crate::util::corpus("truncated log") else {
        return;
    };
    let src = corpus.join("velociraptor/artifacts/testdata/files/RDPAuth_LocalSessionManager.evtx");
    let bytes = fs::read(&src).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.evtx");
    // The header and part of the first chunk: records past the cut are lost.
    fs::write(&cut, &bytes[..4096 + 6_000]).unwrap();
    let whole = run(&["events", "--format", "jsonl", src.to_str().unwrap()]);
    let out = run(&["events", "--format", "jsonl", cut.to_str().unwrap()]);
    let (stdout, err) = texts(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("1 files read"), "{err}");
    assert!(
        err.contains("cut.evtx: chunk 0: the file ends 6000 bytes into this chunk (truncated)"),
        "{err}"
    );
    let kept = stdout.lines().count();
    let all = texts(&whole).0.lines().count();
    assert!(kept > 0 && kept < all, "kept {kept} of {all} records");
    // What was kept is exactly the start of the undamaged file (but for the file name).
    let events = |text: &str| -> Vec<serde_json::Value> {
        text.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("source");
                v
            })
            .collect()
    };
    assert_eq!(events(&stdout)[..], events(&texts(&whole).0)[..kept]);
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_reported_and_the_rest_is_read() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let hold = fs::read_dir(&locked).is_err();
    let Some(mut cmd) = dropcause_bound_by_permissions("unreadable folder", hold) else {
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
        return;
    };
    let out = cmd
        .args(["events", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    let (_, err) = texts(&out);
    assert!(err.contains("locked"), "{err}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_itself() {
    let bash = run(&["completions", "bash"]);
    let (text, err) = texts(&bash);
    assert_eq!(bash.status.code(), Some(0), "{err}");
    assert!(
        text.contains("_dropcause") && text.contains("--findings"),
        "{text}"
    );
    let zsh = texts(&run(&["completions", "zsh"])).0;
    assert!(zsh.starts_with("#compdef dropcause"), "{zsh}");
    let man = run(&["man"]);
    let (page, err) = texts(&man);
    assert_eq!(man.status.code(), Some(0), "{err}");
    assert!(
        page.starts_with(".ie") || page.contains(".TH dropcause"),
        "{page}"
    );
    assert!(page.contains("analyze") && page.contains("timeline"));
    let bad = run(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn explain_reads_hex_without_0x_and_says_how_it_read_digits() {
    let out = run(&["explain", "c000015b"]);
    let (text, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(text.contains("0xC000015B"), "{text}");
    let digits = texts(&run(&["explain", "904"])).0;
    assert!(
        digits.contains("read as a decimal number; for hex write 0x904"),
        "{digits}"
    );
}

#[test]
fn timeline_help_is_its_own() {
    let analyze = texts(&run(&["analyze", "--help"])).0;
    let timeline = texts(&run(&["timeline", "--help"])).0;
    assert_ne!(analyze, timeline);
    assert!(timeline.contains("dropcause timeline ./logs --around"));
}

#[test]
fn nothing_read_is_said_on_stderr_never_presented_as_no_drops() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("notes.txt"), "not a log").unwrap();
    let missing = dir.path().join("missing");
    // An EVTX file cut after its header: read, but 0 records in it.
    let sample = crate::util::samples_dir().join("network-drop/System.evtx");
    let header_only = dir.path().join("header-only.evtx");
    fs::write(&header_only, &fs::read(sample).unwrap()[..4096]).unwrap();
    for path in [dir.path().to_path_buf(), missing, header_only] {
        let out = run(&["analyze", "-q", path.to_str().unwrap()]);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stdout.is_empty(), "nothing on stdout: {stdout}");
        assert!(stderr.contains("nothing to analyze"), "{stderr}");
    }
}

#[test]
fn a_host_filter_that_matches_nothing_lists_the_hosts_seen() {
    let sample = crate::util::samples_dir().join("auth-failures");
    let out = run(&["analyze", "-q", "--host", "NOPE", sample.to_str().unwrap()]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("--host NOPE matches no computer of these logs; they hold: RDS-AUTH01"),
        "{stderr}"
    );
}

#[test]
fn an_error_says_each_cause_once() {
    let sample = crate::util::samples_dir().join("auth-failures");
    let out = run(&["analyze", "--around", "yesterday", sample.to_str().unwrap()]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.matches("cannot read time").count(), 1, "{err}");
    let out = run(&["analyze", "--windows-root", "/nonexistent-root"]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    assert_eq!(
        err.matches("/nonexistent-root").count(),
        1,
        "the folder once: {err}"
    );
}

#[test]
fn quiet_runs_count_the_skipped_sigma_rules_instead_of_listing_them() {
    let Some(sigma) = crate::sigmahq_load::sigma_dir() else {
        eprintln!("SKIP quiet skipped rules: SigmaHQ rules not found (set DROPCAUSE_SIGMA)");
        return;
    };
    let sample = crate::util::samples_dir().join("auth-failures");
    let out = run(&[
        "analyze",
        "-q",
        "--rules",
        sigma.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let skipped: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert!(
        skipped
            .iter()
            .any(|l| l.contains("rule(s) skipped (see `dropcause rules lint`)")),
        "{err}"
    );
    assert!(
        err.lines().count() <= 3,
        "one count line, not one line per rule:\n{err}"
    );
}

#[test]
fn a_report_never_overwrites_an_input() {
    let dir = tempfile::tempdir().unwrap();
    // An EVTX log under a report's extension: logs are told by content.
    let log = dir.path().join("evidence.json");
    let sample = crate::util::samples_dir().join("reboot/System.evtx");
    fs::copy(&sample, &log).unwrap();
    let before = fs::read(&log).unwrap();
    let out = run(&[
        "analyze",
        "-q",
        "--report",
        log.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("refusing to overwrite the evidence"), "{err}");
    assert_eq!(fs::read(&log).unwrap(), before, "the evidence is intact");
}

#[test]
fn an_events_table_past_what_it_holds_is_refused_with_the_streaming_hint() {
    // A table is laid out at the end, so its rows stay in memory: past its cap
    // the command says so before reading anything, and names the streaming form.
    let out = run(&["events", "--limit", "20001", "samples/reboot"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("20001 is not in 0..=20000"), "{stderr}");
    // The cap itself is accepted, and the table says how many it shows.
    let out = run(&["events", "--limit", "2", "samples/reboot"]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("the earliest 2 of"), "{stdout}");
    assert!(stdout.contains("--format jsonl"), "{stdout}");
}
