//! HTTP to one registry: which scheme and TLS checks a host gets, redirects (the
//! registry's credentials never follow them to another host), retries, the 401 dance,
//! the request rate limit, and errors that say what to do about them. One transport
//! serves every repository of its registry: tokens are kept per scope.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use reqwest::blocking::{Client, Response};

use crate::deadline::{Deadline, Watched};
use crate::error_text::{error_chain, root_cause, rustls_error};
use crate::retry;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};

use super::auth::{self, AuthState, Challenge, Token};
use super::credentials::{self, Credentials, Found, Secret};
use super::failure::{body_failure, describe_status, registry_errors, seconds, Failure, Refusal};
use super::usage::{ClientStats, Counters, RateLimiter, RequestLimits};
use super::{CredentialScope, NetworkSettings, RegistryOptions};

/// Redirect hops followed (registries redirect blobs once, to storage).
const MAX_REDIRECTS: usize = 10;
/// Token responses are small; more is not read.
const MAX_TOKEN_BODY: u64 = 1 << 20;

/// One attempt's outcome when no usable response came back.
enum Attempt {
    /// Worth another try (refused, reset, timed out).
    Transient(String),
    /// Will not fix itself (TLS refused, HTTPS required, bad redirect).
    Fatal(Failure),
}

/// A small body read whole.
pub(crate) struct Fetched {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub content_digest: Option<String>,
    /// The `Link` headers, joined with `, ` (pagination).
    pub link: Option<String>,
    /// Where the body came from (after redirects).
    pub url: Url,
}

pub(crate) struct Transport {
    /// Verifies certificates (system roots plus `--ca-cert`), HTTPS only.
    secure: Client,
    /// For `--insecure-registry` hosts: no certificate checks, plain HTTP allowed.
    insecure: Option<Client>,
    insecure_hosts: Vec<String>,
    /// The host requests go to (`registry-1.docker.io` for `docker.io`), with its port.
    api_host: String,
    /// The registry as the user named it: what Docker's config is keyed by.
    registry: String,
    /// For an insecure host, the scheme that answered first (`https`, else `http`).
    scheme: Mutex<Option<&'static str>>,
    network: NetworkSettings,
    auth: Mutex<AuthState>,
    /// Looked up at the first challenge: anonymous pulls never run credential helpers.
    credentials: OnceLock<Found>,
    explicit_credentials: Option<(String, String)>,
    docker_config_dir: Option<std::path::PathBuf>,
    credential_scope: CredentialScope,
    limiter: RateLimiter,
    counters: Counters,
    /// Manifests already received and checked against their digest, by repository and
    /// digest: a sweep that lists a tag's manifest and then reads the image it names
    /// fetches it once. Small and bounded; content-addressed, so never stale.
    manifests: Mutex<std::collections::HashMap<(String, String), Arc<Fetched>>>,
}

/// At most this many manifests are remembered, each at most [`MAX_REMEMBERED_MANIFEST`].
const MAX_REMEMBERED_MANIFESTS: usize = 64;
const MAX_REMEMBERED_MANIFEST: usize = 256 << 10;

