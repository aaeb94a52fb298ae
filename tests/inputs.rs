//! Inputs beyond copied .evtx files: the bundled samples as XML exports,
//! JSON Lines, Chainsaw-style JSON and zip archives give the same findings as
//! the EVTX files; duplicates are counted once; `--host` selects computers;
//! `--windows-root` finds a system drive's logs; malformed exports are
//! reported with their place.

use crate::util::{corpus, run, texts};
use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Every .evtx file of the samples, with its path relative to `samples/`.
fn sample_logs() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(samples()) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "evtx") {
            let rel = entry.path().strip_prefix(samples()).unwrap().to_path_buf();
            out.push((entry.path().to_path_buf(), rel));
        }
    }
    out.sort();
    assert!(out.len() >= 30, "the samples have their logs");
    out
}

fn parser(path: &Path, separate_attributes: bool) -> EvtxParser<std::fs::File> {
    EvtxParser::from_path(path).unwrap().with_configuration(
        ParserSettings::new()
            .num_threads(1)
            .separate_json_attributes(separate_attributes)
            .indent(false),
    )
}

/// The records of an EVTX file as XML `<Event>` elements, as the `evtx`
/// crate renders them (declarations stripped).
fn xml_events(path: &Path) -> Vec<String> {
    parser(path, false)
        .records()
        .map(|r| {
            let xml = r.unwrap().data;
            match xml.find("?>") {
                Some(i) if xml.trim_start().starts_with("<?xml") => xml[i + 2..].trim().to_string(),
                _ => xml.trim().to_string(),
            }
        })
        .collect()
}

/// `wevtutil qe /f:xml` style: a bare sequence of events.
fn wevtutil_xml(path: &Path) -> String {
    xml_events(path).join("\r\n")
}

/// Event Viewer "Save as XML" style: one `<Events>` root.
fn event_viewer_xml(path: &Path) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Events>\n{}\n</Events>\n",
        xml_events(path).join("\n")
    )
}

/// `evtx_dump -o jsonl`: one record's JSON per line.
fn jsonl(path: &Path) -> String {
    let mut out = String::new();
    for r in parser(path, false).records_json() {
        out.push_str(r.unwrap().data.trim());
        out.push('\n');
    }
    out
}

/// `evtx_dump -o xml`: each record's XML document after a `Record N` line.
fn evtx_dump_xml(path: &Path) -> String {
    let mut out = String::new();
    for r in parser(path, false).records() {
        let r = r.unwrap();
        out.push_str(&format!(
            "Record {}\n{}\n",
            r.event_record_id,
            r.data.trim()
        ));
    }
    out
}

/// `dropcause events --format jsonl`: our own normalized events, one per line.
fn dropcause_events(path: &Path) -> String {
    let out = crate::util::run(&["events", path.to_str().unwrap(), "--format", "jsonl"]);
    assert!(out.status.success(), "events {}", path.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Chainsaw `--json` style: an array of documents whose `data` is the record
/// rendered with separate attributes.
fn chainsaw_json(path: &Path) -> String {
    let docs: Vec<Value> = parser(path, true)
        .records_json_value()
        .map(|r| {
            serde_json::json!({
                "group": "Sigma",
                "kind": "individual",
                "document": {"kind": "evtx", "path": path, "data": r.unwrap().data}
            })
        })
        .collect();
    serde_json::to_string_pretty(&docs).unwrap()
}

/// Turns an EVTX file into an export's text.
type Convert = fn(&Path) -> String;

/// Writes every sample log, converted by `convert`, under `dir` with the
/// extension `ext` (or none, to show that content decides).
fn write_form(dir: &Path, ext: &str, convert: Convert) {
    for (path, rel) in sample_logs() {
        let out = dir.join(rel).with_extension(ext);
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::write(out, convert(&path)).unwrap();
    }
}

/// A zip of the sample logs: EVTX entries, XML entries and one entry that is
/// not a log.
fn write_zip(out: &Path, xml: bool) {
    let file = std::fs::File::create(out).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, rel) in sample_logs() {
        let name = rel.to_string_lossy().replace('\\', "/");
        if xml {
            zip.start_file(format!("{name}.xml"), options).unwrap();
            zip.write_all(wevtutil_xml(&path).as_bytes()).unwrap();
        } else {
            zip.start_file(name, options).unwrap();
            zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
        }
    }
    zip.start_file("README.txt", options).unwrap();
    zip.write_all(b"collected logs").unwrap();
    zip.finish().unwrap();
}

/// `analyze --format json` of `args`.
fn analyze(args: &[&str]) -> (Value, String) {
    let mut all = vec!["analyze", "--format", "json", "--quiet"];
    all.extend_from_slice(args);
    let out = run(&all);
    let (stdout, stderr) = texts(&out);
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("analyze {args:?}: {e}\nstderr: {stderr}"));
    (report, stderr)
}

