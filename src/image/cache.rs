//! The per-layer analysis store: what a layer contributed ([`LayerFiles`]), kept by
//! layer digest and analyser version, so images that share base layers read them once.
//! [`LayerStore`] is where the bytes go: [`LayerCache`] keeps them as files under the
//! cache directory; a registry sweep keeps them in its SQLite store, in the same
//! [`encode`]d form.
//!
//! Stored as postcard (file content as raw bytes, not a JSON array of numbers at four
//! bytes per byte), zstd-compressed, encoded as a stream so storing a layer holds no
//! second uncompressed copy of its files. Inline analysers' packages go in as one JSON
//! blob: `Package` skips empty fields, which only a self-describing format reads back.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::fs::LayerFiles;

/// Bumped whenever the stored form changes, so older entries are misses. Every stored
/// analysis starts with it.
const FORMAT: &[u8] = b"customs-layer postcard-1\n";

/// Where layer analyses are kept, by key
/// ([`layer_cache_key`](super::layers::layer_cache_key) of the layer and the analysers).
/// Failures to store are the store's to swallow: it is an optimisation.
pub trait LayerStore: Send + Sync {
    /// The bytes stored under `key` ([`encode`]d), if any.
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `bytes` under `key`; `layer_digest` (`sha256:…`) is for stores that index
    /// or expire by layer.
    fn put(&self, key: &str, layer_digest: &str, bytes: &[u8]);
}

/// A [`LayerStore`] of files under `<cache dir>/layers`.
pub struct LayerCache {
    dir: PathBuf,
}

/// File content, written as one byte string.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// File content, read back from one byte string.
struct ByteBuf(Vec<u8>);

impl<'de> Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        deserializer.deserialize_byte_buf(Visitor)
    }
}

/// [`LayerFiles`] as written: borrowed, field for field the same as [`Stored`].
#[derive(Serialize)]
struct Storing<'a> {
    digest: &'a str,
    files: Vec<(&'a str, Bytes<'a>)>,
    found_json: Bytes<'a>,
    whiteouts: &'a [String],
    opaque_dirs: &'a [String],
    symlinks: &'a BTreeMap<String, String>,
    oversized: &'a [String],
    analyzer_errors: &'a [String],
    replaced: &'a [String],
    warnings: &'a [String],
}

/// [`LayerFiles`] as read back.
#[derive(Deserialize)]
struct Stored {
    digest: String,
    files: Vec<(String, ByteBuf)>,
    found_json: ByteBuf,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    symlinks: BTreeMap<String, String>,
    oversized: Vec<String>,
    analyzer_errors: Vec<String>,
    replaced: Vec<String>,
    warnings: Vec<String>,
}

impl LayerCache {
    /// The cache under `cache_dir/layers`.
    pub fn new(cache_dir: &Path) -> Self {
        LayerCache { dir: cache_dir.join("layers") }
    }

    /// Keys are hashed into file names: whatever a key holds, it cannot name a path.
    fn path(&self, key: &str) -> PathBuf {
        let mut hasher = Sha256::new();
        hasher.update(FORMAT);
        hasher.update([0]);
        hasher.update(key.as_bytes());
        let name: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.zst"))
    }
}

impl LayerStore for LayerCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        fs::read(self.path(key)).ok()
    }

    /// Written to a temporary file renamed into place, so a reader never sees half an entry.
    fn put(&self, key: &str, _layer_digest: &str, bytes: &[u8]) {
        let path = self.path(key);
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(&self.dir)?;
            let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all().ok();
            fs::rename(&tmp, &path)
        };
        let _ = write();
    }
}

