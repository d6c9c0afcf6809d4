//! Image signatures, in the two forms cosign stores them in a registry:
//!
//! - [`simple_signing`]: the classic `sha256-<hex>.sig` tag, an image manifest whose
//!   layers are simple-signing payloads with the signature (and, for keyless, the Fulcio
//!   certificate, its chain and the Rekor bundle) in annotations;
//! - [`bundle`]: Sigstore bundles attached to the image as OCI 1.1 referrers (cosign v3's
//!   default), a DSSE envelope around an in-toto statement naming the image digest.
//!
//! A [`Requirement`] says which signers are accepted: public keys, keyless identities
//! (certificate subject + OIDC issuer) checked against a Sigstore trust root, or both.
//! [`verify`] looks at every signature it finds and succeeds when one satisfies every
//! constraint; otherwise it reports the failure of the signature that got furthest.
//! Certificate chains, transparency-log proofs and DSSE are checked by the
//! `sigstore-verify` crate, offline, against the trust root given; this module finds the
//! signatures, turns cosign's annotations into bundles and applies the policy.
//! [`policy`] reads `policy: signatures:` of `customs.yaml` into requirements per image
//! pattern, for `scan --image` and `verify`.

use std::sync::Arc;

use crate::image::digest::Digest;
use crate::image::registry::RegistrySource;
use crate::image::source::ImageError;

pub mod bundle;
mod checks;
pub mod identity;
pub mod key;
pub mod policy;
pub mod simple_signing;
pub mod trust;

pub use identity::{KeylessIdentity, Matcher};
pub use key::PublicKey;
pub use trust::TrustRoot;

/// What a signature must satisfy. One signature meeting it is enough.
#[derive(Debug, Clone, Default)]
pub struct Requirement {
    /// Signatures made with any of these keys are accepted.
    pub keys: Vec<PublicKey>,
    /// Keyless signatures whose certificate names one of these signers are accepted.
    pub identities: Vec<KeylessIdentity>,
    /// Fulcio CAs, Rekor and CT log keys. Required for keyless signatures; with keys it
    /// makes a transparency-log proof required too (without it, key-based signatures
    /// are checked like `cosign verify --insecure-ignore-tlog`).
    pub trusted_root: Option<Arc<TrustRoot>>,
    /// The signed payload must name the image's repository.
    pub check_reference: bool,
    /// Accept certificates without a verified Signed Certificate Timestamp
    /// (cosign's `--insecure-ignore-sct`), for private Fulcio instances without CT.
    pub ignore_sct: bool,
}

impl Requirement {
    /// Refuses requirements that nothing could satisfy or that would be checked
    /// without a trust anchor.
    pub fn check(&self) -> Result<(), String> {
        if self.keys.is_empty() && self.identities.is_empty() {
            return Err("no signer is allowed: give a key, or a certificate identity and OIDC issuer".into());
        }
        if !self.identities.is_empty() && self.trusted_root.is_none() {
            return Err("keyless identities need a trust root (trusted_root.json) to check certificates against".into());
        }
        Ok(())
    }
}

/// Who made the signature that verified.
#[allow(missing_docs)] // fields: each variant's message names them
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Signer {
    /// A public key, by algorithm and the SHA-256 of its SubjectPublicKeyInfo.
    Key { algorithm: String, fingerprint: String },
    /// A Fulcio certificate, by identity (subject) and OIDC issuer.
    Certificate { subject: String, issuer: String },
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signer::Key { algorithm, fingerprint } => write!(f, "key {fingerprint} ({algorithm})"),
            Signer::Certificate { subject, issuer } => write!(f, "certificate for {subject} (issuer {issuer})"),
        }
    }
}

/// A transparency-log entry that was checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogEntry {
    /// The entry's index in the log.
    pub log_index: i64,
    /// Unix seconds at which the log integrated the entry.
    pub integrated_time: i64,
}

/// The signature that verified.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verified {
    /// The image manifest digest the signature covers.
    pub image_digest: Digest,
    /// Where it was found: `tag sha256-….sig layer sha256:…` or `referrer sha256:…`.
    pub found_at: String,
    /// Who signed.
    pub signer: Signer,
    /// The repository the signed payload names, when it names one.
    pub docker_reference: Option<String>,
    /// The transparency-log entry checked, when there was one.
    pub transparency_log: Option<LogEntry>,
}

/// Why an image is not verified. All but [`Registry`](VerifyError::Registry) are
/// verdicts (exit 1); that one means the registry could not be asked (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The image has no signature customs could find.
    #[error("no signature: {0}")]
    NoSignature(String),
    /// Signature data that cannot be read.
    #[error("malformed signature data: {0}")]
    Malformed(String),
    /// Signed, but by no key the policy trusts.
    #[error("wrong key: {0}")]
    WrongKey(String),
    /// The signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// The certificate does not chain to the trusted root.
    #[error("untrusted certificate chain: {0}")]
    UntrustedChain(String),
    /// The transparency-log proof is missing or does not verify.
    #[error("missing transparency proof: {0}")]
    TransparencyProof(String),
    /// The certificate's identity or issuer is not the one required.
    #[error("identity mismatch: {0}")]
    IdentityMismatch(String),
    /// The signed payload names another image digest.
    #[error("digest mismatch: {0}")]
    DigestMismatch(String),
    /// The signed payload names another repository.
    #[error("reference mismatch: {0}")]
    ReferenceMismatch(String),
    /// The registry could not be asked (exit 2, not a verdict).
    #[error(transparent)]
    Registry(ImageError),
}

