//! Hostile and heavy input: the failures found by the adversarial pass over
//! crafted inputs (reproducers in `../shared/reliability/`), each held to what
//! the README promises: a clear message, nothing lost without a count, output
//! valid and bounded. The inputs are made here where that is short; the crafted
//! EVTX files come from the shared folder (`$DROPCAUSE_RELIABILITY`). Time and
//! memory are measured by `scripts/reliability.sh`, not here.

use crate::util::{dropcause, reliability, run, samples_dir, texts};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

fn lsm_sample() -> PathBuf {
    samples_dir().join(
        "normal-logoff/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
    )
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}", texts(out).1);
    })
}

fn total(report: &Value, field: &str) -> u64 {
    crate::util::input_total(report, field)
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_written_lossily_in_every_format() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let latin1 = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"caf\xe9.evtx"));
    std::fs::copy(lsm_sample(), &latin1).unwrap();
    let path = dir.path().to_str().unwrap();
    let report = run(&["analyze", "-q", "--format", "json", path]);
    assert_eq!(report.status.code(), Some(0), "{}", texts(&report).1);
    assert_eq!(
        json(&report)["inputs"][0]["path"].as_str().unwrap(),
        format!("{path}/caf\u{FFFD}.evtx")
    );
    for args in [
        &["analyze", "-q", "--format", "jsonl", path][..],
        &["events", "--format", "jsonl", path][..],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", texts(&out).1);
        let lines = String::from_utf8(out.stdout).unwrap();
        assert!(lines.contains("caf\u{FFFD}.evtx"), "{args:?}");
        for line in lines.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        }
    }
    let file = dir.path().join("report.json");
    let out = run(&["analyze", "-q", "--report", file.to_str().unwrap(), path]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    serde_json::from_slice::<Value>(&std::fs::read(&file).unwrap()).unwrap();
}

/// An LSM 24 (disconnect) in evtx_dump's JSON Lines shape, with `user`.
fn lsm_24_jsonl(user: &str) -> String {
    let event = serde_json::json!({"Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-TerminalServices-LocalSessionManager"}},
            "EventID": 24,
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00.0000000Z"}},
            "EventRecordID": 1,
            "Channel": "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
            "Computer": "HOST1"
        },
        "UserData": {"EventXML": {"User": user, "SessionID": 2, "Address": "10.0.0.5"}}
    }});
    format!("{event}\n")
}

#[test]
fn a_megabyte_field_is_cut_for_the_terminal_and_bounded_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.jsonl");
    let user = format!("CORP\\{}", "A".repeat(1 << 20));
    std::fs::write(&file, lsm_24_jsonl(&user)).unwrap();
    let path = file.to_str().unwrap();
    let out = run(&["analyze", path]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.len() < 20_000,
        "{} bytes on the terminal",
        stdout.len()
    );
    assert!(stdout.contains("characters]"), "{stdout}");
    assert!(stderr.contains("values cut"), "{stderr}");
    let report = json(&run(&["analyze", "-q", "--format", "json", path]));
    assert_eq!(total(&report, "values_cut"), 1);
    let text = serde_json::to_string(&report).unwrap();
    // The user shows in several places (session, finding, incident), each cut.
    assert!(text.len() < 1 << 20, "{} bytes of JSON", text.len());
    assert!(text.contains("…[cut: "), "the cut is marked");
    // `events` keeps its table bounded too.
    let out = run(&["events", path]);
    assert!(out.stdout.len() < 20_000);
}

/// A zip of `entries` stored (uncompressed) entries, all named `*.evtx`; with
/// `shared`, every directory entry points at the first entry's bytes.
fn zip_of(dir: &Path, body: &[u8], entries: usize, shared: bool) -> PathBuf {
    let path = dir.join(if shared { "overlap.zip" } else { "many.zip" });
    let crc = crc32fast::hash(body);
    let mut bytes = Vec::new();
    let mut central = Vec::new();
    for i in 0..entries {
        let name = format!("e{i:05}.evtx");
        let offset = bytes.len() as u32;
        if i == 0 || !shared {
            let mut local = vec![];
            local.extend(0x0403_4b50u32.to_le_bytes());
            local.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            local.extend(crc.to_le_bytes());
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((body.len() as u32).to_le_bytes());
            local.extend((name.len() as u16).to_le_bytes());
            local.extend(0u16.to_le_bytes());
            local.extend(name.as_bytes());
            bytes.extend(local);
            bytes.extend(body);
        }
        let header_at = if shared { 0 } else { offset };
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend(crc.to_le_bytes());
        central.extend((body.len() as u32).to_le_bytes());
        central.extend((body.len() as u32).to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0; 12]);
        central.extend(header_at.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let central_at = bytes.len() as u32;
    bytes.extend(&central);
    bytes.extend(0x0605_4b50u32.to_le_bytes());
    bytes.extend([0, 0, 0, 0]);
    bytes.extend((entries as u16).to_le_bytes());
    bytes.extend((entries as u16).to_le_bytes());
    bytes.extend((central.len() as u32).to_le_bytes());
    bytes.extend(central_at.to_le_bytes());
    bytes.extend(0u16.to_le_bytes());
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(&bytes))
        .unwrap();
    path
}

#[test]
fn zip_entries_that_share_their_bytes_are_refused_and_the_first_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read(lsm_sample()).unwrap();
    let zip = zip_of(dir.path(), &body, 40, true);
    let out = run(&["analyze", "-q", "--format", "json", zip.to_str().unwrap()]);
    let (_, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "refusals are input problems: {stderr}"
    );
    assert_eq!(
        stderr.matches("overlap those of entry 0").count(),
        39,
        "{stderr}"
    );
    let report = json(&out);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 1);
    assert!(total(&report, "records_read") > 0);
}

