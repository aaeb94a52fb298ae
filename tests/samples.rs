//! The bundled samples: every scenario's files parse with checksums validated
//! and give back exactly the events asked for; the committed files are
//! reproducible byte for byte; and the writer's catalog renders every event
//! with the field names and value types of real Windows records.

use crate::util::corpus;
use dropcause::event::{self, Event, FieldValue};
use dropcause::writer::catalog::{self, EventSchema};
use dropcause::writer::render::Renderer;
use dropcause::writer::value::{Value, ValueType};
use dropcause::writer::{self, EvtxWriter, PlannedEvent, Scenario};
use evtx::{EvtxParser, ParserSettings};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

fn scenarios() -> Vec<Scenario> {
    let all = crate::util::scenarios();
    assert!(all.len() >= 8, "expected at least 8 scenarios");
    all
}

/// Parses EVTX bytes with every CRC checked; any error fails the test.
fn parse(bytes: Vec<u8>, source: &Arc<Path>) -> Vec<Event> {
    let parser = EvtxParser::from_buffer(bytes).expect("EVTX header");
    assert!(
        parser.header().validate_checksum(),
        "{source:?}: header CRC"
    );
    let mut parser = parser.with_configuration(
        ParserSettings::new()
            .validate_checksums(true)
            .separate_json_attributes(false),
    );
    let mut events = Vec::new();
    for record in parser.records_json_value() {
        let record = record.unwrap_or_else(|e| panic!("{source:?}: {e}"));
        let time =
            chrono::DateTime::from_timestamp(record.timestamp.as_second(), 0).expect("record time");
        let ev = event::from_json(&record.data, record.event_record_id, time, source, false)
            .unwrap_or_else(|e| panic!("{source:?}: {e}"));
        events.push(ev);
    }
    events
}

fn read(path: &Path) -> Vec<Event> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!((bytes.len() - 4096) % 65536, 0, "{}: size", path.display());
    parse(bytes, &Arc::from(path))
}

#[test]
fn every_sample_round_trips_through_the_evtx_crate() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for scenario in scenarios() {
        let dir = tmp.path().join(&scenario.name);
        let files = writer::generate(&scenario, &dir, 1).expect("generates");
        let plans = writer::plan(&scenario, 1).expect("plans");
        assert_eq!(files.len(), plans.len());
        for plan in &plans {
            let path = dir.join(plan.file_name());
            let got = read(&path);
            let source: Arc<Path> = Arc::from(path.as_path());
            let want: Vec<Event> = plan
                .events()
                .enumerate()
                .map(|(i, e)| e.expect("event").expected(i as u64 + 1, &source))
                .collect();
            assert_eq!(got.len(), want.len(), "{}: record count", path.display());
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{}: record {}", path.display(), w.record_id);
            }
        }
    }
}

#[test]
fn committed_samples_are_reproduced_byte_for_byte() {
    let tmp = tempfile::tempdir().expect("temp dir");
    for scenario in scenarios() {
        let committed = crate::util::samples_dir().join(&scenario.name);
        let fresh =
            writer::generate(&scenario, &tmp.path().join(&scenario.name), 1).expect("generates");
        let mut names: Vec<_> = std::fs::read_dir(&committed)
            .unwrap_or_else(|e| panic!("{}: {e} (run dropcause sample)", committed.display()))
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        let fresh_names: Vec<_> = fresh.iter().filter_map(|p| p.file_name()).collect();
        assert_eq!(names, fresh_names, "{}", scenario.name);
        for file in &fresh {
            let name = file.file_name().expect("file name");
            let old = std::fs::read(committed.join(name)).expect("committed file");
            let new = std::fs::read(file).expect("fresh file");
            assert!(
                old == new,
                "{}/{name:?} differs; regenerate with `dropcause sample samples/scenarios -o samples`",
                scenario.name
            );
        }
    }
}

#[test]
fn scenarios_use_distinct_computers_and_state_a_verdict() {
    let all = scenarios();
    let mut computers: Vec<&str> = all.iter().map(|s| s.computer.as_str()).collect();
    computers.sort();
    computers.dedup();
    assert_eq!(computers.len(), all.len());
    // A scenario without drops states no cause.
    let clean: Vec<_> = all.iter().filter(|s| s.expect.drops == 0).collect();
    assert!(clean.iter().all(|s| s.expect.cause.is_none()));
    assert!(
        all.iter()
            .any(|s| s.name == "normal-logoff" && s.expect.cause.is_none())
    );
}

