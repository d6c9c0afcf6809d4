//! The registry client against real registries on 127.0.0.1 (CNCF distribution over
//! plain HTTP, TLS with a private CA, TLS with htpasswd), with the shared Debian image
//! pushed by skopeo, and against a scripted server for bearer tokens, retries, resumed
//! and stalled downloads and hostile answers.

mod common;
mod support_registry;

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use customs::image::digest::Digest;
use customs::image::registry::{NetworkSettings, RegistryOptions, RegistryRef, RegistrySource};
use customs::image::source::{ImageError, ImageSource, LayerRef, Platform};
use support_registry::fake::{FakeRegistry, Reply, Request};
use support_registry::*;

fn reference(host: &str, repository: &str, tag: Option<&str>, digest: Option<&str>) -> RegistryRef {
    RegistryRef {
        registry: host.to_string(),
        repository: repository.to_string(),
        tag: tag.map(str::to_string),
        digest: digest.map(|d| Digest::parse(d).unwrap()),
    }
}

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

/// Options that reach `registry` (HTTP allowed, CA trusted, logged in) and never read
/// the Docker config of whoever runs the tests.
fn options_for(registry: &Registry) -> RegistryOptions {
    let mut options = isolated(registry);
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

fn isolated(registry: &Registry) -> RegistryOptions {
    RegistryOptions { docker_config_dir: Some(registry.scratch("no-docker-config")), ..RegistryOptions::default() }
}

fn source(reference: RegistryRef, options: RegistryOptions) -> RegistrySource {
    RegistrySource::with_network(reference, options, quick()).expect("valid source")
}

/// Reads a layer to the end (where [`Verified`] checks it); returns its bytes.
fn read_layer(source: &RegistrySource, layer: &LayerRef) -> io::Result<Vec<u8>> {
    let mut stream = source.open_layer(layer).map_err(io::Error::other)?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn kind(error: &ImageError) -> &'static str {
    match error {
        ImageError::Invalid { .. } => "Invalid",
        ImageError::NotFound { .. } => "NotFound",
        ImageError::Auth { .. } => "Auth",
        ImageError::Network { .. } => "Network",
        ImageError::Io { .. } => "Io",
    }
}

fn layer(digest: &str, size: u64) -> LayerRef {
    LayerRef { digest: Digest::parse(digest).unwrap(), media_type: OCI_LAYER_GZIP.into(), size }
}

#[test]
fn plain_http_registry_serves_the_debian_image_by_tag_and_by_digest() {
    let registry = Registry::start(Kind::Http);
    registry.push_debian("test/debian:bookworm");
    let digest = registry.skopeo_digest("test/debian:bookworm");
    assert_eq!(digest, DEBIAN_MANIFEST);
    let host = registry.host();

    let by_tag = source(reference(&host, "test/debian", Some("bookworm"), None), options_for(&registry));
    let image = by_tag.resolve().unwrap();
    assert_eq!(image.reference, format!("{host}/test/debian:bookworm"));
    assert_eq!(image.manifest_digest.to_string(), digest);
    assert_eq!(image.platform, Platform::linux_amd64());
    assert_eq!(image.layers, [layer(DEBIAN_LAYER, DEBIAN_LAYER_SIZE)]);
    assert_eq!(Digest::sha256_of(&image.config).to_string(), DEBIAN_CONFIG);
    let config: serde_json::Value = serde_json::from_slice(&image.config).unwrap();
    let diff_ids: Vec<String> = image.diff_ids.iter().map(Digest::to_string).collect();
    assert_eq!(serde_json::json!(diff_ids), config["rootfs"]["diff_ids"]);
    assert_eq!(image.labels, BTreeMap::new());
    assert_eq!(image.annotations, BTreeMap::new());

    let by_digest = source(reference(&host, "test/debian", None, Some(&digest)), options_for(&registry));
    let pinned = by_digest.resolve().unwrap();
    assert_eq!(pinned.reference, format!("{host}/test/debian@{digest}"));
    assert_eq!(
        (pinned.manifest_digest, pinned.layers, pinned.diff_ids),
        (image.manifest_digest, image.layers.clone(), image.diff_ids)
    );

    let bytes = read_layer(&by_tag, &image.layers[0]).unwrap();
    assert_eq!(bytes.len() as u64, DEBIAN_LAYER_SIZE);
    assert_eq!(Digest::sha256_of(&bytes).to_string(), DEBIAN_LAYER);
}

#[test]
fn an_index_resolves_to_the_requested_platform() {
    let registry = Registry::start(Kind::Http);
    registry.push_debian("test/multi:amd64");
    let arm = registry.push_tiny("test/multi", "arm64", "arm64/v8");
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": DEBIAN_MANIFEST, "size": 350,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm.manifest_digest, "size": arm.manifest.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }))
    .unwrap();
    registry.put_manifest("test/multi", "latest", OCI_INDEX, &index);
    let host = registry.host();
    let for_platform = |platform: &str| {
        let options = RegistryOptions { platform: Platform::parse(platform).unwrap(), ..options_for(&registry) };
        source(reference(&host, "test/multi", Some("latest"), None), options)
    };

    for platform in ["linux/arm64", "linux/arm64/v8"] {
        let image = for_platform(platform).resolve().unwrap();
        assert_eq!(image.manifest_digest.to_string(), arm.manifest_digest, "{platform}");
        assert_eq!(image.platform, Platform::parse("linux/arm64/v8").unwrap());
        assert_eq!(image.layers, [layer(&arm.layer_digest, arm.layer.len() as u64)]);
        assert_eq!(image.diff_ids, [Digest::parse(&arm.diff_id).unwrap()]);
        assert_eq!(image.config, arm.config);
        assert_eq!(image.labels, BTreeMap::from([("org.example.tiny".to_string(), "arm64/v8".to_string())]));
        assert_eq!(image.annotations, BTreeMap::from([("org.opencontainers.image.title".into(), "tiny".into())]));
    }
    let amd64 = for_platform("linux/amd64").resolve().unwrap();
    assert_eq!(
        (amd64.manifest_digest.to_string(), amd64.platform),
        (DEBIAN_MANIFEST.to_string(), Platform::linux_amd64())
    );

    let err = for_platform("linux/s390x").resolve().unwrap_err();
    assert_eq!(kind(&err), "NotFound");
    assert_eq!(
        err.to_string(),
        format!("{host}/test/multi:latest: no image for linux/s390x; the index has linux/amd64, linux/arm64/v8")
    );

    // Layers are opened from several threads at once, sharing one source.
    let arm_source = for_platform("linux/arm64");
    let arm_layer = layer(&arm.layer_digest, arm.layer.len() as u64);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..4).map(|_| scope.spawn(|| read_layer(&arm_source, &arm_layer).unwrap())).collect();
        for reader in readers {
            assert_eq!(reader.join().unwrap(), arm.layer);
        }
    });
}

