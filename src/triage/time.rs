//! Calendar dates and RFC 3339 timestamps, just enough for triage: ignore entries
//! expire on a day, and VEX statements are ordered by when they were made.
//!
//! The calendar itself is `jiff`'s (already linked for Sigstore verification); this
//! module keeps the shapes triage accepts strict (`YYYY-MM-DD`, RFC 3339 with seconds
//! and an offset) and its error messages stable. Expiry is judged in UTC by the wall
//! clock, not `SOURCE_DATE_EPOCH`, which only stamps documents.

use std::fmt;

/// A day of the proleptic Gregorian calendar. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(jiff::civil::Date);

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting days the month does not have.
    pub fn parse(s: &str) -> Result<Date, String> {
        let invalid = || format!("invalid date {s:?}: expected YYYY-MM-DD");
        let bytes = s.as_bytes();
        if bytes.len() != 10 || !s.is_ascii() || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(invalid());
        }
        let year = digits(&s[0..4]).ok_or_else(invalid)?;
        let month = digits(&s[5..7]).ok_or_else(invalid)?;
        let day = digits(&s[8..10]).ok_or_else(invalid)?;
        // Four, two and two digits: all fit the narrower types jiff takes.
        jiff::civil::Date::new(year as i16, month as i8, day as i8).map(Date).map_err(|_| {
            if month == 2 && day == 29 {
                format!("invalid date {s:?}: there is no such day ({year} is not a leap year)")
            } else {
                format!("invalid date {s:?}: there is no such day")
            }
        })
    }

    /// Today in UTC, by the system clock.
    pub fn today() -> Date {
        Date(jiff::tz::Offset::UTC.to_datetime(jiff::Timestamp::now()).date())
    }

    /// The day before this one.
    pub fn previous_day(self) -> Date {
        // Only fails before -9999-01-01, which `parse` cannot produce (years are 4 digits).
        self.0.yesterday().map(Date).unwrap_or(self)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.0.year(), self.0.month(), self.0.day())
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Date::parse(s.trim()).map_err(serde::de::Error::custom)
    }
}

/// An instant on the UTC time line; orders chronologically whatever offset the text
/// was written in. The default is the Unix epoch (a statement without a time sorts first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// Parses RFC 3339 (`2023-01-08T18:02:03.647787998-06:00`, `…Z`), which is what
    /// OpenVEX requires.
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        let invalid = || format!("invalid timestamp {s:?}: expected RFC 3339, like 2024-01-31T12:00:00Z");
        // jiff reads the wider ISO 8601/Temporal grammar (basic format, minutes without
        // seconds, `[zone]` annotations); RFC 3339 is the extended date, full time with
        // seconds, then an offset: check that shape first, then let jiff do the calendar.
        let bytes = s.as_bytes();
        let rfc3339_shape = bytes.len() >= 20
            && s.is_ascii()
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && matches!(bytes[10], b'T' | b't' | b' ')
            && bytes[13] == b':'
            && bytes[16] == b':'
            && matches!(bytes[19], b'.' | b'Z' | b'z' | b'+' | b'-')
            && rfc3339_offset(s);
        if !rfc3339_shape {
            return Err(invalid());
        }
        s.parse::<jiff::Timestamp>().map(Timestamp).map_err(|_| invalid())
    }
}

/// Whether `s` ends in an RFC 3339 offset: `Z` or `±HH:MM` with hours up to 23 (jiff
/// also reads `±HH`, `±HHMM`, seconds and hours up to 25, and `[zone]` annotations).
fn rfc3339_offset(s: &str) -> bool {
    if s.ends_with(['Z', 'z']) {
        return true;
    }
    let Some(offset) = s.len().checked_sub(6).and_then(|start| s.get(start..)) else { return false };
    let bytes = offset.as_bytes();
    matches!(bytes[0], b'+' | b'-')
        && bytes[3] == b':'
        && digits(&offset[1..3]).is_some_and(|hours| hours <= 23)
        && digits(&offset[4..6]).is_some_and(|minutes| minutes <= 59)
}

