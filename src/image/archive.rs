//! Images on disk: OCI image layouts (a directory), OCI archives (the same layout in a
//! tar) and `docker save` archives.
//!
//! Archives are never extracted: the tar is indexed once (entry name → byte range) and
//! each blob is read straight from its range. Every manifest, index and config read
//! here is checked against its digest and size; layers are handed out as
//! [`Verified`] streams. Sizes of the JSON documents are capped, and names taken from
//! the archive are normalised and may not climb out of it.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tar::EntryType;

use super::digest::{Algorithm, Digest, Verified};
use super::fs::normalize;
use super::layers::{MeterState, Metered};
use super::reference::{ArchiveImage, ImageRef, RegistryRef};
use super::source::{ImageError, ImageSource, LayerRef, Platform, ResolvedImage};

mod oci;
use oci::{ImageConfig, OciImage};

/// `index.json`, `manifest.json`, image manifests and indexes (the registry API caps
/// manifests at 4 MiB too).
const MAX_DOCUMENT_BYTES: u64 = 4 << 20;
const MAX_CONFIG_BYTES: u64 = 32 << 20;
/// Entries indexed in one archive; image archives hold a few per layer.
const MAX_ARCHIVE_ENTRIES: usize = 100_000;
/// Longer entry names are skipped: no blob or manifest is named like that.
const MAX_ENTRY_NAME: usize = 4096;
/// Tar metadata allowed before one entry (long names, PAX records).
const MAX_ENTRY_METADATA: u64 = 1 << 20;
/// Index → index → manifest nesting followed before giving up.
const MAX_INDEX_DEPTH: usize = 4;
/// Links followed when looking an archive entry up.
const MAX_LINK_HOPS: usize = 8;

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Opens an archive or layout reference; `None` for a registry reference.
pub fn open(image: &ImageRef, platform: Platform) -> Option<Result<Box<dyn ImageSource>, ImageError>> {
    fn boxed(source: Result<impl ImageSource + 'static, ImageError>) -> Result<Box<dyn ImageSource>, ImageError> {
        source.map(|s| Box::new(s) as Box<dyn ImageSource>)
    }
    Some(match image {
        ImageRef::Registry(_) => return None,
        ImageRef::DockerArchive { path, image } => boxed(DockerArchive::open(path, image.as_ref())),
        ImageRef::OciArchive { path, tag } => boxed(OciArchive::open(path, tag.clone(), platform)),
        ImageRef::OciLayout { dir, tag } => boxed(OciLayout::open(dir, tag.clone(), platform)),
    })
}

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`).
pub struct OciLayout(OciImage<LayoutDir>);

impl OciLayout {
    /// `tag` picks a manifest by its `org.opencontainers.image.ref.name`; `platform`
    /// picks one from a multi-platform index.
    pub fn open(dir: &Path, tag: Option<String>, platform: Platform) -> Result<OciLayout, ImageError> {
        let reference = ImageRef::OciLayout { dir: dir.to_path_buf(), tag: tag.clone() }.to_string();
        if !dir.is_dir() {
            return Err(ImageError::NotFound { reference, message: "no such directory".into() });
        }
        let blobs = LayoutDir { root: dir.to_path_buf(), reference: reference.clone() };
        Ok(OciLayout(OciImage { blobs, tag, platform, reference }))
    }
}

impl ImageSource for OciLayout {
    fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        self.0.resolve()
    }
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.0.open_layer(layer)
    }
}

/// An OCI image layout packed in a tar (`oci-archive:`), read in place.
pub struct OciArchive(OciImage<TarIndex>);

impl OciArchive {
    /// Indexes the archive (one pass over its headers); see [`OciLayout::open`].
    pub fn open(path: &Path, tag: Option<String>, platform: Platform) -> Result<OciArchive, ImageError> {
        let reference = ImageRef::OciArchive { path: path.to_path_buf(), tag: tag.clone() }.to_string();
        let blobs = TarIndex::build(path, &reference)?;
        Ok(OciArchive(OciImage { blobs, tag, platform, reference }))
    }
}

impl ImageSource for OciArchive {
    fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        self.0.resolve()
    }
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        self.0.open_layer(layer)
    }
}

/// A `docker save` archive: `manifest.json` (`[{Config, RepoTags, Layers}]`) naming
/// the config and layer files, as `<id>/layer.tar`, `<hex>.tar` or `blobs/sha256/<hex>`.
///
/// Such an archive has no manifest, so [`ResolvedImage::manifest_digest`] is the
/// digest of the config (the image ID `docker images` shows). A layer's digest is that
/// of its file as stored: for an uncompressed layer (the usual case) that is its diff
/// ID from the config; a compressed one is hashed when the archive is opened. The
/// archive holds one platform's image, whatever platform was asked for.
pub struct DockerArchive {
    index: TarIndex,
    image: ResolvedImage,
    /// Layer digest → entry name.
    layer_files: HashMap<Digest, String>,
}

#[derive(Deserialize)]
struct DockerManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

impl DockerArchive {
    /// Indexes the archive and reads the manifest and config of its image: the only
    /// one, or the one `image` picks (required when the archive holds several).
    pub fn open(path: &Path, image: Option<&ArchiveImage>) -> Result<DockerArchive, ImageError> {
        let reference = ImageRef::DockerArchive { path: path.to_path_buf(), image: image.cloned() }.to_string();
        let index = TarIndex::build(path, &reference)?;
        let invalid = |message: String| ImageError::Invalid { reference: reference.clone(), message };
        let Some(manifest) = index.read("manifest.json", MAX_DOCUMENT_BYTES)? else {
            let hint = if index.lookup("index.json").is_some() { " (an OCI archive? use oci-archive:)" } else { "" };
            return Err(invalid(format!("not a docker archive: manifest.json is missing{hint}")));
        };
        let mut images: Vec<DockerManifest> =
            serde_json::from_slice(&manifest).map_err(|e| invalid(format!("manifest.json is malformed: {e}")))?;
        if images.is_empty() {
            return Err(invalid("manifest.json lists no image".into()));
        }
        let chosen = choose_image(&images, image, path, &reference)?;
        let image = images.swap_remove(chosen);

        let config_name = archive_name(&image.config).ok_or_else(|| {
            invalid(format!("manifest.json: config path {:?} climbs out of the archive", image.config))
        })?;
        let config = index.read(&config_name, MAX_CONFIG_BYTES)?.ok_or_else(|| ImageError::NotFound {
            reference: reference.clone(),
            message: format!("manifest.json names config {:?}, which the archive does not contain", image.config),
        })?;
        let parsed = ImageConfig::parse(&config).map_err(invalid)?;
        if parsed.diff_ids.len() != image.layers.len() {
            return Err(invalid(format!(
                "manifest.json lists {} layers but the config has {} diff_ids",
                image.layers.len(),
                parsed.diff_ids.len()
            )));
        }

        let mut layers = Vec::new();
        let mut layer_files = HashMap::new();
        for (path, diff_id) in image.layers.iter().zip(&parsed.diff_ids) {
            let name = archive_name(path)
                .ok_or_else(|| invalid(format!("manifest.json: layer path {path:?} climbs out of the archive")))?;
            let span = index.lookup(&name).ok_or_else(|| ImageError::NotFound {
                reference: reference.clone(),
                message: format!("manifest.json names layer {path:?}, which the archive does not contain"),
            })?;
            let (digest, media_type) = index.stored_layer_digest(&name, span, diff_id)?;
            layer_files.insert(digest.clone(), name);
            layers.push(LayerRef { digest, media_type: media_type.to_string(), size: span.size });
        }
        let platform = parsed.platform.clone().unwrap_or_else(Platform::linux_amd64);
        let image = ResolvedImage {
            reference,
            manifest_digest: Digest::sha256_of(&config),
            platform,
            layers,
            diff_ids: parsed.diff_ids,
            annotations: BTreeMap::new(),
            labels: parsed.labels,
            config,
        };
        Ok(DockerArchive { index, image, layer_files })
    }
}

impl ImageSource for DockerArchive {
    fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        Ok(self.image.clone())
    }

    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let not_found = || ImageError::NotFound {
            reference: self.image.reference.clone(),
            message: format!("layer {} is not in the archive", layer.digest),
        };
        let name = self.layer_files.get(&layer.digest).ok_or_else(not_found)?;
        let (stream, _) = self.index.open(name)?.ok_or_else(not_found)?;
        let origin = self.image.reference.clone();
        Ok(Box::new(Verified::new(stream, layer.digest.clone(), Some(layer.size), origin)))
    }
}

/// The index in manifest.json of the image `wanted` names; without a choice, the only
/// image. The errors list what the archive holds.
fn choose_image(
    images: &[DockerManifest],
    wanted: Option<&ArchiveImage>,
    path: &Path,
    reference: &str,
) -> Result<usize, ImageError> {
    let invalid = |message| ImageError::Invalid { reference: reference.into(), message };
    let not_found = |message| ImageError::NotFound { reference: reference.into(), message };
    let listing = || {
        let entries: Vec<String> = images
            .iter()
            .enumerate()
            .map(|(i, image)| match image.repo_tags.as_deref() {
                Some(tags) if !tags.is_empty() => format!("@{i} {}", tags.join(" ")),
                _ => format!("@{i} (untagged)"),
            })
            .collect();
        entries.join(", ")
    };
    match wanted {
        None if images.len() == 1 => Ok(0),
        None => Err(invalid(format!(
            "the archive holds {} images; choose one with docker-archive:{path}:NAME:TAG or \
             docker-archive:{path}:@N (it has {})",
            images.len(),
            listing(),
            path = path.display()
        ))),
        Some(ArchiveImage::Index(n)) if *n < images.len() => Ok(*n),
        Some(ArchiveImage::Index(n)) => Err(not_found(format!(
            "no image @{n}: the archive holds {} image{} (it has {})",
            images.len(),
            if images.len() == 1 { "" } else { "s" },
            listing()
        ))),
        Some(ArchiveImage::Reference(wanted)) => {
            let tagged = |image: &DockerManifest| {
                image.repo_tags.iter().flatten().any(|tag| RegistryRef::parse(tag).is_ok_and(|tag| tag == *wanted))
            };
            let matching: Vec<usize> = (0..images.len()).filter(|&i| tagged(&images[i])).collect();
            match matching[..] {
                [i] => Ok(i),
                [] => Err(not_found(format!("no image tagged {wanted} in the archive (it has {})", listing()))),
                _ => {
                    let at: Vec<String> = matching.iter().map(|i| format!("@{i}")).collect();
                    Err(invalid(format!(
                        "{} images are tagged {wanted} ({}); choose one by its index (it has {})",
                        matching.len(),
                        at.join(", "),
                        listing()
                    )))
                }
            }
        }
    }
}

/// `Layers`/`Config` paths of manifest.json as index names; `None` when they climb out.
fn archive_name(path: &str) -> Option<String> {
    normalize(path).ok().filter(|name| !name.is_empty())
}

/// A blob's bytes, straight from the file or archive (not yet verified).
type BlobStream = Box<dyn Read + Send>;

/// Where blobs and the layout's files are read from.
trait Blobs: Send + Sync {
    fn reference(&self) -> &str;
    /// A whole file, refused over `limit` bytes; `None` when it does not exist.
    fn read(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ImageError>;
    /// A file as a stream, with its size; `None` when it does not exist.
    fn open(&self, name: &str) -> Result<Option<(BlobStream, u64)>, ImageError>;
}

fn blob_name(digest: &Digest) -> String {
    let algorithm = match digest.algorithm {
        Algorithm::Sha256 => "sha256",
        Algorithm::Sha512 => "sha512",
    };
    format!("blobs/{algorithm}/{}", digest.hex)
}

fn too_large(reference: &str, name: &str, limit: u64) -> ImageError {
    ImageError::Invalid { reference: reference.into(), message: format!("{name} is larger than {limit} bytes") }
}

struct LayoutDir {
    root: PathBuf,
    reference: String,
}

impl LayoutDir {
    /// Opens a regular file (a FIFO or device planted in a layout would block or never
    /// end).
    fn file(&self, name: &str) -> Result<Option<(File, u64)>, ImageError> {
        let io_error = |source| ImageError::Io { reference: self.reference.clone(), source };
        let path = self.root.join(name);
        let metadata = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(e)),
        };
        if !metadata.is_file() {
            return Err(ImageError::Invalid {
                reference: self.reference.clone(),
                message: format!("{name} is not a file"),
            });
        }
        Ok(Some((File::open(&path).map_err(io_error)?, metadata.len())))
    }
}

impl Blobs for LayoutDir {
    fn reference(&self) -> &str {
        &self.reference
    }

    fn read(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ImageError> {
        let Some((file, size)) = self.file(name)? else { return Ok(None) };
        if size > limit {
            return Err(too_large(&self.reference, name, limit));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| ImageError::Io { reference: self.reference.clone(), source })?;
        if bytes.len() as u64 > limit {
            return Err(too_large(&self.reference, name, limit));
        }
        Ok(Some(bytes))
    }

    fn open(&self, name: &str) -> Result<Option<(BlobStream, u64)>, ImageError> {
        Ok(self.file(name)?.map(|(file, size)| (Box::new(BufReader::new(file)) as BlobStream, size)))
    }
}

/// Where an archive entry's content lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    offset: u64,
    size: u64,
}

/// A tar's entries, indexed once by name so blobs are read in place.
struct TarIndex {
    path: PathBuf,
    reference: String,
    files: HashMap<String, Span>,
    /// Hard links (to a name) and symlinks (to a target relative to the link's
    /// directory), resolved at lookup.
    hard_links: HashMap<String, String>,
    symlinks: HashMap<String, String>,
}

impl TarIndex {
    fn build(path: &Path, reference: &str) -> Result<TarIndex, ImageError> {
        let io_error = |source| ImageError::Io { reference: reference.to_string(), source };
        let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                ImageError::NotFound { reference: reference.into(), message: "no such file".into() }
            }
            _ => io_error(e),
        })?;
        if !metadata.is_file() {
            return Err(ImageError::Invalid { reference: reference.into(), message: "not a file".into() });
        }
        let file = File::open(path).map_err(io_error)?;
        let meter = Rc::new(MeterState::new(u64::MAX));
        let mut archive = tar::Archive::new(Metered { inner: file, state: meter.clone() });
        let corrupt = |e: io::Error| ImageError::Invalid {
            reference: reference.into(),
            message: match meter.tripped.get() {
                Some(_) => format!("not a tar archive: metadata over {MAX_ENTRY_METADATA} bytes for one entry"),
                None => format!("not a tar archive: {e}"),
            },
        };
        let mut index = TarIndex {
            path: path.to_path_buf(),
            reference: reference.into(),
            files: HashMap::new(),
            hard_links: HashMap::new(),
            symlinks: HashMap::new(),
        };
        let mut entries = archive.entries_with_seek().map_err(corrupt)?;
        let mut count = 0;
        loop {
            meter.header_budget.set(Some(MAX_ENTRY_METADATA));
            let Some(entry) = entries.next() else { break };
            let entry = entry.map_err(corrupt)?;
            meter.header_budget.set(None);
            count += 1;
            if count > MAX_ARCHIVE_ENTRIES {
                return Err(ImageError::Invalid {
                    reference: reference.into(),
                    message: format!("more than {MAX_ARCHIVE_ENTRIES} entries: not an image archive"),
                });
            }
            let raw = entry.path_bytes();
            if raw.len() > MAX_ENTRY_NAME {
                continue;
            }
            // Names that climb out are never looked up: blob and manifest names are
            // normalised before lookup.
            let Ok(name) = normalize(&String::from_utf8_lossy(&raw)) else { continue };
            let link = || entry.link_name_bytes().map(|l| String::from_utf8_lossy(&l).into_owned()).unwrap_or_default();
            // A later entry replaces an earlier one of the same name.
            index.files.remove(&name);
            index.hard_links.remove(&name);
            index.symlinks.remove(&name);
            match entry.header().entry_type() {
                EntryType::Regular | EntryType::Continuous => {
                    index.files.insert(name, Span { offset: entry.raw_file_position(), size: entry.size() });
                }
                EntryType::Link => {
                    index.hard_links.insert(name, link());
                }
                EntryType::Symlink => {
                    index.symlinks.insert(name, link());
                }
                _ => {}
            }
        }
        Ok(index)
    }

    /// Finds an entry's content, following links inside the archive.
    fn lookup(&self, name: &str) -> Option<Span> {
        let mut name = name.to_string();
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(span) = self.files.get(&name) {
                return Some(*span);
            }
            name = if let Some(target) = self.hard_links.get(&name) {
                normalize(target).ok()?
            } else {
                let target = self.symlinks.get(&name)?;
                let dir = name.rsplit_once('/').map_or("", |(dir, _)| dir);
                join_inside(dir, target)?
            };
        }
        None
    }

    /// The digest of a docker-archive layer as stored, and its media type: the name's
    /// digest for `blobs/<alg>/<hex>`, the diff ID for an uncompressed tar (its stored
    /// bytes are the diff), else the hash of the file.
    fn stored_layer_digest(
        &self,
        name: &str,
        span: Span,
        diff_id: &Digest,
    ) -> Result<(Digest, &'static str), ImageError> {
        let io_error = |source| ImageError::Io { reference: self.reference.clone(), source };
        let (mut stream, _) = self.open(name)?.ok_or_else(|| ImageError::NotFound {
            reference: self.reference.clone(),
            message: format!("layer {name:?} is missing"),
        })?;
        let mut head = [0u8; 4];
        let head_len = (&mut stream).take(4).read(&mut head).map_err(io_error)?;
        let media_type = match head[..head_len] {
            [0x1f, 0x8b, ..] => "application/vnd.docker.image.rootfs.diff.tar.gzip",
            [0x28, 0xb5, 0x2f, 0xfd] => "application/vnd.oci.image.layer.v1.tar+zstd",
            _ => "application/vnd.docker.image.rootfs.diff.tar",
        };
        let named = name.strip_prefix("blobs/").and_then(|rest| Digest::parse(&rest.replacen('/', ":", 1)).ok());
        if let Some(digest) = named {
            return Ok((digest, media_type));
        }
        if media_type.ends_with(".diff.tar") && span.size > 0 {
            return Ok((diff_id.clone(), media_type));
        }
        let mut hasher = Sha256::new();
        hasher.update(&head[..head_len]);
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stream.read(&mut buf).map_err(io_error)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok((Digest { algorithm: Algorithm::Sha256, hex }, media_type))
    }
}

/// `dir/target` normalised, `..` allowed while it stays inside; `None` when it climbs
/// out. An absolute target starts at the archive root.
fn join_inside(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') { Vec::new() } else { dir.split('/').collect() };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop().filter(|p| !p.is_empty())?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("/"))
}

impl Blobs for TarIndex {
    fn reference(&self) -> &str {
        &self.reference
    }

    fn read(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, ImageError> {
        let Some((stream, size)) = self.open(name)? else { return Ok(None) };
        if size > limit {
            return Err(too_large(&self.reference, name, limit));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        stream
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|source| ImageError::Io { reference: self.reference.clone(), source })?;
        if bytes.len() as u64 != size {
            return Err(ImageError::Invalid {
                reference: self.reference.clone(),
                message: format!("{name} is truncated: {} of {size} bytes", bytes.len()),
            });
        }
        Ok(Some(bytes))
    }

    fn open(&self, name: &str) -> Result<Option<(BlobStream, u64)>, ImageError> {
        let Some(span) = self.lookup(name) else { return Ok(None) };
        let io_error = |source| ImageError::Io { reference: self.reference.clone(), source };
        let mut file = File::open(&self.path).map_err(io_error)?;
        file.seek(SeekFrom::Start(span.offset)).map_err(io_error)?;
        Ok(Some((Box::new(BufReader::new(file.take(span.size))), span.size)))
    }
}

#[cfg(test)]
mod tests;
