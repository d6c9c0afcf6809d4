//! Sigstore bundles attached to an image as OCI 1.1 referrers, the way cosign v3 signs
//! by default: a manifest with `artifactType` `application/vnd.dev.sigstore.bundle.v0.3+json`
//! whose `subject` is the image and whose one layer is the bundle. The bundle wraps an
//! in-toto statement (predicate type `https://sigstore.dev/cosign/sign/v1`) in a DSSE
//! envelope; its subject digest must be the image's. Statements of other predicate
//! types are attestations, not signatures, and are not counted.

use sigstore_verify::types::{Artifact, Bundle, Sha256Hash, SignatureContent, Statement};

use super::checks;
use super::{normalize_repository, Found, Furthest, Requirement, Verified, VerifyError, MAX_SIGNATURES};
use crate::image::digest::Digest;
use crate::image::registry::RegistrySource;
use crate::image::source::ImageError;

/// The artifact type of Sigstore bundles attached as OCI referrers.
pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The predicate type of cosign's image signatures (as opposed to attestations).
pub const SIGNATURE_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
const IN_TOTO_PAYLOAD: &str = "application/vnd.in-toto+json";

pub(super) fn verify(
    source: &RegistrySource,
    requirement: &Requirement,
    image_digest: &Digest,
    furthest: &mut Furthest,
) -> Result<Found, VerifyError> {
    let referrers = match source.referrers(image_digest, BUNDLE_ARTIFACT_TYPE) {
        Ok(referrers) => referrers,
        Err(ImageError::Invalid { message, .. }) => {
            furthest.note(VerifyError::Malformed(format!("referrers of {image_digest}: {message}")));
            return Ok(Found::Failed);
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let mut signatures = 0;
    if referrers.len() > MAX_SIGNATURES {
        furthest.note(VerifyError::Malformed(format!(
            "{image_digest} has {} signature referrers; only the first {MAX_SIGNATURES} were examined",
            referrers.len()
        )));
    }
    for referrer in referrers.iter().take(MAX_SIGNATURES) {
        let at = format!("referrer {}", referrer.digest);
        let bundle = match fetch_bundle(source, &referrer.digest, &at) {
            Ok(bundle) => bundle,
            Err(e @ VerifyError::Registry(_)) => return Err(e),
            Err(e) => {
                signatures += 1;
                furthest.note(e);
                continue;
            }
        };
        let statement = match signature_statement(&bundle, &at) {
            Ok(Some(statement)) => statement,
            Ok(None) => continue,
            Err(e) => {
                signatures += 1;
                furthest.note(e);
                continue;
            }
        };
        signatures += 1;
        match check(&bundle, &statement, source, requirement, image_digest, &at) {
            Ok(verified) => return Ok(Found::Verified(Box::new(verified))),
            Err(e) => furthest.note(e),
        }
    }
    if signatures == 0 {
        return Ok(Found::Nothing(format!("no Sigstore bundle signature among its {} referrers", referrers.len())));
    }
    Ok(Found::Failed)
}

fn fetch_bundle(source: &RegistrySource, digest: &Digest, at: &str) -> Result<Bundle, VerifyError> {
    let malformed = |what: String| VerifyError::Malformed(format!("{at}: {what}"));
    let layers = match source.manifest_layers(digest) {
        Ok(layers) => layers,
        Err(ImageError::Invalid { message, .. } | ImageError::NotFound { message, .. }) => {
            return Err(malformed(message))
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let [layer] = layers.as_slice() else {
        return Err(malformed(format!("a bundle manifest has one layer, this one has {}", layers.len())));
    };
    if !layer.media_type.starts_with("application/vnd.dev.sigstore.bundle") {
        return Err(malformed(format!("its layer is {:?}, not a Sigstore bundle", layer.media_type)));
    }
    let bytes = match source.fetch_small_blob(&layer.digest, layer.size) {
        Ok(bytes) => bytes,
        Err(ImageError::Invalid { message, .. } | ImageError::NotFound { message, .. }) => {
            return Err(malformed(format!("bundle: {message}")))
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let text = std::str::from_utf8(&bytes).map_err(|_| malformed("the bundle is not UTF-8".into()))?;
    Bundle::from_json(text).map_err(|e| malformed(format!("not a Sigstore bundle ({e})")))
}

/// The in-toto statement of a signature bundle; `None` for attestations.
fn signature_statement(bundle: &Bundle, at: &str) -> Result<Option<Statement>, VerifyError> {
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Err(VerifyError::Malformed(format!(
            "{at}: the bundle holds a bare message signature; image signatures are DSSE envelopes"
        )));
    };
    if envelope.payload_type != IN_TOTO_PAYLOAD {
        return Err(VerifyError::Malformed(format!(
            "{at}: the DSSE payload is {:?}, not an in-toto statement",
            envelope.payload_type
        )));
    }
    let statement: Statement = serde_json::from_slice(envelope.payload.as_bytes())
        .map_err(|e| VerifyError::Malformed(format!("{at}: the in-toto statement does not parse ({e})")))?;
    Ok((statement.predicate_type == SIGNATURE_PREDICATE).then_some(statement))
}

/// The fuzz target's way in (`crate::fuzzing`): a bundle as a registry serves it,
/// parsed, and its signature statement read.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fuzz_bundle(text: &str) {
    if let Ok(bundle) = Bundle::from_json(text) {
        let _ = signature_statement(&bundle, "fuzz");
    }
}

fn check(
    bundle: &Bundle,
    statement: &Statement,
    source: &RegistrySource,
    requirement: &Requirement,
    image_digest: &Digest,
    at: &str,
) -> Result<Verified, VerifyError> {
    let hash = Sha256Hash::from_hex(&image_digest.hex)
        .map_err(|e| VerifyError::Malformed(format!("{at}: image digest {image_digest}: {e}")))?;
    let (signer, transparency_log) = checks::verify_bundle(bundle, Artifact::from_digest(hash), requirement, at)?;
    // cosign v3 leaves the subject's name empty; a name, when there is one, is the
    // repository and is held to --check-reference like a docker-reference.
    let named = statement.subject.iter().map(|s| s.name.as_str()).find(|n| !n.is_empty()).map(str::to_string);
    if let (true, Some(name)) = (requirement.check_reference, &named) {
        let want = normalize_repository(&source.repository_name());
        if normalize_repository(name) != want {
            return Err(VerifyError::ReferenceMismatch(format!(
                "{at}: the statement names {name:?}, the image is in {want}"
            )));
        }
    }
    Ok(Verified {
        image_digest: image_digest.clone(),
        found_at: at.to_string(),
        signer,
        docker_reference: named,
        transparency_log,
    })
}
