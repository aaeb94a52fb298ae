//! Correlation on hand-built events.

use super::model::{Confidence, DropKind, Ending, SessionKind};
use super::testkit::{at, endings, ev, m, rule};
use super::{CorrelateOptions, correlate};
use crate::ingest::ChannelSpan;
use crate::rules::{Category, Matched, Role, RuleInfo, Step};
use std::sync::Arc;

struct Rules {
    logon: Arc<RuleInfo>,
    disconnect: Arc<RuleInfo>,
    reason_drop: Arc<RuleInfo>,
    reason_life: Arc<RuleInfo>,
    logoff: Arc<RuleInfo>,
    reconnect: Arc<RuleInfo>,
    by_session: Arc<RuleInfo>,
    connect: Arc<RuleInfo>,
    cert: Arc<RuleInfo>,
    net: Arc<RuleInfo>,
    tls: Arc<RuleInfo>,
}

fn rules() -> Rules {
    let life = |id, step| rule(id, Role::Lifecycle, None, Some(step), &["SessionID"]);
    Rules {
        logon: life("logon", Step::Logon),
        disconnect: life("disconnect", Step::Disconnect),
        reason_drop: rule(
            "reason-0",
            Role::Drop,
            None,
            Some(Step::Disconnect),
            &["Session"],
        ),
        reason_life: rule(
            "reason",
            Role::Lifecycle,
            None,
            Some(Step::Disconnect),
            &["Session"],
        ),
        logoff: life("logoff", Step::Logoff),
        reconnect: life("reconnect", Step::Reconnect),
        by_session: life("by-session", Step::Disconnect),
        connect: rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[]),
        cert: rule("cert", Role::Cause, Some(Category::Certificate), None, &[]),
        net: rule("net", Role::Cause, Some(Category::Network), None, &[]),
        tls: rule(
            "tls",
            Role::Cause,
            Some(Category::Certificate),
            None,
            &["IPString"],
        ),
    }
}

fn lsm(host: &str, secs: i64, id: u16, sid: &str) -> crate::event::Event {
    let user = ("User", "CORP\\bob");
    match id {
        39 => ev(
            host,
            secs,
            "lsm",
            id,
            &[("TargetSession", sid), ("Source", sid)],
        ),
        23 => ev(host, secs, "lsm", id, &[user, ("SessionID", sid)]),
        _ => ev(
            host,
            secs,
            "lsm",
            id,
            &[user, ("SessionID", sid), ("Address", "10.0.0.5")],
        ),
    }
}

fn reason(host: &str, secs: i64, sid: &str, reason: &str) -> crate::event::Event {
    ev(
        host,
        secs,
        "lsm",
        40,
        &[("Session", sid), ("Reason", reason)],
    )
}

/// A session that dropped with reason 0, a certificate and a network failure
/// before it, and noise that must not count.
fn network_drop(r: &Rules) -> Vec<Matched> {
    vec![
        m(lsm("RDS01", 0, 21, "3"), &[&r.logon]),
        m(
            ev("RDS01", 560, "sys", 36870, &[("ErrorCode", "0x8009030d")]),
            &[&r.cert],
        ),
        m(ev("RDS01", 590, "core", 143, &[("error", "64")]), &[&r.net]),
        m(lsm("RDS01", 600, 24, "3"), &[&r.disconnect]),
        m(reason("RDS01", 600, "3", "0"), &[&r.reason_drop]),
        m(ev("RDS02", 595, "sys", 36870, &[]), &[&r.cert]),
        m(ev("RDS01", -3000, "sys", 36870, &[]), &[&r.cert]),
    ]
}

