use super::*;

fn reference(registry: &str, repository: &str, tag: Option<&str>) -> RegistryRef {
    RegistryRef { registry: registry.into(), repository: repository.into(), tag: tag.map(Into::into), digest: None }
}

#[test]
fn references_print_as_users_write_them() {
    assert_eq!(reference("docker.io", "library/debian", Some("12")).to_string(), "docker.io/library/debian:12");
    let digest = Digest::sha256_of(b"x");
    let pinned = RegistryRef { digest: Some(digest.clone()), ..reference("ghcr.io", "o/app", Some("v1")) };
    assert_eq!(pinned.to_string(), format!("ghcr.io/o/app:v1@{digest}"));
    let bare = RegistryRef { digest: Some(digest.clone()), ..reference("ghcr.io", "o/app", None) };
    assert_eq!(bare.to_string(), format!("ghcr.io/o/app@{digest}"));
}

#[test]
fn names_that_could_leave_the_api_path_are_refused() {
    let refused = |r: RegistryRef| validate(&r).unwrap_err();
    assert_eq!(
        refused(reference("user:pw@evil.example", "a", None)),
        "\"user:pw@evil.example\" is not a registry host (want host[:port])"
    );
    assert_eq!(
        refused(reference("reg.example", "a/../b", None)),
        "\"a/../b\" is not a repository name (lowercase letters, digits and . _ - between slashes)"
    );
    for repository in ["", "a//b", "A/b", "a/b?x", "a/b#x", "-a", "a/b/", "a%2fb"] {
        assert!(validate(&reference("reg.example", repository, None)).is_err(), "{repository:?} accepted");
    }
    for tag in ["", ".x", "-x", "a/b", "a?b", &"x".repeat(129)] {
        assert!(validate(&reference("reg.example", "a", Some(tag))).is_err(), "{tag:?} accepted");
    }
    for host in ["reg.example", "127.0.0.1:5000", "[::1]:5000", "my_registry.local:443"] {
        assert_eq!(validate(&reference(host, "library/debian", Some("12.4-slim_x"))), Ok(()));
    }
    assert_eq!(validate(&reference("reg.example", "a.b/c-d/e__f", Some(&"x".repeat(128)))), Ok(()));
}

#[test]
fn options_never_print_the_password() {
    let options =
        RegistryOptions { credentials: Some(("alice".into(), "hunter2-secret".into())), ..RegistryOptions::default() };
    let printed = format!("{options:?}");
    assert!(!printed.contains("hunter2-secret"), "{printed}");
    assert!(printed.contains("credentials: Some(\"<redacted>\")"), "{printed}");
    let source = RegistrySource::new(reference("reg.example", "a", Some("1")), options).unwrap();
    assert_eq!(format!("{source:?}"), "RegistrySource { reference: \"reg.example/a:1\", .. }");
}

#[test]
fn unreadable_ca_files_are_named() {
    let options = RegistryOptions { ca_certs: vec!["/nonexistent/ca.pem".into()], ..RegistryOptions::default() };
    let err = RegistrySource::new(reference("reg.example", "a", Some("1")), options).unwrap_err();
    assert_eq!(
        err.to_string(),
        "reg.example/a:1: CA certificate /nonexistent/ca.pem: No such file or directory (os error 2)"
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let options = RegistryOptions { ca_certs: vec![empty.clone()], ..RegistryOptions::default() };
    let err = RegistrySource::new(reference("reg.example", "a", Some("1")), options).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("reg.example/a:1: CA certificate {}: no PEM certificate in it", empty.display())
    );
}

#[test]
fn the_source_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<RegistrySource>();
}
