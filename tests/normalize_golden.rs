//! Golden tests: the normalized form of real corpus records of the events the
//! analysis relies on. `UPDATE_GOLDEN=1` rewrites the expected files.

use crate::util::{corpus, golden};
use dropcause::event::Event;
use dropcause::ingest::{IngestOptions, discover, read_all};

/// A field that must have a given value.
type Require = Option<(&'static str, &'static str)>;

/// (corpus file, event id, required field) → golden name.
const CASES: &[(&str, u16, Require, &str)] = &[
    (LSM, 21, None, "lsm-21-logon"),
    (LSM, 24, None, "lsm-24-disconnect"),
    (LSM, 25, None, "lsm-25-reconnect"),
    (LSM, 40, None, "lsm-40-disconnect-reason"),
    (RCM, 261, None, "rcm-261-listener-connection"),
    (RCM, 1149, None, "rcm-1149-auth-succeeded"),
    (CORETS, 131, None, "rdpcorets-131-accepted"),
    (
        SYSTEM,
        7036,
        Some(("param1", "Remote Desktop Services")),
        "scm-7036-termservice",
    ),
    (SYSTEM, 36888, None, "schannel-36888-alert"),
    (
        SECURITY,
        4624,
        Some(("LogonType", "10")),
        "security-4624-logon-type-10",
    ),
];

const LSM: &str = "velociraptor/artifacts/testdata/files/RDPAuth_LocalSessionManager.evtx";
const RCM: &str = "velociraptor/artifacts/testdata/files/RDPAuth_RemoteConnectionManager.evtx";
const CORETS: &str = "dfir-artifact-museum/StolenSzechuanEventLogs/Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx";
const SYSTEM: &str = "dfir-artifact-museum/StolenSzechuanEventLogs/System.evtx";
const SECURITY: &str = "velociraptor/artifacts/testdata/files/RDPAuth_Security.evtx";

fn first(path: &std::path::Path, id: u16, field: Option<(&str, &str)>) -> Option<Event> {
    let found = discover(&[path.to_path_buf()], false);
    let mut events: Vec<Event> = Vec::new();
    read_all(
        &found.sources,
        &IngestOptions::default(),
        |e| {
            let wanted = e.event_id == id
                && field.is_none_or(|(k, v)| e.field(k).is_some_and(|x| x.as_text() == v));
            wanted.then_some(e)
        },
        |batch| events.extend(batch),
    );
    events.into_iter().min_by_key(|e| e.record_id)
}

#[test]
fn real_records_normalize_to_the_golden_fields() {
    let Some(root) = corpus("normalized golden records") else {
        return;
    };
    for &(file, id, field, name) in CASES {
        let event = first(&root.join(file), id, field)
            .unwrap_or_else(|| panic!("{file} has an event {id}"));
        let mut json = serde_json::to_value(&event).unwrap();
        // The corpus location differs between machines: keep the file name only.
        let source = event
            .source
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        json["source"] = serde_json::Value::String(source);
        let text = serde_json::to_string_pretty(&json).unwrap() + "\n";
        golden(&format!("normalized/{name}.json"), &text);
    }
}
