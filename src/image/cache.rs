//! The per-layer analysis cache: what a layer contributed ([`LayerFiles`]), stored by
//! layer digest and analyser version, so images that share base layers read them once.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::fs::LayerFiles;
use super::source::LayerRef;

/// A cached layer is never inflated past this (the files kept from one layer are
/// small; anything bigger is not ours).
const MAX_CACHED: u64 = 1 << 30;

pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    pub fn new(cache_dir: &Path) -> Self {
        LayerCache { dir: cache_dir.join("layers") }
    }

    fn path(&self, layer: &LayerRef, analysers: &str) -> PathBuf {
        let mut hasher = Sha256::new();
        hasher.update(layer.digest.to_string().as_bytes());
        hasher.update([0]);
        hasher.update(analysers.as_bytes());
        let key: String = hasher.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{key}.zst"))
    }

    /// The cached analysis of a layer, if present and readable. A damaged entry is a
    /// miss, never an error: the layer is simply read again.
    pub fn get(&self, layer: &LayerRef, analysers: &str) -> Option<LayerFiles> {
        let file = fs::File::open(self.path(layer, analysers)).ok()?;
        let mut bytes = Vec::new();
        zstd::stream::read::Decoder::new(file).ok()?.take(MAX_CACHED).read_to_end(&mut bytes).ok()?;
        let files: LayerFiles = serde_json::from_slice(&bytes).ok()?;
        (files.digest == layer.digest.to_string()).then_some(files)
    }

    /// Stores an analysis (temporary file renamed into place; failures are ignored:
    /// the cache is an optimisation).
    pub fn put(&self, layer: &LayerRef, analysers: &str, files: &LayerFiles) {
        let path = self.path(layer, analysers);
        let write = || -> std::io::Result<()> {
            fs::create_dir_all(&self.dir)?;
            // JSON, not postcard: `Package` skips empty fields, which only a
            // self-describing format reads back.
            let bytes = serde_json::to_vec(files).map_err(std::io::Error::other)?;
            let compressed = zstd::bulk::compress(&bytes, 3)?;
            let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
            fs::write(&tmp, compressed)?;
            fs::rename(&tmp, &path)
        };
        let _ = write();
    }
}
