//! How sessions end when Windows logs more than one connection at a time: a takeover,
//! two clients dropping together, a driver's record of a disconnect; and the LSM 40
//! reasons that are not drops (restart) or are refusals (licensing at connect).

use super::model::{Analysis, DropKind, Ending};
use super::testkit::{endings, ev, m, rule};
use super::{CorrelateOptions, correlate};
use crate::rules::{Category, Matched, Role, RuleInfo, Step};
use std::sync::Arc;

fn life(id: &str, step: Step) -> Arc<RuleInfo> {
    rule(id, Role::Lifecycle, None, Some(step), &["SessionID"])
}

fn run(events: Vec<Matched>) -> Analysis {
    correlate(events, &[], &CorrelateOptions::default())
}

/// One connection (`act`, named `name`, from `ip`) that logs `user` on to session 2
/// at `secs`: RdpCoreTS 131/65, LSM 21 and RdpCoreTS 66.
fn working(secs: i64, act: &str, name: &str, ip: &str, user: &str) -> Vec<Matched> {
    working_in("2", secs, (act, name), ip, user)
}

/// [`working`], in Windows session `sid`.
fn working_in(
    sid: &str,
    secs: i64,
    (act, name): (&str, &str),
    ip: &str,
    user: &str,
) -> Vec<Matched> {
    let connect = rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[]);
    let logon = life("logon", Step::Logon);
    let port = format!("{ip}:50000");
    let lsm = [
        ("@act", act),
        ("User", user),
        ("SessionID", sid),
        ("Address", ip),
    ];
    let core = |id, fields: &[(&str, &str)]| ev("H", secs, "core", id, fields);
    vec![
        m(
            core(131, &[("@act", act), ("ClientIP", &port)]),
            &[&connect],
        ),
        m(
            core(65, &[("@act", act), ("ConnectionName", name)]),
            &[&connect],
        ),
        m(ev("H", secs + 1, "lsm", 21, &lsm), &[&logon]),
        m(
            ev(
                "H",
                secs + 1,
                "core",
                66,
                &[("@act", act), ("ConnectionName", name), ("SessionID", sid)],
            ),
            &[&logon],
        ),
    ]
}

/// LSM 24 (disconnect) or 25 (reconnect) of alice's session 2, of connection `act`
/// from `ip`.
fn alice_lsm(secs: i64, id: u16, act: &str, ip: &str) -> Matched {
    let step = if id == 25 {
        Step::Reconnect
    } else {
        Step::Disconnect
    };
    let fields = [
        ("@act", act),
        ("User", "CORP\\alice"),
        ("SessionID", "2"),
        ("Address", ip),
    ];
    m(ev("H", secs, "lsm", id, &fields), &[&life("lsm", step)])
}

/// Security 4778 or 4779 for connection `name` from `ip`, logon 0x10.
fn window_station(secs: i64, id: u16, name: &str, ip: &str) -> Matched {
    station_on(("H", secs), id, ("alice", "0x10"), (name, ip))
}

/// Security 4778 or 4779 on `host` at `secs`, of `user`'s logon `logon`, for
/// connection `name` from `ip`.
fn station_on(
    (host, secs): (&str, i64),
    event: u16,
    (user, logon): (&str, &str),
    (name, ip): (&str, &str),
) -> Matched {
    let step = if event == 4778 {
        Step::Reconnect
    } else {
        Step::Disconnect
    };
    let fields = [
        ("AccountName", user),
        ("AccountDomain", "CORP"),
        ("LogonID", logon),
        ("SessionName", name),
        ("ClientAddress", ip),
    ];
    m(
        ev(host, secs, "sec", event, &fields),
        &[&life("station", step)],
    )
}

/// LSM 40 with `reason` for session 2, of connection `act`.
fn reason(secs: i64, act: &str, reason: &str, role: Role) -> Matched {
    let r = rule("reason", role, None, Some(Step::Disconnect), &["Session"]);
    let fields = [("@act", act), ("Session", "2"), ("Reason", reason)];
    m(ev("H", secs, "lsm", 40, &fields), &[&r])
}

