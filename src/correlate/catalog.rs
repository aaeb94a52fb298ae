//! What correlation knows about the events that make up a session's life: for
//! each (log, event id), what it is and which fields carry the session id, the
//! connection name, the client address, the user, the logon id and the reason.
//! All such knowledge lives in the one table [`CATALOG`].

use crate::event::{Event, FieldValue};
use crate::rules::{Matched, Role, RuleSet, Step};

/// The log an event comes from, as far as sessions are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Log {
    /// TerminalServices-LocalSessionManager.
    Lsm,
    /// TerminalServices-RemoteConnectionManager.
    Rcm,
    /// RemoteDesktopServices-RdpCoreTS.
    CoreTs,
    /// TerminalServices-RDPClient (the client side).
    Client,
    /// Security.
    Security,
}

/// What an event is in a session's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// LSM 21: session logon.
    Logon,
    /// LSM 22: shell start.
    Shell,
    /// LSM 23: session logoff.
    Logoff,
    /// LSM 24: session disconnected.
    Disconnect,
    /// LSM 25: session reconnected.
    Reconnect,
    /// LSM 39: session disconnected by a session (`Source`).
    DisconnectedBy,
    /// LSM 40: session disconnected, with a reason code.
    DisconnectReason,
    /// LSM 41: session arbitration begins.
    Arbitration,
    /// LSM 42: session arbitration ends.
    ArbitrationEnd,
    /// RCM 261, RdpCoreTS 131/65: a transport connection reached the server.
    Accepted,
    /// RCM 1149: the user authenticated.
    Authenticated,
    /// RdpCoreTS 66: the connection was assigned to a session.
    Assigned,
    /// RdpCoreTS 107: the client asked to close the connection.
    ClientClosed,
    /// Security 4624 (logon types 10 and 7).
    SecLogon,
    /// Security 4634 and 4647.
    SecLogoff,
    /// Security 4778.
    SecReconnect,
    /// Security 4779.
    SecDisconnect,
    /// RDPClient 1024/1025/1027: the client connects.
    ClientConnect,
    /// RDPClient 1026: the client was disconnected, with its reason.
    ClientDisconnect,
}

/// Where the user name is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum UserField {
    /// One field holding `DOMAIN\user`.
    Whole(&'static str),
    /// A user field and a domain field.
    Split(&'static str, &'static str),
}

/// One row of the catalog.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub log: Log,
    pub id: u16,
    pub kind: Kind,
    pub step: Option<Step>,
    pub session: Option<&'static str>,
    pub connection: Option<&'static str>,
    pub address: Option<&'static str>,
    pub user: Option<UserField>,
    pub logon_id: Option<&'static str>,
    pub reason: Option<&'static str>,
}

const fn e(log: Log, id: u16, kind: Kind, step: Option<Step>) -> Entry {
    Entry {
        log,
        id,
        kind,
        step,
        session: None,
        connection: None,
        address: None,
        user: None,
        logon_id: None,
        reason: None,
    }
}

use Kind as K;
use Log::{Client, CoreTs, Lsm, Rcm, Security};
use UserField::{Split, Whole};

const LSM_USER: Option<UserField> = Some(Whole("User"));

