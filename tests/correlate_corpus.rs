//! Correlation on the real logs of the shared corpus (`DROPCAUSE_CORPUS`, or
//! `../shared/corpus` from the crate): every LSM 40 and 24 event belongs to
//! exactly one session, every session's reason is decoded, and the counts hold.
//!
//! The rule engine is not merged yet, so `classify` below attaches `RuleInfo`s
//! by event id, mirroring the shipped rules' roles, steps and keys. It will be
//! replaced by the real rule set once merged.

use dropcause::correlate::model::{Analysis, DropKind, Ending, SessionKind};
use dropcause::correlate::{CorrelateOptions, correlate};
use dropcause::event::Event;
use dropcause::ingest::{ChannelSpan, IngestOptions, discover, read_all};
use dropcause::rules::{Category, Extension, Level, Matched, Role, RuleInfo, Step, Window};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn corpus() -> Option<PathBuf> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = std::env::var_os("DROPCAUSE_CORPUS")
        .map(PathBuf::from)
        .into_iter()
        .chain(["../shared/corpus", "../../shared/corpus"].map(|p| crate_dir.join(p)));
    let found = candidates.into_iter().find(|d| d.is_dir());
    if found.is_none() {
        println!("SKIP: corpus not found");
    }
    found
}

/// (log, event id, reason) -> (role, category, step, keys). `reason` is the
/// LSM 40 reason; `None` matches any.
type Row = (
    &'static str,
    u16,
    Option<i64>,
    Role,
    Option<Category>,
    Option<Step>,
    &'static [&'static str],
);

const LSM: &[&str] = &["SessionID", "User", "Address"];
const IP: &[&str] = &["IPString"];
#[rustfmt::skip]
const CLASSIFIER: &[Row] = &[
    ("LocalSessionManager", 21, None, Role::Lifecycle, None, Some(Step::Logon), LSM),
    ("LocalSessionManager", 22, None, Role::Lifecycle, None, Some(Step::Logon), LSM),
    ("LocalSessionManager", 23, None, Role::Lifecycle, None, Some(Step::Logoff), LSM),
    ("LocalSessionManager", 24, None, Role::Lifecycle, None, Some(Step::Disconnect), LSM),
    ("LocalSessionManager", 25, None, Role::Lifecycle, None, Some(Step::Reconnect), LSM),
    ("LocalSessionManager", 39, None, Role::Lifecycle, None, Some(Step::Disconnect), &["TargetSession"]),
    ("LocalSessionManager", 40, Some(0), Role::Drop, None, Some(Step::Disconnect), &["Session"]),
    ("LocalSessionManager", 40, Some(5), Role::Lifecycle, None, Some(Step::Disconnect), &["Session"]),
    ("LocalSessionManager", 40, Some(7), Role::Drop, Some(Category::Configuration), Some(Step::Refused), &["Session"]),
    ("LocalSessionManager", 40, Some(11), Role::Lifecycle, None, Some(Step::Disconnect), &["Session"]),
    ("LocalSessionManager", 40, Some(12), Role::Lifecycle, None, Some(Step::Logoff), &["Session"]),
    ("LocalSessionManager", 40, None, Role::Drop, None, Some(Step::Disconnect), &["Session"]),
    ("LocalSessionManager", 41, None, Role::Lifecycle, None, None, &["SessionID"]),
    ("LocalSessionManager", 42, None, Role::Lifecycle, None, None, &["SessionID"]),
    ("RemoteConnectionManager", 261, None, Role::Lifecycle, None, Some(Step::Connect), &[]),
    ("RemoteConnectionManager", 1149, None, Role::Lifecycle, None, Some(Step::Auth), &["Param3"]),
    ("RdpCoreTS", 131, None, Role::Lifecycle, None, Some(Step::Connect), &["ClientIP"]),
    ("RdpCoreTS", 65, None, Role::Lifecycle, None, Some(Step::Connect), &["ConnectionName"]),
    ("RdpCoreTS", 66, None, Role::Lifecycle, None, Some(Step::Logon), &["ConnectionName", "SessionID"]),
    ("RdpCoreTS", 102, None, Role::Lifecycle, None, Some(Step::Disconnect), &[]),
    ("RdpCoreTS", 97, None, Role::Drop, Some(Category::Network), Some(Step::Disconnect), &[]),
    ("RdpCoreTS", 139, None, Role::Cause, Some(Category::Certificate), None, IP),
    ("RdpCoreTS", 140, None, Role::Cause, Some(Category::Authentication), None, IP),
    ("RdpCoreTS", 142, None, Role::Cause, Some(Category::Network), None, &[]),
    ("RdpCoreTS", 143, None, Role::Cause, Some(Category::Network), None, &[]),
    ("RdpCoreTS", 226, None, Role::Cause, Some(Category::Network), None, &[]),
    ("Security", 4624, None, Role::Lifecycle, None, Some(Step::Logon), &["IpAddress"]),
    ("Security", 4625, None, Role::Cause, Some(Category::Authentication), None, &["IpAddress"]),
    ("Security", 4634, None, Role::Lifecycle, None, Some(Step::Logoff), &[]),
    ("Security", 4647, None, Role::Lifecycle, None, Some(Step::Logoff), &[]),
    ("Security", 4778, None, Role::Lifecycle, None, Some(Step::Reconnect), &["ClientAddress"]),
    ("Security", 4779, None, Role::Lifecycle, None, Some(Step::Disconnect), &["ClientAddress"]),
    ("RDPClient", 1024, None, Role::Lifecycle, None, Some(Step::Connect), &[]),
    ("RDPClient", 1025, None, Role::Lifecycle, None, Some(Step::Connect), &[]),
    ("RDPClient", 1026, None, Role::Lifecycle, None, Some(Step::Disconnect), &[]),
    ("System", 36870, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 36871, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 36874, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 36888, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 1057, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 1058, None, Role::Cause, Some(Category::Certificate), None, &[]),
    ("System", 7031, None, Role::Cause, Some(Category::Service), None, &[]),
    ("System", 7034, None, Role::Cause, Some(Category::Service), None, &[]),
    ("System", 6008, None, Role::Cause, Some(Category::Power), None, &[]),
    ("System", 1074, None, Role::Cause, Some(Category::Power), None, &[]),
];