#[test]
fn tls_registry_is_trusted_with_its_ca_or_when_declared_insecure() {
    let registry = Registry::start(Kind::Tls);
    registry.push_debian("test/debian:bookworm");
    let host = registry.host();
    let debian = || reference(&host, "test/debian", Some("bookworm"), None);

    let err = source(debian(), isolated(&registry)).resolve().unwrap_err();
    assert_eq!(kind(&err), "Network");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/debian:bookworm: manifest bookworm: the TLS certificate of {host} is not trusted \
             (invalid peer certificate: UnknownIssuer); if the registry uses a private CA, pass its certificate \
             with --ca-cert FILE"
        )
    );

    let trusted = source(debian(), options_for(&registry));
    let image = trusted.resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), DEBIAN_MANIFEST);
    assert_eq!(read_layer(&trusted, &image.layers[0]).unwrap().len() as u64, DEBIAN_LAYER_SIZE);

    let unverified = RegistryOptions { insecure_registries: vec![host.clone()], ..isolated(&registry) };
    assert_eq!(source(debian(), unverified).resolve().unwrap().manifest_digest.to_string(), DEBIAN_MANIFEST);
}

#[test]
fn plain_http_registry_needs_insecure_registry() {
    let registry = Registry::start(Kind::Http);
    let host = registry.host();
    let err =
        source(reference(&host, "test/debian", Some("bookworm"), None), isolated(&registry)).resolve().unwrap_err();
    assert_eq!(kind(&err), "Network");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/debian:bookworm: manifest bookworm: {host} does not speak HTTPS (received corrupt message \
             of type InvalidContentType); if it is a plain-HTTP registry you trust, allow it with \
             --insecure-registry {host}"
        )
    );
}