/// A layer's analysis as stored: [`FORMAT`], then the zstd-compressed postcard.
pub fn encode(files: &LayerFiles) -> Vec<u8> {
    let encode = || -> std::io::Result<Vec<u8>> {
        let found_json = serde_json::to_vec(&files.found).map_err(std::io::Error::other)?;
        let storing = Storing {
            digest: &files.digest,
            files: files.files.iter().map(|(p, c)| (p.as_str(), Bytes(c))).collect(),
            found_json: Bytes(&found_json),
            whiteouts: &files.whiteouts,
            opaque_dirs: &files.opaque_dirs,
            symlinks: &files.symlinks,
            oversized: &files.oversized,
            analyzer_errors: &files.analyzer_errors,
            replaced: &files.replaced,
            warnings: &files.warnings,
        };
        let encoder = zstd::stream::write::Encoder::new(FORMAT.to_vec(), 3)?;
        let encoder = postcard::to_io(&storing, encoder).map_err(std::io::Error::other)?;
        encoder.finish()
    };
    // Writing to memory fails only if serialising does, which these types never do;
    // an empty entry would be a miss.
    encode().unwrap_or_default()
}

/// A stored analysis read back. Anything damaged, of another format, or inflating past
/// `budget_limit` (the image's memory budget: nothing this large was ever stored) is
/// `None`, never an error: the layer is read again.
pub fn decode(bytes: &[u8], budget_limit: u64) -> Option<LayerFiles> {
    let compressed = bytes.strip_prefix(FORMAT)?;
    let mut raw = Vec::new();
    // The stored form is a little larger than the kept files (paths, lengths).
    let cap = budget_limit.saturating_add(64 << 20);
    zstd::stream::read::Decoder::new(compressed).ok()?.take(cap).read_to_end(&mut raw).ok()?;
    let stored: Stored = postcard::from_bytes(&raw).ok()?;
    drop(raw);
    let found = serde_json::from_slice(&stored.found_json.0).ok()?;
    Some(LayerFiles {
        digest: stored.digest,
        files: stored.files.into_iter().map(|(path, content)| (path, content.0)).collect(),
        found,
        whiteouts: stored.whiteouts,
        opaque_dirs: stored.opaque_dirs,
        symlinks: stored.symlinks,
        oversized: stored.oversized,
        analyzer_errors: stored.analyzer_errors,
        replaced: stored.replaced,
        warnings: stored.warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::digest::Digest;

    fn layer_files() -> LayerFiles {
        let content: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let mut files = LayerFiles { digest: Digest::sha256_of(b"layer").to_string(), ..LayerFiles::default() };
        files.files.insert("var/lib/dpkg/status".into(), content);
        files.symlinks.insert("a".into(), "b".into());
        files.whiteouts.push("c".into());
        files
    }

    #[test]
    fn a_layer_round_trips_in_about_the_size_of_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let files = layer_files();
        cache.put("k", &files.digest, &encode(&files));
        let stored = fs::metadata(cache.path("k")).unwrap().len();
        assert!(stored < 1_100_000, "{stored} bytes stored for 1 MB of content");
        assert_eq!(cache.get("k").and_then(|bytes| decode(&bytes, 10 << 20)), Some(files));
        assert_eq!(cache.get("other"), None);
        assert!(cache.path("../../etc/passwd").starts_with(dir.path().join("layers")));
    }

    #[test]
    fn damaged_foreign_or_oversized_entries_are_misses() {
        let files = layer_files();
        let bytes = encode(&files);
        assert!(bytes.starts_with(FORMAT));
        assert_eq!(decode(&bytes, 10 << 20).as_ref(), Some(&files));
        assert_eq!(decode(&bytes[FORMAT.len()..], 10 << 20), None, "no format header");
        assert_eq!(decode(&bytes[..bytes.len() / 2], 10 << 20), None, "truncated");
        let mut other = b"customs-layer postcard-0\n".to_vec();
        other.extend_from_slice(&bytes[FORMAT.len()..]);
        assert_eq!(decode(&other, 10 << 20), None, "an older format");
        // 66 MB of content is over a budget of nothing plus the 64 MiB slack for paths.
        let mut big = layer_files();
        big.files.insert("big".into(), vec![7u8; 65 << 20]);
        assert_eq!(decode(&encode(&big), 0), None);
        assert_eq!(decode(&encode(&big), 4 << 20).map(|f| f.kept_bytes()), Some(big.kept_bytes()));
    }
}
