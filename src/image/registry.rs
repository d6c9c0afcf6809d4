//! Images pulled straight from a registry (the OCI distribution API, `/v2/`), without a
//! Docker daemon and without storing the image: manifests and the config are small and
//! read into memory (with caps), layers are streamed to the caller through
//! [`Verified`], so nothing unverified is ever accepted.
//!
//! * **HTTPS only**, unless the user names the host with `--insecure-registry` (then
//!   HTTPS without certificate checks is tried first, plain HTTP second, as Docker does).
//!   Private CAs come from `--ca-cert` files.
//! * **Manifests are checked against their digest**: a pull by digest must hash to it,
//!   a pull by tag records the digest of the bytes received (a `Docker-Content-Digest`
//!   header that disagrees is an error), an index entry must hash to what the index says.
//! * **Authentication** follows the registry's `WWW-Authenticate` challenge: bearer
//!   tokens from the realm (cached per scope until they expire) or Basic credentials.
//!   Credentials come from the options, then `CUSTOMS_REGISTRY_USERNAME`/`_PASSWORD`
//!   (bound by `CUSTOMS_REGISTRY`, and only for an image the person running customs
//!   named: see [`CredentialScope`]), then Docker's config (`auths`, `credHelpers`,
//!   `credsStore`) for that exact registry. They are sent only to the registry itself
//!   (never to a host it redirects to, never in answer to that host's challenge) and
//!   to the token realm its own challenge names, which must be HTTPS unless it is the
//!   registry's own host; they never appear in errors.
//! * **Transient failures are retried** with backoff and jitter (connection errors,
//!   stalls, 429 with `Retry-After`, 5xx); a layer download that breaks off resumes with
//!   a range request.
//! * **Every transfer ends**: connecting and each silence have timeouts, and each
//!   manifest, blob and token transfer, retries and resumes included, has an overall
//!   deadline from a minimum throughput; `Retry-After` waits are capped per transfer
//!   ([`crate::deadline`]).
//! * **A whole registry** is read with a [`RegistryClient`] (catalog, tag lists, digest
//!   probes), whose one transport — connections, tokens by scope, the request rate
//!   limit and counters — every [`RegistrySource`] it opens shares.

mod auth;
mod body;
mod catalog;
mod client;
mod credentials;
mod failure;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) mod fuzz_hooks;
mod manifest;
mod usage;

use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::digest::{Digest, Verified};
use super::source::{ImageError, ImageSource, LayerRef, Platform, ResolvedImage};
use crate::deadline::TransferLimits;
use client::Transport;
use failure::Failure;
use manifest::Manifest;

pub use super::reference::RegistryRef;
pub use catalog::{CatalogError, RegistryClient, TopManifest};
pub use usage::{ClientStats, RequestLimits};

/// How to reach registries and who to be there.
#[derive(Clone)]
pub struct RegistryOptions {
    /// Which image of a multi-platform index to read.
    pub platform: Platform,
    /// `host[:port]` entries (exact match) that may be reached over plain HTTP or
    /// HTTPS with an unverified certificate.
    pub insecure_registries: Vec<String>,
    /// PEM files with extra trusted CA certificates.
    pub ca_certs: Vec<PathBuf>,
    /// Where Docker's `config.json` lives; `$DOCKER_CONFIG` or `~/.docker` when unset.
    pub docker_config_dir: Option<PathBuf>,
    /// Username and password, ahead of every other source (only for
    /// [`CredentialScope::CommandLine`]).
    pub credentials: Option<(String, String)>,
    /// Who named the image, which decides the credentials it may be fetched with.
    pub scope: CredentialScope,
}

/// Who named an image, and so which credentials may go to its registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CredentialScope {
    /// The person running customs (`--image REF`, `customs verify REF`): the given
    /// credentials, then `CUSTOMS_REGISTRY_USERNAME`/`_PASSWORD` (if `CUSTOMS_REGISTRY`
    /// is unset or names this registry), then Docker's config.
    #[default]
    CommandLine,
    /// A repository's own file (a `customs.yaml` allowlist entry read for layer
    /// ancestry): only Docker's config for this exact registry, else anonymous. The
    /// repository must not be able to send the user's login to a host it picks.
    Repository,
}

impl Default for RegistryOptions {
    /// linux/amd64, HTTPS with the system's CAs, credentials from the environment.
    fn default() -> RegistryOptions {
        RegistryOptions {
            platform: Platform::linux_amd64(),
            insecure_registries: Vec::new(),
            ca_certs: Vec::new(),
            docker_config_dir: None,
            credentials: None,
            scope: CredentialScope::CommandLine,
        }
    }
}