#[test]
fn every_entry_of_a_large_zip_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read(lsm_sample()).unwrap();
    let zip = zip_of(dir.path(), &body, 300, false);
    let out = run(&[
        "analyze",
        "-q",
        "--format",
        "json",
        "--keep-duplicates",
        zip.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    let report = json(&out);
    assert_eq!(report["inputs"].as_array().unwrap().len(), 300);
    let one = json(&run(&[
        "analyze",
        "-q",
        "--format",
        "json",
        lsm_sample().to_str().unwrap(),
    ]));
    assert_eq!(
        total(&report, "records_read"),
        300 * total(&one, "records_read")
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_is_skipped_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.evtx");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIP fifo: mkfifo is not available");
        return;
    }
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("a.evtx")).unwrap();
    // Named directly, then found in a folder: never opened, so never a hang.
    for (args, reasons) in [
        (vec![fifo.to_str().unwrap()], vec!["a FIFO"]),
        (vec!["/dev/null"], vec!["a character device"]),
        (
            vec![dir.path().to_str().unwrap()],
            vec!["a FIFO", "a character device"],
        ),
    ] {
        let out = dropcause()
            .arg("analyze")
            .arg("-q")
            .args(&args)
            .output()
            .unwrap();
        let (_, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        for reason in reasons {
            assert!(
                stderr.contains(&format!("skipped: this is {reason}")),
                "{args:?}: {stderr}"
            );
        }
    }
}

/// What reading a shared reproducer with `events --format jsonl` must give.
struct Expect {
    file: &'static str,
    read: u64,
    unreadable: u64,
    lost: u64,
    /// Words a message on stderr must hold.
    says: &'static str,
}

#[test]
fn damaged_logs_lose_no_record_without_a_count() {
    let Some(dir) = reliability("damaged logs") else {
        return;
    };
    for e in [
        Expect {
            file: "silent_trunc_at_chunk_boundary.evtx",
            read: 410,
            unreadable: 0,
            lost: 118,
            says: "the file header counts 7 chunks but the file holds 5",
        },
        Expect {
            file: "silent_free_space_shrunk.evtx",
            read: 454,
            unreadable: 0,
            lost: 74,
            says: "names records 327 to 410 (84), but only 10 could be found",
        },
        Expect {
            file: "accounting_truncated_chunk.evtx",
            read: 275,
            unreadable: 0,
            lost: 253,
            says: "(the last in part)",
        },
        Expect {
            file: "chunk_lost_one_bad_string_pointer.evtx",
            read: 733,
            unreadable: 0,
            lost: 0,
            says: "string-table slots point outside it",
        },
        Expect {
            file: "control_char_in_name_chunk_unreadable.evtx",
            read: 17,
            unreadable: 0,
            lost: 0,
            says: "17 records read",
        },
    ] {
        let path = dir.join(e.file);
        let path = path.to_str().unwrap();
        let report = json(&run(&[
            "analyze",
            "-q",
            "--format",
            "json",
            "--rules",
            "/dev/null",
            path,
        ]));
        let counts = |r: &Value| {
            (
                total(r, "records_read"),
                total(r, "records_unreadable"),
                total(r, "records_lost"),
            )
        };
        assert_eq!(
            counts(&report),
            (e.read, e.unreadable, e.lost),
            "{}",
            e.file
        );
        // Every record rendered (`events`) gives the same account as judged
        // records read only as far as their header (`analyze`).
        let out = run(&["events", "--format", "jsonl", path]);
        let (stdout, stderr) = texts(&out);
        assert!(stderr.contains(e.says), "{}: {stderr}", e.file);
        assert_eq!(stdout.lines().count() as u64, e.read, "{}", e.file);
        let judged = json(&run(&["analyze", "-q", "--format", "json", path]));
        assert_eq!(counts(&judged), counts(&report), "{}", e.file);
    }
}

#[test]
fn a_value_repeated_into_megabytes_is_bounded() {
    let Some(dir) = reliability("memory amplification") else {
        return;
    };
    let path = dir.join("memory_amplification_1GB.evtx");
    let out = run(&["analyze", "-q", "--format", "json", path.to_str().unwrap()]);
    let report = json(&out);
    assert_eq!(total(&report, "records_read"), 300);
    assert!(total(&report, "values_cut") >= 300, "{}", texts(&out).1);
    assert!(
        out.stdout.len() < 40 << 20,
        "{} bytes of JSON",
        out.stdout.len()
    );
}

#[test]
fn one_too_deep_element_of_a_json_array_costs_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("chainsaw.json");
    let event = |rid: u64| {
        let line = lsm_24_jsonl("CORP\\alice")
            .replace("\"EventRecordID\":1", &format!("\"EventRecordID\":{rid}"));
        line.trim().to_string()
    };
    let deep = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    let text = format!(
        "[{}, {{\"Event\": {{\"EventData\": {deep}}}}}, {}, {}]",
        event(1),
        event(3),
        event(4)
    );
    std::fs::write(&file, text).unwrap();
    let out = run(&["events", "--format", "jsonl", file.to_str().unwrap()]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(stdout.lines().count(), 3, "{stderr}");
    assert!(stderr.contains("array element 2"), "{stderr}");
    assert!(
        stderr.contains("3 records read, 1 records unreadable"),
        "{stderr}"
    );
}
