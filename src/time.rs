//! Wall-clock times every layer needs: the stamp written into documents and databases
//! (`advisory::db` stamps its header, reports stamp SBOMs) and the age of a database.
//! Kept apart from [`crate::report`] so that building a database does not depend on
//! the report formats.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The time stamped into documents: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds convention), else now. RFC 3339, seconds precision.
pub fn timestamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|secs| UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap_or_else(SystemTime::now);
    humantime::format_rfc3339_seconds(now).to_string()
}

/// Whole days between an RFC 3339 time and now; `None` when it does not parse or
/// lies in the future.
pub fn age_days(rfc3339: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(rfc3339.trim_end_matches('Z').split('.').next()?).ok()?;
    Some(SystemTime::now().duration_since(t).ok()?.as_secs() / 86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_whole_days_and_unparsable_or_future_times_have_none() {
        let three_days_ago = SystemTime::now() - Duration::from_secs(3 * 86_400 + 60);
        let stamp = humantime::format_rfc3339_seconds(three_days_ago).to_string();
        assert_eq!(age_days(&stamp), Some(3));
        let with_fraction = humantime::format_rfc3339_millis(three_days_ago).to_string();
        assert_eq!(age_days(&with_fraction), Some(3));
        assert_eq!(age_days("not a time"), None);
        assert_eq!(age_days("2999-01-01T00:00:00Z"), None);
    }
}
