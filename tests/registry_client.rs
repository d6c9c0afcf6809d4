//! The registry-level client a sweep reads a registry with: catalog and tag lists read
//! page by page, digest probes, index platforms, shared tokens and the request rate
//! limit. Against CNCF distribution (`docker-registry`) on 127.0.0.1 for what a real
//! registry does, and against a scripted server for refusals, hostile pagination,
//! 429s and failures. Request counts come from the client's own counters and from
//! what the scripted server saw.

mod common;
mod support_registry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use customs::image::analyze::{analyze_counted, AnalyzeOptions};
use customs::image::digest::Digest;
use customs::image::registry::{
    CatalogError, NetworkSettings, RegistryClient, RegistryOptions, RequestLimits, TopManifest,
};
use customs::image::source::{FailureKind, ImageSource, Platform};
use support_registry::fake::{FakeRegistry, Reply, Request};
use support_registry::*;

/// Short timeouts and backoff: failures must show up fast.
fn quick() -> NetworkSettings {
    NetworkSettings {
        connect_timeout: Duration::from_secs(5),
        stall_timeout: Duration::from_secs(5),
        retries: 2,
        first_backoff: Duration::from_millis(50),
        ..NetworkSettings::default()
    }
}

/// Options that reach `registry` and never read the tester's Docker config.
fn options_for(registry: &Registry) -> RegistryOptions {
    let mut options =
        RegistryOptions { docker_config_dir: Some(registry.scratch("no-docker-config")), ..RegistryOptions::default() };
    match registry.kind {
        Kind::Http => options.insecure_registries = vec![registry.host()],
        Kind::Tls => options.ca_certs = vec![registry.ca_cert()],
        Kind::TlsAuth => {
            options.ca_certs = vec![registry.ca_cert()];
            options.credentials = Some((USER.into(), PASSWORD.into()));
        }
    }
    options
}

fn client_for(registry: &Registry) -> RegistryClient {
    RegistryClient::new(&registry.host(), options_for(registry), quick(), RequestLimits::default()).unwrap()
}

/// Options for a scripted server (plain HTTP, no Docker config).
fn fake_options(server: &FakeRegistry) -> RegistryOptions {
    RegistryOptions {
        insecure_registries: vec![server.host()],
        docker_config_dir: Some("/nonexistent/customs-test".into()),
        ..RegistryOptions::default()
    }
}

fn fake_client(server: &FakeRegistry, limits: RequestLimits) -> RegistryClient {
    RegistryClient::new(&server.host(), fake_options(server), quick(), limits).unwrap()
}

