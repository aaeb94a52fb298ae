//! The truth harness: the analysis of every hand-labelled set in
//! `../shared/truth/` (or `$DROPCAUSE_TRUTH`), run on its corpus files and
//! scored with the matching rule of `score.py` there: a finding belongs to the
//! truth episode that shares a record with it (its drop evidence first, then
//! its session's steps). For the high- and medium-confidence episodes of every
//! set, refused and dropped episodes must each reach precision and recall of
//! at least 0.95, the cause category must agree on at least 95% of the true
//! positives, and the negative controls must report nothing. `docs/truth.md`
//! carries the table this test prints.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The truth folder (`$DROPCAUSE_TRUTH`, else `../shared/truth`).
fn truth_dir() -> Option<PathBuf> {
    crate::util::shared("truth harness", "DROPCAUSE_TRUTH", "truth", "score.py")
}

/// A log's channel as the truth files name it.
fn short_channel(channel: &str) -> String {
    const SHORT: &[(&str, &str)] = &[
        ("LocalSessionManager", "LSM"),
        ("RemoteConnectionManager/Operational", "RCM"),
        ("RemoteConnectionManager/Admin", "RCM-Admin"),
        ("RdpCoreTS", "RdpCoreTS"),
        ("RDPClient", "RDPClient"),
        ("Gateway", "Gateway"),
    ];
    SHORT.iter().find(|(k, _)| channel.contains(k)).map_or_else(
        || channel.split('/').next().unwrap_or(channel).to_string(),
        |(_, v)| v.to_string(),
    )
}

/// One labelled episode: its records and ranges of records.
struct Episode {
    end_kind: String,
    cause: Option<String>,
    count: usize,
    confidence: String,
    single: Vec<(String, u64)>,
    ranges: Vec<(String, u64, u64)>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

/// `"<channel> <event id> <record id>"` and `"A .. B"` ranges.
fn parse_evidence(
    items: &[String],
    single: &mut Vec<(String, u64)>,
    ranges: &mut Vec<(String, u64, u64)>,
) {
    for item in items {
        let words: Vec<&str> = item.split_whitespace().collect();
        let num = |k: usize| words.get(k).and_then(|w| w.parse::<u64>().ok());
        let is_channel = |k: usize| {
            words
                .get(k)
                .is_some_and(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
        };
        if words.len() >= 7 && words[3] == ".." && is_channel(0) && is_channel(4) {
            if let (Some(_), Some(a), Some(_), Some(z)) = (num(1), num(2), num(5), num(6)) {
                ranges.push((words[0].to_string(), a, z));
            }
            continue;
        }
        if is_channel(0)
            && let (Some(_), Some(r)) = (num(1), num(2))
        {
            single.push((words[0].to_string(), r));
        }
    }
}

fn episodes(truth: &Value) -> Vec<Episode> {
    let mut raw: Vec<Value> = truth
        .get("episodes")
        .and_then(|e| e.as_array())
        .cloned()
        .unwrap_or_default();
    // Per-client lists of records, folded into the refused/authentication group.
    if let Some(rows) = truth
        .get("refused_auth_by_client")
        .and_then(|r| r.as_array())
        && let Some(ep) = raw.iter_mut().find(|e| {
            text(e, "end_kind").as_deref() == Some("refused")
                && text(e, "cause").as_deref() == Some("authentication")
                && text(e, "kind").as_deref() == Some("group")
        })
    {
        let mut ev: Vec<Value> = ep
            .get("evidence")
            .and_then(|e| e.as_array())
            .cloned()
            .unwrap_or_default();
        for row in rows {
            for conn in row
                .get("connections")
                .and_then(|c| c.as_array())
                .into_iter()
                .flatten()
            {
                ev.extend(conn.as_array().cloned().unwrap_or_default());
            }
        }
        ep["evidence"] = Value::Array(ev);
    }
    if let Some(only) = truth.get("rcm_261_only_records").and_then(|r| r.as_array())
        && let Some(ep) = raw.iter_mut().find(|e| {
            e.get("evidence")
                .and_then(|x| x.as_array())
                .is_some_and(|x| {
                    x.iter().any(|s| {
                        s.as_str()
                            .is_some_and(|s| s.contains("rcm_261_only_records"))
                    })
                })
        })
    {
        let ev = only
            .iter()
            .filter_map(|r| r.as_u64())
            .map(|r| Value::String(format!("RCM 261 {r}")))
            .collect();
        ep["evidence"] = Value::Array(ev);
    }
    raw.iter()
        .map(|e| {
            let items: Vec<String> = e
                .get("evidence")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            let (mut single, mut ranges) = (Vec::new(), Vec::new());
            parse_evidence(&items, &mut single, &mut ranges);
            Episode {
                end_kind: text(e, "end_kind").unwrap_or_default(),
                cause: text(e, "cause"),
                count: e.get("count").and_then(|c| c.as_u64()).unwrap_or(1) as usize,
                confidence: text(e, "confidence").unwrap_or_else(|| "?".into()),
                single,
                ranges,
            }
        })
        .collect()
}

/// The corpus files a truth set names (globs of one `*` in the file name).
fn files(corpus: &Path, truth: &Value) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in truth
        .get("files")
        .and_then(|f| f.as_array())
        .into_iter()
        .flatten()
    {
        let Some(f) = f.as_str() else { continue };
        let path = corpus.join(f);
        match path.file_name().and_then(|n| n.to_str()) {
            Some(name) if name.contains('*') => {
                let (pre, post) = name.split_once('*').unwrap_or((name, ""));
                let dir = path.parent().unwrap_or(corpus);
                let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(pre) && n.ends_with(post))
                    })
                    .collect();
                found.sort();
                out.extend(found);
            }
            _ => out.push(path),
        }
    }
    out
}

