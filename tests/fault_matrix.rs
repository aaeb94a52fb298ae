//! The corruption matrix: real and generated logs damaged in every way the
//! issue lists (truncation at many offsets, bad CRCs, bad magic, zeroed chunks,
//! a wrapped log, the dirty flag, huge record sizes, bad timestamps, files that
//! are not logs, unreadable paths, link loops). For each: no panic, a problem
//! naming the file and the chunk or record, the damaged run's events exactly the
//! undamaged run's minus those in the damaged region, and the file's account
//! counting what was lost.

use dropcause::ProblemKind;
use dropcause::diag::Problem;
use dropcause::ingest::{FileStats, IngestOptions, discover, read_all};
use dropcause::writer::EvtxWriter;
use dropcause::writer::Instance;
use dropcause::writer::template::{DataShape, data_template, sys, system_template};
use dropcause::writer::value::{Value, ValueType};
use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// What identifies an event across runs.
type Key = (u64, u16, String, String, String);

/// One ingest run over one path.
struct Run {
    /// Events in delivery order.
    order: Vec<Key>,
    events: BTreeSet<Key>,
    files: Vec<FileStats>,
    problems: Vec<Problem>,
}

fn ingest(path: &Path) -> Run {
    let found = discover(&[path.to_path_buf()], false);
    let options = IngestOptions {
        threads: 2,
        ..IngestOptions::default()
    };
    let mut order = Vec::new();
    let report = read_all(
        &found.sources,
        &options,
        |e| {
            Some((
                e.record_id,
                e.event_id,
                e.time.to_rfc3339(),
                e.channel.to_string(),
                format!("{:?}", e.fields),
            ))
        },
        |kept| order.extend(kept),
    );
    let mut problems = found.diagnostics.problems;
    problems.extend(report.diagnostics.problems);
    Run {
        events: order.iter().cloned().collect(),
        order,
        files: report.files,
        problems,
    }
}