#[test]
fn taking_over_a_connected_session_is_no_drop() {
    // alice works from 10.0.0.5 (RDP-Tcp#5); at 600 s she opens the session from a
    // second PC: the old connection is replaced (40 reason 5, 4779 of RDP-Tcp#5) and
    // the new one reconnects (LSM 25, 4778 of RDP-Tcp#7). The old connection's 4779
    // comes after the new connection began; it is still the old connection's.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    let connect = rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[]);
    let second = [("@act", "a2"), ("ClientIP", "10.0.0.9:50001")];
    events.push(m(ev("H", 600, "core", 131, &second), &[&connect]));
    let named = [("@act", "a2"), ("ConnectionName", "RDP-Tcp#7")];
    events.push(m(ev("H", 600, "core", 65, &named), &[&connect]));
    events.push(reason(602, "a1", "5", Role::Lifecycle));
    events.push(alice_lsm(602, 24, "a1", "10.0.0.5"));
    events.push(window_station(602, 4779, "RDP-Tcp#5", "10.0.0.5"));
    events.push(alice_lsm(603, 25, "a2", "10.0.0.9"));
    events.push(window_station(603, 4778, "RDP-Tcp#7", "10.0.0.9"));
    let a = run(events);
    assert!(a.findings.is_empty(), "{:?}", a.findings);
    assert_eq!(
        endings(&a),
        [(Some(2), Ending::Replaced), (Some(2), Ending::Open)]
    );
}

#[test]
fn each_of_two_clients_dropping_together_keeps_its_own_network_record() {
    // alice and bob drop 0.3 s apart; each connection logged its own RdpCoreTS 226
    // just before. bob's record is nearer alice's drop, but it is his.
    let net = rule("net-226", Role::Cause, Some(Category::Network), None, &[]);
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    events.extend(working_in(
        "3",
        10,
        ("b1", "RDP-Tcp#6"),
        "10.0.0.7",
        "CORP\\bob",
    ));
    let fail = |secs, act: &str, code: &str| {
        m(
            ev(
                "H",
                secs,
                "core",
                226,
                &[("@act", act), ("ErrorCode", code)],
            ),
            &[&net],
        )
    };
    events.push(fail(600, "a1", "alice's"));
    events.push(fail(600, "b1", "bob's"));
    let drop = rule(
        "reason-0",
        Role::Drop,
        None,
        Some(Step::Disconnect),
        &["Session"],
    );
    for (secs, act, sid) in [(601, "a1", "2"), (601, "b1", "3")] {
        let fields = [("@act", act), ("Session", sid), ("Reason", "0")];
        events.push(m(ev("H", secs, "lsm", 40, &fields), &[&drop]));
    }
    let a = run(events);
    assert_eq!(a.findings.len(), 2);
    for f in &a.findings {
        let who = if f.dropped.user.as_deref() == Some("CORP\\alice") {
            "alice's"
        } else {
            "bob's"
        };
        assert_eq!(
            &*f.causes[0].explanation,
            &format!("net-226 happened ({who})")
        );
        assert_eq!(f.verdict.category, Some(Category::Network));
    }
    assert_eq!(a.incidents.len(), 1, "one network failure, one incident");
}

/// TermDD 56 in System at `secs`.
fn termdd_56(secs: i64, fields: &[(&str, &str)]) -> crate::event::Event {
    let mut e = ev("H", secs, "sys", 56, fields);
    e.provider = "TermDD".into();
    e
}

#[test]
fn a_driver_record_at_a_sessions_disconnect_is_that_sessions_not_a_refusal() {
    // TermDD 56 (in System, no connection id) names alice's address half a second
    // before her session's reason-0 disconnect: one drop, not a drop and a refusal.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    let termdd = rule(
        "termdd-56",
        Role::Drop,
        Some(Category::Network),
        Some(Step::Refused),
        &["param2"],
    );
    let driver = [("param1", "\\Device\\Termdd"), ("param2", "10.0.0.5")];
    events.push(m(termdd_56(600, &driver), &[&termdd]));
    events.push(reason(600, "a1", "0", Role::Drop));
    let a = run(events);
    assert_eq!(a.findings.len(), 1, "{:?}", a.findings);
    assert_eq!(a.findings[0].dropped.kind, DropKind::SessionDropped);
    assert_eq!(a.findings[0].dropped.evidence.len(), 2);
    // From another client, it stays a refusal of its own.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    let other = [("param1", "\\Device\\Termdd"), ("param2", "10.0.0.99")];
    events.push(m(termdd_56(600, &other), &[&termdd]));
    events.push(reason(600, "a1", "0", Role::Drop));
    let kinds: Vec<DropKind> = run(events)
        .findings
        .iter()
        .map(|f| f.dropped.kind)
        .collect();
    assert!(kinds.contains(&DropKind::ConnectionRefused), "{kinds:?}");
}