/// The truth category that a dropcause category counts for.
fn cause_agrees(truth: &str, ours: Option<&str>) -> bool {
    match (truth, ours) {
        ("authentication" | "logon-right", Some("authentication")) => true,
        ("config", Some("configuration")) => true,
        (t, Some(o)) => t == o,
        _ => false,
    }
}

/// One set's figures for one kind of episode (refused or drop).
#[derive(Default, Clone, Copy)]
struct Tally {
    truth: usize,
    tp: usize,
    fp: usize,
    cause_ok: usize,
    cause_scored: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.truth == 0 {
            1.0
        } else {
            self.tp.min(self.truth) as f64 / self.truth as f64
        }
    }
    fn cause(&self) -> f64 {
        if self.cause_scored == 0 {
            1.0
        } else {
            self.cause_ok as f64 / self.cause_scored as f64
        }
    }
}

/// Scores `report` (the JSON form of an analysis) against `eps`. Findings on
/// low-confidence episodes count neither way; findings on no episode count
/// as false positives.
fn score(eps: &[Episode], report: &Value) -> (Tally, Tally, usize) {
    let owner = |k: &(String, u64)| {
        eps.iter().position(|e| e.single.contains(k)).or_else(|| {
            eps.iter().position(|e| {
                e.ranges
                    .iter()
                    .any(|(c, a, z)| *c == k.0 && (*a..=*z).contains(&k.1))
            })
        })
    };
    let a = &report["analysis"];
    let sessions: HashMap<u64, &Value> = a["sessions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["index"].as_u64()?, s)))
        .collect();
    let key = |e: &Value| {
        (
            short_channel(e["channel"].as_str().unwrap_or("")),
            e["record_id"].as_u64().unwrap_or(0),
        )
    };
    let mut per: Vec<Vec<&Value>> = vec![Vec::new(); eps.len()];
    let mut unlabelled: Vec<String> = Vec::new();
    for f in a["findings"].as_array().into_iter().flatten() {
        let d = &f["drop"];
        let mut keys: Vec<(String, u64)> = d["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .map(key)
            .collect();
        if let Some(s) = d["session"].as_u64().and_then(|s| sessions.get(&s)) {
            keys.extend(
                s["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|st| key(&st["event"])),
            );
        }
        match keys.iter().find_map(owner) {
            Some(e) => per[e].push(f),
            None => unlabelled.push(d["kind"].as_str().unwrap_or("").to_string()),
        }
    }
    let (mut refused, mut dropped) = (Tally::default(), Tally::default());
    for (ep, found) in eps.iter().zip(&per) {
        if ep.confidence == "low" {
            continue;
        }
        let good = match ep.end_kind.as_str() {
            "drop" => Some("session-dropped"),
            "refused" => Some("connection-refused"),
            _ => None,
        };
        let kind = |f: &&Value| f["drop"]["kind"].as_str().unwrap_or("").to_string();
        let tp = found
            .iter()
            .filter(|f| Some(kind(f).as_str()) == good)
            .count();
        for f in found.iter().filter(|f| Some(kind(f).as_str()) != good) {
            match kind(f).as_str() {
                "session-dropped" => dropped.fp += 1,
                _ => refused.fp += 1,
            }
        }
        let tally = match ep.end_kind.as_str() {
            "drop" => &mut dropped,
            _ => &mut refused,
        };
        if good.is_some() {
            tally.truth += ep.count;
            tally.tp += tp;
            if let Some(cause) = ep.cause.as_deref().filter(|c| *c != "unknown") {
                tally.cause_scored += tp;
                tally.cause_ok += found
                    .iter()
                    .filter(|f| Some(f["drop"]["kind"].as_str().unwrap_or("")) == good)
                    .filter(|f| cause_agrees(cause, f["verdict"]["category"].as_str()))
                    .count();
            }
        }
    }
    for kind in &unlabelled {
        match kind.as_str() {
            "session-dropped" => dropped.fp += 1,
            _ => refused.fp += 1,
        }
    }
    (refused, dropped, unlabelled.len())
}

#[test]
fn every_truth_set_is_reported_as_an_analyst_labelled_it() {
    let Some(truth) = truth_dir() else { return };
    let Some(corpus) = crate::util::corpus("truth harness") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "corpus missing under CI=true"
        );
        return;
    };
    let mut sets: Vec<PathBuf> = std::fs::read_dir(&truth)
        .expect("truth folder readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    sets.sort();
    assert!(
        sets.len() >= 11,
        "expected the 11 truth sets, found {}",
        sets.len()
    );
    let mut table = vec![
        "| set | refused: truth / found / precision / recall / cause | dropped: truth / found / precision / recall / cause | unlabelled |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    let mut failures = Vec::new();
    for set in &sets {
        let name = set
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let yaml = std::fs::read_to_string(set).expect("truth file readable");
        let value: Value =
            serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{}: {e}", set.display()));
        let eps = episodes(&value);
        let paths = files(&corpus, &value);
        let (_, analyzed) = crate::util::analyze_logs(&paths);
        let report = serde_json::json!({ "analysis": serde_json::to_value(&analyzed.analysis).expect("serializable") });
        let (r, d, unlabelled) = score(&eps, &report);
        let cell = |t: &Tally| {
            format!(
                "{} / {} / {:.3} / {:.3} / {:.3}",
                t.truth,
                t.tp + t.fp,
                t.precision(),
                t.recall(),
                t.cause()
            )
        };
        table.push(format!(
            "| {name} | {} | {} | {unlabelled} |",
            cell(&r),
            cell(&d)
        ));
        for (what, t) in [("refused", r), ("dropped", d)] {
            if t.precision() < 0.95 || t.recall() < 0.95 || t.cause() < 0.95 {
                failures.push(format!(
                    "{name}: {what} precision {:.3}, recall {:.3}, cause {:.3}",
                    t.precision(),
                    t.recall(),
                    t.cause()
                ));
            }
        }
        if eps.is_empty() && !analyzed.analysis.findings.is_empty() {
            failures.push(format!(
                "{name}: negative control, but {} finding(s) reported",
                analyzed.analysis.findings.len()
            ));
        }
    }
    eprintln!("{}", table.join("\n"));
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        table.join("\n")
    );
}

#[test]
fn evidence_strings_parse_as_records_and_ranges() {
    let (mut single, mut ranges) = (Vec::new(), Vec::new());
    parse_evidence(
        &[
            "System 36874 1730 .. System 36874 60138".to_string(),
            "RCM 261 29321".to_string(),
            "RdpCoreTS 140 (one per connection, listed below)".to_string(),
        ],
        &mut single,
        &mut ranges,
    );
    assert_eq!(single, [("RCM".to_string(), 29321)]);
    assert_eq!(ranges, [("System".to_string(), 1730, 60138)]);
    assert!(cause_agrees("logon-right", Some("authentication")));
    assert!(!cause_agrees("tls", Some("certificate")));
}
