//! Test helpers: `Matched` events from compact descriptions, and `RuleInfo`
//! values built directly.

use super::model::{Analysis, Ending};
use crate::event::{Event, FieldValue, Fields};
use crate::rules::{Category, Extension, Level, Matched, Role, RuleInfo, Step, Window};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static RECORD: AtomicU64 = AtomicU64::new(1);

/// A moment `secs` seconds after a fixed origin.
pub(crate) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).expect("valid time")
}

/// A rule with our extension.
pub(crate) fn rule(
    id: &str,
    role: Role,
    category: Option<Category>,
    step: Option<Step>,
    keys: &[&str],
) -> Arc<RuleInfo> {
    Arc::new(RuleInfo {
        id: id.into(),
        title: format!("title of {id}").into(),
        description: String::new(),
        level: Level::High,
        references: vec![],
        status: None,
        tags: vec![],
        extension: Some(Extension {
            role,
            category,
            step,
            window: Window {
                before: Duration::from_secs(120),
                after: Duration::from_secs(30),
            },
            keys: keys.iter().map(|k| k.to_string()).collect(),
            explain: Some(format!("{id} happened ({{ErrorCode}})")),
            fix: Some(format!("fix {id}").into()),
            says_why: false,
        }),
        path: "test.yml".into(),
    })
}

/// A cause rule of `category` (as [`rule`] makes it) whose explanation reads
/// `explain`.
pub(crate) fn cause_rule(id: &str, category: Option<Category>, explain: &str) -> Arc<RuleInfo> {
    let mut info = Arc::unwrap_or_clone(rule(id, Role::Cause, category, None, &[]));
    if let Some(ext) = info.extension.as_mut() {
        ext.explain = Some(explain.into());
    }
    Arc::new(info)
}

/// Each session's Windows id and how it ended, in the analysis' order.
pub(crate) fn endings(a: &Analysis) -> Vec<(Option<u32>, Ending)> {
    a.sessions
        .iter()
        .map(|s| (s.session_id, s.ending))
        .collect()
}

/// The channel a short name stands for.
fn channel(short: &str) -> &'static str {
    match short {
        "lsm" => "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
        "rcm" => "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
        "core" => "Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
        "client" => "Microsoft-Windows-TerminalServices-RDPClient/Operational",
        "sec" => "Security",
        _ => "System",
    }
}

/// An event on `host` at `secs`, in the log `log` (lsm, rcm, core, client,
/// sec, sys), with `fields`; a field named `@act` sets the ActivityID.
pub(crate) fn ev(host: &str, secs: i64, log: &str, id: u16, fields: &[(&str, &str)]) -> Event {
    let mut f = Fields::new();
    let mut activity = None;
    for (name, value) in fields {
        if *name == "@act" {
            activity = Some(value.to_string());
        } else {
            f.push(*name, FieldValue::Str(value.to_string()));
        }
    }
    Event {
        time: at(secs),
        record_id: RECORD.fetch_add(1, Ordering::Relaxed),
        channel: channel(log).into(),
        provider: format!("provider of {log}").into(),
        event_source: None,
        event_id: id,
        qualifiers: None,
        level: Some(4),
        computer: host.into(),
        activity_id: activity,
        user_sid: None,
        source: Arc::from(Path::new("test.evtx")),
        recovered: false,
        fields: f,
    }
}

/// The event matched by `rules`.
pub(crate) fn m(event: Event, rules: &[&Arc<RuleInfo>]) -> Matched {
    Matched {
        event,
        rules: rules.iter().map(|r| Arc::clone(r)).collect(),
    }
}
