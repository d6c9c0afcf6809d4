use std::cell::RefCell;

use super::*;
use crate::image::source::ImageError;

fn rules(yaml: &str) -> Result<Vec<SignatureRule>, String> {
    serde_yaml_ng::from_str(yaml).map_err(|e| e.to_string())
}

#[test]
fn the_documented_format_parses() {
    let parsed = rules(
        r#"
- images: ["registry.example.com/team/**"]
  keys: [keys/cosign.pub]
  keyless:
    - identity: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
      issuer: https://token.actions.githubusercontent.com
    - identity-regexp: '.*@example\.com'
      issuer-regexp: 'https://accounts\.google\.com'
  trusted-root: sigstore/trusted_root.json
  check-reference: true
"#,
    )
    .unwrap();
    let rule = &parsed[0];
    assert_eq!(rule.images[0].text, "registry.example.com/team/**");
    assert_eq!(rule.keys, [PathBuf::from("keys/cosign.pub")]);
    assert_eq!(rule.keyless.len(), 2);
    assert_eq!(rule.keyless[1].identity, (r".*@example\.com".to_string(), true));
    assert_eq!(rule.trusted_root.as_deref(), Some(Path::new("sigstore/trusted_root.json")));
    assert!(rule.check_reference);
}

#[test]
fn malformed_rules_are_refused() {
    for (yaml, want) in [
        ("- images: []\n  keys: [k.pub]\n", "`images` is empty"),
        ("- keys: [k.pub]\n", "missing field `images`"),
        ("- images: [a/b]\n", "needs `keys` or `keyless`"),
        ("- images: [a/b]\n  keyless: [{identity: a, issuer: b}]\n", "needs `trusted-root`"),
        (
            "- images: [a/b]\n  trusted-root: t.json\n  keyless: [{identity: a}]\n",
            "`issuer` (or `issuer-regexp`) is missing",
        ),
        (
            "- images: [a/b]\n  trusted-root: t.json\n  keyless: [{identity: a, identity-regexp: b, issuer: c}]\n",
            "not both",
        ),
        (
            "- images: [a/b]\n  trusted-root: t.json\n  keyless: [{identity-regexp: '(', issuer: c}]\n",
            "invalid regular expression",
        ),
        ("- images: [a/b]\n  key: [k.pub]\n", "unknown field `key`"),
        ("- images: [\"a@sha256:12\"]\n  keys: [k.pub]\n", "signatures: images:"),
    ] {
        let error = rules(yaml).unwrap_err();
        assert!(error.contains(want), "{yaml}: want {want:?} in {error}");
    }
}

#[test]
fn resolving_reads_keys_relative_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let parsed = rules("- images: [a/b]\n  keys: [k.pub]\n").unwrap();
    let error = resolve(&parsed, dir.path()).unwrap_err();
    assert!(error.starts_with("policy: signatures[0]: keys: cannot read"), "{error}");
    std::fs::write(dir.path().join("k.pub"), "not a key").unwrap();
    let error = resolve(&parsed, dir.path()).unwrap_err();
    assert!(error.contains("PUBLIC KEY"), "{error}");
    let parsed = rules("- images: [a/b]\n  trusted-root: t.json\n  keyless: [{identity: a, issuer: b}]\n").unwrap();
    let error = resolve(&parsed, dir.path()).unwrap_err();
    assert!(error.contains("trusted-root: cannot read"), "{error}");
}

fn rule(index: usize, patterns: &[&str]) -> ResolvedRule {
    ResolvedRule {
        index,
        images: patterns.iter().map(|p| Pattern::parse(p).unwrap()).collect(),
        requirement: Requirement::default(),
    }
}

#[test]
fn rules_apply_by_pattern_and_only_double_star_covers_archives() {
    let team = rule(0, &["registry.example.com/team/**"]);
    let hub = rule(1, &["debian:12*"]);
    let every = rule(2, &["**"]);
    let at = |s: &str| ImageRef::parse(s).unwrap();
    assert!(applies(&team, &at("registry.example.com/team/app:1")));
    assert!(applies(
        &team,
        &at("registry.example.com/team/x/y@sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18")
    ));
    assert!(!applies(&team, &at("registry.example.com/other/app:1")));
    assert!(applies(&hub, &at("docker.io/library/debian:12-slim")) && applies(&hub, &at("debian:12")));
    assert!(!applies(&hub, &at("debian:11")));
    for archive in ["oci:/tmp/layout:app", "docker-archive:/tmp/x.tar", "oci-archive:/tmp/x.tar"] {
        assert!(!applies(&team, &at(archive)) && !applies(&hub, &at(archive)));
        assert!(applies(&every, &at(archive)));
    }
    assert!(applies(&every, &at("ghcr.io/anything/at/all:1")));
}

