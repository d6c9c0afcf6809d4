//! `customs verify` against a registry that lies: a scripted server on 127.0.0.1
//! serves what no honest registry would (blobs that do not match their digest, huge
//! declared sizes, thousands of referrers, deeply nested JSON). Every case ends in a
//! verdict or an input error naming what was wrong: never a pass, never a hang, never
//! a crash.

mod common;
mod support_registry;

use std::collections::BTreeMap;
use std::process::Output;
use std::sync::Arc;

use common::*;
use support_registry::fake::{FakeRegistry, Reply};
use support_registry::{artifact_manifest, referrers_index, TinyImage, OCI_INDEX, OCI_MANIFEST};

const BUNDLE_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

fn digest_of(bytes: &[u8]) -> String {
    customs::image::digest::Digest::sha256_of(bytes).to_string()
}

/// A registry serving `app:1` (a tiny image) and whatever `paths` map to.
fn serve(paths: BTreeMap<String, Reply>) -> (FakeRegistry, TinyImage) {
    let tiny = TinyImage::new("amd64");
    let manifest = tiny.manifest.clone();
    let paths = Arc::new(std::sync::Mutex::new(paths));
    let server = FakeRegistry::start(move |request, _| {
        if request.path == "/v2/app/manifests/1" {
            return Reply::ok(OCI_MANIFEST, &manifest);
        }
        let paths = paths.lock().unwrap();
        let key = request.path.split('?').next().unwrap_or_default();
        match paths.get(key) {
            Some(Reply::Full { status, headers, body }) => {
                Reply::Full { status: *status, headers: headers.clone(), body: body.clone() }
            }
            _ => Reply::status(404),
        }
    });
    (server, tiny)
}

fn verify(server: &FakeRegistry) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("cosign.pub");
    // Any valid key: no signature here should get as far as a key check.
    std::fs::write(
        &key,
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWBDTwvLqQdRsnJfHapS3hK0DaQ8n\n\
         Ri7Zn7Ldc7hs3Oy4J3kqZqS5kTnT1S4m0Zh3hQ4Jc0v5bGq0hKq3Lw6b2A==\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let host = server.host();
    let image = format!("{host}/app:1");
    run(&["verify", &image, "--insecure-registry", &host, "--key", key.to_str().unwrap()], &crate_dir())
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[track_caller]
fn assert_exit(out: &Output, code: i32, needles: &[&str]) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(code), "{all}");
    for needle in needles {
        assert!(all.contains(needle), "want {needle:?} in: {all}");
    }
    assert!(!all.contains("Verified OK"), "{all}");
}

/// A referrer manifest whose one layer is a bundle of `size` bytes at `digest`.
fn bundle_manifest(tiny: &TinyImage, digest: &str, size: usize) -> Vec<u8> {
    artifact_manifest(BUNDLE_TYPE, (digest, size), (&tiny.manifest_digest, tiny.manifest.len()))
}

fn referrers(entries: &[(String, usize)]) -> Vec<u8> {
    let listed: Vec<(String, usize, &str)> = entries.iter().map(|(d, n)| (d.clone(), *n, BUNDLE_TYPE)).collect();
    referrers_index(&listed)
}

/// One referrer whose bundle blob is `blob`, declared as `declared` bytes at `digest`.
fn one_bundle(blob: &[u8], digest: &str, declared: usize) -> (FakeRegistry, TinyImage) {
    let tiny = TinyImage::new("amd64");
    let manifest = bundle_manifest(&tiny, digest, declared);
    let manifest_digest = digest_of(&manifest);
    let mut paths = BTreeMap::new();
    paths.insert(
        format!("/v2/app/referrers/{}", tiny.manifest_digest),
        Reply::ok(OCI_INDEX, &referrers(&[(manifest_digest.clone(), manifest.len())])),
    );
    paths.insert(format!("/v2/app/manifests/{manifest_digest}"), Reply::ok(OCI_MANIFEST, &manifest));
    paths.insert(format!("/v2/app/blobs/{digest}"), Reply::ok("application/octet-stream", blob));
    serve(paths)
}

#[test]
fn a_bundle_that_does_not_match_its_digest_is_malformed() {
    let (server, _) = one_bundle(b"{\"evil\": true}", &digest_of(b"something else"), 14);
    assert_exit(&verify(&server), 1, &["malformed signature data", "digest"]);
}

#[test]
fn a_bundle_declared_huge_is_not_downloaded() {
    let (server, _) = one_bundle(b"{}", &digest_of(b"{}"), 5 << 30);
    assert_exit(&verify(&server), 1, &["malformed signature data", "limit"]);
    assert!(server.seen_under("/v2/app/blobs/").is_empty(), "the blob was asked for");
}

#[test]
fn deeply_nested_bundle_json_is_refused_without_a_crash() {
    let blob = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000)).into_bytes();
    let (server, _) = one_bundle(&blob, &digest_of(&blob), blob.len());
    assert_exit(&verify(&server), 1, &["malformed signature data", "not a Sigstore bundle"]);
}

#[test]
fn thousands_of_referrers_are_not_all_fetched() {
    let tiny = TinyImage::new("amd64");
    let listed: Vec<(String, usize)> = (0..5000).map(|i| (digest_of(format!("{i}").as_bytes()), 100)).collect();
    let mut paths = BTreeMap::new();
    paths.insert(format!("/v2/app/referrers/{}", tiny.manifest_digest), Reply::ok(OCI_INDEX, &referrers(&listed)));
    let (server, _) = serve(paths);
    assert_exit(&verify(&server), 1, &["5000 signature referrers; only the first 64 were examined"]);
    assert!(server.seen_under("/v2/app/manifests/sha256:").len() <= 64);
}

#[test]
fn a_signature_tag_that_is_an_index_is_malformed() {
    let tiny = TinyImage::new("amd64");
    let tag = format!("/v2/app/manifests/{}.sig", tiny.manifest_digest.replacen(':', "-", 1));
    let mut paths = BTreeMap::new();
    paths.insert(tag, Reply::ok(OCI_INDEX, &referrers(&[])));
    let (server, _) = serve(paths);
    assert_exit(&verify(&server), 1, &["malformed signature data", "an index, not an image manifest"]);
}

#[test]
fn a_referrers_answer_that_is_not_an_index_is_malformed() {
    let tiny = TinyImage::new("amd64");
    let mut paths = BTreeMap::new();
    paths.insert(format!("/v2/app/referrers/{}", tiny.manifest_digest), Reply::ok(OCI_INDEX, b"<html>oops</html>"));
    let (server, _) = serve(paths);
    assert_exit(&verify(&server), 1, &["malformed signature data", "referrers of"]);
}
