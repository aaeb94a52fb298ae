//! Refused connections, client-side joins and forced logoffs, on hand-built events.

use super::model::{Analysis, Confidence, DropKind, Ending, SessionKind};
use super::testkit::{at, endings, ev, m, rule};
use super::{CorrelateOptions, correlate};
use crate::rules::{Category, Level, Matched, Role, RuleInfo, Step};
use chrono::{DateTime, Utc};
use std::sync::Arc;

fn connect() -> Arc<RuleInfo> {
    rule("connect", Role::Lifecycle, None, Some(Step::Connect), &[])
}

/// RCM 261 and RdpCoreTS 131 of one connection from `ip`.
fn accept(host: &str, secs: i64, act: &str, ip: &str) -> Vec<Matched> {
    let c = connect();
    let port = format!("{ip}:50000");
    vec![
        m(ev(host, secs, "rcm", 261, &[("@act", act)]), &[&c]),
        m(
            ev(
                host,
                secs,
                "core",
                131,
                &[("@act", act), ("ClientIP", &port)],
            ),
            &[&c],
        ),
    ]
}

/// LSM 21 on host H: `user` logged on to Windows session 2 from `address`.
fn lsm_logon(secs: i64, act: &str, user: &str, address: &str) -> crate::event::Event {
    let fields = [
        ("@act", act),
        ("User", user),
        ("SessionID", "2"),
        ("Address", address),
    ];
    ev("H", secs, "lsm", 21, &fields)
}

fn run(events: Vec<Matched>) -> Analysis {
    correlate(events, &[], &CorrelateOptions::default())
}

#[test]
fn a_failure_right_at_an_accept_refuses_it_and_a_bare_accept_is_no_drop() {
    let cert = rule("cert", Role::Cause, Some(Category::Certificate), None, &[]);
    let cut = rule(
        "cut",
        Role::Drop,
        Some(Category::Network),
        Some(Step::Refused),
        &["IPString"],
    );
    // A connection with a failure record of its own (same ActivityID).
    let mut events = accept("H", 0, "{a}", "10.1.1.1");
    let own = ev(
        "H",
        0,
        "core",
        140,
        &[("@act", "{a}"), ("IPString", "10.1.1.1")],
    );
    events.push(m(own, &[&cert]));
    // A port scan: an accept and nothing else.
    events.extend(accept("H", 100, "{b}", "10.2.2.2"));
    // An error naming another client does not refuse this one.
    events.extend(accept("H", 200, "{c}", "10.3.3.3"));
    let other = ev("H", 201, "core", 139, &[("IPString", "10.4.4.4")]);
    events.push(m(other, &[&cut]));
    let a = run(events);
    let refused: Vec<_> = a
        .findings
        .iter()
        .map(|f| (f.dropped.time, f.dropped.client_address.clone()))
        .collect();
    assert_eq!(
        refused,
        [
            (at(0), Some("10.1.1.1".into())),
            (at(201), Some("10.4.4.4".into()))
        ],
        "the attempt with its own failure, and the other client's error on its own, naming it"
    );
    assert_eq!(a.findings[0].dropped.kind, DropKind::ConnectionRefused);
    assert_eq!(&*a.findings[0].dropped.rule_id, "cert");
    assert_eq!(a.findings[0].verdict.category, Some(Category::Certificate));
    let attempts: Vec<_> = a.sessions.iter().map(|s| (s.kind, s.ending)).collect();
    assert_eq!(attempts, [(SessionKind::Attempt, Ending::Refused)]);
}

#[test]
fn only_the_attempt_with_its_own_failure_is_refused_not_the_clients_retries() {
    let tls = rule(
        "tls",
        Role::Drop,
        Some(Category::Certificate),
        Some(Step::Refused),
        &["IPString"],
    );
    let logon = rule("logon", Role::Lifecycle, None, Some(Step::Logon), &[]);
    let mut events = accept("H", 0, "{1}", "10.1.1.1");
    events.extend(accept("H", 60, "{2}", "10.1.1.1"));
    let error = ev(
        "H",
        61,
        "core",
        139,
        &[("@act", "{2}"), ("IPString", "10.1.1.1")],
    );
    events.push(m(error, &[&tls]));
    // Another client's bare accept in between is not a retry.
    events.extend(accept("H", 30, "{3}", "10.9.9.9"));
    // The client gets in after this accept: it was no failed retry.
    events.extend(accept("H", 400, "{4}", "10.1.1.1"));
    events.push(m(lsm_logon(420, "{5}", "CORP\\bob", "10.1.1.1"), &[&logon]));
    let a = run(events);
    // Retrying is no evidence: only the connection whose own record failed.
    let times: Vec<_> = a.findings.iter().map(|f| f.dropped.time).collect();
    assert_eq!(times, [at(61)]);
    assert!(
        a.findings
            .iter()
            .all(|f| f.dropped.kind == DropKind::ConnectionRefused)
    );
}

