//! A misbehaving or hostile registry, through the `customs` binary: where registry
//! credentials may go (issue #10, attack 1) and how long a transfer may take
//! (attack 8). The registries are scripted servers on 127.0.0.1 that record every
//! request, so each test can say exactly which `Authorization` headers left customs.

mod common;
mod support_registry;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use support_registry::fake::{basic, basic_challenge, scan_beside_an_attacker, serve_tiny, FakeRegistry, Reply};
use support_registry::{TinyImage, PASSWORD, USER};

/// A registry that serves `tiny` only to `USER`:`PASSWORD` over Basic auth.
fn basic_registry(tiny: &Arc<TinyImage>) -> FakeRegistry {
    let tiny = tiny.clone();
    FakeRegistry::start(move |request, _| {
        if request.header("authorization") == Some(basic(USER, PASSWORD).as_str()) {
            serve_tiny(&tiny, request)
        } else {
            basic_challenge()
        }
    })
}

/// The `Authorization` header of every request a server saw (`None` where there was none).
fn authorizations(server: &FakeRegistry) -> Vec<Option<String>> {
    server.seen().iter().map(|r| r.header("authorization").map(str::to_string)).collect()
}

/// Runs customs in `dir` with the registry login in the environment (plus `extra`
/// variables) and a Docker config folder of its own, so the tester's is never read.
fn customs_with_login(dir: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut command = isolated_customs(dir, args);
    command.env("CUSTOMS_REGISTRY_USERNAME", USER).env("CUSTOMS_REGISTRY_PASSWORD", PASSWORD);
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().expect("customs runs")
}

/// customs in `dir` with no registry login and an empty Docker config of its own.
fn isolated_customs(dir: &Path, args: &[&str]) -> Command {
    let docker_config = dir.join("docker-config");
    std::fs::create_dir_all(&docker_config).unwrap();
    let mut command = customs();
    command.args(args).current_dir(dir).env("DOCKER_CONFIG", &docker_config).env("HOME", dir);
    for name in ["CUSTOMS_REGISTRY", "CUSTOMS_REGISTRY_USERNAME", "CUSTOMS_REGISTRY_PASSWORD"] {
        command.env_remove(name);
    }
    for name in ["CUSTOMS_TRANSFER_TIMEOUT", "CUSTOMS_MIN_TRANSFER_RATE", "CUSTOMS_MAX_RETRY_AFTER"] {
        command.env_remove(name);
    }
    command
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `customs sbom --image HOST/test/tiny:v1`, HTTP allowed for `insecure`.
fn sbom_args<'a>(image: &'a str, insecure: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["sbom", "--image", image, "-f", "spdx"];
    for host in insecure {
        args.extend(["--insecure-registry", host.as_str()]);
    }
    args
}

#[test]
fn environment_credentials_bound_to_one_registry_never_reach_another() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let other = basic_registry(&tiny);
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", other.host());
    let insecure = [other.host()];

    let out =
        customs_with_login(dir.path(), &sbom_args(&image, &insecure), &[("CUSTOMS_REGISTRY", "registry.example:5000")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(authorizations(&other), [None], "the login left for another registry");
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read image {image}: {image}: authentication failed: manifest v1: no credentials found for \
             {host} (set CUSTOMS_REGISTRY_USERNAME and CUSTOMS_REGISTRY_PASSWORD, or log in with docker login); \
             CUSTOMS_REGISTRY_USERNAME/CUSTOMS_REGISTRY_PASSWORD are for CUSTOMS_REGISTRY=registry.example:5000, not \
             {host} (not sent)\n",
            host = other.host()
        )
    );

    // Bound to this registry, the login is used there.
    let out = customs_with_login(dir.path(), &sbom_args(&image, &insecure), &[("CUSTOMS_REGISTRY", &other.host())]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let sent = authorizations(&other).split_off(1);
    assert_eq!(sent[0], None, "the first request is anonymous");
    assert!(sent[1..].iter().all(|a| a.as_deref() == Some(basic(USER, PASSWORD).as_str())), "{sent:?}");
}

