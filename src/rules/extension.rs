//! Our extension to Sigma: the `dropcause:` block of a rule, which says what role
//! a match plays in explaining a drop. Plain Sigma rules have no such block and
//! run as context alerts.
//!
//! ```yaml
//! dropcause:
//!   role: cause                 # cause | drop | lifecycle | context
//!   category: certificate       # for causes (and drops, the failure they imply)
//!   step: disconnect            # for lifecycle/drop: connect | auth | logon | reconnect | disconnect | logoff | refused
//!   window: { before: 2h, after: 30s }
//!   keys: [SessionID, Address]  # fields that name the session, client or host
//!   explain: "Schannel could not use the RDP certificate's private key ({ErrorCode})"
//!   fix: "Give NETWORK SERVICE read access to the key in MachineKeys, then restart TermService"
//! ```

pub use crate::vocab::{Category, Level, Step, duration_text};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What a rule's match means for the correlation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A session or connection ended, not by the user's choice.
    Drop,
    /// A step of a session's life cycle (logon, disconnect, reconnect, logoff, ...).
    Lifecycle,
    /// A failure that can explain drops near it in time.
    Cause,
    /// Worth showing on the timeline, explains nothing by itself.
    Context,
}

/// How far before and after a drop a cause still counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// How long before the drop the cause may have happened.
    #[serde(with = "duration_text")]
    pub before: Duration,
    /// How long after the drop the cause may have been logged.
    #[serde(with = "duration_text")]
    pub after: Duration,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            before: Duration::from_secs(120),
            after: Duration::from_secs(30),
        }
    }
}

/// The `dropcause:` block of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// What a match means.
    pub role: Role,
    /// The failure family (required for causes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
    /// The life-cycle step (for lifecycle and drop rules).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// How far around a drop a cause counts.
    #[serde(default)]
    pub window: Window,
    /// Data fields that identify the session, the client or the host.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// One sentence saying what happened, with `{Field}` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
    /// What to try to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<Arc<str>>,
    /// A drop rule whose record states why by itself (an RD Gateway policy denial):
    /// when no cause coincides, its explanation and fix are the verdict. A drop rule
    /// whose category is a guess (TermDD 56) leaves this off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub says_why: bool,
}

/// What the rest of the pipeline knows of a rule: its metadata and extension,
/// not its detection logic.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleInfo {
    /// The rule's `id` (a UUID in Sigma, or our own slug).
    pub id: Arc<str>,
    /// The rule's `title`.
    pub title: Arc<str>,
    /// The rule's `description`.
    pub description: String,
    /// The rule's `level`.
    pub level: Level,
    /// The rule's `references`.
    pub references: Vec<String>,
    /// The rule's `status` (Sigma: stable, test, experimental, deprecated, unsupported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The rule's `tags` (`attack.t1021.001`, `attack.lateral-movement`, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The `dropcause:` block, if the rule has one.
    pub extension: Option<Extension>,
    /// The file the rule came from (or `<embedded>/...` for built-in rules).
    #[serde(serialize_with = "crate::diag::serialize_path")]
    pub path: PathBuf,
}

impl RuleInfo {
    /// The rule's role; rules without our extension are context alerts.
    pub fn role(&self) -> Role {
        self.extension.as_ref().map_or(Role::Context, |e| e.role)
    }

    /// The rule's category, if any.
    pub fn category(&self) -> Option<Category> {
        self.extension.as_ref().and_then(|e| e.category)
    }

    /// The MITRE ATT&CK technique ids among its tags: `attack.t1021.001` gives
    /// `T1021.001`; tactics (`attack.lateral-movement`) and groups are left out.
    pub fn attack_ids(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| is_technique(t))
            .map(str::to_uppercase)
            .collect()
    }
}

/// `t1021` or `t1021.001` (any case).
fn is_technique(tag: &str) -> bool {
    let b = tag.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0].eq_ignore_ascii_case(&b't') && digits(&b[1..]),
        9 => {
            b[0].eq_ignore_ascii_case(&b't') && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..])
        }
        _ => false,
    }
}

/// Which plain Sigma rules (rules without a `dropcause:` block, run as context
/// alerts) to keep. Rules with a `dropcause:` block are never left out: correlation
/// reads even their context ones (EventLog 6011 renames link a host's names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// The lowest level kept (`None`: every level).
    pub min_level: Option<Level>,
    /// The statuses kept, lower case (empty: every status). A rule that states no
    /// status is left out when any is asked for.
    pub statuses: Vec<String>,
}

impl AlertFilter {
    /// True when `rule` stays loaded: it has a `dropcause:` block, or it passes the
    /// filter.
    pub fn keeps(&self, rule: &RuleInfo) -> bool {
        if rule.extension.is_some() {
            return true;
        }
        let level_ok = self.min_level.is_none_or(|min| rule.level >= min);
        let status_ok = self.statuses.is_empty()
            || rule
                .status
                .as_deref()
                .is_some_and(|s| self.statuses.iter().any(|w| w.eq_ignore_ascii_case(s)));
        level_ok && status_ok
    }

    /// True when the filter leaves nothing out.
    pub fn is_empty(&self) -> bool {
        self.min_level.is_none() && self.statuses.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sigma(level: Level, status: Option<&str>) -> RuleInfo {
        RuleInfo {
            id: "r".into(),
            level,
            status: status.map(str::to_string),
            tags: vec![
                "attack.lateral-movement".into(),
                "attack.t1021.001".into(),
                "attack.T1078".into(),
                "attack.g0032".into(),
                "car.2013-07-002".into(),
            ],
            ..RuleInfo::default()
        }
    }

    #[test]
    fn attack_ids_are_the_technique_tags() {
        assert_eq!(sigma(Level::Low, None).attack_ids(), ["T1021.001", "T1078"]);
    }

    #[test]
    fn the_alert_filter_leaves_out_plain_sigma_rules_only() {
        let filter = AlertFilter {
            min_level: Some(Level::Medium),
            statuses: vec!["stable".into(), "test".into()],
        };
        assert!(filter.keeps(&sigma(Level::High, Some("test"))));
        assert!(filter.keeps(&sigma(Level::Medium, Some("Stable"))));
        assert!(!filter.keeps(&sigma(Level::Low, Some("stable"))));
        assert!(!filter.keeps(&sigma(Level::High, Some("experimental"))));
        assert!(
            !filter.keeps(&sigma(Level::High, None)),
            "no status, none asked for"
        );
        let mut ours = sigma(Level::Informational, None);
        ours.extension = Some(Extension {
            role: Role::Context,
            category: None,
            step: None,
            window: Window::default(),
            keys: vec![],
            explain: None,
            fix: None,
            says_why: false,
        });
        assert!(
            filter.keeps(&ours),
            "correlation reads dropcause's own rules"
        );
        assert!(AlertFilter::default().keeps(&sigma(Level::Informational, None)));
        assert!(AlertFilter::default().is_empty() && !filter.is_empty());
    }
}
