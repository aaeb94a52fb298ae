//! Time zones for display, RFC 3339 formatting, and the `--around`/`--window`
//! zoom. Events are kept in UTC everywhere; only renderers convert.

use chrono::{
    DateTime, FixedOffset, Local, NaiveDateTime, Offset, SecondsFormat, TimeZone as _, Utc,
};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The zone timestamps are shown in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeZone {
    /// Coordinated Universal Time (the default).
    #[default]
    Utc,
    /// The zone of the machine running dropcause.
    Local,
    /// A fixed offset such as `+02:00`.
    Fixed(FixedOffset),
    /// An IANA zone such as `Europe/Berlin` (daylight saving applied per instant).
    Named(chrono_tz::Tz),
}

/// A time zone name that is none of `UTC`, `local`, `+HH:MM` or an IANA name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone `{0}`: use UTC, local, an offset like +02:00, or an IANA name like Europe/Berlin"
)]
pub struct UnknownTimeZone(pub String);

/// A time given to `--around` that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read time `{0}`: use RFC 3339 (2024-05-14T09:41:07Z) or `2024-05-14 09:41:07` in the chosen zone"
)]
pub struct BadTime(pub String);

impl FromStr for TimeZone {
    type Err = UnknownTimeZone;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(TimeZone::Utc);
        }
        if t.eq_ignore_ascii_case("local") {
            return Ok(TimeZone::Local);
        }
        if t.starts_with(['+', '-']) {
            return parse_offset(t)
                .map(TimeZone::Fixed)
                .ok_or_else(|| UnknownTimeZone(text.to_string()));
        }
        t.parse::<chrono_tz::Tz>()
            .map(TimeZone::Named)
            .map_err(|_| UnknownTimeZone(text.to_string()))
    }
}

/// `+02:00`, `-0530`, `+02` -> offset.
fn parse_offset(t: &str) -> Option<FixedOffset> {
    let sign = if t.starts_with('-') { -1 } else { 1 };
    let digits: String = t[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeZone::Utc => f.write_str("UTC"),
            TimeZone::Local => f.write_str("local"),
            TimeZone::Fixed(o) => write!(f, "{o}"),
            TimeZone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl TimeZone {
    /// The instant in this zone, as a fixed-offset time.
    pub fn convert(&self, t: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            TimeZone::Utc => t.fixed_offset(),
            TimeZone::Local => t.with_timezone(&Local).fixed_offset(),
            TimeZone::Fixed(o) => t.with_timezone(o),
            TimeZone::Named(tz) => {
                let local = t.with_timezone(tz);
                local.with_timezone(&local.offset().fix())
            }
        }
    }

    /// RFC 3339 with microseconds, e.g. `2024-05-14T09:41:07.500000Z` or
    /// `2024-05-14T11:41:07.500000+02:00`.
    pub fn format(&self, t: DateTime<Utc>) -> String {
        match self {
            TimeZone::Utc => t.to_rfc3339_opts(SecondsFormat::Micros, true),
            _ => self
                .convert(t)
                .to_rfc3339_opts(SecondsFormat::Micros, false),
        }
    }

    /// The date (`2024-05-14`) and the time of day (`09:41:07.500`) apart, for
    /// layouts that print the date once.
    pub fn date_and_clock(&self, t: DateTime<Utc>) -> (String, String) {
        let local = self.convert(t);
        (
            local.format("%Y-%m-%d").to_string(),
            local.format("%H:%M:%S%.3f").to_string(),
        )
    }

    /// Reads `--around`: RFC 3339 (any offset), or a date and time without offset
    /// taken in this zone (`2024-05-14 09:41:07`, `2024-05-14T09:41`).
    pub fn parse_time(&self, text: &str) -> Result<DateTime<Utc>, BadTime> {
        let t = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(dt.with_timezone(&Utc));
        }
        let formats = [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ];
        let naive = formats
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .ok_or_else(|| BadTime(text.to_string()))?;
        let resolved = match self {
            TimeZone::Utc => Some(naive.and_utc()),
            TimeZone::Local => Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.to_utc()),
            TimeZone::Fixed(o) => o.from_local_datetime(&naive).single().map(|d| d.to_utc()),
            TimeZone::Named(tz) => tz
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.to_utc()),
        };
        resolved.ok_or_else(|| BadTime(text.to_string()))
    }
}

