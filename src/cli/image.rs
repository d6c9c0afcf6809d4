//! Flags shared by every command that reads a container image, turned into the
//! library's [`ImageOptions`] (which opens and reads images).

use std::path::PathBuf;

use clap::Args;

use crate::scan::ImageOptions;

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

    /// Read every layer again instead of using the per-layer analysis cache.
    #[arg(long)]
    pub no_layer_cache: bool,

    #[command(flatten)]
    pub access: RegistryAccessArgs,
}

/// How registries are reached and how much of an image is read: shared by `scan
/// --image`, `sbom --image` and `registry scan`.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryAccessArgs {
    /// Allow plain HTTP (or TLS without verification) for this registry only.
    /// Repeatable. Every other registry is reached over verified HTTPS.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Trust this PEM CA certificate for registries (repeatable), for private CAs.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,

    /// The largest file read from an image for analysis, in MiB [default: 128]. A
    /// larger package database or lockfile fails the image.
    #[arg(long, value_name = "MIB")]
    pub max_image_file: Option<u64>,

    /// Memory for the files read from one image, all layers together, in MiB
    /// [default: 256]. Past it the image fails.
    #[arg(long, value_name = "MIB")]
    pub max_image_memory: Option<u64>,

    #[command(flatten)]
    pub network: super::network::NetworkArgs,
}

impl RegistryAccessArgs {
    /// The library's image options from these flags (sizes in MiB become bytes).
    pub fn options(&self) -> ImageOptions {
        let defaults = ImageOptions::default();
        let mib = |value: Option<u64>, default: u64| value.map_or(default, |mib| mib.saturating_mul(1 << 20));
        ImageOptions {
            insecure_registries: self.insecure_registries.clone(),
            ca_certs: self.ca_certs.clone(),
            network: self.network.registry_settings(),
            max_file_size: mib(self.max_image_file, defaults.max_file_size),
            max_image_bytes: mib(self.max_image_memory, defaults.max_image_bytes),
            ..defaults
        }
    }
}

impl ImageArgs {
    /// The library's image options from these flags (sizes in MiB become bytes).
    pub fn options(&self) -> ImageOptions {
        ImageOptions { platform: self.platform.clone(), no_layer_cache: self.no_layer_cache, ..self.access.options() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flags_defaults_are_the_librarys_defaults_and_sizes_are_mib() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            image: ImageArgs,
        }
        let parse = |args: &[&str]| <Cli as clap::Parser>::try_parse_from(args).unwrap().image.options();
        let defaults = parse(&["customs"]);
        assert_eq!(format!("{defaults:?}"), format!("{:?}", ImageOptions::default()));
        let set = parse(&["customs", "--max-image-file", "3", "--max-image-memory", "5", "--no-layer-cache"]);
        assert_eq!((set.max_file_size, set.max_image_bytes, set.no_layer_cache), (3 << 20, 5 << 20, true));
        let huge = parse(&["customs", "--max-image-file", &u64::MAX.to_string()]);
        assert_eq!(huge.max_file_size, u64::MAX);
    }
}