#[test]
fn basic_auth_registry_takes_given_or_docker_config_credentials() {
    let registry = Registry::start(Kind::TlsAuth);
    registry.push_debian("test/debian:bookworm");
    let host = registry.host();
    let debian = || reference(&host, "test/debian", Some("bookworm"), None);
    let with_ca = || RegistryOptions { ca_certs: vec![registry.ca_cert()], ..isolated(&registry) };

    let image = source(debian(), options_for(&registry)).resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), DEBIAN_MANIFEST);

    let wrong = "wr0ng-Pa55word";
    let err = source(debian(), RegistryOptions { credentials: Some((USER.into(), wrong.into())), ..with_ca() })
        .resolve()
        .unwrap_err();
    assert_eq!(kind(&err), "Auth");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/debian:bookworm: authentication failed: manifest bookworm: the registry rejected the \
             credentials from the given username and password (UNAUTHORIZED: authentication required)"
        )
    );
    assert!(!format!("{err} {err:?}").contains(wrong));

    let err = source(debian(), with_ca()).resolve().unwrap_err();
    assert_eq!(kind(&err), "Auth");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/debian:bookworm: authentication failed: manifest bookworm: no credentials found for {host} \
             (set CUSTOMS_REGISTRY_USERNAME and CUSTOMS_REGISTRY_PASSWORD, or log in with docker login)"
        )
    );

    let config_dir = registry.scratch("docker-config");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(config_dir.join("config.json"), format!(r#"{{"auths":{{"https://{host}":{{"auth":"{auth}"}}}}}}"#))
        .unwrap();
    let from_config = RegistryOptions { docker_config_dir: Some(config_dir), ..with_ca() };
    assert_eq!(source(debian(), from_config).resolve().unwrap().manifest_digest.to_string(), DEBIAN_MANIFEST);
}

/// Runs [`credentials_from_the_environment_of_a_child`] in a child process with
/// `env`: PATH and the `CUSTOMS_REGISTRY_*` variables cannot be changed safely inside
/// this multi-threaded test process.
fn run_in_child(env: &[(&str, String)]) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "credentials_from_the_environment_of_a_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("1 passed"), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
#[ignore = "run in a child process by the credential tests below, with its environment set"]
fn credentials_from_the_environment_of_a_child() {
    let Ok(host) = std::env::var("CUSTOMS_TEST_REGISTRY") else { return };
    let options = RegistryOptions {
        ca_certs: vec![std::env::var("CUSTOMS_TEST_CA").unwrap().into()],
        docker_config_dir: Some(std::env::var("CUSTOMS_TEST_DOCKER_CONFIG").unwrap().into()),
        ..RegistryOptions::default()
    };
    let image = source(reference(&host, "test/tiny", Some("v1"), None), options).resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), std::env::var("CUSTOMS_TEST_DIGEST").unwrap());
}

fn child_env(registry: &Registry, digest: &str, config_dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CUSTOMS_TEST_REGISTRY", registry.host()),
        ("CUSTOMS_TEST_CA", registry.ca_cert().display().to_string()),
        ("CUSTOMS_TEST_DOCKER_CONFIG", config_dir.display().to_string()),
        ("CUSTOMS_TEST_DIGEST", digest.to_string()),
    ]
}

#[cfg(unix)]
#[test]
fn docker_credential_helper_on_path_supplies_credentials() {
    use std::os::unix::fs::PermissionsExt;
    let registry = Registry::start(Kind::TlsAuth);
    let tiny = registry.push_tiny("test/tiny", "v1", "amd64");
    let bin = registry.scratch("bin");
    let helper = bin.join("docker-credential-customstest");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\ncat > \"$0.stdin\"\necho '{{\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}'\n"),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config_dir = registry.scratch("docker-config");
    std::fs::write(config_dir.join("config.json"), r#"{"auths":{},"credsStore":"customstest"}"#).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());

    let mut env = child_env(&registry, &tiny.manifest_digest, &config_dir);
    env.push(("PATH", path));
    run_in_child(&env);
    assert_eq!(std::fs::read_to_string(bin.join("docker-credential-customstest.stdin")).unwrap(), registry.host());
}

