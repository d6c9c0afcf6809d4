//! One layer blob, read once as a stream: decompress (by magic bytes), walk the tar,
//! and keep only what analysers asked for, plus whiteouts and links. Nothing is
//! written to disk and no file is held in memory unless an analyser wants it, so a
//! 10 GB layer costs the memory of its dpkg status file.
//!
//! Everything in a layer is hostile: paths that climb out of the root are refused,
//! decompressed bytes and tar metadata are capped, and the blob is always read to its
//! end so the digest check of [`super::digest::Verified`] runs even when the tar ends
//! early.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;
use tar::EntryType;

use super::digest::{Algorithm, Digest};
use super::fs::{normalize, Collector, InlineAnalyzer, LayerFiles};
use super::source::LayerRef;

mod budget;
pub use budget::{MemoryBudget, Reservation};

/// Decompressed bytes one layer may expand to before it is taken for a bomb.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 64 << 30;
/// The largest file held in memory for an analyser. Real package databases are far
/// smaller (a large rpmdb is some tens of MB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 128 << 20;
/// All the wanted files one image may hold in memory together, kept for collectors or
/// being read by inline analysers, across all its layers: with the decompressors and
/// the rest of customs this keeps one image analysis under 512 MiB.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 256 << 20;
/// The largest zstd window a layer may ask for (2^25 = 32 MiB, what `zstd -20` uses):
/// the decoder allocates it up front, once per layer read in parallel, so zstd's own
/// ceiling (128 MiB) would let four layers take half the memory budget of a scan.
pub const MAX_ZSTD_WINDOW_LOG: u32 = 25;
/// Tar metadata (GNU long names, PAX records) allowed before one entry. The tar crate
/// reads these into memory whole, so an unbounded one would be an allocation bomb.
const MAX_ENTRY_METADATA: u64 = 1 << 20;
/// Bumped whenever [`read_layer`] keeps something different from the same input, so
/// cached layers read by an older customs are not reused.
pub const READER_VERSION: &str = "3";

/// What to keep while a layer streams by.
pub struct Selector<'a> {
    /// The collectors whose files are kept.
    pub collectors: &'a [&'a dyn Collector],
    /// The analysers run on files as they stream by.
    pub inline: &'a [&'a dyn InlineAnalyzer],
    /// No file larger than this is read into memory, for collectors and inline
    /// analysers alike (an analyser's own cap, applied in `wants`, may be lower).
    /// A larger file a collector wants fails the layer (see `allow_incomplete`); one
    /// only inline analysers want is listed in [`LayerFiles::oversized`].
    pub max_file_size: u64,
    /// The memory for file content shared by every layer of the image (pass the same
    /// budget to each): a layer of a million small wanted files, or many layers of
    /// large ones, must not exhaust memory. Past it, as for `max_file_size`.
    pub budget: Arc<MemoryBudget>,
    /// Decompressed bytes per layer (decompression bombs).
    pub max_layer_bytes: u64,
    /// A wanted file over a limit is a warning and the path is recorded as
    /// [`LayerFiles::replaced`], instead of failing the layer. Either way no lower
    /// layer's copy stands in for it.
    pub allow_incomplete: bool,
}

impl<'a> Selector<'a> {
    /// Selects the files these collectors and analysers want.
    pub fn new(collectors: &'a [&'a dyn Collector], inline: &'a [&'a dyn InlineAnalyzer]) -> Selector<'a> {
        Selector {
            collectors,
            inline,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            budget: MemoryBudget::new(DEFAULT_MAX_IMAGE_BYTES),
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
            allow_incomplete: false,
        }
    }
}

