//! Wall-clock times every layer needs: the stamp written into documents and databases
//! (`advisory::db` stamps its header, reports stamp SBOMs) and the age of a database.
//! Kept apart from [`crate::report`] so that building a database does not depend on
//! the report formats.

use jiff::{tz::Offset, Timestamp};

/// The time stamped into documents: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds convention), else now. RFC 3339 in UTC, seconds precision.
pub fn timestamp() -> String {
    stamp(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(), Timestamp::now())
}

/// The stamp for a `SOURCE_DATE_EPOCH` value, or `now` when it is unset or is not a
/// whole number of seconds jiff can represent (years past 9999 included).
fn stamp(source_date_epoch: Option<&str>, now: Timestamp) -> String {
    let epoch_seconds = source_date_epoch
        .and_then(|s| s.trim().parse::<u64>().ok())
        .and_then(|secs| i64::try_from(secs).ok())
        .and_then(|secs| Timestamp::from_second(secs).ok());
    let at = epoch_seconds.unwrap_or(now);
    // Whole seconds: the fraction is dropped, and jiff prints none when it is zero.
    Timestamp::from_second(at.as_second()).unwrap_or(at).to_string()
}

/// Whole days between an RFC 3339 time (or one without an offset, taken as UTC) and
/// now; `None` when it does not parse or lies in the future.
pub fn age_days(rfc3339: &str) -> Option<u64> {
    age_days_at(rfc3339, Timestamp::now())
}

fn age_days_at(rfc3339: &str, now: Timestamp) -> Option<u64> {
    let text = rfc3339.trim();
    let then = match text.parse::<Timestamp>() {
        Ok(then) => then,
        Err(_) => Offset::UTC.to_timestamp(text.parse::<jiff::civil::DateTime>().ok()?).ok()?,
    };
    let seconds = now.duration_since(then).as_secs();
    u64::try_from(seconds).ok().map(|secs| secs / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn ages_are_whole_days_and_unparsable_or_future_times_have_none() {
        let now = at("2026-03-04T12:00:00Z");
        assert_eq!(age_days_at("2026-03-01T11:59:00Z", now), Some(3));
        assert_eq!(age_days_at("2026-03-01T12:00:01Z", now), Some(2));
        assert_eq!(age_days_at("2026-03-01T11:59:00.123456Z", now), Some(3));
        // An offset is honoured: 14:00 at +05:00 is 09:00 UTC, 08:00 at -05:00 is 13:00 UTC.
        assert_eq!(age_days_at("2026-03-01T14:00:00+05:00", now), Some(3));
        assert_eq!(age_days_at("2026-03-01T14:00:00Z", now), Some(2));
        assert_eq!(age_days_at("2026-03-01T08:00:00-05:00", now), Some(2));
        assert_eq!(age_days_at("2026-03-01T08:00:00Z", now), Some(3));
        assert_eq!(age_days_at("2026-03-01T11:59:00", now), Some(3));
        assert_eq!(age_days_at("not a time", now), None);
        assert_eq!(age_days_at("2999-01-01T00:00:00Z", now), None);
        assert_eq!(age_days("2999-01-01T00:00:00Z"), None);
        assert_eq!(age_days("2000-01-01T00:00:00Z").map(|days| days > 9000), Some(true));
    }

    #[test]
    fn stamps_are_utc_seconds_and_honour_source_date_epoch() {
        let now = at("2026-03-04T12:00:00.987654321+01:00");
        assert_eq!(stamp(None, now), "2026-03-04T11:00:00Z");
        assert_eq!(stamp(Some("1700000000"), now), "2023-11-14T22:13:20Z");
        assert_eq!(stamp(Some(" 0\n"), now), "1970-01-01T00:00:00Z");
        // Not a count of seconds, or beyond year 9999: now, rather than a panic or garbage.
        for ignored in ["", "-1", "1.5", "soon", "18446744073709551615", "253402300800"] {
            assert_eq!(stamp(Some(ignored), now), "2026-03-04T11:00:00Z", "{ignored:?}");
        }
    }
}