#[test]
fn without_customs_registry_the_login_goes_to_the_named_image_only() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let registry = basic_registry(&tiny);
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", registry.host());
    let out = customs_with_login(dir.path(), &sbom_args(&image, &[registry.host()]), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(authorizations(&registry).iter().filter(|a| a.is_some()).count(), 3, "manifest, config, layer");
}

/// The attack of issue #10: a repository's `customs.yaml` allows a base image on a
/// registry it picked; a scan of an image without base annotations reads that image
/// for layer ancestry. That registry must not get the login meant for the scanned one.
#[test]
fn an_allowlisted_base_image_on_another_registry_gets_no_credentials() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let scanned = basic_registry(&tiny);
    let attacker = FakeRegistry::start(|_, _| basic_challenge());
    let dir = tempfile::tempdir().unwrap();
    let base = format!("{}/x/y:t", attacker.host());
    std::fs::write(dir.path().join("customs.yaml"), format!("policy:\n  base-images:\n    allowed: [\"{base}\"]\n"))
        .unwrap();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-registry-cache");
    let image = format!("{}/test/app:v1", scanned.host());
    let args = scan_beside_an_attacker(&cache, &image, &scanned.host(), &attacker.host());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = customs_with_login(dir.path(), &args, &[]);

    assert!(!attacker.seen().is_empty(), "the allowlisted base was never asked for: {}", stderr(&out));
    assert_eq!(authorizations(&attacker).iter().flatten().count(), 0, "credentials went to {base}");
    assert!(authorizations(&scanned).iter().flatten().count() >= 3, "the scanned image got the login");
    // The base could not be read, so nothing shows the image is built on an allowed one.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc = stdout_json(&out);
    assert_eq!(doc["policy"][0]["rule"], "CUSTOMS-BASE-001");
    let warnings = doc["warnings"].to_string();
    assert!(
        warnings.contains(&format!(
            "no credentials found for {0} in Docker's config (an image named by the repository's files is read \
             with `docker login {0}` credentials only)",
            attacker.host()
        )),
        "{warnings}"
    );
}

/// A registry whose Bearer challenge names a token realm on another host over plain
/// HTTP: the token request goes there without the login.
#[test]
fn a_plain_http_token_realm_on_another_host_gets_no_credentials() {
    let realm = FakeRegistry::start(|_, _| Reply::status(401));
    let realm_host = format!("localhost:{}", realm.port);
    let realm_url = format!("http://{realm_host}/token");
    let challenge = format!(r#"Bearer realm="{realm_url}",service="registry""#);
    let registry = FakeRegistry::start(move |_, _| Reply::status(401).with_header("WWW-Authenticate", &challenge));
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", registry.host());
    let out = customs_with_login(dir.path(), &sbom_args(&image, &[registry.host(), realm_host.clone()]), &[]);

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let tokens = realm.seen();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    assert_eq!(tokens[0].path, "/token?service=registry&scope=repository%3Atest%2Ftiny%3Apull");
    assert_eq!(tokens[0].header("authorization"), None, "the login went to a plain-HTTP realm on another host");
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read image {image}: {image}: authentication failed: manifest v1: the token server \
             {realm_host} refused anonymous access; credentials are not sent to a token server on another host \
             over plain HTTP ({realm_url})\n"
        )
    );
}

/// A registry that redirects to another host, which then asks for credentials: the
/// redirect carries no `Authorization`, and the other host's challenge is not answered.
#[test]
fn a_host_the_registry_redirects_to_cannot_ask_for_the_login() {
    let elsewhere = FakeRegistry::start(|_, _| basic_challenge());
    let target = format!("http://localhost:{}/v2/collect", elsewhere.port);
    let registry = FakeRegistry::start(move |_, _| Reply::status(307).with_header("Location", &target));
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", registry.host());
    let insecure = [registry.host(), format!("localhost:{}", elsewhere.port)];
    let out = customs_with_login(dir.path(), &sbom_args(&image, &insecure), &[]);

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(authorizations(&elsewhere), [None]);
    assert_eq!(authorizations(&registry), [None]);
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read image {image}: {image}: authentication failed: manifest v1: localhost:{} (where the \
             registry redirected) asks for credentials; customs sends credentials only to the registry {} itself\n",
            elsewhere.port,
            registry.host()
        )
    );
}