/// Never prints the password.
impl fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("platform", &self.platform)
            .field("insecure_registries", &self.insecure_registries)
            .field("ca_certs", &self.ca_certs)
            .field("docker_config_dir", &self.docker_config_dir)
            .field("credentials", &self.credentials.as_ref().map(|_| "<redacted>"))
            .field("scope", &self.scope)
            .finish()
    }
}

/// Timeouts and retries. The defaults suit public registries; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Longest wait for a connection (and TLS handshake).
    pub connect_timeout: Duration,
    /// Longest silence: waiting for response headers, or between two reads of a body.
    pub stall_timeout: Duration,
    /// Further attempts after a transient failure.
    pub retries: u32,
    /// The first wait before a retry; each further one doubles (with jitter, capped).
    pub first_backoff: Duration,
    /// The overall deadline of each manifest, blob and token transfer, and the cap on
    /// `Retry-After` waits (see [`crate::deadline`]).
    pub transfer: TransferLimits,
}

impl Default for NetworkSettings {
    fn default() -> NetworkSettings {
        NetworkSettings {
            connect_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(60),
            retries: 4,
            first_backoff: Duration::from_millis(500),
            transfer: TransferLimits::default(),
        }
    }
}

/// Image manifests are a few KiB; indexes of many platforms a few dozen.
const MAX_MANIFEST_SIZE: u64 = 4 << 20;
/// Configs carry the build history; the biggest real ones are a few MiB.
const MAX_CONFIG_SIZE: u64 = 32 << 20;
/// An index may point to an index (OCI allows it); deeper nesting is refused.
const MAX_INDEX_DEPTH: usize = 4;

/// One image in one registry. `Send + Sync`: layers may be opened from several threads,
/// which then share connections and the token cache (with every other source of the
/// [`RegistryClient`] that opened it).
pub struct RegistrySource {
    reference: RegistryRef,
    platform: Platform,
    transport: Arc<Transport>,
    /// `repository:<repo>:pull`.
    scope: String,
}

impl fmt::Debug for RegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrySource").field("reference", &self.reference.to_string()).finish_non_exhaustive()
    }
}

impl RegistrySource {
    /// A source for `reference`, with default network settings.
    pub fn new(reference: RegistryRef, options: RegistryOptions) -> Result<RegistrySource, ImageError> {
        RegistrySource::with_network(reference, options, NetworkSettings::default())
    }

    /// A source for `reference` with these network settings (timeouts, retries).
    pub fn with_network(
        reference: RegistryRef,
        options: RegistryOptions,
        network: NetworkSettings,
    ) -> Result<RegistrySource, ImageError> {
        let invalid = |message: String| ImageError::Invalid { reference: reference.to_string(), message };
        validate(&reference).map_err(invalid)?;
        let transport =
            Transport::new(&reference.registry, &options, network, RequestLimits::default()).map_err(invalid)?;
        Ok(RegistrySource::over(reference, options.platform, Arc::new(transport)))
    }

    /// A source over a transport already built (a [`RegistryClient`]'s); `reference`
    /// must have been validated.
    fn over(reference: RegistryRef, platform: Platform, transport: Arc<Transport>) -> RegistrySource {
        let scope = auth::pull_scope(&reference.repository);
        RegistrySource { reference, platform, transport, scope }
    }

    /// The name used in messages and in [`ResolvedImage::reference`].
    pub fn reference(&self) -> String {
        self.reference.to_string()
    }

    fn error(&self, failure: Failure) -> ImageError {
        failure.map(|message| self.transport.scrub(message)).into_image_error(self.reference())
    }

    /// Fetches a manifest by tag or digest, checked against `expected` when given;
    /// returns its digest and content.
    fn fetch_manifest(&self, name: &str, expected: Option<&Digest>) -> Result<(Digest, Manifest), Failure> {
        fetch_manifest(&self.transport, &self.reference.repository, name, expected)
    }

