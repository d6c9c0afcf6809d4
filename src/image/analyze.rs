//! One image, start to finish: resolve, read every layer (in parallel, from the layer
//! store when it can), stack them, detect the OS, run the collectors, and return the
//! inventory the rest of the pipeline (matching, reports) already knows.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use super::cache::{self, LayerCache, LayerStore};
use super::fs::{Collector, Context, ImageFs, InlineAnalyzer, LayerFiles};
use super::layers::{layer_cache_key, read_layer, LayerError, MemoryBudget, Selector, READER_VERSION};
use super::source::{ImageError, ImageSource, LayerRef, ResolvedImage};
use super::{lang, lockfiles, os, pkgdb};
use crate::inventory::walk::{Inventory, ScannedFile};
use crate::inventory::ExtractError;
use crate::model::ImageSubject;

/// Bumped whenever an analyser changes what it keeps, so cached layers are re-read.
const ANALYSERS_VERSION: &str = "3";

/// How an image is analysed: caches, size limits, what may be left incomplete.
pub struct AnalyzeOptions {
    /// Where layer analyses are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Where layer analyses are kept instead of under `cache_dir`, when set (a
    /// registry sweep's store).
    pub layer_store: Option<Arc<dyn LayerStore>>,
    /// How many layers are downloaded and read at once.
    pub parallel_layers: usize,
    /// The largest file read into memory for an analyser (`--max-image-file`). A
    /// larger package database, manifest or lockfile fails the image.
    pub max_file_size: u64,
    /// All file content one image holds in memory at once, over all its layers
    /// (`--max-image-memory`). Past it the image fails.
    pub max_image_bytes: u64,
    /// Files over those limits become warnings instead of failing the image (the
    /// result is then incomplete; lower layers' copies are never reported instead).
    pub allow_incomplete: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            cache_dir: None,
            layer_store: None,
            parallel_layers: 4,
            max_file_size: super::layers::DEFAULT_MAX_FILE_SIZE,
            max_image_bytes: super::layers::DEFAULT_MAX_IMAGE_BYTES,
            allow_incomplete: false,
        }
    }
}

/// The collectors, in the order their packages are reported.
pub fn collectors() -> Vec<&'static dyn Collector> {
    vec![
        &pkgdb::dpkg::Dpkg,
        &pkgdb::apk::Apk,
        &pkgdb::rpm::Rpm,
        &lang::python::PythonPackages,
        &lang::node::NodeModules,
        &lockfiles::Lockfiles,
    ]
}

/// The extractor id reports give files that the inline analysers found packages in
/// (jars, executables), whichever analyser read them.
pub const BINARY_EXTRACTOR: &str = "binary";

/// The analysers that look at files while their layer streams by.
pub fn inline_analyzers() -> Vec<&'static dyn InlineAnalyzer> {
    vec![&lang::java::JavaArchives, &lang::gobin::GoBinaries, &lang::cargo_auditable::AuditableBinaries]
}

/// Keeps the OS detection's files as well as the collectors'.
struct OsFiles;

impl Collector for OsFiles {
    fn id(&self) -> &'static str {
        "os-release"
    }

    fn wants(&self, path: &str) -> bool {
        os::wants(path)
    }

    fn collect(&self, _fs: &ImageFs, _context: &Context) -> Result<Vec<crate::model::Package>, String> {
        Ok(Vec::new())
    }
}

/// What one analysis cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalyzeStats {
    /// Layers downloaded and read.
    pub layers_read: usize,
    /// Layers whose stored analysis was used instead.
    pub layers_from_store: usize,
    /// Blob bytes read from the source (compressed, as stored).
    pub bytes_read: u64,
}

/// The key that ties stored analyses to the analysers (and layer reader) that made
/// them: it changes whenever what an analysis keeps may change. A store of whole-image
/// analyses keys them with it, and with the options' limits.
pub fn analysers_key() -> String {
    let mut wanted = collectors();
    wanted.push(&OsFiles);
    key_of(&wanted, &inline_analyzers())
}

