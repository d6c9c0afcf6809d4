use super::*;

#[test]
fn redacts_credentials() {
    assert_eq!(redact("https://user:secret@host.example/osv"), "https://host.example/osv");
    assert_eq!(redact("https://token@host.example"), "https://host.example");
    assert_eq!(redact("https://host.example/a@b"), "https://host.example/a@b");
    assert_eq!(redact("/srv/osv"), "/srv/osv");
}

#[test]
fn encodes_ecosystem_as_one_segment() {
    let base = Url::parse("https://m.example/osv/").unwrap();
    assert_eq!(ecosystem_url(&base, "Rocky Linux").as_str(), "https://m.example/osv/Rocky%20Linux/all.zip");
    let bare = Url::parse("http://127.0.0.1:8000").unwrap();
    assert_eq!(ecosystem_url(&bare, "crates.io").as_str(), "http://127.0.0.1:8000/crates.io/all.zip");
}

#[test]
fn refuses_names_that_leave_the_folder() {
    for bad in ["", ".", "..", "../x", "a/b", "a\\b", "Debian:12", "a\nb"] {
        assert!(checked_ecosystems(&[bad.to_string()]).is_err(), "{bad:?}");
    }
    let names = ["PyPI", "pypi", "crates.io", "PyPI"].map(String::from);
    assert_eq!(checked_ecosystems(&names).unwrap(), ["PyPI", "crates.io"]);
}

#[test]
fn an_inventory_needs_the_base_ecosystem_of_each_package_once() {
    use crate::model::{Ecosystem, EcosystemKind, Location};
    let package = |kind, release: Option<&str>, name: &str| {
        let mut p = Package::new(kind, name, "1.0", Location::default());
        p.ecosystem = Ecosystem { kind, release: release.map(str::to_string) };
        p
    };
    let packages = [
        package(EcosystemKind::Debian, Some("12"), "openssl"),
        package(EcosystemKind::Npm, None, "left-pad"),
        package(EcosystemKind::RockyLinux, Some("9"), "bash"),
        package(EcosystemKind::Debian, Some("11"), "zlib1g"),
        package(EcosystemKind::Npm, None, "lodash"),
    ];
    assert_eq!(ecosystems_for(&packages), ["Debian", "Rocky Linux", "npm"]);
    assert!(ecosystems_for(&[]).is_empty());
}

#[test]
fn parses_mirrors() {
    assert!(matches!(Mirror::parse("https://m.example").unwrap(), Mirror::Http(_)));
    assert!(matches!(Mirror::parse("HTTP://m.example").unwrap(), Mirror::Http(_)));
    let dir = std::env::temp_dir();
    assert!(matches!(Mirror::parse(dir.to_str().unwrap()).unwrap(), Mirror::Local(_)));
    let url = Url::from_directory_path(&dir).unwrap();
    assert!(matches!(Mirror::parse(url.as_str()).unwrap(), Mirror::Local(_)));
    let err = Mirror::parse("gs://user:pw@bucket/x").err().unwrap().to_string();
    assert!(err.contains("unknown scheme") && !err.contains("pw"), "{err}");
    assert!(Mirror::parse("/does/not/exist/osv").is_err());
}

#[test]
fn compares_file_contents() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let mut changed = big.clone();
    changed[150_000] ^= 1;
    fs::write(path("a"), &big).unwrap();
    fs::write(path("b"), &big).unwrap();
    fs::write(path("c"), &changed).unwrap();
    fs::write(path("d"), &big[..1000]).unwrap();
    assert!(same_content(&path("a"), &path("b")));
    assert!(!same_content(&path("a"), &path("c")));
    assert!(!same_content(&path("a"), &path("d")));
    assert!(!same_content(&path("a"), &path("missing")));
}

#[test]
fn parses_content_ranges() {
    assert_eq!(parse_content_range("bytes 100-999/1000"), Some((100, 999, Some(1000))));
    assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
    assert_eq!(parse_content_range("BYTES  5-9/10"), Some((5, 9, Some(10))));
    for bad in ["", "bytes */1000", "bytes 9-5/10", "bytes 5-10/10", "items 0-1/2", "bytes 1-2", "bytes a-2/3"] {
        assert_eq!(parse_content_range(bad), None, "{bad:?}");
    }
}