    fn fetch_config(&self, descriptor: &manifest::Descriptor) -> Result<Vec<u8>, Failure> {
        let what = format!("config {}", descriptor.digest);
        if descriptor.size > MAX_CONFIG_SIZE {
            return Err(Failure::Invalid(format!(
                "{what}: {} bytes is over the {} MiB limit for image configs",
                descriptor.size,
                MAX_CONFIG_SIZE >> 20
            )));
        }
        let path = format!("/v2/{}/blobs/{}", self.reference.repository, descriptor.digest);
        let fetched = self.transport.get_small(&path, "*/*", descriptor.size, &self.scope, &what)?;
        let mut verified = Verified::new(&fetched.body[..], descriptor.digest.clone(), Some(descriptor.size), what);
        let mut bytes = Vec::with_capacity(fetched.body.len());
        verified.read_to_end(&mut bytes).map_err(|e| Failure::Invalid(e.to_string()))?;
        Ok(bytes)
    }
}

/// A layer as an image manifest lists it (signature manifests carry their data here).
#[derive(Debug, Clone)]
pub struct ListedLayer {
    /// The layer's media type (for signatures, the payload's).
    pub media_type: String,
    /// The blob's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its annotations (cosign keeps signatures and certificates there).
    pub annotations: std::collections::BTreeMap<String, String>,
}

impl From<manifest::Descriptor> for ListedLayer {
    fn from(l: manifest::Descriptor) -> ListedLayer {
        ListedLayer { media_type: l.media_type, digest: l.digest, size: l.size, annotations: l.annotations }
    }
}

/// A manifest that refers to an image (a signature, an SBOM), as a referrers list names it.
#[derive(Debug, Clone)]
pub struct Referrer {
    /// The referring manifest's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Its artifact or media type (what it is: a signature, an SBOM).
    pub media_type: String,
}

/// Small blobs (signature payloads) are read into memory up to this size.
const MAX_SMALL_BLOB_SIZE: u64 = 4 << 20;

impl RegistrySource {
    /// The digest of what the reference names, before any platform is picked (an index
    /// stays an index): a tag is resolved, a digest checked against the bytes.
    pub fn top_manifest_digest(&self) -> Result<Digest, ImageError> {
        let top = match (&self.reference.digest, &self.reference.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_string(),
        };
        let (digest, _) = self.fetch_manifest(&top, self.reference.digest.as_ref()).map_err(|f| self.error(f))?;
        Ok(digest)
    }

    /// The layers of the image manifest tagged `tag` in the same repository; `None` when
    /// the registry does not know the tag.
    pub fn tagged_manifest_layers(&self, tag: &str) -> Result<Option<Vec<ListedLayer>>, ImageError> {
        match self.fetch_manifest(tag, None) {
            Ok((_, Manifest::Image(image))) => Ok(Some(image.layers.into_iter().map(ListedLayer::from).collect())),
            Ok((_, Manifest::Index(_))) => {
                Err(self.error(Failure::Invalid(format!("manifest {tag}: an index, not an image manifest"))))
            }
            Err(Failure::NotFound(_)) => Ok(None),
            Err(f) => Err(self.error(f)),
        }
    }

    /// The layers of the image manifest with this digest in the same repository (an
    /// OCI artifact such as a signature bundle), checked against the digest.
    pub fn manifest_layers(&self, digest: &Digest) -> Result<Vec<ListedLayer>, ImageError> {
        match self.fetch_manifest(&digest.to_string(), Some(digest)) {
            Ok((_, Manifest::Image(image))) => Ok(image.layers.into_iter().map(ListedLayer::from).collect()),
            Ok((_, Manifest::Index(_))) => {
                Err(self.error(Failure::Invalid(format!("manifest {digest}: an index, not an image manifest"))))
            }
            Err(f) => Err(self.error(f)),
        }
    }

    /// The manifests that name `subject` as their subject (OCI 1.1 referrers) with
    /// this artifact type: from the referrers API, or, where the registry has none,
    /// from the fallback tag `sha256-<hex>` the OCI distribution spec defines.
    /// Empty when there are none.
    pub fn referrers(&self, subject: &Digest, artifact_type: &str) -> Result<Vec<Referrer>, ImageError> {
        let query: String =
            percent_encoding::utf8_percent_encode(artifact_type, percent_encoding::NON_ALPHANUMERIC).to_string();
        let path = format!("/v2/{}/referrers/{subject}?artifactType={query}", self.reference.repository);
        let what = format!("referrers of {subject}");
        let listed = match self.transport.get_small(&path, manifest::OCI_INDEX, MAX_MANIFEST_SIZE, &self.scope, &what) {
            Ok(fetched) => match manifest::parse(&fetched.body, Some(manifest::OCI_INDEX)) {
                Ok(Manifest::Index(descriptors)) => descriptors,
                Ok(Manifest::Image(_)) => {
                    return Err(self.error(Failure::Invalid(format!("{what}: not an index"))));
                }
                Err(message) => return Err(self.error(Failure::Invalid(format!("{what}: {message}")))),
            },
            // No referrers API (registries before OCI 1.1): the fallback tag.
            Err(Failure::NotFound(_)) => {
                let tag = subject.to_string().replacen(':', "-", 1);
                match self.fetch_manifest(&tag, None) {
                    Ok((_, Manifest::Index(descriptors))) => descriptors,
                    Ok((_, Manifest::Image(_))) => {
                        return Err(self.error(Failure::Invalid(format!("{what}: tag {tag} is not an index"))));
                    }
                    Err(Failure::NotFound(_)) => Vec::new(),
                    Err(f) => return Err(self.error(f)),
                }
            }
            Err(f) => return Err(self.error(f)),
        };
        Ok(listed
            .into_iter()
            .filter(|d| d.artifact_type.as_deref() == Some(artifact_type))
            .map(|d| Referrer { digest: d.digest, size: d.size, media_type: d.media_type })
            .collect())
    }

