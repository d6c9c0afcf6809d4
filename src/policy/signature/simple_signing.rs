//! Cosign signatures stored the classic way: for an image whose manifest digest is
//! `sha256:D`, the tag `sha256-D.sig` of the same repository holds an image manifest
//! whose layers are simple-signing payloads (`application/vnd.dev.cosign.simplesigning.v1+json`),
//! each with its signature (base64, over the payload bytes) in the annotation
//! `dev.cosignproject.cosign/signature`. Keyless signatures add the Fulcio certificate
//! (`dev.sigstore.cosign/certificate`), its chain (`…/chain`) and the Rekor entry with its
//! signed entry timestamp (`…/bundle`); key-based ones may carry the Rekor entry too.
//!
//! A keyless signature, or a key-based one when a trust root is given, is turned into
//! the Sigstore bundle (v0.1) it is equivalent to and checked by `sigstore-verify`;
//! a key-based one without a trust root is checked here with the key alone. Either way
//! the payload must then say it is a cosign container image signature for exactly the
//! image's digest and, on request, the image's repository.

use base64::Engine;
use sigstore_verify::types::{Artifact, Bundle};

use super::checks::{self, key_signer};
use super::{normalize_repository, Found, Furthest, Requirement, Signer, Verified, VerifyError, MAX_SIGNATURES};
use crate::image::digest::Digest;
use crate::image::registry::{ListedLayer, RegistrySource};
use crate::image::source::ImageError;

/// The media type of cosign's signature payload layers.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The layer annotation holding a keyless signature's certificate (PEM).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The layer annotation holding the certificate's chain (PEM).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The layer annotation holding the Rekor bundle (the transparency-log entry).
pub const REKOR_BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The `critical.type` a cosign signature payload must have.
pub const SIGNATURE_TYPE: &str = "cosign container image signature";

#[derive(serde::Deserialize)]
struct Payload {
    critical: Critical,
}

#[derive(serde::Deserialize)]
struct Critical {
    identity: Identity,
    image: PayloadImage,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(serde::Deserialize)]
struct Identity {
    #[serde(rename = "docker-reference")]
    docker_reference: String,
}

#[derive(serde::Deserialize)]
struct PayloadImage {
    #[serde(rename = "docker-manifest-digest")]
    docker_manifest_digest: String,
}

/// cosign's `dev.sigstore.cosign/bundle` annotation: a Rekor entry and its SET.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    signed_entry_timestamp: String,
    payload: RekorPayload,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

/// The signature tag cosign uses for an image digest: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &Digest) -> String {
    format!("{}.sig", digest.to_string().replacen(':', "-", 1))
}