fn json(value: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

// ---- A real registry ----

#[test]
fn a_catalog_of_25_repositories_is_read_in_pages_of_4() {
    let registry = Registry::start(Kind::Http);
    let mut expected: Vec<String> = (0..25).map(|i| format!("team/app-{i:02}")).collect();
    for repository in &expected {
        registry.push_tiny(repository, "v1", "amd64");
    }
    expected.sort();
    let client = client_for(&registry);
    assert_eq!(client.catalog(Some(4)).unwrap(), expected);
    // Seven pages (4 × 6 + 1), one request each (the catalog needs no login here). The
    // HTTPS attempt an --insecure-registry host gets first is no request: none was answered.
    assert_eq!(client.stats().requests, 7);
    // Letting the registry choose: one page.
    assert_eq!(client.catalog(None).unwrap(), expected);
    assert_eq!(client.stats().requests, 7 + 1);
}

/// distribution 2.8 ignores `n` on tag lists (paginating them came with 3.0): all
/// sixty come in one page. The paging itself is tested against a scripted registry.
#[test]
fn sixty_tags_are_read_completely() {
    let registry = Registry::start(Kind::Http);
    let tiny = registry.push_tiny("team/tags", "t00", "amd64");
    let mut expected = vec!["t00".to_string()];
    for i in 1..60 {
        let tag = format!("t{i:02}");
        registry.put_manifest("team/tags", &tag, OCI_MANIFEST, &tiny.manifest);
        expected.push(tag);
    }
    let client = client_for(&registry);
    let mut tags = client.tags_with_page_size("team/tags", Some(7)).unwrap();
    tags.sort();
    assert_eq!(tags, expected);
    assert_eq!(client.stats().requests, 1);
    let missing = client.tags("team/missing").unwrap_err();
    assert_eq!(missing.reason(), FailureKind::NotFound, "{missing}");
}

#[test]
fn head_manifest_gives_the_digest_skopeo_reports() {
    let registry = Registry::start(Kind::Http);
    registry.push_tiny("team/app", "v1", "amd64");
    let client = client_for(&registry);
    let digest = client.head_manifest("team/app", "v1").unwrap().unwrap();
    assert_eq!(digest.to_string(), registry.skopeo_digest("team/app:v1"));
    assert_eq!(client.stats().requests, 1, "one HEAD (the HTTPS attempt was not answered)");
    assert_eq!(client.head_manifest("team/app", "v2").unwrap(), None);
    assert_eq!(client.head_manifest("team/none", "v1").unwrap(), None);
    assert_eq!(client.stats().requests, 3);
}

#[test]
fn an_index_lists_its_platforms_and_each_image_is_read_through_the_client() {
    let registry = Registry::start(Kind::Http);
    let amd = registry.push_tiny("team/multi", "amd64", "amd64");
    let arm = registry.push_tiny("team/multi", "arm64", "arm64/v8");
    let index = json(serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd.manifest_digest, "size": amd.manifest.len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm.manifest_digest, "size": arm.manifest.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": OCI_MANIFEST, "digest": amd.manifest_digest, "size": amd.manifest.len(),
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
        ],
    }));
    let index_digest = registry.put_manifest("team/multi", "latest", OCI_INDEX, &index);
    let client = client_for(&registry);

    let top = client.head_manifest("team/multi", "latest").unwrap().unwrap();
    assert_eq!(top.to_string(), index_digest);
    let digest = |d: &str| Digest::parse(d).unwrap();
    assert_eq!(
        client.top_manifest("team/multi", &top).unwrap(),
        TopManifest::Index(vec![
            (Platform::linux_amd64(), digest(&amd.manifest_digest)),
            (Platform::parse("linux/arm64/v8").unwrap(), digest(&arm.manifest_digest)),
        ])
    );
    assert_eq!(client.top_manifest("team/multi", &digest(&arm.manifest_digest)).unwrap(), TopManifest::Image);
    assert_eq!(client.stats().requests, 3, "HEAD, two GETs");

    // The arm64 image, analysed through the client: manifest, config, layer.
    let source = client.image("team/multi", &digest(&arm.manifest_digest)).unwrap();
    assert_eq!(source.reference(), format!("{}/team/multi@{}", registry.host(), arm.manifest_digest));
    let (inventory, stats) = analyze_counted(&source, &AnalyzeOptions::default()).unwrap();
    assert_eq!(inventory.image.unwrap().platform, "linux/arm64/v8");
    assert_eq!((stats.layers_read, stats.bytes_read), (1, arm.layer.len() as u64));
    let after = client.stats();
    assert_eq!(
        after.requests,
        3 + 2,
        "and the image's config and layer (its manifest was fetched above, and remembered)"
    );
    assert_eq!(after.blob_bytes, arm.layer.len() as u64);
    assert_eq!(source.resolve().unwrap().manifest_digest.to_string(), arm.manifest_digest);
}

#[test]
fn a_tls_registry_with_htpasswd_is_read_with_credentials_only() {
    let registry = Registry::start(Kind::TlsAuth);
    let tiny = registry.push_tiny("team/private", "v1", "amd64");
    let client = client_for(&registry);
    assert_eq!(client.catalog(Some(10)).unwrap(), ["team/private"]);
    assert_eq!(client.tags("team/private").unwrap(), ["v1"]);
    assert_eq!(client.head_manifest("team/private", "v1").unwrap().unwrap().to_string(), tiny.manifest_digest);
    // The first request is challenged; every later one carries the login at once.
    assert_eq!(client.stats().requests, 4);

    let anonymous = RegistryOptions { credentials: None, ..options_for(&registry) };
    let client = RegistryClient::new(&registry.host(), anonymous, quick(), RequestLimits::default()).unwrap();
    let Err(CatalogError::Refused { status: 401, .. }) = client.catalog(None) else {
        panic!("the catalog was not refused without a login");
    };
    let err = client.tags("team/private").unwrap_err();
    assert_eq!(err.reason(), FailureKind::Unauthorized, "{err}");
}

