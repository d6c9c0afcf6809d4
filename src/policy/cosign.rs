//! Cosign signatures stored the classic way: for an image whose manifest digest is
//! `sha256:D`, the tag `sha256-D.sig` of the same repository holds an image manifest
//! whose layers are simple-signing payloads (`application/vnd.dev.cosign.simplesigning.v1+json`),
//! each with its signature (base64, over the payload bytes) in the annotation
//! `dev.cosignproject.cosign/signature`.
//!
//! Verification fails closed: a signature counts only when the payload blob matches
//! its digest, the signature verifies with the given public key, the payload says it is
//! a cosign container image signature, names exactly the image's digest and (on
//! request) the image's repository. One such signature is enough.

use std::fmt;

use base64::Engine;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};

use crate::image::digest::Digest;
use crate::image::registry::RegistrySource;
use crate::image::source::ImageError;

pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const SIGNATURE_TYPE: &str = "cosign container image signature";

/// A public key cosign can verify with, read from PEM (SubjectPublicKeyInfo).
pub struct PublicKey {
    algorithm: &'static dyn VerificationAlgorithm,
    name: &'static str,
    key: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("algorithm", &self.name).finish_non_exhaustive()
    }
}

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2B, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x2B, 0x65, 0x70];
const OID_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

impl PublicKey {
    /// Parses a `-----BEGIN PUBLIC KEY-----` PEM block: ECDSA P-256 (SHA-256), P-384
    /// (SHA-384), Ed25519, or RSA (PKCS#1 v1.5, SHA-256, 2048 bits or more).
    pub fn from_pem(pem: &str) -> Result<PublicKey, String> {
        let begin = "-----BEGIN PUBLIC KEY-----";
        let end = "-----END PUBLIC KEY-----";
        let start = pem.find(begin).ok_or("no \"BEGIN PUBLIC KEY\" PEM block")? + begin.len();
        let stop = pem[start..].find(end).ok_or("the PEM block has no END line")? + start;
        let text: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("the PEM block is not base64 ({e})"))?;
        PublicKey::from_spki_der(&der)
    }

    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let bad = |what: &str| format!("not a SubjectPublicKeyInfo: {what}");
        let (spki, rest) = der_take(der, 0x30).ok_or_else(|| bad("no outer SEQUENCE"))?;
        if !rest.is_empty() {
            return Err(bad("trailing data"));
        }
        let (algorithm, rest) = der_take(spki, 0x30).ok_or_else(|| bad("no AlgorithmIdentifier"))?;
        let (bits, rest) = der_take(rest, 0x03).ok_or_else(|| bad("no BIT STRING"))?;
        if !rest.is_empty() {
            return Err(bad("trailing data"));
        }
        let key = match bits.split_first() {
            Some((0, key)) if !key.is_empty() => key.to_vec(),
            _ => return Err(bad("malformed BIT STRING")),
        };
        let (oid, params) = der_take(algorithm, 0x06).ok_or_else(|| bad("no algorithm OID"))?;
        let (algorithm, name): (&'static dyn VerificationAlgorithm, &'static str) = if oid == OID_EC_PUBLIC_KEY {
            let (curve, _) = der_take(params, 0x06).ok_or_else(|| bad("an EC key without a named curve"))?;
            if curve == OID_P256 {
                (&signature::ECDSA_P256_SHA256_ASN1, "ECDSA P-256 SHA-256")
            } else if curve == OID_P384 {
                (&signature::ECDSA_P384_SHA384_ASN1, "ECDSA P-384 SHA-384")
            } else {
                return Err("unsupported elliptic curve (P-256 and P-384 are)".into());
            }
        } else if oid == OID_ED25519 {
            (&signature::ED25519, "Ed25519")
        } else if oid == OID_RSA {
            (&signature::RSA_PKCS1_2048_8192_SHA256, "RSA PKCS#1 v1.5 SHA-256")
        } else {
            return Err("unsupported key algorithm (ECDSA P-256/P-384, Ed25519 and RSA are)".into());
        };
        Ok(PublicKey { algorithm, name, key })
    }

    /// `ECDSA P-256 SHA-256` and the like.
    pub fn algorithm_name(&self) -> &'static str {
        self.name
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.algorithm, &self.key).verify(message, signature).is_ok()
    }
}

/// One DER element with the `tag` wanted: its content and what follows it.
fn der_take(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (len0 as usize, rest)
    } else {
        let n = (len0 & 0x7F) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// Why an image is not verified. The first five are verdicts (exit 1); [`Registry`](VerifyError::Registry)
/// means the registry could not be asked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no signature: the registry has no tag {tag} for {image}")]
    NoSignature { image: String, tag: String },
    #[error("malformed signature: {0}")]
    Malformed(String),
    #[error("bad signature: {0}")]
    BadSignature(String),
    #[error("digest mismatch: {0}")]
    DigestMismatch(String),
    #[error("reference mismatch: {0}")]
    ReferenceMismatch(String),
    #[error(transparent)]
    Registry(ImageError),
}

impl VerifyError {
    /// How far a signature got before it failed: the furthest is the one reported.
    fn rank(&self) -> u8 {
        match self {
            VerifyError::NoSignature { .. } | VerifyError::Registry(_) => 0,
            VerifyError::Malformed(_) => 1,
            VerifyError::BadSignature(_) => 2,
            VerifyError::DigestMismatch(_) => 3,
            VerifyError::ReferenceMismatch(_) => 4,
        }
    }
}

