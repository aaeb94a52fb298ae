//! Correlation on the real logs of the shared corpus (`DROPCAUSE_CORPUS`, or
//! `../shared/corpus` from the crate), through the whole pipeline with the
//! built-in rules: every LSM 40 and 24 event the rules match belongs to exactly
//! one session, every session's reason is decoded, and the counts hold.

use dropcause::correlate::model::{
    Analysis, Confidence, DropKind, Ending, OutlookLevel, SessionKind,
};
use dropcause::ingest::{IngestOptions, read_all};
use dropcause::rules::Category;
use std::collections::HashMap;
use std::path::PathBuf;

/// The LSM 40 and 24 events the built-in rules match (console sessions' too), as
/// (file, record id).
type Keys = Vec<(PathBuf, u64)>;

/// Runs the whole pipeline on `dirs` of the corpus, and lists the LSM 40 and
/// 24 events the rules matched.
fn analyse(dirs: &[&str]) -> Option<(Analysis, Keys, Keys)> {
    let root = crate::util::corpus("correlation on the corpus")?;
    let paths: Vec<PathBuf> = dirs.iter().map(|d| root.join(d)).collect();
    let (found, analyzed) = crate::util::analyze_logs(&paths);
    let mut lsm: Vec<(u16, PathBuf, u64)> = Vec::new();
    read_all(
        &found.sources,
        &IngestOptions::default(),
        |event| {
            let wanted =
                event.channel.contains("LocalSessionManager") && matches!(event.event_id, 40 | 24);
            let m = crate::util::builtin_rules()
                .match_event(event)
                .filter(|_| wanted)?;
            Some((
                m.event.event_id,
                m.event.source.to_path_buf(),
                m.event.record_id,
            ))
        },
        |batch| lsm.extend(batch),
    );
    let pick = |id: u16| -> Keys {
        lsm.iter()
            .filter(|(e, ..)| *e == id)
            .map(|(_, p, r)| (p.clone(), *r))
            .collect()
    };
    Some((analyzed.analysis, pick(40), pick(24)))
}

