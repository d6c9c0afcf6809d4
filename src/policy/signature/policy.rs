//! Signature requirements (`policy: signatures:` in `customs.yaml`): which signers an
//! image must be signed by, per image pattern. Each rule names its images with the
//! base-image allowlist's patterns ([`Pattern`], same normalisation and globs) and its
//! signers the way `customs verify` takes them: public keys, keyless identities
//! (certificate subject + OIDC issuer, exact or regular expression) checked against a
//! Sigstore trust root, and optionally `check-reference`.
//!
//! Everything that can be checked without the network is checked when the file is read:
//! a malformed rule is an input error (exit 2) naming the file (and, for the shape, the
//! line), and every rule is resolved once into a [`Requirement`] ([`resolve`]).
//!
//! `scan --image REF` then verifies every rule whose patterns match the image ([`check`]).
//! The gate fails closed: a rule that matches but cannot be satisfied, whether the
//! signatures are wrong, missing or could not be read (registry error), is a
//! `CUSTOMS-SIG-001` finding. Archives and layouts (`oci:`, `oci-archive:`,
//! `docker-archive:`) carry no signatures: registry patterns never match them, but the
//! pattern `**` means "every image", and then such an image is a finding too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::advisory::cvss::Rating;
use crate::image::reference::{ImageRef, RegistryRef};
use crate::image::registry::{NetworkSettings, RegistryOptions, RegistrySource};
use crate::image::source::ImageSource as _;
use crate::model::Location;

use super::{KeylessIdentity, Matcher, PublicKey, Requirement, TrustRoot, Verified, VerifyError};
use crate::policy::base_image::Pattern;
use crate::policy::{PolicyFinding, RuleInfo};

/// The rule an image without a signature the policy accepts breaks.
pub const NOT_VERIFIED: RuleInfo = RuleInfo {
    id: "CUSTOMS-SIG-001",
    name: "image-signature-not-verified",
    severity: Rating::High,
    summary: "An image the signature policy covers has no signature by an accepted signer.",
    help: "The project's policy (`policy: signatures:` in `customs.yaml`) requires the images matching a \
rule's `images` patterns to carry a cosign signature by one of the rule's keys or keyless identities. \
Without it nothing shows the image is the one your pipeline built: a tag can be pushed by anyone with \
write access to the registry.\n\n\
The message names the failed check (`no signature`, `bad signature`, `identity mismatch`, …). Sign the \
image in the pipeline that builds it (`cosign sign --key …` or keyless), or fix the rule's signers. \
`customs verify REF` with the same keys or identities shows the detail. A registry that cannot be asked \
and an image that is not in a registry (an archive or layout, matched only by `**`) are findings too: \
the gate fails closed.",
};

/// The signature rules, in id order.
pub static RULES: &[RuleInfo] = &[NOT_VERIFIED];

/// `policy: signatures:`: a list of rules, each applying to the images it matches.
pub type SignaturePolicy = Vec<SignatureRule>;

/// One `signatures:` entry, validated (see [`RawRule`] for the file's shape).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawRule")]
pub struct SignatureRule {
    /// The images the rule applies to.
    pub images: Vec<Pattern>,
    /// As written: relative paths are relative to the configuration file's folder.
    pub keys: Vec<PathBuf>,
    /// Fulcio identities whose keyless signatures are accepted.
    pub keyless: Vec<Keyless>,
    /// A Sigstore trusted root to check keyless signatures against, instead of the public one.
    pub trusted_root: Option<PathBuf>,
    /// Whether the signed payload must name the image's repository.
    pub check_reference: bool,
    /// Accept Fulcio certificates without a verified SCT (private Sigstore without CT).
    pub insecure_ignore_sct: bool,
}

/// The YAML shape of a rule.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    images: Vec<String>,
    #[serde(default)]
    keys: Vec<PathBuf>,
    #[serde(default)]
    keyless: Vec<Keyless>,
    #[serde(default)]
    trusted_root: Option<PathBuf>,
    #[serde(default)]
    check_reference: bool,
    #[serde(default)]
    insecure_ignore_sct: bool,
}

impl TryFrom<RawRule> for SignatureRule {
    type Error = String;

    fn try_from(raw: RawRule) -> Result<SignatureRule, String> {
        if raw.images.is_empty() {
            return Err(
                "signatures: `images` is empty: list the image patterns the rule applies to (`**` for every image)"
                    .into(),
            );
        }
        let images = raw
            .images
            .iter()
            .map(|text| Pattern::parse(text).map_err(|e| e.replacen("base-images: allowed:", "signatures: images:", 1)))
            .collect::<Result<Vec<_>, _>>()?;
        if raw.keys.is_empty() && raw.keyless.is_empty() {
            return Err("signatures: a rule needs `keys` or `keyless`: say who must have signed the images".into());
        }
        if !raw.keyless.is_empty() && raw.trusted_root.is_none() {
            return Err("signatures: `keyless` needs `trusted-root` (a Sigstore trusted_root.json): customs fetches no trust material".into());
        }
        Ok(SignatureRule {
            images,
            keys: raw.keys,
            keyless: raw.keyless,
            trusted_root: raw.trusted_root,
            check_reference: raw.check_reference,
            insecure_ignore_sct: raw.insecure_ignore_sct,
        })
    }
}

