//! A whole registry, for a sweep: the repositories it lists (`/v2/_catalog`), the tags
//! of each (`/v2/<repo>/tags/list`), what a tag points at now (a `HEAD` probe, one
//! cheap request per tag), and the platforms of a multi-platform index. Every image
//! it then opens ([`RegistryClient::image`]) shares its one transport: connections,
//! tokens by scope, the request rate limit and the counters.
//!
//! Lists come in pages (`n`, `last`, and a `Link: <…>; rel="next"` header). The
//! registry is hostile like every input: a next page is only ever asked of the
//! registry itself, at the same path, with a cursor not seen before, and pages, names
//! and page bodies are all bounded.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use serde::Deserialize;

use super::auth;
use super::client::{self, Fetched, Transport};
use super::failure::{describe_status, Failure, Refusal};
use super::manifest::{self, Descriptor, Manifest};
use super::usage::{ClientStats, RequestLimits};
use super::{fetch_manifest, validate, validate_host, NetworkSettings, RegistryOptions, RegistryRef, RegistrySource};
use crate::deadline::Deadline;
use crate::image::digest::Digest;
use crate::image::source::{FailureKind, ImageError, Platform};

/// Names one list may hold, over all its pages.
const MAX_NAMES: usize = 1_000_000;
/// Pages one list may take.
const MAX_PAGES: usize = 10_000;
/// One page's body. Registries that do not paginate send everything at once: a
/// million names of some 40 bytes fit.
const MAX_PAGE_BODY: u64 = 64 << 20;
/// Error codes with which registries say they do not list their repositories.
const REFUSAL_CODES: [&str; 3] = ["UNSUPPORTED", "UNAUTHORIZED", "DENIED"];
/// The annotation BuildKit marks attestation manifests of an index with.
const REFERENCE_TYPE: &str = "vnd.docker.reference.type";

/// The registry-level client. `Send + Sync`: one per registry, shared by the threads of
/// a sweep.
pub struct RegistryClient {
    /// As the user named it (`host[:port]`): the name of its errors.
    registry: String,
    platform: Platform,
    transport: Arc<Transport>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient").field("registry", &self.registry).finish_non_exhaustive()
    }
}

/// What a tag or digest names, before any platform is picked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopManifest {
    /// One image manifest.
    Image,
    /// An index: each platform's image manifest, attestations and `unknown/unknown`
    /// entries left out, in the index's order.
    Index(Vec<(Platform, Digest)>),
}

/// Why the catalog could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The registry does not list its repositories to this client (GHCR, Docker Hub,
    /// Harbor for non-admins…): 401, 403, 404, or an `UNSUPPORTED`/`UNAUTHORIZED`/`DENIED` error.
    #[error(
        "{message}; the registry does not list its repositories to customs: name them with --repo REPO or \
         --repos-from FILE"
    )]
    Refused {
        /// The HTTP status the registry answered with.
        status: u16,
        /// The registry's error code, if its answer had one.
        code: Option<String>,
        /// What the registry said, naming it (never credentials).
        message: String,
    },
    /// Any other failure of the request.
    #[error(transparent)]
    Other(#[from] ImageError),
}

impl CatalogError {
    /// The kind of failure, for reports.
    pub fn reason(&self) -> FailureKind {
        match self {
            CatalogError::Refused { status: 404, .. } => FailureKind::NotFound,
            CatalogError::Refused { .. } => FailureKind::Unauthorized,
            CatalogError::Other(error) => error.reason(),
        }
    }
}

/// Why a list could not be read: a final answer for the caller to judge, or a failure.
enum ListError {
    Refused(Refusal),
    Failed(Failure),
}

impl From<Failure> for ListError {
    fn from(failure: Failure) -> ListError {
        ListError::Failed(failure)
    }
}

impl RegistryClient {
    /// A client for `registry` (`host[:port]`, as the user names it; `docker.io` is
    /// reached through its API host). Credentials follow `options.scope`, as for
    /// [`RegistrySource`]; `options.platform` is what [`RegistryClient::image`] sources
    /// pick from an index.
    pub fn new(
        registry: &str,
        options: RegistryOptions,
        network: NetworkSettings,
        limits: RequestLimits,
    ) -> Result<RegistryClient, ImageError> {
        let invalid = |message: String| ImageError::Invalid { reference: registry.to_string(), message };
        validate_host(registry).map_err(invalid)?;
        let transport = Transport::new(registry, &options, network, limits).map_err(invalid)?;
        Ok(RegistryClient {
            registry: registry.to_string(),
            platform: options.platform,
            transport: Arc::new(transport),
        })
    }