/// Every LSM 40 and 24 event is in exactly one session's steps; every session
/// with an LSM 40 has its reason decoded.
fn check_lsm_assignment(a: &Analysis, forty: &Keys, twenty_four: &Keys) -> (usize, usize) {
    let mut count: HashMap<(PathBuf, u64), usize> = HashMap::new();
    for s in &a.sessions {
        for step in &s.steps {
            *count
                .entry((step.event.source().to_path_buf(), step.event.record_id))
                .or_default() += 1;
        }
        let ends_with_reason = s
            .steps
            .iter()
            .any(|st| matches!(st.event.event_id, 40 | 1026));
        // Other records carry reasons too (a refused attempt's logon status,
        // a socket error); an LSM 40 or client 1026 always gives one.
        if ends_with_reason {
            assert!(s.reason.is_some(), "session {} reason decoded", s.index);
        }
        if let Some(r) = &s.reason {
            assert!(!r.name.is_empty() && !r.meaning.is_empty());
        }
    }
    for key in forty.iter().chain(twenty_four) {
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

/// (sessions, remote sessions, attempts, refused connections, dropped sessions).
fn counts(a: &Analysis) -> (usize, usize, usize, usize, usize) {
    let c = (
        a.sessions.len(),
        count(&a.sessions, |s| s.kind == SessionKind::Remote),
        count(&a.sessions, |s| s.kind == SessionKind::Attempt),
        count(&a.findings, |f| {
            f.dropped.kind == DropKind::ConnectionRefused
        }),
        count(&a.findings, |f| f.dropped.kind == DropKind::SessionDropped),
    );
    println!(
        "sessions {} remote {} attempts {} refused {} dropped {}",
        c.0, c.1, c.2, c.3, c.4
    );
    for s in &a.summaries.hosts {
        println!("{}", s.text);
    }
    c
}

/// How many findings have each verdict category.
fn verdicts(a: &Analysis) -> HashMap<Option<Category>, usize> {
    let mut by: HashMap<Option<Category>, usize> = HashMap::new();
    for f in &a.findings {
        *by.entry(f.verdict.category).or_default() += 1;
    }
    println!("verdicts {by:?}");
    by
}

#[test]
fn stolen_szechuan_sessions_drops_and_refused_connections() {
    let Some((a, forty, twenty_four)) = analyse(&["dfir-artifact-museum/StolenSzechuanEventLogs"])
    else {
        return;
    };
    assert_eq!(check_lsm_assignment(&a, &forty, &twenty_four), (6, 3));
    // Before the attack every session on this host was at the console (LSM 21
    // Address LOCAL): sessions, but not Remote Desktop ones.
    assert_eq!(count(&a.sessions, |s| s.kind == SessionKind::Console), 11);
    // An attack tool: 29,205 TLS handshakes that found no common cipher suite
    // (Schannel 36874 + 36888 alert 40 pairs), most of them only in System
    // because the RDP logs wrapped, then 95 NLA password failures (4625 type 3,
    // each taken by its own connection). The TLS pairs of the last seconds that
    // RCM covers but that no connection took stay unreported.
    assert_eq!(counts(&a), (29309, 4, 29293, 29293, 0));
    let by = verdicts(&a);
    assert_eq!(by.get(&Some(Category::Tls)), Some(&29198));
    assert_eq!(by.get(&Some(Category::Authentication)), Some(&95));
    for f in &a.findings {
        assert!(
            f.causes
                .iter()
                .any(|c| c.rule_id.starts_with("dc-tls-schannel")
                    || c.rule_id.starts_with("dc-auth")),
            "{:?}",
            f.causes
        );
        // Seen only in System: the wrapped RDP logs are named.
        if f.dropped.client_address.is_none() && f.verdict.category == Some(Category::Tls) {
            assert!(
                f.verdict.summary.contains("Seen only in System")
                    || f.verdict
                        .summary
                        .contains("matched to this attempt by time"),
                "{}",
                f.verdict.summary
            );
        }
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
    let Some((a, forty, twenty_four)) = analyse(&[
        "dfir-artifact-museum/RathbunVM_W10EventLogs",
        "dfir-artifact-museum/RathbunVM_W11EventLogs",
    ]) else {
        return;
    };
    assert_eq!(check_lsm_assignment(&a, &forty, &twenty_four), (2, 2));
    assert_eq!(counts(&a), (9, 0, 0, 0, 0));
    // Each of them is known to be at the console (LSM 21 Address LOCAL), so
    // none is counted as a Remote Desktop session.
    assert!(a.sessions.iter().all(|s| s.kind == SessionKind::Console));
    assert!(a.summaries.hosts.is_empty(), "{:?}", a.summaries.hosts);
    assert!(a.findings.is_empty());
}

#[test]
fn velociraptor_reconnect_and_logoff() {
    let Some((a, forty, twenty_four)) = analyse(&["velociraptor/artifacts/testdata/files"]) else {
        return;
    };
    assert_eq!(check_lsm_assignment(&a, &forty, &twenty_four), (4, 2));
    assert_eq!(counts(&a), (4, 2, 0, 0, 0));
    // Vagrant's auto-logon at the console, taken over by the RDP connection.
    let console: Vec<_> = a
        .sessions
        .iter()
        .filter(|s| s.kind == SessionKind::Console)
        .collect();
    assert_eq!(console.len(), 1);
    assert_eq!(console[0].ending, Ending::Replaced);
    // Session 2 only held the connection during arbitration (LSM 41, 40, 42) before it
    // moved to session 1 (LSM 25): transient, not a session of its own (truth V-T1).
    let transient: Vec<_> = (a.sessions.iter())
        .filter(|s| s.ending == Ending::Transient)
        .map(|s| s.session_id)
        .collect();
    assert_eq!(transient, [Some(2)]);
    assert_eq!(a.sessions.iter().filter(|s| s.is_rdp_session()).count(), 2);
    assert!(a.findings.is_empty());
    assert!(
        a.sessions.iter().any(|s| s.ending == Ending::UserLogoff
            && s.client_address.as_deref() == Some("192.168.38.1"))
    );
}

#[test]
fn dirty_rdpcorets_brute_force_is_refused_connections() {
    let Some((a, forty, twenty_four)) = analyse(&[
        "omerbenamram-evtx/samples/2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx",
        "omerbenamram-evtx/samples/2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx",
    ]) else {
        return;
    };
    check_lsm_assignment(&a, &forty, &twenty_four);
    // 126 connections refused at NLA (RdpCoreTS 140 in each), five that
    // authenticated (RCM 1149) but whose end is not in these fragments, and
    // 1,709 that only the listener logged (RCM 261) in bursts that no
    // authentication answered, where RdpCoreTS does not cover the moment.
    assert_eq!(counts(&a), (1840, 5, 1835, 1835, 0));
    let by = verdicts(&a);
    assert_eq!(by.get(&Some(Category::Authentication)), Some(&126));
    assert_eq!(by.get(&None), Some(&1709));
    // The attacker's logon as administrator from 31.14.75.59 came in the middle
    // of a burst whose records name no client: the incident flags it.
    assert!(a.incidents.iter().any(|x| x.clients.is_empty()
        && x.logon_after.as_ref().is_some_and(|l| {
            l.user.as_deref() == Some("administrator")
                && a.sessions[l.session].client_address.as_deref() == Some("31.14.75.59")
        })));
    assert!(a.findings.iter().all(|f| f.verdict.category.is_some()
        || (&*f.dropped.rule_id == "dc-rcm-261-connection-received"
            && f.verdict.confidence == Confidence::Low)));
    assert!(
        a.sessions
            .iter()
            .filter(|s| s.kind == SessionKind::Remote)
            .all(|s| s.ending == Ending::Unknown)
    );
    // Only RdpCoreTS and RCM were given: System and Security are named missing.
    let missing = &a.findings[0].verdict.missing_logs;
    assert_eq!(&missing[..2], &["System", "Security"]);
}

#[test]
fn a_listener_only_connection_followed_by_a_logon_is_no_refusal() {
    // The tunnel set's RCM log: fourteen connections with a 261 and nothing
    // else, minutes apart, nearly each followed within a minute by a
    // connection that authenticates (mstsc's first connection, then the real
    // one). None of them is a refusal: they form no burst.
    let Some((a, _, _)) = analyse(&[
        "evtx-attack-samples/Command and Control/DE_RDP_Tunneling_TerminalServices-RemoteConnectionManagerOperational_1149.evtx",
    ]) else {
        return;
    };
    assert!(a.findings.is_empty(), "{:?}", a.findings.len());
}

#[test]
fn termdd_56_alone_is_a_refused_connection() {
    let Some((a, forty, twenty_four)) = analyse(&["python-evtx/tests/data/system.evtx"]) else {
        return;
    };
    check_lsm_assignment(&a, &forty, &twenty_four);
    assert_eq!(counts(&a), (0, 0, 0, 2, 0));
    assert!(
        a.findings
            .iter()
            .all(|f| &*f.dropped.rule_id == "dc-net-termdd-56"
                && f.dropped.kind == DropKind::ConnectionRefused)
    );
    // Their data holds the status that ended each: #12304 a protocol error (a
    // TermDD 50 at the same moment names it), #12835 an I/O timeout.
    let reasons: Vec<_> = a
        .findings
        .iter()
        .map(|f| {
            (
                f.dropped.reason.as_ref().map(|r| r.name.as_str()),
                f.verdict.category,
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (Some("STATUS_RDP_PROTOCOL_ERROR"), Some(Category::Network)),
            (Some("STATUS_IO_TIMEOUT"), Some(Category::Network)),
        ]
    );
}

#[test]
fn every_corpus_host_gets_an_outlook_and_stolen_szechuan_names_its_certificates() {
    let Some(root) = crate::util::corpus("outlook on the corpus") else {
        return;
    };
    let (_, analyzed) = crate::util::analyze_logs(&[root]);
    let a = &analyzed.analysis;
    assert_eq!(
        a.outlook.len(),
        a.coverage.len(),
        "one outlook per host with logs"
    );
    for h in &a.outlook {
        let has_system = a
            .coverage
            .iter()
            .any(|c| c.host == h.host && c.channels.iter().any(|ch| ch.0 == "System"));
        assert_eq!(h.system_log.is_some(), has_system, "{}", h.host);
        assert!(
            h.items.len() >= 2,
            "{}: certificate and licensing at least",
            h.host
        );
        let no_system = h.items.iter().any(|i| i.title.contains("no System log"));
        assert_eq!(no_system, !has_system, "{}: {:#?}", h.host, h.items);
    }
    let ss = a
        .outlook
        .iter()
        .find(|h| h.host == "CITADEL-DC01.C137.local")
        .expect("StolenSzechuan's host");
    let cert = ss
        .items
        .iter()
        .find(|i| !i.certificates.is_empty())
        .expect("its certificate item");
    let thumbs: Vec<&str> = cert
        .certificates
        .iter()
        .filter_map(|c| c.thumbprint.as_deref())
        .collect();
    assert_eq!(
        thumbs,
        [
            "2B54B958F6E4408187437EE647B582B9D82B78BB",
            "F300C685FF076371106E5CD67E7734A308285BAE",
            "92EAC658EACCB70FECFD43AE12FB6ED565D3260C"
        ]
    );
    assert!(
        cert.title
            .contains("92EAC658EACCB70FECFD43AE12FB6ED565D3260C")
    );
    assert_eq!(
        cert.certificates[2].first_seen.to_rfc3339(),
        "2020-09-18T22:28:10+00:00"
    );
    // Restarts: StolenSzechuan's were all clean or asked for (User32 1074, EventLog
    // 6006), python-evtx's Windows 7 host went down uncleanly twice (EventLog 6008).
    let restarts = |host: &str| {
        let h = a.outlook.iter().find(|h| h.host == host).expect(host);
        (h.items.iter())
            .find(|i| i.title.contains("restarts and shutdowns"))
            .map(|i| (i.level, i.title.clone()))
            .expect("a restarts item")
    };
    let (level, title) = restarts("CITADEL-DC01.C137.local");
    assert_eq!(level, OutlookLevel::Ok, "{title}");
    assert!(title.ends_with("all of them clean or asked for (no unexpected shutdown logged)"));
    let (level, title) = restarts("WKS-WIN764BITB.shieldbase.local");
    assert_eq!(level, OutlookLevel::Watch, "{title}");
    assert!(title.contains(", 2 of them unexpected"), "{title}");
}