fn rules() -> &'static Vec<Arc<RuleInfo>> {
    static RULES: OnceLock<Vec<Arc<RuleInfo>>> = OnceLock::new();
    RULES.get_or_init(|| {
        CLASSIFIER
            .iter()
            .map(|(log, id, reason, role, category, step, keys)| {
                let r = reason.map_or_else(String::new, |r| format!("-r{r}"));
                Arc::new(RuleInfo {
                    id: format!("test-{}-{id}{r}", log.to_ascii_lowercase()),
                    title: format!("{log} {id}"),
                    description: String::new(),
                    level: if *role == Role::Cause {
                        Level::High
                    } else {
                        Level::Informational
                    },
                    references: vec![],
                    extension: Some(Extension {
                        role: *role,
                        category: *category,
                        step: *step,
                        window: Window {
                            before: Duration::from_secs(120),
                            after: Duration::from_secs(30),
                        },
                        keys: keys.iter().map(|k| k.to_string()).collect(),
                        explain: Some(format!("{log} {id}")),
                        fix: None,
                    }),
                    path: "<test classifier>".into(),
                })
            })
            .collect()
    })
}

/// The test classifier: the first row that fits the event (console LSM
/// logon/disconnect events are left out, as the shipped rules do).
fn classify(event: Event) -> Option<Matched> {
    let reason = event.field("Reason").and_then(|v| v.as_i64());
    let local = event
        .field("Address")
        .is_some_and(|a| a.as_text() == "LOCAL");
    let logon_type = event.field("LogonType").and_then(|v| v.as_i64());
    if local || (event.event_id == 4624 && !matches!(logon_type, Some(7 | 10))) {
        return None;
    }
    let k = CLASSIFIER.iter().position(|(log, id, r, ..)| {
        let in_log = if *log == "System" {
            event.channel == "System"
        } else {
            event.channel.contains(log)
        };
        in_log && *id == event.event_id && (r.is_none() || *r == reason)
    })?;
    Some(Matched {
        event,
        rules: vec![Arc::clone(&rules()[k])],
    })
}

fn analyse(dirs: &[&str]) -> Option<(Analysis, Vec<Matched>)> {
    let root = corpus()?;
    let paths: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    let found = discover(&paths, false);
    let mut matched = Vec::new();
    let report = read_all(&found.sources, &IngestOptions::default(), classify, |b| {
        matched.extend(b)
    });
    let spans: Vec<ChannelSpan> = report.files.iter().flat_map(|f| f.spans.clone()).collect();
    let kept = matched.clone();
    Some((
        correlate(matched, &spans, &CorrelateOptions::default()),
        kept,
    ))
}