fn key_of(collectors: &[&dyn Collector], inline: &[&dyn InlineAnalyzer]) -> String {
    let mut ids: Vec<&str> = collectors.iter().map(|c| c.id()).chain(inline.iter().map(|a| a.id())).collect();
    ids.sort();
    // The layer reader's version is part of every layer key; a whole-image key needs it too.
    format!("{ANALYSERS_VERSION}:{}:reader-{READER_VERSION}", ids.join(","))
}

/// Reads an image into an inventory. Fails only when the image itself cannot be
/// read (resolution, a layer's download, digest or tar); a collector that cannot
/// parse a file reports an error in the inventory and the rest still runs.
pub fn analyze(source: &dyn ImageSource, options: &AnalyzeOptions) -> Result<Inventory, ImageError> {
    analyze_counted(source, options).map(|(inventory, _)| inventory)
}

/// [`analyze`], and what it cost: layers read, layers taken from the store, bytes read.
pub fn analyze_counted(
    source: &dyn ImageSource,
    options: &AnalyzeOptions,
) -> Result<(Inventory, AnalyzeStats), ImageError> {
    let resolved = source.resolve()?;
    let mut wanted = collectors();
    wanted.push(&OsFiles);
    let inline = inline_analyzers();
    let mut selector = Selector::new(&wanted, &inline);
    selector.max_file_size = options.max_file_size;
    selector.budget = MemoryBudget::new(options.max_image_bytes);
    selector.allow_incomplete = options.allow_incomplete;
    // What a layer keeps depends on the per-file limit, so stored reads do too.
    let key = format!("{}:{}", key_of(&wanted, &inline), options.max_file_size);
    let cache = match (&options.layer_store, &options.cache_dir) {
        (Some(store), _) => Some(store.clone()),
        (None, Some(dir)) => Some(Arc::new(LayerCache::new(dir)) as Arc<dyn LayerStore>),
        (None, None) => None,
    };
    let counters = Counters::default();

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.parallel_layers.max(1))
        .build()
        .map_err(|e| ImageError::Invalid { reference: resolved.reference.clone(), message: e.to_string() })?;
    let layers: Vec<LayerFiles> = pool.install(|| {
        resolved
            .layers
            .par_iter()
            .map(|layer| read_one(source, &resolved, layer, &selector, cache.as_deref(), &key, &counters))
            .collect::<Result<_, _>>()
    })?;
    let stats = AnalyzeStats {
        layers_read: counters.layers_read.load(Ordering::Relaxed),
        layers_from_store: counters.layers_from_store.load(Ordering::Relaxed),
        bytes_read: counters.bytes_read.load(Ordering::Relaxed),
    };

    // Moved, not copied: the kept files are most of the memory an analysis holds.
    let fs = ImageFs::merge(layers);
    let detected = os::detect(&fs);
    let context = Context { os: detected.clone() };
    let mut inventory = Inventory {
        root: resolved.reference.clone(),
        image: Some(ImageSubject {
            reference: resolved.reference.clone(),
            manifest_digest: resolved.manifest_digest.to_string(),
            platform: resolved.platform.to_string(),
            os: detected.as_ref().map(|o| o.pretty_name.clone()),
            ecosystem: detected.as_ref().and_then(|o| o.ecosystem.clone()),
            layers: resolved.layers.iter().map(|l| l.digest.to_string()).collect(),
            base_name: resolved.annotations.get("org.opencontainers.image.base.name").cloned(),
            base_digest: resolved.annotations.get("org.opencontainers.image.base.digest").cloned(),
        }),
        ..Inventory::default()
    };
    for collector in collectors() {
        match collector.collect_all(&fs, &context) {
            Ok(collected) => {
                let packages = collected.packages;
                inventory.skipped.extend(collected.skipped);
                inventory.own.extend(collected.own);
                inventory.errors.extend(collected.errors);
                if !collected.files.is_empty() {
                    inventory.files.extend(collected.files);
                } else if !packages.is_empty() {
                    inventory.files.push(ScannedFile {
                        path: packages[0].location.path.clone(),
                        extractor: collector.id().into(),
                        packages: packages.len(),
                    });
                }
                inventory.packages.extend(packages);
            }
            Err(message) => inventory.errors.push(ExtractError::new(
                Path::new(&resolved.reference),
                None,
                format!("{}: {message}", collector.id()),
            )),
        }
    }
    for (path, layer, packages) in fs.found().filter(|(_, _, packages)| !packages.is_empty()) {
        inventory.files.push(ScannedFile {
            path: format!("/{path}"),
            extractor: BINARY_EXTRACTOR.into(),
            packages: packages.len(),
        });
        inventory.packages.extend(packages.iter().cloned().map(|mut p| {
            p.location.layer.get_or_insert_with(|| layer.to_string());
            p
        }));
    }
    inventory.warnings.extend(fs.analyzer_errors.iter().cloned());
    inventory.warnings.extend(fs.warnings.iter().cloned());
    inventory.warnings.extend(pkgdb::gone::warnings(&fs));
    if detected.is_none() {
        inventory.warnings.push("no /etc/os-release: the distribution is unknown, OS packages are not matched".into());
    }
    // Versions no advisory could be compared with are malformed entries here too, as
    // in lockfiles: an error naming the file, never a silently uncomparable package.
    let mut all =
        crate::inventory::Extracted { packages: std::mem::take(&mut inventory.packages), ..Default::default() };
    inventory.errors.extend(all.take_malformed());
    inventory.packages = all.packages;
    inventory.packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    inventory.own.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok((inventory, stats))
}