#[test]
fn a_failed_client_connection_is_counted_once_on_the_server() {
    let lost = rule(
        "lost",
        Role::Drop,
        Some(Category::Network),
        Some(Step::Refused),
        &[],
    );
    let c = connect();
    let mut events = accept("RDS01.corp.example", 0, "{s}", "10.1.1.1");
    let act = ("@act", "{c}");
    let server = ("Value", "rds01.corp.example");
    events.push(m(ev("WKS01", 1, "client", 1024, &[act, server]), &[&c]));
    let reason = ev("WKS01", 2, "client", 1026, &[act, ("Value", "2308")]);
    events.push(m(reason, &[&lost]));
    // The client's next try reaches a server whose logs were not given.
    let act2 = ("@act", "{c2}");
    let elsewhere = ("Value", "rds99");
    events.push(m(
        ev("WKS01", 50, "client", 1024, &[act2, elsewhere]),
        &[&c],
    ));
    let reason = ev("WKS01", 51, "client", 1026, &[act2, ("Value", "2308")]);
    events.push(m(reason, &[&lost]));
    let a = run(events);
    let hosts: Vec<_> = a
        .findings
        .iter()
        .map(|f| (&*f.dropped.host, f.dropped.kind))
        .collect();
    assert_eq!(
        hosts,
        [
            ("RDS01.corp.example", DropKind::ConnectionRefused),
            ("WKS01", DropKind::ConnectionRefused)
        ]
    );
    let evidence: Vec<_> = a.findings[0]
        .dropped
        .evidence
        .iter()
        .map(|e| (e.computer(), e.event_id))
        .collect();
    assert!(evidence.contains(&("WKS01", 1026)), "{evidence:?}");
    let clients = a
        .sessions
        .iter()
        .filter(|s| s.kind == SessionKind::Client && s.ending == Ending::Refused)
        .count();
    assert_eq!(clients, 2, "the client's view is still shown");
}

/// A power cause rule of `level`: high says the host went down uncleanly, lower that
/// it restarted or booted as asked.
fn power_rule(id: &str, level: Level) -> Arc<RuleInfo> {
    let mut r = Arc::unwrap_or_clone(rule(id, Role::Cause, Some(Category::Power), None, &[]));
    r.level = level;
    Arc::new(r)
}

/// Three sessions on H: bob signs out himself just before a restart at 1000 s,
/// carol hours before, alice is logged off by the restart. `level` is the power
/// rule's: high says the host went down unexpectedly (EventLog 6008, Kernel-Power
/// 41), medium that the restart was asked for (User32 1074).
fn restart_day(level: Level) -> Vec<Matched> {
    let life = |id, step| rule(id, Role::Lifecycle, None, Some(step), &[]);
    let (logon, logoff) = (life("logon", Step::Logon), life("logoff", Step::Logoff));
    let power = power_rule("restart", level);
    let session = |sid: &str, t: i64, user: &str, id: &str| {
        let who = format!("CORP\\{user}");
        let lsm = [
            ("User", who.as_str()),
            ("SessionID", sid),
            ("Address", "10.0.0.5"),
        ];
        let sec = [
            ("TargetUserName", user),
            ("TargetDomainName", "CORP"),
            ("TargetLogonId", id),
            ("LogonType", "10"),
        ];
        vec![
            m(ev("H", t, "lsm", 21, &lsm), &[&logon]),
            m(ev("H", t + 1, "sec", 4624, &sec), &[&logon]),
        ]
    };
    let ended = |sid: &str, t: i64, user: &str, id: &str, asked: bool| {
        let who = format!("CORP\\{user}");
        let mut v = Vec::new();
        let sec = [
            ("TargetUserName", user),
            ("TargetDomainName", "CORP"),
            ("TargetLogonId", id),
        ];
        if asked {
            v.push(m(ev("H", t, "sec", 4647, &sec), &[&logoff]));
        }
        let lsm = [("User", who.as_str()), ("SessionID", sid)];
        v.push(m(ev("H", t, "lsm", 23, &lsm), &[&logoff]));
        v.push(m(ev("H", t, "sec", 4634, &sec), &[&logoff]));
        v
    };
    let mut events = session("2", 0, "alice", "0x11");
    events.extend(session("3", 300, "bob", "0x22"));
    events.extend(session("4", 600, "carol", "0x33"));
    events.extend(ended("3", 995, "bob", "0x22", true));
    events.extend(ended("4", 700, "carol", "0x33", false));
    events.push(m(ev("H", 1000, "sys", 1074, &[]), &[&power]));
    events.extend(ended("2", 1005, "alice", "0x11", false));
    events
}