#[test]
fn resumes_only_with_a_strong_validator() {
    let dir = tempfile::tempdir().unwrap();
    let target = Target::new(dir.path(), "CRAN");
    let meta = |etag: Option<&str>, date: Option<&str>| Meta {
        etag: etag.map(String::from),
        last_modified: date.map(String::from),
        ..Meta::default()
    };
    let date = "Wed, 21 Oct 2015 07:28:00 GMT";
    let mut transfer = Transfer {
        partial: Partial::create(&target).unwrap(),
        received: 0,
        total: None,
        meta: meta(Some("\"a\""), None),
    };
    assert_eq!(transfer.resume_request(), None, "nothing to resume yet");
    transfer.received = 10;
    assert_eq!(transfer.resume_request(), Some((10, "\"a\"".to_string())));
    transfer.meta = meta(Some("W/\"a\""), Some(date));
    assert_eq!(transfer.resume_request(), Some((10, date.to_string())));
    transfer.meta = meta(Some("W/\"a\""), None);
    assert_eq!(transfer.resume_request(), None);
    transfer.meta = meta(None, None);
    assert_eq!(transfer.resume_request(), None);
}

#[test]
fn runs_every_item_once_in_order() {
    let items: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let out = run_bounded(&items, 4, |s| s.parse::<u32>().unwrap() * 2);
    assert_eq!(out, (0..10).map(|i| i * 2).collect::<Vec<_>>());
    assert!(run_bounded(&[], 4, |s| s.len()).is_empty());
}

fn status(ecosystem: &str, outcome: Outcome) -> EcosystemStatus {
    EcosystemStatus { ecosystem: ecosystem.into(), outcome, note: None }
}

#[test]
fn failures_are_grouped_by_reason_in_order() {
    let dns = || Outcome::Unreachable { reason: "dns error for m.invalid: no such host".into() };
    let statuses = [
        status("CRAN", dns()),
        status("npm", Outcome::Unchanged),
        status("PyPI", Outcome::Failed { reason: "https://m/PyPI/all.zip: HTTP 500".into() }),
        status("Go", dns()),
        status("Hex", Outcome::NotOnMirror),
    ];
    assert_eq!(
        failure_groups(&statuses),
        [
            FailureGroup {
                reason: "dns error for m.invalid: no such host".into(),
                ecosystems: vec!["CRAN".into(), "Go".into()],
                unreachable: true,
            },
            FailureGroup {
                reason: "https://m/PyPI/all.zip: HTTP 500".into(),
                ecosystems: vec!["PyPI".into()],
                unreachable: false,
            },
        ]
    );
    assert_eq!(failure_groups(&[status("npm", Outcome::Updated { bytes: 1 })]), []);
}

/// What one real request to `url` fails with.
fn request_step(url: &str) -> Step {
    // Never through a proxy the environment may name: the failure must be the host's.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();
    let url = Url::parse(url).unwrap();
    let error = client.get(url.clone()).send().expect_err("nothing answers");
    request_failure(error, Duration::from_secs(5), &url)
}

#[test]
fn a_refused_connection_is_unreachable_and_not_retried() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    match request_step(&format!("http://127.0.0.1:{port}/CRAN/all.zip")) {
        Step::Unreachable(reason) => assert_eq!(reason, format!("connection refused by 127.0.0.1:{port}")),
        _ => panic!("a refused connection must not be retried"),
    }
}

#[test]
fn a_name_that_does_not_resolve_is_unreachable_and_not_retried() {
    // `.invalid` never resolves (RFC 6761).
    match request_step("https://nonexistent.invalid/CRAN/all.zip") {
        Step::Unreachable(reason) => {
            assert!(reason.starts_with("dns error for nonexistent.invalid: "), "{reason}");
            assert!(reason.len() > "dns error for nonexistent.invalid: ".len(), "the resolver's reason: {reason}");
        }
        _ => panic!("a failed lookup must not be retried"),
    }
}
