//! `dropcause explain CODE [EXTENDED]`: what an error code means, what to look
//! for on the server, and which rules look for that failure.

use crate::event::codes::{self, Family};
use crate::rules::{Category, RuleInfo};
use crate::vocab::DecodedCode;
use serde::Serialize;
use std::sync::Arc;

/// One reading of a code against one code family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reading {
    /// The family it was read against.
    pub family: Family,
    /// The decoded value.
    pub decoded: DecodedCode,
    /// The failure family it points to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<Category>,
}

/// A rule that looks for the failure a code points to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRef {
    /// The rule's id.
    pub id: String,
    /// The rule's title.
    pub title: String,
    /// Why it is listed: its category, or that its text names the code.
    pub why: String,
}

/// What a code (and its extended code) means, and where to look next.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The code as given.
    pub code: i64,
    /// The extended code, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended: Option<i64>,
    /// Every family the code is known in, most likely first.
    pub readings: Vec<Reading>,
    /// The extended code's reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_reading: Option<Reading>,
    /// The explanation in a few sentences.
    pub summary: String,
    /// What to look for in the server's logs.
    pub look_for: Vec<String>,
    /// Rules that look for the failure.
    pub rules: Vec<RuleRef>,
}

/// What to look for on the server, per failure family.
const LOOK_FOR: &[(Category, &str)] = &[
    (
        Category::Certificate,
        "System: RemoteConnectionManager 1053/1055/1057/1058 (listener certificate expired, private key unreadable, self-signed certificate not created or not replaced) and Schannel 36870 (0x8009030D, state 10001), 36871, 36874, 36888 in the same second as the attempt",
    ),
    (
        Category::Configuration,
        "System: RemoteConnectionManager 1070/1071 (drain mode, logons disabled with chglogon) and LSM 40 with reason 7",
    ),
    (
        Category::Licensing,
        "System and RemoteConnectionManager/Admin: 1068/1069/1128/1130/1131 (licensing mode, grace period, license server) and per connection 1004/1011/1028/1043",
    ),
    (
        Category::Service,
        "System: Service Control Manager 7031/7034/7023/7036 for TermService, UmRdpService or SessionEnv, and LSM 18 (Remote Desktop Service shut down)",
    ),
    (
        Category::Power,
        "System: User32 1074, EventLog 6005/6006/6008, Kernel-Power 41/42 and LSM 54 (shutdown, reboot, crash, sleep)",
    ),
    (
        Category::Network,
        "RdpCoreTS 142/143/226 (socket read/write failed, 0x80070040), TermDD 50/56, and on either side NetworkProfile 10001, WLAN-AutoConfig 8003, NDIS 10400",
    ),
    (
        Category::Authentication,
        "Security 4625 (Status/SubStatus), 4825, RdpCoreTS 140, RemoteConnectionManager 1012/1041",
    ),
    (
        Category::Resource,
        "LSM 40 reasons 3/4/6, LSM 43-45 and 48-53 (components too slow), RemoteConnectionManager 1036",
    ),
    (
        Category::SecurityProduct,
        "Antivirus, EDR or firewall events in System and Application near the failure",
    ),
];

/// Combinations of client and extended codes that say more together.
const COMBINATIONS: &[(i64, i64, &str, &[Category])] = &[(
    2308,
    7,
    "The server set \"server denied connection\" and then closed the socket. Most often the RDP listener's certificate or its private key is expired, corrupt or unreadable (Schannel 36870 with 0x8009030D); also check for drain mode or disabled logons.",
    &[Category::Certificate, Category::Configuration],
)];

/// Explains `code` (with `extended`, the client's extended reason). `family`
/// forces how `code` is read; otherwise it is read against every family that
/// knows it, the client's error code first. `rules` are listed when their
/// category matches or their text names the code.
pub fn explain(
    code: i64,
    extended: Option<i64>,
    family: Option<Family>,
    rules: &[Arc<RuleInfo>],
) -> Explanation {
    let readings = readings(code, extended, family);
    let extended_reading = extended.map(|x| reading(Family::ExtendedReason, x));
    let combination = extended.and_then(|x| {
        COMBINATIONS
            .iter()
            .find(|(c, e, _, _)| *c == code && *e == x)
    });
    let mut categories: Vec<Category> = Vec::new();
    let mut add = |c: Option<Category>| {
        if let Some(c) = c.filter(|c| !categories.contains(c)) {
            categories.push(c);
        }
    };
    combination
        .into_iter()
        .flat_map(|(_, _, _, cats)| cats.iter())
        .for_each(|c| add(Some(*c)));
    add(extended_reading.as_ref().and_then(|r| r.category));
    readings.iter().for_each(|r| add(r.category));
    let look_for = categories
        .iter()
        .filter_map(|c| LOOK_FOR.iter().find(|(k, _)| k == c))
        .map(|(_, text)| text.to_string())
        .collect();
    let summary = summary(
        &readings,
        extended_reading.as_ref(),
        combination.map(|c| c.2),
    );
    Explanation {
        code,
        extended,
        rules: matching_rules(code, extended, &categories, rules),
        readings,
        extended_reading,
        summary,
        look_for,
    }
}

fn reading(family: Family, code: i64) -> Reading {
    Reading {
        family,
        decoded: codes::decode(family, code),
        category: codes::category(family, code),
    }
}

