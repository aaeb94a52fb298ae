//! Scenario files: YAML describing one machine's logs around an incident, and
//! the verdict the analyzer is expected to reach.
//!
//! ```yaml
//! computer: RDS-NET01
//! start: 2024-03-12T07:00:00Z
//! seed: 7
//! expect: { drops: 1, cause: network }
//! events:
//!   - { at: +2h, provider: Microsoft-Windows-TerminalServices-LocalSessionManager, id: 24,
//!       activity: conn1, fields: { User: CORP\alice, SessionID: 2, Address: 10.0.0.5 } }
//!   - { at: +2h5m, provider: Microsoft-Windows-Security-Auditing, id: 4625,
//!       repeat: { count: 5, every: 20s }, fields: { LogonType: 10, TargetUserName: "user{n}" } }
//! noise:
//!   span: 4h
//!   events:
//!     - { every: 20m, provider: Service Control Manager, id: 7036,
//!         fields: { param1: [Windows Update, Print Spooler], param2: running } }
//! ```
//!
//! Offsets (`at`, `every`, `span`) are durations from `start` such as `+90s`,
//! `2m`, `1h30m` or `250ms`. In text field values `{n}` becomes the occurrence
//! number (1-based) of a repeated or background event; a list picks one item
//! at random (seeded, so output is reproducible).

use super::WriterError;
use crate::rules::Category;
use crate::vocab::duration_text::{self, DurationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A scenario as read from its YAML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name of the scenario (the output folder); defaults to the file stem.
    #[serde(default)]
    pub name: String,
    /// One line saying what happens (for the samples table).
    #[serde(default)]
    pub description: String,
    /// `System/Computer` of every event that does not name its own.
    pub computer: String,
    /// When offset `+0s` is.
    pub start: DateTime<Utc>,
    /// Seed of the pseudo-random choices (thread ids, jitter, list picks).
    #[serde(default)]
    pub seed: u64,
    /// What the analyzer should conclude (ignored by the writer).
    pub expect: Expect,
    /// The incident and the sessions around it.
    pub events: Vec<Spanned<EventSpec>>,
    /// Background events repeated over time.
    #[serde(default)]
    pub noise: Option<Noise>,
    /// The file the scenario was loaded from.
    #[serde(skip)]
    pub path: PathBuf,
}

/// The verdict tests of the analysis stages expect for a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// How many session drops the analyzer should report.
    pub drops: u32,
    /// The cause category; `None` (`none` or `null`) for a clean scenario, or
    /// for drops whose logs name no cause.
    #[serde(default, deserialize_with = "cause")]
    pub cause: Option<Category>,
    /// The rule id expected to fire (as a cause, or as the rule of a drop's own
    /// record), when one is specific to the scenario.
    #[serde(default)]
    pub rule: Option<String>,
    /// How many hosts the scenario's Computer names make (a rename makes one
    /// host of two names); unchecked when absent.
    #[serde(default)]
    pub hosts: Option<u32>,
    /// How the server's sessions end, by ending name (`user-logoff`,
    /// `interrupted`, ...): exactly these, and no other server session;
    /// unchecked when empty.
    #[serde(default)]
    pub sessions: BTreeMap<String, u32>,
    /// The outlook of the scenario's host: the level (`ok`, `unknown`,
    /// `watch`, `act-now`) of its most urgent item per topic (`certificate`,
    /// `licensing`, `recurring`; `none` when it has no such item); unchecked
    /// when empty.
    #[serde(default)]
    pub outlook: BTreeMap<String, String>,
    /// When every drop happened (RFC 3339, UTC); unchecked when absent. For
    /// drops dated from a record's data rather than from the record's own time.
    #[serde(default)]
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `none` or a [`Category`] name.
fn cause<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Category>, D::Error> {
    let text: Option<String> = Option::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("none") => Ok(None),
        Some(t) => t.parse::<Category>().map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown cause `{t}`; expected none or one of: {}",
                Category::ALL.map(Category::as_str).join(", ")
            ))
        }),
    }
}

/// One event of the scenario (possibly repeated).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// Offset from `start`, e.g. `+2h5m`.
    #[serde(default)]
    pub at: String,
    /// `Provider/@Name` (or a classic event source name).
    pub provider: String,
    /// The event id.
    pub id: u16,
    /// The channel; defaults to the catalog's.
    #[serde(default)]
    pub channel: Option<String>,
    /// `System/Level`; defaults to the catalog's.
    #[serde(default)]
    pub level: Option<u8>,
    /// `EventID/@Qualifiers`; defaults to the catalog's.
    #[serde(default)]
    pub qualifiers: Option<u16>,
    /// `Correlation/@ActivityID`: a GUID, or a label turned into a stable GUID.
    #[serde(default)]
    pub activity: Option<String>,
    /// `Security/@UserID` as a SID, or `none`; defaults to the provider's.
    #[serde(default)]
    pub user: Option<String>,
    /// `System/Computer`, when not the scenario's (client-side logs).
    #[serde(default)]
    pub computer: Option<String>,
    /// Writes the event `count` times, `every` apart.
    #[serde(default)]
    pub repeat: Option<Repeat>,
    /// Background events only: mean time between occurrences (divided by
    /// `--scale`).
    #[serde(default)]
    pub every: Option<String>,
    /// Field values by name; fields left out take an empty value of their type.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldInput>,
}

/// How often a scenario event is repeated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// Number of occurrences (at least 1).
    pub count: u32,
    /// Time between occurrences.
    pub every: String,
}