    /// A small blob of the same repository, checked against its digest and size.
    pub fn fetch_small_blob(&self, digest: &Digest, size: u64) -> Result<Vec<u8>, ImageError> {
        let what = format!("blob {digest}");
        if size > MAX_SMALL_BLOB_SIZE {
            return Err(self.error(Failure::Invalid(format!(
                "{what}: {size} bytes is over the {} MiB limit",
                MAX_SMALL_BLOB_SIZE >> 20
            ))));
        }
        let path = format!("/v2/{}/blobs/{digest}", self.reference.repository);
        let fetched = self.transport.get_small(&path, "*/*", size, &self.scope, &what).map_err(|f| self.error(f))?;
        let mut verified = Verified::new(&fetched.body[..], digest.clone(), Some(size), what);
        let mut bytes = Vec::with_capacity(fetched.body.len());
        verified.read_to_end(&mut bytes).map_err(|e| self.error(Failure::Invalid(e.to_string())))?;
        Ok(bytes)
    }

    /// `host[:port]/repository`, as cosign's `docker-reference` names it.
    pub fn repository_name(&self) -> String {
        format!("{}/{}", self.reference.registry, self.reference.repository)
    }
}

impl ImageSource for RegistrySource {
    fn resolve(&self) -> Result<ResolvedImage, ImageError> {
        let top = match (&self.reference.digest, &self.reference.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_string(),
        };
        let (mut digest, mut parsed) =
            self.fetch_manifest(&top, self.reference.digest.as_ref()).map_err(|f| self.error(f))?;
        let mut index_platform = None;
        let mut depth = 0;
        let image = loop {
            match parsed {
                Manifest::Image(image) => break image,
                Manifest::Index(index) => {
                    depth += 1;
                    if depth > MAX_INDEX_DEPTH {
                        return Err(
                            self.error(Failure::Invalid(format!("indexes nested more than {MAX_INDEX_DEPTH} deep")))
                        );
                    }
                    let entry = manifest::select_platform(&index, &self.platform)
                        .map_err(|message| self.error(Failure::NotFound(message)))?;
                    if entry.size > MAX_MANIFEST_SIZE {
                        return Err(self.error(Failure::Invalid(format!(
                            "manifest {}: {} bytes is over the {} MiB limit for manifests",
                            entry.digest,
                            entry.size,
                            MAX_MANIFEST_SIZE >> 20
                        ))));
                    }
                    let child = entry.digest.clone();
                    index_platform = entry.platform.clone().map(manifest::DescriptorPlatform::into_platform);
                    let (child_digest, child_manifest) =
                        self.fetch_manifest(&child.to_string(), Some(&child)).map_err(|f| self.error(f))?;
                    digest = child_digest;
                    parsed = child_manifest;
                }
            }
        };
        manifest::check_config_media_type(&image.config).map_err(|m| self.error(Failure::Invalid(m)))?;
        let config_bytes = self.fetch_config(&image.config).map_err(|f| self.error(f))?;
        let config = manifest::parse_config(&config_bytes)
            .map_err(|e| self.error(Failure::Invalid(format!("config {}: {e}", image.config.digest))))?;
        if config.diff_ids.len() != image.layers.len() {
            return Err(self.error(Failure::Invalid(format!(
                "manifest {digest} lists {} layers but its config lists {} diff_ids",
                image.layers.len(),
                config.diff_ids.len()
            ))));
        }
        // What the config says the image is wins; the index entry and the request are fallbacks.
        let platform = config.platform().or(index_platform).unwrap_or_else(|| self.platform.clone());
        Ok(ResolvedImage {
            reference: self.reference(),
            manifest_digest: digest,
            platform,
            layers: image
                .layers
                .into_iter()
                .map(|l| LayerRef { digest: l.digest, media_type: l.media_type, size: l.size })
                .collect(),
            diff_ids: config.diff_ids,
            annotations: image.annotations,
            labels: config.labels,
            config: config_bytes,
        })
    }