#[test]
fn a_reason_zero_disconnect_is_a_drop_with_ranked_causes() {
    let r = rules();
    let a = correlate(network_drop(&r), &[], &CorrelateOptions::default());
    assert_eq!(a.findings.len(), 1);
    let f = &a.findings[0];
    assert_eq!(f.dropped.kind, DropKind::SessionDropped);
    assert_eq!(f.dropped.time, at(600));
    assert_eq!(
        f.dropped.reason.as_ref().map(|c| c.name.as_str()),
        Some("NO_INFO")
    );
    assert_eq!(f.dropped.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(f.dropped.client_address.as_deref(), Some("10.0.0.5"));
    let ids: Vec<_> = f.causes.iter().map(|c| &*c.rule_id).collect();
    assert_eq!(ids, ["cert", "net"]);
    assert_eq!(f.causes[0].offset_seconds, -40.0);
    assert_eq!(f.causes[0].occurrences, 1);
    assert_eq!(&*f.causes[0].explanation, "cert happened (0x8009030d)");
    assert_eq!(&*f.causes[1].explanation, "net happened (?)");
    assert_eq!(f.verdict.category, Some(Category::Certificate));
    assert_eq!(f.verdict.confidence, Confidence::High);
    assert_eq!(f.verdict.fix.as_deref(), Some("fix cert"));
    let s = &a.sessions[f.dropped.session.expect("in a session")];
    assert_eq!(
        (s.kind, s.ending, s.session_id),
        (SessionKind::Remote, Ending::Dropped, Some(3))
    );
    assert_eq!(
        a.summaries.hosts[0].text,
        "1 of 1 drops on RDS01 came within 40 s of title of cert (certificate)."
    );
    assert!(a.timeline.windows(2).all(|w| w[0].time <= w[1].time));
}

#[test]
fn input_order_does_not_matter() {
    let r = rules();
    let sorted = correlate(network_drop(&r), &[], &CorrelateOptions::default());
    let mut shuffled = network_drop(&r);
    shuffled.reverse();
    shuffled.swap(1, 4);
    let other = correlate(shuffled, &[], &CorrelateOptions::default());
    assert_eq!(sorted.findings.len(), other.findings.len());
    assert_eq!(sorted.sessions.len(), other.sessions.len());
    assert_eq!(
        sorted.findings[0].causes[0].rule_id,
        other.findings[0].causes[0].rule_id
    );
}

#[test]
fn user_actions_replacements_and_time_limits_are_not_drops() {
    let r = rules();
    let events = vec![
        // Session 1: the user disconnects (39 by itself, reason 11), then reconnects.
        m(lsm("H", 0, 21, "1"), &[&r.logon]),
        m(lsm("H", 100, 39, "1"), &[&r.by_session]),
        m(reason("H", 100, "1", "11"), &[&r.reason_life]),
        m(lsm("H", 100, 24, "1"), &[&r.disconnect]),
        m(lsm("H", 200, 25, "1"), &[&r.reconnect]),
        // ... its connection is replaced by another reconnect (reason 5).
        m(reason("H", 300, "1", "5"), &[&r.reason_life]),
        m(lsm("H", 301, 25, "1"), &[&r.reconnect]),
        // ... which then hits the idle limit and is logged off later.
        m(reason("H", 900, "1", "3"), &[&r.reason_life]),
        m(lsm("H", 3000, 23, "1"), &[&r.logoff]),
        // Session 2: reason 0 right at a logoff is the user's doing.
        m(lsm("H", 10, 21, "2"), &[&r.logon]),
        m(lsm("H", 500, 23, "2"), &[&r.logoff]),
        m(reason("H", 501, "2", "0"), &[&r.reason_drop]),
    ];
    let a = correlate(events, &[], &CorrelateOptions::default());
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(
        endings(&a),
        [
            (Some(1), Ending::UserDisconnect),
            (Some(2), Ending::UserLogoff),
            (Some(1), Ending::Replaced),
            (Some(1), Ending::TimeLimit),
        ]
    );
    // Every LSM 40 is in exactly one session.
    let forties: usize = a
        .sessions
        .iter()
        .map(|s| s.steps.iter().filter(|x| x.event.event_id == 40).count())
        .sum();
    assert_eq!(forties, 4);
}

#[test]
fn a_connection_with_a_tls_error_and_no_logon_is_refused() {
    let r = rules();
    let act = ("@act", "{f420aaaa}");
    let other = ("@act", "{f420bbbb}");
    let events = vec![
        m(ev("H", 0, "rcm", 261, &[act]), &[&r.connect]),
        m(
            ev("H", 0, "core", 131, &[act, ("ClientIP", "10.1.1.1:50000")]),
            &[&r.connect],
        ),
        m(
            ev(
                "H",
                1,
                "core",
                139,
                &[act, ("IPString", "10.1.1.1"), ("ResultCode", "0x80090304")],
            ),
            &[&r.tls],
        ),
        // Another client's TLS error, and a connection that simply closed.
        m(
            ev("H", 2, "core", 139, &[("IPString", "10.9.9.9")]),
            &[&r.tls],
        ),
        m(
            ev("H", 5, "core", 131, &[other, ("ClientIP", "10.2.2.2:1")]),
            &[&r.connect],
        ),
    ];
    let a = correlate(events, &[], &CorrelateOptions::default());
    assert_eq!(a.findings.len(), 1);
    let f = &a.findings[0];
    assert_eq!(f.dropped.kind, DropKind::ConnectionRefused);
    assert_eq!(f.dropped.client_address.as_deref(), Some("10.1.1.1"));
    assert_eq!(f.causes.len(), 1);
    assert_eq!(
        f.causes[0].occurrences, 1,
        "the other client's error does not count"
    );
    assert_eq!(a.sessions.len(), 1);
    assert_eq!(a.sessions[0].kind, SessionKind::Attempt);
    assert_eq!(a.sessions[0].ending, Ending::Refused);
}

#[test]
fn nothing_coinciding_names_the_missing_logs() {
    let r = rules();
    let events = vec![
        m(lsm("RDS01", 0, 21, "4"), &[&r.logon]),
        m(reason("RDS01", 60, "4", "0"), &[&r.reason_drop]),
    ];
    let span = ChannelSpan {
        computer: "RDS01".into(),
        channel: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational".into(),
        records: 2,
        first: at(0),
        last: at(60),
    };
    let a = correlate(events, &[span], &CorrelateOptions::default());
    let v = &a.findings[0].verdict;
    assert_eq!(
        v.missing_logs,
        ["System", "Security", "RemoteConnectionManager", "RdpCoreTS"]
    );
    assert!(
        v.summary
            .starts_with("Nothing in the given logs of RDS01 coincides with this drop.")
    );
    assert!(
        v.summary.contains(
            "No System, Security, RemoteConnectionManager or RdpCoreTS log was given for RDS01"
        ),
        "{}",
        v.summary
    );
    assert_eq!(
        (v.category, v.confidence),
        (Some(Category::Network), Confidence::Low)
    );
    assert_eq!(a.coverage.len(), 1);
}

/// A plain Sigma rule (no `dropcause:` block): an alert and nothing more.
fn plain(id: &str) -> Arc<RuleInfo> {
    let mut info = Arc::unwrap_or_clone(rule(id, Role::Context, None, None, &[]));
    info.extension = None;
    Arc::new(info)
}

#[test]
fn events_only_plain_alert_rules_match_are_alerts_and_change_no_session() {
    let r = rules();
    let alert = plain("sigma-logoff");
    let mut input = network_drop(&r);
    // A logoff of the dropped session, seen by an alert rule alone, and an alert on a host
    // with nothing else: neither may end the session, both are counted and on the timeline.
    input.push(m(lsm("RDS01", 300, 23, "3"), &[&alert]));
    input.push(m(ev("RDS09", 10, "sec", 4634, &[]), &[&alert]));
    let a = correlate(input, &[], &CorrelateOptions::default());
    let plain_run = correlate(network_drop(&r), &[], &CorrelateOptions::default());
    assert_eq!(endings(&a), endings(&plain_run));
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.alerts.len(), 1);
    assert_eq!(a.alerts[0].count, 2);
    assert_eq!(a.alerts[0].hosts, ["RDS01", "RDS09"]);
    let lines: Vec<_> = a
        .timeline
        .iter()
        .filter(|t| &*t.rule_id == "sigma-logoff")
        .map(|t| (&*t.host, t.event.event_id, &*t.message))
        .collect();
    assert_eq!(
        lines,
        [
            ("RDS09", 4634, "title of sigma-logoff"),
            ("RDS01", 23, "title of sigma-logoff")
        ]
    );
}