#[test]
fn a_logoff_nobody_asked_for_at_a_restart_is_a_drop_only_when_the_host_went_down_unexpectedly() {
    // Asked for: alice's session ended with the restart, and that is no drop.
    let a = run(restart_day(Level::Medium));
    assert_eq!(
        endings(&a),
        [
            (Some(2), Ending::Shutdown),
            (Some(3), Ending::UserLogoff),
            (Some(4), Ending::UserLogoff)
        ]
    );
    assert!(a.findings.is_empty());
    let a = run(restart_day(Level::High));
    assert_eq!(
        endings(&a),
        [
            (Some(2), Ending::Dropped),
            (Some(3), Ending::UserLogoff),
            (Some(4), Ending::UserLogoff)
        ]
    );
    assert_eq!(a.findings.len(), 1);
    let f = &a.findings[0];
    assert_eq!(
        (f.dropped.kind, f.dropped.time),
        (DropKind::SessionDropped, at(1005))
    );
    assert_eq!(f.verdict.category, Some(Category::Power));
    assert_eq!(&*f.causes[0].rule_id, "restart");
}

#[test]
fn a_session_open_when_the_host_went_down_uncleanly_dropped_with_it() {
    let logon = rule("logon", Role::Lifecycle, None, Some(Step::Logon), &[]);
    // As the built-in power rules are: the boot record's is low, 6008's high (unclean).
    let (boot, unclean) = (
        power_rule("boot", Level::Low),
        power_rule("unclean", Level::High),
    );
    let booted = |secs, provider: &str, id| {
        let mut e = ev("H", secs, "sys", id, &[]);
        e.provider = provider.into();
        m(e, &[if id == 12 { &boot } else { &unclean }])
    };
    let session = |sid: &str, secs| {
        let lsm = [
            ("User", "CORP\\alice"),
            ("SessionID", sid),
            ("Address", "10.0.0.5"),
        ];
        m(ev("H", secs, "lsm", 21, &lsm), &[&logon])
    };
    // Session 2 works until the host boots at 1000 s and says its last shutdown
    // was unexpected (EventLog 6008); session 3 starts after that boot.
    let mut events = vec![session("2", 0), session("3", 1100)];
    events.push(booted(1000, "Microsoft-Windows-Kernel-General", 12));
    events.push(booted(1010, "EventLog", 6008));
    let a = run(events);
    assert_eq!(
        endings(&a),
        [(Some(2), Ending::Dropped), (Some(3), Ending::Open)]
    );
    assert_eq!(a.findings.len(), 1);
    assert_eq!(a.findings[0].verdict.category, Some(Category::Power));
    // Not dated at the boot: the last sign of life before it is the session's logon.
    assert_eq!(a.findings[0].dropped.time, at(0));
    // A clean boot after it: the session did not outlive it, but how it ended is
    // not in the logs.
    let a = run(vec![
        session("2", 0),
        booted(1000, "Microsoft-Windows-Kernel-General", 12),
    ]);
    assert_eq!(endings(&a), [(Some(2), Ending::Unknown)]);
    assert!(a.findings.is_empty());
}

