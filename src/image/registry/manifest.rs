//! Manifests, indexes and configs as registries serve them (OCI and Docker schema 2),
//! and picking one platform's image out of an index.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::image::digest::Digest;
use crate::image::source::Platform;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// The `Accept` header of manifest requests: every format customs reads, and not
/// schema 1 (registries then convert, or say they cannot).
pub(crate) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<DescriptorPlatform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// What an OCI 1.1 artifact is (signatures, SBOMs), in indexes and referrer lists.
    #[serde(rename = "artifactType", default)]
    pub artifact_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct DescriptorPlatform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl DescriptorPlatform {
    pub(crate) fn into_platform(self) -> Platform {
        Platform { os: self.os, architecture: self.architecture, variant: self.variant.filter(|v| !v.is_empty()) }
    }
}

// One manifest is alive at a time: boxing the bigger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Manifest {
    Image(ImageManifest),
    Index(Vec<Descriptor>),
}

#[derive(Debug)]
pub(crate) struct ImageManifest {
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<u64>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// Parses a manifest or index. Its kind comes from its own `mediaType`, else the
/// `Content-Type` the registry sent, else its shape (umoci, for one, writes no
/// `mediaType`); the two declarations must not contradict each other.
pub(crate) fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, String> {
    let header = content_type.map(|c| c.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    let schema1 = |t: &str| t == DOCKER_SCHEMA1 || t == DOCKER_SCHEMA1_SIGNED;
    if header.as_deref().is_some_and(schema1) {
        return Err(schema1_message());
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| {
        // A schema 1 manifest sent as application/json still fails here: say so.
        if serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| v["schemaVersion"] == 1) {
            schema1_message()
        } else {
            format!("not a manifest ({e})")
        }
    })?;
    if raw.schema_version == Some(1) || raw.media_type.as_deref().is_some_and(schema1) {
        return Err(schema1_message());
    }
    if let Some(version) = raw.schema_version.filter(|&v| v != 2) {
        return Err(format!("unsupported manifest schemaVersion {version}"));
    }
    let known = |t: &&str| [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(t);
    let declared = raw.media_type.as_deref();
    if let (Some(body), Some(header)) = (declared, header.as_deref().filter(known)) {
        if body != header {
            return Err(format!("the registry sent it as {header}, but it says it is {body}"));
        }
    }
    let kind = match declared.or(header.as_deref().filter(known)) {
        Some(kind) => kind.to_string(),
        None if raw.manifests.is_some() => OCI_INDEX.to_string(),
        None if raw.config.is_some() => OCI_MANIFEST.to_string(),
        None => return Err("neither an image manifest nor an index (no config, no manifests)".into()),
    };
    match kind.as_str() {
        OCI_INDEX | DOCKER_LIST => {
            raw.manifests.map(Manifest::Index).ok_or_else(|| format!("an index ({kind}) without \"manifests\""))
        }
        OCI_MANIFEST | DOCKER_MANIFEST => match raw.config {
            Some(config) => Ok(Manifest::Image(ImageManifest {
                config,
                layers: raw.layers.unwrap_or_default(),
                annotations: raw.annotations,
            })),
            None => Err(format!("an image manifest ({kind}) without \"config\"")),
        },
        other => Err(format!("unsupported manifest type {other:?} (not a container image)")),
    }
}

fn schema1_message() -> String {
    "a Docker schema 1 manifest: this format was retired in 2019 and customs does not read it; \
     push the image again with a current Docker, Buildah or skopeo"
        .to_string()
}

/// Refuses configs of OCI artifacts (Helm charts, signatures, SBOMs): they are not
/// container images and have no layers to scan.
pub(crate) fn check_config_media_type(config: &Descriptor) -> Result<(), String> {
    match config.media_type.as_str() {
        OCI_CONFIG | DOCKER_CONFIG | "" => Ok(()),
        other => Err(format!("not a container image: its config is {other:?} (an OCI artifact?)")),
    }
}

/// Normalises an architecture and variant the way containerd compares them:
/// `x86_64` is `amd64`, `aarch64` is `arm64`, and arm64's `v8` is its default (so
/// `linux/arm64` and `linux/arm64/v8` are one platform).
fn normalize(architecture: &str, variant: Option<&str>) -> (String, Option<String>) {
    let variant = variant.filter(|v| !v.is_empty()).map(str::to_ascii_lowercase);
    match architecture.to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" | "amd64" => ("amd64".into(), variant.filter(|v| v != "v1")),
        "aarch64" | "arm64" => ("arm64".into(), variant.filter(|v| v != "v8" && v != "8")),
        "armhf" => ("arm".into(), Some("v7".into())),
        "armel" => ("arm".into(), Some("v6".into())),
        "arm" => ("arm".into(), Some(variant.unwrap_or_else(|| "v7".into()))),
        "i386" | "i686" => ("386".into(), variant),
        other => (other.to_string(), variant),
    }
}

/// The index entry for `wanted`. Entries match on OS and normalised architecture;
/// a wanted variant must match exactly, a missing one takes the architecture's
/// default variant, else the first entry of that architecture.
pub(crate) fn select_platform<'a>(index: &'a [Descriptor], wanted: &Platform) -> Result<&'a Descriptor, String> {
    let (arch, variant) = normalize(&wanted.architecture, wanted.variant.as_deref());
    let candidates: Vec<(&Descriptor, Option<String>)> = index
        .iter()
        .filter_map(|d| {
            let p = d.platform.as_ref()?;
            let (entry_arch, entry_variant) = normalize(&p.architecture, p.variant.as_deref());
            (p.os.eq_ignore_ascii_case(&wanted.os) && entry_arch == arch).then_some((d, entry_variant))
        })
        .collect();
    let exact = candidates.iter().find(|(_, v)| *v == variant).map(|(d, _)| *d);
    let any_variant = || candidates.first().filter(|_| wanted.variant.is_none()).map(|(d, _)| *d);
    if let Some(found) = exact.or_else(any_variant) {
        return Ok(found);
    }
    let available: Vec<String> = index
        .iter()
        .filter_map(|d| d.platform.clone())
        .filter(|p| p.os != "unknown")
        .map(|p| p.into_platform().to_string())
        .collect();
    Err(if available.is_empty() {
        format!("no image for {wanted}: the index lists no platforms")
    } else {
        format!("no image for {wanted}; the index has {}", available.join(", "))
    })
}