/// The catalog: every event whose place in a session's life is known.
#[rustfmt::skip]
pub(crate) const CATALOG: &[Entry] = &[
    Entry { session: Some("SessionID"), address: Some("Address"), user: LSM_USER, ..e(Lsm, 21, K::Logon, Some(Step::Logon)) },
    Entry { session: Some("SessionID"), address: Some("Address"), user: LSM_USER, ..e(Lsm, 22, K::Shell, Some(Step::Logon)) },
    Entry { session: Some("SessionID"), user: LSM_USER, ..e(Lsm, 23, K::Logoff, Some(Step::Logoff)) },
    Entry { session: Some("SessionID"), address: Some("Address"), user: LSM_USER, ..e(Lsm, 24, K::Disconnect, Some(Step::Disconnect)) },
    Entry { session: Some("SessionID"), address: Some("Address"), user: LSM_USER, ..e(Lsm, 25, K::Reconnect, Some(Step::Reconnect)) },
    Entry { session: Some("TargetSession"), ..e(Lsm, 39, K::DisconnectedBy, Some(Step::Disconnect)) },
    Entry { session: Some("Session"), reason: Some("Reason"), ..e(Lsm, 40, K::DisconnectReason, Some(Step::Disconnect)) },
    Entry { session: Some("SessionID"), user: LSM_USER, ..e(Lsm, 41, K::Arbitration, Some(Step::Logon)) },
    Entry { session: Some("SessionID"), user: LSM_USER, ..e(Lsm, 42, K::ArbitrationEnd, Some(Step::Logon)) },
    e(Rcm, 261, K::Accepted, Some(Step::Connect)),
    Entry { address: Some("Param3"), user: Some(Split("Param1", "Param2")), ..e(Rcm, 1149, K::Authenticated, Some(Step::Auth)) },
    Entry { address: Some("ClientIP"), ..e(CoreTs, 131, K::Accepted, Some(Step::Connect)) },
    Entry { connection: Some("ConnectionName"), ..e(CoreTs, 65, K::Accepted, Some(Step::Connect)) },
    Entry { connection: Some("ConnectionName"), session: Some("SessionID"), ..e(CoreTs, 66, K::Assigned, Some(Step::Logon)) },
    e(CoreTs, 107, K::ClientClosed, Some(Step::Disconnect)),
    Entry { address: Some("IpAddress"), user: Some(Split("TargetUserName", "TargetDomainName")), logon_id: Some("TargetLogonId"), ..e(Security, 4624, K::SecLogon, Some(Step::Logon)) },
    Entry { user: Some(Split("TargetUserName", "TargetDomainName")), logon_id: Some("TargetLogonId"), ..e(Security, 4634, K::SecLogoff, Some(Step::Logoff)) },
    Entry { user: Some(Split("TargetUserName", "TargetDomainName")), logon_id: Some("TargetLogonId"), ..e(Security, 4647, K::SecLogoff, Some(Step::Logoff)) },
    Entry { connection: Some("SessionName"), address: Some("ClientAddress"), user: Some(Split("AccountName", "AccountDomain")), logon_id: Some("LogonID"), ..e(Security, 4778, K::SecReconnect, Some(Step::Reconnect)) },
    Entry { connection: Some("SessionName"), address: Some("ClientAddress"), user: Some(Split("AccountName", "AccountDomain")), logon_id: Some("LogonID"), ..e(Security, 4779, K::SecDisconnect, Some(Step::Disconnect)) },
    e(Client, 1024, K::ClientConnect, Some(Step::Connect)),
    e(Client, 1025, K::ClientConnect, Some(Step::Connect)),
    e(Client, 1027, K::ClientConnect, Some(Step::Logon)),
    Entry { reason: Some("Value"), ..e(Client, 1026, K::ClientDisconnect, Some(Step::Disconnect)) },
];

/// Field names that carry a client address, for rules' `keys` (`param2` is
/// TermDD 56's client IP; no other rule keys on it).
pub(crate) const ADDRESS_FIELDS: &[&str] = &[
    "Address",
    "param2",
    "ClientIP",
    "IPString",
    "IpAddress",
    "ClientAddress",
    "Param3",
    "SourceAddress",
];
/// Field names that carry a whole `DOMAIN\user`, read from events outside the
/// catalog (RD Gateway's `Username`) to name who a drop of no session hit.
const USER_FIELDS: &[&str] = &["Username"];
/// The connection id every event of RCM, RdpCoreTS, LSM and the client may
/// carry (`System/Correlation/@ActivityID`); correlation reads it of all of them.
const ACTIVITY: &str = "ActivityID";
/// Field names that carry an LSM session id, for rules' `keys`.
pub(crate) const SESSION_FIELDS: &[&str] = &["SessionID", "Session", "TargetSession", "SessionId"];

/// Security logon types that are Remote Desktop sessions (10) or their unlock/reconnect (7).
const RDP_LOGON_TYPES: &[i64] = &[10, 7];

/// The log of an event, from its channel.
fn log_of(event: &Event) -> Option<Log> {
    log_of_channel(&event.channel)
}