impl Transport {
    /// A transport to `registry` (`host[:port]`, as the user named it).
    pub(crate) fn new(
        registry: &str,
        options: &RegistryOptions,
        network: NetworkSettings,
        limits: RequestLimits,
    ) -> Result<Transport, String> {
        let api_host = api_host(registry);
        Url::parse(&format!("https://{api_host}/")).map_err(|e| format!("{registry:?} is not a registry host: {e}"))?;
        let limiter = RateLimiter::new(limits)?;
        let mut certificates = Vec::new();
        for path in &options.ca_certs {
            let pem = std::fs::read(path).map_err(|e| format!("CA certificate {}: {e}", path.display()))?;
            let found = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("CA certificate {}: {}", path.display(), error_chain(&e)))?;
            if found.is_empty() {
                return Err(format!("CA certificate {}: no PEM certificate in it", path.display()));
            }
            certificates.extend(found);
        }
        let insecure_hosts: Vec<String> = options.insecure_registries.iter().map(|h| h.to_ascii_lowercase()).collect();
        let insecure = if insecure_hosts.is_empty() { None } else { Some(build_client(&network, Vec::new(), true)?) };
        Ok(Transport {
            secure: build_client(&network, certificates, false)?,
            insecure,
            insecure_hosts,
            api_host,
            registry: registry.to_ascii_lowercase(),
            scheme: Mutex::new(None),
            network,
            auth: Mutex::new(AuthState::default()),
            credentials: OnceLock::new(),
            explicit_credentials: options.credentials.clone(),
            docker_config_dir: options.docker_config_dir.clone(),
            credential_scope: options.scope,
            limiter,
            counters: Counters::default(),
            manifests: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// A manifest of `repository` received before and checked to hash to `digest`.
    pub(crate) fn remembered_manifest(&self, repository: &str, digest: &str) -> Option<Arc<Fetched>> {
        let memo = self.manifests.lock().unwrap_or_else(|p| p.into_inner());
        memo.get(&(repository.to_string(), digest.to_string())).cloned()
    }

    /// Remembers a manifest whose body hashes to `digest` (the caller checked it).
    pub(crate) fn remember_manifest(&self, repository: &str, digest: &str, fetched: Arc<Fetched>) {
        if fetched.body.len() > MAX_REMEMBERED_MANIFEST {
            return;
        }
        let mut memo = self.manifests.lock().unwrap_or_else(|p| p.into_inner());
        if memo.len() >= MAX_REMEMBERED_MANIFESTS {
            memo.clear();
        }
        memo.insert((repository.to_string(), digest.to_string()), fetched);
    }

    pub(crate) fn stats(&self) -> ClientStats {
        let c = &self.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            retries: c.retries.load(Ordering::Relaxed),
            rate_limited: c.rate_limited.load(Ordering::Relaxed),
            blob_bytes: c.blob_bytes.load(Ordering::Relaxed),
            throttled_ms: c.throttled_ms.load(Ordering::Relaxed),
        }
    }

    /// Counts an attempt repeated after a transient failure.
    pub(crate) fn count_retry(&self) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts layer bytes received.
    pub(crate) fn count_blob_bytes(&self, bytes: u64) {
        self.counters.blob_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn network(&self) -> &NetworkSettings {
        &self.network
    }

    /// The registry's API host and port, for messages.
    pub(crate) fn host(&self) -> &str {
        &self.api_host
    }

    /// GETs `path` on the registry and returns a 2xx response: authenticates for
    /// `scope` when challenged, retries what is transient, and turns every other
    /// status into a failure naming `what`. `range_from` asks for the rest of a blob;
    /// `deadline` is the transfer's, which no request or wait may outlast.
    pub(crate) fn get(
        &self,
        path: &str,
        accept: &str,
        range_from: Option<u64>,
        scope: &str,
        what: &str,
        deadline: &Deadline,
    ) -> Result<Response, Failure> {
        let mut headers = accept_header(accept);
        if let Some(from) = range_from {
            headers.insert(header::RANGE, HeaderValue::from_str(&format!("bytes={from}-")).expect("ascii"));
        }
        let response = self.exchange(reqwest::Method::GET, path, headers, scope, what, deadline)?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.status_failure(Refusal::read(response), what).map(|m| self.scrub(m)))
    }

    /// Sends `method` to `path` and returns the final answer, whatever its status:
    /// after the 401 dance for `scope` and the retries of what is transient.
    pub(crate) fn exchange(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: HeaderMap,
        scope: &str,
        what: &str,
        deadline: &Deadline,
    ) -> Result<Response, Failure> {
        self.exchange_inner(method, path, headers, scope, what, deadline).map_err(|f| f.map(|m| self.scrub(m)))
    }

    fn exchange_inner(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: HeaderMap,
        scope: &str,
        what: &str,
        deadline: &Deadline,
    ) -> Result<Response, Failure> {
        let mut challenged = false;
        loop {
            // Basic credentials are only ever in use after a challenge made us look them up.
            let known = self.credentials.get().and_then(|found| found.credentials.as_ref());
            let authorization = self.lock_auth().header(scope, known);
            let response = self.retrying(what, &self.api_host, deadline, || {
                self.send_to_registry(method.clone(), path, headers.clone(), authorization.clone(), deadline)
            })?;
            if response.status() == StatusCode::UNAUTHORIZED && !challenged {
                challenged = true;
                self.authenticate(&response, scope, what)?;
                continue;
            }
            return Ok(response);
        }
    }

    /// [`get`](Self::get), then the body read whole: at most `cap` bytes, with
    /// transfers that break off retried from the start.
    pub(crate) fn get_small(
        &self,
        path: &str,
        accept: &str,
        cap: u64,
        scope: &str,
        what: &str,
    ) -> Result<Fetched, Failure> {
        match self.get_small_or_refusal(path, accept, cap, scope, what)? {
            Ok(fetched) => Ok(fetched),
            Err(refusal) => Err(self.status_failure(refusal, what).map(|m| self.scrub(m))),
        }
    }

    /// [`get_small`](Self::get_small), except that a final answer other than a
    /// success is handed back (its error body read) for the caller to judge.
    pub(crate) fn get_small_or_refusal(
        &self,
        path: &str,
        accept: &str,
        cap: u64,
        scope: &str,
        what: &str,
    ) -> Result<Result<Fetched, Refusal>, Failure> {
        let deadline = Deadline::start(self.network.transfer, None);
        let mut failures = 0;
        loop {
            let response = self.exchange(reqwest::Method::GET, path, accept_header(accept), scope, what, &deadline)?;
            if !response.status().is_success() {
                return Ok(Err(Refusal::read(response)));
            }
            if let Some(length) = response.content_length() {
                if length > cap {
                    return Err(Failure::Invalid(format!("{what}: {length} bytes is more than the {cap} allowed")));
                }
                deadline.learn_size(length);
            }
            let text =
                |name| response.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_string);
            let content_type = text(header::CONTENT_TYPE.as_str());
            let content_digest = text("docker-content-digest");
            let links: Vec<&str> =
                response.headers().get_all(header::LINK).iter().filter_map(|v| v.to_str().ok()).collect();
            let link = (!links.is_empty()).then(|| links.join(", "));
            let url = response.url().clone();
            let mut body = Vec::new();
            let mut watched = Watched { inner: response.take(cap + 1), deadline: &deadline, received: 0 };
            match watched.read_to_end(&mut body) {
                Ok(_) if body.len() as u64 > cap => {
                    return Err(Failure::Invalid(format!("{what}: more than the {cap} bytes allowed")));
                }
                Ok(_) => return Ok(Ok(Fetched { body, content_type, content_digest, link, url })),
                Err(_) if deadline.expired(body.len() as u64) => {
                    return Err(self.too_slow(what, &self.api_host, &deadline, body.len() as u64));
                }
                Err(error) => {
                    let cause = body_failure(&error, body.len() as u64, &self.network);
                    if failures >= self.network.retries {
                        return Err(Failure::Network(format!(
                            "{what}: {cause} (gave up after {} attempts)",
                            failures + 1
                        )));
                    }
                    failures += 1;
                    self.count_retry();
                    deadline
                        .sleep_before_retry(retry::backoff(self.network.first_backoff, failures), body.len() as u64)
                        .map_err(|_| self.too_slow(what, &self.api_host, &deadline, body.len() as u64))?;
                }
            }
        }
    }

