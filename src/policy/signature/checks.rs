//! The checks both storage forms share: a Sigstore bundle verified with
//! `sigstore-verify` under the requirement's keys or identities, its errors sorted
//! into the verdicts customs reports, and the signer a transparency-log entry names.

use base64::Engine;
use sigstore_verify::types::{Artifact, Bundle, DerPublicKey};
use sigstore_verify::{Error, PublicKeyVerificationPolicy, VerificationPolicy};

use super::trust::TrustRoot;
use super::{LogEntry, PublicKey, Requirement, Signer, VerifyError};

/// Verifies `bundle` over `artifact` with whichever of the requirement's signers fits
/// its verification material: a certificate is checked against the trust root and the
/// keyless identities, a public key against the keys. `at` names the signature.
pub(super) fn verify_bundle(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    requirement: &Requirement,
    at: &str,
) -> Result<(Signer, Option<LogEntry>), VerifyError> {
    let log_entry = bundle.verification_material.tlog_entries.first().map(|entry| LogEntry {
        log_index: entry.log_index.as_i64(),
        integrated_time: entry.integrated_time.map_or(0, |t| t.as_second()),
    });
    if bundle.signing_certificate().is_some() {
        let signer = verify_keyless(bundle, artifact, requirement, at)?;
        return Ok((signer, log_entry));
    }
    let empty;
    let root = match &requirement.trusted_root {
        Some(root) => root.as_ref(),
        None => {
            empty = TrustRoot::empty();
            &empty
        }
    };
    let mut furthest = super::Furthest::default();
    for key in candidate_keys(bundle, requirement, at)? {
        let mut policy = PublicKeyVerificationPolicy::new(DerPublicKey::from_bytes(key.spki_der()));
        if requirement.trusted_root.is_none() {
            policy = policy.skip_tlog_unsafe();
        }
        match root.verifier.verify(artifact.clone(), bundle, &policy) {
            Ok(_) => {
                let logged = requirement.trusted_root.is_some().then_some(log_entry).flatten();
                return Ok((key_signer(key), logged));
            }
            Err(e) => furthest.note(classify(e, at)),
        }
    }
    Err(furthest.0.expect("at least one key was tried"))
}

fn verify_keyless(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    requirement: &Requirement,
    at: &str,
) -> Result<Signer, VerifyError> {
    if requirement.identities.is_empty() {
        return Err(VerifyError::WrongKey(format!(
            "{at} is a keyless signature (a Fulcio certificate), and only keys are allowed"
        )));
    }
    let root = requirement.trusted_root.as_ref().expect("Requirement::check: identities come with a trust root");
    // The identity is matched here (regexes, several allowed signers); the crate checks
    // chain, SCT, transparency proof and signature.
    let mut policy = VerificationPolicy::any_identity();
    if requirement.ignore_sct {
        policy = policy.skip_sct();
    }
    let result = root.verifier.verify(artifact, bundle, &policy).map_err(|e| classify(e, at))?;
    let subject = result.identity().map(|s| s.as_str().to_string());
    let issuer = result.issuer().map(str::to_string);
    let (Some(subject), Some(issuer)) = (subject, issuer) else {
        return Err(VerifyError::IdentityMismatch(format!(
            "{at}: the certificate names no subject (email or URI) or no OIDC issuer"
        )));
    };
    if !requirement.identities.iter().any(|who| who.matches(&subject, &issuer)) {
        let wanted: Vec<String> = requirement.identities.iter().map(|who| who.to_string()).collect();
        return Err(VerifyError::IdentityMismatch(format!(
            "{at}: signed by {subject:?} (issuer {issuer:?}); allowed: {}",
            wanted.join(", ")
        )));
    }
    Ok(Signer::Certificate { subject, issuer })
}

/// The requirement's keys worth trying: the one the transparency-log entry names when
/// there is an entry (another key there is a wrong key, whatever the signature),
/// otherwise all of them.
fn candidate_keys<'r>(
    bundle: &Bundle,
    requirement: &'r Requirement,
    at: &str,
) -> Result<Vec<&'r PublicKey>, VerifyError> {
    if requirement.keys.is_empty() {
        return Err(VerifyError::WrongKey(format!(
            "{at} is signed with a key, and only keyless signers (certificates) are allowed"
        )));
    }
    let logged = bundle
        .verification_material
        .tlog_entries
        .iter()
        .find_map(|entry| logged_signer(entry.canonicalized_body.as_bytes()));
    match logged {
        Some(spki) => Ok(vec![matching_key(&spki, requirement, at)?]),
        None => Ok(requirement.keys.iter().collect()),
    }
}

/// Which of the requirement's keys is `spki`; a [`VerifyError::WrongKey`] naming the
/// logged key when none is.
pub(super) fn matching_key<'r>(
    spki: &[u8],
    requirement: &'r Requirement,
    at: &str,
) -> Result<&'r PublicKey, VerifyError> {
    if let Some(key) = requirement.keys.iter().find(|key| key.spki_der() == spki) {
        return Ok(key);
    }
    let logged = PublicKey::from_spki_der(spki).map(|k| k.fingerprint()).unwrap_or_else(|_| "an unreadable key".into());
    let given: Vec<String> = requirement.keys.iter().map(PublicKey::fingerprint).collect();
    Err(VerifyError::WrongKey(format!("{at} was made with key {logged}, not with {}", given.join(" or "))))
}

/// The SubjectPublicKeyInfo of the key a Rekor entry body (hashedrekord or dsse) says
/// signed; `None` for certificates (keyless) and bodies of other kinds.
pub(super) fn logged_signer(body: &[u8]) -> Option<Vec<u8>> {
    let body: serde_json::Value = serde_json::from_slice(body).ok()?;
    let spec = body.get("spec")?;
    let encoded =
        spec.pointer("/signature/publicKey/content").or_else(|| spec.pointer("/signatures/0/verifier"))?.as_str()?;
    let pem = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let pem = String::from_utf8(pem).ok()?;
    if pem.contains("BEGIN CERTIFICATE") {
        return None;
    }
    PublicKey::from_pem(&pem).ok().map(|key| key.spki_der().to_vec())
}

pub(super) fn key_signer(key: &PublicKey) -> Signer {
    Signer::Key { algorithm: key.algorithm_name().to_string(), fingerprint: key.fingerprint() }
}

/// Sorts a `sigstore-verify` error into the check that failed.
pub(super) fn classify(error: Error, at: &str) -> VerifyError {
    use sigstore_verify::bundle::Error as BundleError;
    use sigstore_verify::error::CertificateError;
    let text = format!("{at}: {error}");
    match error {
        Error::IdentityMismatch { .. } | Error::IssuerMismatch { .. } => VerifyError::IdentityMismatch(text),
        Error::SignatureInvalid(_) => VerifyError::BadSignature(text),
        Error::ArtifactMismatch(_) => VerifyError::DigestMismatch(text),
        Error::Certificate(CertificateError::Malformed(_)) => VerifyError::Malformed(text),
        Error::Certificate(_) | Error::TrustedCertificate(_) => VerifyError::UntrustedChain(text),
        Error::TransparencyLog(_) | Error::Timestamp(_) => VerifyError::TransparencyProof(text),
        Error::Bundle(
            BundleError::MissingInclusionPromise(_)
            | BundleError::MissingInclusionProof(_)
            | BundleError::MissingSigningTimeEvidence
            | BundleError::MissingTimestamp
            | BundleError::MissingCheckpoint
            | BundleError::CheckpointRootMismatch,
        ) => VerifyError::TransparencyProof(text),
        _ => VerifyError::Malformed(text),
    }
}
