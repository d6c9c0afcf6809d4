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

use flate2::bufread::MultiGzDecoder;
use tar::EntryType;

use super::digest::{Algorithm, Digest};
use super::fs::{normalize, Collector, InlineAnalyzer, LayerFiles};
use super::source::LayerRef;

/// Decompressed bytes one layer may expand to before it is taken for a bomb.
pub const DEFAULT_MAX_LAYER_BYTES: u64 = 64 << 30;
/// The largest file held in memory for an analyser.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 256 << 20;
/// All the wanted files one layer may keep in memory together.
pub const DEFAULT_MAX_KEPT_BYTES: u64 = 1 << 30;
/// Tar metadata (GNU long names, PAX records) allowed before one entry. The tar crate
/// reads these into memory whole, so an unbounded one would be an allocation bomb.
const MAX_ENTRY_METADATA: u64 = 1 << 20;
/// Bumped whenever [`read_layer`] keeps something different from the same input, so
/// cached layers read by an older customs are not reused.
const READER_VERSION: &str = "1";

/// What to keep while a layer streams by.
pub struct Selector<'a> {
    pub collectors: &'a [&'a dyn Collector],
    pub inline: &'a [&'a dyn InlineAnalyzer],
    /// No file larger than this is read into memory, for collectors and inline
    /// analysers alike (an analyser's own cap, applied in `wants`, may be lower).
    /// Larger wanted files are listed in [`LayerFiles::oversized`].
    pub max_file_size: u64,
    /// All the content one layer keeps for collectors, together: a layer of a
    /// million small wanted files must not exhaust memory. Files past it are listed
    /// in [`LayerFiles::oversized`].
    pub max_kept_bytes: u64,
    /// Decompressed bytes per layer (decompression bombs).
    pub max_layer_bytes: u64,
}

impl<'a> Selector<'a> {
    pub fn new(collectors: &'a [&'a dyn Collector], inline: &'a [&'a dyn InlineAnalyzer]) -> Selector<'a> {
        Selector {
            collectors,
            inline,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_kept_bytes: DEFAULT_MAX_KEPT_BYTES,
            max_layer_bytes: DEFAULT_MAX_LAYER_BYTES,
        }
    }
}

/// Why a layer could not be read. Every message names the layer.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer {layer}: entry {entry:?} escapes the image root")]
    EscapesRoot { layer: String, entry: String },
    /// The blob stream itself failed: digest or size mismatch, I/O.
    #[error("layer {layer}: {message}")]
    Blob { layer: String, message: String },
    #[error("layer {layer}: more than {limit} bytes once decompressed (a decompression bomb?)")]
    TooLarge { layer: String, limit: u64 },
    /// Corrupt or truncated compression, or a malformed tar.
    #[error("layer {layer}: corrupt {format}: {message}")]
    Corrupt { layer: String, format: &'static str, message: String },
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
        [0x28, 0xb5, 0x2f, 0xfd] => match zstd::stream::read::Decoder::with_buffer(source) {
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
        None => LayerError::Corrupt { layer: name, format, message: failure.to_string() },
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
    // Content kept so far (replaced files still count: this bounds what was read).
    let mut kept = 0u64;
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
            hard_link(out, selector, &mut kept, path, target);
        } else if matches!(kind, EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse) {
            regular_file(&mut entry, out, selector, &mut kept, layer, path)?;
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
fn hard_link(out: &mut LayerFiles, selector: &Selector, kept: &mut u64, path: String, target: String) {
    let content = out.files.get(&target).cloned();
    forget(out, &path);
    match content {
        Some(content) if selector.collectors.iter().any(|c| c.wants(&path)) => {
            if keep(kept, content.len() as u64, selector) {
                out.files.insert(path, content);
            } else {
                out.oversized.push(path);
            }
        }
        _ => {
            out.symlinks.insert(path, format!("/{target}"));
        }
    }
}

fn regular_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    out: &mut LayerFiles,
    selector: &Selector,
    kept: &mut u64,
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
        return Ok(());
    }
    if size > selector.max_file_size {
        out.oversized.push(path);
        return Ok(());
    }
    let keep_content = collect && keep(kept, size, selector);
    if collect && !keep_content {
        out.oversized.push(path.clone());
    }
    if !keep_content && inline.is_empty() {
        return Ok(());
    }
    let mut content = Vec::with_capacity(size as usize);
    entry.take(selector.max_file_size).read_to_end(&mut content)?;
    for analyzer in inline {
        match analyzer.analyze(&path, &content) {
            Ok(packages) => out.found.entry(path.clone()).or_default().extend(packages),
            Err(e) => out.analyzer_errors.push(format!("layer {layer}: /{path}: {}: {e}", analyzer.id())),
        }
    }
    if keep_content {
        out.files.insert(path, content);
    }
    Ok(())
}

/// Counts `size` more bytes against the layer's budget for kept content, unless that
/// would exceed it.
fn keep(kept: &mut u64, size: u64, selector: &Selector) -> bool {
    match kept.checked_add(size) {
        Some(total) if total <= selector.max_kept_bytes => {
            *kept = total;
            true
        }
        _ => false,
    }
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