pub(super) fn verify(
    source: &RegistrySource,
    requirement: &Requirement,
    image_digest: &Digest,
    furthest: &mut Furthest,
) -> Result<Found, VerifyError> {
    let tag = signature_tag(image_digest);
    let layers = match source.tagged_manifest_layers(&tag) {
        Ok(Some(layers)) => layers,
        Ok(None) => return Ok(Found::Nothing(format!("the registry has no tag {tag}"))),
        Err(ImageError::Invalid { message, .. }) => {
            furthest.note(VerifyError::Malformed(format!("signature manifest {tag}: {message}")));
            return Ok(Found::Failed);
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let mut candidates = 0;
    let signatures = layers.iter().filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE);
    for layer in signatures.take(MAX_SIGNATURES) {
        candidates += 1;
        match check_layer(source, requirement, image_digest, &tag, layer) {
            Ok(verified) => return Ok(Found::Verified(Box::new(verified))),
            Err(e @ VerifyError::Registry(_)) => return Err(e),
            Err(e) => furthest.note(e),
        }
    }
    if candidates == 0 {
        furthest.note(VerifyError::Malformed(format!("{tag} has no {SIMPLE_SIGNING_MEDIA_TYPE} layer")));
    }
    Ok(Found::Failed)
}

fn check_layer(
    source: &RegistrySource,
    requirement: &Requirement,
    image_digest: &Digest,
    tag: &str,
    layer: &ListedLayer,
) -> Result<Verified, VerifyError> {
    let at = format!("tag {tag} layer {}", layer.digest);
    let malformed = |what: String| VerifyError::Malformed(format!("{at}: {what}"));
    let encoded = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or_else(|| malformed(format!("no {SIGNATURE_ANNOTATION} annotation")))?
        .trim();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| malformed(format!("the signature annotation is not base64 ({e})")))?;
    let payload = match source.fetch_small_blob(&layer.digest, layer.size) {
        Ok(payload) => payload,
        Err(ImageError::Invalid { message, .. } | ImageError::NotFound { message, .. }) => {
            return Err(malformed(format!("payload: {message}")))
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let rekor =
        match layer.annotations.get(REKOR_BUNDLE_ANNOTATION) {
            Some(text) => Some(serde_json::from_str::<RekorBundle>(text).map_err(|e| {
                malformed(format!("the {REKOR_BUNDLE_ANNOTATION} annotation is not a Rekor bundle ({e})"))
            })?),
            None => None,
        };
    let certificates = match layer.annotations.get(CERTIFICATE_ANNOTATION) {
        Some(leaf) => {
            let mut chain = pem_certificates(leaf).map_err(|e| malformed(format!("certificate: {e}")))?;
            if let Some(rest) = layer.annotations.get(CHAIN_ANNOTATION) {
                chain.extend(pem_certificates(rest).map_err(|e| malformed(format!("certificate chain: {e}")))?);
            }
            chain
        }
        None => Vec::new(),
    };

    // The kind of signer is known before any proof is looked at: say so first.
    if !certificates.is_empty() && requirement.identities.is_empty() {
        return Err(VerifyError::WrongKey(format!(
            "{at} is a keyless signature (a Fulcio certificate), and only keys are allowed"
        )));
    }
    if certificates.is_empty() && requirement.keys.is_empty() {
        return Err(VerifyError::WrongKey(format!(
            "{at} is signed with a key, and only keyless signers (certificates) are allowed"
        )));
    }
    let (signer, transparency_log) = if certificates.is_empty() && requirement.trusted_root.is_none() {
        (key_only(requirement, &payload, &signature, rekor.as_ref(), &at)?, None)
    } else {
        let Some(rekor) = rekor else {
            return Err(VerifyError::TransparencyProof(format!(
                "{at} has no Rekor entry ({REKOR_BUNDLE_ANNOTATION}): the signing time and the log inclusion cannot be proven"
            )));
        };
        let bundle = as_bundle(&payload, encoded, &certificates, &rekor).map_err(malformed)?;
        checks::verify_bundle(&bundle, Artifact::from_blob(&payload), requirement, &at)?
    };
    let docker_reference = check_payload(&payload, source, requirement, image_digest, &at)?;
    Ok(Verified {
        image_digest: image_digest.clone(),
        found_at: at,
        signer,
        docker_reference: Some(docker_reference),
        transparency_log,
    })
}

/// Key-based, no trust root: the signature must verify with one of the keys. When the
/// Rekor entry names the signing key, another key is reported as the wrong key.
fn key_only(
    requirement: &Requirement,
    payload: &[u8],
    signature: &[u8],
    rekor: Option<&RekorBundle>,
    at: &str,
) -> Result<Signer, VerifyError> {
    if requirement.keys.is_empty() {
        return Err(VerifyError::WrongKey(format!(
            "{at} is signed with a key, and only keyless signers (certificates) are allowed"
        )));
    }
    let logged = rekor
        .and_then(|r| base64::engine::general_purpose::STANDARD.decode(&r.payload.body).ok())
        .and_then(|body| checks::logged_signer(&body));
    let candidates = match &logged {
        Some(spki) => vec![checks::matching_key(spki, requirement, at)?],
        None => requirement.keys.iter().collect(),
    };
    match candidates.iter().find(|key| key.verify(payload, signature)) {
        Some(key) => Ok(key_signer(key)),
        None => {
            let names: Vec<String> =
                candidates.iter().map(|k| format!("{} ({})", k.fingerprint(), k.algorithm_name())).collect();
            Err(VerifyError::BadSignature(format!(
                "{at}: the signature does not verify with key {} (another key, or an altered payload)",
                names.join(" or ")
            )))
        }
    }
}

/// The payload's claims: a cosign container image signature for exactly this digest
/// (and repository, when asked). Returns the docker-reference it names.
fn check_payload(
    payload: &[u8],
    source: &RegistrySource,
    requirement: &Requirement,
    image_digest: &Digest,
    at: &str,
) -> Result<String, VerifyError> {
    let parsed: Payload = serde_json::from_slice(payload).map_err(|e| {
        VerifyError::Malformed(format!("{at}: the signed payload is not a simple-signing document ({e})"))
    })?;
    if parsed.critical.kind != SIGNATURE_TYPE {
        return Err(VerifyError::Malformed(format!(
            "{at}: the signed payload's type is {:?}, not {SIGNATURE_TYPE:?}",
            parsed.critical.kind
        )));
    }
    let signed = &parsed.critical.image.docker_manifest_digest;
    if signed != &image_digest.to_string() {
        return Err(VerifyError::DigestMismatch(format!(
            "{at}: the signature is for {signed:?}, the image is {image_digest}"
        )));
    }
    let docker_reference = parsed.critical.identity.docker_reference;
    if requirement.check_reference {
        let want = normalize_repository(&source.repository_name());
        if normalize_repository(&docker_reference) != want {
            return Err(VerifyError::ReferenceMismatch(format!(
                "{at}: the signature is for {docker_reference:?}, the image is in {want}"
            )));
        }
    }
    Ok(docker_reference)
}

/// The Sigstore bundle (v0.1, the version with a certificate chain and a SET) that
/// says what cosign's annotations say.
fn as_bundle(payload: &[u8], signature: &str, certificates: &[Vec<u8>], rekor: &RekorBundle) -> Result<Bundle, String> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let log_id = hex_decode(&rekor.payload.log_id).ok_or("the Rekor entry's logID is not hex")?;
    let body = base64::engine::general_purpose::STANDARD
        .decode(&rekor.payload.body)
        .map_err(|e| format!("the Rekor entry's body is not base64 ({e})"))?;
    let kind: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("the Rekor entry's body is not JSON ({e})"))?;
    let (Some(kind_name), Some(version)) =
        (kind.get("kind").and_then(|k| k.as_str()), kind.get("apiVersion").and_then(|v| v.as_str()))
    else {
        return Err("the Rekor entry's body has no kind or apiVersion".into());
    };
    let material = if certificates.is_empty() {
        serde_json::json!({"publicKey": {"hint": ""}})
    } else {
        let chain: Vec<_> = certificates.iter().map(|der| serde_json::json!({"rawBytes": b64(der)})).collect();
        serde_json::json!({"x509CertificateChain": {"certificates": chain}})
    };
    let mut material = material;
    material["tlogEntries"] = serde_json::json!([{
        "logIndex": rekor.payload.log_index.to_string(),
        "logId": {"keyId": b64(&log_id)},
        "kindVersion": {"kind": kind_name, "version": version},
        "integratedTime": rekor.payload.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": rekor.signed_entry_timestamp},
        "canonicalizedBody": rekor.payload.body,
    }]);
    let digest = {
        use sha2::Digest as _;
        sha2::Sha256::digest(payload)
    };
    let bundle = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&digest)},
            "signature": signature,
        },
    });
    Bundle::from_json(&bundle.to_string()).map_err(|e| format!("cannot read as a Sigstore bundle ({e})"))
}