    /// The failure of a transfer past its deadline, naming the host it came from.
    pub(crate) fn too_slow(&self, what: &str, host: &str, deadline: &Deadline, received: u64) -> Failure {
        Failure::Network(format!("{what} from {host}: {}", deadline.passed(received)))
    }

    /// Runs `send` until it yields a response that is not worth retrying (anything but
    /// 429 and 5xx), the retries are used up, or the transfer's deadline has passed.
    /// `host` is who is asked, for messages.
    fn retrying(
        &self,
        what: &str,
        host: &str,
        deadline: &Deadline,
        mut send: impl FnMut() -> Result<Response, Attempt>,
    ) -> Result<Response, Failure> {
        let mut failures = 0;
        // The status of the last answer worth retrying, for the failure's kind.
        let mut last_status = None;
        let give_up = |status: Option<u16>, message: String| match status {
            Some(status) => Failure::Status(status, message),
            None => Failure::Network(message),
        };
        let too_slow = |status| give_up(status, self.too_slow(what, host, deadline, 0).message().to_string());
        loop {
            if deadline.expired(0) {
                return Err(too_slow(last_status));
            }
            let (cause, retry_after) = match send() {
                Ok(response) if retry::is_retryable(response.status()) => {
                    let status = response.status();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                    }
                    last_status = Some(status.as_u16());
                    (describe_status(status), retry::retry_after(response.headers()))
                }
                Ok(response) => return Ok(response),
                Err(Attempt::Fatal(failure)) => return Err(failure.map(|m| format!("{what}: {m}"))),
                // A request cut short by the deadline: say so, not "no response".
                Err(Attempt::Transient(_)) if deadline.expired(0) => return Err(too_slow(last_status)),
                Err(Attempt::Transient(cause)) => {
                    last_status = None;
                    (cause, None)
                }
            };
            if failures >= self.network.retries {
                let message = format!("{what}: {cause} (gave up after {} attempts)", failures + 1);
                return Err(give_up(last_status, message));
            }
            failures += 1;
            self.count_retry();
            match retry_after {
                Some(asked) => deadline
                    .obey_retry_after(asked)
                    .map_err(|m| give_up(last_status, format!("{what}: {host} answered {cause}; {m}")))?,
                None => deadline
                    .sleep_before_retry(retry::backoff(self.network.first_backoff, failures), 0)
                    .map_err(|_| too_slow(last_status))?,
            }
        }
    }

    /// Sends to the registry itself. An insecure host that has not answered yet is
    /// tried over HTTPS (certificate unchecked) first, then plain HTTP, as Docker does.
    fn send_to_registry(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: HeaderMap,
        authorization: Option<HeaderValue>,
        deadline: &Deadline,
    ) -> Result<Response, Attempt> {
        let fixed = *self.scheme.lock().unwrap_or_else(|e| e.into_inner());
        let schemes: Vec<&'static str> = match fixed {
            Some(scheme) => vec![scheme],
            None if self.is_insecure_registry() => vec!["https", "http"],
            None => vec!["https"],
        };
        let mut errors = Vec::new();
        for &scheme in &schemes {
            let url = Url::parse(&format!("{scheme}://{}{path}", self.api_host))
                .map_err(|e| Attempt::Fatal(Failure::Invalid(format!("cannot form a URL for {path}: {e}"))))?;
            match self.send_request(method.clone(), url, headers.clone(), authorization.clone(), None, deadline) {
                Ok(response) => {
                    *self.scheme.lock().unwrap_or_else(|e| e.into_inner()) = Some(scheme);
                    return Ok(response);
                }
                Err(Attempt::Transient(cause) | Attempt::Fatal(Failure::Network(cause))) if schemes.len() > 1 => {
                    errors.push(format!("{scheme}: {cause}"));
                }
                Err(other) => return Err(other),
            }
        }
        Err(Attempt::Transient(errors.join("; ")))
    }

    /// Sends one GET, following redirects by hand so that each hop gets the right
    /// client and `authorization` goes only to the host of the first URL.
    fn send_following(
        &self,
        first: Url,
        headers: HeaderMap,
        authorization: Option<HeaderValue>,
        deadline: &Deadline,
    ) -> Result<Response, Attempt> {
        self.send_request(reqwest::Method::GET, first, headers, authorization, None, deadline)
    }

    fn send_request(
        &self,
        method: reqwest::Method,
        first: Url,
        headers: HeaderMap,
        authorization: Option<HeaderValue>,
        body: Option<String>,
        deadline: &Deadline,
    ) -> Result<Response, Attempt> {
        let first_origin = origin(&first);
        let mut url = first;
        let mut method = method;
        let mut body = body;
        for _ in 0..=MAX_REDIRECTS {
            let client = self.client_for(&url)?;
            let mut request = client.request(method.clone(), url.clone()).headers(headers.clone());
            let same_host = origin(&url) == first_origin;
            if let (true, Some(value)) = (same_host, &authorization) {
                request = request.header(header::AUTHORIZATION, value.clone());
            }
            if let Some(text) = &body {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(text.clone());
            }
            let held = self.limiter.acquire();
            if !held.is_zero() {
                deadline.held_back(held);
                self.counters.throttled_ms.fetch_add(held.as_millis() as u64, Ordering::Relaxed);
            }
            // Near the deadline the whole request (headers and body) gets only what is left.
            if let Some(limit) = deadline.request_timeout(0, self.network.stall_timeout) {
                request = request.timeout(limit);
            }
            let response = request.send().map_err(|e| self.request_failure(e, &url))?;
            // Counted when answered: a TLS attempt on a plain-HTTP insecure registry, or a
            // refused connection, sent no request the registry saw.
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
            match (response.status().is_redirection(), location) {
                (true, Some(location)) => {
                    let next = url.join(location).map_err(|e| {
                        Attempt::Fatal(Failure::Network(format!("{} redirected to a bad URL: {e}", authority(&url))))
                    })?;
                    if url.scheme() == "https" && next.scheme() != "https" && !self.is_insecure(&next) {
                        return Err(Attempt::Fatal(Failure::Network(format!(
                            "{} redirected from HTTPS to plain HTTP ({}); refused",
                            authority(&url),
                            authority(&next)
                        ))));
                    }
                    // 303 turns any request into a GET; 307/308 keep it.
                    if response.status() == StatusCode::SEE_OTHER {
                        method = reqwest::Method::GET;
                        body = None;
                    }
                    url = next;
                }
                _ => return Ok(response),
            }
        }
        Err(Attempt::Fatal(Failure::Network(format!("more than {MAX_REDIRECTS} redirects"))))
    }

    fn client_for(&self, url: &Url) -> Result<&Client, Attempt> {
        if self.is_insecure(url) {
            if let Some(client) = &self.insecure {
                return Ok(client);
            }
        }
        if url.scheme() != "https" {
            let host = authority(url);
            return Err(Attempt::Fatal(Failure::Network(format!(
                "refusing plain HTTP to {host}: registries are reached over HTTPS; \
                 to allow HTTP for this host, pass --insecure-registry {host}"
            ))));
        }
        Ok(&self.secure)
    }

    /// Whether `url` is on the registry's own host and port.
    pub(crate) fn is_registry_origin(&self, url: &Url) -> bool {
        Url::parse(&format!("{}://{}/", url.scheme(), self.api_host))
            .is_ok_and(|registry| origin(&registry) == origin(url))
    }

    fn is_insecure_registry(&self) -> bool {
        self.insecure_hosts.iter().any(|h| *h == self.registry || *h == self.api_host)
            || Url::parse(&format!("https://{}/", self.api_host)).is_ok_and(|u| self.is_insecure(&u))
    }

    /// Whether `--insecure-registry` names the URL's host: `host:port` matches that
    /// port only, a bare `host` its default ports.
    fn is_insecure(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
        let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
        self.insecure_hosts
            .iter()
            .any(|entry| Some(entry) == with_port.as_ref() || (*entry == host && url.port().is_none()))
    }

    fn request_failure(&self, error: reqwest::Error, url: &Url) -> Attempt {
        let error = error.without_url();
        let host = authority(url);
        if let Some(tls) = rustls_error(&error) {
            let mut message = match tls {
                rustls::Error::InvalidCertificate(_) => format!(
                    "the TLS certificate of {host} is not trusted ({tls}); if the registry uses a private CA, \
                     pass its certificate with --ca-cert FILE"
                ),
                rustls::Error::InvalidMessage(_) => format!(
                    "{host} does not speak HTTPS ({tls}); if it is a plain-HTTP registry you trust, \
                     allow it with --insecure-registry {host}"
                ),
                _ => format!("TLS with {host} failed ({tls})"),
            };
            if self.is_insecure(url) {
                message = format!("TLS with {host} failed ({tls})");
            }
            return Attempt::Fatal(Failure::Network(message));
        }
        if error.is_timeout() {
            return Attempt::Transient(format!("{host}: no response within {}", seconds(self.network.stall_timeout)));
        }
        if error.is_connect() {
            return Attempt::Transient(format!("cannot connect to {host}: {}", root_cause(&error)));
        }
        if error.is_builder() || error.is_redirect() {
            return Attempt::Fatal(Failure::Network(format!("{host}: {}", error_chain(&error))));
        }
        Attempt::Transient(format!("{host}: {}", error_chain(&error)))
    }

    /// The credentials for this registry, looked up once.
    fn found(&self) -> &Found {
        self.credentials.get_or_init(|| {
            let env = |name: &str| std::env::var(name).ok();
            credentials::find(
                &self.registry,
                &credentials::Sources {
                    explicit: self.explicit_credentials.as_ref(),
                    environment: self.credential_scope == CredentialScope::CommandLine,
                    docker_config_dir: self.docker_config_dir.as_deref(),
                    env: &env,
                },
            )
        })
    }

    fn lock_auth(&self) -> std::sync::MutexGuard<'_, AuthState> {
        self.auth.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers a 401: a Bearer challenge gets a fresh token from its realm, a Basic one
    /// the credentials.
    fn authenticate(&self, response: &Response, scope: &str, what: &str) -> Result<(), Failure> {
        // A 401 from a host the registry redirected to is that host asking: it gets nothing.
        let challenger = response.url().clone();
        if !self.is_registry_origin(&challenger) {
            return Err(Failure::Auth(format!(
                "{what}: {} (where the registry redirected) asks for credentials; customs sends credentials \
                 only to the registry {} itself",
                authority(&challenger),
                self.api_host
            )));
        }
        let challenges: Vec<Challenge> = response
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect();
        let found = self.found();
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer { realm, service, .. } => Some((realm, service)),
            _ => None,
        });
        if let Some((realm, service)) = bearer {
            let realm = Url::parse(realm)
                .map_err(|e| Failure::Auth(format!("{what}: the registry names a bad token realm {realm:?}: {e}")))?;
            let credentials = found.credentials.as_ref();
            let token = self.fetch_token(&realm, &challenger, service.as_deref(), credentials, scope, what)?;
            self.lock_auth().use_bearer(&realm, service.as_deref(), scope, token);
            return Ok(());
        }
        if challenges.iter().any(|c| matches!(c, Challenge::Basic { .. })) {
            return match &found.credentials {
                Some(Credentials { secret: Secret::Password(_), .. }) => {
                    self.lock_auth().use_basic();
                    Ok(())
                }
                Some(c) => Err(Failure::Auth(format!(
                    "{what}: the registry asks for a password, but {} holds a token",
                    c.source
                ))),
                None => Err(Failure::Auth(format!("{what}: {}", self.no_credentials_hint(found)))),
            };
        }
        Err(Failure::Auth(format!("{what}: the registry answered 401 without a challenge customs understands")))
    }

    /// Gets a token for this repository from a Bearer realm: with the password as
    /// Basic credentials, or an identity token as an OAuth2 refresh token, or none.
    fn fetch_token(
        &self,
        realm: &Url,
        registry: &Url,
        service: Option<&str>,
        credentials: Option<&Credentials>,
        scope: &str,
        what: &str,
    ) -> Result<Token, Failure> {
        if let Some(Credentials { secret: Secret::RegistryToken(token), .. }) = credentials {
            return Ok(Token::long_lived(token.clone()));
        }
        let realm_host = authority(realm);
        // Docker Hub, GHCR, ECR, Quay… name an HTTPS realm on another host: that is
        // their auth. Plain HTTP to another host would hand the login to anyone on the path.
        let withheld = credentials.is_some() && realm.scheme() != "https" && origin(realm) != origin(registry);
        let credentials = credentials.filter(|_| !withheld);
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let deadline = Deadline::start(self.network.transfer, None);
        let response = match credentials {
            Some(Credentials { secret: Secret::IdentityToken(refresh), .. }) => {
                let form = auth::refresh_form(service, scope, refresh);
                self.retrying(what, &realm_host, &deadline, || {
                    let (method, form) = (reqwest::Method::POST, Some(form.clone()));
                    self.send_request(method, realm.clone(), headers.clone(), None, form, &deadline)
                })?
            }
            _ => {
                let url = auth::token_url(realm, service, scope);
                let basic = credentials.and_then(auth::basic_header);
                self.retrying(what, &realm_host, &deadline, || {
                    self.send_following(url.clone(), headers.clone(), basic.clone(), &deadline)
                })?
            }
        };
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            let detail = registry_errors(response).map(|d| format!(" ({d})")).unwrap_or_default();
            let who = match credentials {
                Some(c) => format!("rejected the credentials from {}", c.source),
                None if withheld => format!(
                    "refused anonymous access; credentials are not sent to a token server on another host over \
                     plain HTTP ({})",
                    realm.as_str()
                ),
                None => format!("refused anonymous access; {}", self.no_credentials_hint(self.found())),
            };
            return Err(Failure::Auth(format!("{what}: the token server {realm_host} {who}{detail}")));
        }
        if !status.is_success() {
            return Err(Failure::Auth(format!(
                "{what}: the token server {realm_host} answered {}",
                describe_status(status)
            )));
        }
        if let Some(length) = response.content_length() {
            deadline.learn_size(length.min(MAX_TOKEN_BODY));
        }
        let mut body = Vec::new();
        let mut watched = Watched { inner: response.take(MAX_TOKEN_BODY), deadline: &deadline, received: 0 };
        if let Err(e) = watched.read_to_end(&mut body) {
            if deadline.expired(body.len() as u64) {
                return Err(self.too_slow(&format!("{what}: the token"), &realm_host, &deadline, body.len() as u64));
            }
            return Err(Failure::Network(format!("{what}: reading the token from {realm_host}: {}", root_cause(&e))));
        }
        auth::parse_token(&body, Instant::now())
            .map_err(|e| Failure::Auth(format!("{what}: the token server {realm_host} sent {e}")))
    }

    fn no_credentials_hint(&self, found: &Found) -> String {
        let mut hint = match self.credential_scope {
            CredentialScope::CommandLine => format!(
                "no credentials found for {} (set CUSTOMS_REGISTRY_USERNAME and CUSTOMS_REGISTRY_PASSWORD, \
                 or log in with docker login)",
                self.registry
            ),
            CredentialScope::Repository => format!(
                "no credentials found for {0} in Docker's config (an image named by the repository's files is \
                 read with `docker login {0}` credentials only)",
                self.registry
            ),
        };
        for note in &found.notes {
            hint.push_str("; ");
            hint.push_str(note);
        }
        hint
    }

    /// The failure for a final answer that is not a success.
    pub(crate) fn status_failure(&self, refusal: Refusal, what: &str) -> Failure {
        let status = refusal.status;
        let detail = refusal.detail.map(|d| format!(" ({d})")).unwrap_or_default();
        let found = self.found();
        match status {
            StatusCode::UNAUTHORIZED => match &found.credentials {
                // The token server accepted them, the registry not the token: no pull access.
                Some(c) if self.lock_auth().uses_bearer() => Failure::Auth(format!(
                    "{what}: access denied{detail}; the repository may not exist, or the credentials from {} \
                     cannot pull it",
                    c.source
                )),
                Some(c) => {
                    Failure::Auth(format!("{what}: the registry rejected the credentials from {}{detail}", c.source))
                }
                None => Failure::Auth(format!(
                    "{what}: access denied{detail}; the repository may not exist, or it needs credentials: {}",
                    self.no_credentials_hint(found)
                )),
            },
            StatusCode::FORBIDDEN => Failure::Auth(format!("{what}: access denied{detail}")),
            StatusCode::NOT_FOUND => Failure::NotFound(format!("{what}: not found{detail}")),
            _ => Failure::Status(status.as_u16(), format!("{what}: unexpected {}{detail}", describe_status(status))),
        }
    }

    /// Removes every form of the credentials from a message: registries echo what they
    /// were sent, and no message customs prints may carry a secret.
    pub(crate) fn scrub(&self, message: String) -> String {
        let Some(credentials) = self.credentials.get().and_then(|f| f.credentials.as_ref()) else { return message };
        let mut message = message;
        for secret in credentials.secret_forms() {
            if secret.len() >= 3 {
                message = message.replace(&secret, "<redacted>");
            }
        }
        message
    }
}

