//! What a registry client may send and what it has sent: the request rate limit
//! (`--rps`), a token bucket holding one token, refilled at the allowed rate and shared
//! by every request the client sends (tokens, retries and redirect hops included) from
//! any thread; and the counters a sweep reports its cost with. A sweep of a whole
//! registry sends thousands of requests; the limit keeps it from being the reason the
//! registry starts answering 429.

use std::sync::atomic::AtomicU64;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Rates below this (one request every 1000 s) are refused as a typo.
const MIN_RATE: f64 = 0.001;

/// How fast a client may send requests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RequestLimits {
    /// Requests per second over all of the client's threads (`--rps`); `None` for no limit.
    pub requests_per_second: Option<f64>,
}

/// What a client has cost so far, for reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests answered: every attempt, retry, redirect hop and token request that got a response.
    pub requests: u64,
    /// Attempts that were repeated because of a transient failure (429, 5xx, no answer).
    pub retries: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Layer bytes received (blob downloads streamed to analysers, resumes included).
    pub blob_bytes: u64,
    /// Time spent waiting for the request rate limit, in milliseconds, over all threads.
    pub throttled_ms: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limited: AtomicU64,
    pub blob_bytes: AtomicU64,
    pub throttled_ms: AtomicU64,
}

pub(crate) struct RateLimiter {
    /// Time between two requests; `None` without a limit.
    interval: Option<Duration>,
    /// When the next request may leave.
    next: Mutex<Instant>,
}

impl RateLimiter {
    pub(crate) fn new(limits: RequestLimits) -> Result<RateLimiter, String> {
        let interval = match limits.requests_per_second {
            None => None,
            Some(rate) if rate.is_finite() && rate >= MIN_RATE => Some(Duration::from_secs_f64(1.0 / rate)),
            Some(rate) => {
                return Err(format!(
                    "{rate} requests per second is not a rate limit (want a number of at least {MIN_RATE})"
                ))
            }
        };
        Ok(RateLimiter { interval, next: Mutex::new(Instant::now()) })
    }

    /// Waits until a request may be sent; returns how long that took. Each caller
    /// takes the next free slot, so waiting threads leave one interval apart.
    pub(crate) fn acquire(&self) -> Duration {
        let Some(interval) = self.interval else { return Duration::ZERO };
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            // An idle client does not save up: the bucket holds one token.
            let slot = (*next).max(now);
            *next = slot + interval;
            slot
        };
        let wait = slot.saturating_duration_since(now);
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        wait
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_leave_one_interval_apart_across_threads() {
        let limiter = RateLimiter::new(RequestLimits { requests_per_second: Some(50.0) }).unwrap();
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..5 {
                        limiter.acquire();
                    }
                });
            }
        });
        // 20 requests at 50/s: the first leaves at once, the other 19 20 ms apart.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(380), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    }

    #[test]
    fn no_limit_never_waits_and_nonsense_rates_are_refused() {
        let unlimited = RateLimiter::new(RequestLimits::default()).unwrap();
        assert!((0..1000).all(|_| unlimited.acquire().is_zero()));
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.0001] {
            let refused = RateLimiter::new(RequestLimits { requests_per_second: Some(rate) });
            assert!(refused.is_err(), "{rate} accepted");
        }
        assert_eq!(
            RateLimiter::new(RequestLimits { requests_per_second: Some(0.0) }).err().unwrap(),
            "0 requests per second is not a rate limit (want a number of at least 0.001)"
        );
    }
}