/// A record's place in its chunk.
#[derive(Debug, Clone, Copy)]
struct Rec {
    offset: usize,
    size: usize,
    id: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The live records of every whole chunk, walked by their headers.
fn layout(bytes: &[u8]) -> Vec<Vec<Rec>> {
    let mut chunks = Vec::new();
    let mut start = HEADER;
    while start + CHUNK <= bytes.len() {
        let chunk = &bytes[start..start + CHUNK];
        let mut recs = Vec::new();
        if &chunk[..8] == b"ElfChnk\0" {
            let free = (u32_at(chunk, 48) as usize).min(CHUNK);
            let mut at = 512;
            while at + 24 <= free && chunk[at..at + 4] == [0x2a, 0x2a, 0, 0] {
                let size = u32_at(chunk, at + 4) as usize;
                if size < 28 || at + size > CHUNK {
                    break;
                }
                recs.push(Rec {
                    offset: at,
                    size,
                    id: u64_at(chunk, at + 8),
                });
                at += size;
            }
        }
        chunks.push(recs);
        start += CHUNK;
    }
    chunks
}

fn ids(recs: &[Rec]) -> BTreeSet<u64> {
    recs.iter().map(|r| r.id).collect()
}

/// Fixes the file header's CRC32 after an edit.
fn fix_header_crc(bytes: &mut [u8]) {
    let crc = crc32fast::hash(&bytes[..120]);
    bytes[124..128].copy_from_slice(&crc.to_le_bytes());
}

/// One damaged variant and what it must lose.
struct Case {
    name: String,
    bytes: Vec<u8>,
    /// Record ids that must be missing; every other event must be there.
    lost: BTreeSet<u64>,
    /// The chunk a problem must name (`None`: a file-level problem).
    chunk: Option<u64>,
    /// Checks the file's account.
    check: Box<dyn Fn(&FileStats)>,
    /// A problem is expected (false for harmless variants such as the dirty flag).
    problem: bool,
}

fn case(
    name: impl Into<String>,
    bytes: Vec<u8>,
    lost: BTreeSet<u64>,
    chunk: Option<u64>,
    check: impl Fn(&FileStats) + 'static,
) -> Case {
    Case {
        name: name.into(),
        bytes,
        lost,
        chunk,
        check: Box::new(check),
        problem: true,
    }
}

/// The damaged variants of one well-formed log.
fn variants(base: &[u8]) -> Vec<Case> {
    let chunks = layout(base);
    let all: BTreeSet<u64> = chunks.iter().flat_map(|c| ids(c)).collect();
    let n = chunks.len();
    // The chunk damaged: the middle one of those with at least three records,
    // so that chunks holding records follow it (a zeroed last chunk that the
    // header does not count cannot be told from preallocated space).
    let full: Vec<usize> = (0..n).filter(|&i| chunks[i].len() >= 3).collect();
    let k = *full
        .get(full.len().saturating_sub(1) / 2)
        .expect("a chunk with three records");
    let at = HEADER + k * CHUNK;
    let from = |c: usize| -> BTreeSet<u64> { chunks[c..].iter().flat_map(|c| ids(c)).collect() };
    let mut out = Vec::new();

    // Truncated inside the file header: nothing is left.
    for cut in [0usize, 7, 100, 127, 128, 2000, 4095, 4096] {
        out.push(case(
            format!("truncated at {cut} (file header)"),
            base[..cut].to_vec(),
            all.clone(),
            None,
            |s| assert_eq!(s.records_read, 0),
        ));
    }
    // Truncated inside a chunk header: that chunk and the rest are gone.
    for off in [1usize, 8, 200, 511] {
        let kk = k as u64;
        out.push(case(
            format!("truncated {off} bytes into chunk {k} (chunk header)"),
            base[..at + off].to_vec(),
            from(k),
            Some(kk),
            |s| assert_eq!(s.chunks_truncated, 1),
        ));
    }
    // Truncated inside a record (and just after one): the whole records before
    // the cut are read.
    let recs = &chunks[k];
    let mid = recs[recs.len() / 2];
    for (what, cut) in [
        ("first record", recs[0].offset + recs[0].size / 2),
        ("middle record", mid.offset + mid.size / 2),
        ("middle record, 4 bytes short", mid.offset + mid.size - 4),
        ("middle record, whole", mid.offset + mid.size),
        ("last record", recs[recs.len() - 1].offset + 30),
    ] {
        let kept: BTreeSet<u64> = recs
            .iter()
            .filter(|r| r.offset + r.size <= cut)
            .map(|r| r.id)
            .collect();
        let lost: BTreeSet<u64> = from(k).difference(&kept).copied().collect();
        let read = kept.len() as u64;
        out.push(case(
            format!("truncated in chunk {k}, {what} (offset {cut})"),
            base[..at + cut].to_vec(),
            lost,
            Some(k as u64),
            move |s| {
                assert_eq!(s.records_in_truncated_chunk, read);
                assert_eq!(s.chunks_truncated, 1);
            },
        ));
    }
    // A bad file header CRC: a note, nothing lost.
    let mut b = base.to_vec();
    b[124] ^= 0xff;
    out.push(case("bad file header CRC", b, BTreeSet::new(), None, |s| {
        assert_eq!(s.chunks_skipped, 0)
    }));
    // Bad chunk CRCs: noted and counted, the records are read anyway.
    for (what, byte) in [("header", at + 124), ("records", at + 52)] {
        let mut b = base.to_vec();
        b[byte] ^= 0xff;
        out.push(case(
            format!("bad chunk {what} CRC in chunk {k}"),
            b,
            BTreeSet::new(),
            Some(k as u64),
            |s| assert_eq!(s.chunks_bad_checksum, 1),
        ));
    }
    // Bad chunk magic and a zeroed chunk: that chunk's records are lost.
    let mut b = base.to_vec();
    b[at..at + 8].copy_from_slice(b"NotChnk\0");
    out.push(case(
        format!("bad magic of chunk {k}"),
        b,
        ids(&chunks[k]),
        Some(k as u64),
        |s| assert_eq!(s.chunks_skipped, 1),
    ));
    let mut b = base.to_vec();
    b[at..at + CHUNK].fill(0);
    out.push(case(
        format!("chunk {k} zeroed"),
        b,
        ids(&chunks[k]),
        Some(k as u64),
        |s| assert_eq!(s.chunks_skipped, 1),
    ));
    // A record that declares a huge size: that record is lost, the walk
    // resynchronizes on the next one.
    let mut b = base.to_vec();
    b[at + mid.offset + 4..at + mid.offset + 8].copy_from_slice(&0xffff_ff00u32.to_le_bytes());
    out.push(case(
        format!("record {} in chunk {k} declares 4 GiB", mid.id),
        b,
        BTreeSet::from([mid.id]),
        Some(k as u64),
        |s| assert_eq!(s.records_unreadable, 1),
    ));
    // Garbage in the middle of a record's BinXML: that record is lost.
    let mut b = base.to_vec();
    let body = at + mid.offset + 24;
    b[body..body + 8].copy_from_slice(&[0xee; 8]);
    out.push(case(
        format!("record {} in chunk {k} has a garbled body", mid.id),
        b,
        BTreeSet::from([mid.id]),
        Some(k as u64),
        |s| assert_eq!(s.records_unreadable, 1),
    ));
    // The dirty flag: normal for a log copied from a live system.
    let mut b = base.to_vec();
    b[120] |= 1;
    fix_header_crc(&mut b);
    let mut dirty = case("dirty flag", b, BTreeSet::new(), None, |s| {
        assert_eq!(s.chunks_skipped + s.records_unreadable, 0)
    });
    dirty.problem = false;
    out.push(dirty);
    // A wrapped (circular) log: the oldest chunk is not the first; everything
    // is read.
    if n >= 2 {
        let r = n / 2;
        let mut b = base[..HEADER].to_vec();
        let body = &base[HEADER..HEADER + n * CHUNK];
        b.extend_from_slice(&body[r * CHUNK..]);
        b.extend_from_slice(&body[..r * CHUNK]);
        b.extend_from_slice(&base[HEADER + n * CHUNK..]);
        b[8..16].copy_from_slice(&((n - r) as u64).to_le_bytes());
        b[16..24].copy_from_slice(&((n - r - 1) as u64).to_le_bytes());
        fix_header_crc(&mut b);
        let mut wrapped = case(
            format!("wrapped: oldest chunk is chunk {}", n - r),
            b,
            BTreeSet::new(),
            None,
            |s| assert_eq!(s.chunks_skipped, 0),
        );
        wrapped.problem = false;
        out.push(wrapped);
    }
    out
}

/// Runs every variant of `base` (a well-formed log) in `dir`.
fn run_matrix(label: &str, base: &[u8], dir: &Path) -> usize {
    let base_path = dir.join(format!("{label}.evtx"));
    std::fs::write(&base_path, base).unwrap();
    let good = ingest(&base_path);
    assert!(
        !good.events.is_empty(),
        "{label}: the undamaged log has events"
    );
    assert!(
        good.problems.iter().all(|p| p.kind == ProblemKind::Note),
        "{label}: the undamaged log reads cleanly: {:?}",
        good.problems
    );
    let good_ids: BTreeSet<u64> = good.events.iter().map(|k| k.0).collect();
    let cases = variants(base);
    for (i, c) in cases.iter().enumerate() {
        let path = dir.join(format!("{label}-{i}.evtx"));
        std::fs::write(&path, &c.bytes).unwrap();
        let run = ingest(&path);
        let what = format!("{label}: {}", c.name);
        // Exactly the undamaged events minus the damaged region's.
        let expected: BTreeSet<Key> = good
            .events
            .iter()
            .filter(|k| !c.lost.contains(&k.0))
            .cloned()
            .collect();
        let missing: Vec<u64> = expected.difference(&run.events).map(|k| k.0).collect();
        let extra: Vec<u64> = run.events.difference(&expected).map(|k| k.0).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what}: records missing {missing:?}, unexpected {extra:?}"
        );
        // The account counts what was read and what was lost.
        let read: u64 = run.files.iter().map(|f| f.records_read).sum();
        assert_eq!(read, run.events.len() as u64, "{what}: records_read");
        let lost_here = good_ids.intersection(&c.lost).count();
        if let Some(stats) = run.files.first() {
            (c.check)(stats);
            assert_eq!(
                stats.problems,
                run.problems.iter().filter(|p| p.path == path).count() as u64,
                "{what}: problems counted"
            );
        } else {
            assert_eq!(lost_here, good_ids.len(), "{what}: no account, all lost");
        }
        // A clear message that names the file and the place.
        if c.problem {
            let named = run.problems.iter().find(|p| {
                p.path == path && (c.chunk.is_none() || p.chunk == c.chunk) && !p.message.is_empty()
            });
            let Some(problem) = named else {
                panic!(
                    "{what}: no problem naming the file and chunk {:?}: {:?}",
                    c.chunk, run.problems
                );
            };
            let shown = problem.to_string();
            assert!(
                shown.contains(&path.display().to_string()),
                "{what}: {shown}"
            );
            if let Some(k) = c.chunk {
                assert!(shown.contains(&format!("chunk {k}")), "{what}: {shown}");
            }
        } else {
            assert!(
                run.problems.iter().all(|p| p.kind == ProblemKind::Note),
                "{what}: {:?}",
                run.problems
            );
        }
        if c.name.starts_with("wrapped") {
            // Read in record order, as Windows reads a wrapped log.
            let ids: Vec<u64> = run.order.iter().map(|k| k.0).collect();
            assert!(ids.windows(2).all(|w| w[0] < w[1]), "{what}: order");
        }
        std::fs::remove_file(&path).unwrap();
    }
    cases.len()
}