/// One accepted keyless signer: `identity` or `identity-regexp`, and `issuer` or
/// `issuer-regexp`. Regular expressions are checked here and match the whole value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawKeyless")]
pub struct Keyless {
    /// `(text, is_regex)`.
    pub identity: (String, bool),
    /// The OIDC issuer: `(text, is_regex)`.
    pub issuer: (String, bool),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawKeyless {
    identity: Option<String>,
    identity_regexp: Option<String>,
    issuer: Option<String>,
    issuer_regexp: Option<String>,
}

impl TryFrom<RawKeyless> for Keyless {
    type Error = String;

    fn try_from(raw: RawKeyless) -> Result<Keyless, String> {
        let one = |exact: Option<String>, regex: Option<String>, key: &str| {
            match (exact, regex) {
            (Some(_), Some(_)) => Err(format!("signatures: keyless: give `{key}` or `{key}-regexp`, not both")),
            (None, None) => Err(format!(
                "signatures: keyless: `{key}` (or `{key}-regexp`) is missing: an identity means nothing without the issuer that vouched for it"
            )),
            (Some(text), None) => Ok((text, false)),
            (None, Some(pattern)) => {
                Matcher::regex(&pattern).map_err(|e| format!("signatures: keyless: {key}-regexp: {e}"))?;
                Ok((pattern, true))
            }
        }
        };
        Ok(Keyless {
            identity: one(raw.identity, raw.identity_regexp, "identity")?,
            issuer: one(raw.issuer, raw.issuer_regexp, "issuer")?,
        })
    }
}

fn matcher((text, is_regex): &(String, bool)) -> Result<Matcher, String> {
    if *is_regex {
        Matcher::regex(text)
    } else {
        Ok(Matcher::Exact(text.clone()))
    }
}

/// A rule ready to check: its patterns and the [`Requirement`] its signers make.
#[derive(Debug, Clone)]
pub struct ResolvedRule {
    /// Position in `signatures:`, for messages (`signatures[0]`).
    pub index: usize,
    /// The images the rule applies to.
    pub images: Vec<Pattern>,
    /// The keys and identities a signature must come from.
    pub requirement: Requirement,
}

/// Reads every rule's keys and trust root (paths relative to `base`, the configuration
/// file's folder). Errors name the rule and the file that could not be used.
pub fn resolve(rules: &[SignatureRule], base: &Path) -> Result<Vec<ResolvedRule>, String> {
    let path = |p: &Path| if p.is_relative() { base.join(p) } else { p.to_path_buf() };
    let mut roots: Vec<(PathBuf, Arc<TrustRoot>)> = Vec::new();
    let mut resolved = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let at = format!("policy: signatures[{index}]");
        let mut keys = Vec::new();
        for key in &rule.keys {
            let file = path(key);
            let pem = std::fs::read_to_string(&file)
                .map_err(|e| format!("{at}: keys: cannot read {}: {e}", file.display()))?;
            keys.push(PublicKey::from_pem(&pem).map_err(|e| format!("{at}: keys: {}: {e}", file.display()))?);
        }
        let identities = rule
            .keyless
            .iter()
            .map(|k| Ok(KeylessIdentity { subject: matcher(&k.identity)?, issuer: matcher(&k.issuer)? }))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("{at}: keyless: {e}"))?;
        let trusted_root = match &rule.trusted_root {
            None => None,
            Some(root) => {
                let file = path(root);
                match roots.iter().find(|(p, _)| *p == file) {
                    Some((_, root)) => Some(Arc::clone(root)),
                    None => {
                        let root =
                            Arc::new(TrustRoot::from_file(&file).map_err(|e| format!("{at}: trusted-root: {e}"))?);
                        roots.push((file, Arc::clone(&root)));
                        Some(root)
                    }
                }
            }
        };
        let requirement = Requirement {
            keys,
            identities,
            trusted_root,
            check_reference: rule.check_reference,
            ignore_sct: rule.insecure_ignore_sct,
        };
        requirement.check().map_err(|e| format!("{at}: {e}"))?;
        resolved.push(ResolvedRule { index, images: rule.images.clone(), requirement });
    }
    Ok(resolved)
}