#[test]
fn a_console_session_is_shown_but_neither_counted_nor_judged() {
    let r = rules();
    let arbitration = |secs, id| {
        ev(
            "H",
            secs,
            "lsm",
            id,
            &[("User", "CORP\\bob"), ("SessionID", "1")],
        )
    };
    let console = |secs, id| {
        ev(
            "H",
            secs,
            "lsm",
            id,
            &[
                ("User", "CORP\\bob"),
                ("SessionID", "1"),
                ("Address", "LOCAL"),
            ],
        )
    };
    // Arbitration carries no address; the logon at the console (21 from LOCAL) tells
    // what the session is. Its reason-0 disconnect is no Remote Desktop drop.
    let events = vec![
        m(arbitration(0, 41), &[&r.logon]),
        m(console(1, 21), &[&r.logon]),
        m(arbitration(2, 42), &[&r.logon]),
        m(reason("H", 600, "1", "0"), &[&r.reason_drop]),
        m(console(600, 24), &[&r.disconnect]),
    ];
    let a = correlate(events, &[], &CorrelateOptions::default());
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(a.sessions.len(), 1);
    assert_eq!(a.sessions[0].kind, SessionKind::Console);
    assert_eq!(a.sessions[0].steps.len(), 5);
    assert!(a.summaries.hosts.is_empty(), "{:?}", a.summaries.hosts);
    assert!(
        a.timeline.iter().all(|t| t
            .message
            .ends_with("Windows session 1 of CORP\\bob at the console")),
        "{:#?}",
        a.timeline
    );
}