/// A generated multi-chunk log of `n` RDP-ish events, with the given text in
/// a field; `times` gives each event's `TimeCreated` FILETIME (the record
/// headers get ordinary times).
pub fn synthetic_log(n: u64, text: &str, times: &dyn Fn(u64) -> u64) -> Vec<u8> {
    let data = Arc::new(data_template(
        DataShape::UserData {
            element: "EventXML",
            xmlns: "Event_NS",
        },
        &[
            ("User", ValueType::String),
            ("SessionID", ValueType::UInt32),
            ("Address", ValueType::String),
        ],
    ));
    let system = Arc::new(system_template("RDS-FAULT01", false, true));
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    for i in 0..n {
        let id = w.next_record_id();
        let mut values = vec![Value::Null; 18];
        values[sys::LEVEL] = Value::UInt8(4);
        values[sys::EVENT_ID] = Value::UInt16([21, 24, 25, 40][(i % 4) as usize]);
        values[sys::TIME] = Value::FileTime(times(i));
        values[sys::RECORD_ID] = Value::UInt64(id);
        values[sys::PROVIDER] =
            Value::String("Microsoft-Windows-TerminalServices-LocalSessionManager".into());
        values[sys::CHANNEL] = Value::String(
            "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational".into(),
        );
        values[sys::DATA] = Value::BinXml(Box::new(Instance {
            template: data.clone(),
            values: vec![
                Value::String(format!("CORP\\user{i}{text}")),
                Value::UInt32((i % 7) as u32 + 2),
                Value::String(format!("10.0.{}.{}", i / 250, i % 250)),
            ],
        }));
        let event = Instance {
            template: system.clone(),
            values,
        };
        w.append(plain_time(i), &event).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// 2024-03-12T07:00:00Z plus `i` seconds, as a FILETIME.
fn plain_time(i: u64) -> u64 {
    (1_710_226_800 + 11_644_473_600 + i) * 10_000_000
}

#[test]
fn generated_log_survives_every_fault() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_log(1200, &" padding".repeat(8), &plain_time);
    assert!(layout(&base).len() >= 4, "several chunks");
    let cases = run_matrix("generated", &base, dir.path());
    eprintln!("fault matrix: generated log, {cases} variants");
}

#[test]
fn real_logs_survive_every_fault() {
    let Some(corpus) = crate::util::corpus("real_logs_survive_every_fault") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (label, file) in [
        (
            "rdpauth-lsm",
            "velociraptor/artifacts/testdata/files/RDPAuth_LocalSessionManager.evtx",
        ),
        (
            "rdpauth-security",
            "velociraptor/artifacts/testdata/files/RDPAuth_Security.evtx",
        ),
        (
            "szechuan-lsm",
            "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
        ),
        (
            "szechuan-rdpcorets",
            "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        ),
    ] {
        let path = corpus.join(file);
        let bytes = std::fs::read(&path).unwrap();
        // Whole chunks only: the variants cut and damage chunks themselves.
        let whole = HEADER + (bytes.len() - HEADER) / CHUNK * CHUNK;
        let cases = run_matrix(label, &bytes[..whole], dir.path());
        eprintln!("fault matrix: {file}, {cases} variants");
    }
}

#[test]
fn invalid_timestamps_are_read_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    // Some events with TimeCreated at FILETIME 0, u64::MAX and past chrono's
    // range: read, with the record header's time in place of a bad one.
    let odd = |i: u64| match i % 50 {
        7 => 0,
        8 => u64::MAX,
        9 => 0x7fff_ffff_ffff_ffff,
        _ => plain_time(i),
    };
    let base = synthetic_log(300, "", &odd);
    let path = dir.path().join("odd-times.evtx");
    std::fs::write(&path, &base).unwrap();
    let run = ingest(&path);
    assert_eq!(run.events.len(), 300, "{:?}", run.problems);
    assert_eq!(run.files[0].records_unreadable, 0);
    let header_time = |id: u64| {
        let secs = plain_time(id - 1) / 10_000_000 - 11_644_473_600;
        chrono::DateTime::from_timestamp(secs as i64, 0)
            .unwrap()
            .to_rfc3339()
    };
    for key in run
        .events
        .iter()
        .filter(|k| (k.0 - 1) % 50 == 8 || (k.0 - 1) % 50 == 9)
    {
        assert_eq!(key.2, header_time(key.0), "record {}", key.0);
    }
    // A record header whose own timestamp is out of range: the `evtx` crate
    // refuses that record; it is counted and located, the rest are read.
    let chunks = layout(&base);
    let victim = chunks[0][5];
    let mut b = base.clone();
    let at = HEADER + victim.offset + 16;
    b[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &b).unwrap();
    let run = ingest(&path);
    assert_eq!(run.events.len(), 299, "{:?}", run.problems);
    assert!(run.events.iter().all(|k| k.0 != victim.id));
    assert_eq!(run.files[0].records_unreadable, 1);
    let p = run
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::BadRecord)
        .expect("a located problem");
    assert_eq!(p.chunk, Some(0));
    assert!(p.message.contains("timestamp"), "{p}");
}

