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

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
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

/// The family of failure a cause (or a drop) belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// The RDP listener certificate or its private key: expired, unreadable,
    /// not replaceable, rejected by the client.
    Certificate,
    /// A TLS negotiation failure: no cipher suite or protocol version in common,
    /// a handshake alert; the certificate itself is fine.
    Tls,
    /// RD licensing: grace period, license server, CALs.
    Licensing,
    /// TermService and its companion services stopping, crashing, hanging.
    Service,
    /// Network path, transport and protocol-stream failures.
    Network,
    /// Failed or refused authentication.
    Authentication,
    /// Reboots, shutdowns, crashes, sleep.
    Power,
    /// Memory, handles, time limits and other exhausted resources.
    Resource,
    /// A security product (antivirus, EDR, firewall) interfering.
    SecurityProduct,
    /// Configuration: drain mode, logons disabled, policy.
    Configuration,
}

impl Category {
    /// Every category, in the order reports list them.
    pub const ALL: [Category; 10] = [
        Category::Certificate,
        Category::Tls,
        Category::Licensing,
        Category::Service,
        Category::Network,
        Category::Authentication,
        Category::Power,
        Category::Resource,
        Category::SecurityProduct,
        Category::Configuration,
    ];

    /// The name rules and reports use (`security-product`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Certificate => "certificate",
            Category::Tls => "tls",
            Category::Licensing => "licensing",
            Category::Service => "service",
            Category::Network => "network",
            Category::Authentication => "authentication",
            Category::Power => "power",
            Category::Resource => "resource",
            Category::SecurityProduct => "security-product",
            Category::Configuration => "configuration",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown category `{s}`"))
    }
}

/// A session life-cycle step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// A transport connection reached the server (RCM 261, RdpCoreTS 131/65).
    Connect,
    /// The user authenticated (RCM 1149, 4624 type 3 with NLA).
    Auth,
    /// A session logon (LSM 21/22, 4624 type 10).
    Logon,
    /// A reconnection to an existing session (LSM 25, 4778, 4624 type 7).
    Reconnect,
    /// A session was disconnected (LSM 24/39/40, 4779, RdpCoreTS 102/103).
    Disconnect,
    /// A session logged off (LSM 23, 4634, 4647).
    Logoff,
    /// A connection refused before logon.
    Refused,
}

impl Step {
    /// The name rules and reports use (`connect`, `refused`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::Auth => "auth",
            Step::Logon => "logon",
            Step::Reconnect => "reconnect",
            Step::Disconnect => "disconnect",
            Step::Logoff => "logoff",
            Step::Refused => "refused",
        }
    }
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
    pub fix: Option<String>,
}

/// Sigma's `level`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational.
    #[default]
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// What the rest of the pipeline knows of a rule: its metadata and extension,
/// not its detection logic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleInfo {
    /// The rule's `id` (a UUID in Sigma, or our own slug).
    pub id: String,
    /// The rule's `title`.
    pub title: String,
    /// The rule's `description`.
    pub description: String,
    /// The rule's `level`.
    pub level: Level,
    /// The rule's `references`.
    pub references: Vec<String>,
    /// The `dropcause:` block, if the rule has one.
    pub extension: Option<Extension>,
    /// The file the rule came from (or `<embedded>/...` for built-in rules).
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
}

/// `90s`, `2m`, `1h30m`, `2d` <-> [`Duration`].
pub mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Parses `1h30m`, `90s`, `2d`, `500ms`, or a bare number of seconds.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(Duration::from_secs(secs));
        }
        let mut total = Duration::ZERO;
        let mut rest = text;
        if rest.is_empty() {
            return Err("empty duration".into());
        }
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(format!("`{text}` is not a duration like 90s, 2m or 1h30m"));
            }
            let n: u64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{text}`: number too large"))?;
            rest = &rest[digits..];
            let unit = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let part = match &rest[..unit] {
                "ms" => Duration::from_millis(n),
                "s" => Duration::from_secs(n),
                "m" => Duration::from_secs(n.saturating_mul(60)),
                "h" => Duration::from_secs(n.saturating_mul(3600)),
                "d" => Duration::from_secs(n.saturating_mul(86400)),
                u => {
                    return Err(format!(
                        "`{text}`: unknown unit `{u}` (use ms, s, m, h or d)"
                    ));
                }
            };
            total = total.saturating_add(part);
            rest = &rest[unit..];
        }
        Ok(total)
    }

    /// Writes a duration the way [`parse`] reads it.
    pub fn format(d: Duration) -> String {
        let secs = d.as_secs();
        if d.subsec_millis() != 0 {
            return format!("{}ms", d.as_millis());
        }
        let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        let mut out = String::new();
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if m > 0 {
            out.push_str(&format!("{m}m"));
        }
        if s > 0 || out.is_empty() {
            out.push_str(&format!("{s}s"));
        }
        out
    }

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Text {
            Secs(u64),
            Text(String),
        }
        match Text::deserialize(d)? {
            Text::Secs(s) => Ok(Duration::from_secs(s)),
            Text::Text(t) => parse(&t).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_text::{format, parse};
    use super::*;

    #[test]
    fn durations_read_and_write_in_the_same_form() {
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse("5 minutes").is_err());
        assert!(parse("").is_err());
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::ZERO), "0s");
    }

    #[test]
    fn categories_round_trip_through_their_names() {
        for c in Category::ALL {
            assert_eq!(c.as_str().parse::<Category>(), Ok(c));
        }
        assert!("cert".parse::<Category>().is_err());
    }
}
