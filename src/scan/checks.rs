//! The policy checks a scan adds to its result: the Dockerfile rules, the base-image
//! allowlist (annotations or layer ancestry) and the signature requirements.
//!
//! Image checks start from the inventory's [`ImageSubject`], not from how the scan was
//! started: a registry sweep evaluates inventories it read earlier (possibly from its
//! store). The image is opened again by the reference the scan was given when there is
//! one, else by the subject's reference (pinned to the scanned manifest for ancestry).
//! Whatever cannot be checked fails closed: a finding, never a pass.

use std::path::Path;

use super::image::{is_registry, ImageOptions};
use super::ScanResult;
use crate::image::digest::Digest;
use crate::image::reference::ImageRef;
use crate::image::registry::CredentialScope;
use crate::image::source::ImageError;
use crate::inventory::walk::read_capped;
use crate::inventory::ExtractError;
use crate::model::ImageSubject;
use crate::policy::ancestry::{self, BaseResolver};
use crate::policy::signature::policy::{self as signature_policy, RegistryVerifier, ResolvedRule, SignatureVerifier};
use crate::policy::signature::{Requirement, Verified, VerifyError};
use crate::policy::BaseImagePolicy;

/// How image checks reach registries.
pub(super) struct Access<'a> {
    pub image: &'a ImageOptions,
    pub offline: bool,
}

/// Runs the Dockerfile rules; a Dockerfile that cannot be read or parsed is an input
/// error (exit 2) naming the file and line, like a malformed lockfile. With a
/// `base-images` policy its FROMs are also checked against the allowlist.
pub(super) fn dockerfile(path: &Path, base_images: Option<&BaseImagePolicy>, result: &mut ScanResult) {
    let error = |line, message: String| ExtractError::new(path, line, message);
    let text = match read_capped(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return result.inventory.errors.push(error(None, "not valid UTF-8 text".into())),
        Err(e) => return result.inventory.errors.push(error(None, format!("cannot read the Dockerfile: {e}"))),
    };
    match crate::policy::Dockerfile::parse(&text) {
        Ok(dockerfile) => {
            let mut findings = crate::policy::check(&dockerfile, path);
            if let Some(policy) = base_images {
                findings.extend(crate::policy::base_image::check(&dockerfile, path, policy));
                findings.sort_by(|a, b| a.location.line.cmp(&b.location.line).then(a.rule.cmp(b.rule)));
            }
            result.add_policy(findings);
        }
        Err(e) => result.inventory.errors.push(error(Some(e.line), e.kind.to_string())),
    }
}

/// Checks the scanned image against the base-image allowlist: by its base annotation
/// when it has one, else by layer ancestry.
pub(super) fn base_image(
    access: &Access<'_>,
    image: &ImageSubject,
    given: Option<&str>,
    policy: &BaseImagePolicy,
    result: &mut ScanResult,
) {
    if image.base_name.is_none() && policy.allowed.is_some() {
        let outcome = check_ancestry(access, image, given, policy);
        result.add_policy(outcome.findings);
        result.inventory.warnings.extend(outcome.warnings);
    } else {
        let (findings, warning) = crate::policy::base_image::check_image(image, policy);
        result.add_policy(findings);
        result.inventory.warnings.extend(warning);
    }
}

/// Resolves allowed base images with the scan's image options (registry flags,
/// platform); offline refuses registries. They are named by the repository's
/// `customs.yaml`, so they get no environment credentials.
struct AllowedBases<'a> {
    access: &'a Access<'a>,
}

impl BaseResolver for AllowedBases<'_> {
    fn diff_ids(&self, reference: &str) -> Result<Vec<Digest>, String> {
        if self.access.offline && is_registry(reference) {
            return Err("--offline: it is in a registry".to_string());
        }
        let source = self.access.image.open(reference, CredentialScope::Repository).map_err(|e| format!("{e:#}"))?;
        source.resolve().map(|resolved| resolved.diff_ids).map_err(|e| e.to_string())
    }
}

/// Where to open the scanned image again for its layers: the reference the scan was
/// given, else the subject's reference pinned to the scanned manifest (a tag may have
/// moved since an inventory was stored).
fn reopen_reference(image: &ImageSubject, given: Option<&str>) -> String {
    if let Some(given) = given {
        return given.to_string();
    }
    match ImageRef::parse(&image.reference) {
        Ok(ImageRef::Registry(reference)) if reference.digest.is_none() => {
            format!("{}@{}", image.reference, image.manifest_digest)
        }
        _ => image.reference.clone(),
    }
}

