//! How long one network transfer may take, in all: registry manifests, blobs and
//! tokens, and `db update` downloads share these rules.
//!
//! A stall timeout alone (no byte for N seconds) does not bound a transfer: a server
//! that sends one byte every 50 s keeps it alive forever, and each retry starts the
//! clock again. So every transfer also gets an overall deadline from a minimum
//! throughput: `transfer_timeout + size / min_rate`, counted from its first request
//! and across its retries and resumes. When the size is not known yet, the bytes
//! received so far stand in for it, which is the same rule read as "an average of at
//! least `min_rate` after the first `transfer_timeout`". Waits a server asks for with
//! `Retry-After` are not counted against the deadline, but they have their own cap
//! per transfer (`max_retry_after`), so a hostile `Retry-After: 100000` costs nothing.

use std::cell::Cell;
use std::io::{self, Read};
use std::time::{Duration, Instant};

/// The limits every transfer is held to. The defaults let a 1 GiB layer take about
/// 4.5 hours and a manifest half a minute: generous for any real registry or mirror,
/// and still an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferLimits {
    /// Time allowed to every transfer on top of its size's share (`--transfer-timeout`).
    pub base: Duration,
    /// The slowest average throughput accepted, in bytes per second
    /// (`--min-transfer-rate`, given in KiB/s); 0 turns the overall deadline off.
    pub min_rate: u64,
    /// The most a transfer waits, in all, because servers said `Retry-After`
    /// (`--max-retry-after`); a server asking for more is given up on at once.
    pub max_retry_after: Duration,
}

impl Default for TransferLimits {
    fn default() -> TransferLimits {
        TransferLimits { base: Duration::from_secs(30), min_rate: 64 * 1024, max_retry_after: Duration::from_secs(30) }
    }
}

/// One transfer's clock. Not shared between threads: each transfer has its own.
#[derive(Debug)]
pub struct Deadline {
    started: Instant,
    limits: TransferLimits,
    size: Cell<Option<u64>>,
    /// Time spent obeying `Retry-After`: added to the deadline, counted against its cap.
    waited: Cell<Duration>,
    /// Time the client held its own requests back (a request rate limit): not the
    /// server's slowness, so added to the deadline, and not capped.
    held: Cell<Duration>,
}

impl Deadline {
    /// Starts the clock for a transfer of `size` bytes, when known.
    pub fn start(limits: TransferLimits, size: Option<u64>) -> Deadline {
        let zero = Cell::new(Duration::ZERO);
        Deadline { started: Instant::now(), limits, size: Cell::new(size), waited: zero.clone(), held: zero }
    }

    /// The size, once a response declares it (a size given at the start stays).
    pub fn learn_size(&self, size: u64) {
        if self.size.get().is_none() {
            self.size.set(Some(size));
        }
    }

    /// The whole allowance after `received` bytes; `None` without a deadline.
    fn allowance(&self, received: u64) -> Option<Duration> {
        if self.limits.min_rate == 0 {
            return None;
        }
        let bytes = self.size.get().unwrap_or(0).max(received);
        let share = Duration::from_secs_f64(bytes as f64 / self.limits.min_rate as f64);
        Some(self.limits.base.saturating_add(share).saturating_add(self.waited.get()).saturating_add(self.held.get()))
    }

    /// Time left after `received` bytes; `None` when there is no deadline, zero when
    /// it has passed.
    pub fn remaining(&self, received: u64) -> Option<Duration> {
        self.allowance(received).map(|allowed| allowed.saturating_sub(self.started.elapsed()))
    }

    /// Whether the deadline has passed, for a transfer that has received `received` bytes.
    pub fn expired(&self, received: u64) -> bool {
        self.remaining(received).is_some_and(|left| left.is_zero())
    }

    /// The per-request timeout to set so that a request cannot outlive the deadline:
    /// the time left, when that is shorter than `stall` (the client's own timeout for
    /// each wait). Longer transfers are checked between reads instead.
    pub fn request_timeout(&self, received: u64, stall: Duration) -> Option<Duration> {
        self.remaining(received).filter(|left| *left < stall || stall.is_zero()).map(|left| left.max(MIN_REQUEST))
    }

    /// Sleeps `delay` before another attempt, when the deadline leaves room for it.
    pub fn sleep_before_retry(&self, delay: Duration, received: u64) -> Result<(), String> {
        if self.remaining(received).is_some_and(|left| left <= delay) {
            return Err(self.passed(received));
        }
        std::thread::sleep(delay);
        Ok(())
    }

    /// Sleeps the `Retry-After` a server asked for, within the cap; a longer wait is
    /// refused at once (the message names the limit and its flag).
    pub fn obey_retry_after(&self, asked: Duration) -> Result<(), String> {
        let total = self.waited.get().saturating_add(asked);
        if total > self.limits.max_retry_after {
            return Err(format!(
                "the server asked to retry after {} s (Retry-After), over the {} s customs waits per transfer; \
                 try again later or raise --max-retry-after",
                asked.as_secs_f64(),
                self.limits.max_retry_after.as_secs_f64()
            ));
        }
        std::thread::sleep(asked);
        self.waited.set(total);
        Ok(())
    }

