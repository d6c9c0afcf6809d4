//! `customs verify REF --key PUB.pem`: checks the image's cosign signatures (the
//! classic `sha256-<digest>.sig` tag) with a public key. Exit 0 verified, 1 not
//! verified (the message says which check failed), 2 bad input or unreachable registry.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::exit;
use crate::image::reference::ImageRef;
use crate::image::registry::{RegistryOptions, RegistrySource};
use crate::image::source::Platform;
use crate::policy::cosign::{self, PublicKey, VerifyError};

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    /// The image: `host[:port]/repo[:tag][@digest]` (signatures live in a registry).
    #[arg(value_name = "REF")]
    pub reference: String,

    /// The public key (PEM) the signature must verify with.
    #[arg(long, value_name = "PUB.pem")]
    pub key: PathBuf,

    /// Also require the signed payload's docker-reference to name the image's repository.
    #[arg(long)]
    pub check_reference: bool,

    /// The platform to pick from a multi-platform image (the signature covers the
    /// digest the reference names, index or image).
    #[arg(long, value_name = "OS/ARCH[/VARIANT]", default_value = "linux/amd64")]
    pub platform: String,

    /// Allow plain HTTP (or TLS without verification) for this registry only. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure_registries: Vec<String>,

    /// Trust this PEM CA certificate for registries (repeatable), for private CAs.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
}

pub fn run(args: &VerifyArgs, quiet: bool) -> anyhow::Result<u8> {
    let pem =
        std::fs::read_to_string(&args.key).with_context(|| format!("cannot read --key {}", args.key.display()))?;
    let key = PublicKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("--key {}: {e}", args.key.display()))?;
    let platform = Platform::parse(&args.platform).map_err(anyhow::Error::msg)?;
    let parsed = ImageRef::parse(&args.reference).map_err(|e| anyhow::anyhow!("{}: {e}", args.reference))?;
    let ImageRef::Registry(registry_ref) = parsed else {
        anyhow::bail!(
            "{}: signatures live in a registry; name the image as host/repository[:tag|@digest]",
            args.reference
        );
    };
    let options = RegistryOptions {
        platform,
        insecure_registries: args.insecure_registries.clone(),
        ca_certs: args.ca_certs.clone(),
        docker_config_dir: None,
        credentials: None,
    };
    let source = RegistrySource::new(registry_ref, options)?;
    match cosign::verify(&source, &key, args.check_reference) {
        Ok(verified) => {
            if !quiet {
                println!(
                    "Verified OK: {}@{} signed by {} ({} key); signature {} layer {}, docker-reference {}",
                    source.repository_name(),
                    verified.image_digest,
                    args.key.display(),
                    key.algorithm_name(),
                    verified.signature_tag,
                    verified.payload_digest,
                    verified.docker_reference
                );
            }
            Ok(exit::CLEAN)
        }
        Err(VerifyError::Registry(e)) => Err(anyhow::Error::new(e).context("cannot check signatures")),
        Err(e) => {
            eprintln!("verification failed for {}: {e}", args.reference);
            Ok(exit::FINDINGS)
        }
    }
}