/// Ingest of a path that is not a readable log: (problems, files read).
fn ingest_other(path: &Path) -> (Vec<Problem>, Vec<FileStats>) {
    let run = ingest(path);
    assert!(run.events.is_empty());
    (run.problems, run.files)
}

fn one_problem_naming(problems: &[Problem], path: &Path, kind: ProblemKind) -> String {
    let p = problems
        .iter()
        .find(|p| p.path == path && p.kind == kind)
        .unwrap_or_else(|| panic!("no {kind:?} problem for {}: {problems:?}", path.display()));
    p.to_string()
}

#[test]
fn files_that_are_not_logs_are_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let empty = d.join("empty.evtx");
    std::fs::write(&empty, b"").unwrap();
    let (problems, files) = ingest_other(&empty);
    assert!(files.is_empty());
    assert!(one_problem_naming(&problems, &empty, ProblemKind::NotEvtx).contains("empty"));

    let zeros = d.join("zeros-4k.evtx");
    std::fs::write(&zeros, vec![0u8; 4096]).unwrap();
    let (problems, _) = ingest_other(&zeros);
    one_problem_naming(&problems, &zeros, ProblemKind::NotEvtx);

    let text = d.join("notes.evtx");
    std::fs::write(&text, "this is a text file renamed .evtx\n".repeat(200)).unwrap();
    let (problems, _) = ingest_other(&text);
    assert!(one_problem_naming(&problems, &text, ProblemKind::NotEvtx).contains("ElfFile"));

    // A valid 4 KiB file header and nothing else: a log with no chunks.
    let base = synthetic_log(3, "", &plain_time);
    let header_only = d.join("header-only.evtx");
    std::fs::write(&header_only, &base[..HEADER]).unwrap();
    let (problems, files) = ingest_other(&header_only);
    assert_eq!(files.len(), 1);
    let shown = one_problem_naming(&problems, &header_only, ProblemKind::BadChunk);
    assert!(shown.contains("no chunk"), "{shown}");
}

