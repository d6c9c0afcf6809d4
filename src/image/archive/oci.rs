//! The OCI image layout, wherever its files live: `index.json` → (tag) → image index
//! → (platform) → manifest → config and layers. Every blob read is checked against
//! its descriptor's digest and size.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Deserialize;

use super::{
    blob_name, Blobs, DOCKER_LIST, DOCKER_MANIFEST, MAX_CONFIG_BYTES, MAX_DOCUMENT_BYTES, MAX_INDEX_DEPTH, OCI_INDEX,
    OCI_LAYER, OCI_MANIFEST, REF_NAME,
};
use crate::image::digest::{Digest, Verified};
use crate::image::source::{ImageError, LayerRef, Platform, ResolvedImage};

pub(super) struct OciImage<B> {
    pub(super) blobs: B,
    pub(super) tag: Option<String>,
    pub(super) platform: Platform,
    pub(super) reference: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: Option<String>,
    digest: Digest,
    size: u64,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
    #[serde(default)]
    platform: Option<Platform>,
}

impl Descriptor {
    fn ref_name(&self) -> Option<&str> {
        self.annotations.as_ref()?.get(REF_NAME).map(String::as_str)
    }
}

/// An image index or an image manifest: which one is told by the media type, or by
/// the fields present when there is none.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutMarker {
    image_layout_version: String,
}

/// What customs reads from an image config.
pub(super) struct ImageConfig {
    pub(super) platform: Option<Platform>,
    pub(super) diff_ids: Vec<Digest>,
    pub(super) labels: BTreeMap<String, String>,
}

impl ImageConfig {
    pub(super) fn parse(bytes: &[u8]) -> Result<ImageConfig, String> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            architecture: Option<String>,
            #[serde(default)]
            os: Option<String>,
            #[serde(default)]
            variant: Option<String>,
            #[serde(default)]
            rootfs: Option<RootFs>,
            #[serde(default)]
            config: Option<RunConfig>,
        }
        #[derive(Deserialize)]
        struct RootFs {
            #[serde(default)]
            diff_ids: Vec<Digest>,
        }
        #[derive(Deserialize)]
        struct RunConfig {
            #[serde(rename = "Labels", default)]
            labels: Option<BTreeMap<String, String>>,
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("the image config is malformed: {e}"))?;
        let platform = match (raw.os, raw.architecture) {
            (Some(os), Some(architecture)) if !os.is_empty() && !architecture.is_empty() => {
                Some(Platform { os, architecture, variant: raw.variant.filter(|v| !v.is_empty()) })
            }
            _ => None,
        };
        Ok(ImageConfig {
            platform,
            diff_ids: raw.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
            labels: raw.config.and_then(|c| c.labels).unwrap_or_default(),
        })
    }
}

impl<B: Blobs> OciImage<B> {
    fn invalid(&self, message: String) -> ImageError {
        ImageError::Invalid { reference: self.reference.clone(), message }
    }

    fn not_found(&self, message: String) -> ImageError {
        ImageError::NotFound { reference: self.reference.clone(), message }
    }