/// Background events, spread over `span` from `start`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Noise {
    /// How long the background runs (from `start`).
    pub span: String,
    /// The background events, each with its rate in `every`.
    pub events: Vec<Spanned<EventSpec>>,
}

/// A field value as written in YAML.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum FieldInput {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A large unsigned integer.
    UInt(u64),
    /// Text.
    Text(String),
    /// One of several values, picked at random.
    Choice(Vec<FieldInput>),
}

impl Scenario {
    /// Reads and parses a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, WriterError> {
        let text = std::fs::read_to_string(path).map_err(|source| WriterError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Scenario::parse(&text, path)
    }

    /// Parses scenario text; `path` names it in errors and gives the default name.
    pub fn parse(text: &str, path: &Path) -> Result<Scenario, WriterError> {
        let mut scenario: Scenario = serde_saphyr::from_str(text).map_err(|e| {
            let loc = e.location();
            WriterError::Scenario {
                path: path.to_path_buf(),
                line: loc.map_or(0, |l| l.line()),
                column: loc.map_or(0, |l| l.column()),
                message: first_line(&e.to_string()),
            }
        })?;
        if scenario.name.is_empty() {
            scenario.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        // The name becomes a folder under `-o`: one plain path component, so
        // that nothing is written anywhere else.
        let plain = Path::new(&scenario.name).components().count() == 1
            && matches!(
                Path::new(&scenario.name).components().next(),
                Some(std::path::Component::Normal(_))
            )
            && !scenario.name.contains(['/', '\\', ':']);
        if !plain {
            return Err(WriterError::Scenario {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: format!(
                    "name `{}` must be a plain folder name (no `/`, `\\`, `:`, `..`, and not absolute)",
                    scenario.name
                ),
            });
        }
        scenario.path = path.to_path_buf();
        Ok(scenario)
    }

    /// An error about the part of the file at `at`.
    pub fn error(&self, at: &Location, message: impl std::fmt::Display) -> WriterError {
        WriterError::Scenario {
            path: self.path.clone(),
            line: at.line(),
            column: at.column(),
            message: message.to_string(),
        }
    }
}

/// The rendered YAML error repeats the source and its position; keep the
/// first line without the `error: line L column C:` prefix.
fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((position, message)) if position.contains("column") => message.to_string(),
        _ => line.to_string(),
    }
}

/// Parses an offset such as `+90s`, `2m`, `1h30m`, `1d` or `250ms` (the rules'
/// duration syntax, [`duration_text::parse`], with an optional `+`; empty is 0)
/// into 100 ns ticks.
pub fn parse_offset(text: &str) -> Result<u64, DurationError> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() {
        return Ok(0);
    }
    let d = duration_text::parse(t)?;
    u64::try_from(d.as_nanos() / 100).map_err(|_| DurationError::TooLarge(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "computer: RDS01\nstart: 2024-03-12T07:00:00Z\n\
        expect: { drops: 1, cause: network }\n\
        events:\n  - { at: +1m, provider: X, id: 24, fields: { SessionID: 2, User: [a, b] } }\n";

    #[test]
    fn offsets_combine_units() {
        assert_eq!(parse_offset("+90s"), Ok(900_000_000));
        assert_eq!(parse_offset("1h30m"), Ok(54_000_000_000));
        assert_eq!(parse_offset("250ms"), Ok(2_500_000));
        assert_eq!(parse_offset(""), Ok(0));
        assert!(parse_offset("5x").is_err());
        assert!(parse_offset("m").is_err());
    }

    #[test]
    fn a_name_that_leaves_the_output_folder_is_refused() {
        let base = "computer: H\nstart: 2024-03-11T06:00:00Z\nexpect: { drops: 0 }\nevents: []\n";
        for name in ["../../x", "/tmp/x", "a/b", "..", "c:x"] {
            let text = format!("name: \"{name}\"\n{base}");
            let err = Scenario::parse(&text, Path::new("s.yaml")).expect_err(name);
            assert!(
                err.to_string().contains("plain folder name"),
                "{name}: {err}"
            );
        }
        assert!(Scenario::parse(&format!("name: ok-name\n{base}"), Path::new("s.yaml")).is_ok());
    }

    #[test]
    fn a_scenario_parses_with_its_name_from_the_file() {
        let s = Scenario::parse(MINIMAL, Path::new("dir/net.yaml")).unwrap();
        assert_eq!(s.name, "net");
        assert_eq!(s.expect.cause, Some(Category::Network));
        let e = &s.events[0].value;
        assert_eq!(e.fields["SessionID"], FieldInput::Int(2));
        assert!(matches!(e.fields["User"], FieldInput::Choice(_)));
        assert_eq!(s.events[0].referenced.line(), 5);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let bad = MINIMAL.replace("cause: network", "cause: gremlins");
        let err = Scenario::parse(&bad, Path::new("s.yaml")).unwrap_err();
        match err {
            WriterError::Scenario { line, message, .. } => {
                assert_eq!(line, 3);
                assert!(message.contains("gremlins"), "{message}");
                assert!(!message.starts_with("error"), "{message}");
            }
            other => panic!("unexpected {other}"),
        }
        let none = MINIMAL.replace("cause: network", "cause: none");
        assert_eq!(
            Scenario::parse(&none, Path::new("s.yaml"))
                .unwrap()
                .expect
                .cause,
            None
        );
    }
}