#[test]
fn a_restart_reason_ends_the_session_by_the_restart() {
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    events.push(reason(600, "a1", "26", Role::Drop));
    let a = run(events);
    assert!(a.findings.is_empty());
    assert_eq!(endings(&a), [(Some(2), Ending::Shutdown)]);
}

#[test]
fn licensing_at_connect_is_a_refusal_and_after_logon_a_drop() {
    // No logon: the connection was refused while it was being licensed.
    let connect = rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[]);
    let arbitration = life("arbitration", Step::Logon);
    let events = vec![
        m(
            ev(
                "H",
                0,
                "core",
                131,
                &[("@act", "a1"), ("ClientIP", "10.0.0.5:1")],
            ),
            &[&connect],
        ),
        m(
            ev(
                "H",
                1,
                "lsm",
                41,
                &[("@act", "a1"), ("User", "CORP\\bob"), ("SessionID", "2")],
            ),
            &[&arbitration],
        ),
        reason(2, "a1", "258", Role::Drop),
    ];
    let a = run(events);
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].dropped.kind, DropKind::ConnectionRefused);
    let name = a.findings[0]
        .dropped
        .reason
        .as_ref()
        .map(|r| r.name.as_str());
    assert_eq!(name, Some("LICENSE_NO_LICENSE"));
    // After a logon, the same reason drops the session.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\bob");
    events.push(reason(600, "a1", "258", Role::Drop));
    assert_eq!(
        run(events).findings[0].dropped.kind,
        DropKind::SessionDropped
    );
}

#[test]
fn an_hresult_in_the_reason_is_decoded_as_one() {
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    events.push(reason(600, "a1", "2147942464", Role::Drop));
    let a = run(events);
    let f = &a.findings[0];
    let name = f.dropped.reason.as_ref().map(|r| r.name.as_str());
    assert_eq!(name, Some("HRESULT(ERROR_NETNAME_DELETED)"));
    assert_eq!(f.verdict.category, Some(Category::Network));
    assert!(
        a.incidents[0].title.contains("the peer vanished"),
        "{}",
        a.incidents[0].title
    );
}

/// Security 4624 logon type 10 of `user` from `ip`, logon id `id`.
fn rdp_logon(secs: i64, user: &str, ip: &str, id: &str) -> Matched {
    let fields = [
        ("TargetUserName", user),
        ("TargetDomainName", "CORP"),
        ("TargetLogonId", id),
        ("LogonType", "10"),
        ("IpAddress", ip),
    ];
    m(
        ev("S", secs, "sec", 4624, &fields),
        &[&life("logon", Step::Logon)],
    )
}

/// Security 4779 (or 4778) on S of logon `id` from `ip`.
fn station(secs: i64, event: u16, user: &str, ip: &str, id: &str) -> Matched {
    station_on(("S", secs), event, (user, id), ("RDP-Tcp#3", ip))
}

#[test]
fn with_only_security_and_system_a_service_crash_drops_the_sessions() {
    // alice (a split token: two 4624 a second apart) and bob work on S; TermService
    // crashes at 600 s and both are disconnected (4779).
    let crash = rule("crash", Role::Cause, Some(Category::Service), None, &[]);
    let mut events = vec![
        rdp_logon(0, "alice", "10.0.0.5", "0x10"),
        rdp_logon(1, "alice", "10.0.0.5", "0x11"),
        rdp_logon(50, "bob", "10.0.0.7", "0x20"),
    ];
    let mut scm = ev(
        "S",
        599,
        "sys",
        7031,
        &[("param1", "Remote Desktop Services")],
    );
    scm.provider = "Service Control Manager".into();
    events.push(m(scm, &[&crash]));
    events.push(station(600, 4779, "alice", "10.0.0.5", "0x10"));
    events.push(station(601, 4779, "bob", "10.0.0.7", "0x20"));
    let a = run(events);
    assert_eq!(a.sessions.len(), 2, "the split token is one session");
    assert_eq!(a.findings.len(), 2);
    for f in &a.findings {
        assert_eq!(f.dropped.kind, DropKind::SessionDropped);
        assert_eq!(&*f.causes[0].rule_id, "crash");
        assert_eq!(f.verdict.category, Some(Category::Service));
    }
}

