//! What every image source provides: a resolved manifest and verified layer streams.

use std::collections::BTreeMap;
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

/// `os/arch[/variant]`, as `--platform` spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// The operating system (`linux`).
    pub os: String,
    /// The CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// The architecture variant (`v8`), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, the platform picked when none is asked for.
    pub fn linux_amd64() -> Platform {
        Platform { os: "linux".into(), architecture: "amd64".into(), variant: None }
    }

    /// Parses `os/arch[/variant]`.
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
    /// The layer's media type (its compression).
    pub media_type: String,
    /// The layer's size in bytes, as the manifest states it.
    pub size: u64,
}

/// An image resolved to one platform's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// What the user named, normalised (`docker.io/library/debian:12`, `oci-archive:x.tar:tag`).
    pub reference: String,
    /// The digest of the image manifest (what `name@sha256:…` pins).
    pub manifest_digest: Digest,
    /// The platform the image is built for.
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
/// contain credentials. [`ImageError::reason`] sorts them for reports.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A reference or manifest that is not valid.
    #[error("{reference}: {message}")]
    Invalid { reference: String, message: String },
    /// The image or one of its blobs does not exist.
    #[error("{reference}: {message}")]
    NotFound { reference: String, message: String },
    /// The registry refused the credentials, or there were none.
    #[error("{reference}: authentication failed: {message}")]
    Auth { reference: String, message: String },
    /// The source could not be reached, or kept failing. `status` is the HTTP status
    /// of the last answer when a server kept answering one worth retrying (429, 5xx)
    /// or one customs cannot use; `None` when no answer came (connection refused or
    /// reset, a stall, a deadline, TLS).
    #[error("{reference}: {message}")]
    Network { reference: String, message: String, status: Option<u16> },
    /// A local archive or layout could not be read.
    #[error("{reference}: {source}")]
    Io { reference: String, source: std::io::Error },
}

/// Why an image (or a registry request) failed, in the few kinds a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// Refused access (401, 403, a token server saying no, no usable challenge).
    Unauthorized,
    /// 404: no such repository, tag, manifest or blob (or no image for the platform).
    NotFound,
    /// 429, still, after the retries (or a `Retry-After` longer than customs waits).
    RateLimited,
    /// 5xx, still, after the retries; or a status customs cannot use.
    ServerError,
    /// No answer: connection refused or reset, TLS, a stall, a transfer deadline.
    Network,
    /// The content is wrong: a digest mismatch, a malformed manifest or layer, over a limit.
    Invalid,
}

impl FailureKind {
    /// `unauthorized`, `not-found`…, as reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::NotFound => "not-found",
            FailureKind::RateLimited => "rate-limited",
            FailureKind::ServerError => "server-error",
            FailureKind::Network => "network",
            FailureKind::Invalid => "invalid",
        }
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ImageError {
    /// What kind of failure this is, for reports that group failures.
    pub fn reason(&self) -> FailureKind {
        match self {
            ImageError::Invalid { .. } => FailureKind::Invalid,
            ImageError::NotFound { .. } => FailureKind::NotFound,
            ImageError::Auth { .. } => FailureKind::Unauthorized,
            ImageError::Network { status, .. } => match status {
                None => FailureKind::Network,
                Some(429) => FailureKind::RateLimited,
                Some(401 | 403) => FailureKind::Unauthorized,
                Some(404) => FailureKind::NotFound,
                Some(_) => FailureKind::ServerError,
            },
            // A layer stream of a registry fails with the registry's error inside.
            ImageError::Io { source, .. } => match ImageError::inside(source) {
                Some(inner) => inner.reason(),
                None if source.kind() == std::io::ErrorKind::TimedOut => FailureKind::Network,
                None => FailureKind::Invalid,
            },
        }
    }

    /// The image error an `io::Error` carries, when a source's layer stream failed with
    /// one (see [`ImageError::into_io`]).
    pub fn inside(error: &std::io::Error) -> Option<&ImageError> {
        error.get_ref()?.downcast_ref::<ImageError>()
    }

    /// An `io::Error` for a layer stream that prints as this error and keeps its kind.
    pub fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}