#[test]
fn environment_credentials_come_before_docker_config() {
    let registry = Registry::start(Kind::TlsAuth);
    let tiny = registry.push_tiny("test/tiny", "v1", "amd64");
    let config_dir = registry.scratch("docker-config");
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:not-the-password"));
    std::fs::write(
        config_dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{wrong}"}}}}}}"#, registry.host()),
    )
    .unwrap();
    let mut env = child_env(&registry, &tiny.manifest_digest, &config_dir);
    env.push(("CUSTOMS_REGISTRY_USERNAME", USER.into()));
    env.push(("CUSTOMS_REGISTRY_PASSWORD", PASSWORD.into()));
    run_in_child(&env);
}

#[test]
fn missing_tags_repositories_and_blobs_are_not_found() {
    let registry = Registry::start(Kind::Http);
    let tiny = registry.push_tiny("test/tiny", "v1", "amd64");
    let host = registry.host();
    let err = source(reference(&host, "test/tiny", Some("nope"), None), options_for(&registry)).resolve().unwrap_err();
    assert_eq!(kind(&err), "NotFound");
    assert_eq!(
        err.to_string(),
        format!("{host}/test/tiny:nope: manifest nope: not found (MANIFEST_UNKNOWN: manifest unknown)")
    );
    let err = source(reference(&host, "test/none", Some("v1"), None), options_for(&registry)).resolve().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{host}/test/none:v1: manifest v1: not found (MANIFEST_UNKNOWN: manifest unknown)")
    );
    let tiny_source = source(reference(&host, "test/tiny", Some("v1"), None), options_for(&registry));
    let absent = Digest::sha256_of(b"absent").to_string();
    let err = tiny_source.open_layer(&layer(&absent, 6)).map(|_| ()).unwrap_err();
    assert_eq!(kind(&err), "NotFound");
    assert_eq!(
        err.to_string(),
        format!("{host}/test/tiny:v1: layer {absent}: not found (BLOB_UNKNOWN: blob unknown to registry)")
    );
    assert_eq!(read_layer(&tiny_source, &layer(&tiny.layer_digest, tiny.layer.len() as u64)).unwrap(), tiny.layer);
}

#[test]
fn a_corrupted_blob_fails_at_the_end_of_its_stream() {
    let registry = Registry::start(Kind::Http);
    let tiny = registry.push_tiny("test/tiny", "v1", "amd64");
    let path = registry.blob_path(&tiny.layer_digest);
    let mut bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, tiny.layer);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();

    let host = registry.host();
    let tiny_source = source(reference(&host, "test/tiny", Some("v1"), None), options_for(&registry));
    let image = tiny_source.resolve().unwrap();
    let err = read_layer(&tiny_source, &image.layers[0]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/tiny:v1: layer {0}: digest mismatch: expected {0}, content hashes to {1}",
            tiny.layer_digest,
            Digest::sha256_of(&bytes).hex
        )
    );
}

// ---- A scripted registry: bearer tokens, failures, hostile answers ----

const REPO: &str = "test/tiny";