/// The log a channel name belongs to (case-insensitive).
fn log_of_channel(ch: &str) -> Option<Log> {
    // Lowercased once, so that each name is one substring search.
    let lower = ch.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    Some(if has("localsessionmanager") {
        Lsm
    } else if has("remoteconnectionmanager") {
        Rcm
    } else if has("rdpcorets") {
        CoreTs
    } else if has("rdpclient") {
        Client
    } else if lower == "security" {
        Security
    } else {
        return None;
    })
}

/// The catalog entry of an event of `log`, when it has one (4624 only for RDP logon types).
fn entry(log: Log, event: &Event) -> Option<&'static Entry> {
    let entry = CATALOG
        .iter()
        .find(|e| e.log == log && e.id == event.event_id)?;
    if entry.kind == K::SecLogon {
        let lt = event.field_i64("LogonType")?;
        if !RDP_LOGON_TYPES.contains(&lt) {
            return None;
        }
    }
    Some(entry)
}

/// What correlation reads from one matched event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// The log the event comes from (read once here: telling it from the channel's
    /// name is a search without case, too slow to repeat in every pass).
    pub log: Option<Log>,
    pub kind: Option<Kind>,
    pub step: Option<Step>,
    pub session: Option<u32>,
    pub connection: Option<String>,
    pub address: Option<String>,
    /// True when the address is `LOCAL` (a console session).
    pub local: bool,
    pub user: Option<String>,
    pub logon_id: Option<String>,
    pub reason: Option<i64>,
    pub drop: bool,
    pub cause: bool,
    pub context: bool,
}

/// Reads the facts of `m`: from the catalog when the event is in it, else from
/// its rules' `step` and `keys`.
pub(crate) fn facts(m: &Matched) -> Facts {
    let ev = &m.event;
    let has = |r: Role| m.with_role(r).next().is_some();
    let mut f = Facts {
        log: log_of(ev),
        drop: has(Role::Drop),
        cause: has(Role::Cause),
        context: has(Role::Context),
        ..Facts::default()
    };
    let text = |name: Option<&str>| {
        let trimmed = |v: &FieldValue| v.as_text().trim().to_string();
        name.and_then(|n| ev.with_field(n, |v| v.map(trimmed)))
            .filter(|s| !s.is_empty() && s != "-")
    };
    let Some(entry) = f.log.and_then(|log| entry(log, ev)) else {
        let keys = || {
            m.rules
                .iter()
                .filter_map(|r| r.extension.as_ref())
                .flat_map(|x| &x.keys)
        };
        let key = |names: &[&str]| keys().find(|k| names.contains(&k.as_str())).cloned();
        f.step = rule_step(m);
        f.session = text(key(SESSION_FIELDS).as_deref()).and_then(|s| s.parse().ok());
        set_address(&mut f, text(key(ADDRESS_FIELDS).as_deref()));
        // Only a drop of no session shows it: not read for the thousands of causes.
        if f.drop {
            f.user = USER_FIELDS.iter().find_map(|n| text(Some(n)));
        }
        return f;
    };
    f.kind = Some(entry.kind);
    f.step = rule_step(m).or(entry.step);
    f.session = entry.session.and_then(|n| ev.field_i64(n)?.try_into().ok());
    f.connection = text(entry.connection);
    set_address(&mut f, text(entry.address));
    f.user = match entry.user {
        Some(Whole(n)) => text(Some(n)),
        Some(Split(u, d)) => text(Some(u)).map(|u| match text(Some(d)) {
            Some(d) => format!("{d}\\{u}"),
            None => u,
        }),
        None => None,
    };
    f.logon_id = text(entry.logon_id).map(|s| s.to_ascii_lowercase());
    f.reason = entry.reason.and_then(|n| ev.field_i64(n));
    f
}

/// The `step` the first of `m`'s rules that gives one says (a rule may refine
/// the catalog's step within its phase; see [`check_rules`]).
fn rule_step(m: &Matched) -> Option<Step> {
    m.rules.iter().find_map(|r| r.extension.as_ref()?.step)
}

