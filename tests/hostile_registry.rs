//! A misbehaving or hostile registry, through the `customs` binary: where registry
//! credentials may go (issue #10, attack 1) and how long a transfer may take
//! (attack 8). The registries are scripted servers on 127.0.0.1 that record every
//! request, so each test can say exactly which `Authorization` headers left customs.

mod common;
mod support_registry;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;

use base64::Engine as _;
use common::*;
use support_registry::fake::{FakeRegistry, Reply, Request};
use support_registry::{TinyImage, OCI_MANIFEST, PASSWORD, USER};

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// `tiny` as any repository's tag `v1` would serve it.
fn serve_tiny(tiny: &TinyImage, request: &Request) -> Reply {
    let path = request.path.as_str();
    if path.ends_with("/manifests/v1") {
        Reply::ok(OCI_MANIFEST, &tiny.manifest).with_header("Docker-Content-Digest", &tiny.manifest_digest)
    } else if path.ends_with(&format!("/blobs/{}", tiny.config_digest)) {
        Reply::ok("application/octet-stream", &tiny.config)
    } else if path.ends_with(&format!("/blobs/{}", tiny.layer_digest)) {
        Reply::ok("application/octet-stream", &tiny.layer)
    } else {
        Reply::status(404)
    }
}

fn basic_challenge() -> Reply {
    Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="registry""#)
}

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
    let docker_config = dir.join("docker-config");
    std::fs::create_dir_all(&docker_config).unwrap();
    let mut command = customs();
    command
        .args(args)
        .current_dir(dir)
        .env("DOCKER_CONFIG", &docker_config)
        .env("HOME", dir)
        .env_remove("CUSTOMS_REGISTRY")
        .env("CUSTOMS_REGISTRY_USERNAME", USER)
        .env("CUSTOMS_REGISTRY_PASSWORD", PASSWORD);
    for (name, value) in extra {
        command.env(name, value);
    }
    command.output().expect("customs runs")
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
    let osv = shared().join("osv");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-registry-cache");
    let image = format!("{}/test/app:v1", scanned.host());
    let args = [
        "--cache-dir",
        cache.to_str().unwrap(),
        "scan",
        "--db",
        osv.to_str().unwrap(),
        "--image",
        &image,
        "--insecure-registry",
        &scanned.host(),
        "--insecure-registry",
        &attacker.host(),
        "-f",
        "json",
    ];
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