fn unauthorized_bearer(request: &Request) -> Reply {
    let host = request.header("host").unwrap_or_default();
    Reply::status(401).with_header(
        "WWW-Authenticate",
        &format!(r#"Bearer realm="http://{host}/token",service="fake-registry",scope="repository:{REPO}:pull""#),
    )
}

/// Serves `tiny` (manifest, config; the layer through a redirect to `localhost`, another
/// host) to holders of the token `tok-1`, which `/token` hands out for user:PASSWORD.
fn bearer_registry(tiny: &Arc<TinyImage>) -> FakeRegistry {
    let tiny = tiny.clone();
    FakeRegistry::start(move |request, _| {
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")));
        let authorized = request.header("authorization") == Some("Bearer tok-1");
        let port = request.header("host").and_then(|h| h.rsplit(':').next()).unwrap_or_default().to_string();
        let path = request.path.as_str();
        if path.starts_with("/token") {
            let refresh = request.method == "POST"
                && String::from_utf8_lossy(&request.body).contains("&refresh_token=refresh-abc");
            return if request.header("authorization") == Some(basic.as_str()) || refresh {
                Reply::ok("application/json", br#"{"token":"tok-1","expires_in":300}"#)
            } else {
                Reply::status(401).with_body(br#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#)
            };
        }
        if path.starts_with("/cdn/") {
            return Reply::ok("application/octet-stream", &tiny.layer);
        }
        // test/private: the token is good, but never enough for this repository.
        if !authorized || path.starts_with("/v2/test/private/") {
            return unauthorized_bearer(request);
        }
        if path == format!("/v2/{REPO}/manifests/v1") {
            Reply::ok(OCI_MANIFEST, &tiny.manifest).with_header("Docker-Content-Digest", &tiny.manifest_digest)
        } else if path == format!("/v2/{REPO}/blobs/{}", tiny.config_digest) {
            Reply::ok("application/octet-stream", &tiny.config)
        } else if path == format!("/v2/{REPO}/blobs/{}", tiny.layer_digest) {
            Reply::status(307).with_header("Location", &format!("http://localhost:{port}/cdn/layer?X-Signature=abc"))
        } else {
            Reply::status(404)
        }
    })
}

fn fake_options(server: &FakeRegistry, credentials: Option<(&str, &str)>) -> RegistryOptions {
    RegistryOptions {
        insecure_registries: vec![server.host(), format!("localhost:{}", server.port)],
        credentials: credentials.map(|(u, p)| (u.to_string(), p.to_string())),
        docker_config_dir: Some("/nonexistent/customs-test".into()),
        ..RegistryOptions::default()
    }
}

#[test]
fn bearer_tokens_are_fetched_once_and_kept_from_other_hosts() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = bearer_registry(&tiny);
    let host = server.host();
    let fake = source(reference(&host, REPO, Some("v1"), None), fake_options(&server, Some((USER, PASSWORD))));
    let image = fake.resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), tiny.manifest_digest);
    assert_eq!(read_layer(&fake, &image.layers[0]).unwrap(), tiny.layer);

    let tokens = server.seen_under("/token");
    assert_eq!(tokens.len(), 1, "the token is cached: {tokens:?}");
    assert_eq!(tokens[0].path, "/token?service=fake-registry&scope=repository%3Atest%2Ftiny%3Apull");
    let registry_requests: Vec<(String, Option<String>)> = server
        .seen_under("/v2/")
        .iter()
        .map(|r| (r.path.clone(), r.header("authorization").map(str::to_string)))
        .collect();
    let bearer = Some("Bearer tok-1".to_string());
    assert_eq!(
        registry_requests,
        [
            (format!("/v2/{REPO}/manifests/v1"), None),
            (format!("/v2/{REPO}/manifests/v1"), bearer.clone()),
            (format!("/v2/{REPO}/blobs/{}", tiny.config_digest), bearer.clone()),
            (format!("/v2/{REPO}/blobs/{}", tiny.layer_digest), bearer),
        ]
    );
    let cdn = server.seen_under("/cdn/");
    assert_eq!(cdn.len(), 1);
    assert_eq!(cdn[0].header("host"), Some(format!("localhost:{}", server.port).as_str()));
    assert_eq!(cdn[0].header("authorization"), None, "the token went to another host");
}

#[test]
fn identity_tokens_from_docker_config_are_traded_for_access_tokens() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = bearer_registry(&tiny);
    let host = server.host();
    let config_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        config_dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"auth":"","identitytoken":"refresh-abc"}}}}}}"#),
    )
    .unwrap();
    let options = RegistryOptions { docker_config_dir: Some(config_dir.path().into()), ..fake_options(&server, None) };
    let image = source(reference(&host, REPO, Some("v1"), None), options).resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), tiny.manifest_digest);
    let tokens = server.seen_under("/token");
    assert_eq!(tokens.len(), 1);
    assert_eq!((tokens[0].method.as_str(), tokens[0].path.as_str()), ("POST", "/token"));
    assert_eq!(tokens[0].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(
        String::from_utf8_lossy(&tokens[0].body),
        "grant_type=refresh_token&service=fake-registry&scope=repository%3Atest%2Ftiny%3Apull&client_id=customs\
         &refresh_token=refresh-abc"
    );
}

