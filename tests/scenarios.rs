//! The whole pipeline on the bundled samples: for every scenario in
//! `samples/scenarios/` (the folder is walked, never listed here), the built-in
//! rules find exactly `expect.drops` drops in `samples/<name>/`, all with the
//! expected cause first; the clean scenario has none. Analysed all at once,
//! every server keeps its own drops and verdicts.

use dropcause::analyze::Analyzed;
use dropcause::correlate::model::{Finding, SessionKind};
use dropcause::writer::Scenario;
use std::collections::BTreeMap;
use std::path::Path;

fn scenarios() -> Vec<Scenario> {
    let all = crate::util::scenarios();
    assert!(!all.is_empty(), "no scenarios found");
    all
}

fn run(path: &Path) -> Analyzed {
    let (found, analyzed) = crate::util::analyze_logs(&[path.to_path_buf()]);
    assert!(!found.sources.is_empty(), "{}: no logs", path.display());
    analyzed
}

/// "host drop-kind -> verdict (top cause)" lines, for failure messages.
fn describe(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} -> {:?} ({})",
                f.dropped.host,
                f.dropped.time,
                f.dropped.kind,
                f.verdict.category,
                f.causes.first().map_or("no cause", |c| &*c.rule_id),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_scenario_gets_its_expected_drops_and_verdict() {
    for s in scenarios() {
        let dir = crate::util::samples_dir().join(&s.name);
        let a = run(&dir).analysis;
        let what = format!("{}:\n{}", s.name, describe(&a.findings));
        assert_eq!(a.findings.len(), s.expect.drops as usize, "{what}");
        // The server's view counts: every drop is on the scenario's server.
        assert!(
            a.findings.iter().all(|f| *f.dropped.host == *s.computer),
            "{what}"
        );
        match s.expect.cause {
            // A clean scenario (no drop), or drops whose logs name no cause.
            None => assert!(
                a.findings.iter().all(|f| f.verdict.category.is_none()),
                "{what}"
            ),
            Some(cause) => {
                for f in &a.findings {
                    let got = f.verdict.category.map(|c| c.as_str());
                    assert_eq!(got, Some(cause.as_str()), "{what}");
                    // A refusal whose own record is a drop rule's (RdpCoreTS
                    // 139, TermDD 56) has that record as its reason, no cause.
                    let first = f.causes.first().map(|c| c.category.as_str());
                    let own = f.causes.is_empty()
                        && f.dropped.kind
                            == dropcause::correlate::model::DropKind::ConnectionRefused;
                    assert!(own || first == Some(cause.as_str()), "{what}");
                }
            }
        }
        if let Some(rule) = &s.expect.rule {
            assert!(
                a.findings.iter().any(|f| *f.dropped.rule_id == **rule
                    || f.causes.iter().any(|c| *c.rule_id == **rule)),
                "{what}: rule {rule} expected"
            );
        }
        // Every drop's session, when it has one, is on the same host.
        for f in &a.findings {
            if let Some(k) = f.dropped.session {
                assert_eq!(a.sessions[k].host, f.dropped.host, "{what}");
            }
        }
        if let Some(t) = s.expect.at {
            assert!(a.findings.iter().all(|f| f.dropped.time == t), "{what}");
        }
        if let Some(hosts) = s.expect.hosts {
            let names: Vec<_> = a.hosts.iter().map(|h| (&h.name, &h.aliases)).collect();
            assert_eq!(a.hosts.len(), hosts as usize, "{}: hosts {names:?}", s.name);
        }
        if !s.expect.sessions.is_empty() {
            let mut endings: BTreeMap<String, u32> = BTreeMap::new();
            for x in a.sessions.iter().filter(|x| {
                *x.host == *s.computer
                    && matches!(x.kind, SessionKind::Remote | SessionKind::Unknown)
            }) {
                let name = serde_json::to_value(x.ending).unwrap();
                *endings
                    .entry(name.as_str().unwrap().to_string())
                    .or_default() += 1;
            }
            assert_eq!(
                endings, s.expect.sessions,
                "{}: server sessions' endings",
                s.name
            );
        }
        if !s.expect.outlook.is_empty() {
            let mut got = outlook_levels(&a, &s.computer);
            got.retain(|topic, _| s.expect.outlook.contains_key(topic));
            assert_eq!(got, s.expect.outlook, "{}: outlook", s.name);
        }
    }
}