    /// The registry as it was named.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// Every repository the registry lists (`/v2/_catalog`, every page), in the
    /// registry's order, each once. `page_size` is the `n` asked for (`None` or 0
    /// lets the registry choose). Names are the registry's text: the other methods check the
    /// names they are given, and printing one needs the usual escaping.
    pub fn catalog(&self, page_size: Option<u32>) -> Result<Vec<String>, CatalogError> {
        let reference = self.registry.clone();
        match self.list("/v2/_catalog", page_size, auth::CATALOG_SCOPE, "catalog", ListKind::Catalog) {
            Ok(names) => Ok(names),
            Err(ListError::Refused(refusal)) if is_refusal(&refusal) => {
                let detail = refusal.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
                let message = format!("{reference}: catalog: {}{detail}", describe_status(refusal.status));
                let message = self.transport.scrub(message);
                Err(CatalogError::Refused { status: refusal.status.as_u16(), code: refusal.code, message })
            }
            Err(ListError::Refused(refusal)) => {
                Err(self.error(reference, self.transport.status_failure(refusal, "catalog")).into())
            }
            // The token server would not give a token for the catalog.
            Err(ListError::Failed(Failure::Auth(message))) => Err(CatalogError::Refused {
                status: 401,
                code: None,
                message: format!("{reference}: {}", self.transport.scrub(message)),
            }),
            Err(ListError::Failed(failure)) => Err(self.error(reference, failure).into()),
        }
    }

    /// Every tag of `repository` (`/v2/<repo>/tags/list`, every page), in the
    /// registry's order, each once; the page size is the registry's choice.
    pub fn tags(&self, repository: &str) -> Result<Vec<String>, ImageError> {
        self.tags_with_page_size(repository, None)
    }

    /// [`tags`](Self::tags), asking for `page_size` tags a page.
    pub fn tags_with_page_size(&self, repository: &str, page_size: Option<u32>) -> Result<Vec<String>, ImageError> {
        let reference = self.checked(repository, None, None)?;
        let path = format!("/v2/{repository}/tags/list");
        let scope = auth::pull_scope(repository);
        match self.list(&path, page_size, &scope, "tags", ListKind::Tags) {
            Ok(tags) => Ok(tags),
            Err(ListError::Refused(refusal)) => {
                Err(self.error(reference, self.transport.status_failure(refusal, "tags")))
            }
            Err(ListError::Failed(failure)) => Err(self.error(reference, failure)),
        }
    }