/// One real record per catalog entry: (corpus file, provider, event id).
const REAL: &[(&str, &str, &[u16])] = &[
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
        "Microsoft-Windows-TerminalServices-LocalSessionManager",
        &[21, 22, 23, 24, 39, 40, 41, 42],
    ),
    (
        "velociraptor/artifacts/testdata/files/RDPAuth_LocalSessionManager.evtx",
        "Microsoft-Windows-TerminalServices-LocalSessionManager",
        &[25],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
        &[261, 1149],
    ),
    (
        "velociraptor/artifacts/testdata/files/RDPAuth_RemoteConnectionManager.evtx",
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
        &[258],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        &[65, 66, 98, 102, 103, 131, 139],
    ),
    (
        "omerbenamram-evtx/samples/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS",
        &[140, 142, 143, 148, 226],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
        "Microsoft-Windows-TerminalServices-ClientActiveXCore",
        &[1024, 1026],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx",
        "Service Control Manager",
        &[7031, 7036, 7040, 7045],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx",
        "EventLog",
        &[6005, 6006],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx",
        "User32",
        &[1074],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx",
        "Schannel",
        &[36874, 36888],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx",
        "Microsoft-Windows-Kernel-General",
        &[12, 13],
    ),
    ("python-evtx/tests/data/system.evtx", "TermDD", &[56]),
    ("python-evtx/tests/data/system.evtx", "EventLog", &[6008]),
    (
        "velociraptor/artifacts/testdata/files/RDPAuth_Security.evtx",
        "Microsoft-Windows-Security-Auditing",
        &[4624, 4634, 4647, 4672, 4778, 4779],
    ),
    (
        "dfir-artifact-museum/StolenSzechuanEventLogs/Security.evtx",
        "Microsoft-Windows-Security-Auditing",
        &[4625],
    ),
];

/// What must agree between a real and a generated record: whether it has an
/// event source and qualifiers, and each field's name and JSON value kind (a
/// null real value is an empty string). The user SID is the scenario's choice.
fn shape(e: &Event) -> (bool, bool, Vec<(String, &'static str)>) {
    let kind = |v: &FieldValue| match v {
        FieldValue::Str(_) | FieldValue::Null => "text",
        FieldValue::UInt(_) | FieldValue::Int(_) => "number",
        FieldValue::Float(_) => "float",
        FieldValue::Bool(_) => "bool",
    };
    let fields = e
        .fields
        .iter()
        .map(|(n, v)| (n.to_string(), kind(v)))
        .collect();
    (e.event_source.is_some(), e.qualifiers.is_some(), fields)
}

/// One generated record of `schema`, every field at its type's sample value.
fn generated(schema: &'static EventSchema) -> Event {
    let fields = schema
        .fields
        .iter()
        .map(|(_, ty)| match ty {
            ValueType::String => Value::String("x".into()),
            ValueType::UInt8 => Value::UInt8(1),
            ValueType::UInt16 => Value::UInt16(1),
            ValueType::UInt32 => Value::UInt32(1),
            ValueType::HexInt32 => Value::HexInt32(1),
            ValueType::HexInt64 => Value::HexInt64(1),
            ValueType::Guid => Value::Guid([1; 16]),
            ValueType::Sid => Value::Sid(vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0]),
            ValueType::FileTime => Value::FileTime(133_000_000_000_000_000),
            ValueType::Binary => Value::Binary(vec![0x54, 0]),
            other => panic!("catalog uses {other:?}; extend this test"),
        })
        .collect();
    let planned = PlannedEvent {
        time: 133_000_000_000_000_000,
        schema,
        channel: Arc::from(schema.channel),
        computer: Arc::from("RDS-TEST"),
        level: schema.level,
        qualifiers: schema.qualifiers,
        activity: None,
        user: schema
            .provider
            .user
            .and_then(dropcause::writer::value::parse_sid),
        thread_id: 1,
        fields,
    };
    let mut w = EvtxWriter::new(Cursor::new(Vec::new())).expect("writer");
    let instance = Renderer::default().instance(&planned, 1);
    w.append(planned.time, &instance).expect("append");
    let bytes = w.finish().expect("finish").into_inner();
    parse(bytes, &Arc::from(Path::new("generated.evtx")))
        .pop()
        .expect("one event")
}

#[test]
fn generated_events_have_the_field_names_and_types_of_real_ones() {
    let Some(corpus) = corpus("generated_events_have_the_field_names_and_types_of_real_ones")
    else {
        return;
    };
    let mut compared = 0;
    for (file, provider, ids) in REAL {
        let path = corpus.join(file);
        let mut parser = EvtxParser::from_path(&path)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .with_configuration(ParserSettings::new().separate_json_attributes(false));
        let source: Arc<Path> = Arc::from(path.as_path());
        let mut pending: Vec<u16> = ids.to_vec();
        for record in parser.records_json_value().flatten() {
            if pending.is_empty() {
                break;
            }
            let time = chrono::DateTime::UNIX_EPOCH;
            let Ok(real) = event::from_json(&record.data, 0, time, &source, false) else {
                continue;
            };
            let Some(i) = pending
                .iter()
                .position(|&id| id == real.event_id && real.is_from(provider))
            else {
                continue;
            };
            pending.swap_remove(i);
            let schema = catalog::lookup(provider, real.event_id).expect("in catalog");
            let ours = generated(schema);
            assert_eq!(
                shape(&ours),
                shape(&real),
                "{provider} {}: generated vs {file}",
                real.event_id
            );
            assert_eq!(ours.channel, real.channel, "{provider} {}", real.event_id);
            assert!(
                ours.user_sid.is_none() || real.user_sid.is_some(),
                "{provider} {}: real records have no user SID",
                real.event_id
            );
            compared += 1;
        }
        assert!(pending.is_empty(), "{file}: no record for {pending:?}");
    }
    assert!(compared >= 40, "only {compared} events compared");
}