/// alice's sessions `(id, logon time)` on H, then a boot at `boot_at` s that says the
/// host went down uncleanly: Kernel-General 12, then 10 s later a 6008 whose data says
/// the host was last alive at `alive` s, on a host that runs on UTC-5.
fn crash_day(sessions: &[(&str, i64)], boot_at: i64, alive: i64) -> Analysis {
    let logon = rule("logon", Role::Lifecycle, None, Some(Step::Logon), &[]);
    let boot = power_rule("boot", Level::Low);
    let unclean = power_rule("unclean", Level::High);
    let mut events: Vec<Matched> = sessions
        .iter()
        .map(|(sid, secs)| {
            let lsm = [
                ("User", "CORP\\alice"),
                ("SessionID", sid),
                ("Address", "10.0.0.5"),
            ];
            m(ev("H", *secs, "lsm", 21, &lsm), &[&logon])
        })
        .collect();
    let mut booted = ev("H", boot_at, "sys", 12, &[]);
    booted.provider = "Microsoft-Windows-Kernel-General".into();
    events.push(m(booted, &[&boot]));
    let data = last_alive_data(at(alive), -5);
    let mut stamped = ev("H", boot_at + 10, "sys", 6008, &[("Binary", &data)]);
    stamped.provider = "EventLog".into();
    events.push(m(stamped, &[&unclean]));
    run(events)
}

#[test]
fn a_crash_drop_is_dated_at_the_hosts_last_sign_of_life() {
    // The 6008 says the host was last alive at 900 s: the drop is dated then, and the
    // 6008, written at the boot, still explains it, with high confidence.
    let a = crash_day(&[("2", 0)], 1000, 900);
    let f = &a.findings[0];
    assert_eq!(f.dropped.time, at(900));
    assert_eq!(&*f.causes[0].rule_id, "unclean");
    assert_eq!(f.causes[0].offset_seconds, 110.0);
    assert_eq!(f.verdict.confidence, Confidence::High);
    // Down for a day before the boot: still dated at the crash, still explained by
    // the 6008 (outside the rule's window).
    let a = crash_day(&[("2", 0)], 86_400, 900);
    assert_eq!(a.findings[0].dropped.time, at(900));
    assert_eq!(&*a.findings[0].causes[0].rule_id, "unclean");
    assert_eq!(a.findings[0].verdict.confidence, Confidence::High);
    // A stamp after the boot is not the moment: the latest record before the boot is.
    let dated = |a: Analysis| a.findings[0].dropped.time;
    assert_eq!(dated(crash_day(&[("2", 0)], 1000, 1005)), at(0));
    // A record of the host later than the stamp is a later sign of life, unless it
    // comes in the boot's last ten minutes (the boot may have written it).
    assert_eq!(
        dated(crash_day(&[("2", 0), ("3", 350)], 1000, 200)),
        at(350)
    );
    assert_eq!(
        dated(crash_day(&[("2", 0), ("3", 950)], 1000, 200)),
        at(200)
    );
}

/// The binary data of a 6008 whose last sign of life was `t`, on a host `zone` hours
/// from UTC: the moment as a `SYSTEMTIME` in local time, then in UTC.
fn last_alive_data(t: DateTime<Utc>, zone: i64) -> String {
    use chrono::{Datelike, Timelike};
    let systemtime = |t: DateTime<Utc>| -> String {
        let words = [
            t.year() as u16,
            t.month() as u16,
            t.weekday().num_days_from_sunday() as u16,
            t.day() as u16,
            t.hour() as u16,
            t.minute() as u16,
            t.second() as u16,
            0,
        ];
        words
            .iter()
            .map(|w| format!("{:02X}{:02X}", w & 0xFF, w >> 8))
            .collect()
    };
    systemtime(t + chrono::TimeDelta::hours(zone)) + &systemtime(t)
}

/// A drop record of no session (an RD Gateway denial) gives the verdict itself only
/// when its rule says the record states why; a category that is a guess (TermDD 56)
/// does not.
#[test]
fn a_refusal_record_speaks_for_itself_only_when_its_rule_says_so() {
    let denial = |says_why: bool| {
        let mut r = Arc::unwrap_or_clone(rule(
            "denied",
            Role::Drop,
            Some(Category::Authentication),
            Some(Step::Refused),
            &["IpAddress"],
        ));
        if let Some(x) = r.extension.as_mut() {
            x.says_why = says_why;
            x.explain = Some("{Username} was refused ({ErrorCode})".into());
        }
        let fields = [
            ("Username", "CORP\\dave"),
            ("IpAddress", "198.51.100.7"),
            ("ErrorCode", "23003"),
        ];
        run(vec![m(ev("G", 0, "gw", 201, &fields), &[&Arc::new(r)])])
    };
    let a = denial(true);
    let f = &a.findings[0];
    assert_eq!(f.dropped.user.as_deref(), Some("CORP\\dave"));
    assert_eq!(
        &*f.verdict.summary,
        "Refused: CORP\\dave was refused (23003)."
    );
    assert_eq!(f.verdict.confidence, Confidence::Medium);
    assert_eq!(f.verdict.fix.as_deref(), Some("fix denied"));
    assert_eq!(f.verdict.said_by.as_deref(), Some("title of denied"));
    assert!(a.incidents[0].title.ends_with("refused: title of denied"));
    let a = denial(false);
    let f = &a.findings[0];
    assert!(f.verdict.summary.starts_with("Nothing in the given logs"));
    assert_eq!(f.verdict.confidence, Confidence::Low);
    assert!(f.verdict.said_by.is_none());
}