/// Why a layer could not be read. Every message names the layer.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// A layer entry whose path leaves the image root.
    #[error("layer {layer}: entry {entry:?} escapes the image root")]
    EscapesRoot { layer: String, entry: String },
    /// The blob stream itself failed: digest or size mismatch, I/O.
    #[error("layer {layer}: {message}")]
    Blob { layer: String, message: String },
    /// A layer larger than the limit allows.
    #[error("layer {layer}: more than {limit} bytes once decompressed (a decompression bomb?)")]
    TooLarge { layer: String, limit: u64 },
    /// Corrupt or truncated compression, or a malformed tar.
    #[error("layer {layer}: corrupt {format}: {message}")]
    Corrupt { layer: String, format: &'static str, message: String },
    /// A file an analyser needs is too large to read: reporting what lower layers had
    /// there instead would describe a file that is no longer in the image.
    #[error(
        "layer {layer}: /{path} is {}, over the {} limit for one file read for analysis; \
         the image cannot be analysed completely (raise the limit with --max-image-file MIB)",
        size_text(*size), size_text(*limit)
    )]
    FileTooLarge { layer: String, path: String, size: u64, limit: u64 },
    /// Files an analyser needs take more memory, together, than the image's budget.
    #[error(
        "layer {layer}: /{path} ({}) does not fit in the {} memory budget for the files of one image; \
         the image cannot be analysed completely (raise the budget with --max-image-memory MIB)",
        size_text(*size), size_text(*limit)
    )]
    OverBudget { layer: String, path: String, size: u64, limit: u64 },
}

/// `N MiB` for sizes of a MiB or more, else `N bytes`.
pub fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// The cache key of a layer read: its digest, plus a hash of this reader's version and
/// `selector_version`, which must change whenever what the selector keeps changes
/// (analysers added or changed, size caps). Safe as a file name.
pub fn layer_cache_key(layer: &LayerRef, selector_version: &str) -> String {
    let variant = Digest::sha256_of(format!("{READER_VERSION}\0{selector_version}").as_bytes());
    let algorithm = match layer.digest.algorithm {
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha512 => "sha512",
    };
    format!("{algorithm}-{}-{}", layer.digest.hex, &variant.hex[..16])
}

/// Reads one layer blob (gzip, zstd or plain tar, told apart by magic bytes, not by
/// the media type) into what the selector keeps.
pub fn read_layer(blob: impl Read, layer: &LayerRef, selector: &Selector) -> Result<LayerFiles, LayerError> {
    let name = layer.digest.to_string();
    let blob_error = Rc::new(RefCell::new(None));
    let mut tap = Tap { inner: blob, error: blob_error.clone() };
    let blob_failed = |e: io::Error| LayerError::Blob {
        layer: name.clone(),
        message: blob_error.borrow_mut().take().unwrap_or_else(|| e.to_string()),
    };

    let mut head = [0u8; 4];
    let head_len = read_up_to(&mut tap, &mut head).map_err(blob_failed)?;
    let source = BufReader::with_capacity(64 * 1024, io::Cursor::new(head[..head_len].to_vec()).chain(tap));
    let (decoder, format) = match head[..head_len] {
        [0x1f, 0x8b, ..] => (Decoder::Gzip(Box::new(MultiGzDecoder::new(source))), "gzip-compressed tar"),
        [0x28, 0xb5, 0x2f, 0xfd] => match zstd::stream::read::Decoder::with_buffer(source)
            .and_then(|mut d| d.window_log_max(MAX_ZSTD_WINDOW_LOG).map(|()| d))
        {
            Ok(d) => (Decoder::Zstd(d), "zstd-compressed tar"),
            Err(e) => return Err(LayerError::Corrupt { layer: name, format: "zstd stream", message: e.to_string() }),
        },
        _ => (Decoder::Plain(source), "tar"),
    };
    let meter = Rc::new(MeterState::new(selector.max_layer_bytes));
    let mut archive = tar::Archive::new(Metered { inner: decoder, state: meter.clone() });

    let mut files = LayerFiles { digest: name.clone(), ..LayerFiles::default() };
    let walked = walk(&mut archive, &name, selector, &meter, &mut files);
    // Read to the end whatever happened: a tampered or truncated blob shows up only
    // there, and it explains a corrupt stream better than the decompressor can.
    meter.header_budget.set(None);
    let mut metered = archive.into_inner();
    let drained = match walked {
        Ok(()) => io::copy(&mut metered, &mut io::sink()).map(drop),
        Err(_) => Ok(()),
    };
    let source_drained = io::copy(&mut metered.inner.into_source(), &mut io::sink()).map(drop);
    if let Some(message) = blob_error.borrow_mut().take() {
        return Err(LayerError::Blob { layer: name, message });
    }
    let failure = match walked {
        Err(Failure::Layer(e)) => return Err(e),
        Err(Failure::Io(e)) => e,
        Ok(()) => match drained.and(source_drained) {
            Ok(()) => return Ok(files),
            Err(e) => e,
        },
    };
    Err(match meter.tripped.get() {
        Some(Trip::LayerTooLarge) => LayerError::TooLarge { layer: name, limit: selector.max_layer_bytes },
        Some(Trip::MetadataTooLarge) => LayerError::Corrupt {
            layer: name,
            format,
            message: format!("tar metadata (long names, PAX records) over {MAX_ENTRY_METADATA} bytes for one entry"),
        },
        None => {
            let mut message = failure.to_string();
            if format.starts_with("zstd") && message.contains("too much memory") {
                message.push_str(&format!(
                    " (its window is over the {} customs decodes; recompress it at a level up to 19)",
                    size_text(1 << MAX_ZSTD_WINDOW_LOG)
                ));
            }
            LayerError::Corrupt { layer: name, format, message }
        }
    })
}

