//! A fixture [`Report`] for the renderer tests, built directly from the
//! correlation model: two hosts, four sessions, three drops (one explained by a
//! certificate failure, one refused for licensing, one with nothing in the
//! logs), context alerts, partly unreadable inputs.

use chrono::{DateTime, NaiveDate, Utc};
use dropcause::correlate::model::*;
use dropcause::diag::{Diagnostics, Problem, ProblemKind};
use dropcause::ingest::{ChannelSpan, FileStats};
use dropcause::report::{RenderOptions, Report};
use dropcause::rules::extension::{Category, Level, Step};
use std::path::PathBuf;
use std::sync::Arc;

pub const RDS01: &str = "RDS01.contoso.local";
pub const RDS02: &str = "RDS02.contoso.local";
pub const LSM: &str = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
pub const RCM: &str = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational";
pub const CORE: &str = "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational";

/// 2024-05-14 at `hh:mm:ss.mmm` UTC.
pub fn at(clock: &str) -> DateTime<Utc> {
    let time = chrono::NaiveTime::parse_from_str(clock, "%H:%M:%S%.f").expect("fixture clock");
    NaiveDate::from_ymd_opt(2024, 5, 14)
        .expect("fixture date")
        .and_time(time)
        .and_utc()
}

fn file(host: &str, channel: &str) -> PathBuf {
    let short = channel
        .split(['-', '/'])
        .find(|p| {
            [
                "LocalSessionManager",
                "RemoteConnectionManager",
                "RdpCoreTS",
                "System",
            ]
            .contains(p)
        })
        .unwrap_or(channel);
    PathBuf::from(format!("logs/{}/{short}.evtx", &host[..5]))
}

/// An event reference.
pub fn ev(host: &str, channel: &str, event_id: u16, record_id: u64, clock: &str) -> EventRef {
    let provider = match channel {
        "System" if event_id >= 36000 => "Schannel",
        "System" => "Service Control Manager",
        c => c.split('/').next().unwrap_or(c),
    };
    EventRef {
        time: at(clock),
        origin: Arc::new(Origin {
            computer: host.into(),
            channel: channel.into(),
            provider: provider.into(),
            source: file(host, channel).into(),
        }),
        event_id,
        record_id,
    }
}

fn step(step: Step, rule: &str, event: EventRef) -> SessionStep {
    SessionStep {
        time: event.time,
        step,
        rule_id: rule.into(),
        event,
    }
}

fn session(
    index: usize,
    host: &str,
    id: u32,
    user: &str,
    client: &str,
    ending: Ending,
    steps: Vec<SessionStep>,
) -> Session {
    Session {
        index,
        id: format!("S{}", index + 1),
        host: host.into(),
        kind: SessionKind::Remote,
        server: None,
        session_id: Some(id),
        connections: vec![format!("RDP-Tcp#{}", 10 + index)],
        user: Some(user.to_string()),
        client_address: Some(client.to_string()),
        start: steps
            .first()
            .map(|s| s.time)
            .unwrap_or_else(|| at("00:00:00")),
        end: steps
            .last()
            .map(|s| s.time)
            .unwrap_or_else(|| at("00:00:00")),
        ending,
        reason: None,
        steps,
    }
}

