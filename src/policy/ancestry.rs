//! Layer ancestry: which allowed base image an image without a
//! `org.opencontainers.image.base.name` annotation was built on.
//!
//! An image built `FROM` a base keeps the base's layers, bottom first, so the base's
//! `rootfs.diff_ids` (uncompressed layer digests, stable across recompression) are a
//! prefix of the image's. Every allowlist entry that names one concrete image (no `*`,
//! a tag or a digest, or any archive / layout reference) is resolved with the scan's
//! image options through a [`BaseResolver`] and compared; glob patterns cannot be
//! enumerated and are skipped. A base that cannot be resolved is a warning, never a
//! pass: when no base could be checked at all, the image is not allowed (fail closed).

use std::path::Path;

use crate::image::digest::Digest;
use crate::model::Location;

use super::base_image::{BaseImagePolicy, NOT_ALLOWED};
use super::PolicyFinding;

/// Resolves an allowed base (any reference `--image` accepts) to its diff_ids.
pub trait BaseResolver {
    /// The base's `rootfs.diff_ids`, bottom first; `Err` says why it could not be read.
    fn diff_ids(&self, reference: &str) -> Result<Vec<Digest>, String>;
}

/// Whether `base` is a non-empty prefix of `image`.
pub fn is_prefix(base: &[Digest], image: &[Digest]) -> bool {
    !base.is_empty() && base.len() <= image.len() && image[..base.len()] == *base
}

/// The candidate whose diff_ids are the longest prefix of `image`'s (the first such in
/// `candidates` order on a tie), with its layer count.
pub fn best_base<'a>(image: &[Digest], candidates: &'a [(String, Vec<Digest>)]) -> Option<(&'a str, usize)> {
    let mut best: Option<(&str, usize)> = None;
    for (name, diff_ids) in candidates {
        if is_prefix(diff_ids, image) && best.is_none_or(|(_, n)| diff_ids.len() > n) {
            best = Some((name, diff_ids.len()));
        }
    }
    best
}

/// What the ancestry check found: policy findings and warning lines (the "built on"
/// notice among them).
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// Policy findings about the base image.
    pub findings: Vec<PolicyFinding>,
    /// Notes for the report, "built on" among them.
    pub warnings: Vec<String>,
}