enum Failure {
    /// Reading failed; the cause is worked out once the stream is drained.
    Io(io::Error),
    /// The layer's content is refused.
    Layer(LayerError),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    layer: &str,
    selector: &Selector,
    meter: &MeterState,
    out: &mut LayerFiles,
) -> Result<(), Failure> {
    let mut entries = archive.entries()?;
    loop {
        meter.header_budget.set(Some(MAX_ENTRY_METADATA));
        let Some(entry) = entries.next() else { return Ok(()) };
        let mut entry = entry?;
        meter.header_budget.set(None);

        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let escapes = || Failure::Layer(LayerError::EscapesRoot { layer: layer.to_string(), entry: raw_path.clone() });
        let path = normalize(&raw_path).map_err(|_| escapes())?;
        if path.is_empty() {
            // The root directory itself (`/`, `./`).
            io::copy(&mut entry, &mut io::sink())?;
            continue;
        }
        let kind = entry.header().entry_type();
        let (parent, base) = path.rsplit_once('/').unwrap_or(("", path.as_str()));

        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                out.opaque_dirs.push(parent.to_string());
            } else if !hidden.starts_with(".wh.") && !hidden.is_empty() {
                // `.wh..wh.*` names other than the opaque marker are aufs bookkeeping.
                let removed = normalize(&format!("{parent}/{hidden}")).map_err(|_| escapes())?;
                if !removed.is_empty() && removed != parent {
                    out.whiteouts.push(removed);
                }
            }
        } else if kind.is_symlink() {
            let target = entry.link_name_bytes().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default();
            forget(out, &path);
            out.symlinks.insert(path, target);
        } else if kind.is_hard_link() {
            let raw_target =
                entry.link_name_bytes().map(|t| String::from_utf8_lossy(&t).into_owned()).unwrap_or_default();
            let target = normalize(&raw_target).map_err(|_| {
                Failure::Layer(LayerError::EscapesRoot { layer: layer.to_string(), entry: raw_target.clone() })
            })?;
            hard_link(out, selector, layer, path, target)?;
        } else if matches!(kind, EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse) {
            regular_file(&mut entry, out, selector, layer, path)?;
        } else {
            not_a_file(out, selector, layer, path, kind);
        }
        // What was not read (skipped files, devices, directories) is drained here, in
        // chunks, so the tar reader only ever skips padding.
        io::copy(&mut entry, &mut io::sink())?;
    }
}