fn sessions() -> Vec<Session> {
    use Step::*;
    vec![
        session(
            0,
            RDS01,
            3,
            r"CONTOSO\alice",
            "10.0.0.5",
            Ending::Dropped,
            vec![
                step(
                    Connect,
                    "rcm-261-connect",
                    ev(RDS01, RCM, 261, 5120, "08:58:02.110"),
                ),
                step(
                    Auth,
                    "rcm-1149-auth",
                    ev(RDS01, RCM, 1149, 5121, "08:58:05.870"),
                ),
                step(
                    Logon,
                    "lsm-21-logon",
                    ev(RDS01, LSM, 21, 8801, "08:58:10.250"),
                ),
                step(
                    Disconnect,
                    "lsm-40-disconnect",
                    ev(RDS01, LSM, 40, 8830, "09:41:07.500"),
                ),
            ],
        ),
        session(
            1,
            RDS01,
            4,
            r"CONTOSO\bob",
            "10.0.0.9",
            Ending::UserLogoff,
            vec![
                step(
                    Connect,
                    "rcm-261-connect",
                    ev(RDS01, RCM, 261, 5130, "09:05:40.000"),
                ),
                step(
                    Logon,
                    "lsm-21-logon",
                    ev(RDS01, LSM, 21, 8810, "09:05:47.300"),
                ),
                step(
                    Logoff,
                    "lsm-23-logoff",
                    ev(RDS01, LSM, 23, 8850, "10:12:09.000"),
                ),
            ],
        ),
        session(
            2,
            RDS01,
            5,
            r"CONTOSO\carol",
            "203.0.113.7",
            Ending::Refused,
            vec![
                step(
                    Connect,
                    "rcm-261-connect",
                    ev(RDS01, RCM, 261, 5140, "09:52:29.900"),
                ),
                step(
                    Refused,
                    "core-refused",
                    ev(RDS01, CORE, 227, 7702, "09:52:31.000"),
                ),
            ],
        ),
        session(
            3,
            RDS02,
            2,
            r"CONTOSO\dave",
            "10.0.1.20",
            Ending::Dropped,
            vec![
                step(
                    Logon,
                    "lsm-21-logon",
                    ev(RDS02, LSM, 21, 301, "09:10:00.000"),
                ),
                step(
                    Disconnect,
                    "lsm-40-disconnect",
                    ev(RDS02, LSM, 40, 322, "09:47:44.125"),
                ),
            ],
        ),
    ]
}

#[allow(clippy::too_many_arguments)]
fn cause(
    rule: &str,
    title: &str,
    category: Category,
    level: Level,
    evidence: EventRef,
    drop: &str,
    score: f64,
    explanation: &str,
    fix: Option<&str>,
) -> Cause {
    Cause {
        rule_id: rule.into(),
        title: title.into(),
        category,
        level,
        time: evidence.time,
        offset_seconds: (evidence.time - at(drop)).num_milliseconds() as f64 / 1000.0,
        occurrences: 1,
        score,
        explanation: explanation.into(),
        fix: fix.map(Arc::from),
        evidence,
    }
}

const CERT_FIX: &str = "Give NETWORK SERVICE read access to the certificate's key in MachineKeys, then restart TermService";