/// `docker.io` is served from `registry-1.docker.io`.
fn api_host(registry: &str) -> String {
    match registry.to_ascii_lowercase().as_str() {
        "docker.io" | "index.docker.io" => "registry-1.docker.io".to_string(),
        other => other.to_string(),
    }
}

/// Host (lower case) and port, the default one filled in.
fn origin(url: &Url) -> (Option<String>, Option<u16>) {
    (url.host_str().map(str::to_ascii_lowercase), url.port_or_known_default())
}

/// `host[:port]` of a URL, as a user would type it for `--insecure-registry`.
pub(crate) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The clients' timeouts bound a connection attempt and each wait for data (reqwest's
/// blocking client applies `timeout` per call); the whole transfer is bounded by its
/// [`Deadline`], per request.
fn build_client(
    network: &NetworkSettings,
    certificates: Vec<reqwest::Certificate>,
    insecure: bool,
) -> Result<Client, String> {
    // reqwest is built without a default crypto provider; a second install is refused harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .user_agent(concat!("customs/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(network.connect_timeout)
        .timeout(network.stall_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .https_only(!insecure)
        .tls_certs_merge(certificates)
        .tls_danger_accept_invalid_certs(insecure)
        .build()
        .map_err(|e| format!("cannot set up HTTPS: {}", error_chain(&e)))
}

/// `Accept: accept` (`*/*` if it cannot be a header).
pub(crate) fn accept_header(accept: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap_or(HeaderValue::from_static("*/*")));
    headers
}

#[cfg(test)]
mod tests;