/// A later entry at the same path replaces an earlier one.
fn forget(out: &mut LayerFiles, path: &str) {
    out.files.remove(path);
    out.found.remove(path);
    out.symlinks.remove(path);
}

/// A hard link names an earlier entry of the same tar: a wanted link gets a copy of the
/// target's kept content; otherwise it becomes an alias that resolves to the target
/// (absolute, since hard link targets are relative to the root, not to the link).
fn hard_link(
    out: &mut LayerFiles,
    selector: &Selector,
    layer: &str,
    path: String,
    target: String,
) -> Result<(), Failure> {
    let wanted = selector.collectors.iter().any(|c| c.wants(&path));
    let Some(size) = out.files.get(&target).filter(|_| wanted).map(|c| c.len() as u64) else {
        forget(out, &path);
        out.symlinks.insert(path, format!("/{target}"));
        return Ok(());
    };
    let Some(reservation) = selector.budget.reserve(size) else {
        forget(out, &path);
        return not_kept(out, selector, layer, path, Unread::OverBudget(size));
    };
    reservation.keep();
    let copy = out.files.get(&target).cloned().unwrap_or_default();
    forget(out, &path);
    out.files.insert(path, copy);
    Ok(())
}

/// Why a wanted file was not read.
enum Unread {
    /// Its size, over [`Selector::max_file_size`].
    TooLarge(u64),
    /// Its size, which the image's memory budget has no room for.
    OverBudget(u64),
}

/// A wanted file that is not read: the layer fails when a collector needed it (unless
/// incomplete results are allowed); otherwise it is noted. Either way it replaces
/// what lower layers had at its path.
fn not_kept(out: &mut LayerFiles, selector: &Selector, layer: &str, path: String, why: Unread) -> Result<(), Failure> {
    let collected = selector.collectors.iter().any(|c| c.wants(&path));
    let error = match why {
        Unread::TooLarge(size) => LayerError::FileTooLarge {
            layer: layer.to_string(),
            path: path.clone(),
            size,
            limit: selector.max_file_size,
        },
        Unread::OverBudget(size) => LayerError::OverBudget {
            layer: layer.to_string(),
            path: path.clone(),
            size,
            limit: selector.budget.limit(),
        },
    };
    if collected && !selector.allow_incomplete {
        return Err(Failure::Layer(error));
    }
    out.warnings.push(format!("{error}; not analysed"));
    out.oversized.push(path.clone());
    out.replaced.push(path);
    Ok(())
}

/// Directories, FIFOs, devices: never opened. One at a wanted path replaces the file
/// lower layers had there, which is said when it is not a directory.
fn not_a_file(out: &mut LayerFiles, selector: &Selector, layer: &str, path: String, kind: EntryType) {
    forget(out, &path);
    let what = match kind {
        EntryType::Fifo => "a FIFO",
        EntryType::Char => "a character device",
        EntryType::Block => "a block device",
        EntryType::Directory => return,
        _ => "not a regular file",
    };
    // Only a path a collector reads is worth a warning: binary analysers would "want"
    // every device node (`/dev/zero` in any Debian image) by its mode alone.
    if selector.collectors.iter().any(|c| c.wants(&path)) {
        out.warnings.push(format!("layer {layer}: /{path} is {what}, not a regular file; skipped"));
        out.replaced.push(path);
    } else if super::pkgdb::gone::holds_database(&path) {
        out.replaced.push(path);
    }
}