#[test]
fn a_token_server_refusing_the_credentials_is_an_auth_error() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = bearer_registry(&tiny);
    let host = server.host();
    let secret = "Sup3r-Secret-Value";
    let err = source(reference(&host, REPO, Some("v1"), None), fake_options(&server, Some((USER, secret))))
        .resolve()
        .unwrap_err();
    assert_eq!(kind(&err), "Auth");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/{REPO}:v1: authentication failed: manifest v1: the token server {host} rejected the credentials \
             from the given username and password (UNAUTHORIZED: bad credentials)"
        )
    );
    let err = source(reference(&host, "test/private", Some("v1"), None), fake_options(&server, Some((USER, PASSWORD))))
        .resolve()
        .unwrap_err();
    assert_eq!(kind(&err), "Auth");
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/test/private:v1: authentication failed: manifest v1: access denied; the repository may not \
             exist, or the credentials from the given username and password cannot pull it"
        )
    );
    let err = source(reference(&host, REPO, Some("v1"), None), fake_options(&server, None)).resolve().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{host}/{REPO}:v1: authentication failed: manifest v1: the token server {host} refused anonymous access; \
             no credentials found for {host} (set CUSTOMS_REGISTRY_USERNAME and CUSTOMS_REGISTRY_PASSWORD, or log in \
             with docker login) (UNAUTHORIZED: bad credentials)"
        )
    );
}

/// A registry serving `tiny` whose answers to manifest and blob requests come from
/// `script` first (by request count), then the real thing.
fn scripted(
    tiny: &Arc<TinyImage>,
    script: impl Fn(&Request, usize) -> Option<Reply> + Send + Sync + 'static,
) -> FakeRegistry {
    let tiny = tiny.clone();
    FakeRegistry::start(move |request, n| {
        if let Some(reply) = script(request, n) {
            return reply;
        }
        let path = request.path.as_str();
        if path == format!("/v2/{REPO}/manifests/v1")
            || path == format!("/v2/{REPO}/manifests/{}", tiny.manifest_digest)
        {
            Reply::ok(OCI_MANIFEST, &tiny.manifest)
        } else if path == format!("/v2/{REPO}/blobs/{}", tiny.config_digest) {
            Reply::ok("application/octet-stream", &tiny.config)
        } else if path == format!("/v2/{REPO}/blobs/{}", tiny.layer_digest) {
            Reply::ok("application/octet-stream", &tiny.layer)
        } else {
            Reply::status(404)
        }
    })
}

fn scripted_source(server: &FakeRegistry, network: NetworkSettings) -> RegistrySource {
    RegistrySource::with_network(reference(&server.host(), REPO, Some("v1"), None), fake_options(server, None), network)
        .unwrap()
}

#[test]
fn server_errors_and_rate_limits_are_retried_client_errors_are_not() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let server = scripted(&tiny, |_, n| match n {
        0 => Some(Reply::status(503)),
        1 => Some(Reply::status(429).with_header("Retry-After", "0")),
        3 => Some(Reply::status(502)),
        _ => None,
    });
    let image = scripted_source(&server, quick()).resolve().unwrap();
    assert_eq!(image.manifest_digest.to_string(), tiny.manifest_digest);
    let paths: Vec<String> = server.seen().into_iter().map(|r| r.path).collect();
    let manifest = format!("/v2/{REPO}/manifests/v1");
    let config = format!("/v2/{REPO}/blobs/{}", tiny.config_digest);
    assert_eq!(paths, [&manifest, &manifest, &manifest, &config, &config].map(String::clone));

    let always = scripted(&tiny, |_, _| Some(Reply::status(503)));
    let err = scripted_source(&always, quick()).resolve().unwrap_err();
    assert_eq!(kind(&err), "Network");
    assert_eq!(
        err.to_string(),
        format!("{}/{REPO}:v1: manifest v1: HTTP 503 Service Unavailable (gave up after 3 attempts)", always.host())
    );
    assert_eq!(always.seen().len(), 3);

    let bad_request = scripted(&tiny, |_, _| {
        Some(Reply::status(400).with_body(br#"{"errors":[{"code":"MANIFEST_INVALID","message":"no\nway"}]}"#))
    });
    let err = scripted_source(&bad_request, quick()).resolve().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/{REPO}:v1: manifest v1: unexpected HTTP 400 Bad Request (MANIFEST_INVALID: noway)",
            bad_request.host()
        )
    );
    assert_eq!(bad_request.seen().len(), 1);
}