fn analyze_paths(paths: &[&Path], extra: &[&str]) -> (Value, String) {
    let mut args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    analyze(&args)
}

/// What a finding is, whatever file it came from: host, time, kind, the
/// logged reason, the verdict's category, and its causes' rules.
fn findings(report: &Value) -> Vec<String> {
    let mut out: Vec<String> = report["analysis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let causes: Vec<&str> = f["causes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["rule_id"].as_str())
                .collect();
            format!(
                "{} {} {} reason={} verdict={} causes={causes:?}",
                f["drop"]["host"].as_str().unwrap(),
                f["drop"]["time"].as_str().unwrap(),
                f["drop"]["kind"].as_str().unwrap(),
                f["drop"]["reason"]["code"],
                f["verdict"]["category"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    out.sort();
    out
}

fn hosts(report: &Value) -> BTreeSet<String> {
    report["analysis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["drop"]["host"].as_str().unwrap().to_string())
        .collect()
}

fn total(report: &Value, field: &str) -> u64 {
    crate::util::input_total(report, field)
}

fn evtx_baseline() -> (Value, Vec<String>) {
    let (report, stderr) = analyze_paths(&[&samples()], &[]);
    let found = findings(&report);
    assert!(
        found.len() >= 8,
        "the samples have drops: {found:?}\n{stderr}"
    );
    assert!(hosts(&report).len() >= 4, "drops on several hosts");
    (report, found)
}

#[test]
fn xml_jsonl_chainsaw_events_and_zip_forms_give_the_findings_of_the_evtx_files() {
    let (evtx, expected) = evtx_baseline();
    let records = total(&evtx, "records_read");
    let tmp = tempfile::tempdir().unwrap();
    let forms: [(&str, &str, Convert); 6] = [
        ("wevtutil", "xml", wevtutil_xml),
        ("eventviewer", "log", event_viewer_xml),
        ("jsonl", "jsonl", jsonl),
        ("chainsaw", "json", chainsaw_json),
        ("evtx_dump-xml", "xml", evtx_dump_xml),
        ("dropcause-events", "jsonl", dropcause_events),
    ];
    for (name, ext, convert) in forms {
        let dir = tmp.path().join(name);
        write_form(&dir, ext, convert);
        // A file named directly is always looked at; a folder's `.log` files
        // only with --all-files: content, not the name, tells the format.
        let extra: &[&str] = if ext == "log" { &["--all-files"] } else { &[] };
        let (report, stderr) = analyze_paths(&[&dir], extra);
        assert_eq!(findings(&report), expected, "{name} form\n{stderr}");
        assert_eq!(
            total(&report, "records_read"),
            records,
            "{name}: every record read"
        );
        assert_eq!(total(&report, "records_unreadable"), 0, "{name}\n{stderr}");
        assert_eq!(
            report["inputs"].as_array().unwrap().len(),
            evtx["inputs"].as_array().unwrap().len(),
            "{name}: one account per file"
        );
        assert_eq!(
            report["analysis"]["coverage"], evtx["analysis"]["coverage"],
            "{name}: same hosts, channels and times covered"
        );
    }
    for xml in [false, true] {
        let zip = tmp.path().join(format!("logs-{xml}.zip"));
        write_zip(&zip, xml);
        let (report, stderr) = analyze_paths(&[&zip], &[]);
        assert_eq!(
            findings(&report),
            expected,
            "zip (xml entries: {xml})\n{stderr}"
        );
        assert_eq!(total(&report, "records_read"), records);
        assert!(
            stderr.contains("README.txt: archive entry skipped, not an EVTX log"),
            "the entry that is not a log is reported: {stderr}"
        );
        let first = report["inputs"][0]["path"].as_str().unwrap();
        assert!(first.contains("logs-") && first.contains(".zip"), "{first}");
    }
}

#[test]
fn xml_events_normalize_like_evtx_records() {
    // The typed System parts come out alike; data fields as the same text.
    let path = samples().join("auth-failures/Security.evtx");
    let tmp = tempfile::tempdir().unwrap();
    let xml = tmp.path().join("Security.xml");
    std::fs::write(&xml, wevtutil_xml(&path)).unwrap();
    let events = |p: &Path| -> Vec<Value> {
        let out = run(&["events", &p.display().to_string(), "--format", "jsonl"]);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // PowerShell 5's `>` writes UTF-16LE with a byte order mark.
    let utf16 = tmp.path().join("Security-utf16.xml");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n{}",
        wevtutil_xml(&path)
    )
    .encode_utf16()
    {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    std::fs::write(&utf16, bytes).unwrap();
    let (a, b) = (events(&path), events(&xml));
    let c = events(&utf16);
    assert_eq!(c.len(), b.len(), "UTF-16 export");
    for (x, y) in b.iter().zip(&c) {
        assert_eq!(x["fields"], y["fields"]);
        assert_eq!(x["time"], y["time"]);
    }
    assert!(a.len() > 10);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        for key in [
            "time",
            "record_id",
            "channel",
            "provider",
            "event_id",
            "level",
            "computer",
        ] {
            assert_eq!(x[key], y[key], "{key}");
        }
        let (fx, fy) = (
            x["fields"].as_object().unwrap(),
            y["fields"].as_object().unwrap(),
        );
        assert_eq!(fx.keys().collect::<Vec<_>>(), fy.keys().collect::<Vec<_>>());
        for (k, vx) in fx {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(text(vx), text(&fy[k]), "field {k}");
        }
    }
}

#[test]
fn a_folder_given_twice_counts_its_records_once() {
    let (evtx, expected) = evtx_baseline();
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("copy");
    for (path, rel) in sample_logs() {
        let out = copy.join(rel);
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        std::fs::copy(path, out).unwrap();
    }
    let (report, stderr) = analyze_paths(&[&samples(), &copy], &[]);
    assert_eq!(findings(&report), expected, "{stderr}");
    let records = total(&evtx, "records_read");
    assert_eq!(
        total(&report, "duplicate_records"),
        records,
        "every copied record"
    );
    let inputs = report["inputs"].as_array().unwrap();
    let copies = inputs
        .iter()
        .filter(|f| f["duplicate_of"].is_string())
        .count();
    assert_eq!(
        copies,
        sample_logs().len(),
        "every copied file is named a copy"
    );
    for f in inputs.iter().filter(|f| f["duplicate_of"].is_string()) {
        assert_eq!(f["records_read"], 0, "a byte copy is not read again: {f}");
        assert!(f["duplicate_records"].as_u64().unwrap() > 0);
    }
    assert_eq!(report["analysis"]["coverage"], evtx["analysis"]["coverage"]);
    assert!(
        stderr.contains(&format!("{records} duplicate records dropped")),
        "{stderr}"
    );

    // The same records as EVTX and as an export: matched events once.
    let xml = tmp.path().join("xml");
    write_form(&xml, "xml", wevtutil_xml);
    let (both, stderr) = analyze_paths(&[&samples(), &xml], &[]);
    assert_eq!(findings(&both), expected, "{stderr}");
    // Not byte copies: both read, then one of each pair (the later path)
    // known as a copy by its records' spans and ids.
    assert_eq!(total(&both, "duplicate_records"), records, "{stderr}");
    let marked: Vec<&Value> = both["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["duplicate_of"].is_string())
        .collect();
    assert_eq!(marked.len(), sample_logs().len(), "{stderr}");
    for f in marked {
        assert_eq!(f["records_read"], f["duplicate_records"], "{f}");
        let (a, b) = (
            f["path"].as_str().unwrap(),
            f["duplicate_of"].as_str().unwrap(),
        );
        assert_ne!(a.ends_with(".xml"), b.ends_with(".xml"), "{f}");
    }
    assert_eq!(both["analysis"]["coverage"], evtx["analysis"]["coverage"]);
}

#[test]
fn host_selects_the_computers_analyzed() {
    let (all, expected) = evtx_baseline();
    let host = "RDS-AUTH01";
    let (report, stderr) = analyze_paths(&[&samples()], &["--host", &host.to_lowercase()]);
    let found = findings(&report);
    let wanted: Vec<String> = expected
        .iter()
        .filter(|f| f.starts_with(&format!("{host} ")))
        .cloned()
        .collect();
    assert!(!wanted.is_empty());
    assert_eq!(found, wanted, "{stderr}");
    let covered: Vec<&str> = report["analysis"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(covered, [host]);
    // Two hosts, comma-separated or repeated.
    let (two, _) = analyze_paths(&[&samples()], &["--host", "RDS-AUTH01,WKS-CERT01"]);
    assert_eq!(hosts(&two).len(), 2);
    // A host that matches nothing is an error that lists the computers seen.
    let none = run(&[
        "analyze",
        "-q",
        "--format",
        "json",
        &samples().display().to_string(),
        "--host",
        "NO-SUCH-HOST",
    ]);
    let (stdout, err) = texts(&none);
    assert_eq!(none.status.code(), Some(2), "{err}");
    assert!(
        stdout.is_empty() && err.contains("they hold: ") && err.contains(" RDS-AUTH01, "),
        "{err}"
    );
    // `events` and `timeline` take it too.
    let out = run(&[
        "events",
        &samples().display().to_string(),
        "--host",
        host,
        "--format",
        "jsonl",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().count() > 10);
    assert!(
        text.lines()
            .all(|l| l.contains(&format!("\"computer\":\"{host}\"")))
    );
    let out = run(&[
        "timeline",
        &samples().display().to_string(),
        "--host",
        host,
        "--quiet",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(host) && !text.contains("WKS-CERT01"),
        "{text}"
    );
    let _ = all;
}

#[test]
fn a_windows_root_is_found_ignoring_case() {
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("windows/SYSTEM32/winevt/logs");
    std::fs::create_dir_all(&logs).unwrap();
    let scenario = samples().join("network-drop");
    for entry in std::fs::read_dir(&scenario).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), logs.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        logs.join("Microsoft-Windows-Store%4Operational.evtx"),
        b"not read",
    )
    .unwrap();
    let (direct, _) = analyze_paths(&[&scenario], &[]);
    let root = tmp.path().display().to_string();
    let (report, stderr) = analyze(&["--windows-root", &root]);
    assert!(!findings(&direct).is_empty());
    assert_eq!(findings(&report), findings(&direct), "{stderr}");
    assert!(
        !stderr.contains("Store"),
        "an irrelevant log is not read: {stderr}"
    );
    let out = run(&["analyze", "--windows-root", &scenario.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(texts(&out).1.contains("no Windows folder"));
    if !cfg!(windows) {
        let out = run(&["analyze", "--live"]);
        assert_eq!(out.status.code(), Some(2), "{:?}", texts(&out));
        assert!(texts(&out).1.contains("Windows only"));
    }
}

#[test]
fn malformed_exports_are_reported_where_they_break() {
    let path = samples().join("reboot/System.evtx");
    let tmp = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = jsonl(&path).lines().map(String::from).collect();
    let n = lines.len() as u64;
    lines.insert(2, "{\"Event\": {\"System\": {}}}".into());
    lines.insert(4, "{not json".into());
    lines.insert(6, "{\"Timestamp\":\"x\",\"RuleTitle\":\"r\"}".into());
    let bad_jsonl = tmp.path().join("bad.jsonl");
    std::fs::write(&bad_jsonl, lines.join("\n")).unwrap();
    // Another log for the XML: the same records would be dropped as duplicates.
    let mut events = xml_events(&samples().join("network-drop/System.evtx"));
    let n_xml = events.len() as u64;
    events[1] = events[1].replace("</System>", "</Sys>");
    events.insert(
        3,
        "<Event><System><EventID>1</EventID></System></Event>".into(),
    );
    let bad_xml = tmp.path().join("bad.xml");
    std::fs::write(&bad_xml, events.join("\n")).unwrap();
    std::fs::write(
        tmp.path().join("empty.xml"),
        "<?xml version='1.0'?><Events></Events>",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("notes.json"),
        "[{\"Event\": {\"System\": {\"EventID\": 1}}}, {\"x\": 1}, 3",
    )
    .unwrap();
    // A swept JSON or XML file that is no export is passed over quietly.
    std::fs::write(tmp.path().join("settings.json"), "{\"files\": []}").unwrap();
    std::fs::write(tmp.path().join("config.xml"), "<config/>").unwrap();
    let out = run(&[
        "events",
        &tmp.path().display().to_string(),
        "--format",
        "jsonl",
    ]);
    let (stdout, stderr) = texts(&out);
    let jsonl_path = bad_jsonl.display().to_string();
    assert!(
        stderr.contains(&format!(
            "{jsonl_path}:3:1: record has no usable System/EventID"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{jsonl_path}:5:1: not JSON")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{jsonl_path}:7:1: a Hayabusa detection")),
        "{stderr}"
    );
    let xml_path = bad_xml.display().to_string();
    assert!(
        stderr.contains(&format!("{xml_path}:")) && stderr.contains("event 2: XML"),
        "{stderr}"
    );
    assert!(
        stderr.contains("event 4: record has no usable System/TimeCreated"),
        "{stderr}"
    );
    assert!(
        stderr.contains("empty.xml: no <Event> element found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("notes.json: array element 1: record has no usable System/TimeCreated")
            && stderr.contains("notes.json: array element 2: not an event record")
            && stderr.contains("notes.json:1:")
            && !stderr.contains("settings.json")
            && !stderr.contains("config.xml"),
        "{stderr}"
    );
    // A Hayabusa timeline named directly gets a word on why it is not read.
    let hayabusa = tmp.path().join("hayabusa").join("timeline.jsonl");
    std::fs::create_dir_all(hayabusa.parent().unwrap()).unwrap();
    std::fs::write(
        &hayabusa,
        "{\"Timestamp\":\"2024-03-11 09:12:00.000 +00:00\",\"RuleTitle\":\"Logon\",\"Computer\":\"RDS01\",\"Channel\":\"Sec\",\"EventID\":4624}\n",
    )
    .unwrap();
    let named = run(&["events", &hayabusa.display().to_string()]);
    assert_eq!(named.status.code(), Some(2));
    assert!(
        texts(&named)
            .1
            .contains("a Hayabusa timeline keeps a summary"),
        "{:?}",
        texts(&named)
    );
    // Every good record still comes through.
    let read = stdout
        .lines()
        .filter(|l| l.contains("\"bad.jsonl\"") || l.contains("bad.jsonl"))
        .count() as u64;
    assert_eq!(read, n, "the JSON Lines file's good records");
    let from_xml = stdout.lines().filter(|l| l.contains("bad.xml")).count();
    assert_eq!(
        from_xml as u64,
        n_xml - 1,
        "the XML file's good records\n{stderr}"
    );
}

#[test]
fn corpus_folders_together_report_each_host_separately() {
    let Some(root) = corpus("corpus hosts") else {
        return;
    };
    let (report, stderr) = analyze_paths(&[&root], &[]);
    let computers: BTreeSet<String> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["spans"].as_array().unwrap().iter())
        .map(|s| s["computer"].as_str().unwrap().to_string())
        .collect();
    let covered: Vec<String> = report["analysis"]["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap().to_string())
        .collect();
    assert!(computers.len() > 5, "the corpus has many hosts: {stderr}");
    let unique: BTreeSet<String> = covered.iter().cloned().collect();
    assert_eq!(unique.len(), covered.len(), "one coverage entry per host");
    // Every computer is one host's name or one of its aliases (a rename, the
    // name without its DNS suffix), and no name belongs to two hosts.
    let mut host_of: std::collections::BTreeMap<String, String> = Default::default();
    for h in report["analysis"]["hosts"].as_array().unwrap() {
        let name = h["name"].as_str().unwrap().to_string();
        for n in std::iter::once(name.clone()).chain(
            h["aliases"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        ) {
            assert!(
                host_of.insert(n.clone(), name.clone()).is_none(),
                "{n} in two hosts"
            );
        }
    }
    let names: BTreeSet<String> = host_of.keys().cloned().collect();
    assert_eq!(names, computers, "every computer is a host or an alias");
    let hosts: BTreeSet<String> = host_of.values().cloned().collect();
    assert_eq!(unique, hosts, "coverage per host");
    assert!(
        hosts.len() < computers.len(),
        "some computers are aliases of one host"
    );
    for f in report["analysis"]["findings"].as_array().unwrap() {
        let host = f["drop"]["host"].as_str().unwrap();
        for e in f["drop"]["evidence"].as_array().unwrap() {
            assert_eq!(
                host_of[e["computer"].as_str().unwrap()],
                host,
                "evidence stays on its host"
            );
        }
    }
}

/// `events --format jsonl` reads back through `events`: the same lines, byte for byte,
/// each still naming the log it was first read from.
#[test]
fn events_jsonl_reads_back_through_events_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let extract = tmp.path().join("extract.jsonl");
    let first = run(&["events", samples().to_str().unwrap(), "--format", "jsonl"]);
    assert!(first.status.success());
    std::fs::write(&extract, &first.stdout).unwrap();
    let again = run(&["events", extract.to_str().unwrap(), "--format", "jsonl"]);
    let (stdout, stderr) = texts(&again);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stdout.lines().count() > 1000,
        "the samples hold many events"
    );
    assert_eq!(stdout.as_bytes(), &first.stdout[..], "{stderr}");
    assert!(
        stdout.lines().all(|l| l.contains(".evtx\"")),
        "sources are the logs"
    );
}