/// Every LSM 40 and 24 event is in exactly one session's steps; every session
/// with an LSM 40 has its reason decoded.
fn check_lsm_assignment(a: &Analysis, matched: &[Matched]) -> (usize, usize) {
    let lsm = |id| {
        matched
            .iter()
            .filter(|m| m.event.channel.contains("LocalSessionManager") && m.event.event_id == id)
            .map(|m| (m.event.source.to_path_buf(), m.event.record_id))
            .collect::<Vec<_>>()
    };
    let mut count: HashMap<(PathBuf, u64), usize> = HashMap::new();
    for s in &a.sessions {
        for step in &s.steps {
            *count
                .entry((step.event.source.clone(), step.event.record_id))
                .or_default() += 1;
        }
        let ends_with_reason = s
            .steps
            .iter()
            .any(|st| matches!(st.event.event_id, 40 | 1026));
        assert_eq!(
            ends_with_reason,
            s.reason.is_some(),
            "session {} reason decoded",
            s.index
        );
        if let Some(r) = &s.reason {
            assert!(!r.name.is_empty() && !r.meaning.is_empty());
        }
    }
    let (forty, twenty_four) = (lsm(40), lsm(24));
    for key in forty.iter().chain(&twenty_four) {
        assert_eq!(
            count.get(key),
            Some(&1),
            "{key:?} belongs to exactly one session"
        );
    }
    (forty.len(), twenty_four.len())
}

fn count<T>(items: &[T], pred: impl Fn(&T) -> bool) -> usize {
    items.iter().filter(|x| pred(x)).count()
}

#[test]
fn stolen_szechuan_sessions_drops_and_refused_connections() {
    let Some((a, matched)) = analyse(&["dfir-artifact-museum/StolenSzechuanEventLogs"]) else {
        return;
    };
    assert_eq!(check_lsm_assignment(&a, &matched), (6, 2));
    let remote = count(&a.sessions, |s| s.kind == SessionKind::Remote);
    let attempts = count(&a.sessions, |s| s.kind == SessionKind::Attempt);
    let refused = count(&a.findings, |f| {
        f.dropped.kind == DropKind::ConnectionRefused
    });
    let dropped = count(&a.findings, |f| f.dropped.kind == DropKind::SessionDropped);
    println!(
        "sessions {} remote {remote} attempts {attempts} refused {refused} dropped {dropped}",
        a.sessions.len()
    );
    for s in &a.summaries.hosts {
        println!("{}", s.text);
    }
    assert_eq!((remote, attempts, refused, dropped), (4, 247, 247, 0));
    // Scanners failing the TLS handshake: RdpCoreTS 139 in the same connection,
    // with Schannel 36874/36888 in the System log around them.
    for f in &a.findings {
        assert_eq!(f.verdict.category, Some(Category::Certificate));
        assert_eq!(f.causes[0].rule_id, "test-rdpcorets-139");
        assert!(
            f.causes
                .iter()
                .any(|c| c.rule_id.starts_with("test-system-3687"))
        );
        assert!(f.verdict.missing_logs.is_empty());
    }
    let client = a
        .sessions
        .iter()
        .find(|s| s.kind == SessionKind::Client)
        .expect("client side");
    assert_eq!(client.server.as_deref(), Some("DESKTOP-SDN1RPT"));
    assert_eq!(client.ending, Ending::UserDisconnect);
}

#[test]
fn rathbun_console_sessions_are_not_drops() {
    let Some((a, matched)) = analyse(&[
        "dfir-artifact-museum/RathbunVM_W10EventLogs",
        "dfir-artifact-museum/RathbunVM_W11EventLogs",
    ]) else {
        return;
    };
    assert_eq!(check_lsm_assignment(&a, &matched), (2, 0));
    println!(
        "sessions {} findings {}",
        a.sessions.len(),
        a.findings.len()
    );
    assert!(a.findings.is_empty());
}

#[test]
fn velociraptor_reconnect_and_logoff() {
    let Some((a, matched)) = analyse(&["velociraptor/artifacts/testdata/files"]) else {
        return;
    };
    let (forty, twenty_four) = check_lsm_assignment(&a, &matched);
    assert_eq!((forty, twenty_four), (4, 1));
    assert!(a.findings.is_empty());
    assert!(
        a.sessions.iter().any(|s| s.ending == Ending::UserLogoff
            && s.client_address.as_deref() == Some("192.168.38.1"))
    );
}

#[test]
fn dirty_rdpcorets_brute_force_is_refused_connections() {
    let Some((a, matched)) = analyse(&[
        "omerbenamram-evtx/samples/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "omerbenamram-evtx/samples/2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
    ]) else {
        return;
    };
    check_lsm_assignment(&a, &matched);
    let refused = count(&a.findings, |f| {
        f.dropped.kind == DropKind::ConnectionRefused
    });
    let auth = count(&a.findings, |f| {
        f.verdict.category == Some(Category::Authentication)
    });
    println!(
        "sessions {} refused {refused} auth {auth}",
        a.sessions.len()
    );
    for s in &a.summaries.hosts {
        println!("{}", s.text);
    }
    assert_eq!((a.sessions.len(), refused, auth), (134, 134, 132));
    // Only RdpCoreTS and RCM were given: System and Security are named missing.
    let missing = &a.findings[0].verdict.missing_logs;
    assert_eq!(missing, &["System", "Security"]);
}
