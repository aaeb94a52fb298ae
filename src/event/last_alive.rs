//! When a host was last known to be running before an unexpected shutdown, read
//! from the binary data of EventLog 6008.
//!
//! When Windows boots after a crash, a hang reset or a power loss, the EventLog
//! service writes 6008, "The previous system shutdown at `<time>` on `<date>` was
//! unexpected". The text gives that moment in the host's local time, in its
//! locale's format (`‎4/‎6/‎2012` `9:59:13 AM`), which cannot be read back
//! reliably. The binary data holds the same moment twice, as two `SYSTEMTIME`
//! structures (eight little-endian 16-bit words: year, month, day of week, day,
//! hour, minute, second, milliseconds): the local time first, then UTC. The
//! moment is the last time the host recorded that it was alive, so the crash came
//! then or soon after, and always before the 6008 record itself.

use super::binary::unhex;
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

/// Bytes of one `SYSTEMTIME`.
const SYSTEMTIME_LEN: usize = 16;
/// The most binary data a 6008 holds (Windows writes 64 bytes; some builds less).
const MAX_DATA: usize = 256;
/// How far local time runs ahead of UTC at most (UTC+14) and behind it (UTC-12).
const AHEAD: TimeDelta = TimeDelta::hours(14);
const BEHIND: TimeDelta = TimeDelta::hours(-12);

/// The UTC moment the host was last known to be running, from a 6008's `Binary`
/// (hex text). `None` when the data does not hold two valid `SYSTEMTIME`s, or
/// when the local one is not within a time zone's reach of the UTC one (another
/// layout).
pub fn last_alive(binary: &str) -> Option<DateTime<Utc>> {
    let bytes = unhex(binary.trim(), MAX_DATA)?;
    if bytes.len() < 2 * SYSTEMTIME_LEN {
        return None;
    }
    let local = systemtime(&bytes[..SYSTEMTIME_LEN])?;
    let utc = systemtime(&bytes[SYSTEMTIME_LEN..2 * SYSTEMTIME_LEN])?;
    let zone = local.signed_duration_since(utc);
    // Zones are whole quarter hours from UTC.
    let quarter = TimeDelta::minutes(15).num_milliseconds();
    let in_reach = (BEHIND..=AHEAD).contains(&zone);
    (in_reach && zone.num_milliseconds() % quarter == 0).then_some(utc)
}

/// A `SYSTEMTIME` read as a time with no zone, checked field by field.
fn systemtime(b: &[u8]) -> Option<DateTime<Utc>> {
    let word = |i: usize| u32::from(u16::from_le_bytes([b[2 * i], b[2 * i + 1]]));
    let (year, month, weekday, day) = (word(0), word(1), word(2), word(3));
    let (hour, minute, second, milli) = (word(4), word(5), word(6), word(7));
    // No leap second either: `and_hms_milli_opt` takes 1000 and more as one.
    if milli > 999 {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    if date.weekday().num_days_from_sunday() != weekday {
        return None;
    }
    Some(
        date.and_hms_milli_opt(hour, minute, second, milli)?
            .and_utc(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// A Windows 7 host on US Eastern summer time (python-evtx's system.evtx,
    /// record 13388): "9:59:13 AM on 4/6/2012", logged at 14:07:44 UTC.
    const EASTERN: &str = "DC0704000500060009003B000D001D00DC070400050006000D003B000D001D00\
                           600900003C000000010000006009000000000000B004000001000000BF590000";
    /// A host kept on UTC (plaso's System.evtx, record 1041): both times alike.
    const ON_UTC: &str = "DF070800020019000D0022002C001C03DF070800020019000D0022002C001C03\
                          3C0000003C000000000000000000000000000000000000000100000000000000";

    #[test]
    fn the_second_systemtime_is_the_moment_in_utc() {
        assert_eq!(last_alive(EASTERN), Some(at("2012-04-06T13:59:13.029Z")));
        assert_eq!(last_alive(ON_UTC), Some(at("2015-08-25T13:34:44.796Z")));
        // Only the two times are needed.
        assert_eq!(last_alive(&EASTERN[..64]), last_alive(EASTERN));
    }

    #[test]
    fn data_of_another_layout_is_not_read() {
        // Local and UTC more than a zone apart, or not in whole quarter hours.
        let far = EASTERN.replacen("0D003B00", "1700", 1);
        assert_eq!(last_alive(&far), None);
        let odd = ON_UTC.replacen("22002C00", "22002D00", 1);
        assert_eq!(last_alive(&odd), None);
        // UTC-13 is no zone (UTC+13 is).
        let minus13 = EASTERN.replacen("09003B00", "00003B00", 1);
        assert_eq!(last_alive(&minus13), None);
        // Month 13, a day of week that is not the date's (2015-08-25 was a Tuesday),
        // 1000 ms, a cut SYSTEMTIME, text that is not hex.
        let month = ON_UTC.replacen("DF070800", "DF070D00", 2);
        let weekday = ON_UTC.replacen("08000200", "08000300", 2);
        let leap = ON_UTC.replacen("2C001C03", "2C00E803", 2);
        for junk in [
            &month,
            &weekday,
            &leap,
            &ON_UTC[..60],
            "",
            "0100000000000000",
            "zz",
        ] {
            assert_eq!(last_alive(junk), None, "{junk}");
        }
    }
}