fn findings() -> Vec<Finding> {
    let drop_alice = Drop {
        index: 0,
        host: RDS01.into(),
        time: at("09:41:07.500"),
        kind: DropKind::SessionDropped,
        session: Some(0),
        user: Some(r"CONTOSO\alice".to_string()),
        client_address: Some("10.0.0.5".to_string()),
        reason: Some(DecodedCode {
            code: 2308,
            name: "SOCKET_CLOSED".into(),
            meaning: "The network connection was closed".into(),
        }),
        rule_id: "lsm-40-disconnect".into(),
        evidence: vec![
            ev(RDS01, LSM, 40, 8830, "09:41:07.500"),
            ev(RDS01, CORE, 98, 7690, "09:41:07.310"),
        ],
    };
    let mut cert = cause(
        "schannel-36870-private-key",
        "Schannel could not use the RDP certificate's private key",
        Category::Certificate,
        Level::High,
        ev(RDS01, "System", 36870, 99120, "09:40:58.000"),
        "09:41:07.500",
        0.92,
        "A fatal error occurred when attempting to access the TLS server credential private key (0x8009030d)",
        Some(CERT_FIX),
    );
    cert.occurrences = 3;
    let net = cause(
        "core-98-network-closed",
        "RDP transport closed by the network",
        Category::Network,
        Level::Medium,
        ev(RDS01, CORE, 98, 7690, "09:41:07.310"),
        "09:41:07.500",
        0.41,
        "The TCP connection was closed (0x904)",
        None,
    );
    let drop_carol = Drop {
        index: 1,
        host: RDS01.into(),
        time: at("09:52:31.000"),
        kind: DropKind::ConnectionRefused,
        session: Some(2),
        user: Some(r"CONTOSO\carol".to_string()),
        client_address: Some("203.0.113.7".to_string()),
        reason: None,
        rule_id: "core-refused".into(),
        evidence: vec![ev(RDS01, CORE, 227, 7702, "09:52:31.000")],
    };
    let lic = cause(
        "licensing-grace-expired",
        "RD Licensing grace period has expired",
        Category::Licensing,
        Level::High,
        ev(RDS01, "System", 1069, 99201, "09:52:30.400"),
        "09:52:31.000",
        0.77,
        "The RD Licensing grace period has expired and no license server is configured",
        Some("Configure a license server and licensing mode (Set-RDLicenseConfiguration)"),
    );
    let drop_dave = Drop {
        index: 2,
        host: RDS02.into(),
        time: at("09:47:44.125"),
        kind: DropKind::SessionDropped,
        session: Some(3),
        user: Some(r"CONTOSO\dave".to_string()),
        client_address: Some("10.0.1.20".to_string()),
        reason: Some(DecodedCode {
            code: 0,
            name: "NONE".into(),
            meaning: "No additional information".into(),
        }),
        rule_id: "lsm-40-disconnect".into(),
        evidence: vec![ev(RDS02, LSM, 40, 322, "09:47:44.125")],
    };
    vec![
        Finding {
            id: "F1".into(),
            incident: 0,
            dropped: drop_alice,
            causes: vec![cert, net],
            verdict: Verdict {
                category: Some(Category::Certificate),
                confidence: Confidence::High,
                summary: "The RDP certificate's private key could not be used 9 s before the drop."
                    .into(),
                fix: Some(CERT_FIX.into()),
                missing_logs: vec![],
                said_by: None,
            },
        },
        Finding {
            id: "F2".into(),
            incident: 0,
            dropped: drop_carol,
            causes: vec![lic],
            verdict: Verdict {
                category: Some(Category::Licensing),
                confidence: Confidence::Medium,
                summary:
                    "The connection was refused right after the licensing grace period expired."
                        .into(),
                fix: Some(
                    "Configure a license server and licensing mode (Set-RDLicenseConfiguration)"
                        .into(),
                ),
                missing_logs: vec![],
                said_by: None,
            },
        },
        Finding {
            id: "F3".into(),
            incident: 0,
            dropped: drop_dave,
            causes: vec![],
            verdict: Verdict {
                category: None,
                confidence: Confidence::Low,
                summary: "Nothing in these logs coincides with the drop.".into(),
                fix: None,
                missing_logs: vec!["System".into(), CORE.into()],
                said_by: None,
            },
        },
    ]
}

#[allow(clippy::too_many_arguments)]
fn entry(
    kind: TimelineKind,
    category: Option<Category>,
    rule: &str,
    title: &str,
    message: &str,
    session: Option<usize>,
    finding: Option<usize>,
    event: EventRef,
) -> TimelineEntry {
    TimelineEntry {
        time: event.time,
        host: event.origin.computer.clone(),
        kind,
        category,
        level: (kind == TimelineKind::Context).then_some(Level::Medium),
        rule_id: rule.into(),
        title: title.into(),
        message: message.into(),
        session,
        finding,
        event,
    }
}