// ---- A scripted registry ----

const BEARER_TOKEN: &str = "Bearer tok-anon";

/// A registry that hands anonymous tokens out at `/token` and answers the catalog
/// with `refusal` (status, error code) however it is asked.
fn refusing_catalog(status: u16, code: &'static str) -> FakeRegistry {
    FakeRegistry::start(move |request, _| {
        let host = request.header("host").unwrap_or_default().to_string();
        if request.path.starts_with("/token") {
            return Reply::ok("application/json", br#"{"token":"tok-anon"}"#);
        }
        let challenge = format!(r#"Bearer realm="http://{host}/token",service="fake",scope="registry:catalog:*""#);
        let body = json(serde_json::json!({"errors": [{"code": code, "message": "catalog listing refused"}]}));
        if request.header("authorization") != Some(BEARER_TOKEN) {
            return Reply::status(401).with_header("WWW-Authenticate", &challenge).with_body(&body);
        }
        Reply::status(status).with_header("Content-Type", "application/json").with_body(&body)
    })
}

#[test]
fn a_catalog_refused_with_401_or_404_says_to_name_the_repositories() {
    let server = refusing_catalog(401, "UNAUTHORIZED");
    let client = fake_client(&server, RequestLimits::default());
    let err = client.catalog(Some(100)).unwrap_err();
    let CatalogError::Refused { status, code, message } = &err else { panic!("{err}") };
    assert_eq!((*status, code.as_deref()), (401, Some("UNAUTHORIZED")));
    assert_eq!(
        message,
        &format!("{}: catalog: HTTP 401 Unauthorized (UNAUTHORIZED: catalog listing refused)", server.host())
    );
    assert!(err.to_string().ends_with("name them with --repo REPO or --repos-from FILE"), "{err}");
    assert_eq!(err.reason(), FailureKind::Unauthorized);
    let tokens = server.seen_under("/token");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].path, "/token?service=fake&scope=registry%3Acatalog%3A*");
    assert_eq!(client.stats().requests, 3, "catalog, token, catalog with the token");

    let server = refusing_catalog(404, "UNSUPPORTED");
    let err = fake_client(&server, RequestLimits::default()).catalog(None).unwrap_err();
    let CatalogError::Refused { status: 404, code: Some(code), .. } = &err else { panic!("{err}") };
    assert_eq!(code, "UNSUPPORTED");
    assert_eq!(err.reason(), FailureKind::NotFound);
}