fn set_address(f: &mut Facts, raw: Option<String>) {
    match raw {
        Some(a) if a.eq_ignore_ascii_case("LOCAL") => f.local = true,
        Some(a) => f.address = Some(strip_port(&a)),
        None => {}
    }
}

impl Entry {
    /// Every field correlation reads from this event.
    fn fields(&self) -> impl Iterator<Item = &'static str> {
        let user = match self.user {
            Some(Whole(u)) => [Some(u), None],
            Some(Split(u, d)) => [Some(u), Some(d)],
            None => [None, None],
        };
        [self.session, self.connection, self.address]
            .into_iter()
            .chain(user)
            .chain([self.logon_id, self.reason])
            .flatten()
    }

    fn label(&self) -> String {
        let log = match self.log {
            Lsm => "LocalSessionManager",
            Rcm => "RemoteConnectionManager",
            CoreTs => "RdpCoreTS",
            Client => "RDPClient",
            Security => "Security",
        };
        format!("{log} {}", self.id)
    }
}

/// The fields correlation reads of the event `event_id` of `channel`, when it
/// is a session event of the catalog (for checking other tables against it).
pub fn catalog_entry(channel: &str, event_id: u16) -> Option<Vec<&'static str>> {
    let log = log_of_channel(channel)?;
    CATALOG
        .iter()
        .find(|e| e.log == log && e.id == event_id)
        .map(|e| e.fields().collect())
}

/// The phase of a session's life a step belongs to: a rule may refine the
/// catalog's step of an event (LSM 40 with reason 12 is a logoff) but not move
/// it to another phase (a disconnect is never a start).
fn phase(step: Step) -> u8 {
    match step {
        Step::Logon | Step::Reconnect => 0,
        Step::Disconnect | Step::Logoff | Step::Refused => 1,
        Step::Connect | Step::Auth => 2,
    }
}

/// A rule whose `step` or `keys` contradicts what correlation reads of an
/// event the rule can match.
#[derive(Debug, Clone)]
pub struct RuleDisagreement {
    /// The rule's id.
    pub rule_id: String,
    /// The rule file.
    pub path: std::path::PathBuf,
    /// What is wrong, in words.
    pub message: String,
}

/// Checks every rule that can match an event of the catalog: its `step` must
/// be in the same phase as the catalog's, and its `keys` must be fields the
/// catalog reads of that event. The catalog is the one source of what a
/// session event means; this keeps the rule files from silently saying
/// otherwise.
pub fn check_rules(rules: &RuleSet) -> Vec<RuleDisagreement> {
    let mut out = Vec::new();
    for pinned in rules.pinned() {
        let Some(ext) = &pinned.info.extension else {
            continue;
        };
        if ext.step.is_none() && ext.keys.is_empty() {
            continue;
        }
        let (Some(ids), Some(channels)) = (&pinned.event_ids, &pinned.channels) else {
            continue;
        };
        let logs: Vec<Log> = channels.iter().filter_map(|c| log_of_channel(c)).collect();
        let mut say = |message: String| {
            out.push(RuleDisagreement {
                rule_id: pinned.info.id.to_string(),
                path: pinned.info.path.clone(),
                message,
            })
        };
        let entries: Vec<&Entry> = CATALOG
            .iter()
            .filter(|e| ids.contains(&e.id) && logs.contains(&e.log))
            .collect();
        if entries.is_empty() {
            let keyable = |k: &str| {
                k == ACTIVITY || ADDRESS_FIELDS.contains(&k) || SESSION_FIELDS.contains(&k)
            };
            for key in ext.keys.iter().filter(|k| !keyable(k)) {
                say(format!(
                    "key `{key}` is neither a client address ({}) nor a session id ({}): \
                     correlation ignores it",
                    ADDRESS_FIELDS.join(", "),
                    SESSION_FIELDS.join(", ")
                ));
            }
        }
        for entry in entries {
            if let (Some(step), Some(own)) = (ext.step, entry.step)
                && phase(step) != phase(own)
            {
                say(format!(
                    "step `{}` contradicts {}: correlation reads it as `{}`",
                    step.as_str(),
                    entry.label(),
                    own.as_str()
                ));
            }
            let read: Vec<&str> = entry.fields().chain([ACTIVITY]).collect();
            for key in ext.keys.iter().filter(|k| !read.contains(&k.as_str())) {
                say(format!(
                    "key `{key}` is not read of {}: correlation reads {}",
                    entry.label(),
                    if read.is_empty() {
                        "no field".to_string()
                    } else {
                        read.join(", ")
                    }
                ));
            }
        }
    }
    out
}