fn timeline(sessions: &[Session], findings: &[Finding]) -> Vec<TimelineEntry> {
    let mut t = Vec::new();
    for s in sessions {
        for st in &s.steps {
            if st.step == Step::Disconnect || st.step == Step::Refused {
                continue; // shown as the drop itself
            }
            let msg = format!(
                "{:?} of session {} ({}) from {}",
                st.step,
                s.session_id.unwrap_or(0),
                s.user.as_deref().unwrap_or("?"),
                s.client_address.as_deref().unwrap_or("?")
            );
            t.push(entry(
                TimelineKind::Lifecycle,
                None,
                &st.rule_id,
                &format!("{:?}", st.step),
                &msg,
                Some(s.index),
                None,
                st.event.clone(),
            ));
        }
    }
    for f in findings {
        let d = &f.dropped;
        let title = match d.kind {
            DropKind::SessionDropped => "Session dropped",
            DropKind::ConnectionRefused => "Connection refused",
        };
        let reason = d
            .reason
            .as_ref()
            .map(|r| format!(" (reason {} {})", r.code, r.name))
            .unwrap_or_default();
        t.push(entry(
            TimelineKind::Drop,
            f.verdict.category,
            &d.rule_id,
            title,
            &format!(
                "{} from {}{reason}",
                d.user.as_deref().unwrap_or("?"),
                d.client_address.as_deref().unwrap_or("?")
            ),
            d.session,
            Some(d.index),
            d.evidence[0].clone(),
        ));
        for c in &f.causes {
            t.push(entry(
                TimelineKind::Cause,
                Some(c.category),
                &c.rule_id,
                &c.title,
                &c.explanation,
                None,
                Some(d.index),
                c.evidence.clone(),
            ));
        }
    }
    t.push(entry(
        TimelineKind::Context,
        Some(Category::Authentication),
        "sec-4625-burst",
        "Failed logons",
        "12 failed logons for CONTOSO\\administrator from 198.51.100.23",
        None,
        None,
        ev(RDS01, "System", 4625, 99150, "09:30:12.000"),
    ));
    t.push(entry(
        TimelineKind::Context,
        None,
        "defender-scan",
        "Antivirus scan started",
        "Quick scan started by policy",
        None,
        None,
        ev(RDS02, "System", 1000, 5512, "09:20:00.000"),
    ));
    t.sort_by_key(|e| e.time);
    t
}

fn span(host: &str, channel: &str, records: u64, first: &str, last: &str) -> ChannelSpan {
    ChannelSpan {
        computer: host.to_string(),
        channel: channel.to_string(),
        records,
        first: at(first),
        last: at(last),
    }
}

fn stats(path: PathBuf, records: u64, spans: Vec<ChannelSpan>) -> FileStats {
    FileStats {
        path,
        records_read: records,
        spans,
        ..FileStats::default()
    }
}

fn inputs() -> Vec<FileStats> {
    let mut system = stats(
        file(RDS01, "System"),
        40211,
        vec![span(RDS01, "System", 40211, "00:00:01.000", "23:59:58.000")],
    );
    system.records_recovered = 12;
    system.records_unreadable = 3;
    system.chunks_skipped = 1;
    let mut security = stats(PathBuf::from("logs/RDS02/Security.evtx"), 0, vec![]);
    security.failed = Some("not an EVTX file (no ElfFile signature)".into());
    vec![
        stats(
            file(RDS01, LSM),
            1520,
            vec![span(RDS01, LSM, 1520, "06:00:00.000", "18:00:00.000")],
        ),
        stats(
            file(RDS01, RCM),
            880,
            vec![span(RDS01, RCM, 880, "06:00:00.000", "18:00:00.000")],
        ),
        stats(
            file(RDS01, CORE),
            2301,
            vec![span(RDS01, CORE, 2301, "07:00:00.000", "18:00:00.000")],
        ),
        system,
        stats(
            file(RDS02, LSM),
            410,
            vec![span(RDS02, LSM, 410, "08:00:00.000", "17:00:00.000")],
        ),
        security,
    ]
}

fn diagnostics() -> Diagnostics {
    let mut d = Diagnostics::default();
    let system = file(RDS01, "System");
    d.push(Problem {
        chunk: Some(17),
        ..Problem::file(
            ProblemKind::BadChunk,
            &system,
            "chunk header checksum mismatch",
        )
    });
    d.push(Problem {
        chunk: Some(22),
        record: Some(88123),
        ..Problem::file(ProblemKind::BadRecord, &system, "invalid BinXML token 0x7f")
    });
    d.push(Problem::file(
        ProblemKind::NotEvtx,
        "logs/RDS02/Security.evtx",
        "not an EVTX file (no ElfFile signature)",
    ));
    d
}