#[test]
fn a_late_logoff_joins_the_session_of_its_logon_id_not_the_latest_of_its_session_id() {
    let r = rules();
    let logon = |secs, id: &str| {
        ev(
            "H",
            secs,
            "sec",
            4624,
            &[
                ("LogonType", "10"),
                ("TargetUserName", "bob"),
                ("TargetDomainName", "CORP"),
                ("TargetLogonId", id),
                ("IpAddress", "10.0.0.5"),
            ],
        )
    };
    let logoff = |secs, id: &str| {
        ev(
            "H",
            secs,
            "sec",
            4634,
            &[
                ("TargetUserName", "bob"),
                ("TargetDomainName", "CORP"),
                ("TargetLogonId", id),
            ],
        )
    };
    // Windows gives session id 2 to both connections; the first one's logon is
    // closed (4634) only after the second one started.
    let events = vec![
        m(lsm("H", 0, 21, "2"), &[&r.logon]),
        m(logon(1, "0x510986"), &[&r.logon]),
        m(lsm("H", 30, 23, "2"), &[&r.logoff]),
        m(lsm("H", 60, 21, "2"), &[&r.logon]),
        m(logon(61, "0x51c10f"), &[&r.logon]),
        m(logoff(200, "0x510986"), &[&r.logoff]),
        m(lsm("H", 900, 23, "2"), &[&r.logoff]),
        m(logoff(960, "0x51c10f"), &[&r.logoff]),
    ];
    let a = correlate(events, &[], &CorrelateOptions::default());
    let ids = |k: usize| -> Vec<u16> {
        a.sessions[k]
            .steps
            .iter()
            .map(|s| s.event.event_id)
            .collect()
    };
    assert_eq!(a.sessions.len(), 2);
    assert_eq!(ids(0), [21, 4624, 23, 4634]);
    assert_eq!(ids(1), [21, 4624, 23, 4634]);
    // A session ends with its last record of the RDP logs: Security closes the
    // logon when its last token goes, which may come a minute later.
    assert_eq!(a.sessions[1].end, at(900));
}