    /// The digest `repository:tag` points at, from a `HEAD` request (its
    /// `Docker-Content-Digest`); `None` when the registry does not know the tag. A
    /// registry that sends no digest on `HEAD` is asked with `GET`, and the manifest
    /// hashed. The digest is the registry's word until [`top_manifest`](Self::top_manifest)
    /// fetches the manifest and checks it.
    pub fn head_manifest(&self, repository: &str, tag: &str) -> Result<Option<Digest>, ImageError> {
        let reference = self.checked(repository, Some(tag), None)?;
        let what = format!("manifest {tag}");
        let path = format!("/v2/{repository}/manifests/{tag}");
        let scope = auth::pull_scope(repository);
        let deadline = Deadline::start(self.transport.network().transfer, Some(0));
        let headers = client::accept_header(manifest::ACCEPT);
        let response = self
            .transport
            .exchange(reqwest::Method::HEAD, &path, headers, &scope, &what, &deadline)
            .map_err(|f| self.error(reference.clone(), f))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.error(reference, self.transport.status_failure(Refusal::read(response), &what)));
        }
        let header = response.headers().get("docker-content-digest").map(|v| v.to_str().map(str::trim));
        match header {
            Some(Ok(text)) => match Digest::parse(text) {
                Ok(digest) => Ok(Some(digest)),
                Err(_) => Err(self.error(
                    reference,
                    Failure::Invalid(format!("{what}: the registry sent a malformed Docker-Content-Digest header")),
                )),
            },
            Some(Err(_)) => Err(self.error(
                reference,
                Failure::Invalid(format!("{what}: the registry sent a malformed Docker-Content-Digest header")),
            )),
            None => match fetch_manifest(&self.transport, repository, tag, None) {
                Ok((digest, _)) => Ok(Some(digest)),
                Err(Failure::NotFound(_)) => Ok(None),
                Err(failure) => Err(self.error(reference, failure)),
            },
        }
    }

    /// The manifest `digest` of `repository`, checked against the digest: one image,
    /// or an index's platform images.
    pub fn top_manifest(&self, repository: &str, digest: &Digest) -> Result<TopManifest, ImageError> {
        let reference = self.checked(repository, None, Some(digest))?;
        match fetch_manifest(&self.transport, repository, &digest.to_string(), Some(digest)) {
            Ok((_, Manifest::Image(_))) => Ok(TopManifest::Image),
            Ok((_, Manifest::Index(entries))) => Ok(TopManifest::Index(platform_entries(entries))),
            Err(failure) => Err(self.error(reference, failure)),
        }
    }

    /// The image `repository@digest`, read through this client's transport: its
    /// requests share the connections, tokens, rate limit and counters.
    pub fn image(&self, repository: &str, digest: &Digest) -> Result<RegistrySource, ImageError> {
        let reference = RegistryRef {
            registry: self.registry.clone(),
            repository: repository.to_string(),
            tag: None,
            digest: Some(digest.clone()),
        };
        validate(&reference).map_err(|message| ImageError::Invalid { reference: reference.to_string(), message })?;
        Ok(RegistrySource::over(reference, self.platform.clone(), self.transport.clone()))
    }

    /// What the client has sent and received so far, over every thread and every
    /// image it opened.
    pub fn stats(&self) -> ClientStats {
        self.transport.stats()
    }

    /// Checks the names (they become URL paths); returns the reference errors name.
    fn checked(&self, repository: &str, tag: Option<&str>, digest: Option<&Digest>) -> Result<String, ImageError> {
        let reference = RegistryRef {
            registry: self.registry.clone(),
            repository: repository.to_string(),
            tag: tag.map(str::to_string),
            digest: digest.cloned(),
        };
        let name = reference.to_string();
        validate(&reference).map_err(|message| ImageError::Invalid { reference: name.clone(), message })?;
        Ok(name)
    }

    fn error(&self, reference: String, failure: Failure) -> ImageError {
        failure.map(|message| self.transport.scrub(message)).into_image_error(reference)
    }

    /// Reads every page of a list at `path`.
    fn list(
        &self,
        path: &str,
        page_size: Option<u32>,
        scope: &str,
        what: &str,
        kind: ListKind,
    ) -> Result<Vec<String>, ListError> {
        let mut next = match page_size.filter(|&n| n > 0) {
            Some(n) => format!("{path}?n={n}"),
            None => path.to_string(),
        };
        let mut listing = Listing::new(kind, path, what);
        for page in 1..=MAX_PAGES {
            let fetched =
                match self.transport.get_small_or_refusal(&next, "application/json", MAX_PAGE_BODY, scope, what)? {
                    Ok(fetched) => fetched,
                    Err(refusal) => return Err(ListError::Refused(refusal)),
                };
            match self.take_page(&mut listing, page, &fetched)? {
                Some(page) => next = page,
                None => return Ok(listing.names),
            }
        }
        Err(Failure::Invalid(format!("{what}: more than {MAX_PAGES} pages")).into())
    }

    /// Takes page number `page` of a list: keeps its names not seen before, and
    /// returns the path and query of the next page to ask for, if the page links one
    /// customs follows (`None`: the list is complete). The page just read counts as
    /// seen, so a link back to it is refused.
    pub(super) fn take_page(
        &self,
        listing: &mut Listing<'_>,
        page: usize,
        fetched: &Fetched,
    ) -> Result<Option<String>, Failure> {
        let what = listing.what;
        let names =
            listing.kind.names(&fetched.body).map_err(|e| Failure::Invalid(format!("{what}: page {page}: {e}")))?;
        for name in names {
            if listing.seen_names.contains(&name) {
                continue;
            }
            if listing.seen_names.len() >= MAX_NAMES {
                return Err(Failure::Invalid(format!("{what}: more than {MAX_NAMES} names")));
            }
            listing.seen_names.insert(name.clone());
            listing.names.push(name);
        }
        listing.seen_cursors.insert(Cursor::of(&fetched.url));
        let Some(link) = fetched.link.as_deref().and_then(next_link) else { return Ok(None) };
        let url = fetched
            .url
            .join(&link)
            .map_err(|e| Failure::Invalid(format!("{what}: the next-page link {link:?} is not a URL ({e})")))?;
        let next = self
            .next_page(&url, listing.path, &mut listing.seen_cursors)
            .map_err(|m| Failure::Invalid(format!("{what}: {m}")))?;
        debug_assert!(next == listing.path || next.starts_with(&format!("{}?", listing.path)), "{next:?}");
        Ok(Some(next))
    }

    /// The path and query of the next page, if `url` is one customs follows: HTTP(S),
    /// on the registry itself, at the list's own path, with a cursor not seen before.
    fn next_page(&self, url: &Url, path: &str, seen: &mut HashSet<Cursor>) -> Result<String, String> {
        // Other schemes put the same host and port in a URL, but encode its query
        // otherwise: the request would not be the one checked here.
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("the registry's next-page link is a {}: URL, not HTTP; not followed", url.scheme()));
        }
        if !self.transport.is_registry_origin(url) {
            return Err(format!(
                "the registry's next-page link points to {} (another host); not followed",
                client::authority(url)
            ));
        }
        if url.path() != path {
            return Err(format!("the registry's next-page link leaves {path} (for {:?}); not followed", url.path()));
        }
        let cursor = Cursor::of(url);
        if !seen.insert(cursor.clone()) {
            return Err(match cursor {
                Cursor::Last(last) => {
                    format!("the registry's next page starts again after {last:?} (last does not advance)")
                }
                Cursor::Query(_) => "the registry's next-page link repeats a page already read".to_string(),
            });
        }
        Ok(match url.query().unwrap_or_default() {
            "" => path.to_string(),
            query => format!("{path}?{query}"),
        })
    }
}