/// The fixture analysis.
pub fn analysis() -> Analysis {
    let sessions = sessions();
    let mut findings = findings();
    let incidents = dropcause::correlate::group_incidents(&sessions, &mut findings);
    let timeline = timeline(&sessions, &findings);
    let row = |key: &str, sessions, drops, top_category, top_count, text: &str| SummaryRow {
        key: key.to_string(),
        sessions,
        drops,
        top_category,
        top_count,
        text: text.to_string(),
    };
    Analysis {
        summaries: Summaries {
            hosts: vec![
                row(
                    RDS01,
                    3,
                    2,
                    Some(Category::Certificate),
                    1,
                    "RDS01.contoso.local: 2 of 3 sessions dropped; 1 within 10 s of a certificate failure",
                ),
                row(
                    RDS02,
                    1,
                    1,
                    None,
                    0,
                    "RDS02.contoso.local: 1 of 1 sessions dropped; no cause in these logs",
                ),
            ],
            users: vec![],
            clients: vec![],
            causes: vec![row(
                "schannel-36870-private-key",
                1,
                1,
                Some(Category::Certificate),
                1,
                "Schannel private key failure came before 1 of 3 drops",
            )],
        },
        coverage: vec![
            HostCoverage {
                host: RDS01.into(),
                channels: vec![
                    (LSM.into(), at("06:00:00.000"), at("18:00:00.000")),
                    (RCM.into(), at("06:00:00.000"), at("18:00:00.000")),
                    (CORE.into(), at("07:00:00.000"), at("18:00:00.000")),
                    ("System".into(), at("00:00:01.000"), at("23:59:58.000")),
                ],
            },
            HostCoverage {
                host: RDS02.into(),
                channels: vec![(LSM.into(), at("08:00:00.000"), at("17:00:00.000"))],
            },
        ],
        hosts: vec![
            Host {
                name: RDS01.into(),
                aliases: vec!["RDS01".into()],
            },
            Host {
                name: RDS02.into(),
                aliases: vec![],
            },
        ],
        sessions,
        findings,
        timeline,
        incidents,
        outlook: outlook(),
        alerts: alerts(),
    }
}

/// Two alert rules: one worth reading, one informational flood that the human formats
/// fold by default.
fn alerts() -> Vec<AlertSummary> {
    vec![
        AlertSummary {
            rule_id: "sigma-external-rdp-logon".into(),
            title: "External Remote RDP Logon from Public IP".into(),
            level: Level::Medium,
            status: Some("test".into()),
            tags: vec![
                "attack.initial-access".into(),
                "attack.t1133".into(),
                "attack.t1078".into(),
            ],
            attack: vec!["T1133".into(), "T1078".into()],
            count: 4,
            first: at("09:21:48.000"),
            last: at("09:56:04.000"),
            hosts: vec![RDS01.into()],
        },
        AlertSummary {
            rule_id: "sigma-user-logoff".into(),
            title: "User Logoff Event".into(),
            level: Level::Informational,
            status: Some("test".into()),
            tags: vec!["attack.impact".into()],
            attack: vec![],
            count: 2258,
            first: at("06:00:05.000"),
            last: at("17:59:00.000"),
            hosts: vec![RDS01.into(), RDS02.into()],
        },
    ]
}

