//! What every image source provides: a resolved manifest and verified layer streams.

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

/// `os/arch[/variant]`, as `--platform` spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    pub fn linux_amd64() -> Platform {
        Platform { os: "linux".into(), architecture: "amd64".into(), variant: None }
    }

    pub fn parse(s: &str) -> Result<Platform, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: None })
            }
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Platform { os: os.to_string(), architecture: arch.to_string(), variant: Some(variant.to_string()) })
            }
            _ => Err(format!("{s:?} is not a platform (want os/arch[/variant], e.g. linux/arm64/v8)")),
        }
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One layer of an image, as its manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerRef {
    /// The digest of the blob as stored (compressed).
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
}

/// An image resolved to one platform's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// What the user named, normalised (`docker.io/library/debian:12`, `oci-archive:x.tar:tag`).
    pub reference: String,
    /// The digest of the image manifest (what `name@sha256:…` pins).
    pub manifest_digest: Digest,
    pub platform: Platform,
    /// Bottom layer first.
    pub layers: Vec<LayerRef>,
    /// The config blob's `rootfs.diff_ids` (uncompressed layer digests), bottom first.
    pub diff_ids: Vec<Digest>,
    /// Manifest annotations (`org.opencontainers.image.base.name`…).
    pub annotations: BTreeMap<String, String>,
    /// Config labels.
    pub labels: BTreeMap<String, String>,
    /// The raw config blob, for policy checks that need more.
    pub config: Vec<u8>,
}

/// A place images are read from: a registry, a docker-archive, an OCI archive or layout.
pub trait ImageSource: Send + Sync {
    /// Resolves the reference (following an index to the platform's manifest).
    fn resolve(&self) -> Result<ResolvedImage, ImageError>;

    /// Opens a layer blob as a stream whose end is an error unless the bytes match
    /// the layer's digest and size (see [`super::digest::Verified`]).
    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError>;
}

/// Why an image could not be read. Messages name the image and what failed, and never
/// contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{reference}: {message}")]
    Invalid { reference: String, message: String },
    #[error("{reference}: {message}")]
    NotFound { reference: String, message: String },
    #[error("{reference}: authentication failed: {message}")]
    Auth { reference: String, message: String },
    #[error("{reference}: {message}")]
    Network { reference: String, message: String },
    #[error("{reference}: {source}")]
    Io { reference: String, source: std::io::Error },
}