    pub(super) fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        if let Some(marker) = self.blobs.read("oci-layout", MAX_DOCUMENT_BYTES)? {
            let marker: LayoutMarker =
                serde_json::from_slice(&marker).map_err(|e| self.invalid(format!("oci-layout is malformed: {e}")))?;
            if !marker.image_layout_version.starts_with("1.") {
                return Err(self.invalid(format!(
                    "unsupported OCI layout version {:?} (customs reads 1.x)",
                    marker.image_layout_version
                )));
            }
        }
        let Some(index) = self.blobs.read("index.json", MAX_DOCUMENT_BYTES)? else {
            let hint = match self.blobs.read("manifest.json", MAX_DOCUMENT_BYTES) {
                Ok(Some(_)) => " (a docker save archive? use docker-archive:)",
                _ => "",
            };
            return Err(self.invalid(format!("not an OCI image layout: index.json is missing{hint}")));
        };
        let index: Document =
            serde_json::from_slice(&index).map_err(|e| self.invalid(format!("index.json is malformed: {e}")))?;
        let manifests = index.manifests.unwrap_or_default();
        let chosen = self.choose_by_tag(&manifests)?;
        let descriptor = match chosen.as_slice() {
            [only] => (*only).clone(),
            _ => self.choose_platform(&chosen, "index.json")?.clone(),
        };
        self.follow(&descriptor, 0)
    }

    /// The top-level entries that the tag names (all of them when there is no tag and
    /// they name at most one image).
    fn choose_by_tag<'d>(&self, manifests: &'d [Descriptor]) -> Result<Vec<&'d Descriptor>, ImageError> {
        let mut names: Vec<&str> = manifests.iter().filter_map(Descriptor::ref_name).collect();
        names.sort_unstable();
        names.dedup();
        match &self.tag {
            Some(tag) => {
                // A ref name is usually the tag alone, sometimes a whole reference.
                let chosen: Vec<&Descriptor> = manifests
                    .iter()
                    .filter(|d| d.ref_name().is_some_and(|n| n == tag || n.ends_with(&format!(":{tag}"))))
                    .collect();
                if chosen.is_empty() {
                    return Err(self.not_found(format!("no image tagged {tag:?} (tags: {})", names.join(", "))));
                }
                Ok(chosen)
            }
            None if manifests.is_empty() => Err(self.invalid("index.json lists no image".into())),
            None if names.len() > 1 => Err(self.invalid(format!(
                "the layout holds {} images (tags: {}): name one with :TAG",
                names.len(),
                names.join(", ")
            ))),
            None => Ok(manifests.iter().collect()),
        }
    }

    /// The entry for the wanted platform (an exact variant first, then the default one).
    fn choose_platform<'d>(&self, manifests: &[&'d Descriptor], within: &str) -> Result<&'d Descriptor, ImageError> {
        let best = manifests
            .iter()
            .filter_map(|d| Some((platform_rank(d.platform.as_ref()?, &self.platform)?, *d)))
            .min_by_key(|(rank, _)| *rank);
        if let Some((_, descriptor)) = best {
            return Ok(descriptor);
        }
        let available: Vec<String> = manifests
            .iter()
            .filter_map(|d| d.platform.as_ref())
            .filter(|p| p.os != "unknown")
            .map(Platform::to_string)
            .collect();
        if available.is_empty() {
            return Err(self.invalid(format!(
                "{within} lists {} manifests without tags or platforms: cannot choose one",
                manifests.len()
            )));
        }
        Err(self.not_found(format!("no manifest for {} in {within} (it has {})", self.platform, available.join(", "))))
    }

    /// A blob named by a descriptor, checked against its size and digest.
    fn read_blob(&self, descriptor: &Descriptor, limit: u64, what: &str) -> Result<Vec<u8>, ImageError> {
        let digest = &descriptor.digest;
        if descriptor.size > limit {
            return Err(self.invalid(format!("{what} {digest} is larger than {limit} bytes")));
        }
        let bytes = self
            .blobs
            .read(&blob_name(digest), limit)?
            .ok_or_else(|| self.not_found(format!("{what} blob {digest} is missing")))?;
        if bytes.len() as u64 != descriptor.size {
            return Err(self.invalid(format!(
                "{what} {digest}: {} bytes, its descriptor says {}",
                bytes.len(),
                descriptor.size
            )));
        }
        if !digest.matches(&bytes) {
            return Err(self.invalid(format!("{what} {digest}: digest mismatch (the blob was altered)")));
        }
        Ok(bytes)
    }

    fn follow(&self, descriptor: &Descriptor, depth: usize) -> Result<ResolvedImage, ImageError> {
        let digest = &descriptor.digest;
        if depth > MAX_INDEX_DEPTH {
            return Err(self.invalid(format!("image indexes nested more than {MAX_INDEX_DEPTH} deep at {digest}")));
        }
        let bytes = self.read_blob(descriptor, MAX_DOCUMENT_BYTES, "manifest")?;
        let document: Document =
            serde_json::from_slice(&bytes).map_err(|e| self.invalid(format!("manifest {digest} is malformed: {e}")))?;
        let media_type = descriptor.media_type.as_deref().or(document.media_type.as_deref());
        let is_index = match media_type {
            Some(OCI_INDEX | DOCKER_LIST) => true,
            Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
            None => document.manifests.is_some(),
            Some(other) => return Err(self.invalid(format!("manifest {digest}: unsupported media type {other:?}"))),
        };
        if is_index {
            let manifests = document.manifests.unwrap_or_default();
            let candidates: Vec<&Descriptor> = manifests.iter().collect();
            let chosen = self.choose_platform(&candidates, &format!("image index {digest}"))?;
            return self.follow(chosen, depth + 1);
        }

        let config_descriptor =
            document.config.ok_or_else(|| self.invalid(format!("manifest {digest} has no config")))?;
        let config = self.read_blob(&config_descriptor, MAX_CONFIG_BYTES, "config")?;
        let parsed = ImageConfig::parse(&config)
            .map_err(|e| self.invalid(format!("config {}: {e}", config_descriptor.digest)))?;
        let layers = document
            .layers
            .unwrap_or_default()
            .into_iter()
            .map(|l| LayerRef {
                digest: l.digest,
                media_type: l.media_type.unwrap_or_else(|| OCI_LAYER.to_string()),
                size: l.size,
            })
            .collect();
        // A single-platform image is what it is: its config says which platform.
        let platform = parsed.platform.or_else(|| descriptor.platform.clone()).unwrap_or_else(|| self.platform.clone());
        Ok(ResolvedImage {
            reference: self.reference.clone(),
            manifest_digest: digest.clone(),
            platform,
            layers,
            diff_ids: parsed.diff_ids,
            annotations: document.annotations.unwrap_or_default(),
            labels: parsed.labels,
            config,
        })
    }

    pub(super) fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let (stream, _) = self
            .blobs
            .open(&blob_name(&layer.digest))?
            .ok_or_else(|| self.not_found(format!("layer blob {} is missing", layer.digest)))?;
        Ok(Box::new(Verified::new(stream, layer.digest.clone(), Some(layer.size), self.blobs.reference())))
    }
}

/// How well `candidate` serves `wanted`: `Some(0)` exactly, `Some(1)` another variant
/// when none was asked for; `None` not at all. `arm64` without a variant is `v8`.
fn platform_rank(candidate: &Platform, wanted: &Platform) -> Option<u8> {
    if candidate.os != wanted.os || candidate.architecture != wanted.architecture {
        return None;
    }
    let default_variant = match wanted.architecture.as_str() {
        "arm64" => Some("v8"),
        "amd64" => Some("v1"),
        _ => None,
    };
    let candidate_variant = candidate.variant.as_deref().or(default_variant);
    match wanted.variant.as_deref() {
        None if candidate_variant == default_variant => Some(0),
        None => Some(1),
        Some(variant) => (candidate_variant == Some(variant)).then_some(0),
    }
}