/// The TermDD 56 rule as the built-in one reads it: a refusal keyed by `param2`.
fn termdd_56() -> Arc<RuleInfo> {
    rule(
        "termdd-56",
        Role::Drop,
        Some(Category::Tls),
        Some(Step::Refused),
        &["param2"],
    )
}

#[test]
fn a_refusal_of_no_connection_names_the_client_its_own_record_gives() {
    // TermDD 56 in System: the only record of the attempt, with the client in param2.
    let termdd = termdd_56();
    let events = vec![m(
        ev(
            "H",
            0,
            "sys",
            56,
            &[("param1", "\\Device\\Termdd"), ("param2", "10.3.16.5")],
        ),
        &[&termdd],
    )];
    let a = correlate(events, &[], &CorrelateOptions::default());
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].dropped.kind, DropKind::ConnectionRefused);
    assert_eq!(
        a.findings[0].dropped.client_address.as_deref(),
        Some("10.3.16.5")
    );
}

#[test]
fn a_termdd_56_refusal_is_judged_by_the_status_in_its_data() {
    let termdd = termdd_56();
    // The dump DWORD is the status that ended the connection, as HRESULT_FROM_NT.
    let header = "0000040002002C000000000038000AC00000000038000AC000000000000000000000000000000000";
    assert_eq!(header.len(), 80);
    let binary = |dump: &str| format!("{header}{dump}");
    let refusal = |secs, dump: &str| {
        m(
            ev(
                "H",
                secs,
                "sys",
                56,
                &[("param2", "10.3.16.5"), ("Binary", &binary(dump))],
            ),
            &[&termdd],
        )
    };
    let events = vec![refusal(0, "B50000D0"), refusal(7200, "32000AD0")];
    let a = correlate(events, &[], &CorrelateOptions::default());
    let timeout = &a.findings[0];
    assert_eq!(
        timeout.dropped.reason.as_ref().map(|r| r.name.as_str()),
        Some("STATUS_IO_TIMEOUT")
    );
    assert_eq!(timeout.verdict.category, Some(Category::Network));
    assert!(
        timeout.verdict.summary.contains("0xC00000B5"),
        "{}",
        timeout.verdict.summary
    );
    let incident = &a.incidents[timeout.incident];
    assert!(incident.title.contains("timed out"), "{}", incident.title);
    // A protocol error points to no family of its own: the rule's stands.
    let protocol = &a.findings[1];
    assert_eq!(
        protocol.dropped.reason.as_ref().map(|r| r.name.as_str()),
        Some("STATUS_RDP_PROTOCOL_ERROR")
    );
    assert_eq!(protocol.verdict.category, Some(Category::Tls));
}

#[test]
fn the_outlook_counts_no_teardown_of_a_connection_refused_otherwise_as_a_network_failure() {
    let r = rules();
    let auth = rule(
        "auth",
        Role::Cause,
        Some(Category::Authentication),
        None,
        &[],
    );
    let socket = |secs, act: &str| {
        m(
            ev("H", secs, "core", 143, &[("@act", act), ("error", "64")]),
            &[&r.net],
        )
    };
    let wrong_password =
        |secs, act: &str| m(ev("H", secs, "core", 140, &[("@act", act)]), &[&auth]);
    let events = vec![
        // Refused for a wrong password, then the socket closes: twice, hours apart.
        wrong_password(0, "{a}"),
        socket(1, "{a}"),
        wrong_password(7200, "{d}"),
        socket(7201, "{d}"),
        // Connections lost on their own, hours apart.
        socket(3600, "{b}"),
        socket(10800, "{c}"),
    ];
    let span = ChannelSpan {
        computer: "H".into(),
        channel: "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational".into(),
        records: 6,
        first: at(0),
        last: at(10800),
    };
    let a = correlate(events, &[span], &CorrelateOptions::default());
    let titles: Vec<&str> = a.outlook[0].items.iter().map(|i| &*i.title).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Repeated network failures: 2 times (2 events)")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Repeated failed logons: 2 times (2 events)")),
        "{titles:?}"
    );
}

