//! How a scan reaches container images: platform, registry trust (insecure registries,
//! CA certificates), credentials, network limits and the analysis limits, as plain
//! options. The command line builds them from its image flags; the registry sweep
//! builds them itself. Both open images and read them into inventories through here.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::image::analyze::{self, AnalyzeOptions};
use crate::image::archive;
use crate::image::reference::ImageRef;
use crate::image::registry::{CredentialScope, NetworkSettings, RegistryOptions, RegistrySource};
use crate::image::source::{ImageSource, Platform};
use crate::inventory::walk::Inventory;

/// Everything about reading images that is not the image itself.
#[derive(Clone)]
pub struct ImageOptions {
    /// `os/arch[/variant]`: the image picked from a multi-platform index. Checked when an
    /// image is opened.
    pub platform: String,
    /// `host[:port]` of registries that may be reached over plain HTTP or unverified TLS.
    pub insecure_registries: Vec<String>,
    /// PEM files with more CA certificates to trust for registries.
    pub ca_certs: Vec<PathBuf>,
    /// Where Docker's `config.json` is; `$DOCKER_CONFIG` or `~/.docker` when `None`.
    pub docker_config_dir: Option<PathBuf>,
    /// Username and password for the registries of images the person running customs
    /// names (never sent for images a repository's file names).
    pub credentials: Option<(String, String)>,
    /// Timeouts and retries for registry requests.
    pub network: NetworkSettings,
    /// Read every layer again instead of using the per-layer analysis cache.
    pub no_layer_cache: bool,
    /// The largest file read from an image for analysis, in bytes.
    pub max_file_size: u64,
    /// The file content one image may hold in memory, all layers together, in bytes.
    pub max_image_bytes: u64,
}

impl Default for ImageOptions {
    /// linux/amd64, verified HTTPS with the system's CAs, credentials from the
    /// environment, the usual network and analysis limits, the layer cache on.
    fn default() -> ImageOptions {
        let analyze = AnalyzeOptions::default();
        ImageOptions {
            platform: "linux/amd64".into(),
            insecure_registries: Vec::new(),
            ca_certs: Vec::new(),
            docker_config_dir: None,
            credentials: None,
            network: NetworkSettings::default(),
            no_layer_cache: false,
            max_file_size: analyze.max_file_size,
            max_image_bytes: analyze.max_image_bytes,
        }
    }
}

/// Never prints the password.
impl fmt::Debug for ImageOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImageOptions")
            .field("platform", &self.platform)
            .field("insecure_registries", &self.insecure_registries)
            .field("ca_certs", &self.ca_certs)
            .field("docker_config_dir", &self.docker_config_dir)
            .field("credentials", &self.credentials.as_ref().map(|(user, _)| (user, "<redacted>")))
            .field("network", &self.network)
            .field("no_layer_cache", &self.no_layer_cache)
            .field("max_file_size", &self.max_file_size)
            .field("max_image_bytes", &self.max_image_bytes)
            .finish()
    }
}

impl ImageOptions {
    /// How to reach the registry of an image named by `scope`: the credentials go only
    /// to images the person running customs named.
    pub fn registry_options(&self, scope: CredentialScope) -> anyhow::Result<RegistryOptions> {
        Ok(RegistryOptions {
            platform: Platform::parse(&self.platform).map_err(anyhow::Error::msg)?,
            insecure_registries: self.insecure_registries.clone(),
            ca_certs: self.ca_certs.clone(),
            docker_config_dir: self.docker_config_dir.clone(),
            credentials: match scope {
                CredentialScope::CommandLine => self.credentials.clone(),
                CredentialScope::Repository => None,
            },
            scope,
        })
    }

    /// Opens `reference`: an archive or layout on disk, or an image in a registry.
    /// `scope` says who named it ([`CredentialScope`]): a repository's own file gets no
    /// credentials but the user's Docker config for that exact registry.
    pub fn open(&self, reference: &str, scope: CredentialScope) -> anyhow::Result<Box<dyn ImageSource>> {
        let platform = Platform::parse(&self.platform).map_err(anyhow::Error::msg)?;
        let parsed = ImageRef::parse(reference).map_err(|e| anyhow::anyhow!("--image {reference}: {e}"))?;
        if let Some(source) = archive::open(&parsed, platform) {
            return Ok(source?);
        }
        let ImageRef::Registry(registry_ref) = parsed else { unreachable!("archive::open handles every local form") };
        let options = self.registry_options(scope)?;
        Ok(Box::new(RegistrySource::with_network(registry_ref, options, self.network.clone())?))
    }

    /// The analysis limits, with layer analyses cached under `cache_dir` unless the
    /// layer cache is off.
    pub fn analyze_options(&self, cache_dir: &Path) -> AnalyzeOptions {
        AnalyzeOptions {
            cache_dir: (!self.no_layer_cache).then(|| cache_dir.to_path_buf()),
            max_file_size: self.max_file_size,
            max_image_bytes: self.max_image_bytes,
            ..AnalyzeOptions::default()
        }
    }

    /// Reads the image the person running customs named into an inventory.
    pub fn inventory(&self, reference: &str, cache_dir: &Path) -> anyhow::Result<Inventory> {
        let source = self.open(reference, CredentialScope::CommandLine)?;
        analyze::analyze(source.as_ref(), &self.analyze_options(cache_dir))
            .with_context(|| format!("cannot read image {reference}"))
    }
}

/// Whether an image reference names a registry (not an archive or a layout).
pub fn is_registry(reference: &str) -> bool {
    matches!(ImageRef::parse(reference), Ok(ImageRef::Registry(_)))
}