impl VerifyError {
    /// A stable kebab-case name for the failed check (JSON output, policy findings).
    pub fn check(&self) -> &'static str {
        match self {
            VerifyError::NoSignature(_) => "no-signature",
            VerifyError::Malformed(_) => "malformed-signature",
            VerifyError::WrongKey(_) => "wrong-key",
            VerifyError::BadSignature(_) => "bad-signature",
            VerifyError::UntrustedChain(_) => "untrusted-chain",
            VerifyError::TransparencyProof(_) => "missing-transparency-proof",
            VerifyError::IdentityMismatch(_) => "identity-mismatch",
            VerifyError::DigestMismatch(_) => "digest-mismatch",
            VerifyError::ReferenceMismatch(_) => "reference-mismatch",
            VerifyError::Registry(_) => "registry-error",
        }
    }

    /// How far a signature got before it failed: the furthest is the one reported.
    fn rank(&self) -> u8 {
        match self {
            VerifyError::NoSignature(_) | VerifyError::Registry(_) => 0,
            VerifyError::Malformed(_) => 1,
            VerifyError::WrongKey(_) => 2,
            VerifyError::BadSignature(_) => 3,
            VerifyError::UntrustedChain(_) => 4,
            VerifyError::TransparencyProof(_) => 5,
            VerifyError::IdentityMismatch(_) => 6,
            VerifyError::DigestMismatch(_) => 7,
            VerifyError::ReferenceMismatch(_) => 8,
        }
    }
}

/// At most this many signatures of each storage form are examined: a registry (or
/// whoever can push to it) listing thousands must not turn a check into a flood of
/// requests. Real images carry a handful.
pub const MAX_SIGNATURES: usize = 64;

/// Keeps the failure that got furthest among several signatures.
#[derive(Default)]
struct Furthest(Option<VerifyError>);

impl Furthest {
    fn note(&mut self, error: VerifyError) {
        if self.0.as_ref().is_none_or(|worst| error.rank() > worst.rank()) {
            self.0 = Some(error);
        }
    }
}

/// Checks every cosign signature of the image `source` names (classic tag and
/// referrers) against `requirement`.
pub fn verify(source: &RegistrySource, requirement: &Requirement) -> Result<Verified, VerifyError> {
    requirement.check().map_err(VerifyError::Malformed)?;
    let image_digest = source.top_manifest_digest().map_err(VerifyError::Registry)?;
    let mut furthest = Furthest::default();
    let mut looked = Vec::new();
    for found in [
        simple_signing::verify(source, requirement, &image_digest, &mut furthest),
        bundle::verify(source, requirement, &image_digest, &mut furthest),
    ] {
        match found? {
            Found::Verified(verified) => return Ok(*verified),
            Found::Nothing(where_looked) => looked.push(where_looked),
            Found::Failed => {}
        }
    }
    Err(furthest.0.unwrap_or_else(|| VerifyError::NoSignature(format!("{image_digest}: {}", looked.join("; ")))))
}

/// What one storage form yielded.
enum Found {
    Verified(Box<Verified>),
    /// No signature there; says where it looked.
    Nothing(String),
    /// Signatures that all failed (noted in [`Furthest`]).
    Failed,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names() {
        assert_eq!(normalize_repository("127.0.0.1:5000/a/b:1"), "127.0.0.1:5000/a/b");
        assert_eq!(normalize_repository("127.0.0.1:5000/a/b"), "127.0.0.1:5000/a/b");
        assert_eq!(normalize_repository("index.docker.io/library/debian@sha256:ab"), "docker.io/library/debian");
    }

    #[test]
    fn requirements_need_a_signer_and_keyless_needs_a_root() {
        let none = Requirement::default();
        assert!(none.check().unwrap_err().contains("no signer"));
        let keyless = Requirement {
            identities: vec![KeylessIdentity {
                subject: Matcher::Exact("a@b".into()),
                issuer: Matcher::Exact("https://i".into()),
            }],
            ..Requirement::default()
        };
        assert!(keyless.check().unwrap_err().contains("trust root"));
    }

    #[test]
    fn the_furthest_failure_is_kept() {
        let mut furthest = Furthest::default();
        furthest.note(VerifyError::BadSignature("b".into()));
        furthest.note(VerifyError::Malformed("m".into()));
        furthest.note(VerifyError::DigestMismatch("d".into()));
        furthest.note(VerifyError::WrongKey("w".into()));
        assert_eq!(furthest.0.unwrap().check(), "digest-mismatch");
    }
}