/// A list being read, page by page: what it is, and what its pages said so far.
pub(super) struct Listing<'a> {
    kind: ListKind,
    /// The list's path (`/v2/_catalog`): every page is asked of it.
    path: &'a str,
    /// What errors call the list (`catalog`, `tags`).
    what: &'a str,
    /// The names so far, each once, in the registry's order.
    pub(super) names: Vec<String>,
    seen_names: HashSet<String>,
    seen_cursors: HashSet<Cursor>,
}

impl<'a> Listing<'a> {
    pub(super) fn new(kind: ListKind, path: &'a str, what: &'a str) -> Listing<'a> {
        Listing { kind, path, what, names: Vec::new(), seen_names: HashSet::new(), seen_cursors: HashSet::new() }
    }
}

/// Where a page starts: its `last` parameter, or, for registries that page without
/// one, its whole query. A page whose cursor was seen is not asked for again.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Cursor {
    Last(String),
    Query(String),
}

impl Cursor {
    fn of(url: &Url) -> Cursor {
        match url.query_pairs().find(|(k, _)| k == "last") {
            Some((_, last)) => Cursor::Last(last.into_owned()),
            None => Cursor::Query(url.query().unwrap_or_default().to_string()),
        }
    }
}

/// Which list a page belongs to: its names are under `repositories` or `tags`.
#[derive(Clone, Copy, Debug)]
pub(super) enum ListKind {
    Catalog,
    Tags,
}

impl ListKind {
    /// The names of one page; a `null` list is an empty one.
    fn names(self, body: &[u8]) -> Result<Vec<String>, String> {
        #[derive(Deserialize)]
        struct Catalog {
            repositories: Option<Vec<String>>,
        }
        #[derive(Deserialize)]
        struct Tags {
            tags: Option<Vec<String>>,
        }
        let names = match self {
            ListKind::Catalog => serde_json::from_slice::<Catalog>(body).map(|c| c.repositories),
            ListKind::Tags => serde_json::from_slice::<Tags>(body).map(|t| t.tags),
        };
        names.map(Option::unwrap_or_default).map_err(|e| format!("not a list of names ({e})"))
    }
}

/// Whether a final answer to the catalog means "not listed here".
fn is_refusal(refusal: &Refusal) -> bool {
    matches!(refusal.status.as_u16(), 401 | 403 | 404)
        || refusal.code.as_deref().is_some_and(|code| REFUSAL_CODES.contains(&code))
}

/// The target of `rel="next"` in a `Link` header (`<url>; rel="next", <url>; rel="prev"`).
fn next_link(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let target = &after[..close];
        let params = &after[close + 1..];
        let params = &params[..params.find('<').unwrap_or(params.len())];
        let is_next = params.split(';').any(|param| {
            let Some((name, value)) = param.split_once('=') else { return false };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim().to_string());
        }
        rest = &after[close + 1..];
    }
    None
}

/// The platform images of an index, without attestations and `unknown/unknown` entries.
fn platform_entries(entries: Vec<Descriptor>) -> Vec<(Platform, Digest)> {
    entries
        .into_iter()
        .filter(|d| d.annotations.get(REFERENCE_TYPE).map(String::as_str) != Some("attestation-manifest"))
        .filter_map(|d| {
            let platform = d.platform?;
            let unknown = platform.os == "unknown" && platform.architecture == "unknown";
            (!unknown && !platform.os.is_empty() && !platform.architecture.is_empty())
                .then(|| (platform.into_platform(), d.digest))
        })
        .collect()
}

#[cfg(test)]
mod tests;