/// An image without a base annotation, checked against the allowlist by layer
/// ancestry (see [`crate::policy::ancestry`]). The scanned image is resolved again for
/// its diff_ids; if it is not the manifest that was read, it is not allowed (fail
/// closed).
fn check_ancestry(
    access: &Access<'_>,
    image: &ImageSubject,
    given: Option<&str>,
    policy: &BaseImagePolicy,
) -> ancestry::Outcome {
    let resolver = AllowedBases { access };
    let reference = reopen_reference(image, given);
    let diff_ids = if access.offline && is_registry(&reference) {
        Err("--offline: it is in a registry".to_string())
    } else {
        access
            .image
            .open(&reference, CredentialScope::CommandLine)
            .map_err(|e| format!("{e:#}"))
            .and_then(|source| source.resolve().map_err(|e| e.to_string()))
            .and_then(|resolved| {
                if resolved.manifest_digest.to_string() == image.manifest_digest {
                    Ok(resolved.diff_ids)
                } else {
                    Err(format!("its manifest changed during the scan (now {})", resolved.manifest_digest))
                }
            })
    };
    match diff_ids {
        Ok(diff_ids) => ancestry::check(&image.reference, &diff_ids, policy, &resolver),
        Err(e) => {
            // Without the image's own layers no base can match: every base is unreadable.
            struct Failed(String);
            impl BaseResolver for Failed {
                fn diff_ids(&self, _: &str) -> Result<Vec<Digest>, String> {
                    Err(self.0.clone())
                }
            }
            ancestry::check(&image.reference, &[], policy, &Failed(format!("the scanned image: {e}")))
        }
    }
}

/// Refuses every registry: an offline scan cannot verify signatures, so the rules
/// that cover a registry image fail closed.
struct Offline;

impl SignatureVerifier for Offline {
    fn verify(
        &self,
        image: &crate::image::reference::RegistryRef,
        _: &Requirement,
        _: &str,
    ) -> Result<Verified, VerifyError> {
        Err(VerifyError::Registry(ImageError::Network {
            reference: image.to_string(),
            message: "--offline: registries are not asked".into(),
            status: None,
        }))
    }
}

/// Verifies the scanned image against the signature rules that match it, with the
/// scan's registry options. The reference is the one the scan was given, else the
/// subject's: the verifier checks that what is signed leads to the scanned manifest.
pub(super) fn signatures(
    access: &Access<'_>,
    image: &ImageSubject,
    given: Option<&str>,
    rules: &[ResolvedRule],
    result: &mut ScanResult,
) -> anyhow::Result<()> {
    let given = given.unwrap_or(&image.reference);
    let online;
    let verifier: &dyn SignatureVerifier = if access.offline {
        &Offline
    } else {
        online = RegistryVerifier {
            options: access.image.registry_options(CredentialScope::CommandLine)?,
            network: access.image.network.clone(),
        };
        &online
    };
    let outcome = signature_policy::check(given, &image.reference, &image.manifest_digest, rules, verifier);
    result.add_policy(outcome.findings);
    result.inventory.warnings.extend(outcome.warnings);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(reference: &str) -> ImageSubject {
        ImageSubject {
            reference: reference.into(),
            manifest_digest: format!("sha256:{}", "a".repeat(64)),
            platform: "linux/amd64".into(),
            os: None,
            ecosystem: None,
            layers: vec![],
            base_name: None,
            base_digest: None,
        }
    }

    #[test]
    fn an_image_is_reopened_by_the_given_reference_else_pinned_to_the_scanned_manifest() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let tagged = subject("127.0.0.1:5000/app:1");
        assert_eq!(reopen_reference(&tagged, Some("127.0.0.1:5000/app:1")), "127.0.0.1:5000/app:1");
        assert_eq!(reopen_reference(&tagged, None), format!("127.0.0.1:5000/app:1@{digest}"));
        let pinned = subject(&format!("127.0.0.1:5000/app@sha256:{}", "b".repeat(64)));
        assert_eq!(reopen_reference(&pinned, None), pinned.reference, "already pinned: left as it is");
        let layout = subject("oci:/tmp/layout:1");
        assert_eq!(reopen_reference(&layout, None), "oci:/tmp/layout:1");
    }
}