#[test]
fn a_broken_layer_download_resumes_where_it_stopped() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let half = tiny.layer.len() / 2;
    let layer_path = format!("/v2/{REPO}/blobs/{}", tiny.layer_digest);
    let (t, p) = (tiny.clone(), layer_path.clone());
    let server = scripted(&tiny, move |request, _| match (request.path == p, request.header("range")) {
        (true, None) => Some(Reply::truncated(t.layer.len(), &t.layer[..half])),
        (true, Some(_)) => Some(
            Reply::Full { status: 206, headers: Vec::new(), body: t.layer[half..].to_vec() }
                .with_header("Content-Range", &format!("bytes {half}-{}/{}", t.layer.len() - 1, t.layer.len())),
        ),
        _ => None,
    });
    let resumed = scripted_source(&server, quick());
    let layer = layer(&tiny.layer_digest, tiny.layer.len() as u64);
    assert_eq!(read_layer(&resumed, &layer).unwrap(), tiny.layer);
    let ranges: Vec<Option<String>> =
        server.seen_under(&layer_path).iter().map(|r| r.header("range").map(str::to_string)).collect();
    assert_eq!(ranges, [None, Some(format!("bytes={half}-"))]);

    // A server that ignores the range sends everything again; what was read is skipped.
    let (t, p) = (tiny.clone(), layer_path.clone());
    let calls = AtomicUsize::new(0);
    let ignoring = scripted(&tiny, move |request, _| {
        (request.path == p && calls.fetch_add(1, Ordering::SeqCst) == 0)
            .then(|| Reply::truncated(t.layer.len(), &t.layer[..half]))
    });
    assert_eq!(read_layer(&scripted_source(&ignoring, quick()), &layer).unwrap(), tiny.layer);
}

#[test]
fn a_stalled_download_gives_up_after_its_retries() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let layer_path = format!("/v2/{REPO}/blobs/{}", tiny.layer_digest);
    let (t, p) = (tiny.clone(), layer_path.clone());
    let server =
        scripted(&tiny, move |request, _| (request.path == p).then(|| Reply::Stall { declared: t.layer.len() }));
    let network = NetworkSettings { stall_timeout: Duration::from_secs(1), retries: 1, ..quick() };
    let started = Instant::now();
    let err = read_layer(&scripted_source(&server, network), &layer(&tiny.layer_digest, tiny.layer.len() as u64))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/{REPO}:v1: layer {}: download stalled: nothing received for 1 s (after 0 bytes) (gave up after 2 attempts)",
            server.host(),
            tiny.layer_digest
        )
    );
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(server.seen_under(&layer_path).len(), 2);
}

