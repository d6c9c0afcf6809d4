//! Layer analyses kept in the sweep's store, read once per store even when several
//! images that share a layer are analysed at the same moment.
//!
//! The image code asks the layer store for a layer (`get`) and stores what it read
//! (`put`). Without coordination, four repositories built on the same base, read at
//! once, would each download the base layer. Here the first to miss a layer claims it;
//! the others wait until it is stored, and take it from the store. A claim is released
//! when the image that made it is done, stored or not (a failed download), so a waiter
//! never waits on a reader that gave up: it then reads the layer itself.
//!
//! Workers in other processes sharing a PostgreSQL store are kept apart the same way:
//! a claim also takes the store's lock on the layer ([`Store::try_claim_layer`]); a
//! layer another worker holds is waited for, then taken from the store.

use std::collections::HashSet;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::store::Store;

/// The layers being read right now, by cache key, over every image of a run.
#[derive(Default)]
pub struct InFlight {
    keys: Mutex<HashSet<String>>,
    changed: Condvar,
}

impl InFlight {
    fn release(&self, key: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.remove(key);
        self.changed.notify_all();
    }
}

/// The store's layers for the analysis of one image (see the module's comment).
pub struct StoreLayers {
    store: Arc<Store>,
    in_flight: Arc<InFlight>,
    claimed: Mutex<Vec<String>>,
}

impl StoreLayers {
    /// Layer analyses kept in `store`, claimed through `in_flight` so that one layer is read once.
    pub fn new(store: Arc<Store>, in_flight: Arc<InFlight>) -> StoreLayers {
        StoreLayers { store, in_flight, claimed: Mutex::new(Vec::new()) }
    }
}

/// How long a waiter waits between looks at the store; wakes earlier when a claim ends.
const LOOK_AGAIN: Duration = Duration::from_millis(200);
/// The longest a waiter waits for another image's read before reading the layer
/// itself. A layer that is read but not stored (over a file limit) stays claimed until
/// its image is done; two such images waiting on each other must not wait for ever.
const MAX_WAIT: Duration = Duration::from_secs(120);

impl crate::image::cache::LayerStore for StoreLayers {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let deadline = std::time::Instant::now() + MAX_WAIT;
        loop {
            if let Some(bytes) = self.store.layer(key) {
                return Some(bytes);
            }
            let mut keys = self.in_flight.keys.lock().unwrap_or_else(|p| p.into_inner());
            let past_deadline = std::time::Instant::now() > deadline;
            if keys.insert(key.to_string()) || past_deadline {
                if past_deadline || self.store.try_claim_layer(key) {
                    // Another process may have stored it between the look and the claim.
                    if self.store.is_postgres() {
                        if let Some(bytes) = self.store.layer(key) {
                            self.store.release_layer(key);
                            keys.remove(key);
                            self.in_flight.changed.notify_all();
                            return Some(bytes);
                        }
                    }
                    // Ours to read: the caller downloads it and puts it.
                    self.claimed.lock().unwrap_or_else(|p| p.into_inner()).push(key.to_string());
                    return None;
                }
                // Another process reads it: give the in-process claim back, look again soon.
                keys.remove(key);
                drop(keys);
                std::thread::sleep(LOOK_AGAIN);
                continue;
            }
            // Another image is reading it: wait for its claim to end, then look again.
            let (guard, _) = self
                .in_flight
                .changed
                .wait_timeout_while(keys, LOOK_AGAIN, |keys| keys.contains(key))
                .unwrap_or_else(|p| p.into_inner());
            drop(guard);
        }
    }

    fn put(&self, key: &str, layer_digest: &str, bytes: &[u8]) {
        self.store.put_layer(key, layer_digest, bytes, &crate::time::timestamp());
        self.claimed.lock().unwrap_or_else(|p| p.into_inner()).retain(|k| k != key);
        self.store.release_layer(key);
        self.in_flight.release(key);
    }
}

impl Drop for StoreLayers {
    /// Claims of layers never stored (the image failed, or the layer was not cacheable)
    /// end here: a waiter then reads the layer itself.
    fn drop(&mut self) {
        for key in self.claimed.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
            self.store.release_layer(&key);
            self.in_flight.release(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::cache::LayerStore;
    use std::time::Instant;

    fn store() -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(&dir.path().join("s.sqlite")).unwrap());
        (dir, store)
    }

    #[test]
    fn a_second_reader_waits_for_the_first_and_takes_its_layer_from_the_store() {
        let (_dir, store) = store();
        let in_flight = Arc::new(InFlight::default());
        let first = StoreLayers::new(store.clone(), in_flight.clone());
        assert_eq!(first.get("k"), None, "the first reader claims the layer");
        let waiter = {
            let (store, in_flight) = (store.clone(), in_flight.clone());
            std::thread::spawn(move || {
                let second = StoreLayers::new(store, in_flight);
                let started = Instant::now();
                (second.get("k"), started.elapsed())
            })
        };
        std::thread::sleep(Duration::from_millis(300));
        first.put("k", "sha256:l", b"analysis");
        let (got, waited) = waiter.join().unwrap();
        assert_eq!(got.as_deref(), Some(&b"analysis"[..]));
        assert!(waited >= Duration::from_millis(250), "{waited:?}");
    }

    #[test]
    fn a_reader_that_gives_up_releases_its_claim() {
        let (_dir, store) = store();
        let in_flight = Arc::new(InFlight::default());
        let first = StoreLayers::new(store.clone(), in_flight.clone());
        assert_eq!(first.get("k"), None);
        let waiter = {
            let (store, in_flight) = (store.clone(), in_flight.clone());
            std::thread::spawn(move || StoreLayers::new(store, in_flight).get("k"))
        };
        std::thread::sleep(Duration::from_millis(100));
        drop(first); // its image failed: nothing stored
        assert_eq!(waiter.join().unwrap(), None, "the waiter claims the layer and reads it itself");
        assert!(in_flight.keys.lock().unwrap().is_empty(), "and its claim ended with it");
    }
}