#[test]
fn with_only_security_a_disconnect_says_nothing_of_why() {
    // A 4779 with no failure around it: the user's, or a drop nobody logged. Not a
    // finding; the stay ends, the reconnect (4778) starts the next one, and a 4634
    // of a logon that is not a Remote Desktop one is nobody's.
    let events = vec![
        rdp_logon(0, "alice", "10.0.0.5", "0x10"),
        station(600, 4779, "alice", "10.0.0.5", "0x10"),
        station(900, 4778, "alice", "10.0.0.9", "0x10"),
        m(
            ev(
                "S",
                950,
                "sec",
                4634,
                &[("TargetUserName", "svc"), ("TargetLogonId", "0x99")],
            ),
            &[&life("logoff", Step::Logoff)],
        ),
    ];
    let a = run(events);
    assert!(a.findings.is_empty(), "{:?}", a.findings);
    assert_eq!(endings(&a), [(None, Ending::Unknown), (None, Ending::Open)]);
    // With the RDP logs given, a Security logon no session of theirs holds does not
    // make a session of its own.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    let mut logon = rdp_logon(500, "bob", "10.0.0.7", "0x20");
    logon.event.computer = "H".into();
    events.push(logon);
    assert_eq!(run(events).sessions.len(), 1);
}

#[test]
fn with_only_security_a_reconnects_temporary_logon_is_part_of_it() {
    // Windows logs a reconnect as a temporary logon (4624 type 10, two tokens), the
    // 4778 of the original logon, then the temporary logon's 4634: one stay, which
    // the user ends with 4647.
    let logoff = |secs, id| {
        let fields = [
            ("TargetUserName", "alice"),
            ("TargetDomainName", "CORP"),
            ("TargetLogonId", id),
        ];
        m(
            ev(
                "S",
                secs,
                "sec",
                if id == "0x10" { 4647 } else { 4634 },
                &fields,
            ),
            &[&life("logoff", Step::Logoff)],
        )
    };
    let events = vec![
        rdp_logon(0, "alice", "10.0.0.5", "0x10"),
        station(100, 4779, "alice", "10.0.0.5", "0x10"),
        rdp_logon(500, "alice", "10.0.0.5", "0x30"),
        rdp_logon(500, "alice", "10.0.0.5", "0x31"),
        station(502, 4778, "alice", "10.0.0.5", "0x10"),
        logoff(503, "0x30"),
        logoff(503, "0x31"),
        logoff(900, "0x10"),
    ];
    let a = run(events);
    assert_eq!(
        endings(&a),
        [(None, Ending::Unknown), (None, Ending::UserLogoff)]
    );
    assert_eq!(a.sessions[1].steps.len(), 4, "{:?}", a.sessions[1].steps);
}

#[test]
fn a_logoff_a_requested_restart_forced_after_a_bare_disconnect_is_the_restart() {
    // User32 1074 at 590 s asks for a restart; alice's session is disconnected with
    // reason 0 at 600 s and logged off (LSM 23) a second later: the restart's doing.
    let mut requested = Arc::unwrap_or_clone(rule(
        "user32-1074",
        Role::Cause,
        Some(Category::Power),
        None,
        &[],
    ));
    requested.level = crate::rules::Level::Medium;
    let requested = Arc::new(requested);
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    events.push(m(ev("H", 590, "sys", 1074, &[]), &[&requested]));
    events.push(reason(600, "a1", "0", Role::Drop));
    let logoff = [("@act", "a1"), ("User", "CORP\\alice"), ("SessionID", "2")];
    events.push(m(
        ev("H", 601, "lsm", 23, &logoff),
        &[&life("logoff", Step::Logoff)],
    ));
    let a = run(events);
    assert!(a.findings.is_empty(), "{:?}", a.findings);
    assert_eq!(endings(&a), [(Some(2), Ending::Shutdown)]);
}

#[test]
fn the_reason_5_logged_with_a_reconnect_ends_neither_stay_after_a_drop() {
    // alice's connection drops at 600 s (reason 0); at 1080 s she reconnects from a new
    // connection, and Windows logs LSM 25 with a 40 reason 5 of that connection. The
    // reason 5 is about the connection the reconnect replaced, which had long ended:
    // the first stay stays dropped, the second is open.
    let mut events = working(0, "a1", "RDP-Tcp#5", "10.0.0.5", "CORP\\alice");
    events.push(reason(600, "a1", "0", Role::Drop));
    events.push(alice_lsm(1080, 25, "a2", "10.0.0.5"));
    events.push(reason(1080, "a2", "5", Role::Lifecycle));
    let a = run(events);
    assert_eq!(
        endings(&a),
        [(Some(2), Ending::Dropped), (Some(2), Ending::Open)]
    );
    assert_eq!(a.findings.len(), 1);
}