#[test]
fn manifests_that_do_not_match_their_digest_or_limits_are_refused() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let other = TinyImage::new("arm64");
    let expect = |server: &FakeRegistry, r: RegistryRef| {
        let source = RegistrySource::with_network(r, fake_options(server, None), quick()).unwrap();
        let err = source.resolve().unwrap_err();
        assert_eq!(kind(&err), "Invalid", "{err}");
        err.to_string()
    };

    // Pulled by digest, answered with another manifest.
    let swapped = other.manifest.clone();
    let server = scripted(&tiny, move |r, _| r.path.contains("/manifests/").then(|| Reply::ok(OCI_MANIFEST, &swapped)));
    let pinned = reference(&server.host(), REPO, None, Some(&tiny.manifest_digest));
    assert_eq!(
        expect(&server, pinned),
        format!(
            "{host}/{REPO}@{d}: manifest {d}: digest mismatch: the registry sent a manifest that does not hash to {d}",
            host = server.host(),
            d = tiny.manifest_digest,
        )
    );

    // A Docker-Content-Digest that the bytes do not hash to.
    let lie = Digest::sha256_of(b"something else").to_string();
    let (t, l) = (tiny.clone(), lie.clone());
    let server = scripted(&tiny, move |r, _| {
        r.path
            .contains("/manifests/")
            .then(|| Reply::ok(OCI_MANIFEST, &t.manifest).with_header("Docker-Content-Digest", &l))
    });
    assert_eq!(
        expect(&server, reference(&server.host(), REPO, Some("v1"), None)),
        format!(
            "{}/{REPO}:v1: manifest v1: the registry says its digest is {lie}, but it hashes to {}",
            server.host(),
            tiny.manifest_digest
        )
    );

    // Schema 1, and a manifest over the size cap.
    let server = scripted(&tiny, |r, _| {
        r.path
            .contains("/manifests/")
            .then(|| Reply::ok("application/vnd.docker.distribution.manifest.v1+prettyjws", br#"{"schemaVersion":1}"#))
    });
    assert_eq!(
        expect(&server, reference(&server.host(), REPO, Some("v1"), None)),
        format!(
            "{}/{REPO}:v1: manifest v1: a Docker schema 1 manifest: this format was retired in 2019 and customs does \
             not read it; push the image again with a current Docker, Buildah or skopeo",
            server.host()
        )
    );
    let server =
        scripted(&tiny, |r, _| r.path.contains("/manifests/").then(|| Reply::ok(OCI_MANIFEST, &vec![b' '; 5 << 20])));
    assert_eq!(
        expect(&server, reference(&server.host(), REPO, Some("v1"), None)),
        format!("{}/{REPO}:v1: manifest v1: 5242880 bytes is more than the 4194304 allowed", server.host())
    );
}

#[test]
fn credentials_never_appear_in_errors() {
    let secret = "Sup3r-Secret-Value";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{secret}"));
    let leaks = |err: &ImageError| {
        let text = format!("{err} {err:?}");
        text.contains(secret) || text.contains(&basic)
    };
    let with_secret = |server: &FakeRegistry| fake_options(server, Some((USER, secret)));

    // A registry that echoes what it was sent into its error message.
    let echo = FakeRegistry::start(|request, _| match request.header("authorization") {
        None => Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="echo""#),
        Some(sent) => {
            let decoded = sent
                .strip_prefix("Basic ")
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let body = serde_json::json!({"errors": [{"code": "DENIED", "message": format!("{sent} is {decoded}")}]});
            Reply::status(401).with_body(body.to_string().as_bytes())
        }
    });
    let err = source(reference(&echo.host(), REPO, Some("v1"), None), with_secret(&echo)).resolve().unwrap_err();
    assert_eq!(kind(&err), "Auth");
    assert!(!leaks(&err), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}/{REPO}:v1: authentication failed: manifest v1: the registry rejected the credentials from the given \
             username and password (DENIED: Basic <redacted> is {USER}:<redacted>)",
            echo.host()
        )
    );

    // A token server that refuses, a closed port, HTTPS refused by a plain server.
    let tiny = Arc::new(TinyImage::new("amd64"));
    let tokens = bearer_registry(&tiny);
    let err = source(reference(&tokens.host(), REPO, Some("v1"), None), with_secret(&tokens)).resolve().unwrap_err();
    assert!(!leaks(&err), "{err}");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let options = RegistryOptions { credentials: Some((USER.into(), secret.into())), ..RegistryOptions::default() };
    let err = source(reference(&closed.to_string(), REPO, Some("v1"), None), options.clone()).resolve().unwrap_err();
    assert_eq!(kind(&err), "Network");
    assert!(!leaks(&err), "{err}");
    let err = source(reference(&tokens.host(), REPO, Some("v1"), None), options).resolve().unwrap_err();
    assert_eq!(kind(&err), "Network");
    assert!(!leaks(&err), "{err}");
}
