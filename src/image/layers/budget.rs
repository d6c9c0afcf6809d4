//! The memory one image analysis may hold: every file kept for collectors, from all
//! layers together, plus the files being read right now for inline analysers. Layers
//! are read in parallel, so the budget is shared between their threads; a per-layer
//! budget would let a many-layered image multiply it.
//!
//! A reader asks for a file's size before reading it. While other readers hold bytes
//! they will give back (a binary being analysed), it waits for them; when what is kept
//! for good leaves no room, the request is refused and the caller says which limit
//! was reached.

use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// Bytes of kept and in-flight file content one image analysis may hold.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: u64,
    used: Mutex<Used>,
    released: Condvar,
}

#[derive(Debug, Default)]
struct Used {
    /// Kept until the analysis ends.
    kept: u64,
    /// Held by readers now, given back when they are done.
    held: u64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes, shared by the layers analysed together.
    pub fn new(limit: u64) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget { limit, used: Mutex::new(Used::default()), released: Condvar::new() })
    }

    /// The budget's size in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Bytes kept for good so far.
    pub fn kept(&self) -> u64 {
        self.used.lock().unwrap_or_else(PoisonError::into_inner).kept
    }

    /// Reserves `bytes`, waiting while other readers hold bytes that would make room;
    /// `None` when kept content alone leaves no room. A caller holds at most one
    /// reservation when it asks (so waiting can never be circular).
    pub fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Reservation> {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            match used.kept.checked_add(used.held).and_then(|u| u.checked_add(bytes)) {
                Some(total) if total <= self.limit => {
                    used.held += bytes;
                    return Some(Reservation { budget: self.clone(), bytes });
                }
                _ if used.held == 0 => return None,
                _ => used = self.released.wait(used).unwrap_or_else(PoisonError::into_inner),
            }
        }
    }

    /// Counts content already in memory (a cached layer) as kept; false, counting
    /// nothing, when it does not fit.
    pub fn keep(self: &Arc<Self>, bytes: u64) -> bool {
        self.reserve(bytes).map(Reservation::keep).is_some()
    }
}

/// Bytes reserved from a [`MemoryBudget`]: given back when dropped, unless kept.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Reservation {
    /// The bytes stay counted until the analysis ends (content kept for collectors).
    pub fn keep(mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(PoisonError::into_inner);
        used.held -= self.bytes;
        used.kept += self.bytes;
        self.bytes = 0;
        // A reader waiting for held bytes must learn that they will not come back.
        self.budget.released.notify_all();
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.used.lock().unwrap_or_else(PoisonError::into_inner).held -= self.bytes;
            self.budget.released.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bytes_count_for_good_and_held_bytes_come_back() {
        let budget = MemoryBudget::new(100);
        budget.reserve(60).unwrap().keep();
        assert!(budget.reserve(41).is_none(), "60 kept + 41 > 100");
        let held = budget.reserve(40).unwrap();
        drop(held);
        assert!(budget.keep(40));
        assert_eq!(budget.kept(), 100);
        assert!(!budget.keep(1));
    }

    #[test]
    fn a_reader_waits_for_bytes_another_one_gives_back() {
        let budget = MemoryBudget::new(100);
        let held = budget.reserve(80).unwrap();
        let waiting = {
            let budget = budget.clone();
            std::thread::spawn(move || budget.reserve(50).map(Reservation::keep).is_some())
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        drop(held);
        assert!(waiting.join().unwrap());
        assert_eq!(budget.kept(), 50);
    }
}