/// `1.2.3.4:5678` -> `1.2.3.4`; `[::1]:5678` -> `::1`; anything else as is.
pub(crate) fn strip_port(addr: &str) -> String {
    if let Some(rest) = addr.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest).to_string();
    }
    match addr.split_once(':') {
        Some((ip, port)) if !port.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            ip.to_string()
        }
        _ => addr.to_string(),
    }
}

/// The account part of `DOMAIN\user` (or `user@domain`), lower-cased.
pub(crate) fn account(user: &str) -> String {
    let u = user.rsplit('\\').next().unwrap_or(user);
    u.split('@').next().unwrap_or(u).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_names_its_log_in_any_case() {
        let lsm = "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational";
        assert_eq!(log_of_channel(lsm), Some(Lsm));
        assert_eq!(log_of_channel(&lsm.to_uppercase()), Some(Lsm));
        assert_eq!(
            log_of_channel("microsoft-windows-terminalservices-remoteconnectionmanager/admin"),
            Some(Rcm)
        );
        assert_eq!(
            log_of_channel("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational"),
            Some(CoreTs)
        );
        assert_eq!(
            log_of_channel("Microsoft-Windows-TerminalServices-RDPClient/Operational"),
            Some(Client)
        );
        assert_eq!(log_of_channel("SECURITY"), Some(Security));
        assert_eq!(log_of_channel("Security/Extra"), None);
        assert_eq!(log_of_channel("System"), None);
    }

    #[test]
    fn addresses_lose_their_port_and_accounts_their_domain() {
        assert_eq!(strip_port("194.61.24.102:40174"), "194.61.24.102");
        assert_eq!(strip_port("[fe80::1]:3389"), "fe80::1");
        assert_eq!(strip_port("fe80::1"), "fe80::1");
        assert_eq!(account("C137\\Administrator"), "administrator");
        assert_eq!(account("bob@corp.example"), "bob");
    }

    #[test]
    fn the_built_in_rules_agree_with_the_catalog() {
        let (rules, _) = RuleSet::built_in();
        let wrong: Vec<String> = check_rules(&rules)
            .iter()
            .map(|d| format!("{}: {}", d.rule_id, d.message))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        let checked = rules
            .pinned()
            .filter(|p| p.info.extension.as_ref().is_some_and(|x| x.step.is_some()))
            .filter(|p| {
                p.channels
                    .iter()
                    .flatten()
                    .any(|c| log_of_channel(c).is_some())
            })
            .count();
        assert!(
            checked >= 20,
            "only {checked} rules checked against the catalog"
        );
    }

    #[test]
    fn a_rule_that_moves_an_event_to_another_phase_is_reported() {
        let text = "title: t\nid: t-wrong\nlogsource: {product: windows, service: terminalservices-localsessionmanager}\n\
            detection: {sel: {EventID: 21}, condition: sel}\n\
            dropcause: {role: lifecycle, step: disconnect, keys: [SessionID, Nonsense]}\n";
        let dir = std::env::temp_dir().join(format!("dc-catalog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("r.yml"), text).unwrap();
        let (rules, _) = RuleSet::load(&[crate::rules::RuleSource::Path(dir.clone())]);
        let said: Vec<String> = check_rules(&rules).into_iter().map(|d| d.message).collect();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(rules.len(), 1);
        assert_eq!(said.len(), 2, "{said:?}");
        assert!(said[0].contains("step `disconnect` contradicts LocalSessionManager 21"));
        assert!(said[1].contains("key `Nonsense`"));
    }

    #[test]
    fn the_catalog_has_one_row_per_log_and_id() {
        let mut seen = foldhash::HashSet::default();
        assert!(CATALOG.iter().all(|e| seen.insert((e.log as u8, e.id))));
    }
}