/// What customs takes from an image config.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImageConfig {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
    pub diff_ids: Vec<Digest>,
    pub labels: BTreeMap<String, String>,
}

impl ImageConfig {
    pub(crate) fn platform(&self) -> Option<Platform> {
        (!self.os.is_empty() && !self.architecture.is_empty()).then(|| Platform {
            os: self.os.clone(),
            architecture: self.architecture.clone(),
            variant: self.variant.clone().filter(|v| !v.is_empty()),
        })
    }
}

pub(crate) fn parse_config(bytes: &[u8]) -> Result<ImageConfig, String> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        os: String,
        #[serde(default)]
        architecture: String,
        #[serde(default)]
        variant: Option<String>,
        rootfs: Option<RootFs>,
        #[serde(default)]
        config: Option<RunConfig>,
    }
    #[derive(Deserialize)]
    struct RootFs {
        #[serde(rename = "type", default)]
        kind: String,
        #[serde(default)]
        diff_ids: Vec<Digest>,
    }
    #[derive(Deserialize)]
    struct RunConfig {
        #[serde(rename = "Labels", default)]
        labels: Option<BTreeMap<String, String>>,
    }
    let raw: Raw = serde_json::from_slice(bytes).map_err(|e| format!("not an image config ({e})"))?;
    let rootfs = raw.rootfs.ok_or("not an image config (no rootfs)")?;
    if rootfs.kind != "layers" {
        return Err(format!("rootfs type {:?} (expected \"layers\")", rootfs.kind));
    }
    Ok(ImageConfig {
        os: raw.os,
        architecture: raw.architecture,
        variant: raw.variant,
        diff_ids: rootfs.diff_ids,
        labels: raw.config.and_then(|c| c.labels).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests;
