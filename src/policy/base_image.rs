//! The base-image allowlist (`policy: base-images:` in `customs.yaml`): which images a
//! Dockerfile may build `FROM`, and whether they must be pinned by digest. The same
//! allowlist is checked against an image's `org.opencontainers.image.base.name` and
//! `.base.digest` annotations when an image is scanned.
//!
//! Patterns are `registry/repository[:tag][@digest]` with `*` (any characters but `/`)
//! and `**` (any characters) globs; they and the references they are matched against
//! are normalised the way [`RegistryRef::parse`] does (`debian:12` is
//! `docker.io/library/debian:12`). Anything that cannot be checked (a FROM whose
//! variable has no value, a malformed reference) is reported as not allowed: the gate
//! fails closed.

use std::path::Path;

use serde::Deserialize;

use crate::advisory::cvss::Rating;
use crate::image::digest::Digest;
use crate::image::reference::{split_registry, ImageRef, RegistryRef, DOCKER_HUB};
use crate::model::{ImageSubject, Location};

use super::dockerfile::{Dockerfile, FromImage};
use super::{PolicyFinding, RuleInfo};

#[cfg(test)]
mod tests;

/// The rule a base image outside the allowlist breaks.
pub const NOT_ALLOWED: RuleInfo = RuleInfo {
    id: "CUSTOMS-BASE-001",
    name: "base-image-not-allowed",
    severity: Rating::High,
    summary: "A base image matches no pattern of the base-images allowlist.",
    help: "The project's policy (`policy: base-images: allowed:` in `customs.yaml`) lists the base images \
builds may start from: vetted, maintained images whose provenance is known. An image outside the list \
brings in software nobody reviewed.\n\n\
Switch to an allowed base image, or, if this one is acceptable, add a pattern for it to the allowlist \
(`docker.io/library/debian:12*`, `gcr.io/distroless/**`). A FROM whose build argument has no value \
cannot be checked and counts as not allowed: give the ARG a default or pass `--build-arg`.",
};

/// The rule a base image without a digest breaks, when the policy requires digests.
pub const NOT_PINNED: RuleInfo = RuleInfo {
    id: "CUSTOMS-BASE-002",
    name: "base-image-not-pinned",
    severity: Rating::Medium,
    summary: "The base-images policy requires a digest and this base image has none.",
    help: "With `require-digest: true` every external base image must be pinned by digest: tags are \
mutable, and only `image:tag@sha256:<digest>` names exactly the image that was reviewed.\n\n\
Pin with `FROM image:tag@sha256:<digest>` (`docker buildx imagetools inspect image:tag` shows it) and let \
Renovate or Dependabot update the digest.",
};

/// The base-image rules, in id order.
pub static RULES: &[RuleInfo] = &[NOT_ALLOWED, NOT_PINNED];

/// `policy: base-images:`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BaseImagePolicy {
    /// Every external FROM must carry `@sha256:…`.
    #[serde(default)]
    pub require_digest: bool,
    /// `None`: no allowlist (any image); `Some([])`: no image is allowed.
    #[serde(default)]
    pub allowed: Option<Vec<Pattern>>,
}

/// One allowlist entry, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Pattern {
    /// As written, for messages.
    pub text: String,
    /// `registry/repository` glob, Docker Hub names completed.
    name: String,
    /// Tag glob; `None` allows any tag.
    tag: Option<String>,
    digest: Option<Digest>,
}

impl TryFrom<String> for Pattern {
    type Error = String;

    fn try_from(text: String) -> Result<Pattern, String> {
        Pattern::parse(&text)
    }
}

impl Pattern {
    /// Parses an allowlist pattern (`docker.io/library/debian:12*`, `gcr.io/distroless/**`).
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let invalid = |why: &str| format!("base-images: allowed: {text:?} is not an image pattern: {why}");
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.contains("://") || trimmed.contains(char::is_whitespace) {
            return Err(invalid("write registry/repository[:tag][@sha256:digest], without a scheme or spaces"));
        }
        let (rest, digest) = match trimmed.split_once('@') {
            Some((rest, digest)) => (rest, Some(Digest::parse(digest).map_err(|e| invalid(&e))?)),
            None => (trimmed, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if tag == Some("") {
            return Err(invalid("the tag after `:` is empty"));
        }
        if name.is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") {
            return Err(invalid("the repository name is empty or has an empty path component"));
        }
        Ok(Pattern { text: text.to_string(), name: normalise_name(name), tag: tag.map(str::to_string), digest })
    }

    /// Whether the pattern names one image that can be resolved: no `*`, and a tag or a
    /// digest, or an archive / layout reference (`oci:DIR:tag`, `docker-archive:PATH`).
    pub fn is_concrete(&self) -> bool {
        let text = self.text.trim();
        if text.contains('*') {
            return false;
        }
        let local = matches!(ImageRef::parse(text), Ok(parsed) if !matches!(parsed, ImageRef::Registry(_)));
        local || self.tag.is_some() || self.digest.is_some()
    }

    /// Whether `image` (normalised by [`RegistryRef::parse`]) is allowed by this pattern.
    pub fn matches(&self, image: &RegistryRef) -> bool {
        let name = format!("{}/{}", image.registry, image.repository);
        if !glob(&self.name, &name) {
            return false;
        }
        if let Some(tag) = &self.tag {
            if !image.tag.as_deref().is_some_and(|t| glob(tag, t)) {
                return false;
            }
        }
        match &self.digest {
            Some(digest) => image.digest.as_ref() == Some(digest),
            None => true,
        }
    }
}