/// `/v2/_catalog` pages from `page` (the request's query → body and Link header).
fn paged_catalog(page: impl Fn(&str) -> (Vec<&'static str>, Option<String>) + Send + Sync + 'static) -> FakeRegistry {
    FakeRegistry::start(move |request, _| {
        let Some(query) = request.path.strip_prefix("/v2/_catalog") else { return Reply::status(404) };
        let (names, link) = page(query.trim_start_matches('?'));
        let reply = Reply::ok("application/json", &json(serde_json::json!({ "repositories": names })));
        match link {
            Some(link) => reply.with_header("Link", &link),
            None => reply,
        }
    })
}

#[test]
fn a_next_page_on_another_host_is_not_followed() {
    let elsewhere = FakeRegistry::start(|_, _| Reply::ok("application/json", br#"{"repositories":["x"]}"#));
    let target = format!("<http://{}/v2/_catalog?last=a&n=1>; rel=\"next\"", elsewhere.host());
    let server = paged_catalog(move |_| (vec!["a"], Some(target.clone())));
    let err = fake_client(&server, RequestLimits::default()).catalog(Some(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: catalog: the registry's next-page link points to {} (another host); not followed",
            server.host(),
            elsewhere.host()
        )
    );
    assert_eq!(err.reason(), FailureKind::Invalid);
    assert_eq!(elsewhere.seen().len(), 0, "a request went to the other host");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_next_page_that_does_not_advance_is_an_error() {
    let server = paged_catalog(|query| match query {
        "n=2" => (vec!["a", "b"], Some(r#"</v2/_catalog?last=b&n=2>; rel="next""#.into())),
        _ => (vec!["c", "d"], Some(r#"</v2/_catalog?last=b&n=2>; rel="next""#.into())),
    });
    let err = fake_client(&server, RequestLimits::default()).catalog(Some(2)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: catalog: the registry's next page starts again after \"b\" (last does not advance)",
            server.host()
        )
    );
    let paths: Vec<String> = server.seen().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v2/_catalog?n=2", "/v2/_catalog?last=b&n=2"]);

    // A page elsewhere on the registry is not a next page either.
    let server = paged_catalog(|_| (vec!["a"], Some(r#"</v2/secret/tags/list?last=a>; rel="next""#.into())));
    let err = fake_client(&server, RequestLimits::default()).catalog(None).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "the registry's next-page link leaves /v2/_catalog (for \"/v2/secret/tags/list\"); not followed"
        ),
        "{err}"
    );
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn pages_are_joined_in_order_without_repeats() {
    let server = paged_catalog(|query| match query {
        "" => (vec!["b", "a"], Some(r#"</v2/_catalog?last=a>; rel="next""#.into())),
        "last=a" => (vec!["a", "c"], Some(r#"</v2/_catalog?last=c>; rel="next""#.into())),
        _ => (vec![], None),
    });
    let client = fake_client(&server, RequestLimits::default());
    assert_eq!(client.catalog(None).unwrap(), ["b", "a", "c"]);
    assert_eq!(client.stats().requests, 3);
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn tags_are_read_in_the_pages_a_registry_honouring_n_sends() {
    let all: Vec<String> = (0..60).map(|i| format!("t{i:02}")).collect();
    let served = all.clone();
    let server = FakeRegistry::start(move |request, _| {
        let Ok(url) = reqwest::Url::parse(&format!("http://x{}", request.path)) else { return Reply::status(400) };
        if url.path() != "/v2/team/tags/tags/list" {
            return Reply::status(404);
        }
        let query = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
        let n: usize = query("n").and_then(|n| n.parse().ok()).unwrap_or(1000);
        let after = query("last");
        let page: Vec<&String> = served.iter().filter(|t| after.as_ref().is_none_or(|a| *t > a)).take(n).collect();
        let body = json(serde_json::json!({"name": "team/tags", "tags": page}));
        let reply = Reply::ok("application/json", &body);
        match page.last() {
            Some(last) if page.len() == n => {
                reply.with_header("Link", &format!("</v2/team/tags/tags/list?last={last}&n={n}>; rel=\"next\""))
            }
            _ => reply,
        }
    });
    let client = fake_client(&server, RequestLimits::default());
    assert_eq!(client.tags_with_page_size("team/tags", Some(7)).unwrap(), all);
    // ceil(60 / 7) = 9 pages.
    let paths: Vec<String> = server.seen().into_iter().map(|r| r.path).collect();
    assert_eq!(paths.len(), 9);
    assert_eq!(paths[0], "/v2/team/tags/tags/list?n=7");
    assert_eq!(paths[8], "/v2/team/tags/tags/list?last=t55&n=7");
    assert_eq!(client.stats().requests, 9);
}

/// Serves `tiny` as `test/tiny:v1`, and its tag list; `script` may answer first.
fn tiny_registry(
    tiny: &Arc<TinyImage>,
    script: impl Fn(&Request, usize) -> Option<Reply> + Send + Sync + 'static,
) -> FakeRegistry {
    let tiny = tiny.clone();
    FakeRegistry::start(move |request, n| {
        if let Some(reply) = script(request, n) {
            return reply;
        }
        match request.path.as_str() {
            "/v2/_catalog" => Reply::ok("application/json", br#"{"repositories":["test/tiny"]}"#),
            "/v2/test/tiny/tags/list" => Reply::ok("application/json", br#"{"name":"test/tiny","tags":["v1"]}"#),
            "/v2/test/tiny/manifests/v1" => {
                Reply::ok(OCI_MANIFEST, &tiny.manifest).with_header("Docker-Content-Digest", &tiny.manifest_digest)
            }
            path if path == format!("/v2/test/tiny/manifests/{}", tiny.manifest_digest) => {
                Reply::ok(OCI_MANIFEST, &tiny.manifest)
            }
            _ => Reply::status(404),
        }
    })
}

#[test]
fn a_429_with_retry_after_is_waited_out_on_catalog_tags_and_head() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    // The first request of each kind is told to come back in a second.
    let first_of_each = std::sync::Mutex::new(std::collections::HashSet::new());
    let server = tiny_registry(&tiny, move |request, _| {
        let key = (request.method.clone(), request.path.clone());
        first_of_each.lock().unwrap().insert(key).then(|| Reply::status(429).with_header("Retry-After", "1"))
    });
    let client = fake_client(&server, RequestLimits::default());
    let start = Instant::now();
    assert_eq!(client.catalog(None).unwrap(), ["test/tiny"]);
    assert!(start.elapsed() >= Duration::from_secs(1), "{:?}", start.elapsed());
    assert_eq!(client.tags("test/tiny").unwrap(), ["v1"]);
    let digest = client.head_manifest("test/tiny", "v1").unwrap().unwrap();
    assert_eq!(digest.to_string(), tiny.manifest_digest);
    assert!(start.elapsed() >= Duration::from_secs(3), "{:?}", start.elapsed());
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries, stats.rate_limited), (6, 3, 3));
    let methods: Vec<(String, String)> = server.seen().into_iter().map(|r| (r.method, r.path)).collect();
    let head = ("HEAD".to_string(), "/v2/test/tiny/manifests/v1".to_string());
    assert_eq!(methods[4..], [head.clone(), head]);
}

#[test]
fn the_request_rate_limit_holds_over_threads() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = tiny_registry(&tiny, |_, _| None);
    let client = fake_client(&server, RequestLimits { requests_per_second: Some(5.0) });
    // The first request settles the scheme (HTTPS tried first, unanswered, then HTTP).
    assert!(client.head_manifest("test/tiny", "v1").unwrap().is_some());
    assert_eq!(client.stats().requests, 1);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..5 {
                    assert!(client.head_manifest("test/tiny", "v1").unwrap().is_some());
                }
            });
        }
    });
    let elapsed = start.elapsed();
    // 20 requests at 5 a second, 200 ms apart (the first waits for the warm-up's slot).
    assert!(elapsed >= Duration::from_millis(3700), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(8), "{elapsed:?}");
    let stats = client.stats();
    assert_eq!(stats.requests, 1 + 20);
    assert!(stats.throttled_ms >= 3000, "{stats:?}");
    let times: Vec<Instant> = server.seen().into_iter().skip(1).map(|r| r.at).collect();
    assert_eq!(times.len(), 20);
    let span = times.iter().max().unwrap().duration_since(*times.iter().min().unwrap());
    assert!(span >= Duration::from_millis(3600), "the server saw them within {span:?}");
}

#[test]
fn a_head_without_a_digest_falls_back_to_get() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let manifest = tiny.manifest.clone();
    let server = tiny_registry(&tiny, move |request, _| {
        (request.path == "/v2/test/tiny/manifests/v1").then(|| Reply::ok(OCI_MANIFEST, &manifest))
    });
    let client = fake_client(&server, RequestLimits::default());
    let digest = client.head_manifest("test/tiny", "v1").unwrap().unwrap();
    assert_eq!(digest.to_string(), tiny.manifest_digest);
    let methods: Vec<String> = server.seen().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["HEAD", "GET"]);
    assert_eq!(server.seen()[0].header("accept").map(|a| a.contains(OCI_INDEX)), Some(true));
}

#[test]
fn failures_are_sorted_into_kinds() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let reason = |script: fn(&Request) -> Option<Reply>| {
        let server = tiny_registry(&tiny, move |request, _| script(request));
        let client = fake_client(&server, RequestLimits::default());
        let err = client.tags("test/tiny").unwrap_err();
        (err.reason(), err.to_string(), client.stats().requests)
    };
    let basic = |_: &Request| Some(Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="r""#));
    let (kind, message, _) = reason(basic);
    assert_eq!(kind, FailureKind::Unauthorized, "{message}");
    // Counts are answered requests (the HTTPS attempt of an --insecure-registry host is not).
    let (kind, message, requests) = reason(|_| Some(Reply::status(404)));
    assert_eq!((kind, requests), (FailureKind::NotFound, 1), "{message}");
    let (kind, message, requests) = reason(|_| Some(Reply::status(429).with_header("Retry-After", "0")));
    assert_eq!((kind, requests), (FailureKind::RateLimited, 3), "{message}");
    assert!(message.ends_with("tags: HTTP 429 Too Many Requests (gave up after 3 attempts)"), "{message}");
    let (kind, message, requests) = reason(|_| Some(Reply::status(500)));
    assert_eq!((kind, requests), (FailureKind::ServerError, 3), "{message}");
    let (kind, message, _) = reason(|_| Some(Reply::status(429).with_header("Retry-After", "3600")));
    assert_eq!(kind, FailureKind::RateLimited, "{message}");
    let (kind, message, _) = reason(|_| Some(Reply::status(418)));
    assert_eq!(kind, FailureKind::ServerError, "{message}");

    // A manifest that does not hash to the digest asked for; one the registry does not have.
    let wrong = Digest::sha256_of(b"another manifest");
    let lying = tiny_registry(&tiny, |request, _| {
        request.path.contains("/manifests/sha256:").then(|| Reply::ok(OCI_MANIFEST, b"{\"schemaVersion\":2}"))
    });
    let err = fake_client(&lying, RequestLimits::default()).top_manifest("test/tiny", &wrong).unwrap_err();
    assert_eq!(err.reason(), FailureKind::Invalid, "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}/test/tiny@{wrong}: manifest {wrong}: digest mismatch: the registry sent a manifest that does not \
                 hash to {wrong}",
            lying.host()
        )
    );
    let server = tiny_registry(&tiny, |_, _| None);
    let err = fake_client(&server, RequestLimits::default()).top_manifest("test/tiny", &wrong).unwrap_err();
    assert_eq!(err.reason(), FailureKind::NotFound, "{err}");

    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let options = RegistryOptions { insecure_registries: vec![closed.clone()], ..fake_options(&server) };
    let client = RegistryClient::new(&closed, options, quick(), RequestLimits::default()).unwrap();
    let err = client.tags("test/tiny").unwrap_err();
    assert_eq!(err.reason(), FailureKind::Network, "{err}");
    let Err(CatalogError::Other(err)) = client.catalog(None) else { panic!("a closed port refused the catalog") };
    assert_eq!(err.reason(), FailureKind::Network, "{err}");
}

#[test]
fn tokens_are_kept_per_scope_and_shared_by_the_images_of_a_client() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = {
        let tiny = tiny.clone();
        FakeRegistry::start(move |request, _| {
            let host = request.header("host").unwrap_or_default().to_string();
            if let Some(query) = request.path.strip_prefix("/token?") {
                let scope = query.rsplit("scope=").next().unwrap_or_default().replace("%3A", ":").replace("%2F", "/");
                return Reply::ok("application/json", &json(serde_json::json!({"token": scope})));
            }
            // The token must be for the repository the path names.
            let repository = request.path.strip_prefix("/v2/").and_then(|p| p.split_once("/manifests/")).map(|p| p.0);
            let wanted = repository.map(|r| format!("Bearer repository:{r}:pull"));
            if wanted.is_none() || request.header("authorization") != wanted.as_deref() {
                let challenge = format!(r#"Bearer realm="http://{host}/token",service="fake""#);
                return Reply::status(401).with_header("WWW-Authenticate", &challenge);
            }
            Reply::ok(OCI_MANIFEST, &tiny.manifest).with_header("Docker-Content-Digest", &tiny.manifest_digest)
        })
    };
    let client = fake_client(&server, RequestLimits::default());
    for repository in ["a/one", "b/two", "a/one", "b/two"] {
        assert_eq!(client.head_manifest(repository, "v1").unwrap().unwrap().to_string(), tiny.manifest_digest);
    }
    let digest = Digest::parse(&tiny.manifest_digest).unwrap();
    assert_eq!(client.top_manifest("a/one", &digest).unwrap(), TopManifest::Image);
    let tokens: Vec<String> = server.seen_under("/token").into_iter().map(|r| r.path).collect();
    assert_eq!(
        tokens,
        [
            "/token?service=fake&scope=repository%3Aa%2Fone%3Apull",
            "/token?service=fake&scope=repository%3Ab%2Ftwo%3Apull"
        ]
    );
    // Two challenged HEADs, two tokens, two HEADs with them, two HEADs and a GET with
    // cached tokens (the HTTPS attempt before them was never answered).
    assert_eq!(client.stats().requests, 9);
}