fn regular_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    out: &mut LayerFiles,
    selector: &Selector,
    layer: &str,
    path: String,
) -> Result<(), Failure> {
    let size = entry.size();
    // A mode that does not parse only informs analysers' choices: take it as 0.
    let mode = entry.header().mode().unwrap_or(0);
    let collect = selector.collectors.iter().any(|c| c.wants(&path));
    let inline: Vec<&dyn InlineAnalyzer> =
        selector.inline.iter().copied().filter(|a| a.wants(&path, mode, size)).collect();
    forget(out, &path);
    if !collect && inline.is_empty() {
        if super::pkgdb::gone::holds_database(&path) {
            // A file where a package database's directory was: it replaces the
            // database, so no lower layer's copy may stand in for it.
            out.replaced.push(path);
        }
        return Ok(());
    }
    if size > selector.max_file_size {
        return not_kept(out, selector, layer, path, Unread::TooLarge(size));
    }
    let Some(reservation) = selector.budget.reserve(size) else {
        return not_kept(out, selector, layer, path, Unread::OverBudget(size));
    };
    let mut content = Vec::with_capacity(size as usize);
    entry.take(size).read_to_end(&mut content)?;
    for analyzer in inline {
        match analyzer.analyze(&path, &content) {
            Ok(packages) => out.found.entry(path.clone()).or_default().extend(packages),
            Err(e) => out.analyzer_errors.push(format!("layer {layer}: /{path}: {}: {e}", analyzer.id())),
        }
    }
    if collect {
        reservation.keep();
        out.files.insert(path, content);
    }
    Ok(())
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The blob stream, remembering its first error: errors from the blob (digest, size,
/// network) come out of the decompressor and the tar reader reworded or wrapped, and
/// they are the real cause of whatever failed after them.
struct Tap<R> {
    inner: R,
    error: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for Tap<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            let mut first = self.error.borrow_mut();
            if first.is_none() {
                *first = Some(e.to_string());
            }
        })
    }
}

enum Decoder<R: BufRead> {
    Gzip(Box<MultiGzDecoder<R>>),
    Zstd(zstd::stream::read::Decoder<'static, R>),
    Plain(R),
}

impl<R: BufRead> Decoder<R> {
    /// The compressed stream under the decoder, to read it to its end.
    fn into_source(self) -> R {
        match self {
            Decoder::Gzip(d) => (*d).into_inner(),
            Decoder::Zstd(d) => d.finish(),
            Decoder::Plain(r) => r,
        }
    }
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
            Decoder::Plain(r) => r.read(buf),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trip {
    LayerTooLarge,
    MetadataTooLarge,
}

/// Limits shared between a [`Metered`] stream (owned by the tar reader) and the code
/// driving it.
pub(super) struct MeterState {
    total: Cell<u64>,
    limit: u64,
    /// While set, reads may not exceed it: set around the tar reader's search for the
    /// next entry, when all it reads is headers and metadata.
    pub(super) header_budget: Cell<Option<u64>>,
    pub(super) tripped: Cell<Option<Trip>>,
}

impl MeterState {
    pub(super) fn new(limit: u64) -> MeterState {
        MeterState { total: Cell::new(0), limit, header_budget: Cell::new(None), tripped: Cell::new(None) }
    }

    fn count(&self, n: usize) -> io::Result<()> {
        let total = self.total.get().saturating_add(n as u64);
        self.total.set(total);
        if total > self.limit {
            self.tripped.set(Some(Trip::LayerTooLarge));
            return Err(io::Error::other(format!("more than {} bytes", self.limit)));
        }
        if let Some(budget) = self.header_budget.get() {
            if n as u64 > budget {
                self.tripped.set(Some(Trip::MetadataTooLarge));
                return Err(io::Error::other(format!("tar metadata over {MAX_ENTRY_METADATA} bytes")));
            }
            self.header_budget.set(Some(budget - n as u64));
        }
        Ok(())
    }
}

/// A stream whose reads are counted against a [`MeterState`].
pub(super) struct Metered<R> {
    pub(super) inner: R,
    pub(super) state: Rc<MeterState>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.state.count(n)?;
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for Metered<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests;