/// The rules of the configuration file `file`, resolved relative to its folder; none
/// when there are none. Errors name the file.
pub fn resolve_config(rules: &[SignatureRule], file: &Path) -> anyhow::Result<Vec<ResolvedRule>> {
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    resolve(rules, file.parent().unwrap_or(Path::new("")))
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
        .map_err(|e| e.context("cannot read the configuration file"))
}

/// Whether a pattern is `**`, "every image", the only pattern that matches images that
/// are not in a registry.
fn is_every_image(pattern: &Pattern) -> bool {
    pattern.text.trim() == "**"
}

/// Whether `rule` applies to the image `--image` named.
pub fn applies(rule: &ResolvedRule, image: &ImageRef) -> bool {
    rule.images.iter().any(|p| {
        is_every_image(p)
            || match image {
                ImageRef::Registry(reference) => p.matches(reference),
                _ => false,
            }
    })
}

/// Verifies a registry image's signatures.
pub trait SignatureVerifier {
    /// Verifies `image`; the signed digest must be `scanned` (the image manifest the scan
    /// read) or an index that resolves to it.
    fn verify(&self, image: &RegistryRef, requirement: &Requirement, scanned: &str) -> Result<Verified, VerifyError>;
}

/// Verifies against registries with the scan's options.
pub struct RegistryVerifier {
    /// Registry credentials and TLS settings.
    pub options: RegistryOptions,
    /// Timeouts and retries.
    pub network: NetworkSettings,
}

impl SignatureVerifier for RegistryVerifier {
    fn verify(&self, image: &RegistryRef, requirement: &Requirement, scanned: &str) -> Result<Verified, VerifyError> {
        let source = RegistrySource::with_network(image.clone(), self.options.clone(), self.network.clone())
            .map_err(VerifyError::Registry)?;
        let verified = super::verify(&source, requirement)?;
        if verified.image_digest.to_string() == scanned {
            return Ok(verified);
        }
        // The signature covers an index (or the tag moved): the signed digest must lead
        // to the very manifest that was scanned.
        let pinned = RegistryRef { digest: Some(verified.image_digest.clone()), ..image.clone() };
        let resolved = RegistrySource::with_network(pinned, self.options.clone(), self.network.clone())
            .and_then(|source| source.resolve())
            .map_err(VerifyError::Registry)?;
        if resolved.manifest_digest.to_string() == scanned {
            Ok(verified)
        } else {
            Err(VerifyError::DigestMismatch(format!(
                "the signed image {} is not the scanned image {scanned} (the tag moved during the scan?)",
                verified.image_digest
            )))
        }
    }
}

/// Findings and notice lines of the signature check.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One finding per image whose signature did not verify.
    pub findings: Vec<PolicyFinding>,
    /// What was verified and by whom, for the report.
    pub warnings: Vec<String>,
}

/// Checks the image `given` (as `--image` named it; `shown` is its normalised form,
/// `scanned` the manifest digest the scan read) against every applicable rule.
pub fn check(
    given: &str,
    shown: &str,
    scanned: &str,
    rules: &[ResolvedRule],
    verifier: &dyn SignatureVerifier,
) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(image) = ImageRef::parse(given) else {
        // The scan read it, so it parses; if not, nothing can be matched safely.
        if !rules.is_empty() {
            outcome.findings.push(finding(
                shown,
                format!("{shown}: not a valid image reference, so its signatures cannot be checked"),
            ));
        }
        return outcome;
    };
    for rule in rules.iter().filter(|rule| applies(rule, &image)) {
        let patterns: Vec<&str> = rule.images.iter().map(|p| p.text.trim()).collect();
        let at = format!("policy signatures[{}] ({})", rule.index, patterns.join(", "));
        let ImageRef::Registry(reference) = &image else {
            outcome.findings.push(finding(
                shown,
                format!("{shown}: required to be signed by {at}, but it is not in a registry: its signatures cannot be checked (scan the image in its registry)"),
            ));
            continue;
        };
        match verifier.verify(reference, &rule.requirement, scanned) {
            Ok(verified) => outcome
                .warnings
                .push(format!("{shown}: signature verified: {} ({})", verified.signer, verified.found_at)),
            Err(VerifyError::Registry(e)) => outcome.findings.push(finding(
                shown,
                format!("{shown}: the signatures required by {at} could not be checked (registry error), so the image is not verified: {e}"),
            )),
            Err(e) => outcome.findings.push(finding(shown, format!("{shown}: not verified against {at}: {e}"))),
        }
    }
    outcome
}

fn finding(reference: &str, message: String) -> PolicyFinding {
    PolicyFinding {
        rule: NOT_VERIFIED.id,
        name: NOT_VERIFIED.name,
        severity: NOT_VERIFIED.severity,
        message,
        location: Location::new(Path::new(reference), None),
        help: NOT_VERIFIED.help,
    }
}

#[cfg(test)]
mod tests;