#[derive(Default)]
struct Counters {
    layers_read: AtomicUsize,
    layers_from_store: AtomicUsize,
    bytes_read: AtomicU64,
}

fn read_one(
    source: &dyn ImageSource,
    resolved: &ResolvedImage,
    layer: &LayerRef,
    selector: &Selector<'_>,
    store: Option<&dyn LayerStore>,
    analysers: &str,
    counters: &Counters,
) -> Result<LayerFiles, ImageError> {
    let invalid = |e: LayerError| ImageError::Invalid { reference: resolved.reference.clone(), message: e.to_string() };
    let key = layer_cache_key(layer, analysers);
    let stored = store
        .and_then(|s| s.get(&key))
        .and_then(|bytes| cache::decode(&bytes, selector.budget.limit()))
        .filter(|files| files.digest == layer.digest.to_string());
    if let Some(files) = stored {
        // A stored layer's files are in memory too: they count against the budget.
        if !selector.budget.keep(files.kept_bytes()) {
            let (path, size) = files
                .files
                .iter()
                .max_by_key(|(_, c)| c.len())
                .map(|(p, c)| (p.clone(), c.len() as u64))
                .unwrap_or_default();
            return Err(invalid(LayerError::OverBudget {
                layer: files.digest.clone(),
                path,
                size,
                limit: selector.budget.limit(),
            }));
        }
        counters.layers_from_store.fetch_add(1, Ordering::Relaxed);
        return Ok(files);
    }
    let blob = source.open_layer(layer)?;
    let failure = Cell::new(None);
    let counted = Counted { inner: blob, bytes: &counters.bytes_read, failure: &failure };
    let files = read_layer(counted, layer, selector).map_err(|e| {
        // The source's own failure (a registry's 429, a stall) keeps its kind; the
        // message is the layer reader's, which names the layer.
        match failure.take() {
            Some(status) => {
                ImageError::Network { reference: resolved.reference.clone(), message: e.to_string(), status }
            }
            None => invalid(e),
        }
    })?;
    counters.layers_read.fetch_add(1, Ordering::Relaxed);
    // A layer with files left unread depends on what other layers used of the memory
    // budget: it is read again next time rather than stored incomplete.
    if let Some(store) = store.filter(|_| files.oversized.is_empty()) {
        store.put(&key, &files.digest, &cache::encode(&files));
    }
    Ok(files)
}

/// A layer stream that counts its bytes and notes when the source itself failed
/// with a network error (its `ImageError` inside the `io::Error`), so the image's
/// error keeps that kind instead of becoming "invalid".
struct Counted<'a, R> {
    inner: R,
    bytes: &'a AtomicU64,
    /// `Some(status)` once the source failed with `ImageError::Network { status, .. }`.
    failure: &'a Cell<Option<Option<u16>>>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.bytes.fetch_add(n as u64, Ordering::Relaxed);
                Ok(n)
            }
            Err(e) => {
                if let Some(ImageError::Network { status, .. }) = ImageError::inside(&e) {
                    self.failure.set(Some(*status));
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests;