/// Checks `image` (its reference and diff_ids) against the concrete entries of the
/// allowlist. Call only when the policy has an allowlist and the image has no base
/// annotation.
pub fn check(reference: &str, image: &[Digest], policy: &BaseImagePolicy, resolver: &dyn BaseResolver) -> Outcome {
    let mut outcome = Outcome::default();
    let patterns = policy.allowed.as_deref().unwrap_or_default();
    let (concrete, globs): (Vec<_>, Vec<_>) = patterns.iter().partition(|p| p.is_concrete());
    let mut resolved = Vec::new();
    let mut failures = Vec::new();
    for pattern in concrete {
        let name = pattern.text.trim().to_string();
        match resolver.diff_ids(&name) {
            Ok(diff_ids) => resolved.push((name, diff_ids)),
            Err(e) => {
                outcome.warnings.push(format!(
                    "{reference}: the allowed base image {name} could not be read, so it was not checked by layer ancestry: {e}"
                ));
                failures.push(name);
            }
        }
    }
    let skipped = if globs.is_empty() {
        String::new()
    } else {
        let list: Vec<&str> = globs.iter().map(|p| p.text.trim()).collect();
        format!("; glob patterns cannot be enumerated and were not checked: {}", list.join(", "))
    };
    let location = || Location::new(Path::new(reference), None);
    let not_allowed = |message: String| PolicyFinding {
        rule: NOT_ALLOWED.id,
        name: NOT_ALLOWED.name,
        severity: NOT_ALLOWED.severity,
        message,
        location: location(),
        help: NOT_ALLOWED.help,
    };
    let prefix = format!("{reference} (no org.opencontainers.image.base.name annotation; checked by layer ancestry)");
    if resolved.is_empty() {
        let why = if failures.is_empty() {
            "the allowlist names no concrete image (a tag, a digest or an archive)".to_string()
        } else {
            format!("none of the allowed base images could be read ({})", failures.join(", "))
        };
        outcome.findings.push(not_allowed(format!("{prefix}: no allowed base image could be checked: {why}{skipped}")));
        return outcome;
    }
    match best_base(image, &resolved) {
        Some((base, n)) => outcome.warnings.push(format!(
            "{reference}: built on {base} ({n} of {} layers), an allowed base image (by layer ancestry)",
            image.len()
        )),
        None => {
            let checked: Vec<&str> = resolved.iter().map(|(name, _)| name.as_str()).collect();
            outcome.findings.push(not_allowed(format!(
                "{prefix}: matches none of the allowed base images (checked: {}){skipped}",
                checked.join(", ")
            )));
        }
    }
    outcome
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::policy::base_image::Pattern;

    fn d(n: u8) -> Digest {
        Digest::sha256_of(&[n])
    }

    fn ids(ns: &[u8]) -> Vec<Digest> {
        ns.iter().map(|&n| d(n)).collect()
    }

    struct Fake(BTreeMap<&'static str, Result<Vec<Digest>, String>>);

    impl BaseResolver for Fake {
        fn diff_ids(&self, reference: &str) -> Result<Vec<Digest>, String> {
            self.0.get(reference).cloned().unwrap_or_else(|| Err("not found".into()))
        }
    }

    fn policy(patterns: &[&str]) -> BaseImagePolicy {
        BaseImagePolicy {
            require_digest: false,
            allowed: Some(patterns.iter().map(|p| Pattern::parse(p).unwrap()).collect()),
        }
    }

    #[test]
    fn prefix_is_bottom_first_and_non_empty() {
        assert!(is_prefix(&ids(&[1]), &ids(&[1, 2])));
        assert!(is_prefix(&ids(&[1, 2]), &ids(&[1, 2])));
        assert!(!is_prefix(&ids(&[2]), &ids(&[1, 2])), "a top layer is not a base");
        assert!(!is_prefix(&ids(&[1, 2, 3]), &ids(&[1, 2])));
        assert!(!is_prefix(&[], &ids(&[1])));
        assert!(!is_prefix(&ids(&[1, 3]), &ids(&[1, 2, 3])));
    }

    #[test]
    fn the_longest_prefix_wins_then_the_first() {
        let candidates = vec![
            ("a".to_string(), ids(&[1])),
            ("b".to_string(), ids(&[1, 2])),
            ("c".to_string(), ids(&[1, 2])),
            ("d".to_string(), ids(&[9])),
        ];
        assert_eq!(best_base(&ids(&[1, 2, 3]), &candidates), Some(("b", 2)));
        assert_eq!(best_base(&ids(&[1, 5]), &candidates), Some(("a", 1)));
        assert_eq!(best_base(&ids(&[5]), &candidates), None);
    }

    #[test]
    fn built_on_an_allowed_base_is_a_notice() {
        let fake = Fake(BTreeMap::from([("debian:12", Ok(ids(&[1]))), ("alpine:3", Ok(ids(&[7])))]));
        let out = check("app", &ids(&[1, 2]), &policy(&["alpine:3", "debian:12", "gcr.io/distroless/*"]), &fake);
        assert_eq!(out.findings, []);
        assert_eq!(out.warnings.len(), 1);
        assert!(out.warnings[0].contains("built on debian:12 (1 of 2 layers)"), "{:?}", out.warnings);
    }

    #[test]
    fn no_match_is_base_001_listing_what_was_checked() {
        let fake = Fake(BTreeMap::from([("alpine:3", Ok(ids(&[7])))]));
        let out = check("app", &ids(&[1, 2]), &policy(&["alpine:3", "ubuntu:24.04", "gcr.io/distroless/*"]), &fake);
        assert_eq!(out.findings.len(), 1);
        let finding = &out.findings[0];
        assert_eq!(finding.rule, "CUSTOMS-BASE-001");
        assert_eq!(finding.location.path, "app");
        assert!(
            finding.message.contains("matches none of the allowed base images (checked: alpine:3)"),
            "{}",
            finding.message
        );
        assert!(finding.message.contains("gcr.io/distroless/*"), "{}", finding.message);
        assert_eq!(out.warnings.len(), 1, "ubuntu could not be read");
        assert!(out.warnings[0].contains("ubuntu:24.04"));
    }

    #[test]
    fn nothing_checkable_fails_closed() {
        let fake = Fake(BTreeMap::from([("debian:12", Err("connection refused".to_string()))]));
        let out = check("app", &ids(&[1]), &policy(&["debian:12"]), &fake);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].message.contains("could be read (debian:12)"), "{}", out.findings[0].message);
        assert!(out.warnings[0].contains("connection refused"));

        let out = check("app", &ids(&[1]), &policy(&["debian:12*", "debian"]), &fake);
        assert_eq!(out.findings.len(), 1);
        assert!(out.findings[0].message.contains("no concrete image"), "{}", out.findings[0].message);
        assert!(out.warnings.is_empty());

        let out = check("app", &ids(&[1]), &policy(&[]), &fake);
        assert_eq!(out.findings.len(), 1);
    }

    #[test]
    fn concrete_patterns() {
        let concrete = |p: &str| Pattern::parse(p).unwrap().is_concrete();
        assert!(concrete("debian:12"));
        assert!(concrete("debian@sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18"));
        assert!(concrete("oci:/tmp/layout:bookworm"));
        assert!(concrete("docker-archive:/tmp/base.tar"));
        assert!(!concrete("debian"));
        assert!(!concrete("debian:12*"));
        assert!(!concrete("gcr.io/distroless/**"));
    }
}