    fn open_layer(&self, layer: &LayerRef) -> Result<Box<dyn Read + Send + '_>, ImageError> {
        let what = format!("layer {}", layer.digest);
        let path = format!("/v2/{}/blobs/{}", self.reference.repository, layer.digest);
        let origin = format!("{}: {what}", self.reference());
        let body =
            body::ResumingBody::open(&self.transport, path, self.scope.clone(), what, self.reference(), layer.size)
                .map_err(|f| self.error(f))?;
        Ok(Box::new(Verified::new(body, layer.digest.clone(), Some(layer.size), origin)))
    }
}

/// Fetches manifest `name` (a tag or digest) of `repository`, checked against `expected`
/// when given; returns its digest and content. A pull by tag records the digest of
/// the bytes received; a `Docker-Content-Digest` header that disagrees is an error.
fn fetch_manifest(
    transport: &Transport,
    repository: &str,
    name: &str,
    expected: Option<&Digest>,
) -> Result<(Digest, Manifest), Failure> {
    let what = format!("manifest {name}");
    if let Some(remembered) = expected.and_then(|d| transport.remembered_manifest(repository, &d.to_string())) {
        let parsed = manifest::parse(&remembered.body, remembered.content_type.as_deref())
            .map_err(|e| Failure::Invalid(format!("{what}: {e}")))?;
        return Ok((expected.expect("remembered by digest").clone(), parsed));
    }
    let path = format!("/v2/{repository}/manifests/{name}");
    let scope = auth::pull_scope(repository);
    let fetched =
        std::sync::Arc::new(transport.get_small(&path, manifest::ACCEPT, MAX_MANIFEST_SIZE, &scope, &what)?);
    let digest = match expected {
        Some(expected) if !expected.matches(&fetched.body) => {
            return Err(Failure::Invalid(format!(
                "{what}: digest mismatch: the registry sent a manifest that does not hash to {expected}"
            )));
        }
        Some(expected) => expected.clone(),
        None => {
            let digest = Digest::sha256_of(&fetched.body);
            if let Some(header) = &fetched.content_digest {
                // The header is repeated only if it is a digest: it is the server's text.
                match Digest::parse(header) {
                    Ok(claimed) if claimed.matches(&fetched.body) => {}
                    Ok(claimed) => {
                        return Err(Failure::Invalid(format!(
                            "{what}: the registry says its digest is {claimed}, but it hashes to {digest}"
                        )));
                    }
                    Err(_) => {
                        return Err(Failure::Invalid(format!(
                            "{what}: the registry sent a malformed Docker-Content-Digest header"
                        )));
                    }
                }
            }
            digest
        }
    };
    let parsed = manifest::parse(&fetched.body, fetched.content_type.as_deref())
        .map_err(|e| Failure::Invalid(format!("{what}: {e}")))?;
    transport.remember_manifest(repository, &digest.to_string(), fetched);
    Ok((digest, parsed))
}

/// Refuses registry names that could steer requests elsewhere (user info, paths).
fn validate_host(registry: &str) -> Result<(), String> {
    let host_ok = !registry.is_empty() && registry.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b));
    if !host_ok {
        return Err(format!("{registry:?} is not a registry host (want host[:port])"));
    }
    Ok(())
}

/// Refuses names that could steer requests elsewhere (`../`, `?`, `#`, user info):
/// they become URL paths and hosts.
fn validate(reference: &RegistryRef) -> Result<(), String> {
    validate_host(&reference.registry)?;
    let component_ok = |c: &str| {
        !c.is_empty()
            && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
            && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
    };
    if reference.repository.len() > 255 || !reference.repository.split('/').all(component_ok) {
        return Err(format!(
            "{:?} is not a repository name (lowercase letters, digits and . _ - between slashes)",
            reference.repository
        ));
    }
    if let Some(tag) = &reference.tag {
        let tag_ok = (1..=128).contains(&tag.len())
            && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
            && !tag.starts_with(['.', '-']);
        if !tag_ok {
            return Err(format!("{tag:?} is not a tag (letters, digits, _ . -; at most 128)"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