/// The families to read `code` in: the one asked for; the client's error code
/// when an extended code is given; else every family that knows the value
/// (or its structure, when none does).
fn readings(code: i64, extended: Option<i64>, family: Option<Family>) -> Vec<Reading> {
    if let Some(f) = family {
        return vec![reading(f, code)];
    }
    if extended.is_some() {
        return vec![reading(Family::ClientReason, code)];
    }
    let known: Vec<Reading> = Family::ALL
        .into_iter()
        .filter(|f| codes::lookup(*f, code).is_some())
        .map(|f| reading(f, code))
        .collect();
    if known.is_empty() {
        vec![reading(Family::Status, code)]
    } else {
        known
    }
}

fn summary(readings: &[Reading], extended: Option<&Reading>, combination: Option<&str>) -> String {
    let mut parts: Vec<String> = readings
        .iter()
        .map(|r| {
            format!(
                "As a {}: {} ({}) - {}.",
                r.family.describe(),
                r.decoded.shown(),
                r.decoded.name,
                r.decoded.meaning
            )
        })
        .collect();
    if let Some(x) = extended {
        parts.push(format!(
            "Extended reason {} ({}): {}.",
            x.decoded.shown(),
            x.decoded.name,
            x.decoded.meaning
        ));
    }
    if let Some(text) = combination {
        parts.push(text.to_string());
    }
    parts.join(" ")
}

/// Rules whose category is among `categories`, or whose title, description or
/// explanation names the code (in hex, or in decimal when it has 3+ digits).
fn matching_rules(
    code: i64,
    extended: Option<i64>,
    categories: &[Category],
    rules: &[Arc<RuleInfo>],
) -> Vec<RuleRef> {
    let needles: Vec<String> = std::iter::once(code)
        .chain(extended)
        .flat_map(|c| {
            let mut n = vec![format!("{c:#x}"), codes::hex(c).to_ascii_lowercase()];
            if c >= 100 {
                n.push(c.to_string());
            }
            n
        })
        .collect();
    rules
        .iter()
        .filter_map(|rule| {
            let text = rule_text(rule).to_ascii_lowercase();
            let why = if let Some(n) = needles.iter().find(|n| mentions(&text, n)) {
                format!("mentions {n}")
            } else {
                let cat = rule.category().filter(|c| categories.contains(c))?;
                format!("category {cat}")
            };
            Some(RuleRef {
                id: rule.id.to_string(),
                title: rule.title.to_string(),
                why,
            })
        })
        .collect()
}

fn rule_text(rule: &RuleInfo) -> String {
    let ext = rule.extension.as_ref();
    [
        &*rule.title,
        rule.description.as_str(),
        ext.and_then(|e| e.explain.as_deref()).unwrap_or(""),
    ]
    .join("\n")
}

/// True when `needle` occurs in `text` as a whole word (not inside a longer number).
fn mentions(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::testkit::cause_rule as rule;

    #[test]
    fn socket_closed_with_server_denied_points_to_the_certificate() {
        let rules = [
            rule("cert", Some(Category::Certificate), "key unreadable"),
            rule("lic", Some(Category::Licensing), "grace period"),
            rule("client", None, "client error 0x904"),
        ];
        let e = explain(0x904, Some(7), None, &rules);
        assert_eq!(e.readings.len(), 1);
        assert_eq!(e.readings[0].decoded.code, 2308);
        assert_eq!(e.readings[0].decoded.name, "AtClientWinsockFDCLOSE");
        let ext = e.extended_reading.as_ref().expect("extended read");
        assert_eq!(ext.decoded.name, "exDiscReasonServerDeniedConnection");
        assert!(e.summary.contains("server denied connection"));
        assert!(e.look_for[0].contains("36870"));
        let ids: Vec<_> = e.rules.iter().map(|r| &*r.id).collect();
        assert_eq!(ids, ["cert", "client"]);
        assert_eq!(e.rules[1].why, "mentions 0x904");
    }

    #[test]
    fn a_bare_value_is_read_in_every_family_that_knows_it() {
        let e = explain(7, None, None, &[]);
        let families: Vec<_> = e.readings.iter().map(|r| r.family).collect();
        assert_eq!(
            families,
            [
                Family::ExtendedReason,
                Family::ServerReason,
                Family::Licensing
            ]
        );
        let forced = explain(7, None, Some(Family::Licensing), &[]);
        assert_eq!(forced.readings[0].decoded.name, "STATUS_VALID_CLIENT");
    }

    #[test]
    fn unknown_values_are_decoded_by_structure() {
        let e = explain(0x8009_030D, None, None, &[]);
        assert_eq!(e.readings[0].decoded.name, "SEC_E_UNKNOWN_CREDENTIALS");
        assert_eq!(e.readings[0].category, Some(Category::Certificate));
        let odd = explain(0x8007_2745, None, None, &[]);
        assert_eq!(odd.readings[0].decoded.name, "0x80072745");
        assert!(odd.look_for.is_empty());
    }

    #[test]
    fn numbers_inside_longer_numbers_are_not_mentions() {
        assert!(mentions("error 2308 seen", "2308"));
        assert!(!mentions("error 23081", "2308"));
        assert!(!mentions("0x9041", "0x904"));
    }
}