#[test]
fn link_loops_are_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("a.evtx"), synthetic_log(5, "", &plain_time)).unwrap();
    std::os::unix::fs::symlink(&logs, logs.join("again")).unwrap();
    std::os::unix::fs::symlink(logs.join("self.evtx"), logs.join("self.evtx")).unwrap();
    let found = discover(std::slice::from_ref(&logs), false);
    assert_eq!(found.sources.len(), 1, "{:?}", found.sources);
    let messages: Vec<String> = found
        .diagnostics
        .problems
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("again") && m.contains("link loop")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("self.evtx")),
        "{messages:?}"
    );
}

#[test]
fn unreadable_files_and_folders_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locked.evtx");
    std::fs::write(&file, synthetic_log(5, "", &plain_time)).unwrap();
    let folder = dir.path().join("locked-dir");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("inside.evtx"),
        synthetic_log(5, "", &plain_time),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&file).is_ok() {
        // Root: the permissions bind only a process without the capabilities
        // that bypass them, so the command is run as one.
        let test = "unreadable_files_and_folders_are_named";
        let cmd = crate::util::dropcause_bound_by_permissions(test, false);
        let out = cmd.map(|mut cmd| {
            cmd.args(["events", dir.path().to_str().unwrap()])
                .output()
                .unwrap()
        });
        std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        let Some(out) = out else { return };
        let (_, err) = crate::util::texts(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for named in [&file, &folder] {
            assert!(err.contains(named.to_str().unwrap()), "{err}");
        }
        assert_eq!(err.matches("Permission denied").count(), 2, "{err}");
        return;
    }
    let found = discover(&[dir.path().to_path_buf()], false);
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(found.sources.is_empty());
    let paths: Vec<&PathBuf> = found.diagnostics.problems.iter().map(|p| &p.path).collect();
    assert!(paths.contains(&&file), "{paths:?}");
    assert!(paths.iter().any(|p| p.starts_with(&folder)), "{paths:?}");
    assert!(
        found
            .diagnostics
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::Unreadable)
    );
}

