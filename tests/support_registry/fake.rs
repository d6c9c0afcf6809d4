//! [`FakeRegistry`]: the tests' scripted HTTP server (`tests/support_http`) playing a
//! registry, for what a real one will not do on demand (bearer tokens, failures, stalls).

#[path = "../support_http/mod.rs"]
mod http;

// Not every test binary uses all three.
#[allow(unused_imports)]
pub use http::{Reply, Request, TestServer as FakeRegistry};

use base64::Engine as _;

use super::{TinyImage, OCI_MANIFEST};

/// The `Authorization` header value of a Basic login.
#[allow(dead_code)]
pub fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// `tiny` as any repository's tag `v1` would serve it.
#[allow(dead_code)]
pub fn serve_tiny(tiny: &TinyImage, request: &Request) -> Reply {
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

/// A 401 asking for a Basic login.
#[allow(dead_code)]
pub fn basic_challenge() -> Reply {
    Reply::status(401).with_header("WWW-Authenticate", r#"Basic realm="registry""#)
}

/// The arguments of `customs scan -f json` of `image` (on `scanned`) while the
/// repository's `customs.yaml` allows a base image on `attacker`: both registries plain
/// HTTP. What the credential tests run, each adding its own way of logging in.
#[allow(dead_code)]
pub fn scan_beside_an_attacker(cache: &std::path::Path, image: &str, scanned: &str, attacker: &str) -> Vec<String> {
    let osv = crate::common::shared().join("osv");
    let args = [
        "--cache-dir",
        &cache.to_string_lossy(),
        "scan",
        "--db",
        &osv.to_string_lossy(),
        "--image",
        image,
        "--insecure-registry",
        scanned,
        "--insecure-registry",
        attacker,
        "-f",
        "json",
    ]
    .map(str::to_string);
    args.to_vec()
}