/// The signature that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub image_digest: Digest,
    pub signature_tag: String,
    pub payload_digest: Digest,
    pub docker_reference: String,
}

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

/// The signature tag cosign uses for an image digest: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &Digest) -> String {
    format!("{}.sig", digest.to_string().replacen(':', "-", 1))
}

/// `registry/repository` without tag or digest, Docker Hub's names made one.
pub fn normalize_repository(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or_default();
    let without_tag = match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    };
    for hub in ["index.docker.io/", "registry-1.docker.io/"] {
        if let Some(rest) = without_tag.strip_prefix(hub) {
            return format!("docker.io/{rest}");
        }
    }
    without_tag.to_string()
}

/// Checks the classic cosign signatures of the image `source` names with `key`.
pub fn verify(source: &RegistrySource, key: &PublicKey, check_reference: bool) -> Result<Verified, VerifyError> {
    let image_digest = source.top_manifest_digest().map_err(VerifyError::Registry)?;
    let tag = signature_tag(&image_digest);
    let layers = match source.tagged_manifest_layers(&tag) {
        Ok(Some(layers)) => layers,
        Ok(None) => return Err(VerifyError::NoSignature { image: format!("{image_digest}"), tag }),
        Err(ImageError::Invalid { message, .. }) => {
            return Err(VerifyError::Malformed(format!("signature manifest {tag}: {message}")))
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    let mut worst: Option<VerifyError> = None;
    let mut candidates = 0;
    for layer in layers.iter().filter(|l| l.media_type == SIMPLE_SIGNING_MEDIA_TYPE) {
        candidates += 1;
        match check_layer(source, key, &image_digest, &tag, layer, check_reference) {
            Ok(verified) => return Ok(verified),
            Err(e @ VerifyError::Registry(_)) => return Err(e),
            Err(e) => {
                if worst.as_ref().is_none_or(|w| e.rank() > w.rank()) {
                    worst = Some(e);
                }
            }
        }
    }
    if candidates == 0 {
        return Err(VerifyError::Malformed(format!("{tag} has no {SIMPLE_SIGNING_MEDIA_TYPE} layer")));
    }
    Err(worst.expect("at least one candidate failed"))
}

fn check_layer(
    source: &RegistrySource,
    key: &PublicKey,
    image_digest: &Digest,
    tag: &str,
    layer: &crate::image::registry::ListedLayer,
    check_reference: bool,
) -> Result<Verified, VerifyError> {
    let at = format!("{tag} layer {}", layer.digest);
    let encoded = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or_else(|| VerifyError::Malformed(format!("{at}: no {SIGNATURE_ANNOTATION} annotation")))?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| VerifyError::Malformed(format!("{at}: the signature annotation is not base64 ({e})")))?;
    let payload = match source.fetch_small_blob(&layer.digest, layer.size) {
        Ok(payload) => payload,
        Err(ImageError::Invalid { message, .. } | ImageError::NotFound { message, .. }) => {
            return Err(VerifyError::Malformed(format!("{at}: payload: {message}")))
        }
        Err(e) => return Err(VerifyError::Registry(e)),
    };
    if !key.verify(&payload, &signature) {
        return Err(VerifyError::BadSignature(format!(
            "{at}: the signature does not verify with the {} key (wrong key, or altered payload)",
            key.algorithm_name()
        )));
    }
    let parsed: Payload = serde_json::from_slice(&payload).map_err(|e| {
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
    if check_reference {
        let want = normalize_repository(&source.repository_name());
        if normalize_repository(&docker_reference) != want {
            return Err(VerifyError::ReferenceMismatch(format!(
                "{at}: the signature is for {docker_reference:?}, the image is in {want}"
            )));
        }
    }
    Ok(Verified {
        image_digest: image_digest.clone(),
        signature_tag: tag.to_string(),
        payload_digest: layer.digest.clone(),
        docker_reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_tags_and_repository_names() {
        let digest = Digest::sha256_of(b"x");
        assert_eq!(signature_tag(&digest), format!("sha256-{}.sig", digest.hex));
        assert_eq!(normalize_repository("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000/a/b");
        assert_eq!(normalize_repository("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
        assert_eq!(normalize_repository("index.docker.io/library/debian@sha256:ab"), "docker.io/library/debian");
    }

    #[test]
    fn keys_parse_and_verify() {
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07];
        spki.extend_from_slice(OID_EC_PUBLIC_KEY);
        spki.extend_from_slice(&[0x06, 0x08]);
        spki.extend_from_slice(OID_P256);
        spki.extend_from_slice(&[0x03, 0x42, 0x00]);
        spki.extend_from_slice(pair.public_key().as_ref());
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&spki)
        );
        let key = PublicKey::from_pem(&pem).unwrap();
        assert_eq!(key.algorithm_name(), "ECDSA P-256 SHA-256");
        let sig = pair.sign(&rng, b"payload").unwrap();
        assert!(key.verify(b"payload", sig.as_ref()));
        assert!(!key.verify(b"other", sig.as_ref()));
        assert!(PublicKey::from_pem("nothing").is_err());
        assert!(PublicKey::from_spki_der(&spki[..10]).is_err());
    }
}