// Attack 8: transfers that never end. Each test sets small limits, so it runs in seconds.

/// `customs sbom --image` of `tiny` from a registry whose manifest answer is `manifest`
/// (the rest is served normally); returns the output, how long it took and the server.
fn sbom_from(
    manifest: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
    flags: &[&str],
    env: &[(&str, &str)],
) -> (Output, Duration, FakeRegistry, String) {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let served = tiny.clone();
    let manifest_calls = std::sync::atomic::AtomicUsize::new(0);
    let registry = FakeRegistry::start(move |request, _| {
        if request.path.ends_with("/manifests/v1") {
            let n = manifest_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Some(reply) = manifest(n) {
                return reply;
            }
        }
        serve_tiny(&served, request)
    });
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", registry.host());
    let host = registry.host();
    let mut args = sbom_args(&image, std::slice::from_ref(&host));
    args.extend_from_slice(flags);
    let started = Instant::now();
    let out = isolated_customs(dir.path(), &args).envs(env.iter().copied()).output().expect("customs runs");
    (out, started.elapsed(), registry, image)
}

#[test]
fn a_registry_trickling_a_manifest_is_given_up_at_the_deadline() {
    let trickle = |_| Some(Reply::Trickle { declared: 1000, every: Duration::from_millis(100) });
    let (out, took, registry, image) =
        sbom_from(trickle, &["--transfer-timeout", "1", "--min-transfer-rate", "1024"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let message = stderr(&out);
    let prefix = format!("error: cannot read image {image}: {image}: manifest v1 from {}: too slow: ", registry.host());
    assert!(message.starts_with(&prefix), "{message}");
    assert!(
        message.ends_with(
            " of 1000 bytes in 1.0 s, past the transfer deadline (1 s + 1000 bytes at 1024 KiB/s); raise \
             --transfer-timeout or lower --min-transfer-rate\n"
        ),
        "{message}"
    );
}

#[test]
fn a_silent_registry_is_given_up_at_the_configured_time() {
    // Set through the environment, as a CI job would.
    let (out, took, registry, image) = sbom_from(|_| Some(Reply::Silent), &[], &[("CUSTOMS_TRANSFER_TIMEOUT", "2")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(6), "took {took:?}");
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read image {image}: {image}: manifest v1 from {}: too slow: 0 bytes in 2.0 s, \
             past the transfer deadline (2 s + the bytes received at 64 KiB/s); raise --transfer-timeout or lower \
             --min-transfer-rate\n",
            registry.host()
        )
    );
    assert_eq!(registry.seen().len(), 1, "the deadline covers the retries too");
}

#[test]
fn a_huge_retry_after_is_not_waited_for() {
    let busy = |_| Some(Reply::status(429).with_header("Retry-After", "100000"));
    let (out, took, registry, image) = sbom_from(busy, &[], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot read image {image}: {image}: manifest v1: {} answered HTTP 429 Too Many \
             Requests; the server asked to retry after 100000 s (Retry-After), over the 30 s customs waits per \
             transfer; try again later or raise --max-retry-after\n",
            registry.host()
        )
    );

    // A wait within the cap is obeyed.
    let once = |n| (n == 0).then(|| Reply::status(503).with_header("Retry-After", "1"));
    let (out, took, _, _) = sbom_from(once, &["--max-retry-after", "2"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(took >= Duration::from_secs(1), "took {took:?}");
}

/// `customs db update` from a mirror answering with `reply`, with `flags`.
fn db_update_from(
    reply: impl Fn() -> Reply + Send + Sync + 'static,
    flags: &[&str],
    env: &[(&str, &str)],
) -> (Output, Duration, FakeRegistry) {
    let mirror = FakeRegistry::start(move |_, _| reply());
    let cache = tempfile::tempdir().unwrap();
    let url = mirror.url();
    let mut args = vec!["--cache-dir", cache.path().to_str().unwrap(), "db", "update", "--mirror", &url];
    args.extend(["--ecosystem", "CRAN"]);
    args.extend_from_slice(flags);
    let started = Instant::now();
    let out = isolated_customs(cache.path(), &args).envs(env.iter().copied()).output().expect("customs runs");
    (out, started.elapsed(), mirror)
}

#[test]
fn a_mirror_trickling_a_database_file_is_given_up_at_the_deadline() {
    let trickle = || Reply::Trickle { declared: 5000, every: Duration::from_millis(100) };
    let (out, took, mirror) = db_update_from(trickle, &["--transfer-timeout", "1", "--min-transfer-rate", "1024"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let message = stderr(&out);
    let line = message.lines().find(|l| l.trim_start().starts_with("CRAN")).unwrap_or_default();
    let prefix = format!("  CRAN         FAILED: {}/CRAN/all.zip: too slow: ", mirror.url());
    assert!(line.starts_with(&prefix), "{message}");
    assert!(
        line.ends_with(
            " of 5000 bytes in 1.0 s, past the transfer deadline (1 s + 5000 bytes at 1024 KiB/s); raise \
             --transfer-timeout or lower --min-transfer-rate; no previous copy"
        ),
        "{message}"
    );
}

#[test]
fn a_mirror_asking_to_retry_after_a_day_is_not_waited_for() {
    let busy = || Reply::status(503).with_header("Retry-After", "100000");
    let (out, took, mirror) = db_update_from(busy, &[], &[("CUSTOMS_MAX_RETRY_AFTER", "5")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(
        stderr(&out).contains(&format!(
            "  CRAN         FAILED: {}/CRAN/all.zip: HTTP 503 Service Unavailable; the server asked to retry after \
             100000 s (Retry-After), over the 5 s customs waits per transfer; try again later or raise \
             --max-retry-after; no previous copy\n",
            mirror.url()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(mirror.seen().len(), 1);
}

#[test]
fn a_silent_mirror_is_given_up_at_the_configured_time() {
    let (out, took, mirror) = db_update_from(|| Reply::Silent, &["--transfer-timeout", "2"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(6), "took {took:?}");
    assert!(
        stderr(&out).contains(&format!(
            "  CRAN         FAILED: {}/CRAN/all.zip: too slow: 0 bytes in 2.0 s, past the transfer deadline (2 s + \
             the bytes received at 64 KiB/s); raise --transfer-timeout or lower --min-transfer-rate; no previous copy\n",
            mirror.url()
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(mirror.seen().len(), 1);
}

#[test]
fn a_registry_trickling_a_layer_is_given_up_at_the_deadline() {
    let tiny = Arc::new(TinyImage::new("amd64"));
    let served = tiny.clone();
    let registry = FakeRegistry::start(move |request, _| {
        if request.path.ends_with(&format!("/blobs/{}", served.layer_digest)) {
            Reply::Trickle { declared: served.layer.len(), every: Duration::from_millis(100) }
        } else {
            serve_tiny(&served, request)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let image = format!("{}/test/tiny:v1", registry.host());
    let insecure = [registry.host()];
    let mut args = sbom_args(&image, &insecure);
    args.extend(["--no-layer-cache", "--transfer-timeout", "1", "--min-transfer-rate", "1024"]);
    let started = Instant::now();
    let out = isolated_customs(dir.path(), &args).output().expect("customs runs");
    let took = started.elapsed();

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let message = stderr(&out);
    let expected = [
        format!("layer {} from {}: too slow: ", tiny.layer_digest, registry.host()),
        format!(
            " of {} bytes in 1.0 s, past the transfer deadline (1 s + {} bytes at 1024 KiB/s); raise \
             --transfer-timeout or lower --min-transfer-rate",
            tiny.layer.len(),
            tiny.layer.len()
        ),
    ];
    assert!(expected.iter().all(|part| message.contains(part.as_str())), "{message}");
    assert!(message.starts_with(&format!("error: cannot read image {image}: ")), "{message}");
}