/// Per outlook topic of `host`, the level of its most urgent item (`none` for
/// the topics it has no item of).
fn outlook_levels(a: &dropcause::correlate::Analysis, host: &str) -> BTreeMap<String, String> {
    let name = |v: serde_json::Value| v.as_str().unwrap().to_string();
    let h = a
        .outlook
        .iter()
        .find(|h| h.host == host)
        .unwrap_or_else(|| panic!("no outlook for {host}"));
    ["certificate", "licensing", "recurring"]
        .into_iter()
        .map(|topic| {
            let level = h
                .items
                .iter()
                .filter(|i| name(serde_json::to_value(i.topic).unwrap()) == topic)
                .map(|i| i.level)
                .max()
                .map_or("none".to_string(), |l| {
                    name(serde_json::to_value(l).unwrap())
                });
            (topic.to_string(), level)
        })
        .collect()
}

#[test]
fn all_samples_at_once_keep_each_hosts_verdicts() {
    let all = scenarios();
    let a = run(&crate::util::samples_dir()).analysis;
    let mut per_host: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &a.findings {
        per_host.entry(&*f.dropped.host).or_default().push(f);
    }
    let what = describe(&a.findings);
    let servers: Vec<&str> = all.iter().map(|s| s.computer.as_str()).collect();
    assert!(
        per_host.keys().all(|h| servers.contains(h)),
        "drops only on the scenarios' servers:\n{what}"
    );
    for s in &all {
        let found = per_host.get(s.computer.as_str()).map_or(&[][..], |v| v);
        assert_eq!(found.len(), s.expect.drops as usize, "{}:\n{what}", s.name);
        let want = s.expect.cause.map(|c| c.as_str());
        assert!(
            found
                .iter()
                .all(|f| f.verdict.category.map(|c| c.as_str()) == want),
            "{}:\n{what}",
            s.name
        );
    }
    let total: u32 = all.iter().map(|s| s.expect.drops).sum();
    assert_eq!(a.findings.len(), total as usize);
    // The client-side log is read and its connections shown, but they add no drop.
    assert!(a.sessions.iter().any(|s| s.kind == SessionKind::Client));
}

#[test]
fn a_host_without_a_system_log_says_its_outlook_cannot_be_told() {
    let lsm = crate::util::samples_dir().join(
        "normal-logoff/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
    );
    let a = run(&lsm).analysis;
    let levels = outlook_levels(&a, "RDS-CLEAN01");
    assert_eq!(levels["certificate"], "unknown");
    assert_eq!(levels["licensing"], "unknown");
    let h = &a.outlook[0];
    assert!(h.system_log.is_none());
    assert!(
        h.items.iter().all(|i| i.title.contains("no System log")),
        "{:#?}",
        h.items
    );
}

#[test]
fn a_gateway_refusal_is_explained_by_the_gateways_own_record() {
    let dir = crate::util::samples_dir().join("gateway-denied");
    let a = run(&dir).analysis;
    assert_eq!(a.findings.len(), 5);
    for f in &a.findings {
        assert!(f.causes.is_empty());
        assert!(
            f.verdict
                .summary
                .starts_with("Refused: The RD Gateway refused CORP\\"),
            "{}",
            f.verdict.summary
        );
        assert_eq!(
            f.verdict.confidence,
            dropcause::correlate::model::Confidence::Medium
        );
        assert!(
            f.verdict
                .fix
                .as_deref()
                .is_some_and(|x| x.contains("RD Gateway Manager"))
        );
        assert!(
            f.dropped
                .user
                .as_deref()
                .is_some_and(|u| u.starts_with("CORP\\"))
        );
    }
    let titles: Vec<&str> = a.incidents.iter().map(|i| &*i.title).collect();
    assert_eq!(
        titles,
        [
            "3 connections from 198.51.100.7 refused: RD Gateway refused the user by its \
             connection policy (Gateway 201)",
            "2 connections from 198.51.100.9 refused: RD Gateway refused the user the host \
             they asked for (Gateway 301)",
        ]
    );
}