/// A run of ASCII digits as a number; `None` for anything else (signs included).
fn digits(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly_and_print_back() {
        assert_eq!(Date::parse("2027-01-31").unwrap().to_string(), "2027-01-31");
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("2000-02-29").unwrap().to_string(), "2000-02-29");
        assert_eq!(Date::parse("0001-01-01").unwrap().to_string(), "0001-01-01");
        for bad in ["2027-1-31", "31.01.2027", "+027-01-31", "2027-01-3١", "2027-01-31 "] {
            assert_eq!(Date::parse(bad), Err(format!("invalid date {bad:?}: expected YYYY-MM-DD")));
        }
        // The right shape, but no such month.
        for bad in ["2027-13-01", "2027-00-10"] {
            assert_eq!(Date::parse(bad), Err(format!("invalid date {bad:?}: there is no such day")));
        }
        assert_eq!(Date::parse("2027-04-31"), Err("invalid date \"2027-04-31\": there is no such day".to_string()));
        assert!(Date::parse("2027-01-31").unwrap() < Date::parse("2027-02-01").unwrap());
    }

    #[test]
    fn february_29_of_a_common_year_is_refused_naming_the_year() {
        assert_eq!(
            Date::parse("2023-02-29"),
            Err("invalid date \"2023-02-29\": there is no such day (2023 is not a leap year)".to_string())
        );
        // Divisible by 100 but not by 400: not a leap year.
        assert_eq!(
            Date::parse("1900-02-29"),
            Err("invalid date \"1900-02-29\": there is no such day (1900 is not a leap year)".to_string())
        );
        assert_eq!(Date::parse("2024-02-30"), Err("invalid date \"2024-02-30\": there is no such day".to_string()));
    }

    #[test]
    fn the_previous_day_crosses_months_years_and_leap_days() {
        let previous = |s: &str| Date::parse(s).unwrap().previous_day().to_string();
        assert_eq!(previous("2027-01-01"), "2026-12-31");
        assert_eq!(previous("2024-03-01"), "2024-02-29");
        assert_eq!(previous("2023-03-01"), "2023-02-28");
        assert_eq!(previous("1970-01-01"), "1969-12-31");
    }

    #[test]
    fn today_is_the_utc_day_of_the_system_clock() {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let utc_day = jiff::Timestamp::from_second(secs - secs.rem_euclid(86_400)).unwrap().to_string();
        let today = Date::today().to_string();
        // Midnight may pass between the two readings.
        let tomorrow = Date::parse(&utc_day[..10]).unwrap().0.tomorrow().unwrap();
        assert!(today == utc_day[..10] || today == Date(tomorrow).to_string(), "{today} vs {utc_day}");
    }

    #[test]
    fn timestamps_honour_offsets_and_fractions() {
        let z = Timestamp::parse("2023-01-09T00:02:03Z").unwrap();
        let offset = Timestamp::parse("2023-01-08T18:02:03-06:00").unwrap();
        assert_eq!(z, offset);
        assert_eq!(z.0.as_second(), 1_673_222_523);
        let later = Timestamp::parse("2023-01-08T18:02:03.647787998-06:00").unwrap();
        assert!(later > offset);
        assert_eq!(later.0.subsec_nanosecond(), 647_787_998);
        assert_eq!(Timestamp::parse("2023-01-08T18:02:03.5+01:00").unwrap().0.subsec_nanosecond(), 500_000_000);
        assert_eq!(Timestamp::parse("2023-01-09t00:02:03z"), Ok(z));
        assert_eq!(Timestamp::parse("2023-01-08 18:02:03-06:00"), Ok(offset));
        assert_eq!(Timestamp::default(), Timestamp::parse("1970-01-01T00:00:00Z").unwrap());
        for bad in [
            "2023-01-08",
            "2023-01-08T18:02:03",
            "2023-01-08T25:02:03Z",
            "2023-01-08T18:02:03.Z",
            "2023-01-08T18:02:03é",
            "2023-02-29T00:00:00Z",
            "2023-01-08T18:02Z",
            "20230108T180203Z",
            "2023-01-08T18:02:03Z[Europe/Paris]",
            "2023-01-08T18:02:03+24:00",
            "2023-01-08T18:02:03+05",
            "2023-01-08T18:02:03+0500",
            "2023-01-08T18:02:03+05:00:00",
            "2023-01-08T18:02:03+05:60",
            "yesterday",
        ] {
            assert_eq!(
                Timestamp::parse(bad),
                Err(format!("invalid timestamp {bad:?}: expected RFC 3339, like 2024-01-31T12:00:00Z")),
                "{bad}"
            );
        }
    }

    #[test]
    fn offsets_east_and_west_of_utc_and_across_midnight_order_by_instant() {
        // The same instant written in four zones, one of them on the previous day.
        let instants: Vec<Timestamp> = [
            "2024-03-01T00:30:00+05:30",
            "2024-02-29T19:00:00Z",
            "2024-02-29T14:00:00-05:00",
            "2024-03-01T04:45:00+09:45",
        ]
        .iter()
        .map(|s| Timestamp::parse(s).unwrap())
        .collect();
        assert!(instants.iter().all(|t| *t == instants[0]), "{instants:?}");
        // Later by wall clock but earlier in time: +14:00 is ahead of UTC.
        let kiribati = Timestamp::parse("2024-03-01T08:00:00+14:00").unwrap();
        assert!(kiribati < instants[0]);
        assert_eq!(kiribati.0.to_string(), "2024-02-29T18:00:00Z");
    }
}
