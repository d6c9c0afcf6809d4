//! When and how long to wait before trying an HTTP request again, shared by the OSV
//! download (`advisory::download`) and the registry client (`image::registry`) so the
//! two cannot drift apart: which statuses are worth another try, the server's
//! `Retry-After`, and exponential backoff with jitter when the server does not say.
//! How long a transfer may take in all, and how much of a `Retry-After` is obeyed, stay
//! with each caller's [`crate::deadline::Deadline`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

/// The longest wait between two attempts when the server does not say.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// A status as messages show it: `HTTP 404 Not Found`, or `HTTP 599` for a code
/// without a standard reason.
pub(crate) fn describe_status(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    }
}

/// A 429 (rate limited) or any 5xx: the server may answer next time. Every other
/// status is an answer, and asking again would get the same one.
pub(crate) fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// `Retry-After: <seconds>`. The HTTP-date form is rare for 429/503 and falls back to
/// backoff; the deadline decides how much of the wait is obeyed, so one server cannot
/// stall a transfer ([`crate::deadline::Deadline::obey_retry_after`]).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

/// The wait before the next try after `failures` failed ones (1 for the first retry):
/// `first`, doubled per further failure, capped at [`MAX_BACKOFF`], with "equal
/// jitter" (half the step fixed, half random) so that many clients failing together
/// do not retry together.
pub(crate) fn backoff(first: Duration, failures: u32) -> Duration {
    let step = first.saturating_mul(1u32 << failures.saturating_sub(1).min(16)).min(MAX_BACKOFF);
    step / 2 + step.mul_f64(random_unit() / 2.0)
}

/// A number in [0, 1) that differs between calls and processes (std's hasher keys are
/// random per process): enough for jitter without a random-number crate.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default());
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_status_is_described_with_its_reason_when_it_has_one() {
        assert_eq!(describe_status(StatusCode::NOT_FOUND), "HTTP 404 Not Found");
        assert_eq!(describe_status(StatusCode::TOO_MANY_REQUESTS), "HTTP 429 Too Many Requests");
        assert_eq!(describe_status(StatusCode::from_u16(599).unwrap()), "HTTP 599");
    }

    #[test]
    fn backoff_doubles_from_the_first_wait_with_jitter_and_a_cap() {
        let first = Duration::from_millis(500);
        let expected_steps_ms = [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000];
        for (failures, step_ms) in (1..).zip(expected_steps_ms) {
            let step = Duration::from_millis(step_ms);
            let d = backoff(first, failures);
            assert!(d >= step / 2 && d <= step, "failure {failures}: {d:?}");
        }
        // Past 16 doublings, and for absurd inputs, the cap holds and nothing overflows.
        for (first, failures) in [(first, 17), (first, u32::MAX), (Duration::MAX, 1), (Duration::ZERO, 5)] {
            assert!(backoff(first, failures) <= MAX_BACKOFF, "{first:?} {failures}");
        }
        assert_eq!(backoff(Duration::ZERO, 3), Duration::ZERO);
    }

    #[test]
    fn backoff_jitter_differs_between_calls() {
        let waits: BTreeSet<Duration> = (0..20).map(|_| backoff(Duration::from_secs(4), 1)).collect();
        assert!(waits.len() > 1, "20 waits, all {waits:?}");
    }

    #[test]
    fn retry_after_is_read_in_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        for (value, expected) in [
            ("1", Some(1)),
            (" 2 ", Some(2)),
            // The deadline caps what is obeyed, not the parser.
            ("86400", Some(86_400)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
            ("-1", None),
            ("1.5", None),
            ("99999999999999999999", None),
        ] {
            headers.insert(header::RETRY_AFTER, value.parse().unwrap());
            assert_eq!(retry_after(&headers), expected.map(Duration::from_secs), "{value:?}");
        }
    }

    #[test]
    fn only_rate_limits_and_server_errors_are_retried() {
        let retried: Vec<u16> = [200, 204, 301, 304, 400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 599]
            .into_iter()
            .filter(|&code| is_retryable(StatusCode::from_u16(code).unwrap()))
            .collect();
        assert_eq!(retried, [429, 500, 502, 503, 504, 599]);
    }
}
