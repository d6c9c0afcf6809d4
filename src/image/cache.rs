//! The per-layer analysis cache: what a layer contributed ([`LayerFiles`]), stored by
//! layer digest and analyser version, so images that share base layers read them once.
//!
//! Stored as postcard (file content as raw bytes, not a JSON array of numbers at four
//! bytes per byte), zstd-compressed, written as a stream so storing a layer never
//! holds a second copy of its files. Inline analysers' packages go in as one JSON
//! blob: `Package` skips empty fields, which only a self-describing format reads back.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::fs::LayerFiles;
use super::source::LayerRef;

/// Bumped whenever the stored form changes, so older entries are misses.
const FORMAT: &str = "postcard-1";

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
    pub fn new(cache_dir: &Path) -> Self {
        LayerCache { dir: cache_dir.join("layers") }
    }

    fn path(&self, layer: &LayerRef, analysers: &str) -> PathBuf {
        let mut hasher = Sha256::new();
        hasher.update(FORMAT.as_bytes());
        hasher.update([0]);
        hasher.update(layer.digest.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(analysers.as_bytes());
        let key: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.zst"))
    }

    /// The cached analysis of a layer, if present and readable. A damaged entry, or
    /// one that inflates past `max_bytes` (the image's memory budget: nothing this
    /// large was ever stored), is a miss, never an error: the layer is read again.
    pub fn get(&self, layer: &LayerRef, analysers: &str, max_bytes: u64) -> Option<LayerFiles> {
        let file = fs::File::open(self.path(layer, analysers)).ok()?;
        let mut bytes = Vec::new();
        // The stored form is a little larger than the kept files (paths, lengths).
        let cap = max_bytes.saturating_add(64 << 20);
        zstd::stream::read::Decoder::new(file).ok()?.take(cap).read_to_end(&mut bytes).ok()?;
        let stored: Stored = postcard::from_bytes(&bytes).ok()?;
        drop(bytes);
        let found = serde_json::from_slice(&stored.found_json.0).ok()?;
        let files = LayerFiles {
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
        };
        (files.digest == layer.digest.to_string()).then_some(files)
    }

    /// Stores an analysis (temporary file renamed into place; failures are ignored:
    /// the cache is an optimisation).
    pub fn put(&self, layer: &LayerRef, analysers: &str, files: &LayerFiles) {
        let path = self.path(layer, analysers);
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(&self.dir)?;
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
            let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
            let encoder = zstd::stream::write::Encoder::new(BufWriter::new(fs::File::create(&tmp)?), 3)?;
            let encoder = postcard::to_io(&storing, encoder).map_err(std::io::Error::other)?;
            encoder.finish()?.into_inner().map_err(|e| e.into_error())?.sync_all().ok();
            fs::rename(&tmp, &path)
        };
        let _ = write();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::digest::Digest;

    #[test]
    fn a_layer_round_trips_in_about_the_size_of_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let content: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let digest = Digest::sha256_of(b"layer");
        let layer = LayerRef { digest: digest.clone(), media_type: String::new(), size: 1 };
        let mut files = LayerFiles { digest: digest.to_string(), ..LayerFiles::default() };
        files.files.insert("var/lib/dpkg/status".into(), content);
        files.symlinks.insert("a".into(), "b".into());
        files.whiteouts.push("c".into());
        cache.put(&layer, "k", &files);
        let stored = fs::metadata(cache.path(&layer, "k")).unwrap().len();
        assert!(stored < 1_100_000, "{stored} bytes stored for 1 MB of content");
        assert_eq!(cache.get(&layer, "k", 10 << 20), Some(files));
        assert_eq!(cache.get(&layer, "other", 10 << 20), None);
    }
}
