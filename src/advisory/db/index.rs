//! The database's index (an fst map from package key to postings offset), read so that
//! a corrupt or hostile file is an error and never a panic, a hang or unbounded work.
//!
//! The fst crate is made for maps it built itself: on bytes it did not write it checks
//! only the footer, and a bad node address then indexes out of bounds — a panic (never
//! undefined behaviour: the crate has no unsafe reads), and a cycle of nodes makes a
//! stream walk forever. A database normally comes from `customs db update` or from a
//! compile customs ran itself, but its file can be damaged, and `--db` takes any file
//! that starts with the magic. So every call into the fst runs under [`quietly`],
//! which turns a panic into an error without the panic message, and the walk over
//! every key is bounded in depth and in steps.

use std::cell::Cell;
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use fst::{Automaton, IntoStreamer, Streamer};

/// Longer keys (`<ecosystem>\0<name>`) are not package keys: the walk does not go deeper.
const MAX_KEY_LEN: u32 = 4096;

/// The index of an opened database.
pub(super) struct Index<D: AsRef<[u8]>> {
    map: fst::Map<D>,
    /// Steps a walk over every key may take: ample for a map of this size that fst
    /// built (each key's new bytes are one step each), finite for any other.
    walk_budget: u64,
}

impl<D: AsRef<[u8]>> Index<D> {
    /// Reads the map's footer. The error says what is wrong, for "corrupt index".
    pub(super) fn new(bytes: D) -> Result<Index<D>, String> {
        let len = bytes.as_ref().len() as u64;
        let map = quietly(|| fst::Map::new(bytes))
            .ok_or_else(|| "the index cannot be read".to_string())?
            .map_err(|e| e.to_string())?;
        Ok(Index { map, walk_budget: len.saturating_mul(64).saturating_add(1 << 20) })
    }

    /// The postings offset stored under `key`. A lookup follows at most one transition
    /// per byte of the key, so it is bounded; a bad node is an error.
    pub(super) fn get(&self, key: &str) -> Result<Option<u64>, ()> {
        quietly(|| self.map.get(key)).ok_or(())
    }

    /// Every key with its offset, in key order, until `each` breaks. Keys longer than
    /// [`MAX_KEY_LEN`] are not walked into; a walk that needs more steps than a map of
    /// this size can hold, or meets a bad node, is an error.
    pub(super) fn visit(&self, mut each: impl FnMut(&[u8], u64) -> ControlFlow<()>) -> Result<(), ()> {
        let bounds = Bounded { steps_left: Cell::new(self.walk_budget) };
        let mut keys = quietly(|| self.map.search(&bounds).into_stream()).ok_or(())?;
        loop {
            // The key is copied out so that `each` runs outside `quietly`: its own
            // panics are not the index's and must not be swallowed.
            match quietly(|| keys.next().map(|(key, offset)| (key.to_vec(), offset))) {
                None => return Err(()),
                Some(None) => break,
                Some(Some((key, offset))) => {
                    if each(&key, offset).is_break() {
                        return Ok(());
                    }
                }
            }
        }
        if bounds.steps_left.get() == 0 {
            return Err(());
        }
        Ok(())
    }
}

/// An automaton that matches every key but stops the walk below [`MAX_KEY_LEN`] bytes
/// and after a number of steps.
struct Bounded {
    steps_left: Cell<u64>,
}

impl Automaton for &Bounded {
    /// The depth: bytes of the key so far.
    type State = u32;

    fn start(&self) -> u32 {
        0
    }

    fn is_match(&self, _: &u32) -> bool {
        true
    }

    fn can_match(&self, depth: &u32) -> bool {
        *depth <= MAX_KEY_LEN && self.steps_left.get() > 0
    }

    fn accept(&self, depth: &u32, _: u8) -> u32 {
        self.steps_left.set(self.steps_left.get().saturating_sub(1));
        depth.saturating_add(1)
    }
}