/// The DER certificates of a PEM text (one or several `CERTIFICATE` blocks).
fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    let (begin, end) = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(begin) {
        let after = &rest[start + begin.len()..];
        let stop = after.find(end).ok_or("a CERTIFICATE block has no END line")?;
        let b64: String = after[..stop].chars().filter(|c| !c.is_whitespace()).collect();
        found.push(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| format!("a CERTIFICATE block is not base64 ({e})"))?,
        );
        rest = &after[stop + end.len()..];
    }
    if found.is_empty() {
        return Err("no PEM CERTIFICATE block".into());
    }
    Ok(found)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The fuzz target's way in (`crate::fuzzing`): what a simple-signing layer carries
/// (payload, certificate and chain annotations, Rekor bundle annotation) read the way
/// [`check_layer`] reads it, up to the point where a registry or a key is needed.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn fuzz_layer(payload: &[u8], certificate: &str, chain: &str, rekor: &str) {
    let _ = serde_json::from_slice::<Payload>(payload);
    let mut certificates = pem_certificates(certificate).unwrap_or_default();
    certificates.extend(pem_certificates(chain).unwrap_or_default());
    if let Ok(rekor) = serde_json::from_str::<RekorBundle>(rekor) {
        if let Ok(body) = base64::engine::general_purpose::STANDARD.decode(&rekor.payload.body) {
            let _ = checks::logged_signer(&body);
        }
        let _ = as_bundle(payload, "c2lnbmF0dXJl", &certificates, &rekor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_tags() {
        let digest = Digest::sha256_of(b"x");
        assert_eq!(signature_tag(&digest), format!("sha256-{}.sig", digest.hex));
    }

    #[test]
    fn pem_blocks_and_hex() {
        let one = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_certificates(one).unwrap(), vec![vec![0, 1, 2]]);
        assert_eq!(pem_certificates(&format!("{one}{one}")).unwrap().len(), 2);
        assert!(pem_certificates("nothing").is_err());
        assert!(pem_certificates("-----BEGIN CERTIFICATE-----\nAAEC").is_err());
        assert_eq!(hex_decode("00ff"), Some(vec![0, 255]));
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
    }

    proptest::proptest! {
        /// cosign's annotations are attacker-controlled text: parsing them never panics.
        #[test]
        fn annotations_never_panic(text in "\\PC{0,300}", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = pem_certificates(&text);
            let _ = pem_certificates(&format!("-----BEGIN CERTIFICATE-----{text}-----END CERTIFICATE-----"));
            let _ = hex_decode(&text);
            if let Ok(rekor) = serde_json::from_str::<RekorBundle>(&text) {
                let _ = as_bundle(&bytes, &text, std::slice::from_ref(&bytes), &rekor);
            }
            let rekor = RekorBundle {
                signed_entry_timestamp: text.clone(),
                payload: RekorPayload { body: text.clone(), integrated_time: 1, log_index: 1, log_id: text.clone() },
            };
            let _ = as_bundle(&bytes, &text, &[], &rekor);
        }
    }
}