#[test]
fn the_json_report_accounts_for_every_input_file() {
    let dir = tempfile::tempdir().unwrap();
    let base = synthetic_log(1200, &" padding".repeat(8), &plain_time);
    let chunks = layout(&base);
    let good = dir.path().join("good.evtx");
    std::fs::write(&good, &base).unwrap();
    // Chunk 1 unreadable, chunk 2 with a bad CRC, one record in chunk 0
    // garbled, and the file cut in the middle of its last chunk.
    let mut b = base.clone();
    b[HEADER + CHUNK..HEADER + CHUNK + 8].copy_from_slice(b"NotChnk\0");
    b[HEADER + 2 * CHUNK + 52] ^= 0xff;
    let victim = chunks[0][3];
    b[HEADER + victim.offset + 4..HEADER + victim.offset + 8]
        .copy_from_slice(&0xffff_ff00u32.to_le_bytes());
    let last = chunks.len() - 1;
    let cut = chunks[last][chunks[last].len() / 2];
    b.truncate(HEADER + last * CHUNK + cut.offset + cut.size);
    let damaged = dir.path().join("damaged.evtx");
    std::fs::write(&damaged, &b).unwrap();
    let out = crate::util::run(&["analyze", "--format", "json", dir.path().to_str().unwrap()]);
    let (stdout, stderr) = crate::util::texts(&out);
    let report: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON report ({e}): {stderr}"));
    let inputs = report["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 2);
    let problems = report["diagnostics"]["problems"].as_array().unwrap();
    for input in inputs {
        for key in [
            "records_read",
            "records_recovered",
            "records_unreadable",
            "chunks_skipped",
            "chunks_bad_checksum",
            "chunks_truncated",
            "records_in_truncated_chunk",
            "problems",
        ] {
            assert!(input[key].is_u64(), "{key} in {input}");
        }
        // The reasons: one problem per count, under the file's path.
        let path = input["path"].as_str().unwrap();
        let own = problems.iter().filter(|p| p["path"] == path).count() as u64;
        assert_eq!(input["problems"].as_u64(), Some(own), "{path}");
    }
    let by_name = |name: &str| {
        inputs
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name))
            .unwrap()
    };
    let g = by_name("good.evtx");
    assert_eq!(g["records_read"], 1200);
    assert_eq!(g["problems"], 0);
    let d = by_name("damaged.evtx");
    let in_last = chunks[last]
        .iter()
        .filter(|r| r.offset + r.size <= cut.offset + cut.size)
        .count() as u64;
    let expected_read = 1200 - chunks[1].len() as u64 - 1 - (chunks[last].len() as u64 - in_last);
    assert_eq!(d["records_read"], expected_read);
    assert_eq!(d["records_unreadable"], 1);
    assert_eq!(d["chunks_skipped"], 1);
    // Chunk 2, and chunk 0 whose edited record no longer matches its CRC.
    assert_eq!(d["chunks_bad_checksum"], 2);
    assert_eq!(d["chunks_truncated"], 1);
    assert_eq!(d["records_in_truncated_chunk"], in_last);
    let damaged_path = d["path"].as_str().unwrap();
    let kinds: Vec<(&str, Option<u64>)> = problems
        .iter()
        .filter(|p| p["path"] == damaged_path)
        .map(|p| (p["kind"].as_str().unwrap(), p["chunk"].as_u64()))
        .collect();
    assert!(kinds.contains(&("bad-chunk", Some(1))), "{kinds:?}");
    assert!(kinds.contains(&("note", Some(2))), "{kinds:?}");
    assert!(kinds.contains(&("bad-record", Some(0))), "{kinds:?}");
    assert!(
        kinds.contains(&("bad-chunk", Some(last as u64))),
        "{kinds:?}"
    );
}

