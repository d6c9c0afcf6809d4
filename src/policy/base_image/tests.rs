use std::path::Path;

use super::*;

const DIGEST: &str = "sha256:c6491d915028ac76ad7f528562ad372dc09d20e486d12fa2e301c21aed300d18";

fn allows(pattern: &str, reference: &str) -> bool {
    Pattern::parse(pattern).unwrap().matches(&RegistryRef::parse(reference).unwrap())
}

#[test]
fn globs_star_stays_in_one_segment_and_double_star_crosses() {
    assert!(glob("gcr.io/distroless/*", "gcr.io/distroless/static"));
    assert!(!glob("gcr.io/distroless/*", "gcr.io/distroless/cc/debian12"));
    assert!(glob("gcr.io/distroless/**", "gcr.io/distroless/cc/debian12"));
    assert!(glob("12*", "12"));
    assert!(glob("12*", "12.7-slim"));
    assert!(!glob("12*", "11"));
    assert!(glob("a*b*c", "axxbyyc"));
    assert!(!glob("a*b*c", "axxbyy"));
    assert!(glob("", ""));
    assert!(!glob("", "x"));
}

#[test]
fn short_names_are_normalised_on_both_sides() {
    assert!(allows("docker.io/library/debian:12*", "debian:12"));
    assert!(allows("debian:12*", "docker.io/library/debian:12.7-slim"));
    assert!(allows("debian", "index.docker.io/library/debian:bookworm"));
    assert!(allows("docker.io/bitnami/*", "bitnami/redis:7"));
    assert!(!allows("docker.io/library/debian:12*", "debian:11"));
    assert!(!allows("docker.io/library/debian", "ubuntu:24.04"));
    assert!(!allows("docker.io/library/debian", "ghcr.io/library/debian:12"));
}

#[test]
fn a_pattern_without_a_tag_allows_any_tag_and_a_digest_only_that_digest() {
    assert!(allows("gcr.io/distroless/*", "gcr.io/distroless/static-debian12:nonroot"));
    assert!(allows("gcr.io/distroless/*", &format!("gcr.io/distroless/static@{DIGEST}")));
    assert!(allows(&format!("debian@{DIGEST}"), &format!("debian:12@{DIGEST}")));
    assert!(!allows(&format!("debian@{DIGEST}"), "debian:12"));
    let other = DIGEST.replace("c649", "0000");
    assert!(!allows(&format!("debian@{DIGEST}"), &format!("debian@{other}")));
    // A tag pattern cannot vouch for a digest-only reference.
    assert!(!allows("debian:12", &format!("debian@{DIGEST}")));
    // A port is not a tag.
    assert!(allows("localhost:5000/app", "localhost:5000/app:1.0"));
}

#[test]
fn malformed_patterns_are_errors_naming_them() {
    for bad in ["", "debian:", "https://ghcr.io/x", "debian@sha256:abc", "/debian", "a//b"] {
        let e = Pattern::parse(bad).unwrap_err();
        assert!(e.contains(&format!("{bad:?}")), "{e}");
    }
}

fn policy(allowed: &[&str], require_digest: bool) -> BaseImagePolicy {
    BaseImagePolicy { require_digest, allowed: Some(allowed.iter().map(|p| Pattern::parse(p).unwrap()).collect()) }
}

fn rules_at(text: &str, policy: &BaseImagePolicy) -> Vec<(&'static str, u32)> {
    let dockerfile = Dockerfile::parse(text).unwrap();
    check(&dockerfile, Path::new("Dockerfile"), policy).iter().map(|f| (f.rule, f.location.line.unwrap())).collect()
}

#[test]
fn stages_and_scratch_are_never_flagged() {
    let text = "FROM debian:12 AS build\nFROM build AS test\nFROM scratch\nCOPY --from=build /x /x\n";
    assert_eq!(rules_at(text, &policy(&["debian:12"], false)), []);
    assert_eq!(rules_at(text, &policy(&[], false)), [("CUSTOMS-BASE-001", 1)]);
}

#[test]
fn unresolved_from_fails_closed_and_digests_are_required_when_asked() {
    let findings = {
        let dockerfile = Dockerfile::parse("ARG BASE\nFROM $BASE\n").unwrap();
        check(&dockerfile, Path::new("Dockerfile"), &policy(&["**"], false))
    };
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].rule, "CUSTOMS-BASE-001");
    assert!(findings[0].message.contains("has no value"), "{}", findings[0].message);
    assert!(findings[0].message.contains("line 2"), "{}", findings[0].message);

    let text = format!("FROM debian:12\nFROM debian:12@{DIGEST}\n");
    assert_eq!(rules_at(&text, &policy(&["debian"], true)), [("CUSTOMS-BASE-002", 1)]);
    let digest_only = BaseImagePolicy { require_digest: true, allowed: None };
    assert_eq!(rules_at("FROM ubuntu:24.04\n", &digest_only), [("CUSTOMS-BASE-002", 1)]);
}

#[test]
fn image_annotations_are_checked_and_their_absence_warns() {
    let mut image = ImageSubject {
        reference: "ghcr.io/org/app:1".into(),
        manifest_digest: DIGEST.into(),
        platform: "linux/amd64".into(),
        os: None,
        ecosystem: None,
        layers: vec![],
        base_name: None,
        base_digest: None,
    };
    let (findings, warning) = check_image(&image, &policy(&["debian"], true));
    assert!(findings.is_empty());
    assert!(warning.unwrap().contains("org.opencontainers.image.base.name"));

    image.base_name = Some("docker.io/library/ubuntu:24.04".into());
    let (findings, warning) = check_image(&image, &policy(&["debian"], true));
    assert!(warning.is_none());
    let rules: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    assert_eq!(rules, ["CUSTOMS-BASE-001", "CUSTOMS-BASE-002"]);
    assert_eq!(findings[0].location, Location::new(Path::new("ghcr.io/org/app:1"), None));

    image.base_name = Some("docker.io/library/debian:12".into());
    image.base_digest = Some(DIGEST.into());
    assert_eq!(check_image(&image, &policy(&["debian:12"], true)).0, []);
}
