use super::*;
use reqwest::header::HeaderMap;

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
fn backoff_grows_with_jitter_and_a_cap() {
    for retry in 1..=8 {
        let step = FIRST_BACKOFF.saturating_mul(1 << (retry - 1)).min(MAX_BACKOFF);
        let d = backoff(retry);
        assert!(d >= step / 2 && d <= step, "retry {retry}: {d:?}");
    }
}

#[test]
fn retry_after_is_read_in_seconds() {
    let mut headers = HeaderMap::new();
    headers.insert(header::RETRY_AFTER, "1".parse().unwrap());
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(1)));
    headers.insert(header::RETRY_AFTER, "86400".parse().unwrap());
    // The deadline caps what is obeyed (crate::deadline), not the parser.
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(86400)));
    headers.insert(header::RETRY_AFTER, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
    assert_eq!(retry_after(&headers), None);
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
