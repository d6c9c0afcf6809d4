//! The fuzz targets' way into the registry client's parsers (`crate::fuzzing`), which
//! stay `pub(crate)` in their own modules. Compiled only with the `fuzzing` feature.

use std::sync::OnceLock;
use std::time::Instant;

use reqwest::header::HeaderValue;
use reqwest::Url;

use super::catalog::{ListKind, Listing, RegistryClient};
use super::client::Fetched;
use super::usage::RequestLimits;
use super::{auth, failure, manifest, NetworkSettings, RegistryOptions};
use crate::image::source::Platform;

/// Content types a registry may send a manifest under, `None` for a missing header.
const CONTENT_TYPES: [Option<&str>; 4] = [
    None,
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
    Some("application/json"),
];

pub(crate) fn manifest(data: &[u8]) {
    for content_type in CONTENT_TYPES {
        match manifest::parse(data, content_type) {
            Ok(manifest::Manifest::Index(index)) => {
                for (os, architecture, variant) in [("linux", "amd64", None), ("linux", "arm", Some("v7"))] {
                    let wanted =
                        Platform { os: os.into(), architecture: architecture.into(), variant: variant.map(Into::into) };
                    let _ = manifest::select_platform(&index, &wanted);
                }
            }
            Ok(manifest::Manifest::Image(image)) => {
                let _ = manifest::check_config_media_type(&image.config);
            }
            Err(_) => {}
        }
    }
}

pub(crate) fn config(data: &[u8]) {
    if let Ok(config) = manifest::parse_config(data) {
        let _ = config.platform();
    }
}

pub(crate) fn token(data: &[u8], received: Instant) {
    let _ = auth::parse_token(data, received);
}

pub(crate) fn challenge(header: &str) {
    let _ = auth::parse_challenges(header);
}

pub(crate) fn error_body(data: &[u8]) {
    if let Some(text) = failure::error_body_text(data) {
        assert!(!text.chars().any(char::is_control), "{text:?} carries a control character into a message");
    }
}

/// The registry the fuzzed list pages come from.
const PAGE_REGISTRY: &str = "127.0.0.1:5000";

/// The two lists a sweep reads: kind, name in errors, path, and the page the fuzzed
/// body is the answer to (the first, asked with `n=100`).
const LISTS: [(ListKind, &str, &str, &str); 2] = [
    (ListKind::Catalog, "catalog", "/v2/_catalog", "http://127.0.0.1:5000/v2/_catalog?n=100"),
    (ListKind::Tags, "tags", "/v2/library/app/tags/list", "http://127.0.0.1:5000/v2/library/app/tags/list?n=100"),
];

/// What the registry client makes of one page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PageOutcome {
    /// The names the list keeps from the page: each once, in the page's order.
    pub names: Vec<String>,
    /// The path and query of the next page asked for, `None` when the list ends there,
    /// or the error that ends the list.
    pub next: Result<Option<String>, String>,
}

/// The client the pages are given to: one per process (it builds HTTP clients), and
/// it never sends a request here.
fn page_client() -> &'static RegistryClient {
    static CLIENT: OnceLock<RegistryClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let options = RegistryOptions { insecure_registries: vec![PAGE_REGISTRY.into()], ..RegistryOptions::default() };
        RegistryClient::new(PAGE_REGISTRY, options, NetworkSettings::default(), RequestLimits::default())
            .expect("the fuzzed pages' registry client cannot be made")
    })
}

/// A list page from the fuzz input: the first line is the `Link` header (as the HTTP
/// client hands it over: `None` when the line is empty or no header value could
/// hold it; `Fetched::link` is `None` too when the value is not visible ASCII), the
/// rest the body.
fn page_of(data: &[u8], url: &str) -> Fetched {
    let (line, body) = match data.iter().position(|&b| b == b'\n') {
        Some(end) => (&data[..end], &data[end + 1..]),
        None => (data, &data[data.len()..]),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let link = HeaderValue::from_bytes(line).ok().and_then(|v| v.to_str().ok().map(str::to_string));
    Fetched {
        body: body.to_vec(),
        content_type: Some("application/json".into()),
        content_digest: None,
        link: link.filter(|l| !l.is_empty()),
        url: Url::parse(url).expect("a list page URL"),
    }
}

fn take_first_page<'a>(kind: ListKind, what: &'a str, path: &'a str, page: &Fetched) -> (PageOutcome, Listing<'a>) {
    let mut listing = Listing::new(kind, path, what);
    let next = page_client().take_page(&mut listing, 1, page).map_err(|f| f.message().to_string());
    (PageOutcome { names: listing.names.clone(), next }, listing)
}

/// The fuzz input as the first page of the catalog and of a tag list, taken by the
/// client's own page step (`RegistryClient::take_page`), checking what must hold whatever the registry sends: the names
/// are each kept once; a next page is asked of the registry itself, under the list's
/// own path, as a request line that parses back to itself, and never the page just
/// read; the same page read again does not lead anywhere new; and an error says which
/// list it is about and carries no control character into a terminal.
pub(crate) fn list_pages(data: &[u8]) {
    for (kind, what, path, url) in LISTS {
        let page = page_of(data, url);
        let (outcome, mut listing) = take_first_page(kind, what, path, &page);
        let unique: std::collections::HashSet<&String> = outcome.names.iter().collect();
        assert_eq!(unique.len(), outcome.names.len(), "{what}: a name kept twice in {:?}", outcome.names);
        match &outcome.next {
            Ok(None) => {}
            Ok(Some(next)) => {
                assert!(page.link.is_some(), "{what}: a next page {next:?} without a Link header");
                let asked = Url::parse(&format!("http://{PAGE_REGISTRY}{next}"))
                    .unwrap_or_else(|e| panic!("{what}: the next page {next:?} is not a request line ({e})"));
                assert_eq!(asked.host_str(), Some("127.0.0.1"), "{what}: {next:?} leaves the registry");
                assert_eq!(asked.port(), Some(5000), "{what}: {next:?} leaves the registry");
                assert!(asked.path() == path && path.starts_with("/v2/"), "{what}: {next:?} leaves {path}");
                let line = match asked.query() {
                    Some(query) => format!("{}?{query}", asked.path()),
                    None => asked.path().to_string(),
                };
                assert_eq!(&line, next, "{what}: the next page is not asked as checked");
                assert_ne!(asked.as_str(), url, "{what}: the next page is the page just read");
                let again = page_client().take_page(&mut listing, 2, &page);
                assert!(again.is_err(), "{what}: the same page read twice leads on to {again:?}");
            }
            Err(message) => {
                assert!(message.starts_with(&format!("{what}: ")), "{message:?} does not name the list");
                assert!(!message.chars().any(char::is_control), "{message:?} carries a control character");
            }
        }
    }
}

#[cfg(test)]
mod tests;
