//! Flags shared by every command that reads a container image, and turning them into
//! an image source.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::image::analyze::{self, AnalyzeOptions};
use crate::image::archive;
use crate::image::reference::ImageRef;
use crate::image::registry::{CredentialScope, RegistryOptions, RegistrySource};
use crate::image::source::{ImageSource, Platform};
use crate::inventory::walk::Inventory;

#[derive(Args, Debug, Clone, Default)]
pub struct ImageArgs {
    /// Scan a container image instead of files: `host[:port]/repo[:tag][@digest]`
    /// (Docker Hub short names work), `docker-archive:PATH[:name:tag|:@N]` (`name:tag`
    /// or the N-th image, from 0, chooses one image of a multi-image `docker save`),
    /// `oci-archive:PATH[:tag]` or `oci:DIR[:tag]`.
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// The platform to pick from a multi-platform image.
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,

    /// Allow plain HTTP (or TLS without verification) for this registry only.
    /// Repeatable. Every other registry is reached over verified HTTPS.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Trust this PEM CA certificate for registries (repeatable), for private CAs.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    /// Read every layer again instead of using the per-layer analysis cache.
    #[arg(long)]
    pub no_layer_cache: bool,

    /// The largest file read from an image for analysis, in MiB [default: 128]. A
    /// larger package database or lockfile fails the scan.
    #[arg(long, value_name = "MIB")]
    pub max_image_file: Option<u64>,

    /// Memory for the files read from one image, all layers together, in MiB
    /// [default: 256]. Past it the scan fails.
    #[arg(long, value_name = "MIB")]
    pub max_image_memory: Option<u64>,

    #[command(flatten)]
    pub network: super::network::NetworkArgs,
}

/// Opens the image `--image` names.
pub fn open(args: &ImageArgs, reference: &str) -> anyhow::Result<Box<dyn ImageSource>> {
    open_as(args, reference, CredentialScope::CommandLine)
}

/// Opens an image a repository's own file names (an allowlisted base image): its
/// registry gets only the user's Docker config credentials for it, never the
/// environment's.
pub fn open_named_by_repository(args: &ImageArgs, reference: &str) -> anyhow::Result<Box<dyn ImageSource>> {
    open_as(args, reference, CredentialScope::Repository)
}

fn open_as(args: &ImageArgs, reference: &str, scope: CredentialScope) -> anyhow::Result<Box<dyn ImageSource>> {
    let platform = Platform::parse(&args.platform).map_err(anyhow::Error::msg)?;
    let parsed = ImageRef::parse(reference).map_err(|e| anyhow::anyhow!("--image {reference}: {e}"))?;
    if let Some(source) = archive::open(&parsed, platform.clone()) {
        return Ok(source?);
    }
    let ImageRef::Registry(registry_ref) = parsed else { unreachable!("archive::open handles every local form") };
    let options = RegistryOptions { scope, ..registry_options(args)? };
    Ok(Box::new(RegistrySource::with_network(registry_ref, options, args.network.registry_settings())?))
}

/// How to reach the registry of the image the person running customs named, from the
/// image flags (credentials from the environment or Docker's config).
pub fn registry_options(args: &ImageArgs) -> anyhow::Result<RegistryOptions> {
    Ok(RegistryOptions {
        platform: Platform::parse(&args.platform).map_err(anyhow::Error::msg)?,
        insecure_registries: args.insecure_registries.clone(),
        ca_certs: args.ca_certs.clone(),
        docker_config_dir: None,
        credentials: None,
        scope: CredentialScope::CommandLine,
    })
}

/// Reads the image into an inventory (layers cached under the cache directory).
pub fn inventory(args: &ImageArgs, reference: &str, cache: &Path) -> anyhow::Result<Inventory> {
    let source = open(args, reference)?;
    let defaults = AnalyzeOptions::default();
    let options = AnalyzeOptions {
        cache_dir: (!args.no_layer_cache).then(|| cache.to_path_buf()),
        max_file_size: args.max_image_file.map_or(defaults.max_file_size, |mib| mib.saturating_mul(1 << 20)),
        max_image_bytes: args.max_image_memory.map_or(defaults.max_image_bytes, |mib| mib.saturating_mul(1 << 20)),
        ..defaults
    };
    analyze::analyze(source.as_ref(), &options).with_context(|| format!("cannot read image {reference}"))
}
