//! Untrusted log content: terminal escape sequences in event fields never reach
//! the terminal, and the code neither opens network connections nor runs
//! other programs.

use crate::fault_matrix::synthetic_log;
use crate::util::{run, texts};
use std::path::Path;

/// Control characters that can drive a terminal (ESC, BEL, C1 CSI/OSC).
fn has_terminal_control(text: &str) -> bool {
    text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{9d}'])
}

#[test]
fn escape_sequences_in_event_fields_are_stripped_from_terminal_output() {
    let dir = tempfile::tempdir().unwrap();
    // Clear the screen, set the window title, hide text, ring the bell, and a
    // C1 CSI: all in the user name of every event.
    let evil = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{1b}[8mhidden\u{1b}[0m\u{9b}31mred\u{7}";
    let times = |i: u64| (1_710_226_800 + 11_644_473_600 + i * 60) * 10_000_000;
    let log = dir
        .path()
        .join("Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx");
    std::fs::write(&log, synthetic_log(40, evil, &times)).unwrap();
    // The log really carries the sequences: JSON output keeps the data exact.
    let (json, _) = texts(&run(&[
        "events",
        "--format",
        "jsonl",
        log.to_str().unwrap(),
    ]));
    assert!(
        json.contains("\\u001b[2J"),
        "{}",
        &json[..json.len().min(400)]
    );

    for args in [
        vec!["events", log.to_str().unwrap()],
        vec!["analyze", dir.path().to_str().unwrap()],
        vec!["timeline", dir.path().to_str().unwrap()],
    ] {
        let out = run(&args);
        let (stdout, stderr) = texts(&out);
        assert!(
            out.status.success() || out.status.code() == Some(1),
            "{args:?}: {stderr}"
        );
        assert!(
            !has_terminal_control(&stdout),
            "{args:?} stdout: {stdout:?}"
        );
        assert!(
            !has_terminal_control(&stderr),
            "{args:?} stderr: {stderr:?}"
        );
        if args[0] == "events" {
            // What is left of the field is shown, without its sequences.
            assert!(stdout.contains("hiddenred"), "{stdout}");
        }
    }
}

#[test]
fn problem_messages_on_stderr_are_stripped_too() {
    let dir = tempfile::tempdir().unwrap();
    // A file name is log-adjacent input too (archives, copied folders).
    let name = dir.path().join("bad\u{1b}]0;title\u{7}name.evtx");
    std::fs::write(&name, "not a log").unwrap();
    let out = run(&["events", name.to_str().unwrap()]);
    let (_, stderr) = texts(&out);
    assert!(stderr.contains("not an EVTX log"), "{stderr}");
    assert!(!has_terminal_control(&stderr), "{stderr:?}");
}

/// Every `.rs` file under `dir`. (`std::net::IpAddr` is fine: CIDR matching.)
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path.display().to_string(), text));
        }
    }
}

#[test]
fn the_code_opens_no_network_connection_and_runs_no_program() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20);
    let forbidden = [
        "TcpListener",
        "TcpStream",
        "UdpSocket",
        "process::Command",
        "Command::new",
        "ToSocketAddrs",
    ];
    for (path, text) in &files {
        for word in forbidden {
            assert!(!text.contains(word), "{path} uses {word}");
        }
    }
    // Nor do the dependencies that could: no HTTP client, no shell crate.
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let deps = &manifest[manifest.find("[dependencies]").unwrap()..];
    let deps = &deps[..deps.find("[dev-dependencies]").unwrap_or(deps.len())];
    for client in [
        "reqwest",
        "hyper",
        "ureq",
        "curl",
        "tokio",
        "duct",
        "subprocess",
    ] {
        assert!(
            !deps.contains(&format!("\n{client} ")),
            "depends on {client}"
        );
    }
}