/// Keep only what happened within `window` of `around` (`--around`, `--window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Zoom {
    /// The instant to look around.
    pub around: DateTime<Utc>,
    /// How far before and after it.
    #[serde(with = "crate::vocab::duration_text")]
    pub window: Duration,
}

impl Zoom {
    /// True when `t` is within the window.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let lo = self
            .around
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let hi = self
            .around
            .checked_add_signed(window)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        (lo..=hi).contains(&t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn zones_parse_from_their_names() {
        assert_eq!("utc".parse(), Ok(TimeZone::Utc));
        assert_eq!("local".parse(), Ok(TimeZone::Local));
        assert_eq!(
            "+02:00".parse(),
            Ok(TimeZone::Fixed(FixedOffset::east_opt(7200).unwrap()))
        );
        assert_eq!(
            "-0530".parse(),
            Ok(TimeZone::Fixed(FixedOffset::west_opt(19800).unwrap()))
        );
        assert_eq!(
            "Europe/Berlin".parse(),
            Ok(TimeZone::Named(chrono_tz::Europe::Berlin))
        );
        assert!("Mars/Olympus".parse::<TimeZone>().is_err());
        assert!("+25:00".parse::<TimeZone>().is_err());
        assert_eq!(
            "Europe/Berlin".parse::<TimeZone>().unwrap().to_string(),
            "Europe/Berlin"
        );
    }

    #[test]
    fn times_format_as_rfc3339_in_the_zone_with_daylight_saving() {
        let winter = t("2024-01-10T09:41:07.5Z");
        let summer = t("2024-07-10T09:41:07.5Z");
        assert_eq!(TimeZone::Utc.format(winter), "2024-01-10T09:41:07.500000Z");
        let berlin = TimeZone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(berlin.format(winter), "2024-01-10T10:41:07.500000+01:00");
        assert_eq!(berlin.format(summer), "2024-07-10T11:41:07.500000+02:00");
        let fixed: TimeZone = "-05:00".parse().unwrap();
        assert_eq!(fixed.format(winter), "2024-01-10T04:41:07.500000-05:00");
        assert_eq!(
            berlin.date_and_clock(summer),
            ("2024-07-10".to_string(), "11:41:07.500".to_string())
        );
    }

    #[test]
    fn around_is_read_in_the_chosen_zone_unless_it_has_an_offset() {
        let berlin = TimeZone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(
            berlin.parse_time("2024-07-10 11:41:07"),
            Ok(t("2024-07-10T09:41:07Z"))
        );
        assert_eq!(
            berlin.parse_time("2024-07-10T09:41:07Z"),
            Ok(t("2024-07-10T09:41:07Z"))
        );
        assert_eq!(
            TimeZone::Utc.parse_time("2024-07-10T09:41"),
            Ok(t("2024-07-10T09:41:00Z"))
        );
        assert!(TimeZone::Utc.parse_time("yesterday").is_err());
    }

    #[test]
    fn zoom_keeps_both_edges_of_the_window() {
        let zoom = Zoom {
            around: t("2024-07-10T09:00:00Z"),
            window: Duration::from_secs(600),
        };
        assert!(zoom.contains(t("2024-07-10T08:50:00Z")));
        assert!(zoom.contains(t("2024-07-10T09:10:00Z")));
        assert!(!zoom.contains(t("2024-07-10T09:10:00.001Z")));
        let huge = Zoom {
            around: zoom.around,
            window: Duration::MAX,
        };
        assert!(huge.contains(DateTime::<Utc>::MIN_UTC));
    }
}