/// A log whose records carry the given data parts, each after a plain record.
fn log_of(data: Vec<Instance>) -> Vec<u8> {
    let system = Arc::new(system_template("RDS-BOMB01", false, false));
    let plain = Arc::new(data_template(
        DataShape::Named,
        &[("Text", ValueType::String)],
    ));
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).unwrap();
    let mut parts = Vec::new();
    for d in data {
        parts.push(Instance {
            template: plain.clone(),
            values: vec![Value::String("plain".into())],
        });
        parts.push(d);
    }
    parts.push(Instance {
        template: plain,
        values: vec![Value::String("plain".into())],
    });
    for (i, d) in parts.into_iter().enumerate() {
        let id = w.next_record_id();
        let mut values = vec![Value::Null; 18];
        values[sys::EVENT_ID] = Value::UInt16(7036);
        values[sys::TIME] = Value::FileTime(plain_time(i as u64));
        values[sys::RECORD_ID] = Value::UInt64(id);
        values[sys::PROVIDER] = Value::String("Service Control Manager".into());
        values[sys::CHANNEL] = Value::String("System".into());
        values[sys::DATA] = Value::BinXml(Box::new(d));
        let event = Instance {
            template: system.clone(),
            values,
        };
        w.append(plain_time(i as u64), &event).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn nesting_and_width_bombs_are_bounded() {
    use dropcause::writer::template::{Element, Node, Template};
    // Elements nested 600 deep (the `evtx` crate stops at 512; our writer
    // itself formats templates recursively, so not much deeper).
    let mut deep = Element::new("leaf").content(0, ValueType::String, false);
    for _ in 0..600 {
        deep = Element::new("a").child(Node::Element(deep));
    }
    let deep = Instance {
        template: Arc::new(Template::new(deep)),
        values: vec![Value::String("bottom".into())],
    };
    // Embedded BinXML values nested 100 deep (the crate stops at 64).
    let wrap = Arc::new(Template::new(Element::new("w").content(
        0,
        ValueType::BinXml,
        false,
    )));
    let mut nested = Instance {
        template: Arc::new(Template::new(Element::new("x").content(
            0,
            ValueType::String,
            false,
        ))),
        values: vec![Value::String("core".into())],
    };
    for _ in 0..100 {
        nested = Instance {
            template: wrap.clone(),
            values: vec![Value::BinXml(Box::new(nested))],
        };
    }
    // 1000 substitutions in one record (as many as a chunk holds with names).
    let names: Vec<String> = (0..1000).map(|i| format!("F{i}")).collect();
    let fields: Vec<(&str, ValueType)> = names
        .iter()
        .map(|n| (n.as_str(), ValueType::UInt8))
        .collect();
    let wide = Instance {
        template: Arc::new(data_template(DataShape::Named, &fields)),
        values: (0..1000).map(|i| Value::UInt8(i as u8)).collect(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bombs.evtx");
    std::fs::write(&path, log_of(vec![deep, nested, wide])).unwrap();
    let run = ingest(&path);
    let stats = &run.files[0];
    // Every record is accounted for: read, or unreadable with a located reason.
    assert_eq!(
        stats.records_read + stats.records_unreadable,
        7,
        "{:?}",
        run.problems
    );
    assert_eq!(stats.problems as usize, run.problems.len());
    // The four plain records around the bombs are read.
    let plain: Vec<u64> = run
        .order
        .iter()
        .map(|k| k.0)
        .filter(|id| id % 2 == 1)
        .collect();
    assert_eq!(plain, [1, 3, 5, 7], "{:?}", run.problems);
    // Refused ones are named by chunk and record.
    for p in &run.problems {
        assert!(p.chunk.is_some(), "{p}");
    }
    eprintln!(
        "bombs: {} read, {} refused: {:?}",
        stats.records_read,
        stats.records_unreadable,
        run.problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
    );
}