/// An RCM 261 alone (no RdpCoreTS record: that log does not cover the moment).
fn listener_only(host: &str, secs: i64, act: &str) -> Matched {
    m(ev(host, secs, "rcm", 261, &[("@act", act)]), &[&connect()])
}

/// `count` bare connections to host H, 20 s apart from time 0.
fn bare_burst(count: i64) -> Vec<Matched> {
    (0..count)
        .map(|k| listener_only("H", k * 20, &format!("{{b{k}}}")))
        .collect()
}

#[test]
fn a_burst_of_connections_only_the_listener_logged_is_refused_for_no_logged_reason() {
    let auth = rule("auth", Role::Lifecycle, None, Some(Step::Auth), &[]);
    // Six connections 20 s apart, none authenticated: password guessing or a
    // scanner whose failures are in logs that were not given.
    let mut events = bare_burst(6);
    // An hour later, mstsc's pattern: a bare first connection, then the real one
    // that authenticates (RCM 1149), five times over.
    for k in 0..5 {
        let t = 3_600 + k * 60;
        events.push(listener_only("H", t, &format!("{{p{k}}}")));
        events.push(listener_only("H", t + 15, &format!("{{r{k}}}")));
        events.push(m(
            ev("H", t + 16, "rcm", 1149, &[("@act", &format!("{{r{k}}}"))]),
            &[&auth],
        ));
    }
    let a = run(events);
    let refused: Vec<_> = a
        .findings
        .iter()
        .filter(|f| f.dropped.kind == DropKind::ConnectionRefused)
        .collect();
    assert_eq!(refused.len(), 6, "{:#?}", a.findings);
    assert!(refused.iter().all(|f| {
        f.dropped.time < at(3_600)
            && f.verdict.category.is_none()
            && f.verdict.confidence == super::model::Confidence::Low
            && f.verdict
                .summary
                .starts_with("Never became a session, and no record says why.")
    }));
    // One incident holds them, and says the records name no source.
    let incident = &a.incidents[0];
    assert_eq!(incident.count, 6);
    assert!(
        incident.title.ends_with("no cause in these logs"),
        "{}",
        incident.title
    );
}

#[test]
fn listener_only_connections_are_no_refusals_where_security_or_rdpcorets_cover_them() {
    let spray = || bare_burst(6);
    // Security covers the moment and logged no failed logon: no password guessing.
    let security = crate::ingest::ChannelSpan {
        computer: "H".into(),
        channel: "Security".into(),
        records: 100,
        first: at(-3_600),
        last: at(3_600),
    };
    let a = correlate(spray(), &[security], &CorrelateOptions::default());
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    // RdpCoreTS logged something that minute: the connections would be in it.
    let mut events = spray();
    events.push(m(
        ev("H", 50, "core", 131, &[("@act", "{z}")]),
        &[&connect()],
    ));
    assert!(run(events).findings.is_empty());
    // Neither covers it: six refusals with no logged reason.
    assert_eq!(run(spray()).findings.len(), 6);
}

#[test]
fn a_logon_during_a_burst_that_names_no_client_is_flagged() {
    let logon = rule("logon", Role::Lifecycle, None, Some(Step::Logon), &[]);
    // Eight bare connections 20 s apart, then bob logs on: his logon answers the
    // last two (his client's first connection, maybe), the other six are a burst.
    let mut events = bare_burst(8);
    events.push(m(
        lsm_logon(150, "{s}", "CORP\\bob", "198.51.100.9"),
        &[&logon],
    ));
    let a = run(events);
    assert_eq!(a.findings.len(), 6, "{:#?}", a.findings);
    let incident = &a.incidents[0];
    assert!(incident.clients.is_empty());
    let after = incident.logon_after.as_ref().expect("the logon is flagged");
    assert_eq!(after.user.as_deref(), Some("CORP\\bob"));
    assert_eq!(after.time, at(150));
}