thread_local! {
    /// Set while [`quietly`] runs work on this thread: its panics are expected.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work`; a panic inside it gives `None`, and prints nothing. The panic hook is
/// wrapped once, so that it stays silent for panics [`quietly`] catches and behaves as
/// before for every other panic on every thread.
fn quietly<T>(work: impl FnOnce() -> T) -> Option<T> {
    static WRAP_HOOK: Once = Once::new();
    WRAP_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET.with(|quiet| quiet.replace(true));
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|quiet| quiet.set(was_quiet));
    outcome.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(keys: &[&str]) -> Vec<u8> {
        let mut builder = fst::MapBuilder::memory();
        for (offset, key) in keys.iter().enumerate() {
            builder.insert(key, offset as u64 * 10).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn a_map_fst_built_is_read_whole() {
        let index = Index::new(built(&["Debian\0openssl", "PyPI\0django", "npm\0left-pad"])).unwrap();
        assert_eq!(index.get("PyPI\0django"), Ok(Some(10)));
        assert_eq!(index.get("PyPI\0flask"), Ok(None));
        let mut seen = Vec::new();
        index
            .visit(|key, offset| {
                seen.push((String::from_utf8(key.to_vec()).unwrap(), offset));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(seen, [("Debian\0openssl".into(), 0), ("PyPI\0django".into(), 10), ("npm\0left-pad".into(), 20)]);
    }

    /// Keys walked until `each` breaks after `stop_after` of them, and how the walk ended.
    fn walk(index: &Index<Vec<u8>>, stop_after: usize) -> (usize, Result<(), ()>) {
        let mut seen = 0;
        let ended = index.visit(|_, _| {
            seen += 1;
            if seen == stop_after {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        (seen, ended)
    }

    #[test]
    fn a_visit_stops_when_asked() {
        let index = Index::new(built(&["a", "b", "c"])).unwrap();
        assert_eq!(walk(&index, 1), (1, Ok(())));
        assert_eq!(walk(&index, usize::MAX), (3, Ok(())));
    }

    /// Node addresses pointing anywhere: fst panics on these, the index answers errors,
    /// and every walk ends (a cycle of nodes would otherwise make endless keys).
    #[test]
    fn corrupt_nodes_are_errors_not_panics() {
        let good = built(&["Debian\0openssl", "PyPI\0django", "npm\0left-pad", "npm\0lodash"]);
        let mut errors = 0;
        // Every byte of the nodes (not the 16-byte header nor the footer), set to values
        // that make node addresses, transition counts and output sizes wrong.
        for at in 16..good.len() - 20 {
            for value in [0u8, 1, 2, 0x80, 0xc0, 0xff] {
                let mut bad = good.clone();
                bad[at] = value;
                let Ok(index) = Index::new(bad) else { continue };
                let looked_up = ["Debian\0openssl", "PyPI\0django", "npm\0lodash"].map(|key| index.get(key));
                let (_, walked) = walk(&index, usize::MAX);
                errors += looked_up.iter().filter(|r| r.is_err()).count() + usize::from(walked.is_err());
            }
        }
        assert!(errors > 0, "no corruption was noticed: the test no longer reaches fst's panics");
    }

    /// Keys longer than any package key are not walked into.
    #[test]
    fn keys_beyond_the_depth_bound_are_not_walked() {
        let long = "a".repeat(MAX_KEY_LEN as usize + 10);
        let index = Index::new(built(&[&long, "b"])).unwrap();
        let mut keys = Vec::new();
        index
            .visit(|key, _| {
                keys.push(key.len());
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(keys, [1]);
    }

    /// A walk that needs more steps than its budget is an error, not a partial list.
    #[test]
    fn a_walk_past_its_step_budget_is_an_error() {
        let keys: Vec<String> = (0..100).map(|n| format!("npm\0package-{n:03}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut index = Index::new(built(&keys)).unwrap();
        assert_eq!(walk(&index, usize::MAX), (100, Ok(())));
        index.walk_budget = 50;
        let (seen, ended) = walk(&index, usize::MAX);
        assert_eq!(ended, Err(()));
        assert!(seen < 100, "{seen}");
    }
}
