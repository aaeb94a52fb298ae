//! The words every stage shares: failure categories, rule levels, session
//! life-cycle steps, decoded codes and durations as rules write them. A leaf module: it imports no stage, and
//! every stage may import it (`rules::extension` and `correlate::model` re-export
//! these under their old paths).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

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
    /// Every step, in life-cycle order.
    pub const ALL: [Step; 7] = [
        Step::Connect,
        Step::Auth,
        Step::Logon,
        Step::Reconnect,
        Step::Disconnect,
        Step::Logoff,
        Step::Refused,
    ];

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

impl Level {
    /// Every level, least severe first.
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    /// The name rules and reports use (`informational`, ..., `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| format!("unknown level `{s}`"))
    }
}

/// A reason or status code and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecodedCode {
    /// The code as logged (decimal).
    pub code: i64,
    /// Its symbolic name, e.g. `SERVER_DENIED_CONNECTION`.
    pub name: String,
    /// What it means, in words.
    pub meaning: String,
}

/// A code in the 8-digit hex form Windows prints (`0x8009030D`).
pub fn hex(code: i64) -> String {
    format!("0x{:08X}", code & 0xFFFF_FFFF)
}

impl DecodedCode {
    /// The code as Windows shows it: status values (past 16 bits) in 8-digit hex
    /// (`0xC00000B5`), reason codes in decimal (`2308`).
    pub fn shown(&self) -> String {
        if self.code > 0xFFFF {
            hex(self.code)
        } else {
            self.code.to_string()
        }
    }
}

/// What `event::codes::parse_code` says of a text that is neither decimal nor
/// hexadecimal, or is past 32 bits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a code: give a decimal number or hex (0x904, c000015b) up to 32 bits")]
pub struct NotACode(pub String);

/// `90s`, `2m`, `1h30m`, `2d` <-> [`std::time::Duration`].
pub mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Why a text is not a duration.
    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    pub enum DurationError {
        /// Nothing was given.
        #[error("empty duration")]
        Empty,
        /// Not numbers each followed by a unit.
        #[error("`{0}` is not a duration like 90s, 2m or 1h30m")]
        Malformed(String),
        /// A number past 64 bits.
        #[error("`{0}`: number too large")]
        TooLarge(String),
        /// A unit other than ms, s, m, h, d.
        #[error("`{text}`: unknown unit `{unit}` (use ms, s, m, h or d)")]
        UnknownUnit {
            /// The whole text.
            text: String,
            /// The unit it used.
            unit: String,
        },
    }

    /// Parses `1h30m`, `90s`, `2d`, `500ms`, or a bare number of seconds (each
    /// part saturates rather than overflows).
    pub fn parse(text: &str) -> Result<Duration, DurationError> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(Duration::from_secs(secs));
        }
        let mut total = Duration::ZERO;
        let mut rest = text;
        if rest.is_empty() {
            return Err(DurationError::Empty);
        }
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 {
                return Err(DurationError::Malformed(text.to_string()));
            }
            let n: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationError::TooLarge(text.to_string()))?;
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
                    return Err(DurationError::UnknownUnit {
                        text: text.to_string(),
                        unit: u.to_string(),
                    });
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
    use std::time::Duration;

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