/// Answers from a script, recording what it was asked.
struct Scripted {
    answers: RefCell<Vec<Result<Verified, VerifyError>>>,
    asked: RefCell<Vec<String>>,
}

impl SignatureVerifier for Scripted {
    fn verify(&self, image: &RegistryRef, _: &Requirement, scanned: &str) -> Result<Verified, VerifyError> {
        self.asked.borrow_mut().push(format!("{image} {scanned}"));
        self.answers.borrow_mut().remove(0)
    }
}

fn scripted(answers: Vec<Result<Verified, VerifyError>>) -> Scripted {
    Scripted { answers: RefCell::new(answers), asked: RefCell::new(Vec::new()) }
}

#[test]
fn every_applicable_rule_must_verify_and_failures_fail_closed() {
    let digest = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";
    let verified = Verified {
        image_digest: crate::image::digest::Digest::parse(digest).unwrap(),
        found_at: "tag sha256-c649.sig layer sha256:ab".into(),
        signer: crate::policy::signature::Signer::Key {
            algorithm: "ECDSA P-256 SHA-256".into(),
            fingerprint: "sha256:ff".into(),
        },
        docker_reference: None,
        transparency_log: None,
    };
    let rules = [rule(0, &["r.example/team/**"]), rule(1, &["r.example/other/**"]), rule(2, &["r.example/**"])];
    let image = "r.example/team/app:1";
    let registry_error =
        ImageError::Network { reference: image.into(), message: "connection refused".into(), status: None };
    let verifier = scripted(vec![Ok(verified), Err(VerifyError::Registry(registry_error))]);
    let outcome = check(image, image, digest, &rules, &verifier);
    assert_eq!(verifier.asked.borrow().len(), 2, "rule 1 does not apply");
    assert_eq!(
        outcome.warnings,
        [format!(
            "{image}: signature verified: key sha256:ff (ECDSA P-256 SHA-256) (tag sha256-c649.sig layer sha256:ab)"
        )]
    );
    assert_eq!(outcome.findings.len(), 1);
    let finding = &outcome.findings[0];
    assert_eq!(
        (finding.rule, finding.name, finding.severity),
        ("CUSTOMS-SIG-001", "image-signature-not-verified", Rating::High)
    );
    assert!(finding.message.contains("signatures[2] (r.example/**)"), "{}", finding.message);
    assert!(finding.message.contains("could not be checked") && finding.message.contains("connection refused"));
    assert_eq!(finding.location, Location::new(Path::new(image), None));

    let verifier = scripted(vec![Err(VerifyError::BadSignature("no key verifies it".into()))]);
    let outcome = check(image, image, digest, &rules[..1], &verifier);
    assert!(outcome.warnings.is_empty());
    assert!(outcome.findings[0]
        .message
        .ends_with("not verified against policy signatures[0] (r.example/team/**): bad signature: no key verifies it"));

    // Nothing applies: nothing is asked.
    let verifier = scripted(Vec::new());
    let outcome = check("r.example/elsewhere/app:1", "r.example/elsewhere/app:1", digest, &rules[..2], &verifier);
    assert!(outcome.findings.is_empty() && outcome.warnings.is_empty() && verifier.asked.borrow().is_empty());
}

#[test]
fn an_archive_matched_by_double_star_is_not_verified() {
    let verifier = scripted(Vec::new());
    let rules = [rule(0, &["r.example/**"]), rule(1, &["**"])];
    let outcome = check("oci:/tmp/layout:app", "oci:/tmp/layout:app", "sha256:00", &rules, &verifier);
    assert!(verifier.asked.borrow().is_empty());
    assert_eq!(outcome.findings.len(), 1);
    assert!(outcome.findings[0].message.contains("signatures[1] (**)"));
    assert!(outcome.findings[0].message.contains("not in a registry: its signatures cannot be checked"));
    // Without `**`, an archive is not covered.
    assert!(check("oci:/tmp/layout:app", "oci:/tmp/layout:app", "sha256:00", &rules[..1], &verifier)
        .findings
        .is_empty());
}