    /// Adds time the client itself spent holding a request back (its rate limit).
    pub fn held_back(&self, time: Duration) {
        self.held.set(self.held.get().saturating_add(time));
    }

    /// Why the transfer was given up: what arrived, in how long, and the limit.
    pub fn passed(&self, received: u64) -> String {
        let elapsed = self.started.elapsed().saturating_sub(self.waited.get()).saturating_sub(self.held.get());
        let size = match self.size.get() {
            Some(size) => format!("{received} of {size} bytes"),
            None => format!("{received} bytes"),
        };
        let share = match self.size.get() {
            Some(size) => format!("{size} bytes"),
            None => "the bytes received".to_string(),
        };
        format!(
            "too slow: {size} in {:.1} s, past the transfer deadline ({} s + {share} at {} KiB/s); \
             raise --transfer-timeout or lower --min-transfer-rate",
            elapsed.as_secs_f64(),
            self.limits.base.as_secs_f64(),
            self.limits.min_rate as f64 / 1024.0
        )
    }
}

/// A body read under a deadline: once it has passed, the next read fails (with
/// [`io::ErrorKind::TimedOut`]) instead of waiting for more.
pub struct Watched<'a, R> {
    /// The reader being watched.
    pub inner: R,
    /// The deadline its reads are held to.
    pub deadline: &'a Deadline,
    /// Bytes read so far (through this reader or before it).
    pub received: u64,
}

impl<R: Read> Read for Watched<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.deadline.expired(self.received) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, self.deadline.passed(self.received)));
        }
        let n = self.inner.read(buf)?;
        self.received += n as u64;
        Ok(n)
    }
}

/// reqwest refuses nothing, but a zero timeout fails before connecting; a request sent
/// at the very end of the deadline gets this much.
const MIN_REQUEST: Duration = Duration::from_millis(50);

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(base_ms: u64, min_rate: u64, max_retry_after_ms: u64) -> TransferLimits {
        TransferLimits {
            base: Duration::from_millis(base_ms),
            min_rate,
            max_retry_after: Duration::from_millis(max_retry_after_ms),
        }
    }

    #[test]
    fn the_allowance_is_a_base_plus_the_size_at_the_minimum_rate() {
        let d = Deadline::start(TransferLimits::default(), Some(64 * 1024 * 10));
        assert_eq!(d.allowance(0), Some(Duration::from_secs(40)));
        // Unknown size: the bytes received so far count instead.
        let d = Deadline::start(TransferLimits::default(), None);
        assert_eq!(d.allowance(0), Some(Duration::from_secs(30)));
        assert_eq!(d.allowance(64 * 1024 * 30), Some(Duration::from_secs(60)));
        d.learn_size(64 * 1024);
        assert_eq!(d.allowance(0), Some(Duration::from_secs(31)));
        // A rate of 0 turns the deadline off.
        let off = Deadline::start(limits(0, 0, 0), Some(1));
        assert_eq!(
            (off.remaining(0), off.expired(5), off.request_timeout(0, Duration::from_secs(1))),
            (None, false, None)
        );
    }

    #[test]
    fn a_deadline_passes_and_says_which_limit_and_flag() {
        let d = Deadline::start(limits(20, 1024 * 1024, 0), Some(10));
        assert!(!d.expired(0));
        assert!(d.request_timeout(0, Duration::from_secs(60)).unwrap() <= Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(40));
        assert!(d.expired(3));
        assert!(d.passed(3).starts_with("too slow: 3 of 10 bytes in 0.0 s, past the transfer deadline (0.02 s + 10 bytes at 1024 KiB/s); raise --transfer-timeout or lower --min-transfer-rate"), "{}", d.passed(3));
        assert_eq!(d.sleep_before_retry(Duration::from_millis(1), 3), Err(d.passed(3)));
    }

    #[test]
    fn retry_after_waits_are_capped_per_transfer_and_extend_the_deadline() {
        let d = Deadline::start(limits(1000, 1, 100), Some(0));
        assert_eq!(d.obey_retry_after(Duration::from_millis(60)), Ok(()));
        assert!(!d.expired(0), "the wait is not counted against the deadline");
        assert_eq!(
            d.obey_retry_after(Duration::from_secs(100_000)).unwrap_err(),
            "the server asked to retry after 100000 s (Retry-After), over the 0.1 s customs waits per transfer; try \
             again later or raise --max-retry-after"
        );
        assert!(d.obey_retry_after(Duration::from_millis(50)).is_err(), "60 + 50 ms is over the 100 ms cap");
    }
}
