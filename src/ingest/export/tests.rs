//! The export readers, end to end: split as the producer would, read as the
//! workers would.

use super::super::Note;
use super::super::chunk::ChunkOutput;
use super::*;
use crate::diag::Diagnostics;
use crate::event::FieldValue;
use std::io::Cursor;

fn data(text: &str) -> Cursor<Vec<u8>> {
    Cursor::new(text.as_bytes().to_vec())
}

/// Splits `text` and reads every piece of work as the workers would.
fn read(text: &str, xml: bool) -> (Vec<Event>, FileStats, Diagnostics) {
    let path: Arc<Path> = Arc::from(Path::new("export"));
    let mut work = Vec::new();
    if xml {
        xml::split(data(text), &path, &mut |w| work.push(w));
    } else {
        json::split(data(text), &path, &mut |w| work.push(w));
    }
    let (mut events, mut stats, mut diagnostics) =
        (Vec::new(), FileStats::default(), Diagnostics::default());
    let keep = |e: Event, _: Option<Note>| Some(e);
    for w in work {
        let out = match w {
            Work::Events(batch) => {
                let mut out = ChunkOutput::new();
                batch.into_iter().for_each(|e| out.accept(e, None, &keep));
                out
            }
            Work::Json(items) => read_json(items, &path, &keep),
            Work::Note { stats, diagnostics } => ChunkOutput {
                kept: Vec::new(),
                stats: *stats,
                diagnostics,
            },
            Work::Chunk { .. } => unreachable!("exports have no chunks"),
        };
        events.extend(out.kept);
        stats.absorb(out.stats);
        diagnostics.extend(out.diagnostics);
    }
    (events, stats, diagnostics)
}

const CLASSIC: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>
  <System>
<Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/>
<EventID Qualifiers='49152'>7031</EventID>
<Level>2</Level>
<TimeCreated SystemTime='2024-03-11T09:12:00.1234567Z'/>
<EventRecordID>4711</EventRecordID>
<Channel>System</Channel>
<Computer>RDS01.corp.example</Computer>
<Security/>
  </System>
  <EventData><Data>Remote Desktop Services</Data><Data>1</Data><Data></Data><Binary>5400</Binary></EventData>
  <RenderingInfo Culture='en-US'><Message>ignored</Message></RenderingInfo>
</Event>"#;

#[test]
fn a_classic_xml_event_keeps_typed_system_parts_and_unnamed_data() {
    let (events, stats, diags) = read(&format!("<Events>{CLASSIC}</Events>"), true);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(stats.records_read, 1);
    let e = &events[0];
    assert_eq!(
        (e.event_id, e.qualifiers, e.level),
        (7031, Some(49152), Some(2))
    );
    assert_eq!(e.record_id, 4711);
    assert_eq!(e.time.to_rfc3339(), "2024-03-11T09:12:00.123456700+00:00");
    assert_eq!(e.event_source.as_deref(), Some("Service Control Manager"));
    let names: Vec<_> = e.fields.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["Binary", "param1", "param2", "param3"]);
    assert_eq!(e.fields.get("param2").and_then(FieldValue::as_i64), Some(1));
    assert_eq!(e.fields.get("param3"), Some(&FieldValue::Null));
}

#[test]
fn user_data_and_entities_in_a_bare_wevtutil_sequence() {
    let ev = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-TerminalServices-LocalSessionManager"/><EventID>24</EventID><TimeCreated SystemTime="2024-03-11T09:12:00Z"/><EventRecordID>9</EventRecordID><Channel>Microsoft-Windows-TerminalServices-LocalSessionManager/Operational</Channel><Computer>RDS01</Computer></System><UserData><EventXML xmlns="Event_NS"><User>CORP\a&amp;b</User><SessionID>3</SessionID><Address>10.0.0.1</Address></EventXML></UserData></Event>"#;
    let (events, _, diags) = read(
        &format!(
            "{ev}
{ev}
"
        ),
        true,
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(events.len(), 2);
    let e = &events[0];
    assert_eq!(
        e.fields.get("User"),
        Some(&FieldValue::Str("CORP\\a&b".into()))
    );
    assert_eq!(
        e.fields.get("SessionID").and_then(FieldValue::as_i64),
        Some(3)
    );
}

#[test]
fn evtx_dump_json_records_and_separate_attributes_are_read() {
    let text = "Record 1\n{\n  \"Event\": {\n    \"System\": {\"EventID\": 21, \"Channel\": \"c\", \"Computer\": \"H\",\n      \"TimeCreated\": {\"#attributes\": {\"SystemTime\": \"2024-03-11T09:12:00Z\"}}}\n  }\n}\nRecord 2\n{\"Event\": {\"System\": {\"EventID\": 22, \"EventRecordID\": 2, \"TimeCreated_attributes\": {\"SystemTime\": \"2024-03-11T09:13:00Z\"}, \"Provider_attributes\": {\"Name\": \"P\"}, \"EventID_attributes\": {\"Qualifiers\": 16384}}}}\n";
    let (events, stats, diags) = read(text, false);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(stats.records_read, 2);
    assert_eq!(events[0].event_id, 21);
    assert_eq!(&*events[0].computer, "H");
    assert_eq!(
        (events[1].event_id, events[1].qualifiers),
        (22, Some(16384))
    );
    assert_eq!(&*events[1].provider, "P");
    assert_eq!(events[1].time.to_rfc3339(), "2024-03-11T09:13:00+00:00");
}

#[test]
fn broken_exports_never_panic_and_say_where() {
    for text in [
        "",
        "<",
        "<Event>",
        "<Event><System>",
        "[",
        "[{",
        "{",
        "}\n{]",
        "<Events><Event/></Events>",
        "<Event><System><EventID>x</EventID></System></Event>",
        "\u{feff}[1,",
    ] {
        for xml in [true, false] {
            let _ = read(text, xml);
        }
    }
    let (_, stats, diags) = read("{\"Event\":{}}\n\n{\"a\":1}\n", false);
    assert_eq!(stats.records_unreadable, 2);
    assert_eq!(diags.problems[0].line_col, Some((1, 1)));
    assert_eq!(diags.problems[1].line_col, Some((3, 1)));
}