/// One host whose certificate renewal failed and whose TermService keeps
/// crashing, and one without a System log.
fn outlook() -> Vec<HostOutlook> {
    let item = |topic, level, confidence, title: &str, detail: &str| OutlookItem {
        topic,
        level,
        confidence,
        title: title.to_string(),
        detail: detail.to_string(),
        fix: None,
        evidence: vec![],
        certificates: vec![],
        weekly: vec![],
    };
    let mut cert = item(
        OutlookTopic::Certificate,
        OutlookLevel::ActNow,
        Confidence::High,
        "The RDP listener certificate could not be renewed or loaded (RCM 1058 on 2024-05-14: Access is denied.)",
        "No certificate was made or loaded after this failure in the logs",
    );
    cert.fix = Some("Check the permissions on MachineKeys".into());
    cert.evidence = vec![ev(RDS01, "System", 1058, 40_100, "07:00:00.000")];
    cert.certificates = vec![ListenerCertificate {
        thumbprint: Some("59EFF2E3B509C83137E81085E02A1AC63A7E61AA".into()),
        subject: Some("RDS01 <script>".into()),
        self_signed: true,
        first_seen: at("00:10:00.000"),
        last_seen: at("00:10:00.000"),
        expires: Some(at("00:10:00.000")),
        expiry_stated: false,
    }];
    let mut crashes = item(
        OutlookTopic::Recurring,
        OutlookLevel::Watch,
        Confidence::Low,
        "Repeated service stops and crashes: 3 event(s) on 2024-05-14",
        "1 week(s) with such events: too few for a trend",
    );
    crashes.weekly = vec![WeekCount {
        ending: at("23:59:58.000"),
        count: 3,
    }];
    vec![
        HostOutlook {
            host: RDS01.into(),
            as_of: Some(at("23:59:58.000")),
            system_log: Some([at("00:00:01.000"), at("23:59:58.000")]),
            items: vec![
                cert,
                crashes,
                item(
                    OutlookTopic::Licensing,
                    OutlookLevel::Ok,
                    Confidence::Low,
                    "No RD Licensing warning logged",
                    "No grace-period or license-server event in the System log",
                ),
            ],
        },
        HostOutlook {
            host: RDS02.into(),
            as_of: Some(at("17:00:00.000")),
            system_log: None,
            items: vec![item(
                OutlookTopic::Certificate,
                OutlookLevel::Unknown,
                Confidence::Low,
                "The RDP listener certificate cannot be told: no System log was given",
                "RemoteConnectionManager writes its certificate events to the System log",
            )],
        },
    ]
}

/// The fixture report, rendered with `opts`.
pub fn report(opts: &RenderOptions) -> Report {
    Report::new(analysis(), inputs(), diagnostics(), 42, opts)
}

/// The attacker's strings.
pub const SCRIPT: &str = "<script>alert(1)</script>";
pub const FORMULA: &str = "=cmd|' /C calc'!A0";
pub const ESCAPES: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[31m";

/// The fixture with hostile values in every string field a log controls.
pub fn hostile_report(opts: &RenderOptions) -> Report {
    let mut a = analysis();
    let evil = format!("{SCRIPT} \"quoted\"\nsecond line {ESCAPES}red");
    for s in &mut a.sessions {
        s.user = Some(format!("{FORMULA}{evil}"));
    }
    for e in &mut a.timeline {
        e.title = FORMULA.into();
        e.message = evil.as_str().into();
        e.host = format!("{RDS01}{ESCAPES}").into();
        e.event.origin = Arc::new(Origin {
            channel: format!("{SCRIPT}{ESCAPES}").into(),
            computer: e.event.origin.computer.clone(),
            provider: e.event.origin.provider.clone(),
            source: e.event.origin.source.clone(),
        });
    }
    for f in &mut a.findings {
        f.dropped.host = format!("{SCRIPT}{ESCAPES}").into();
        f.dropped.user = Some(evil.clone());
        f.verdict.summary = evil.as_str().into();
        for c in &mut f.causes {
            c.title = evil.as_str().into();
            c.explanation = format!("{FORMULA} {evil}").into();
        }
    }
    for x in &mut a.incidents {
        // The timeline's host, so that the SVG labels carry the hostile title.
        x.host = format!("{RDS01}{ESCAPES}").into();
        x.title = evil.as_str().into();
        x.summary = evil.clone();
        x.fix = Some(format!("{FORMULA} {evil}").into());
        x.clients = vec![Tally {
            name: evil.clone(),
            count: 1,
        }];
        x.users = x.clients.clone();
    }
    for h in &mut a.hosts {
        h.aliases = vec![evil.clone()];
    }
    Report::new(a, inputs(), diagnostics(), 42, opts)
}