#[test]
fn an_authentication_without_an_activity_id_is_a_session_where_no_lsm_log_holds_it() {
    let auth = rule("auth", Role::Lifecycle, None, Some(Step::Auth), &[]);
    let logon = |secs, user: &str| {
        ev(
            "PC01",
            secs,
            "rcm",
            1149,
            &[
                ("Param1", user),
                ("Param2", "EXAMPLE"),
                ("Param3", "127.0.0.1"),
            ],
        )
    };
    // Windows 7's RCM log: no ActivityID, no LSM log given.
    let events = vec![
        m(logon(0, "admin01"), &[&auth]),
        m(logon(600, "admin01"), &[&auth]),
    ];
    let a = correlate(events.clone(), &[], &CorrelateOptions::default());
    assert_eq!(a.sessions.len(), 2);
    assert!(a.sessions.iter().all(|s| s.kind == SessionKind::Remote
        && s.ending == Ending::Unknown
        && s.client_address.as_deref() == Some("127.0.0.1")
        && s.user.as_deref() == Some("EXAMPLE\\admin01")));
    assert!(a.findings.is_empty());
    // With an LSM log, its sessions hold the logons.
    let r = rules();
    let mut with_lsm = events;
    with_lsm.push(m(lsm("PC01", 1, 21, "2"), &[&r.logon]));
    let b = correlate(with_lsm, &[], &CorrelateOptions::default());
    assert_eq!(b.sessions.len(), 1);
}

#[test]
fn a_reason_zero_disconnect_after_the_client_reset_its_connection_is_the_clients_doing() {
    let r = rules();
    let connect = rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[]);
    let assigned = rule("assigned", Role::Lifecycle, None, Some(Step::Logon), &[]);
    // One session over one RdpCoreTS connection; its socket fails with `error`
    // before LSM logs the reason-0 disconnect.
    let session = |error: &str| {
        let act = ("@act", "{a}");
        vec![
            m(
                ev("H", 0, "core", 131, &[act, ("ClientIP", "10.0.0.5:50000")]),
                &[&connect],
            ),
            m(
                ev(
                    "H",
                    1,
                    "core",
                    66,
                    &[act, ("ConnectionName", "RDP-Tcp#1"), ("SessionID", "3")],
                ),
                &[&assigned],
            ),
            m(lsm("H", 2, 21, "3"), &[&r.logon]),
            m(
                ev("H", 590, "core", 142, &[act, ("error", error)]),
                &[&r.net],
            ),
            m(lsm("H", 600, 24, "3"), &[&r.disconnect]),
            m(reason("H", 600, "3", "0"), &[&r.reason_drop]),
        ]
    };
    // Error 64: the peer reset the connection (a client closed or killed).
    let a = correlate(session("64"), &[], &CorrelateOptions::default());
    assert_eq!(endings(&a), [(Some(3), Ending::ClientClosed)]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    // Error 121: the transport timed out; the client stopped answering.
    let a = correlate(session("121"), &[], &CorrelateOptions::default());
    assert_eq!(endings(&a), [(Some(3), Ending::Dropped)]);
    assert_eq!(a.findings[0].verdict.category, Some(Category::Network));
    // A reset, but the server's own network failed around it (NDIS 10400).
    let mut events = session("64");
    events.push(m(ev("H", 585, "sys", 10400, &[]), &[&r.net]));
    let a = correlate(events, &[], &CorrelateOptions::default());
    assert_eq!(endings(&a), [(Some(3), Ending::Dropped)]);
}
