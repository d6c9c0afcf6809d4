//! Calendar dates and RFC 3339 timestamps, just enough for triage: ignore entries
//! expire on a day, and VEX statements are ordered by when they were made.
//!
//! Hand-rolled rather than a date crate: two parsers and the civil-calendar
//! arithmetic below are all triage needs, and expiry must be judged in UTC by the
//! wall clock (not `SOURCE_DATE_EPOCH`, which only stamps documents).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day of the proleptic Gregorian calendar. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting days the month does not have.
    pub fn parse(s: &str) -> Result<Date, String> {
        let invalid = || format!("invalid date {s:?}: expected YYYY-MM-DD");
        let bytes = s.as_bytes();
        if bytes.len() != 10 || !s.is_ascii() || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid());
        }
        let year = digits(&s[0..4]).ok_or_else(invalid)? as i32;
        let month = digits(&s[5..7]).ok_or_else(invalid)? as u8;
        let day = digits(&s[8..10]).ok_or_else(invalid)? as u8;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(format!("invalid date {s:?}: there is no such day"));
        }
        Ok(Date { year, month, day })
    }

    /// Today in UTC, by the system clock.
    pub fn today() -> Date {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default();
        Date::from_days(secs.div_euclid(86_400))
    }

    /// The date `days` days after 1970-01-01.
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let (month, day) = (i64::from(self.month), i64::from(self.day));
        let year = i64::from(self.year) - i64::from(month <= 2);
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Date::parse(s.trim()).map_err(serde::de::Error::custom)
    }
}

/// An instant as (seconds, nanoseconds) since the Unix epoch in UTC; orders
/// chronologically whatever offset the text was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    secs: i64,
    nanos: u32,
}

impl Timestamp {
    /// Parses RFC 3339 (`2023-01-08T18:02:03.647787998-06:00`, `…Z`), which is what
    /// OpenVEX requires.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let invalid = || format!("invalid timestamp {s:?}: expected RFC 3339, like 2024-01-31T12:00:00Z");
        if s.len() < 20 || !s.is_ascii() {
            return Err(invalid());
        }
        let date = Date::parse(&s[..10]).map_err(|_| invalid())?;
        let (sep, time, rest) = (s.as_bytes()[10], &s[11..19], &s[19..]);
        if !matches!(sep, b'T' | b't' | b' ') || time.as_bytes()[2] != b':' || time.as_bytes()[5] != b':' {
            return Err(invalid());
        }
        let (hour, minute, second) = (
            digits(&time[0..2]).ok_or_else(invalid)?,
            digits(&time[3..5]).ok_or_else(invalid)?,
            digits(&time[6..8]).ok_or_else(invalid)?,
        );
        // 60 admits a leap second.
        if hour > 23 || minute > 59 || second > 60 {
            return Err(invalid());
        }
        let (nanos, zone) = match rest.strip_prefix('.') {
            Some(frac) => {
                let len = frac.bytes().take_while(u8::is_ascii_digit).count();
                if len == 0 {
                    return Err(invalid());
                }
                let padded: String = frac[..len].chars().chain(std::iter::repeat('0')).take(9).collect();
                (digits(&padded).ok_or_else(invalid)? as u32, &frac[len..])
            }
            None => (0, rest),
        };
        let offset = match zone {
            "Z" | "z" => 0,
            _ if zone.len() == 6 && matches!(zone.as_bytes()[0], b'+' | b'-') && zone.as_bytes()[3] == b':' => {
                let (h, m) = (digits(&zone[1..3]).ok_or_else(invalid)?, digits(&zone[4..6]).ok_or_else(invalid)?);
                if h > 23 || m > 59 {
                    return Err(invalid());
                }
                let minutes = (h * 60 + m) as i64;
                if zone.starts_with('-') {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return Err(invalid()),
        };
        let local = date.days() * 86_400 + (hour * 3600 + minute * 60 + second) as i64;
        Ok(Timestamp { secs: local - offset * 60, nanos })
    }
}

/// A run of ASCII digits as a number; `None` for anything else (signs included).
fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly_and_print_back() {
        assert_eq!(Date::parse("2027-01-31").unwrap().to_string(), "2027-01-31");
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in ["2023-02-29", "1900-02-29", "2027-13-01", "2027-00-10", "2027-04-31", "2027-1-31", "31.01.2027"] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2027-01-31").unwrap() < Date::parse("2027-02-01").unwrap());
    }

    #[test]
    fn days_round_trip_through_the_calendar() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(19_675).to_string(), "2023-11-14");
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(days).days(), days);
        }
    }

    #[test]
    fn timestamps_honour_offsets_and_fractions() {
        let z = Timestamp::parse("2023-01-09T00:02:03Z").unwrap();
        let offset = Timestamp::parse("2023-01-08T18:02:03-06:00").unwrap();
        assert_eq!(z, offset);
        assert_eq!(z.secs, 1_673_222_523);
        let later = Timestamp::parse("2023-01-08T18:02:03.647787998-06:00").unwrap();
        assert!(later > offset);
        assert_eq!(later.nanos, 647_787_998);
        assert_eq!(Timestamp::parse("2023-01-08T18:02:03.5+01:00").unwrap().nanos, 500_000_000);
        for bad in [
            "2023-01-08",
            "2023-01-08T18:02:03",
            "2023-01-08T25:02:03Z",
            "2023-01-08T18:02:03.Z",
            "2023-01-08T18:02:03é",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }
}