/// `debian` → `docker.io/library/debian`, `ghcr.io/org/app` unchanged.
fn normalise_name(name: &str) -> String {
    let (registry, repository) = split_registry(name);
    let registry = if registry == "index.docker.io" { DOCKER_HUB } else { registry };
    if registry == DOCKER_HUB && !repository.contains('/') {
        format!("{registry}/library/{repository}")
    } else {
        format!("{registry}/{repository}")
    }
}

/// `*` matches any run of characters without `/`, `**` any run at all; the rest is literal.
pub fn glob(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Char(char),
        Star,
        DoubleStar,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                tokens.push(Token::DoubleStar);
            } else {
                tokens.push(Token::Star);
            }
        } else {
            tokens.push(Token::Char(c));
        }
    }
    let text: Vec<char> = text.chars().collect();
    // matched[j]: the tokens so far match text[..j].
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    for token in tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match token {
                Token::Char(c) => j > 0 && matched[j - 1] && text[j - 1] == c,
                Token::Star => matched[j] || (j > 0 && next[j - 1] && text[j - 1] != '/'),
                Token::DoubleStar => matched[j] || (j > 0 && next[j - 1]),
            };
        }
        matched = next;
    }
    matched[text.len()]
}

/// Runs the base-image rules over a Dockerfile's FROMs; stage aliases and `scratch` are
/// never flagged.
pub fn check(dockerfile: &Dockerfile, path: &Path, policy: &BaseImagePolicy) -> Vec<PolicyFinding> {
    let mut findings = Vec::new();
    for stage in &dockerfile.stages {
        let location = || Location::new(path, Some(stage.line));
        let at = format!("FROM {} (line {})", from_text(&stage.from), stage.line);
        let (allowed, pinned) = match &stage.from {
            FromImage::Stage(_) | FromImage::Scratch => continue,
            FromImage::Unresolved(text) => (
                Err(format!("{at}: a variable in the base image has no value, so the image cannot be checked against the allowlist")),
                text.contains('@'),
            ),
            FromImage::Image { parsed: None, .. } => {
                (Err(format!("{at}: not a valid image reference, so it cannot be checked against the allowlist")), false)
            }
            FromImage::Image { parsed: Some(parsed), .. } => {
                (allowed(parsed, policy).map_err(|e| format!("{at}: {e}")), parsed.digest.is_some())
            }
        };
        if let (Some(_), Err(message)) = (&policy.allowed, allowed) {
            findings.push(finding(&NOT_ALLOWED, message, location()));
        }
        if policy.require_digest && !pinned {
            let message = format!("{at}: the base-images policy requires a digest and this base image has none");
            findings.push(finding(&NOT_PINNED, message, location()));
        }
    }
    findings
}

/// The base image an image declares in its annotations, checked like a FROM; the
/// second value is a warning when there is no `org.opencontainers.image.base.name`.
pub fn check_image(image: &ImageSubject, policy: &BaseImagePolicy) -> (Vec<PolicyFinding>, Option<String>) {
    let Some(base) = &image.base_name else {
        let warning = format!(
            "{}: no org.opencontainers.image.base.name annotation, so its base image could not be determined \
             and was not checked against the base-images policy",
            image.reference
        );
        return (Vec::new(), Some(warning));
    };
    let location = || Location::new(Path::new(&image.reference), None);
    let at = format!("base image {base} (org.opencontainers.image.base.name of {})", image.reference);
    let mut findings = Vec::new();
    let parsed = RegistryRef::parse(base).ok().map(|mut parsed| {
        if parsed.digest.is_none() {
            parsed.digest = image.base_digest.as_deref().and_then(|d| Digest::parse(d).ok());
        }
        parsed
    });
    let (allowed, pinned) = match &parsed {
        Some(parsed) => (allowed(parsed, policy).map_err(|e| format!("{at}: {e}")), parsed.digest.is_some()),
        None => {
            (Err(format!("{at}: not a valid image reference, so it cannot be checked against the allowlist")), false)
        }
    };
    if let (Some(_), Err(message)) = (&policy.allowed, allowed) {
        findings.push(finding(&NOT_ALLOWED, message, location()));
    }
    if policy.require_digest && !pinned {
        let message =
            format!("{at}: the base-images policy requires a digest and neither the name nor .base.digest has one");
        findings.push(finding(&NOT_PINNED, message, location()));
    }
    (findings, None)
}

/// `Ok` when no allowlist is configured or a pattern matches.
fn allowed(image: &RegistryRef, policy: &BaseImagePolicy) -> Result<(), String> {
    let Some(patterns) = &policy.allowed else { return Ok(()) };
    if patterns.iter().any(|p| p.matches(image)) {
        return Ok(());
    }
    Err(format!("{} matches no allowed base-image pattern", normalised(image)))
}

fn normalised(image: &RegistryRef) -> String {
    let mut s = format!("{}/{}", image.registry, image.repository);
    if let Some(tag) = &image.tag {
        s.push(':');
        s.push_str(tag);
    }
    if let Some(digest) = &image.digest {
        s.push('@');
        s.push_str(&digest.to_string());
    }
    s
}

fn from_text(from: &FromImage) -> &str {
    match from {
        FromImage::Image { reference, .. } => reference,
        FromImage::Unresolved(text) | FromImage::Stage(text) => text,
        FromImage::Scratch => "scratch",
    }
}

fn finding(rule: &RuleInfo, message: String, location: Location) -> PolicyFinding {
    PolicyFinding { rule: rule.id, name: rule.name, severity: rule.severity, message, location, help: rule.help }
}
